// The ModelRegistered subscription from the workspace's system topic to the controller's Event
// Grid trigger. Deployed by workload.bicep only once the app is deployed (Event Grid checks an
// AzureFunction destination when the subscription is created) and after the topic's identity may
// write to the dead-letter container.

@description('Name of the workspace\'s Event Grid system topic (model-events.bicep).')
param systemTopicName string

@description('Name of the subscription (one per controller environment).')
param name string

@description('Resource id of the Function App.')
param functionAppId string

@description('Name the Event Grid trigger is registered under.')
param eventGridFunctionName string

@description('Storage account and container that receive events Event Grid could not deliver.')
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

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource modelRegisteredSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: name
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

output name string = modelRegisteredSubscription.name
