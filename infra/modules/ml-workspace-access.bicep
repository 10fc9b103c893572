// The controller identity's roles on the target Azure ML workspace (deployed into the workspace's
// resource group by workload.bicep). Workspace scope is inherited by its online endpoints, their
// deployments and their platform metrics.

param workspaceName string

@description('Principal id of the controller identity.')
param controllerPrincipalId string

var roleTable = loadJsonContent('../roles.json')
var workspaceRoles = filter(roleTable.roles, role => role.scope == 'mlWorkspace' && role.principal == 'controller')

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' existing = {
  name: workspaceName
}

resource workspaceRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in workspaceRoles: {
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
