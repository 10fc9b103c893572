// Sends each target online endpoint's resource logs to the Log Analytics workspace the gates
// query: AmlOnlineEndpointTrafficLog (request counts, status codes, latencies per deployment),
// AmlOnlineEndpointEventLog (probe failures, restarts) and AmlOnlineEndpointConsoleLog.
// Resource-specific tables ('Dedicated'), because the gate queries read AmlOnlineEndpointTrafficLog,
// not AzureDiagnostics.

param workspaceName string

@description('Names of existing online endpoints in the workspace.')
param endpointNames string[]

param logAnalyticsWorkspaceResourceId string

@description('Name of the diagnostic setting on each endpoint.')
param diagnosticSettingName string = 'aml-rollout'

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' existing = {
  name: workspaceName
}

resource endpoints 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints@2024-04-01' existing = [
  for endpointName in endpointNames: {
    parent: workspace
    name: endpointName
  }
]

resource endpointLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (endpointName, i) in endpointNames: {
    name: diagnosticSettingName
    scope: endpoints[i]
    properties: {
      workspaceId: logAnalyticsWorkspaceResourceId
      logAnalyticsDestinationType: 'Dedicated'
      logs: [
        {
          category: 'AmlOnlineEndpointTrafficLog'
          enabled: true
        }
        {
          category: 'AmlOnlineEndpointEventLog'
          enabled: true
        }
        {
          category: 'AmlOnlineEndpointConsoleLog'
          enabled: true
        }
      ]
      // No metrics export: the controller reads platform metrics from the metrics API directly.
    }
  }
]
