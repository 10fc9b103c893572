// The controller identity's read access to the Log Analytics workspace that receives the
// endpoints' AmlOnlineEndpointTrafficLog (deployed into that workspace's resource group).

param workspaceName string

@description('Principal id of the controller identity.')
param controllerPrincipalId string

var roleTable = loadJsonContent('../roles.json')
var logAnalyticsRoles = filter(roleTable.roles, role => role.scope == 'logAnalyticsWorkspace' && role.principal == 'controller')

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource logAnalyticsRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in logAnalyticsRoles: {
    name: guid(workspace.id, controllerPrincipalId, role.id)
    scope: workspace
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.id)
      principalId: controllerPrincipalId
      principalType: 'ServicePrincipal'
      description: 'aml-rollout: ${role.why}'
    }
  }
]
