/**
 * The ARM resource id of an Azure ML online endpoint, written once: the metrics look names the
 * endpoint by it (Azure Monitor takes resource ids), and the endpoint adapter puts it in the path
 * of its ARM requests (the "Online Endpoints - Get / Create Or Update" operations,
 * /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}/onlineEndpoints/{endpointName}).
 */

/** The coordinates of an endpoint (src/ports' EndpointRef has this shape; common imports no layer above it). */
interface EndpointCoordinates {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly endpoint: string;
}

function endpointPath(ref: EndpointCoordinates, segment: (name: string) => string): string {
  return (
    `/subscriptions/${segment(ref.subscriptionId)}/resourceGroups/${segment(ref.resourceGroup)}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${segment(ref.workspace)}/onlineEndpoints/${segment(ref.endpoint)}`
  );
}

/** The endpoint's resource id as Azure names the resource (what Azure Monitor's resource lists take). */
export function endpointResourceId(ref: EndpointCoordinates): string {
  return endpointPath(ref, (name) => name);
}

/**
 * The same id as a URL path: each name percent-encoded, so a name with a character a path cannot
 * carry stays one segment. For the names Azure accepts (letters, digits, - _ . and parentheses)
 * it equals `endpointResourceId`.
 */
export function endpointArmUrlPath(ref: EndpointCoordinates): string {
  return endpointPath(ref, encodeURIComponent);
}
