/**
 * The Durable Functions management HTTP API, at Azure's paths (relative to
 * /runtime/webhooks/durabletask/, or the client's rpcBaseUrl), with the codes and shapes of the
 * Durable extension's HttpApiHandler.cs and DurableClient.cs (docs/azure-fidelity.md lists each):
 *
 *   POST   orchestrators/{name}[/{instanceId}]        202 { id, statusQueryGetUri, ... } | 400 | 409
 *   GET    instances/{id}?showHistory&showHistoryOutput&showInput&returnInternalServerErrorOnFailure
 *                                                     200 finished (500 Failed with the flag) | 202 running (Location, Retry-After) | 404
 *   GET    instances/?runtimeStatus&createdTimeFrom&createdTimeTo&top&instanceIdPrefix  200 [..] (+ x-ms-continuation-token)
 *   DELETE instances/{id}                             200 { instancesDeleted } | 404 | 412 not finished
 *   DELETE instances/?createdTimeFrom&createdTimeTo&runtimeStatus   200 | 400 no createdTimeFrom | 404 none
 *   POST   instances/{id}/raiseEvent/{name}           202 | 400 not application/json or bad JSON | 404 | 410
 *   POST   instances/{id}/terminate|suspend|resume?reason=   202 | 404 | 410
 *   POST   entities/{name}/{key}?op=                  202 | 400 | 404
 *   GET    entities/{name}/{key}                      200 state | 404
 */
import { DurableOperationError, type DurableEngine } from './durable/engine';
import { EventType, EventTypeName, type HistoryEvent } from './durable/history';
import type { RuntimeStatus } from './durable/store';
import { TERMINAL_STATUSES, type InstanceRow } from './durable/store';

export interface ManagementResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ManagementRequest {
  method: string;
  /** The absolute URL the client requested (a running instance's status answer points Location at it). */
  url: string;
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

/**
 * A boolean query parameter read as the extension reads it (.NET bool.TryParse): "true" or "false"
 * in any case, surrounding spaces allowed; anything else (including an empty value and "1") is
 * not a boolean, so the parameter keeps its default.
 */
function booleanParameter(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const text = query.get(name)?.trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  return fallback;
}

/** ISO 8601 without fractional seconds, as the extension formats createdTime ("s" + "Z"). */
function statusTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function statusJson(row: InstanceRow, options: { showInput?: boolean; history?: unknown[] } = {}): Record<string, unknown> {
  const status: Record<string, unknown> = {
    name: row.name,
    instanceId: row.instanceId,
    runtimeStatus: row.status,
    input: options.showInput === false ? null : parseJsonText(row.input),
    customStatus: parseJsonText(row.customStatus),
    output: parseJsonText(row.output),
    createdTime: statusTime(row.createdMs),
    lastUpdatedTime: statusTime(row.updatedMs),
  };
  if (options.history) status.historyEvents = options.history;
  return status;
}

/** Fields of a history event an operator sees; the runtime's own bookkeeping fields stay inside. */
const VISIBLE_HISTORY_FIELDS = ['Name', 'InstanceId', 'Input', 'Result', 'Reason', 'Details', 'FireAt', 'OrchestrationStatus'] as const;

/** Completion event type -> the event type that scheduled it (paired by TaskScheduledId). */
const SCHEDULING_EVENT: Readonly<Record<number, number>> = {
  [EventType.TaskCompleted]: EventType.TaskScheduled,
  [EventType.TaskFailed]: EventType.TaskScheduled,
  [EventType.SubOrchestrationInstanceCompleted]: EventType.SubOrchestrationInstanceCreated,
  [EventType.SubOrchestrationInstanceFailed]: EventType.SubOrchestrationInstanceCreated,
};

/**
 * History as the extension's DurableClient shows it (GetDurableOrchestrationStatusAsync):
 * OrchestratorStarted/Completed are left out; a completion carries its scheduling event's
 * FunctionName, ScheduledTime (and Input when shown) and that scheduling event is left out; the
 * orchestration's name is FunctionName; EventId, IsPlayed, TaskScheduledId and TimerId are not
 * shown; results only with showHistoryOutput (TaskFailed keeps Reason and Details).
 */
export function historyForClient(
  history: readonly HistoryEvent[],
  options: { showOutput: boolean; showInput: boolean },
): Record<string, unknown>[] {
  const schedulingIndex = new Map<string, number>();
  history.forEach((e, index) => {
    if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated)
      schedulingIndex.set(`${e.EventType}:${e.EventId}`, index);
  });
  const hidden = new Set<number>();
  const entries = history.map((e): Record<string, unknown> | undefined => {
    if (e.EventType === EventType.OrchestratorStarted || e.EventType === EventType.OrchestratorCompleted) return undefined;
    const entry: Record<string, unknown> = { EventType: EventTypeName[e.EventType] ?? e.EventType, Timestamp: e.Timestamp };
    for (const field of VISIBLE_HISTORY_FIELDS) if (e[field] !== undefined) entry[field] = e[field];
    if (e.EventType === EventType.ExecutionStarted) {
      entry.FunctionName = entry.Name;
      delete entry.Name;
    }
    const schedulingType = SCHEDULING_EVENT[e.EventType];
    if (schedulingType !== undefined) {
      const scheduledAt = schedulingIndex.get(`${schedulingType}:${e.TaskScheduledId}`);
      const scheduled = scheduledAt === undefined ? undefined : history[scheduledAt];
      if (scheduledAt !== undefined && scheduled) {
        hidden.add(scheduledAt);
        entry.ScheduledTime = scheduled.Timestamp;
        entry.FunctionName = scheduled.Name;
        if (scheduled.Input !== undefined) entry.Input = scheduled.Input;
      }
    }
    const carriesOutput =
      e.EventType === EventType.TaskCompleted ||
      e.EventType === EventType.SubOrchestrationInstanceCompleted ||
      e.EventType === EventType.ExecutionCompleted;
    if (carriesOutput) {
      if (options.showOutput && e.Result !== undefined) entry.Result = parseJsonText(e.Result);
      else delete entry.Result;
    }
    if (!options.showInput) delete entry.Input;
    return entry;
  });
  return entries.filter((entry, index): entry is Record<string, unknown> => entry !== undefined && !hidden.has(index));
}

function parseTime(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new DurableOperationError(400, `${name}: "${value}" is not a valid date-time`);
  return ms;
}

/** Seconds a client should wait before polling a running instance again (the extension's value). */
const STATUS_RETRY_AFTER_SECONDS = '5';

function statusAnswer(engine: DurableEngine, row: InstanceRow, request: ManagementRequest): ManagementResponse {
  const query = request.query;
  const showInput = booleanParameter(query, 'showInput', true);
  const history = booleanParameter(query, 'showHistory', false)
    ? historyForClient(engine.getHistory(row.instanceId), { showOutput: booleanParameter(query, 'showHistoryOutput', false), showInput })
    : undefined;
  const body = statusJson(row, { showInput, ...(history ? { history } : {}) });
  if (!TERMINAL_STATUSES.has(row.status))
    return { status: 202, headers: { location: request.url, 'retry-after': STATUS_RETRY_AFTER_SECONDS }, body };
  const failed = row.status === 'Failed' && booleanParameter(query, 'returnInternalServerErrorOnFailure', false);
  return { status: failed ? 500 : 200, body };
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
        return statusAnswer(engine, row, request);
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
        if (!third || rest.length > 0)
          return { status: 400, body: { message: 'raiseEvent needs an event name: instances/{id}/raiseEvent/{eventName}' } };
        engine.requireRunning(instanceId);
        const mediaType = String(request.headers['content-type'] ?? '')
          .split(';')[0]
          ?.trim()
          .toLowerCase();
        if (mediaType !== 'application/json') {
          return {
            status: 400,
            body: {
              message: `raising '${third}': only application/json request content is supported (Content-Type was ${mediaType ? `"${mediaType}"` : 'missing'})`,
            },
          };
        }
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

/** OrchestrationRuntimeStatus values by name and number (the extension parses either, case-sensitively). */
const RUNTIME_STATUS_BY_TEXT: ReadonlyMap<string, RuntimeStatus | 'Canceled' | 'Unknown'> = new Map([
  ...(['Unknown', 'Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Canceled', 'Terminated', 'Pending', 'Suspended'] as const).map(
    (name) => [name, name] as const,
  ),
  ['-1', 'Unknown'],
  ['0', 'Running'],
  ['1', 'Completed'],
  ['2', 'ContinuedAsNew'],
  ['3', 'Failed'],
  ['4', 'Canceled'],
  ['5', 'Terminated'],
  ['6', 'Pending'],
  ['7', 'Suspended'],
]);

/**
 * The runtimeStatus filter as the extension reads it: comma-separated status names; values it cannot
 * parse are ignored, and when none is left there is no status filter at all.
 */
function statusFilter(request: ManagementRequest): RuntimeStatus[] | undefined {
  const wanted = request.query
    .getAll('runtimeStatus')
    .flatMap((text) => text.split(','))
    .map((part) => RUNTIME_STATUS_BY_TEXT.get(part.trim()))
    .filter((status) => status !== undefined);
  if (wanted.length === 0) return undefined;
  // Canceled and Unknown are valid names that no local instance ever has.
  return STATUSES.filter((status) => wanted.includes(status));
}

function listInstances(engine: DurableEngine, request: ManagementRequest): ManagementResponse {
  const topText = request.query.get('top');
  let top: number | undefined;
  if (topText !== null && topText !== '') {
    top = Number(topText);
    if (!Number.isInteger(top) || top <= 0) throw new DurableOperationError(400, `top: "${topText}" is not a positive integer`);
  }
  const continuationHeader = request.headers['x-ms-continuation-token'];
  const continuation =
    (Array.isArray(continuationHeader) ? continuationHeader[0] : continuationHeader) || request.query.get('continuationToken') || undefined;
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
  const showInput = booleanParameter(request.query, 'showInput', true);
  return {
    status: 200,
    headers: page.continuation ? { 'x-ms-continuation-token': page.continuation } : {},
    body: page.rows.map((row) => statusJson(row, { showInput })),
  };
}

function purgeMany(engine: DurableEngine, request: ManagementRequest): ManagementResponse {
  // The extension requires createdTimeFrom here (a purge of "everything" must be asked for explicitly).
  const createdFromMs = parseTime(request.query.get('createdTimeFrom'), 'createdTimeFrom');
  if (createdFromMs === undefined) return { status: 400, body: { message: "Please provide value for 'createdTimeFrom' parameter." } };
  const createdToMs = parseTime(request.query.get('createdTimeTo'), 'createdTimeTo') ?? engine.now();
  const statuses = statusFilter(request) ?? [...TERMINAL_STATUSES];
  const page = engine.queryInstances({ createdFromMs, createdToMs, statuses });
  let deleted = 0;
  for (const row of page.rows) if (TERMINAL_STATUSES.has(row.status)) deleted += engine.purge(row.instanceId);
  if (deleted === 0) return { status: 404, body: { message: 'no finished instance matched' } };
  return { status: 200, body: { instancesDeleted: deleted } };
}
