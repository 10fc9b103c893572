/**
 * Reading query rows into numbers. Rows come from Log Analytics (or the local emulator) and are
 * untrusted: a value may be missing, null, NaN, a numeric string, or (for make_list) a JSON
 * string. Nothing here throws for bad data; every problem becomes a reason that makes the
 * checks needing that number inconclusive. Bad data is never a pass.
 */
import { CUSTOM_METRIC_COLUMNS, TRAFFIC_COLUMNS } from './queries';

/** A result row as returned by a MetricsSource (values are checked here, not trusted). */
export type AnalysisRow = Readonly<Record<string, unknown>>;

/** What the queries of one look returned. */
export interface GateRows {
  /** Rows of the built-in traffic query (one per deployment that served requests). */
  readonly traffic: readonly AnalysisRow[];
  /** Rows of each custom metric's query, by metric name. A missing entry makes its checks inconclusive. */
  readonly custom?: Readonly<Record<string, readonly AnalysisRow[]>>;
}

/** A number read from a row, or why there is none. */
export type Reading = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly reason: string };

function readNumber(row: AnalysisRow, column: string, what: string): Reading {
  if (!Object.prototype.hasOwnProperty.call(row, column)) return { ok: false, reason: `${what}: column ${column} is missing` };
  const raw = row[column];
  if (raw === null || raw === undefined) return { ok: false, reason: `${what}: ${column} is null` };
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(raw)) value = Number(raw);
  else return { ok: false, reason: `${what}: ${column} is not a number (${JSON.stringify(raw)})` };
  if (!Number.isFinite(value)) return { ok: false, reason: `${what}: ${column} is ${String(value)}` };
  return { ok: true, value };
}

function readCount(row: AnalysisRow, column: string, what: string): Reading {
  const r = readNumber(row, column, what);
  if (r.ok && (!Number.isInteger(r.value) || r.value < 0)) return { ok: false, reason: `${what}: ${column} is not a count (${r.value})` };
  return r;
}

/** A deployment's numbers from the traffic query. */
export interface TrafficSide {
  readonly deployment: string;
  /** False when the query returned no row: the deployment served no request in the window. */
  readonly present: boolean;
  readonly requests: Reading;
  readonly failed: Reading;
  readonly modelErrors: Reading;
  readonly p50: Reading;
  readonly p95: Reading;
  readonly p99: Reading;
  /** Latency samples, sorted ascending, or why they are unusable. */
  readonly latencies: { readonly ok: true; readonly sorted: readonly number[] } | { readonly ok: false; readonly reason: string };
}

function readLatencies(row: AnalysisRow, what: string): TrafficSide['latencies'] {
  const column = TRAFFIC_COLUMNS.latencies;
  let raw = row[column];
  if (raw === undefined) return { ok: false, reason: `${what}: column ${column} is missing` };
  if (raw === null) return { ok: false, reason: `${what}: ${column} is null` };
  if (typeof raw === 'string') {
    // The Logs API returns dynamic columns (make_list) as JSON text.
    try {
      raw = JSON.parse(raw) as unknown;
    } catch (_e) {
      return { ok: false, reason: `${what}: ${column} is not a JSON array` };
    }
  }
  if (!Array.isArray(raw)) return { ok: false, reason: `${what}: ${column} is not a list` };
  const values: number[] = [];
  for (const v of raw) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      return { ok: false, reason: `${what}: ${column} holds a value that is not a non-negative number (${JSON.stringify(v)})` };
    }
    values.push(v);
  }
  values.sort((a, b) => a - b);
  return { ok: true, sorted: values };
}

function absentSide(deployment: string): TrafficSide {
  const zero: Reading = { ok: true, value: 0 };
  const none: Reading = { ok: false, reason: `${deployment}: no requests in the window` };
  return {
    deployment,
    present: false,
    requests: zero,
    failed: zero,
    modelErrors: zero,
    p50: none,
    p95: none,
    p99: none,
    latencies: { ok: false, reason: none.reason },
  };
}

export type SideResult = { readonly ok: true; readonly side: TrafficSide } | { readonly ok: false; readonly reason: string };

/**
 * The traffic numbers of one deployment. No row means no requests (summarize emits no row for an
 * empty group); two rows for the same deployment make the result ambiguous, which is refused.
 */
export function readTrafficSide(rows: readonly AnalysisRow[], deployment: string): SideResult {
  if (!Array.isArray(rows)) return { ok: false, reason: 'the traffic query returned no row list' };
  const mine = rows.filter((r) => r !== null && typeof r === 'object' && r[TRAFFIC_COLUMNS.deployment] === deployment);
  if (mine.length > 1) return { ok: false, reason: `${deployment}: the traffic query returned ${mine.length} rows, expected one` };
  const row = mine[0];
  if (!row) return { ok: true, side: absentSide(deployment) };
  const requests = readCount(row, TRAFFIC_COLUMNS.requests, deployment);
  const errors = (column: string): Reading => {
    const r = readCount(row, column, deployment);
    if (r.ok && requests.ok && r.value > requests.value) {
      return { ok: false, reason: `${deployment}: ${column} (${r.value}) exceeds requests (${requests.value})` };
    }
    return r;
  };
  return {
    ok: true,
    side: {
      deployment,
      present: true,
      requests,
      failed: errors(TRAFFIC_COLUMNS.failed),
      modelErrors: errors(TRAFFIC_COLUMNS.modelErrors),
      p50: readNumber(row, TRAFFIC_COLUMNS.p50, deployment),
      p95: readNumber(row, TRAFFIC_COLUMNS.p95, deployment),
      p99: readNumber(row, TRAFFIC_COLUMNS.p99, deployment),
      latencies: readLatencies(row, deployment),
    },
  };
}

/** A custom metric's value for one deployment (exactly one row with a finite value). */
export function readCustomValue(rows: readonly AnalysisRow[] | undefined, metric: string, deployment: string): Reading {
  if (rows === undefined) return { ok: false, reason: `custom metric ${metric}: no query result` };
  if (!Array.isArray(rows)) return { ok: false, reason: `custom metric ${metric}: the result is not a row list` };
  const mine = rows.filter((r) => r !== null && typeof r === 'object' && r[CUSTOM_METRIC_COLUMNS.deployment] === deployment);
  if (mine.length === 0) return { ok: false, reason: `custom metric ${metric}: no row for ${deployment}` };
  if (mine.length > 1) return { ok: false, reason: `custom metric ${metric}: ${mine.length} rows for ${deployment}, expected one` };
  return readNumber(mine[0] as AnalysisRow, CUSTOM_METRIC_COLUMNS.value, `custom metric ${metric} (${deployment})`);
}
