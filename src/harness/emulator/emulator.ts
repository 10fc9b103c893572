/**
 * The local Azure emulator: what Azurite is to Storage, this is to Azure ML online endpoints,
 * Log Analytics and Azure Monitor metrics. The real SDK clients talk to it through their
 * endpoint options; everything runs on the injected Clock and is deterministic per seed.
 *
 * Two listeners serve the same routes: HTTPS (a self-signed certificate made at start, because the
 * SDKs' bearer-token policy refuses plain http) for the SDK clients, and plain HTTP for people
 * (curl the scoring URI) and for clients that need no token.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../ports/clock';
import { ArmApi, type ApiResponse } from './arm-api';
import { MODEL_ERROR_RESPONSE_CODE } from '../../analysis/queries';
import { ServiceError } from './arm-errors';
import { ArmState, type StateSnapshot, type WorkspaceCoords } from './arm-state';
import { BehaviorBook } from './behavior';
import { createSelfSignedCertificate, type SelfSignedCertificate } from './certificate';
import { FaultInjector, type FaultTarget } from './faults';
import { CustomTables, type CustomTablesSpec } from './custom-tables';
import { sampleIngestionDelayMs } from './ingestion';
import { LogAnalytics } from './log-analytics';
import { MetricsApi } from './metrics-api';
import { retailPrices } from './prices';
import { DeploymentMetricsApi, isDeploymentMetricsQuery } from './resource-metrics';
import { predictionFor } from './predictions';
import { createRandom, type Random } from './prng';
import { TrafficLog } from './traffic-log';
import { generateTrafficUntil, RequestServer, TrafficGenerator, type ServedCountsByKind, type ServedCounts } from './traffic';
import {
  DEFAULT_DURATIONS,
  trafficScheduleSchema,
  type Fault,
  type ModelBehaviorInput,
  type ProvisioningDurations,
  type TrafficSchedule,
} from './types';
import { emptyWorld, type WorldSpec } from './world';

export interface EmulatorOptions {
  readonly clock: Clock;
  /** Seeds every random choice (default 1). */
  readonly seed?: number;
  /** Initial resources and traffic (default: an empty workspace with the demo coordinates). */
  readonly world?: WorldSpec;
  /**
   * Log Analytics ingestion latency: the 95th percentile, in minutes, of each row's own delay
   * (default 3; median a third of it, at least 20 s, at most 3x; 0 = visible at once). See ingestion.ts.
   */
  readonly ingestionDelayMinutes?: number;
  /** The app's own log tables (`*_CL`) and how each model version fills them (docs/simulate.md). */
  readonly customTables?: CustomTablesSpec;
  /** Seconds before a request shows in platform metrics (default 30; Azure: under a minute). */
  readonly metricsDelaySeconds?: number;
  /** Rows older than this are dropped (default 7 days), so long accelerated runs stay bounded. */
  readonly retentionMinutes?: number;
  readonly faults?: readonly Fault[];
  readonly durations?: Partial<ProvisioningDurations>;
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port of the plain HTTP listener (default 0: a free port). */
  readonly port?: number;
  /** Port of the HTTPS listener (default 0: a free port). */
  readonly httpsPort?: number;
  /**
   * When set, ARM, logs and metrics calls must carry exactly `Authorization: Bearer <token>`. A
   * function gives the token in force at each call: the chaos suite gives each incarnation of the
   * app its own, so a stopped runtime's abandoned activities are refused, as a killed process
   * would make no more calls.
   */
  readonly token?: string | (() => string);
}

export interface EmulatorCounters {
  armReads: number;
  armWrites: number;
  logQueries: number;
  metricQueries: number;
  scoringRequests: number;
}

export interface RegisterModelVersionOptions {
  readonly model: string;
  readonly version: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly properties?: Readonly<Record<string, string>>;
  readonly description?: string;
  readonly behavior?: ModelBehaviorInput;
}

export interface Emulator {
  /** Plain HTTP base URL (after start): scoring URIs, Event Grid helper, curl. */
  readonly url: string;
  /** HTTPS base URL (after start): for the SDK clients (ARM endpoint, metrics endpoint). */
  readonly httpsUrl: string;
  /** What to pass as LogsQueryClient's `endpoint` (it appends /workspaces/{id}/query itself). */
  readonly logsEndpoint: string;
  /** PEM of the self-signed certificate: pass as `tlsOptions: { ca }` to SDK clients. */
  readonly certificatePem: string;
  readonly coords: WorkspaceCoords;
  readonly logAnalyticsWorkspaceId: string;
  readonly originMs: number;
  readonly state: ArmState;
  readonly log: TrafficLog;
  readonly counters: Readonly<EmulatorCounters>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The shared clock's time. */
  now(): number;
  /** Applies due operation completions and generates traffic up to the clock's now. */
  advance(): void;
  onChange(listener: (snapshot: StateSnapshot) => void): () => void;
  setBehavior(modelKey: string, behavior: ModelBehaviorInput): void;
  registerModelVersion(options: RegisterModelVersionOptions): void;
  addFault(fault: Fault): void;
  /** How often each fault has fired (in order of addition). */
  faultsFired(): number[];
  setTraffic(endpoint: string, schedule: TrafficSchedule): void;
  scoringUri(endpoint: string): string;
  endpointKeys(endpoint: string): { primaryKey: string; secondaryKey: string };
  /** Requests users were served (live traffic), per "model:version". */
  servedCounts(): Record<string, ServedCounts>;
  /** Every request, by kind (live, mirror, pinned), per "model:version". */
  servedCountsByKind(): Record<string, ServedCountsByKind>;
  /** The next time an asynchronous ARM operation completes, if any. */
  nextCompletionMs(): number | undefined;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: http.ServerResponse, response: ApiResponse): void {
  const headers: Record<string, string> = { 'x-ms-request-id': 'emulator', ...(response.headers ?? {}) };
  if (response.body === undefined) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function createEmulator(options: EmulatorOptions): Emulator {
  const clock = options.clock;
  const seed = options.seed ?? 1;
  const nonNegative = (name: string, value: number | undefined): void => {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0))
      throw new RangeError(`createEmulator: ${name} must be a non-negative number (got ${String(value)})`);
  };
  nonNegative('seed', seed);
  nonNegative('ingestionDelayMinutes', options.ingestionDelayMinutes);
  nonNegative('metricsDelaySeconds', options.metricsDelaySeconds);
  nonNegative('retentionMinutes', options.retentionMinutes);
  const retentionMs = (options.retentionMinutes ?? 7 * 24 * 60) * 60_000;
  /** Compaction is amortized: it runs when at least this many rows are past retention. */
  const COMPACT_BATCH_ROWS = 50_000;
  const world = options.world ?? emptyWorld();
  const originMs = clock.now();
  /** The 95th percentile of the per-row ingestion delay (see ingestion.ts). */
  const ingestionDelayP95Ms = (options.ingestionDelayMinutes ?? 3) * 60_000;
  const metricsDelayMs = (options.metricsDelaySeconds ?? 30) * 1000;
  const host = options.host ?? '127.0.0.1';
  const behaviors = new BehaviorBook();
  const coords: WorkspaceCoords = {
    subscriptionId: world.subscriptionId,
    resourceGroup: world.resourceGroup,
    workspace: world.workspace,
    location: world.location,
  };
  const tenantId = world.tenantId;
  let httpUrl = '';
  let httpsUrl = '';
  const scoringUri = (endpoint: string): string => `${httpUrl || `http://${host}`}/score/${endpoint}`;
  const armRandom = createRandom(seed, 'arm');
  const state = new ArmState({ coords, durations: { ...DEFAULT_DURATIONS, ...options.durations }, behaviors, random: armRandom }, originMs);
  const ingestionRandom = createRandom(seed, 'ingestion');
  const log = new TrafficLog({
    tenantId,
    location: coords.location,
    resourceIdOf: (endpoint) => state.endpointId(endpoint),
    workspace: { id: state.workspaceId(), name: coords.workspace, subscriptionId: coords.subscriptionId },
    ingestionDelayMs: () => sampleIngestionDelayMs(ingestionDelayP95Ms, ingestionRandom),
  });
  const customTables = options.customTables ? new CustomTables(options.customTables, createRandom(seed, 'custom-tables')) : undefined;
  const server = new RequestServer({ state, behaviors, log, originMs, ...(customTables ? { customTables } : {}) });
  const generators: TrafficGenerator[] = [];
  const scoringRandom: Random = createRandom(seed, 'scoring');
  const faults = new FaultInjector(createRandom(seed, 'faults'), originMs);
  for (const fault of options.faults ?? []) faults.add(fault);
  const counters: EmulatorCounters = { armReads: 0, armWrites: 0, logQueries: 0, metricQueries: 0, scoringRequests: 0 };
  const arm = new ArmApi(state, scoringUri, tenantId);
  const logs = new LogAnalytics({ log, clock, ...(customTables ? { customTables } : {}), workspaceIds: [world.logAnalyticsWorkspaceId] });
  const metrics = new MetricsApi({ log, state, clock, metricsDelayMs });
  const deploymentMetrics = new DeploymentMetricsApi({ log, state, behaviors, metricsDelayMs });

  /**
   * Brings the emulator up to `nowMs`: due operations complete, synthetic requests before `nowMs`
   * are made. A request handler reads the clock once and uses that instant throughout, so rows it
   * appends (scoring) are never older than generated ones, even on a moving (wall) clock.
   */
  const advance = (nowMs: number = clock.now()): void => {
    state.settle(nowMs);
    generateTrafficUntil(generators, nowMs);
    if (log.length > COMPACT_BATCH_ROWS && log.timeAt(COMPACT_BATCH_ROWS) < nowMs - retentionMs) log.dropBefore(nowMs - retentionMs);
  };

  const setTraffic = (endpoint: string, schedule: TrafficSchedule): void => {
    advance();
    const existing = generators.find((g) => g.endpointName === endpoint);
    if (existing) existing.setSchedule(schedule);
    else generators.push(new TrafficGenerator(endpoint, schedule, originMs, server, createRandom(seed, `traffic:${endpoint}`)));
  };

  const registerModelVersion = (o: RegisterModelVersionOptions): void => {
    state.putModelVersion(clock.now(), o.model, o.version, {
      properties: {
        tags: { ...(o.tags ?? {}) },
        properties: { ...(o.properties ?? {}) },
        ...(o.description !== undefined ? { description: o.description } : {}),
      },
    });
    if (o.behavior) behaviors.set(`${o.model}:${o.version}`, o.behavior);
  };

  // ------------------------------------------------------------ seed the world (all Succeeded at origin)
  for (const [key, behavior] of Object.entries(world.behavior ?? {})) behaviors.set(key, behavior);
  for (const m of world.models) registerModelVersion(m);
  state.seedWorld(originMs, world.endpoints);
  for (const e of world.endpoints) {
    if (e.requestsPerMinute !== undefined)
      setTraffic(
        e.name,
        typeof e.requestsPerMinute === 'number'
          ? { requestsPerMinute: e.requestsPerMinute }
          : { requestsPerMinute: [...e.requestsPerMinute] },
      );
  }

  // ------------------------------------------------------------ HTTP
  const checkToken = (req: http.IncomingMessage): void => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const expected = typeof options.token === 'function' ? options.token() : options.token;
    if (!match || (expected !== undefined && match[1] !== expected)) {
      throw new ServiceError(
        401,
        'AuthenticationFailed',
        match ? 'The access token is invalid.' : "Authentication failed. The 'Authorization' header is missing or not a Bearer token.",
      );
    }
  };

  /**
   * Applies an injected fault: true when the call was answered (or dropped) by the fault.
   * `partial` (logs) calls `answerPartially` instead.
   */
  const injectFault = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: FaultTarget,
    operation: string,
    answerPartially?: () => ApiResponse,
  ): boolean => {
    const fired = faults.check(target, operation, clock.now());
    if (!fired) return false;
    if (fired.status === 'partial') {
      if (answerPartially) send(res, answerPartially());
      else
        send(res, { status: 500, body: { error: { code: 'InternalServerError', message: `injected partial failure on ${operation}` } } });
      return true;
    }
    if (fired.status === 'timeout') {
      // A held request would wait on a virtual clock that only advances when the app is idle,
      // which would deadlock a simulation; dropping the connection unanswered is what the
      // caller sees when its timeout fires, without the wait.
      req.socket.destroy();
      return true;
    }
    const byStatus: Record<number, [string, string]> = {
      409: ['Conflict', `The request conflicts with an operation in progress (injected fault on ${operation}).`],
      429: ['TooManyRequests', `Too many requests; retry after ${fired.retryAfterSeconds} seconds (injected fault on ${operation}).`],
      500: ['InternalServerError', `An internal server error occurred (injected fault on ${operation}).`],
      503: ['ServiceUnavailable', `The service is temporarily unavailable (injected fault on ${operation}).`],
    };
    const [code, message] = byStatus[fired.status] ?? ['InternalServerError', 'injected fault'];
    send(res, {
      status: fired.status,
      headers: fired.status === 429 ? { 'Retry-After': String(fired.retryAfterSeconds) } : {},
      body: { error: { code, message } },
    });
    return true;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, secure: boolean): Promise<void> => {
    const baseUrl = `${secure ? 'https' : 'http'}://${req.headers.host ?? host}`;
    const url = new URL(req.url ?? '/', baseUrl);
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    const method = (req.method ?? 'GET').toUpperCase();
    const text = await readBody(req);
    try {
      const nowMs = clock.now();
      advance(nowMs);
      let body: unknown = undefined;
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          throw new ServiceError(
            400,
            'InvalidRequestContent',
            'The request content was invalid and could not be deserialized: the body is not valid JSON.',
          );
        }
      }
      // Emulator administration (not Azure): /_emulator/...
      if (segments[0] === '_emulator') {
        if (options.token !== undefined) checkToken(req);
        send(res, admin(method, segments.slice(1), body, nowMs));
        return;
      }
      // Scoring: POST /score/{endpoint}
      if (segments[0] === 'score' && segments.length === 2 && method === 'POST') {
        counters.scoringRequests++;
        send(res, scoring(segments[1] ?? '', req, text, nowMs));
        return;
      }
      // Log Analytics: POST [/v1]/workspaces/{id}/query
      const logPath = segments[0] === 'v1' ? segments.slice(1) : segments;
      if (logPath[0] === 'workspaces' && logPath[2] === 'query' && logPath.length === 3 && (method === 'POST' || method === 'GET')) {
        counters.logQueries++;
        checkToken(req);
        const queryBody =
          method === 'GET' ? { query: url.searchParams.get('query'), timespan: url.searchParams.get('timespan') ?? undefined } : body;
        if (injectFault(req, res, 'logs', 'query', () => logs.partial(logs.query(logPath[1] ?? '', queryBody, nowMs)))) return;
        send(res, logs.query(logPath[1] ?? '', queryBody, nowMs));
        return;
      }
      // Metrics batch: POST /subscriptions/{s}/metrics:getBatch
      if (
        segments[0]?.toLowerCase() === 'subscriptions' &&
        segments.length === 3 &&
        segments[2]?.toLowerCase() === 'metrics:getbatch' &&
        method === 'POST'
      ) {
        counters.metricQueries++;
        checkToken(req);
        if (injectFault(req, res, 'metrics', 'metrics')) return;
        send(
          res,
          (isDeploymentMetricsQuery(url.searchParams) ? deploymentMetrics : metrics).getBatch(
            segments[1] ?? '',
            url.searchParams,
            body,
            nowMs,
          ),
        );
        return;
      }
      // Azure Retail Prices (public, no token): GET /api/retail/prices?$filter=...
      if (segments.join('/').toLowerCase() === 'api/retail/prices' && method === 'GET') {
        send(res, retailPrices(url.searchParams));
        return;
      }
      const call = arm.resolve({ method, segments, query: url.searchParams, body, baseUrl, nowMs });
      if (call) {
        if (call.write) counters.armWrites++;
        else counters.armReads++;
        checkToken(req);
        if (injectFault(req, res, 'arm', call.operation)) return;
        send(res, call.run());
        return;
      }
      throw new ServiceError(404, 'NotFound', `The emulator has no route for ${method} ${url.pathname}.`);
    } catch (error) {
      if (error instanceof ServiceError) {
        send(res, { status: error.status, headers: error.headers, body: error.body() });
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      send(res, { status: 500, body: { error: { code: 'InternalServerError', message: `emulator error: ${message}` } } });
    }
  };

  /**
   * A small admin API for other processes (the emulator CLI's `register` command, npm start):
   *   GET  /_emulator/state                          clock, resources, counters, served counts
   *   POST /_emulator/models/{model}/versions/{v}    { tags?, properties?, description?, behavior? }
   *   PUT  /_emulator/behavior/{model:version}       behaviour (scenario format)
   *   PUT  /_emulator/traffic/{endpoint}             { requestsPerMinute }
   *   POST /_emulator/faults                         a fault (scenario format)
   */
  const admin = (method: string, path: readonly string[], body: unknown, nowMs: number): ApiResponse => {
    const asObject = (value: unknown): Record<string, unknown> => {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new ServiceError(400, 'BadRequest', 'The body must be a JSON object.');
      return value as Record<string, unknown>;
    };
    const fail = (error: unknown): never => {
      throw new ServiceError(400, 'BadRequest', error instanceof Error ? error.message : String(error));
    };
    if (method === 'GET' && path.length === 1 && path[0] === 'state') {
      return {
        status: 200,
        body: {
          now: new Date(nowMs).toISOString(),
          minute: (nowMs - originMs) / 60_000,
          coords,
          logAnalyticsWorkspaceId: world.logAnalyticsWorkspaceId,
          state: state.snapshot(nowMs, 'state'),
          counters,
          served: Object.fromEntries(
            [...server.counts].map(([key, c]) => [key, { live: { ...c.live }, mirror: { ...c.mirror }, pinned: { ...c.pinned } }]),
          ),
          faultsFired: faults.firedCounts(),
          logRows: log.length,
        },
      };
    }
    if (method === 'POST' && path.length === 4 && path[0] === 'models' && path[2] === 'versions') {
      const b = asObject(body ?? {});
      try {
        registerModelVersion({
          model: path[1] ?? '',
          version: path[3] ?? '',
          tags: (b['tags'] as Record<string, string> | undefined) ?? {},
          properties: (b['properties'] as Record<string, string> | undefined) ?? {},
          ...(typeof b['description'] === 'string' ? { description: b['description'] } : {}),
          ...(b['behavior'] !== undefined ? { behavior: b['behavior'] as ModelBehaviorInput } : {}),
        });
      } catch (error) {
        if (error instanceof ServiceError) throw error;
        fail(error);
      }
      return { status: 201, body: arm.renderModelVersion(state.getModelVersion(path[1] ?? '', path[3] ?? '')) };
    }
    if (method === 'PUT' && path.length === 2 && path[0] === 'behavior') {
      try {
        behaviors.set(path[1] ?? '', asObject(body) as ModelBehaviorInput);
      } catch (error) {
        fail(error);
      }
      return { status: 200, body: behaviors.get(path[1] ?? '') };
    }
    if (method === 'PUT' && path.length === 2 && path[0] === 'traffic') {
      const parsed = trafficScheduleSchema.safeParse(body);
      if (!parsed.success)
        fail(new Error(`traffic: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`));
      else setTraffic(path[1] ?? '', parsed.data);
      return { status: 200, body: body ?? {} };
    }
    if (method === 'POST' && path.length === 1 && path[0] === 'faults') {
      try {
        faults.add(asObject(body) as Fault);
      } catch (error) {
        fail(error);
      }
      return { status: 201, body: { faults: faults.firedCounts().length } };
    }
    throw new ServiceError(404, 'NotFound', `The emulator has no admin route for ${method} /_emulator/${path.join('/')}.`);
  };

  const scoring = (endpointName: string, req: http.IncomingMessage, text: string, nowMs: number): ApiResponse => {
    const endpoint = state.endpoints.get(endpointName);
    if (!endpoint) throw new ServiceError(404, 'NotFound', `Endpoint '${endpointName}' was not found.`);
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!match || (match[1] !== endpoint.keys.primaryKey && match[1] !== endpoint.keys.secondaryKey)) {
      return {
        status: 401,
        body: { message: 'Authentication failed: the key is missing or invalid. Send Authorization: Bearer <endpoint key>.' },
      };
    }
    const pinnedHeader = req.headers['azureml-model-deployment'];
    const pinned = typeof pinnedHeader === 'string' && pinnedHeader !== '' ? pinnedHeader : undefined;
    const answer = server.handle({
      timeMs: nowMs,
      endpoint: endpointName,
      pinned,
      random: scoringRandom,
      userAgent: req.headers['user-agent'] ?? 'unknown',
      requestPayloadSize: Buffer.byteLength(text),
      occupiesPendingSlot: false,
    });
    const [model, version] =
      answer.modelKey === ''
        ? ['', '']
        : [answer.modelKey.slice(0, answer.modelKey.lastIndexOf(':')), answer.modelKey.slice(answer.modelKey.lastIndexOf(':') + 1)];
    const requestId = log.requestIdAt(answer.row);
    const headers: Record<string, string> = {
      'x-request-id': requestId,
      'x-ms-run-function-failed': answer.responseCode === 200 ? 'False' : 'True',
    };
    if (answer.deployment !== '') headers['azureml-model-deployment'] = answer.deployment;
    if (answer.responseCode === MODEL_ERROR_RESPONSE_CODE) {
      // Azure names the container's own answer in these headers (troubleshooting online endpoints, 424).
      headers['ms-azureml-model-error-statuscode'] = String(answer.modelStatusCode);
      headers['ms-azureml-model-error-reason'] = answer.message;
    }
    if (answer.responseCode !== 200)
      return { status: answer.responseCode, headers, body: { message: answer.message, deployment: answer.deployment, model, version } };
    const predicted = predictionFor(text, behaviors.get(answer.modelKey).predictions);
    return {
      status: 200,
      headers,
      // The prediction depends on the body and the version's settings only: the same input gets the same answer.
      body: {
        deployment: answer.deployment,
        model,
        version,
        prediction: predicted.score,
        label: predicted.label,
        latencyMs: answer.totalDurationMs,
      },
    };
  };

  let httpServer: http.Server | undefined;
  let httpsServer: https.Server | undefined;
  let certificate: SelfSignedCertificate | undefined;

  const listen = (s: http.Server | https.Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        resolve((s.address() as AddressInfo).port);
      });
    });
  const closeServer = (s: http.Server | https.Server | undefined): Promise<void> =>
    new Promise((resolve) => {
      if (!s) {
        resolve();
        return;
      }
      s.close(() => resolve());
      s.closeAllConnections();
    });
  const urlHost = host.includes(':') ? `[${host}]` : host;

  const emulator: Emulator = {
    get url() {
      return httpUrl;
    },
    get httpsUrl() {
      return httpsUrl;
    },
    get logsEndpoint() {
      return `${httpsUrl}/v1`;
    },
    get certificatePem() {
      if (!certificate) throw new Error('the emulator is not started: its certificate is made by start()');
      return certificate.certificatePem;
    },
    coords,
    logAnalyticsWorkspaceId: world.logAnalyticsWorkspaceId,
    originMs,
    state,
    log,
    counters,
    async start() {
      if (httpServer) throw new Error('the emulator is already started');
      // TLS validity is checked against the machine's real time, never the virtual clock.
      certificate = createSelfSignedCertificate(Date.now());
      httpServer = http.createServer((req, res) => void handle(req, res, false));
      httpsServer = https.createServer(
        { cert: certificate.certificatePem, key: certificate.privateKeyPem },
        (req, res) => void handle(req, res, true),
      );
      const httpPort = await listen(httpServer, options.port ?? 0);
      const httpsPort = await listen(httpsServer, options.httpsPort ?? 0);
      httpUrl = `http://${urlHost}:${httpPort}`;
      httpsUrl = `https://${urlHost}:${httpsPort}`;
    },
    async stop() {
      await Promise.all([closeServer(httpServer), closeServer(httpsServer)]);
      httpServer = undefined;
      httpsServer = undefined;
    },
    now: () => clock.now(),
    advance,
    onChange: (listener) => state.onChange(listener),
    setBehavior: (modelKey, behavior) => {
      advance();
      behaviors.set(modelKey, behavior);
    },
    registerModelVersion: (o) => {
      advance();
      registerModelVersion(o);
    },
    addFault: (fault) => faults.add(fault),
    faultsFired: () => faults.firedCounts(),
    setTraffic,
    scoringUri,
    endpointKeys: (endpoint) => ({ ...state.getEndpoint(endpoint).keys }),
    servedCounts: () => {
      advance();
      return Object.fromEntries([...server.counts].map(([key, counts]) => [key, { ...counts.live }]));
    },
    servedCountsByKind: () => {
      advance();
      return Object.fromEntries(
        [...server.counts].map(([key, c]) => [key, { live: { ...c.live }, mirror: { ...c.mirror }, pinned: { ...c.pinned } }]),
      );
    },
    nextCompletionMs: () => state.nextCompletionMs(),
  };
  return emulator;
}
