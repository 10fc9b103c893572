/**
 * Azure Monitor platform metrics for online endpoints, as MetricsClient.queryResources calls them
 * (POST /subscriptions/{s}/metrics:getBatch?metricnamespace=...&metricnames=...&starttime=...).
 * Computed from the same requests as the traffic log, visible after a short delay (Azure: under a
 * minute). Latency percentiles use the nearest-rank definition, like the KQL evaluator.
 */
import type { Clock } from '../../ports/clock';
import type { ApiResponse } from './arm-api';
import { ServiceError } from './arm-errors';
import type { ArmState } from './arm-state';
import { nearestRank } from './kql/evaluator';
import { parseIsoDuration } from './iso-duration';
import type { TrafficLog } from './traffic-log';

const MINUTE_MS = 60_000;

export const ENDPOINT_METRICS_NAMESPACE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints';

/** The aggregations Azure Monitor's metrics API takes in `aggregation` (and names the data point fields after). */
export const AGGREGATIONS = ['Average', 'Minimum', 'Maximum', 'Total', 'Count'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

type Dimension = 'deployment' | 'statusCode' | 'statusCodeClass' | 'modelStatusCode';
const ALL_DIMENSIONS: readonly Dimension[] = ['deployment', 'statusCode', 'statusCodeClass', 'modelStatusCode'];

/** One traffic log row as the metrics see it. */
export interface MetricRequest {
  readonly dims: Readonly<Record<Dimension, string>>;
  readonly totalDurationMs: number;
}

/**
 * One platform metric, as the Azure Monitor "supported metrics" reference for
 * Microsoft.MachineLearningServices/workspaces/onlineEndpoints lists it: unit, dimensions, and how
 * one minute (the metric's time grain, PT1M) of requests becomes samples. Azure aggregates a
 * longer interval from those per-minute samples: Total = sum, Count = number of samples,
 * Average = Total / Count, Minimum / Maximum over the samples.
 */
export interface MetricDefinition {
  readonly unit: string;
  readonly description: string;
  readonly dimensions: readonly Dimension[];
  /** The samples of one minute of one series; [] when the minute has nothing to report. */
  readonly minuteSamples: (requests: readonly MetricRequest[]) => readonly number[];
}

const percentileOfMinute =
  (percentile: number) =>
  (requests: readonly MetricRequest[]): number[] => {
    if (requests.length === 0) return [];
    const sorted = requests.map((r) => r.totalDurationMs).sort((x, y) => x - y);
    return [nearestRank(sorted, percentile) ?? 0];
  };

export const ENDPOINT_METRICS: Readonly<Record<string, MetricDefinition>> = {
  // A count per minute: one sample per minute, 0 for a quiet minute of a series that exists.
  RequestsPerMinute: {
    unit: 'Count',
    dimensions: ALL_DIMENSIONS,
    description: 'The number of requests sent to the online endpoint within a minute.',
    minuteSamples: (requests) => [requests.length],
  },
  // Every request's latency is a sample, so Average is the mean latency and Count the number of requests.
  RequestLatency: {
    unit: 'MilliSeconds',
    dimensions: ['deployment'],
    description: 'The average complete interval of time taken for a request to be responded in milliseconds.',
    minuteSamples: (requests) => requests.map((r) => r.totalDurationMs),
  },
  RequestLatency_P50: {
    unit: 'MilliSeconds',
    dimensions: ['deployment'],
    description: 'The 50th percentile of request latency.',
    minuteSamples: percentileOfMinute(50),
  },
  RequestLatency_P90: {
    unit: 'MilliSeconds',
    dimensions: ['deployment'],
    description: 'The 90th percentile of request latency.',
    minuteSamples: percentileOfMinute(90),
  },
  RequestLatency_P95: {
    unit: 'MilliSeconds',
    dimensions: ['deployment'],
    description: 'The 95th percentile of request latency.',
    minuteSamples: percentileOfMinute(95),
  },
  RequestLatency_P99: {
    unit: 'MilliSeconds',
    dimensions: ['deployment'],
    description: 'The 99th percentile of request latency.',
    minuteSamples: percentileOfMinute(99),
  },
};

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
      const dimension = ALL_DIMENSIONS.find((d) => d.toLowerCase() === m?.[1]?.toLowerCase());
      if (!m || !dimension) {
        throw new ServiceError(
          400,
          'BadRequest',
          `Invalid metric filter '${text}': use "<dimension> eq '<value>'" with dimensions ${ALL_DIMENSIONS.join(', ')}.`,
        );
      }
      const value = m[2] ?? '';
      if (value === '*') byDimension.set(dimension, undefined);
      else if (!byDimension.has(dimension) || byDimension.get(dimension) !== undefined)
        byDimension.set(dimension, [...(byDimension.get(dimension) ?? []), value]);
    }
  }
  return [...byDimension].map(([dimension, values]) => ({ dimension, values }));
}

/** `aggregation=Average,Maximum` (any case); absent: Average, the primary aggregation of every metric here. */
function parseAggregations(text: string | null): Aggregation[] {
  if (text === null || text.trim() === '') return ['Average'];
  return text.split(',').map((part) => {
    const found = AGGREGATIONS.find((a) => a.toLowerCase() === part.trim().toLowerCase());
    if (!found)
      throw new ServiceError(
        400,
        'BadRequest',
        `Invalid aggregation '${part.trim()}': use one or more of ${AGGREGATIONS.join(', ')}, comma-separated.`,
      );
    return found;
  });
}

/** One data point from an interval's samples, with only the asked-for aggregations (as Azure answers). */
function dataPoint(timeStamp: string, samples: readonly number[], aggregations: readonly Aggregation[]): Record<string, string | number> {
  const point: Record<string, string | number> = { timeStamp };
  if (samples.length === 0) return point;
  const total = samples.reduce((sum, v) => sum + v, 0);
  const values: Record<Aggregation, number> = {
    Average: total / samples.length,
    Minimum: samples.reduce((min, v) => Math.min(min, v), Infinity),
    Maximum: samples.reduce((max, v) => Math.max(max, v), -Infinity),
    Total: total,
    Count: samples.length,
  };
  for (const a of aggregations) point[a.toLowerCase()] = values[a];
  return point;
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
      throw new ServiceError(
        400,
        'BadRequest',
        `Metric namespace '${namespace}' is not supported by the emulator; use '${ENDPOINT_METRICS_NAMESPACE}'.`,
      );
    }
    const names = (query.get('metricnames') ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    if (names.length === 0) throw new ServiceError(400, 'BadRequest', 'metricnames is required.');
    const filters = parseFilter(query.get('filter'));
    for (const name of names) {
      const definition = ENDPOINT_METRICS[name];
      if (!definition)
        throw new ServiceError(
          400,
          'BadRequest',
          `Metric '${name}' is not supported by the emulator; supported: ${Object.keys(ENDPOINT_METRICS).join(', ')}.`,
        );
      const unknown = filters.find((f) => !definition.dimensions.includes(f.dimension));
      if (unknown)
        throw new ServiceError(
          400,
          'BadRequest',
          `Metric '${name}' has no dimension '${unknown.dimension}'; its dimensions: ${definition.dimensions.join(', ')}.`,
        );
    }
    const aggregations = parseAggregations(query.get('aggregation'));
    const resourceIds = (body as { resourceids?: unknown } | undefined)?.resourceids;
    if (!Array.isArray(resourceIds) || resourceIds.length === 0 || !resourceIds.every((r) => typeof r === 'string')) {
      throw new ServiceError(400, 'BadRequest', 'The body must be { "resourceids": [ "<endpoint resource id>", ... ] }.');
    }
    const intervalText = query.get('interval') ?? 'PT1M';
    const intervalMs = parseIsoDuration(intervalText);
    if (intervalMs === undefined || intervalMs < MINUTE_MS || intervalMs % MINUTE_MS !== 0)
      throw new ServiceError(400, 'BadRequest', `Invalid interval '${intervalText}' (ISO 8601 duration of whole minutes, at least PT1M).`);
    const endMs = query.get('endtime') ? Date.parse(query.get('endtime') ?? '') : nowMs;
    const startMs = query.get('starttime') ? Date.parse(query.get('starttime') ?? '') : endMs - 60 * MINUTE_MS;
    if (Number.isNaN(startMs) || Number.isNaN(endMs) || endMs < startMs)
      throw new ServiceError(400, 'BadRequest', 'starttime and endtime must be ISO 8601 times with starttime <= endtime.');
    const window = { startMs, endMs, intervalMs, intervalText, nowMs };
    const values = (resourceIds as string[]).map((resourceId) =>
      this.forResource(resourceId, names, namespace, window, filters, aggregations),
    );
    return { status: 200, body: { values } };
  }

  private forResource(
    resourceId: string,
    names: readonly string[],
    namespace: string,
    window: { startMs: number; endMs: number; intervalMs: number; intervalText: string; nowMs: number },
    filters: readonly Filter[],
    aggregations: readonly Aggregation[],
  ): unknown {
    const m = /\/onlineEndpoints\/([^/]+)\/?$/i.exec(resourceId);
    if (!m?.[1]) throw new ServiceError(400, 'BadRequest', `Resource id '${resourceId}' is not an online endpoint id.`);
    const endpoint = m[1];
    const { startMs, endMs, intervalMs, intervalText, nowMs } = window;
    const log = this.deps.log;
    const visibleUntilMs = nowMs - this.deps.metricsDelayMs;
    // Align buckets to the interval, as Azure does.
    const firstBucketMs = Math.floor(startMs / intervalMs) * intervalMs;
    const bucketCount = Math.max(0, Math.ceil((endMs - firstBucketMs) / intervalMs));
    const minutesPerBucket = intervalMs / MINUTE_MS;
    // A minute reports once it has started and its requests have had time to show.
    const reportedMinutes = Math.max(
      0,
      Math.min(bucketCount * minutesPerBucket, Math.ceil((Math.min(endMs, visibleUntilMs) - firstBucketMs) / MINUTE_MS)),
    );
    // series key -> dimension values + the requests of each minute
    const split = filters.filter((f) => f.values === undefined).map((f) => f.dimension);
    const series = new Map<string, { dims: Record<string, string>; minutes: MetricRequest[][] }>();
    const newSeries = (dims: Record<string, string>) => ({
      dims,
      minutes: Array.from({ length: reportedMinutes }, (): MetricRequest[] => []),
    });
    const from = log.lowerBound(firstBucketMs);
    const to = Math.min(log.lowerBound(endMs), log.upperBound(visibleUntilMs));
    for (let i = from; i < to; i++) {
      const row = log.detail(i);
      if (row.endpoint !== endpoint) continue;
      const dims: Record<Dimension, string> = {
        deployment: row.deployment,
        statusCode: String(row.responseCode),
        statusCodeClass: `${Math.floor(row.responseCode / 100)}xx`,
        modelStatusCode: String(row.modelStatusCode),
      };
      if (filters.some((f) => f.values !== undefined && !f.values.includes(dims[f.dimension]))) continue;
      const key = split.map((d) => dims[d]).join('\u0000');
      let entry = series.get(key);
      if (!entry) {
        entry = newSeries(Object.fromEntries(split.map((d) => [d, dims[d]])));
        series.set(key, entry);
      }
      entry.minutes[Math.floor((log.timeAt(i) - firstBucketMs) / MINUTE_MS)]?.push({ dims, totalDurationMs: row.totalDurationMs });
    }
    if (series.size === 0 && split.length === 0) series.set('', newSeries({}));
    return {
      starttime: new Date(startMs).toISOString(),
      endtime: new Date(endMs).toISOString(),
      interval: intervalText,
      namespace,
      resourceregion: this.deps.state.coords.location,
      resourceid: resourceId,
      value: names.map((name) => {
        const definition = ENDPOINT_METRICS[name];
        if (!definition) throw new ServiceError(400, 'BadRequest', `Metric '${name}' is not supported by the emulator.`);
        return {
          id: `${resourceId}/providers/Microsoft.Insights/metrics/${name}`,
          type: 'Microsoft.Insights/metrics',
          name: { value: name, localizedValue: name },
          displayDescription: definition.description,
          unit: definition.unit,
          errorCode: 'Success',
          timeseries: [...series.values()].map((s) => ({
            metadatavalues: Object.entries(s.dims).map(([k, v]) => ({ name: { value: k, localizedValue: k }, value: v })),
            data: Array.from({ length: bucketCount }, (_, b) => {
              const samples = s.minutes
                .slice(b * minutesPerBucket, (b + 1) * minutesPerBucket)
                .flatMap((requests) => definition.minuteSamples(requests));
              return dataPoint(new Date(firstBucketMs + b * intervalMs).toISOString(), samples, aggregations);
            }),
          })),
        };
      }),
    };
  }
}
