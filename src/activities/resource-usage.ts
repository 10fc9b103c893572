/**
 * Reads what the resource analysis (src/analysis/resources.ts) needs from Azure Monitor platform
 * metrics: per minute, the requests a deployment served (the endpoint's RequestsPerMinute split by
 * deployment) and the deployment's CpuUtilizationPercentage, CpuMemoryUtilizationPercentage,
 * GpuUtilizationPercentage, GpuMemoryUtilizationPercentage and DeploymentCapacity. A minute the platform has not reported is kept with nulls, so the analysis
 * can say "inconclusive" rather than see an idle deployment.
 */
import type { DeploymentUsage, ResourceMinute } from '../analysis/resources';
import type { DeploymentMetricsSource, PlatformMetricsSource } from '../ports';

export interface UsageWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export async function readDeploymentUsage(
  metrics: PlatformMetricsSource & DeploymentMetricsSource,
  endpointResourceId: string,
  deployment: { readonly name: string; readonly instanceType: string },
  window: UsageWindow,
): Promise<DeploymentUsage> {
  const grain = { fromMs: window.fromMs, toMs: window.toMs, granularity: 'PT1M' } as const;
  const [requests, usage] = await Promise.all([
    metrics.queryEndpointMetrics(endpointResourceId, {
      ...grain,
      metricNames: ['RequestsPerMinute'],
      aggregation: 'Total',
      byDeployment: true,
    }),
    metrics.queryDeploymentMetrics(`${endpointResourceId}/deployments/${deployment.name}`, {
      ...grain,
      // The GPU metrics have values only on GPU instance types; elsewhere they come back empty (null).
      metricNames: [
        'CpuUtilizationPercentage',
        'CpuMemoryUtilizationPercentage',
        'GpuUtilizationPercentage',
        'GpuMemoryUtilizationPercentage',
        'DeploymentCapacity',
      ],
      aggregation: 'Average',
    }),
  ]);
  const byMinute = new Map<
    string,
    { cpu: number | null; memory: number | null; gpu: number | null; gpuMemory: number | null; instances: number | null }
  >();
  for (const point of usage) {
    const entry = byMinute.get(point.timestamp) ?? { cpu: null, memory: null, gpu: null, gpuMemory: null, instances: null };
    if (point.metric === 'CpuUtilizationPercentage') entry.cpu = point.value;
    else if (point.metric === 'CpuMemoryUtilizationPercentage') entry.memory = point.value;
    else if (point.metric === 'GpuUtilizationPercentage') entry.gpu = point.value;
    else if (point.metric === 'GpuMemoryUtilizationPercentage') entry.gpuMemory = point.value;
    else if (point.metric === 'DeploymentCapacity') entry.instances = point.value;
    byMinute.set(point.timestamp, entry);
  }
  const served = new Map<string, number>();
  for (const row of requests) {
    if (row['deployment'] === deployment.name && typeof row['value'] === 'number' && typeof row['timestamp'] === 'string')
      served.set(row['timestamp'], row['value']);
  }
  const minutes: ResourceMinute[] = [...byMinute.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([timestamp, m]) => ({
      requests: served.get(timestamp) ?? 0,
      instances: m.instances,
      cpuPercent: m.cpu,
      memoryPercent: m.memory,
      gpuPercent: m.gpu,
      gpuMemoryPercent: m.gpuMemory,
    }));
  return { deployment: deployment.name, instanceType: deployment.instanceType, minutes };
}
