/**
 * The Azure built-in roles the controller's managed identity needs, with the role definition ids
 * Microsoft publishes for them and the scope (a key of infra/roles.json "scopes") each is granted at.
 * Ids: "Azure built-in roles" on learn.microsoft.com, by category:
 *   AI + machine learning  https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning
 *   Monitor                https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/monitor
 *   Storage                https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage
 * Built-in role ids are the same in every tenant, so a wrong id in infra/roles.json is a real defect.
 * Kept here, independent of infra/roles.json, so the test compares two sources rather than one with itself.
 */
export const REQUIRED_BUILT_IN_ROLES: readonly { name: string; id: string; scope: string }[] = [
  // Read endpoints and deployments, set traffic, create and delete deployments.
  { name: 'AzureML Data Scientist', id: 'f6c7c914-8db3-469d-8ca1-694a8f32e121', scope: 'mlWorkspace' },
  // Run the KQL gate queries over AmlOnlineEndpointTrafficLog.
  { name: 'Log Analytics Reader', id: '73c42c96-874c-492b-b04d-ab87d138a893', scope: 'logAnalyticsWorkspace' },
  // Read the endpoints' platform metrics.
  { name: 'Monitoring Reader', id: '43d0d8ad-25c7-4714-9337-8ba259a9fe05', scope: 'mlWorkspace' },
  // Identity-based AzureWebJobsStorage and the Durable task hub.
  { name: 'Storage Blob Data Owner', id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', scope: 'hostStorage' },
  { name: 'Storage Queue Data Contributor', id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88', scope: 'hostStorage' },
  { name: 'Storage Table Data Contributor', id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', scope: 'hostStorage' },
  // Entra ID authenticated telemetry ingestion.
  { name: 'Monitoring Metrics Publisher', id: '3913510d-42f4-4e42-8a64-420c390055eb', scope: 'appInsights' },
];
