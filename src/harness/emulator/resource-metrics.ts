/**
 * Azure Monitor platform metrics of online deployments (namespace
 * Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments), as
 * MetricsClient.queryResources asks for them: POST /subscriptions/{s}/metrics:getBatch with the
 * deployments' resource ids.
 *
 * Azure reports CpuUtilizationPercentage and CpuMemoryUtilizationPercentage per instance at one-
 * minute intervals, and DeploymentCapacity as the number of instances. Here each minute's
 * utilization follows from the model version's resource profile (types.ts) and the requests the
 * deployment served in that minute (live, mirrored and pinned alike: a mirrored request loads the
 * instance like a live one), spread evenly over its instances. A minute is reported only once it
 * has ended and the platform's reporting delay has passed.
 *
 * Simplification: the instance count is the deployment's current sku.capacity for every minute
 * (the emulator keeps no scale history).
 */
import { ServiceError } from './arm-errors';
import type { ApiResponse } from './arm-api';
import type { ArmState, DeploymentRecord } from './arm-state';
import type { BehaviorBook } from './behavior';
import { parseIsoDuration } from './iso-duration';
import type { TrafficLog } from './traffic-log';
import { resourceProfileSchema, type ResourceProfile } from './types';

const DEPLOYMENT_METRICS_NAMESPACE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments';

const DEFAULT_RESOURCE_PROFILE: ResourceProfile = resourceProfileSchema.parse({});

type DeploymentMetric =
  | 'CpuUtilizationPercentage'
  | 'CpuMemoryUtilizationPercentage'
  | 'GpuUtilizationPercentage'
  | 'GpuMemoryUtilizationPercentage'
  | 'DeploymentCapacity';

const METRICS: Readonly<Record<DeploymentMetric, { unit: string; description: string }>> = {
  CpuUtilizationPercentage: {
    unit: 'Percent',
    description: 'Percentage of CPU utilization on an instance. Utilization is reported at one minute intervals.',
  },
  CpuMemoryUtilizationPercentage: {
    unit: 'Percent',
    description: 'Percentage of memory utilization on an instance. Utilization is reported at one minute intervals.',
  },
  GpuUtilizationPercentage: {
    unit: 'Percent',
    description: 'Percentage of GPU utilization on an instance. Utilization is reported at one minute intervals.',
  },
  GpuMemoryUtilizationPercentage: {
    unit: 'Percent',
    description: 'Percentage of GPU memory utilization on an instance. Utilization is reported at one minute intervals.',
  },
  DeploymentCapacity: { unit: 'Count', description: 'The number of instances in the deployment.' },
};

const isDeploymentMetric = (name: string): name is DeploymentMetric => Object.hasOwn(METRICS, name);

/** True when a getBatch call asks for deployment metrics (the route hook in emulator.ts). */
export function isDeploymentMetricsQuery(query: URLSearchParams): boolean {
  return (query.get('metricnamespace') ?? '').toLowerCase() === DEPLOYMENT_METRICS_NAMESPACE.toLowerCase();
}

/** Utilization of one instance serving `requestsPerInstancePerMinute`, capped at 100%. */
function utilizationPercent(
  profile: ResourceProfile,
  requestsPerInstancePerMinute: number,
): Record<Exclude<DeploymentMetric, 'DeploymentCapacity'>, number> {
  const use = (base: number, perRequest: number): number => Math.min(100, base + perRequest * requestsPerInstancePerMinute);
  return {
    CpuUtilizationPercentage: use(profile.cpuBasePercent, profile.cpuPercentPerRequest),
    CpuMemoryUtilizationPercentage: use(profile.memoryBasePercent, profile.memoryPercentPerRequest),
    GpuUtilizationPercentage: use(profile.gpuBasePercent, profile.gpuPercentPerRequest),
    GpuMemoryUtilizationPercentage: use(profile.gpuMemoryBasePercent, profile.gpuMemoryPercentPerRequest),
  };
}

/**
 * Azure's GPU virtual machine sizes are the N-series (NC, ND, NG, NV: Standard_NC6s_v3...); the
 * GPU metrics have data only on them. A CPU instance type reports the GPU metrics without values.
 */
const hasGpu = (instanceType: string): boolean => /^Standard_N/i.test(instanceType);

export class DeploymentMetricsApi {
  constructor(
    private readonly deps: {
      readonly log: TrafficLog;
      readonly state: ArmState;
      readonly behaviors: BehaviorBook;
      readonly metricsDelayMs: number;
    },
  ) {}

  getBatch(subscriptionId: string, query: URLSearchParams, body: unknown, nowMs: number): ApiResponse {
    if (subscriptionId.toLowerCase() !== this.deps.state.coords.subscriptionId.toLowerCase()) {
      throw new ServiceError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
    }
    const names = (query.get('metricnames') ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    if (names.length === 0) throw new ServiceError(400, 'BadRequest', 'metricnames is required.');
    const metrics: DeploymentMetric[] = [];
    for (const name of names) {
      if (!isDeploymentMetric(name))
        throw new ServiceError(
          400,
          'BadRequest',
          `Metric '${name}' is not supported by the emulator for ${DEPLOYMENT_METRICS_NAMESPACE}; supported: ${Object.keys(METRICS).join(', ')}.`,
        );
      metrics.push(name);
    }
    const filter = query.get('filter');
    if (filter !== null && filter.trim() !== '') {
      throw new ServiceError(
        400,
        'BadRequest',
        `Invalid metric filter '${filter}': the emulator serves deployment metrics averaged over instances, without dimension filters.`,
      );
    }
    const resourceIds = (body as { resourceids?: unknown } | undefined)?.resourceids;
    if (!Array.isArray(resourceIds) || resourceIds.length === 0 || !resourceIds.every((r) => typeof r === 'string')) {
      throw new ServiceError(400, 'BadRequest', 'The body must be { "resourceids": [ "<deployment resource id>", ... ] }.');
    }
    const intervalText = query.get('interval') ?? 'PT1M';
    const intervalMs = parseIsoDuration(intervalText);
    if (intervalMs === undefined || intervalMs < 60_000 || intervalMs % 60_000 !== 0) {
      throw new ServiceError(400, 'BadRequest', `Invalid interval '${intervalText}' (ISO 8601 duration of whole minutes, at least PT1M).`);
    }
    const endMs = query.get('endtime') ? Date.parse(query.get('endtime') ?? '') : nowMs;
    const startMs = query.get('starttime') ? Date.parse(query.get('starttime') ?? '') : endMs - 60 * 60_000;
    if (Number.isNaN(startMs) || Number.isNaN(endMs) || endMs < startMs)
      throw new ServiceError(400, 'BadRequest', 'starttime and endtime must be ISO 8601 times with starttime <= endtime.');
    const values = (resourceIds as string[]).map((id) => this.forDeployment(id, metrics, startMs, endMs, intervalMs, intervalText, nowMs));
    return { status: 200, body: { values } };
  }

  private deploymentOf(resourceId: string): DeploymentRecord {
    const m = /\/onlineEndpoints\/([^/]+)\/deployments\/([^/]+)\/?$/i.exec(resourceId);
    if (!m?.[1] || !m[2])
      throw new ServiceError(
        400,
        'BadRequest',
        `Resource id '${resourceId}' is not an online deployment id (.../onlineEndpoints/{endpoint}/deployments/{deployment}).`,
      );
    const endpoint = m[1].toLowerCase();
    const name = m[2].toLowerCase();
    for (const [endpointName, deployments] of this.deps.state.deployments) {
      if (endpointName.toLowerCase() !== endpoint) continue;
      for (const record of deployments.values()) if (record.name.toLowerCase() === name) return record;
    }
    throw new ServiceError(404, 'ResourceNotFound', `The resource '${resourceId}' was not found.`);
  }

  private forDeployment(
    resourceId: string,
    metrics: readonly DeploymentMetric[],
    startMs: number,
    endMs: number,
    intervalMs: number,
    intervalText: string,
    nowMs: number,
  ): unknown {
    const record = this.deploymentOf(resourceId);
    const log = this.deps.log;
    const firstBucketMs = Math.floor(startMs / intervalMs) * intervalMs;
    const bucketCount = Math.max(0, Math.ceil((endMs - firstBucketMs) / intervalMs));
    // Requests per one-minute slot: utilization is per minute, then averaged over the interval.
    const minutesPerBucket = intervalMs / 60_000;
    const perMinute = new Array<number>(bucketCount * minutesPerBucket).fill(0);
    const from = log.lowerBound(firstBucketMs);
    const to = log.lowerBound(Math.min(endMs, firstBucketMs + bucketCount * intervalMs));
    for (let i = from; i < to; i++) {
      const row = log.detail(i);
      if (row.endpoint !== record.endpoint || row.deployment !== record.name) continue;
      const slot = Math.floor((log.timeAt(i) - firstBucketMs) / 60_000);
      if (slot >= 0 && slot < perMinute.length) perMinute[slot] = (perMinute[slot] ?? 0) + 1;
    }
    const profile = this.deps.behaviors.get(record.effectiveModelKey).resources ?? DEFAULT_RESOURCE_PROFILE;
    const instances = record.sku.capacity;
    // A minute is reported once it has ended and the platform's delay has passed; nothing is
    // reported before the deployment first became ready.
    const reported = (minuteStartMs: number): boolean =>
      minuteStartMs + 60_000 + this.deps.metricsDelayMs <= nowMs && record.ready && minuteStartMs + 60_000 > record.createdAtMs;
    return {
      starttime: new Date(startMs).toISOString(),
      endtime: new Date(endMs).toISOString(),
      interval: intervalText,
      namespace: DEPLOYMENT_METRICS_NAMESPACE,
      resourceregion: record.location,
      resourceid: resourceId,
      value: metrics.map((name) => ({
        id: `${resourceId}/providers/Microsoft.Insights/metrics/${name}`,
        type: 'Microsoft.Insights/metrics',
        name: { value: name, localizedValue: name },
        displayDescription: METRICS[name].description,
        unit: METRICS[name].unit,
        errorCode: 'Success',
        timeseries: [
          {
            metadatavalues: [],
            data: Array.from({ length: bucketCount }, (_, b) => {
              const bucketStartMs = firstBucketMs + b * intervalMs;
              const timeStamp = new Date(bucketStartMs).toISOString();
              const samples: number[] = [];
              for (let k = 0; k < minutesPerBucket; k++) {
                const minuteStartMs = bucketStartMs + k * 60_000;
                if (!reported(minuteStartMs)) continue;
                const requests = perMinute[b * minutesPerBucket + k] ?? 0;
                if (name === 'DeploymentCapacity') {
                  samples.push(instances);
                  continue;
                }
                if (
                  (name === 'GpuUtilizationPercentage' || name === 'GpuMemoryUtilizationPercentage') &&
                  !hasGpu(String(record.properties['instanceType'] ?? ''))
                )
                  continue;
                samples.push(utilizationPercent(profile, requests / instances)[name]);
              }
              if (samples.length === 0) return { timeStamp };
              const average = samples.reduce((sum, v) => sum + v, 0) / samples.length;
              return {
                timeStamp,
                average,
                minimum: Math.min(...samples),
                maximum: Math.max(...samples),
                total: samples.reduce((sum, v) => sum + v, 0),
                count: samples.length,
              };
            }),
          },
        ],
      })),
    };
  }
}
