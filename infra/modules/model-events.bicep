// The Azure ML workspace's Event Grid system topic, the source of ModelRegistered events
// (deployed into the workspace's resource group by workload.bicep; the subscription to the app is
// model-registered-subscription.bicep).

param workspaceName string

@description('Resource group of the workspace (the topic may live in another group when it is reused).')
param workspaceResourceGroup string = resourceGroup().name

param systemTopicName string
param tags object = {}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' existing = {
  name: workspaceName
  scope: resourceGroup(workspaceResourceGroup)
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

output systemTopicId string = systemTopic.id
output systemTopicPrincipalId string = systemTopic.identity.principalId
output systemTopicName string = systemTopic.name
