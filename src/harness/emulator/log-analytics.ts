/**
 * Log Analytics query API (POST /v1/workspaces/{id}/query): evaluates the KQL subset over the
 * traffic log rows that are visible (older than the ingestion delay) and inside the request's
 * timespan, and answers in Azure's shape `{ tables: [{ name, columns: [{ name, type }], rows }] }`.
 */
import type { Clock } from '../../ports/clock';
import type { ApiResponse } from './arm-api';
import { parseIsoDuration } from './iso-duration';
import { ServiceError } from './arm-errors';
import { KqlError } from './kql/errors';
import { DateTimeValue, evaluate, toJsonCell, type Column, type Row, type Table } from './kql/evaluator';
import { parseDateTime, parseQuery, type Expr, type Operator } from './kql/parser';
import type { CustomTables } from './custom-tables';
import { TRAFFIC_LOG_COLUMNS, type TrafficLog } from './traffic-log';

/** Tables the workspace has: the traffic log, and the two other endpoint tables (empty here). */
const EMPTY_TABLES: Readonly<Record<string, readonly Column[]>> = {
  AmlOnlineEndpointConsoleLog: [
    { name: 'TimeGenerated', type: 'datetime' },
    { name: 'EndpointName', type: 'string' },
    { name: 'DeploymentName', type: 'string' },
    { name: 'InstanceId', type: 'string' },
    { name: 'ContainerName', type: 'string' },
    { name: 'Message', type: 'string' },
  ],
  AmlOnlineEndpointEventLog: [
    { name: 'TimeGenerated', type: 'datetime' },
    { name: 'EndpointName', type: 'string' },
    { name: 'DeploymentName', type: 'string' },
    { name: 'InstanceId', type: 'string' },
    { name: 'Name', type: 'string' },
    { name: 'Message', type: 'string' },
  ],
};

/** The API's timespan: "start/end", "start/duration", "duration/end" or "duration" (ending now). */
function parseTimespan(text: string, nowMs: number): { fromMs: number; toMs: number } {
  const parts = text.split('/');
  const invalid = (): ServiceError =>
    new ServiceError(
      400,
      'BadArgumentError',
      `The request had some invalid properties: timespan '${text}' is not an ISO 8601 interval (start/end, start/duration or duration).`,
    );
  if (parts.length === 1) {
    const duration = parseIsoDuration(parts[0] ?? '');
    if (duration === undefined) throw invalid();
    return { fromMs: nowMs - duration, toMs: nowMs };
  }
  if (parts.length !== 2) throw invalid();
  const [a = '', b = ''] = parts;
  const startMs = parseDateTime(a);
  const endMs = parseDateTime(b);
  if (startMs !== undefined && endMs !== undefined) return { fromMs: startMs, toMs: endMs };
  if (startMs !== undefined) {
    const d = parseIsoDuration(b);
    if (d === undefined) throw invalid();
    return { fromMs: startMs, toMs: startMs + d };
  }
  if (endMs !== undefined) {
    const d = parseIsoDuration(a);
    if (d === undefined) throw invalid();
    return { fromMs: endMs - d, toMs: endMs };
  }
  throw invalid();
}

/**
 * Narrowest TimeGenerated range implied by the leading `where` operators (a superset of the rows
 * they keep; the where clauses still run in full). It only saves scanning, never changes results.
 */
function timeBounds(ops: readonly Operator[], nowMs: number): { lo: number; hi: number } {
  let lo = -Infinity;
  let hi = Infinity;
  const constant = (e: Expr): number | undefined => {
    if (e.k === 'lit' && e.type === 'datetime') return e.v as number;
    if (e.k === 'call' && e.name === 'now' && e.args.length === 0) return nowMs;
    if (e.k === 'call' && e.name === 'ago' && e.args[0]?.k === 'lit' && e.args[0].type === 'timespan')
      return nowMs - (e.args[0].v as number);
    return undefined;
  };
  const isTime = (e: Expr): boolean => e.k === 'col' && e.name === 'TimeGenerated';
  const visit = (e: Expr): void => {
    if (e.k === 'bin' && e.op === 'and') {
      visit(e.l);
      visit(e.r);
      return;
    }
    if (e.k === 'between' && !e.negate && isTime(e.e)) {
      const a = constant(e.lo);
      const b = constant(e.hi);
      if (a !== undefined) lo = Math.max(lo, a);
      if (b !== undefined) hi = Math.min(hi, b);
      return;
    }
    if (e.k === 'bin' && ['>', '>=', '<', '<='].includes(e.op)) {
      let op = e.op;
      let value: number | undefined;
      if (isTime(e.l)) value = constant(e.r);
      else if (isTime(e.r)) {
        value = constant(e.l);
        op = op.includes('>') ? op.replace('>', '<') : op.replace('<', '>');
      }
      if (value === undefined) return;
      if (op.startsWith('>')) lo = Math.max(lo, value);
      else hi = Math.min(hi, value);
    }
  };
  for (const op of ops) {
    if (op.k !== 'where') break;
    visit(op.e);
  }
  return { lo, hi };
}

/**
 * The source columns a query reads, when it ends their flow with project / summarize / count
 * (then rows need only those); undefined when every column can reach the result.
 */
function referencedColumns(ops: readonly Operator[]): string[] | undefined {
  const names = new Set<string>();
  const visit = (e: Expr): void => {
    switch (e.k) {
      case 'col':
        names.add(e.name);
        return;
      case 'bin':
        visit(e.l);
        visit(e.r);
        return;
      case 'neg':
        visit(e.e);
        return;
      case 'in':
        visit(e.e);
        e.list.forEach(visit);
        return;
      case 'between':
        visit(e.e);
        visit(e.lo);
        visit(e.hi);
        return;
      case 'call':
        e.args.forEach(visit);
        return;
      default:
        return;
    }
  };
  for (const op of ops) {
    switch (op.k) {
      case 'where':
        visit(op.e);
        break;
      case 'extend':
        op.cols.forEach((c) => visit(c.e));
        break;
      case 'order':
        op.keys.forEach((k) => visit(k.e));
        break;
      case 'take':
        break;
      case 'project':
        op.cols.forEach((c) => visit(c.e));
        return [...names];
      case 'summarize':
        op.aggs.forEach((c) => visit(c.e));
        op.by.forEach((c) => visit(c.e));
        return [...names];
      case 'count':
        return [...names];
    }
  }
  return undefined;
}

export class LogAnalytics {
  constructor(
    private readonly deps: {
      readonly log: TrafficLog;
      readonly clock: Clock;
      readonly customTables?: CustomTables;
      readonly workspaceIds: readonly string[];
    },
  ) {}

  query(workspaceId: string, body: unknown, nowMs: number = this.deps.clock.now()): ApiResponse {
    if (!this.deps.workspaceIds.some((id) => id.toLowerCase() === workspaceId.toLowerCase())) {
      throw new ServiceError(404, 'WorkspaceNotFoundError', `The workspace could not be found: '${workspaceId}'.`);
    }
    if (typeof body !== 'object' || body === null || typeof (body as { query?: unknown }).query !== 'string') {
      throw new ServiceError(
        400,
        'BadArgumentError',
        "The request had some invalid properties: the body must be a JSON object with a string 'query'.",
      );
    }
    const { query: text, timespan } = body as { query: string; timespan?: unknown };
    try {
      const table = this.run(text, typeof timespan === 'string' && timespan !== '' ? timespan : undefined, nowMs);
      return {
        status: 200,
        body: {
          tables: [
            {
              name: 'PrimaryResult',
              columns: table.columns.map((c) => ({ name: c.name, type: c.type })),
              rows: table.rows.map((row) => table.columns.map((c) => toJsonCell(row[c.name] ?? null, c.type))),
            },
          ],
        },
      };
    } catch (error) {
      if (error instanceof KqlError) return { status: 400, body: error.body() };
      throw error;
    }
  }

  /**
   * A partial answer (fault injection): the first half of each table's rows plus an `error`, as
   * Log Analytics answers when part of a query failed. LogsQueryClient turns it into PartialFailure.
   */
  partial(answer: ApiResponse): ApiResponse {
    if (answer.status !== 200) return answer;
    const body = answer.body as { tables: { name: string; columns: unknown[]; rows: unknown[][] }[] };
    return {
      status: 200,
      body: {
        tables: body.tables.map((t) => ({ ...t, rows: t.rows.slice(0, Math.floor(t.rows.length / 2)) })),
        error: {
          code: 'PartialError',
          message: 'There were some errors when processing your query.',
          details: [
            {
              code: 'EngineError',
              message: 'Something went wrong processing your query on the server (injected partial failure).',
              severity: 2,
            },
          ],
        },
      },
    };
  }

  /** Evaluates a query over the rows visible at `nowMs` (exported for tests and tools). */
  run(text: string, timespan: string | undefined, nowMs: number): Table {
    const query = parseQuery(text);
    const window = timespan !== undefined ? parseTimespan(timespan, nowMs) : { fromMs: -Infinity, toMs: Infinity };
    const empty = EMPTY_TABLES[query.table];
    if (empty) return evaluate(query, { columns: empty, rows: [] }, { nowMs });
    const custom = this.deps.customTables?.get(query.table);
    if (custom) {
      // Custom tables are small (an app's own rows): the where clauses filter them in full.
      return evaluate(query, { columns: custom.columns, rows: custom.visibleRows(window.fromMs, window.toMs, nowMs) }, { nowMs });
    }
    if (query.table !== 'AmlOnlineEndpointTrafficLog') {
      throw KqlError.semantic(`Failed to resolve table or column expression named '${query.table}'`);
    }
    const bounds = timeBounds(query.ops, nowMs);
    const log = this.deps.log;
    const start = log.lowerBound(Math.max(window.fromMs, bounds.lo));
    // Rows at exactly the window's end are outside it ([start, end)); `between` is inclusive.
    const end = Math.min(log.lowerBound(window.toMs), log.upperBound(Math.min(bounds.hi, nowMs)));
    const columns = referencedColumns(query.ops);
    const rows: Row[] = [];
    for (let i = start; i < end; i++) {
      // Each row has its own ingestion latency: the newest minutes fill in gradually.
      if (log.visibleAtMs(i) > nowMs) continue;
      const row: Row = columns ? log.rowColumns(i, columns) : log.row(i);
      if (typeof row['TimeGenerated'] === 'number') row['TimeGenerated'] = new DateTimeValue(row['TimeGenerated']);
      rows.push(row);
    }
    return evaluate(query, { columns: TRAFFIC_LOG_COLUMNS as readonly Column[], rows }, { nowMs });
  }
}
