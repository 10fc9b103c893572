/**
 * The Durable Functions management HTTP API, at Azure's paths (relative to
 * /runtime/webhooks/durabletask/, or the client's rpcBaseUrl), with Azure's status codes:
 *
 *   POST   orchestrators/{name}[/{instanceId}]        202 { id, statusQueryGetUri, ... } | 400 | 409
 *   GET    instances/{id}?showHistory&showHistoryOutput&showInput   200 done | 202 running | 400 failed/terminated | 404
 *   GET    instances/?runtimeStatus&createdTimeFrom&createdTimeTo&top&instanceIdPrefix  200 [..] (+ x-ms-continuation-token)
 *   DELETE instances/{id}                             200 { instancesDeleted } | 404
 *   POST   instances/{id}/raiseEvent/{name}           202 | 400 | 404 | 410
 *   POST   instances/{id}/terminate|suspend|resume?reason=   202 | 404 | 410
 *   POST   entities/{name}/{key}?op=                  202 | 400 | 404
 *   GET    entities/{name}/{key}                      200 state | 404
 */
import { DurableOperationError, type DurableEngine } from './durable/engine';
import { EventTypeName } from './durable/history';
import type { RuntimeStatus } from './durable/store';
import { TERMINAL_STATUSES, type InstanceRow } from './durable/store';

export interface ManagementResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ManagementRequest {
  method: string;
  /** Path below the API root, without a leading slash (e.g. "instances/abc"). */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const STATUSES: readonly RuntimeStatus[] = ['Pending', 'Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Terminated', 'Suspended'];

export interface ManagementUrls {
  /** Absolute URL of the API root, ending with "/" (e.g. http://localhost:7071/runtime/webhooks/durabletask/). */
  readonly base: string;
  readonly taskHub: string;
  /** Query suffix every link carries (taskHub, connection, code). */
  readonly querySuffix: string;
}

function managementPayload(urls: ManagementUrls, instanceId: string): Record<string, string> {
  const id = encodeURIComponent(instanceId);
  const q = urls.querySuffix;
  return {
    id: instanceId,
    purgeHistoryDeleteUri: `${urls.base}instances/${id}?${q}`,
    sendEventPostUri: `${urls.base}instances/${id}/raiseEvent/{eventName}?${q}`,
    statusQueryGetUri: `${urls.base}instances/${id}?${q}`,
    terminatePostUri: `${urls.base}instances/${id}/terminate?reason={text}&${q}`,
    suspendPostUri: `${urls.base}instances/${id}/suspend?reason={text}&${q}`,
    resumePostUri: `${urls.base}instances/${id}/resume?reason={text}&${q}`,
    rewindPostUri: `${urls.base}instances/${id}/rewind?reason={text}&${q}`,
    restartPostUri: `${urls.base}instances/${id}/restart?${q}`,
  };
}

function parseJsonBody(body: Buffer, what: string): string | null {
  const text = body.toString('utf8').trim();
  if (text === '') return null;
  try {
    JSON.parse(text);
  } catch (error) {
    throw new DurableOperationError(400, `${what}: the request body is not valid JSON (${(error as Error).message})`);
  }
  return text;
}

function parseJsonText(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function truthy(value: string | null): boolean {
  return value !== null && /^(true|1|)$/i.test(value);
}

function statusJson(row: InstanceRow, options: { showInput?: boolean; history?: unknown[] } = {}): Record<string, unknown> {
  const status: Record<string, unknown> = {
    name: row.name,
    instanceId: row.instanceId,
    runtimeStatus: row.status,
    input: options.showInput === false ? null : parseJsonText(row.input),
    customStatus: parseJsonText(row.customStatus),
    output: parseJsonText(row.output),
    createdTime: new Date(row.createdMs).toISOString(),
    lastUpdatedTime: new Date(row.updatedMs).toISOString(),
  };
  if (options.history) status.historyEvents = options.history;
  return status;
}

function historyJson(engine: DurableEngine, instanceId: string, showOutput: boolean): unknown[] {
  return engine
    .getHistory(instanceId)
    .filter((e) => e.EventType !== 12 && e.EventType !== 13)
    .map((e) => {
      const entry: Record<string, unknown> = { EventType: EventTypeName[e.EventType] ?? e.EventType, Timestamp: e.Timestamp };
      if (e.Name !== undefined) entry.FunctionName = e.Name;
      if (e.EventId >= 0) entry.EventId = e.EventId;
      if (e.TaskScheduledId !== undefined) entry.ScheduledId = e.TaskScheduledId;
      if (e.TimerId !== undefined) entry.TimerId = e.TimerId;
      if (e.FireAt !== undefined) entry.FireAt = e.FireAt;
      if (e.Reason !== undefined) entry.Reason = e.Reason;
      if (showOutput && e.Result !== undefined) entry.Result = parseJsonText(e.Result);
      if (e.OrchestrationStatus !== undefined) entry.OrchestrationStatus = e.OrchestrationStatus;
      return entry;
    });
}

function parseTime(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new DurableOperationError(400, `${name}: "${value}" is not a valid date-time`);
  return ms;
}

function httpStatusFor(status: RuntimeStatus): number {
  if (status === 'Completed') return 200;
  if (status === 'Failed' || status === 'Terminated') return 400;
  return 202;
}

export function handleManagement(engine: DurableEngine, urls: ManagementUrls, request: ManagementRequest): ManagementResponse {
  try {
    return route(engine, urls, request);
  } catch (error) {
    if (error instanceof DurableOperationError) return { status: error.status, body: { message: error.message } };
    throw error;
  }
}

function route(engine: DurableEngine, urls: ManagementUrls, request: ManagementRequest): ManagementResponse {
  const segments = request.path
    .replace(/^\/+/, '')
    .split('/')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        throw new DurableOperationError(400, `malformed percent-encoding in path segment "${part}"`);
      }
    });
  const [resource, first, second, third, ...rest] = segments;
  const method = request.method.toUpperCase();
  const reason = request.query.get('reason') ?? '';

  if (resource === 'orchestrators' && first) {
    if (method !== 'POST') return { status: 405, headers: { allow: 'POST' }, body: { message: 'use POST to start an orchestration' } };
    if (third !== undefined) return { status: 404, body: { message: `unknown path ${request.path}` } };
    const input = parseJsonBody(request.body, `starting '${first}'`);
    const instanceId = engine.startNew(first, second === undefined || second === '' ? undefined : second, input);
    const payload = managementPayload(urls, instanceId);
    return { status: 202, headers: { location: payload.statusQueryGetUri as string, 'retry-after': '10' }, body: payload };
  }

  if (resource === 'instances') {
    if (!first) {
      if (method === 'GET') return listInstances(engine, request);
      if (method === 'DELETE') return purgeMany(engine, request);
      return { status: 405, headers: { allow: 'GET, DELETE' }, body: { message: 'use GET to list or DELETE to purge instances' } };
    }
    const instanceId = first;
    if (second === undefined || second === '') {
      if (method === 'GET') {
        const row = engine.getInstanceRow(instanceId);
        if (!row) return { status: 404, body: { message: `No instance with ID '${instanceId}' found.` } };
        const showHistory = truthy(request.query.get('showHistory'));
        const showInput = request.query.get('showInput') === null ? true : truthy(request.query.get('showInput'));
        const history = showHistory ? historyJson(engine, instanceId, truthy(request.query.get('showHistoryOutput'))) : undefined;
        return { status: httpStatusFor(row.status), body: statusJson(row, { showInput, ...(history ? { history } : {}) }) };
      }
      if (method === 'DELETE') {
        const deleted = engine.purge(instanceId);
        if (deleted === 0) return { status: 404, body: { message: `No instance with ID '${instanceId}' found.` } };
        return { status: 200, body: { instancesDeleted: deleted } };
      }
      return { status: 405, headers: { allow: 'GET, DELETE' }, body: { message: `method ${method} is not allowed here` } };
    }
    if (method !== 'POST') return { status: 405, headers: { allow: 'POST' }, body: { message: `use POST for ${second}` } };
    switch (second) {
      case 'raiseEvent': {
        if (!third || rest.length > 0) return { status: 400, body: { message: 'raiseEvent needs an event name: instances/{id}/raiseEvent/{eventName}' } };
        const input = parseJsonBody(request.body, `raising '${third}'`);
        engine.raiseEvent(instanceId, third, input);
        return { status: 202 };
      }
      case 'terminate':
        engine.terminate(instanceId, reason);
        return { status: 202 };
      case 'suspend':
        engine.suspend(instanceId, reason);
        return { status: 202 };
      case 'resume':
        engine.resume(instanceId, reason);
        return { status: 202 };
      case 'rewind':
      case 'restart':
        return { status: 501, body: { message: `${second} is not supported by the local runtime` } };
      default:
        return { status: 404, body: { message: `unknown operation "${second}"` } };
    }
  }

  if (resource === 'entities' && first) {
    if (!second) return { status: 400, body: { message: 'entity key missing: use entities/{name}/{key}' } };
    if (method === 'POST') {
      const op = request.query.get('op') ?? '';
      if (op === '') return { status: 400, body: { message: 'the "op" query parameter (operation name) is required' } };
      const input = parseJsonBody(request.body, `signalling '${first}'`);
      engine.signalEntity(first, second, op, input);
      return { status: 202 };
    }
    if (method === 'GET') {
      const entity = engine.readEntity(first, second);
      if (!entity) return { status: 404, body: { message: `No entity with ID '@${first}@${second}' found.` } };
      return { status: 200, body: parseJsonText(entity.state) };
    }
    return { status: 405, headers: { allow: 'GET, POST' }, body: { message: `method ${method} is not allowed here` } };
  }
  return { status: 404, body: { message: `unknown management path "${request.path}"` } };
}

function statusFilter(request: ManagementRequest): RuntimeStatus[] | undefined {
  const text = request.query.get('runtimeStatus');
  if (text === null || text.trim() === '') return undefined;
  return text.split(',').map((part) => {
    const wanted = part.trim().toLowerCase();
    const status = STATUSES.find((s) => s.toLowerCase() === wanted);
    if (!status) throw new DurableOperationError(400, `runtimeStatus: unknown status "${part}" (use ${STATUSES.join(', ')})`);
    return status;
  });
}

function listInstances(engine: DurableEngine, request: ManagementRequest): ManagementResponse {
  const topText = request.query.get('top');
  let top: number | undefined;
  if (topText !== null && topText !== '') {
    top = Number(topText);
    if (!Number.isInteger(top) || top <= 0) throw new DurableOperationError(400, `top: "${topText}" is not a positive integer`);
  }
  const continuationHeader = request.headers['x-ms-continuation-token'];
  const continuation = (Array.isArray(continuationHeader) ? continuationHeader[0] : continuationHeader) || request.query.get('continuationToken') || undefined;
  const createdFromMs = parseTime(request.query.get('createdTimeFrom'), 'createdTimeFrom');
  const createdToMs = parseTime(request.query.get('createdTimeTo'), 'createdTimeTo');
  const statuses = statusFilter(request);
  const prefix = request.query.get('instanceIdPrefix') ?? undefined;
  const page = engine.queryInstances({
    ...(createdFromMs !== undefined ? { createdFromMs } : {}),
    ...(createdToMs !== undefined ? { createdToMs } : {}),
    ...(statuses ? { statuses } : {}),
    ...(prefix ? { instanceIdPrefix: prefix } : {}),
    ...(top !== undefined ? { top } : {}),
    ...(continuation ? { continuation } : {}),
  });
  const showInput = request.query.get('showInput') === null ? true : truthy(request.query.get('showInput'));
  return {
    status: 200,
    headers: page.continuation ? { 'x-ms-continuation-token': page.continuation } : {},
    body: page.rows.map((row) => statusJson(row, { showInput })),
  };
}

function purgeMany(engine: DurableEngine, request: ManagementRequest): ManagementResponse {
  const createdFromMs = parseTime(request.query.get('createdTimeFrom'), 'createdTimeFrom');
  const createdToMs = parseTime(request.query.get('createdTimeTo'), 'createdTimeTo');
  const statuses = statusFilter(request) ?? [...TERMINAL_STATUSES];
  const page = engine.queryInstances({ ...(createdFromMs !== undefined ? { createdFromMs } : {}), ...(createdToMs !== undefined ? { createdToMs } : {}), statuses });
  let deleted = 0;
  for (const row of page.rows) if (TERMINAL_STATUSES.has(row.status)) deleted += engine.purge(row.instanceId);
  if (deleted === 0) return { status: 404, body: { message: 'no finished instance matched' } };
  return { status: 200, body: { instancesDeleted: deleted } };
}
