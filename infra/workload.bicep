// The part of the deployment that touches resources you own outside the controller's resource
// group. Deployed by infra/hooks/postprovision.sh and postdeploy.sh with `az deployment sub create`
// (not by azd, so `azd down` never considers your workspaces' resource groups its own), removed by
// infra/hooks/predown.sh.
//
// - the controller identity's roles on the ML workspace and the Log Analytics workspace
// - the Event Grid system topic on the ML workspace and, once the app is deployed, the
//   ModelRegistered subscription to the Event Grid trigger (dead-lettering to a blob container)
// - diagnostic settings that send the endpoints' traffic, event and console logs to Log Analytics

targetScope = 'subscription'

@description('Resource id of the Azure ML workspace (same value as main.bicep).')
param amlWorkspaceResourceId string

@description('Resource id of the Log Analytics workspace that receives the endpoint logs (same value as main.bicep).')
param targetLogAnalyticsWorkspaceResourceId string

@description('Principal id of the controller identity (main.bicep output CONTROLLER_IDENTITY_PRINCIPAL_ID).')
param controllerPrincipalId string

@description('Resource id of the Function App (main.bicep output AZURE_FUNCTION_APP_ID).')
param functionAppId string

@description('Resource id of the host storage account that holds the dead-letter container.')
param deadLetterStorageAccountId string

@description('Blob container for undeliverable events (main.bicep output DEAD_LETTER_CONTAINER_NAME).')
param deadLetterContainerName string

@description('Name the Event Grid trigger is registered under (functions/model-registered.ts: app.eventGrid(...)).')
param eventGridFunctionName string = 'modelRegistered'

@description('Name of the ModelRegistered subscription; one per controller environment, so two environments on one workspace do not overwrite each other\'s.')
@minLength(3)
@maxLength(64)
param eventSubscriptionName string = 'aml-rollout-model-registered'

@description('Create the ModelRegistered subscription. False until the app (and so the function) exists: Event Grid validates an AzureFunction destination when the subscription is created.')
param deployEventSubscription bool = false

@description('An Event Grid source has at most one system topic: when the workspace already has one, its name (the hooks find it), and it is reused. Empty creates evgt-<workspace>.')
param systemTopicName string = ''

@description('Resource group of that existing system topic; empty means the workspace\'s resource group.')
param systemTopicResourceGroup string = ''

@description('Tags of that existing system topic, kept as they are (a reused topic is not tagged as ours).')
param systemTopicTags object = {}

@description('Online endpoints whose traffic, event and console logs go to the Log Analytics workspace.')
param endpointNames string[] = []

@description('Tags for the resources this template creates.')
param tags object = {}

var amlWorkspaceSegments = split(amlWorkspaceResourceId, '/')
var amlWorkspaceSubscriptionId = amlWorkspaceSegments[2]
var amlWorkspaceResourceGroup = amlWorkspaceSegments[4]
var amlWorkspaceName = last(amlWorkspaceSegments)

var targetLogAnalyticsSegments = split(targetLogAnalyticsWorkspaceResourceId, '/')
var deadLetterStorageSegments = split(deadLetterStorageAccountId, '/')

// Nested deployment names are per resource group: suffix them per controller so two environments
// that share a workspace never collide.
var deploymentSuffix = take(uniqueString(controllerPrincipalId, functionAppId), 8)

var reuseSystemTopic = !empty(systemTopicName)
// Topic names take letters, digits and dashes; workspace names may also have underscores.
var effectiveSystemTopicName = reuseSystemTopic ? systemTopicName : take('evgt-${replace(amlWorkspaceName, '_', '-')}', 50)
var systemTopicResourceGroupName = empty(systemTopicResourceGroup) ? amlWorkspaceResourceGroup : systemTopicResourceGroup

module mlWorkspaceAccess 'modules/ml-workspace-access.bicep' = {
  name: 'aml-rollout-ml-workspace-access-${deploymentSuffix}'
  scope: resourceGroup(amlWorkspaceSubscriptionId, amlWorkspaceResourceGroup)
  params: {
    workspaceName: amlWorkspaceName
    controllerPrincipalId: controllerPrincipalId
  }
}

module logAnalyticsAccess 'modules/log-analytics-access.bicep' = {
  name: 'aml-rollout-log-analytics-access-${deploymentSuffix}'
  scope: resourceGroup(targetLogAnalyticsSegments[2], targetLogAnalyticsSegments[4])
  params: {
    workspaceName: last(targetLogAnalyticsSegments)
    controllerPrincipalId: controllerPrincipalId
  }
}

module modelEvents 'modules/model-events.bicep' = {
  name: 'aml-rollout-model-events-${deploymentSuffix}'
  scope: resourceGroup(amlWorkspaceSubscriptionId, systemTopicResourceGroupName)
  params: {
    workspaceName: amlWorkspaceName
    workspaceResourceGroup: amlWorkspaceResourceGroup
    systemTopicName: effectiveSystemTopicName
    tags: reuseSystemTopic ? systemTopicTags : tags
  }
}

module deadLetterAccess 'modules/dead-letter-access.bicep' = {
  name: 'aml-rollout-dead-letter-access-${deploymentSuffix}'
  scope: resourceGroup(deadLetterStorageSegments[2], deadLetterStorageSegments[4])
  params: {
    storageAccountName: last(deadLetterStorageSegments)
    containerName: deadLetterContainerName
    systemTopicPrincipalId: modelEvents.outputs.systemTopicPrincipalId
  }
}

module modelRegisteredSubscription 'modules/model-registered-subscription.bicep' = if (deployEventSubscription) {
  name: 'aml-rollout-model-registered-subscription-${deploymentSuffix}'
  scope: resourceGroup(amlWorkspaceSubscriptionId, systemTopicResourceGroupName)
  params: {
    systemTopicName: modelEvents.outputs.systemTopicName
    name: eventSubscriptionName
    functionAppId: functionAppId
    eventGridFunctionName: eventGridFunctionName
    deadLetterStorageAccountId: deadLetterStorageAccountId
    deadLetterContainerName: deadLetterContainerName
  }
  // The topic's identity must be able to write dead letters before events can flow.
  dependsOn: [
    deadLetterAccess
  ]
}

module endpointDiagnostics 'modules/endpoint-diagnostics.bicep' = if (!empty(endpointNames)) {
  name: 'aml-rollout-endpoint-diagnostics-${deploymentSuffix}'
  scope: resourceGroup(amlWorkspaceSubscriptionId, amlWorkspaceResourceGroup)
  params: {
    workspaceName: amlWorkspaceName
    endpointNames: endpointNames
    logAnalyticsWorkspaceResourceId: targetLogAnalyticsWorkspaceResourceId
  }
}

output SYSTEM_TOPIC_NAME string = effectiveSystemTopicName
output EVENT_SUBSCRIPTION_NAME string = deployEventSubscription ? modelRegisteredSubscription!.outputs.name : ''
