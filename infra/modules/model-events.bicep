// ModelRegistered events from the Azure ML workspace to the controller's Event Grid trigger
// (deployed into the workspace's resource group by workload.bicep).

param workspaceName string
param systemTopicName string
param tags object = {}

@description('Create the subscription (only once the Function App and its Event Grid function exist).')
param deployEventSubscription bool

param functionAppId string

@description('Name the Event Grid trigger is registered under.')
param eventGridFunctionName string

param deadLetterStorageAccountId string
param deadLetterContainerName string

@description('Delivery attempts before an event is dead-lettered (Event Grid allows 1-30).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes Event Grid keeps retrying one event (at most 1440).')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' existing = {
  name: workspaceName
}

// One system topic per source: this reuses the workspace's topic when systemTopicName names it.
// Its system-assigned identity is what writes dead-lettered events (see dead-letter-access.bicep).
resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: systemTopicName
  location: workspace.location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: workspace.id
    topicType: 'Microsoft.MachineLearningServices.Workspaces'
  }
}

resource modelRegisteredSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (deployEventSubscription) {
  parent: systemTopic
  name: 'aml-rollout-model-registered'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/${eventGridFunctionName}'
        // One event per invocation: each event starts (or deduplicates to) one rollout.
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.MachineLearningServices.ModelRegistered'
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    // A rejected event (400: malformed) or one that outlives its retries is kept, not lost.
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output systemTopicId string = systemTopic.id
output systemTopicPrincipalId string = systemTopic.identity.principalId
output eventSubscriptionName string = deployEventSubscription ? modelRegisteredSubscription.name : ''
