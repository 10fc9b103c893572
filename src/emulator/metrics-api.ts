/**
 * Azure Monitor platform metrics for online endpoints, as MetricsClient.queryResources calls them
 * (POST /subscriptions/{s}/metrics:getBatch?metricnamespace=...&metricnames=...&starttime=...).
 * Computed from the same requests as the traffic log, visible after a short delay (Azure: under a
 * minute). Latency percentiles use the nearest-rank definition, like the KQL evaluator.
 */
import type { Clock } from '../ports/clock';
import type { ApiResponse } from './arm-api';
import { ServiceError } from './arm-errors';
import type { ArmState } from './arm-state';
import { nearestRank } from './kql/evaluator';
import { parseIsoDuration } from './iso-duration';
import type { TrafficLog } from './traffic-log';

export const ENDPOINT_METRICS_NAMESPACE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints';

const METRICS: Readonly<Record<string, { unit: string; percentile?: number; description: string }>> = {
  RequestsPerMinute: { unit: 'Count', description: 'The number of requests sent to the online endpoint within a minute.' },
  RequestLatency_P50: { unit: 'MilliSeconds', percentile: 50, description: 'The 50th percentile of request latency.' },
  RequestLatency_P90: { unit: 'MilliSeconds', percentile: 90, description: 'The 90th percentile of request latency.' },
  RequestLatency_P95: { unit: 'MilliSeconds', percentile: 95, description: 'The 95th percentile of request latency.' },
  RequestLatency_P99: { unit: 'MilliSeconds', percentile: 99, description: 'The 99th percentile of request latency.' },
};

type Dimension = 'deployment' | 'statusCodeClass' | 'modelStatusCode';
const DIMENSIONS: readonly Dimension[] = ['deployment', 'statusCodeClass', 'modelStatusCode'];

interface Filter {
  readonly dimension: Dimension;
  /** undefined: split by this dimension ('*'); otherwise keep only these values. */
  readonly values: readonly string[] | undefined;
}

/** `deployment eq '*'`, `deployment eq 'blue' or deployment eq 'green'`, joined with `and`. */
function parseFilter(text: string | null): Filter[] {
  if (text === null || text.trim() === '') return [];
  const byDimension = new Map<Dimension, string[] | undefined>();
  for (const clause of text.split(/\s+and\s+/i)) {
    for (const part of clause.replace(/^\s*\(|\)\s*$/g, '').split(/\s+or\s+/i)) {
      const m = /^\s*([A-Za-z]+)\s+eq\s+'([^']*)'\s*$/i.exec(part);
      const dimension = DIMENSIONS.find((d) => d.toLowerCase() === m?.[1]?.toLowerCase());
      if (!m || !dimension) {
        throw new ServiceError(400, 'BadRequest', `Invalid metric filter '${text}': use "<dimension> eq '<value>'" with dimensions ${DIMENSIONS.join(', ')}.`);
      }
      const value = m[2] ?? '';
      if (value === '*') byDimension.set(dimension, undefined);
      else if (!byDimension.has(dimension) || byDimension.get(dimension) !== undefined) byDimension.set(dimension, [...(byDimension.get(dimension) ?? []), value]);
    }
  }
  return [...byDimension].map(([dimension, values]) => ({ dimension, values }));
}

export class MetricsApi {
  constructor(
    private readonly deps: {
      readonly log: TrafficLog;
      readonly state: ArmState;
      readonly clock: Clock;
      readonly metricsDelayMs: number;
    },
  ) {}

  getBatch(subscriptionId: string, query: URLSearchParams, body: unknown, nowMs: number = this.deps.clock.now()): ApiResponse {
    if (subscriptionId.toLowerCase() !== this.deps.state.coords.subscriptionId.toLowerCase()) {
      throw new ServiceError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
    }
    const namespace = query.get('metricnamespace') ?? '';
    if (namespace.toLowerCase() !== ENDPOINT_METRICS_NAMESPACE.toLowerCase()) {
      throw new ServiceError(400, 'BadRequest', `Metric namespace '${namespace}' is not supported by the emulator; use '${ENDPOINT_METRICS_NAMESPACE}'.`);
    }
    const names = (query.get('metricnames') ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
    if (names.length === 0) throw new ServiceError(400, 'BadRequest', 'metricnames is required.');
    for (const name of names) {
      if (!METRICS[name]) throw new ServiceError(400, 'BadRequest', `Metric '${name}' is not supported by the emulator; supported: ${Object.keys(METRICS).join(', ')}.`);
    }
    const resourceIds = (body as { resourceids?: unknown } | undefined)?.resourceids;
    if (!Array.isArray(resourceIds) || resourceIds.length === 0 || !resourceIds.every((r) => typeof r === 'string')) {
      throw new ServiceError(400, 'BadRequest', 'The body must be { "resourceids": [ "<endpoint resource id>", ... ] }.');
    }
    const intervalText = query.get('interval') ?? 'PT1M';
    const intervalMs = parseIsoDuration(intervalText);
    if (intervalMs === undefined || intervalMs < 60_000) throw new ServiceError(400, 'BadRequest', `Invalid interval '${intervalText}' (ISO 8601 duration, at least PT1M).`);
    const endMs = query.get('endtime') ? Date.parse(query.get('endtime') ?? '') : nowMs;
    const startMs = query.get('starttime') ? Date.parse(query.get('starttime') ?? '') : endMs - 60 * 60_000;
    if (Number.isNaN(startMs) || Number.isNaN(endMs) || endMs < startMs) throw new ServiceError(400, 'BadRequest', 'starttime and endtime must be ISO 8601 times with starttime <= endtime.');
    const filters = parseFilter(query.get('filter'));
    const values = (resourceIds as string[]).map((resourceId) => this.forResource(resourceId, names, namespace, startMs, endMs, intervalMs, intervalText, filters, nowMs));
    return { status: 200, body: { values } };
  }

  private forResource(resourceId: string, names: readonly string[], namespace: string, startMs: number, endMs: number, intervalMs: number, intervalText: string, filters: readonly Filter[], nowMs: number): unknown {
    const m = /\/onlineEndpoints\/([^/]+)\/?$/i.exec(resourceId);
    if (!m?.[1]) throw new ServiceError(400, 'BadRequest', `Resource id '${resourceId}' is not an online endpoint id.`);
    const endpoint = m[1];
    const log = this.deps.log;
    const visibleUntilMs = nowMs - this.deps.metricsDelayMs;
    // Align buckets to the interval, as Azure does.
    const firstBucketMs = Math.floor(startMs / intervalMs) * intervalMs;
    const bucketCount = Math.max(0, Math.ceil((endMs - firstBucketMs) / intervalMs));
    // series key -> dimension values + per-bucket latencies
    const series = new Map<string, { dims: Record<string, string>; buckets: number[][] }>();
    const from = log.lowerBound(firstBucketMs);
    const to = Math.min(log.lowerBound(endMs), log.upperBound(visibleUntilMs));
    for (let i = from; i < to; i++) {
      const row = log.detail(i);
      if (row.endpoint !== endpoint) continue;
      const dims: Record<Dimension, string> = {
        deployment: row.deployment,
        statusCodeClass: `${Math.floor(row.responseCode / 100)}xx`,
        modelStatusCode: String(row.modelStatusCode),
      };
      if (filters.some((f) => f.values !== undefined && !f.values.includes(dims[f.dimension]))) continue;
      const split = filters.filter((f) => f.values === undefined).map((f) => f.dimension);
      const key = split.map((d) => dims[d]).join('\u0000');
      let entry = series.get(key);
      if (!entry) {
        entry = { dims: Object.fromEntries(split.map((d) => [d, dims[d]])), buckets: Array.from({ length: bucketCount }, () => []) };
        series.set(key, entry);
      }
      const bucket = Math.floor((log.timeAt(i) - firstBucketMs) / intervalMs);
      entry.buckets[bucket]?.push(row.totalDurationMs);
    }
    if (series.size === 0 && filters.every((f) => f.values !== undefined)) {
      series.set('', { dims: {}, buckets: Array.from({ length: bucketCount }, () => []) });
    }
    return {
      starttime: new Date(startMs).toISOString(),
      endtime: new Date(endMs).toISOString(),
      interval: intervalText,
      namespace,
      resourceregion: this.deps.state.coords.location,
      resourceid: resourceId,
      value: names.map((name) => {
        const spec = METRICS[name] ?? { unit: 'Count', description: '' };
        return {
          id: `${resourceId}/providers/Microsoft.Insights/metrics/${name}`,
          type: 'Microsoft.Insights/metrics',
          name: { value: name, localizedValue: name },
          displayDescription: spec.description,
          unit: spec.unit,
          errorCode: 'Success',
          timeseries: [...series.values()].map((s) => ({
            metadatavalues: Object.entries(s.dims).map(([k, v]) => ({ name: { value: k, localizedValue: k }, value: v })),
            data: s.buckets.map((latencies, b) => {
              const timeStamp = new Date(firstBucketMs + b * intervalMs).toISOString();
              if (spec.percentile === undefined) {
                const n = latencies.length;
                return { timeStamp, total: n, average: n, minimum: n, maximum: n, count: 1 };
              }
              if (latencies.length === 0) return { timeStamp };
              const sorted = [...latencies].sort((x, y) => x - y);
              const v = nearestRank(sorted, spec.percentile) ?? 0;
              return { timeStamp, average: v, minimum: v, maximum: v, total: v, count: 1 };
            }),
          })),
        };
      }),
    };
  }
}
