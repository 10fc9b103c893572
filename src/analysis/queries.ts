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

/**
 * A request failed, for its caller, when the endpoint answered 408 (ran past
 * requestSettings.requestTimeout), 424 (the model container answered non-200), 429 (too many
 * pending requests) or any 5xx (the platform's own faults). docs/gates.md says why each counts.
 */
const FAILED_RESPONSE_CODES = [408, 424, 429] as const;
const SERVER_ERROR_CODES_FROM = 500;

export function isFailedResponse(responseCode: number): boolean {
  return (FAILED_RESPONSE_CODES as readonly number[]).includes(responseCode) || responseCode >= SERVER_ERROR_CODES_FROM;
}

/** The endpoint's "Model Error": the container answered non-200 (its own code is in ModelStatusCode). */
export const MODEL_ERROR_RESPONSE_CODE = 424;

/** Columns of the built-in query's result, one row per deployment. */
export const TRAFFIC_COLUMNS = {
  deployment: 'DeploymentName',
  requests: 'requests',
  failed: 'failed',
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
export const MAX_LATENCY_SAMPLES = 5000;

/** The Azure ML workspace that owns the endpoint. */
export interface WorkspaceScope {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
}

export interface GateQueryTarget {
  /** Several workspaces may log to one Log Analytics workspace: rows are taken from this one only. */
  readonly workspace: WorkspaceScope;
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

/** The Azure ML workspace's ARM id, lower case (Azure Monitor stores resource ids in lower case). */
export function workspaceResourceId(scope: WorkspaceScope): string {
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${scope.workspace}`.toLowerCase();
}

function deploymentsOf(target: GateQueryTarget): string[] {
  return target.baseline === target.candidate ? [target.baseline] : [target.baseline, target.candidate];
}

/**
 * The built-in query. The window is half-open [from, to): consecutive looks with adjacent
 * windows never count a request twice (KQL's `between` includes both ends). Rows are scoped to the
 * workspace's resource id, so an endpoint of the same name in another workspace (or resource group,
 * or subscription) that logs to the same Log Analytics workspace never mixes in.
 */
export function buildTrafficQuery(target: GateQueryTarget): string {
  checkTarget(target);
  const c = TRAFFIC_COLUMNS;
  const col = (name: string) => kqlIdentifier(name, 'column');
  const duration = col('TotalDurationMs');
  const lines = [
    kqlIdentifier(TRAFFIC_TABLE, 'table'),
    `| where ${col('TimeGenerated')} >= ${kqlDatetime(target.window.fromMs, 'window.fromMs')} and ${col('TimeGenerated')} < ${kqlDatetime(target.window.toMs, 'window.toMs')}`,
    // The table's resource type is the workspace, and its rows may carry the workspace's or the
    // endpoint's id: both are the workspace id or start with it and "/". =~ and startswith
    // compare case-insensitively.
    `| where ${col('_ResourceId')} =~ ${kqlString(workspaceResourceId(target.workspace), 'workspace')} or ${col('_ResourceId')} startswith ${kqlString(`${workspaceResourceId(target.workspace)}/`, 'workspace')}`,
    `| where ${col('EndpointName')} == ${kqlString(target.endpoint, 'endpoint')} and ${col(c.deployment)} in ${kqlStringList(deploymentsOf(target), 'deployments')}`,
    `| summarize ${col(c.requests)} = count(),` +
      ` ${col(c.failed)} = countif(${col('ResponseCode')} in (${FAILED_RESPONSE_CODES.map((code) => kqlNumber(code)).join(', ')}) or ${col('ResponseCode')} >= ${kqlNumber(SERVER_ERROR_CODES_FROM)}),` +
      ` ${col(c.modelErrors)} = countif(${col('ResponseCode')} == ${kqlNumber(MODEL_ERROR_RESPONSE_CODE)} or ${col('ModelStatusCode')} >= ${kqlNumber(SERVER_ERROR_CODES_FROM)}),` +
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
    {
      endpoint: target.endpoint,
      baseline: target.baseline,
      candidate: target.candidate,
      fromMs: target.window.fromMs,
      toMs: target.window.toMs,
    },
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
