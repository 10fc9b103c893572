/**
 * The KQL the controller sends for a gate check. One query over AmlOnlineEndpointTrafficLog
 * returns every built-in number for both deployments of the comparison; each custom metric runs
 * as one extra query of its own (see docs/gates.md "Custom metrics" for why they are not unioned).
 * Every interpolated value goes through ./kql.ts.
 */
import { ValidationError } from '../errors';
import { fillKqlTemplate, kqlDatetime, kqlIdentifier, kqlNumber, kqlString, kqlStringList } from './kql';
import type { CustomMetricSpec, GateSpec } from './types';
import { BUILT_IN_METRICS } from './types';

const TRAFFIC_TABLE = 'AmlOnlineEndpointTrafficLog';

/** Columns of the built-in query's result, one row per deployment. */
export const TRAFFIC_COLUMNS = {
  deployment: 'DeploymentName',
  requests: 'requests',
  errors5xx: 'errors5xx',
  modelErrors: 'modelErrors',
  p50: 'p50',
  p95: 'p95',
  p99: 'p99',
  latencies: 'latencies',
} as const;

/** Columns a custom metric query must return. */
export const CUSTOM_METRIC_COLUMNS = { deployment: 'DeploymentName', value: 'value' } as const;

/**
 * At most this many latency samples per deployment come back (make_list's cap). Enough for a
 * p99 bound (needs ~500) while keeping a result of two rows well under the API's 100 MiB.
 */
const MAX_LATENCY_SAMPLES = 5000;

export interface GateQueryTarget {
  readonly endpoint: string;
  /** The live deployment the candidate is compared with (equal to candidate for recreate). */
  readonly baseline: string;
  readonly candidate: string;
  readonly window: { readonly fromMs: number; readonly toMs: number };
}

export interface GateQuery {
  /** 'traffic' for the built-in query, 'custom:<metric name>' for a custom metric. */
  readonly id: string;
  /** The custom metric this query computes (absent for the built-in query). */
  readonly metric?: string;
  readonly kql: string;
  readonly fromMs: number;
  readonly toMs: number;
}

const TRAFFIC_QUERY_ID = 'traffic';
function customQueryId(metric: string): string {
  return `custom:${metric}`;
}

function checkTarget(target: GateQueryTarget): void {
  const { fromMs, toMs } = target.window;
  if (!Number.isInteger(fromMs) || !Number.isInteger(toMs) || fromMs >= toMs) {
    throw new ValidationError('window', `expected whole epoch milliseconds with fromMs < toMs, got ${fromMs} .. ${toMs}`);
  }
}

function deploymentsOf(target: GateQueryTarget): string[] {
  return target.baseline === target.candidate ? [target.baseline] : [target.baseline, target.candidate];
}

/**
 * The built-in query. The window is half-open [from, to): consecutive looks with adjacent
 * windows never count a request twice (KQL's `between` includes both ends).
 */
export function buildTrafficQuery(target: GateQueryTarget): string {
  checkTarget(target);
  const c = TRAFFIC_COLUMNS;
  const col = (name: string) => kqlIdentifier(name, 'column');
  const duration = col('TotalDurationMs');
  const lines = [
    kqlIdentifier(TRAFFIC_TABLE, 'table'),
    `| where ${col('TimeGenerated')} >= ${kqlDatetime(target.window.fromMs, 'window.fromMs')} and ${col('TimeGenerated')} < ${kqlDatetime(target.window.toMs, 'window.toMs')}`,
    `| where ${col('EndpointName')} == ${kqlString(target.endpoint, 'endpoint')} and ${col(c.deployment)} in ${kqlStringList(deploymentsOf(target), 'deployments')}`,
    `| summarize ${col(c.requests)} = count(),` +
      ` ${col(c.errors5xx)} = countif(${col('ResponseCode')} >= ${kqlNumber(500)}),` +
      ` ${col(c.modelErrors)} = countif(${col('ModelStatusCode')} >= ${kqlNumber(500)}),` +
      ` ${col(c.p50)} = percentile(${duration}, ${kqlNumber(50)}),` +
      ` ${col(c.p95)} = percentile(${duration}, ${kqlNumber(95)}),` +
      ` ${col(c.p99)} = percentile(${duration}, ${kqlNumber(99)}),` +
      ` ${col(c.latencies)} = make_list(${duration}, ${kqlNumber(MAX_LATENCY_SAMPLES)})` +
      ` by ${col(c.deployment)}`,
  ];
  return lines.join('\n');
}

/** A custom metric's query: the policy's KQL with its placeholders filled by the escaping helper. */
export function buildCustomMetricQuery(metric: CustomMetricSpec, target: GateQueryTarget): string {
  checkTarget(target);
  return fillKqlTemplate(
    metric.kql,
    { endpoint: target.endpoint, baseline: target.baseline, candidate: target.candidate, fromMs: target.window.fromMs, toMs: target.window.toMs },
    `customMetrics.${metric.name}.kql`,
  );
}

/** The custom metrics a gate's checks actually use (unused declarations cost no query). */
function customMetricsInUse(spec: GateSpec): CustomMetricSpec[] {
  const used = new Set(spec.checks.map((c) => c.metric));
  return spec.customMetrics.filter((m) => used.has(m.name));
}

/**
 * Every query one look of a gate needs: the built-in traffic query first, then one per custom
 * metric in use. Throws ValidationError when a check names an unknown metric.
 */
export function buildGateQueries(spec: GateSpec, target: GateQueryTarget): GateQuery[] {
  const known = new Set<string>([...BUILT_IN_METRICS, ...spec.customMetrics.map((m) => m.name)]);
  spec.checks.forEach((check, i) => {
    if (!known.has(check.metric)) {
      throw new ValidationError(
        `gates.${spec.name}.checks[${i}].metric`,
        `unknown metric ${JSON.stringify(check.metric)}; expected one of ${[...known].join(', ')}`,
      );
    }
  });
  const { fromMs, toMs } = target.window;
  const queries: GateQuery[] = [{ id: TRAFFIC_QUERY_ID, kql: buildTrafficQuery(target), fromMs, toMs }];
  for (const metric of customMetricsInUse(spec)) {
    queries.push({ id: customQueryId(metric.name), metric: metric.name, kql: buildCustomMetricQuery(metric, target), fromMs, toMs });
  }
  return queries;
}
