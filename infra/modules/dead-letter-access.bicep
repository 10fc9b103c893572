// Lets the Event Grid system topic's own identity write undeliverable events into the dead-letter
// container, and nothing else: the role is scoped to that one container. Needed because the host
// storage account accepts no shared keys.

param storageAccountName string
param containerName string

@description('Principal id of the system topic\'s system-assigned identity.')
param systemTopicPrincipalId string

var roleTable = loadJsonContent('../roles.json')
var deadLetterRoles = filter(roleTable.roles, role => role.scope == 'deadLetterContainer' && role.principal == 'eventGridSystemTopic')

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: storage::blobService
  name: containerName
}

resource deadLetterRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in deadLetterRoles: {
    name: guid(container.id, systemTopicPrincipalId, role.id)
    scope: container
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.id)
      principalId: systemTopicPrincipalId
      principalType: 'ServicePrincipal'
      description: 'aml-rollout: ${role.why}'
    }
  }
]
