// Optional Durable Functions backend: a Durable Task Scheduler and one task hub. Deployed only
// when main.bicep's durableBackend is 'durableTaskScheduler'; the Function App then selects it
// through app settings (see function-app.bicep), so host.json stays the same for both backends.

@minLength(3)
@maxLength(64)
param name string

@minLength(3)
@maxLength(64)
param taskHubName string

param location string
param tags object = {}

@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string = 'Consumption'

@description('Capacity units; only used by the Dedicated SKU.')
@minValue(1)
param dedicatedCapacity int = 1

@description('Addresses allowed to reach the scheduler. An empty list denies everything, including the app.')
@minLength(1)
param ipAllowlist string[] = [
  '0.0.0.0/0'
]

@description('Principal id of the controller identity (gets Durable Task Data Contributor).')
param controllerPrincipalId string

var roleTable = loadJsonContent('../roles.json')
var schedulerRoles = filter(roleTable.roles, role => role.scope == 'durableTaskScheduler' && role.principal == 'controller')

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    sku: skuName == 'Dedicated' ? {
      name: skuName
      capacity: dedicatedCapacity
    } : {
      name: skuName
    }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
  properties: {}
}

resource schedulerRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in schedulerRoles: {
    name: guid(scheduler.id, controllerPrincipalId, role.id)
    scope: scheduler
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.id)
      principalId: controllerPrincipalId
      principalType: 'ServicePrincipal'
      description: 'aml-rollout: ${role.why}'
    }
  }
]

output id string = scheduler.id
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
output dashboardUrl string = taskHub.properties.dashboardUrl
