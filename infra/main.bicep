// aml-rollout on Azure: `azd up` provisions this file, deploys the app, then runs
// infra/hooks/postdeploy.sh, which deploys workload.bicep (role assignments on the target ML and
// Log Analytics workspaces, the Event Grid system topic and ModelRegistered subscription, the
// endpoints' diagnostic settings).
//
// Why two templates: everything here lives in one resource group that azd owns. `azd down`
// deletes every resource group a provisioned deployment touched, so nothing in this file may touch
// the resource groups of the ML or Log Analytics workspaces; those resources belong to your
// platform, and workload.bicep (deployed outside azd's tracking) is the only thing that changes them.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Region of the controller. Flex Consumption must be available there (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group for the controller; empty means rg-<environmentName>.')
param resourceGroupName string = ''

@description('Resource id of the existing Azure ML workspace whose online endpoints are rolled out: /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<name>.')
param amlWorkspaceResourceId string

@description('Resource id of the existing Log Analytics workspace that receives the endpoints\' AmlOnlineEndpointTrafficLog: /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>.')
param targetLogAnalyticsWorkspaceResourceId string

@allowed([
  'azureStorage'
  'durableTaskScheduler'
])
@description('Durable Functions backend: Azure Storage (default, nothing extra to run) or the Durable Task Scheduler (faster, a separate resource).')
param durableBackend string = 'azureStorage'

@allowed([
  'Consumption'
  'Dedicated'
])
@description('Durable Task Scheduler SKU (only with durableBackend durableTaskScheduler): pay per use, or reserved capacity units.')
param durableTaskSchedulerSku string = 'Consumption'

@description('Task hub name; keep it equal to host.json extensions.durableTask.hubName.')
@minLength(3)
@maxLength(45)
param taskHubName string = 'amlrollout'

@description('Folder of policy files, relative to the app root. The repository\'s policies/ folder is deployed with the app.')
param policyDir string = 'policies'

@description('Public base URL for approval links (e.g. a custom domain); empty means the Function App\'s default host name.')
param publicBaseUrl string = ''

@minValue(1)
@description('Lifetime of signed approval links, in minutes.')
param approvalLinkTtlMinutes int = 1440

@description('Believe App Service authentication\'s principal headers (turn on after enabling App Service authentication, docs/deploy.md).')
param trustAppServiceAuth bool = false

@secure()
@minLength(32)
@description('HMAC-SHA256 key for signed approval links. infra/hooks/preprovision.sh generates one into the azd environment when unset.')
param approvalLinkSecret string

@secure()
@description('Microsoft Teams incoming webhook or Workflows URL; empty disables Teams notifications.')
param notifyTeamsWebhookUrl string = ''

@secure()
@description('Slack incoming webhook URL; empty disables Slack notifications.')
param notifySlackWebhookUrl string = ''

@secure()
@description('Generic JSON webhook URL; empty disables it.')
param notifyGenericWebhookUrl string = ''

@minValue(40)
@maxValue(1000)
@description('Upper bound on Flex Consumption instances.')
param functionMaximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
@description('Memory of each Flex Consumption instance, in MB.')
param functionInstanceMemoryMB int = 2048

var tags = {
  'azd-env-name': environmentName
  application: 'aml-rollout'
}
// Short, stable, unique per subscription + environment + region: storage and Key Vault names are global.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

// /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}
var amlWorkspaceSegments = split(amlWorkspaceResourceId, '/')
var amlWorkspace = {
  subscriptionId: amlWorkspaceSegments[2]
  resourceGroup: amlWorkspaceSegments[4]
  name: last(amlWorkspaceSegments)
}
var targetLogAnalyticsSegments = split(targetLogAnalyticsWorkspaceResourceId, '/')

var functionAppName = 'func-aml-rollout-${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 8)}'
var deadLetterContainerName = 'model-registered-dead-letters'

// Key Vault secret names, by the app setting that references them.
var secretNames = {
  APPROVAL_LINK_SECRET: 'approval-link-secret'
  NOTIFY_TEAMS_WEBHOOK_URL: 'notify-teams-webhook-url'
  NOTIFY_SLACK_WEBHOOK_URL: 'notify-slack-webhook-url'
  NOTIFY_GENERIC_WEBHOOK_URL: 'notify-generic-webhook-url'
}
var configuredNotifySettings = filter([
  empty(notifyTeamsWebhookUrl) ? '' : 'NOTIFY_TEAMS_WEBHOOK_URL'
  empty(notifySlackWebhookUrl) ? '' : 'NOTIFY_SLACK_WEBHOOK_URL'
  empty(notifyGenericWebhookUrl) ? '' : 'NOTIFY_GENERIC_WEBHOOK_URL'
], setting => !empty(setting))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

// Read-only references (never deployed): the target workspaces live in your own resource groups.
resource targetLogAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: last(targetLogAnalyticsSegments)
  scope: resourceGroup(targetLogAnalyticsSegments[2], targetLogAnalyticsSegments[4])
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-aml-rollout-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-aml-rollout-${resourceToken}'
    appInsightsName: 'appi-aml-rollout-${resourceToken}'
    location: location
    tags: tags
    controllerPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stamlr${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    controllerPrincipalId: identity.outputs.principalId
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: 'kv-amlr-${resourceToken}'
    location: location
    tags: tags
    controllerPrincipalId: identity.outputs.principalId
    secretNames: secretNames
    approvalLinkSecret: approvalLinkSecret
    notifyTeamsWebhookUrl: notifyTeamsWebhookUrl
    notifySlackWebhookUrl: notifySlackWebhookUrl
    notifyGenericWebhookUrl: notifyGenericWebhookUrl
  }
}

module durableTaskScheduler 'modules/durable-task-scheduler.bicep' = if (durableBackend == 'durableTaskScheduler') {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    name: 'dts-aml-rollout-${resourceToken}'
    taskHubName: taskHubName
    location: location
    tags: tags
    skuName: durableTaskSchedulerSku
    controllerPrincipalId: identity.outputs.principalId
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-aml-rollout-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    amlWorkspace: amlWorkspace
    logAnalyticsCustomerId: targetLogAnalytics.properties.customerId
    policyDir: policyDir
    publicBaseUrl: publicBaseUrl
    approvalLinkTtlMinutes: approvalLinkTtlMinutes
    trustAppServiceAuth: trustAppServiceAuth
    keyVaultName: keyVault.outputs.name
    secretNames: secretNames
    configuredNotifySettings: configuredNotifySettings
    durableBackend: durableBackend
    taskHubName: taskHubName
    durableTaskSchedulerEndpoint: durableBackend == 'durableTaskScheduler' ? durableTaskScheduler!.outputs.endpoint : ''
  }
}

// Outputs become azd environment values; the hooks read them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output API_BASE_URL string = functionApp.outputs.apiBaseUrl
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_ID string = functionApp.outputs.id
output CONTROLLER_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output CONTROLLER_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output HOST_STORAGE_ACCOUNT_ID string = storage.outputs.id
output DEAD_LETTER_CONTAINER_NAME string = storage.outputs.deadLetterContainerName
output KEY_VAULT_NAME string = keyVault.outputs.name
output APPLICATION_INSIGHTS_ID string = monitoring.outputs.appInsightsId
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_DASHBOARD_URL string = durableBackend == 'durableTaskScheduler' ? durableTaskScheduler!.outputs.dashboardUrl : ''
