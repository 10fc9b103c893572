// Secrets of the controller: the approval-link signing secret and the notification webhook URLs
// (a webhook URL is a bearer credential). The app reads them through Key Vault references
// resolved with its user-assigned identity, so the values never appear in app settings, in the
// deployment history or in `az functionapp config appsettings list`.

@minLength(3)
@maxLength(24)
param name string
param location string
param tags object = {}

@description('Principal id of the controller identity (gets Key Vault Secrets User).')
param controllerPrincipalId string

@description('Secret names, by app setting name (see main.bicep).')
param secretNames {
  APPROVAL_LINK_SECRET: string
  NOTIFY_TEAMS_WEBHOOK_URL: string
  NOTIFY_SLACK_WEBHOOK_URL: string
  NOTIFY_GENERIC_WEBHOOK_URL: string
}

@secure()
@minLength(32)
param approvalLinkSecret string

@secure()
param notifyTeamsWebhookUrl string = ''

@secure()
param notifySlackWebhookUrl string = ''

@secure()
param notifyGenericWebhookUrl string = ''

var roleTable = loadJsonContent('../roles.json')
var keyVaultRoles = filter(roleTable.roles, role => role.scope == 'keyVault' && role.principal == 'controller')

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC, not access policies: the same role model as every other resource here.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    // Purge protection stays off so that `azd down --purge` can remove the vault and free its name.
    publicNetworkAccess: 'Enabled'
  }
}

resource approvalLinkSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: secretNames.APPROVAL_LINK_SECRET
  properties: {
    value: approvalLinkSecret
    contentType: 'HMAC-SHA256 key for signed approval links'
  }
}

resource notifyTeamsSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(notifyTeamsWebhookUrl)) {
  parent: vault
  name: secretNames.NOTIFY_TEAMS_WEBHOOK_URL
  properties: {
    value: notifyTeamsWebhookUrl
    contentType: 'Microsoft Teams incoming webhook or Workflows URL'
  }
}

resource notifySlackSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(notifySlackWebhookUrl)) {
  parent: vault
  name: secretNames.NOTIFY_SLACK_WEBHOOK_URL
  properties: {
    value: notifySlackWebhookUrl
    contentType: 'Slack incoming webhook URL'
  }
}

resource notifyGenericSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(notifyGenericWebhookUrl)) {
  parent: vault
  name: secretNames.NOTIFY_GENERIC_WEBHOOK_URL
  properties: {
    value: notifyGenericWebhookUrl
    contentType: 'Generic JSON webhook URL'
  }
}

resource keyVaultRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in keyVaultRoles: {
    name: guid(vault.id, controllerPrincipalId, role.id)
    scope: vault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.id)
      principalId: controllerPrincipalId
      principalType: 'ServicePrincipal'
      description: 'aml-rollout: ${role.why}'
    }
  }
]

output id string = vault.id
output name string = vault.name
