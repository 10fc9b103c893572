/**
 * PlatformMetricsSource over @azure/monitor-query-metrics (MetricsClient.queryResources): Azure
 * Monitor platform metrics of an online endpoint, under a minute behind (resource logs take 3-10).
 */
import type { MetricsClient } from '@azure/monitor-query-metrics';
import { AzureCallError, ValidationError } from '../errors';
import type {
  DeploymentMetricPoint,
  DeploymentMetricsQuery,
  DeploymentMetricsSource,
  EndpointRef,
  MetricsRow,
  PlatformMetricsQuery,
  PlatformMetricsSource,
} from '../ports';
import { callAzure, type AdapterContext } from './context';

export const ENDPOINT_METRICS_NAMESPACE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints';

const ENDPOINT_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/onlineEndpoints\/([^/]+)$/i;

export function parseEndpointResourceId(id: string): EndpointRef {
  const match = ENDPOINT_ID.exec(id.trim());
  if (!match) {
    throw new ValidationError(
      'endpointResourceId',
      `"${id}" is not an online endpoint id (/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/onlineEndpoints/{name})`,
    );
  }
  const [, subscriptionId = '', resourceGroup = '', workspace = '', endpoint = ''] = match;
  return { subscriptionId, resourceGroup, workspace, endpoint: decodeURIComponent(endpoint) };
}

export const DEPLOYMENT_METRICS_NAMESPACE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments';

const DEPLOYMENT_ID =
  /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/onlineEndpoints\/[^/]+)\/deployments\/([^/]+)$/i;

export function parseDeploymentResourceId(id: string): { ref: EndpointRef; deployment: string } {
  const match = DEPLOYMENT_ID.exec(id.trim());
  if (!match) {
    throw new ValidationError(
      'deploymentResourceId',
      `"${id}" is not an online deployment id (/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/onlineEndpoints/{name}/deployments/{deployment})`,
    );
  }
  return { ref: parseEndpointResourceId(match[1] ?? ''), deployment: decodeURIComponent(match[2] ?? '') };
}

export interface AzureMonitorPlatformMetricsDeps {
  readonly context: AdapterContext;
  /** A client for a metrics data-plane URL. */
  readonly metricsClient: (endpoint: string) => MetricsClient;
  /** The configured METRICS_ENDPOINT; undefined = the endpoint region's https://{region}.metrics.monitor.azure.com. */
  readonly metricsEndpoint: string | undefined;
  readonly endpointLocation: (ref: EndpointRef) => Promise<string>;
}

const AGGREGATION_FIELD = { Average: 'average', Total: 'total', Maximum: 'maximum', Minimum: 'minimum', Count: 'count' } as const;

export class AzureMonitorPlatformMetrics implements PlatformMetricsSource, DeploymentMetricsSource {
  readonly #regions = new Map<string, string>();
  constructor(private readonly deps: AzureMonitorPlatformMetricsDeps) {}

  async #endpointUrl(ref: EndpointRef): Promise<string> {
    if (this.deps.metricsEndpoint !== undefined) return this.deps.metricsEndpoint;
    const key = `${ref.subscriptionId}/${ref.resourceGroup}/${ref.workspace}/${ref.endpoint}`.toLowerCase();
    let region = this.#regions.get(key);
    if (region === undefined) {
      region = (await this.deps.endpointLocation(ref)).replace(/\s+/g, '').toLowerCase();
      this.#regions.set(key, region);
    }
    return `https://${region}.metrics.monitor.azure.com`;
  }

  async queryEndpointMetrics(endpointResourceId: string, query: PlatformMetricsQuery): Promise<readonly MetricsRow[]> {
    const ref = parseEndpointResourceId(endpointResourceId);
    const points = await this.#query(ref, endpointResourceId, ENDPOINT_METRICS_NAMESPACE, query, query.byDeployment);
    return points.map((p) => ({
      metric: p.metric,
      timestamp: p.timestamp,
      deployment: query.byDeployment ? p.deployment : null,
      value: p.value,
    }));
  }

  /** CPU / memory utilization and capacity of one deployment (its own resource in Azure Monitor). */
  async queryDeploymentMetrics(deploymentResourceId: string, query: DeploymentMetricsQuery): Promise<readonly DeploymentMetricPoint[]> {
    const { ref } = parseDeploymentResourceId(deploymentResourceId);
    const points = await this.#query(ref, deploymentResourceId, DEPLOYMENT_METRICS_NAMESPACE, query, false);
    return points.map((p) => ({ metric: p.metric, timestamp: p.timestamp, value: p.value }));
  }

  async #query(
    ref: EndpointRef,
    resourceId: string,
    namespace: string,
    query: DeploymentMetricsQuery,
    byDeployment: boolean,
  ): Promise<(DeploymentMetricPoint & { deployment: string | null })[]> {
    if (query.metricNames.length === 0) throw new ValidationError('query.metricNames', 'name at least one metric');
    if (!(query.toMs > query.fromMs)) throw new ValidationError('query.toMs', 'must be after fromMs');
    if (!/^P(T?\d+[HMSD]|\d+D)$|^FULL$/i.test(query.granularity))
      throw new ValidationError('query.granularity', `"${query.granularity}" is not an ISO 8601 grain such as PT1M`);
    const field = AGGREGATION_FIELD[query.aggregation];
    if (field === undefined)
      throw new ValidationError(
        'query.aggregation',
        `"${String(query.aggregation)}" is not one of ${Object.keys(AGGREGATION_FIELD).join(', ')}`,
      );
    const client = this.deps.metricsClient(await this.#endpointUrl(ref));
    const operation = 'queryPlatformMetrics';
    return callAzure(this.deps.context, operation, async () => {
      const results = await client.queryResources([resourceId], [...query.metricNames], namespace, {
        startTime: new Date(query.fromMs),
        endTime: new Date(query.toMs),
        interval: query.granularity,
        aggregation: field,
        // Without a filter on the dimension Azure sums all deployments into one series.
        filter: byDeployment ? "deployment eq '*'" : undefined,
        top: byDeployment ? 50 : undefined,
      });
      const rows: (DeploymentMetricPoint & { deployment: string | null })[] = [];
      for (const result of results) {
        for (const metric of result.metrics) {
          // The SDK turns `name` into its localized display text ("Request latency P95"): take the
          // requested name back from the metric id, which ends in /metrics/{name}.
          const name =
            query.metricNames.find((candidate) => metric.id.toLowerCase().endsWith(`/${candidate.toLowerCase()}`)) ?? metric.name;
          if (metric.errorCode && metric.errorCode.toLowerCase() !== 'success') {
            throw new AzureCallError('Transient', operation, `metric ${name}: ${metric.errorCode} ${metric.errorMessage ?? ''}`.trim(), {
              retryable: true,
            });
          }
          for (const series of metric.timeseries) {
            const deployment = series.metadatavalues?.find((entry) => (entry.name ?? '').toLowerCase() === 'deployment')?.value ?? null;
            for (const point of series.data ?? []) {
              const value = point[field];
              rows.push({
                metric: name,
                timestamp: point.timeStamp.toISOString(),
                deployment,
                value: typeof value === 'number' && Number.isFinite(value) ? value : null,
              });
            }
          }
        }
      }
      return rows;
    });
  }
}
