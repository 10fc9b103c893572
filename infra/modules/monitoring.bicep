// Telemetry for the controller itself: a Log Analytics workspace and a workspace-based
// Application Insights that accepts only Entra ID authenticated ingestion. (The *target*
// workspace that receives the endpoints' traffic logs is a parameter of main.bicep, not this.)

param logAnalyticsName string
param appInsightsName string
param location string
param tags object = {}

@description('Principal id of the controller identity (gets Monitoring Metrics Publisher).')
param controllerPrincipalId string

@description('Days the app\'s own logs are kept.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

var roleTable = loadJsonContent('../roles.json')
var appInsightsRoles = filter(roleTable.roles, role => role.scope == 'appInsights' && role.principal == 'controller')

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Instrumentation-key ingestion is off: the app authenticates with its managed identity
    // (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), so a leaked connection string cannot be used to write.
    DisableLocalAuth: true
  }
}

resource appInsightsRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in appInsightsRoles: {
    name: guid(appInsights.id, controllerPrincipalId, role.id)
    scope: appInsights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.id)
      principalId: controllerPrincipalId
      principalType: 'ServicePrincipal'
      description: 'aml-rollout: ${role.why}'
    }
  }
]

output logAnalyticsId string = logAnalytics.id
output appInsightsId string = appInsights.id
output appInsightsName string = appInsights.name
output appInsightsConnectionString string = appInsights.properties.ConnectionString
