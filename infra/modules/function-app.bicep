// The controller: a Linux Flex Consumption Function App (Node 22) running as the user-assigned
// identity, and its app settings. The settings named in src/config/index.ts (SETTING_NAMES minus
// LOCAL_ONLY_SETTINGS) are all set here; test/infra holds the two lists together.

param name string
param planName string
param location string
param tags object = {}

@description('Resource id, client id of the controller\'s user-assigned identity.')
param identityId string
param identityClientId string

@description('Host storage account (AzureWebJobsStorage, deployment package).')
param storageAccountName string
param storageBlobEndpoint string
param deploymentContainerName string

param appInsightsConnectionString string

@description('Node.js major version of the Functions runtime.')
@allowed([
  '22'
])
param nodeVersion string = '22'

@description('Upper bound on Flex Consumption instances (also bounds concurrent rollouts\' activity throughput).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// ---- controller settings (src/config) ----

@description('Target Azure ML workspace.')
param amlWorkspace {
  subscriptionId: string
  resourceGroup: string
  name: string
}

@description('Customer id (GUID) of the Log Analytics workspace that receives AmlOnlineEndpointTrafficLog.')
param logAnalyticsCustomerId string

@description('Folder of policy files, relative to the deployed app root (the policies/ folder ships with the package).')
param policyDir string

@description('Public base URL used in approval links; empty means https://<default host name>.')
param publicBaseUrl string = ''

@minValue(1)
param approvalLinkTtlMinutes int

@description('Believe App Service authentication\'s principal headers (only effective with App Service authentication on).')
param trustAppServiceAuth bool = false

@description('Key Vault holding the secrets, and the secret name of each secret setting.')
param keyVaultName string
param secretNames {
  APPROVAL_LINK_SECRET: string
  NOTIFY_TEAMS_WEBHOOK_URL: string
  NOTIFY_SLACK_WEBHOOK_URL: string
  NOTIFY_GENERIC_WEBHOOK_URL: string
}

@description('Which NOTIFY_* settings have a secret in the vault (the others stay unset).')
param configuredNotifySettings string[] = []

// ---- Durable Functions backend ----

@allowed([
  'azureStorage'
  'durableTaskScheduler'
])
param durableBackend string = 'azureStorage'

@description('Task hub name; the same name as host.json\'s extensions.durableTask.hubName by default.')
param taskHubName string

@description('Durable Task Scheduler endpoint; required when durableBackend is durableTaskScheduler.')
param durableTaskSchedulerEndpoint string = ''

// Versionless reference: the app picks up a rotated secret (see docs/deploy.md).
func keyVaultReference(vaultName string, secretName string) string => '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=${secretName})'

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the service's deployment target by this tag.
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// Deployments go through Entra ID (azd, az functionapp deploy); publishing passwords stay off.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// Identity-based host storage and telemetry. Flex Consumption sets the runtime from
// functionAppConfig, so FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION /
// WEBSITE_RUN_FROM_PACKAGE are deliberately absent (they are deprecated on this plan).
var hostSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// The names of src/config/index.ts settingsSchema. Secrets are Key Vault references.
var controllerSettings = {
  AZURE_SUBSCRIPTION_ID: amlWorkspace.subscriptionId
  AZURE_RESOURCE_GROUP: amlWorkspace.resourceGroup
  AML_WORKSPACE_NAME: amlWorkspace.name
  LOG_ANALYTICS_WORKSPACE_ID: logAnalyticsCustomerId
  AZURE_CLIENT_ID: identityClientId
  POLICY_DIR: policyDir
  PUBLIC_BASE_URL: empty(publicBaseUrl) ? 'https://${site.properties.defaultHostName}' : publicBaseUrl
  APPROVAL_LINK_SECRET: keyVaultReference(keyVaultName, secretNames.APPROVAL_LINK_SECRET)
  APPROVAL_LINK_TTL_MINUTES: string(approvalLinkTtlMinutes)
  TRUST_APP_SERVICE_AUTH: trustAppServiceAuth ? 'true' : 'false'
}

// Optional notifiers: a setting exists only when its webhook URL was given.
var notifyTeamsSettings = contains(configuredNotifySettings, 'NOTIFY_TEAMS_WEBHOOK_URL') ? {
  NOTIFY_TEAMS_WEBHOOK_URL: keyVaultReference(keyVaultName, secretNames.NOTIFY_TEAMS_WEBHOOK_URL)
} : {}
var notifySlackSettings = contains(configuredNotifySettings, 'NOTIFY_SLACK_WEBHOOK_URL') ? {
  NOTIFY_SLACK_WEBHOOK_URL: keyVaultReference(keyVaultName, secretNames.NOTIFY_SLACK_WEBHOOK_URL)
} : {}
var notifyGenericSettings = contains(configuredNotifySettings, 'NOTIFY_GENERIC_WEBHOOK_URL') ? {
  NOTIFY_GENERIC_WEBHOOK_URL: keyVaultReference(keyVaultName, secretNames.NOTIFY_GENERIC_WEBHOOK_URL)
} : {}

// The Durable Task Scheduler is selected by overriding host.json through app settings
// (AzureFunctionsJobHost__<path>), so one host.json serves both backends.
var durableSettings = durableBackend == 'durableTaskScheduler' ? {
  TASKHUB_NAME: taskHubName
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
  AzureFunctionsJobHost__extensions__durableTask__hubName: taskHubName
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
} : {
  AzureFunctionsJobHost__extensions__durableTask__hubName: taskHubName
}

// A separate config resource (not siteConfig.appSettings) because PUBLIC_BASE_URL needs the
// site's own host name.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(hostSettings, controllerSettings, notifyTeamsSettings, notifySlackSettings, notifyGenericSettings, durableSettings)
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output apiBaseUrl string = 'https://${site.properties.defaultHostName}/api'
