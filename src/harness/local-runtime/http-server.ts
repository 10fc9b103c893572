/**
 * The runtime's HTTP front door (node:http), serving what the Functions host serves:
 *   /<routePrefix>/<route>                       HTTP triggers (methods, params, query, headers, bodies, keys)
 *   /runtime/webhooks/eventgrid?functionName=fn   Event Grid trigger (Event Grid schema and CloudEvents)
 *   /runtime/webhooks/durabletask/...            the Durable management API
 *   /admin/host/status                           a liveness probe
 */
import http from 'node:http';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { RuntimeClock } from './clock';
import type { DurableEngine } from './durable/engine';
import type { FunctionsCore, RegisteredFunction, RpcTypedData } from './functions-core';
import { FunctionInvocationError, invokeFunction } from './invoker';
import { handleManagement, type ManagementResponse, type ManagementUrls } from './management-api';
import { compileRoute, type CompiledRoute } from './routes';

export interface HttpServerOptions {
  readonly core: FunctionsCore;
  readonly engine: DurableEngine;
  readonly clock: RuntimeClock;
  readonly routePrefix: string;
  readonly hubName: string;
  /** When set, function/admin-level HTTP triggers require this key (the host's default key). */
  readonly functionKey: string | undefined;
  /**
   * The extensions' system keys, required (instead of the function key) by their webhooks when
   * keys are on: `eventgrid_extension` for /runtime/webhooks/eventgrid and `durabletask_extension`
   * for /runtime/webhooks/durabletask, as the Functions host authorizes extension webhooks.
   */
  readonly systemKeys: SystemKeys | undefined;
  /** Base URL clients should use (http://host:port), known once listening. */
  readonly publicOrigin: () => string;
  /**
   * The durable client's management endpoint on the loopback listener (like Azure's rpc endpoint).
   * Its path holds a per-run secret: only the app, which gets it in the durableClient binding
   * data, can reach the management API there.
   */
  readonly rpcBaseUrl: () => string;
  /** When the app enabled HTTP streaming, the library's proxy URL (from getCapabilities). */
  readonly streamProxyUrl: () => string | undefined;
  readonly counters: { httpRequests: number; eventGridEvents: number };
  readonly log: (message: string) => void;
  /** Where `GET /` sends a browser (the host shows its own landing page there otherwise). */
  readonly rootRedirect?: string | undefined;
  /**
   * Pages the host program adds outside the route prefix (npm start's notification inbox); asked
   * first, answers true when it served the request. Not part of the Functions host.
   */
  readonly localPages?: LocalPages | undefined;
}

export type LocalPages = (req: http.IncomingMessage, res: http.ServerResponse, path: string) => Promise<boolean>;

/** The extension system keys of the Functions host, by their key names. */
export interface SystemKeys {
  readonly eventgrid_extension: string;
  readonly durabletask_extension: string;
}

/** Origins the Event Grid extension echoes in WebHook-Allowed-Origin (any other gets the public cloud's). */
const EVENT_GRID_ORIGINS = [
  'eventgrid.azure.net',
  'eventgrid.azure.us',
  'eventgrid.azure.eaglex.ic.gov',
  'eventgrid.azure.microsoft.scloud',
  'eventgrid.azure.cn',
];

/** Compares a presented key with the expected one in constant time (digests, so lengths do not leak). */
function matchesKey(presented: string | null | undefined, expected: string): boolean {
  if (presented === null || presented === undefined) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

function firstHeader(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

interface HttpRoute {
  readonly fn: RegisteredFunction;
  readonly route: CompiledRoute;
  readonly methods: readonly string[] | undefined;
  readonly authLevel: string;
}

const MAX_BODY_BYTES = 100 * 1024 * 1024; // the Functions host's default request size limit

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function headerRecord(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export class RuntimeHttpServer {
  readonly #options: HttpServerOptions;
  #routes: HttpRoute[] = [];

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.refreshRoutes();
  }

  /** The request listener for the public server: every request is busy work on the clock. */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    void this.#options.clock
      .runBusy(() => this.#handle(req, res))
      .catch((error: unknown) => {
        this.#options.log(`request failed: ${(error as Error)?.stack ?? String(error)}`);
        if (!res.headersSent) sendJson(res, 500, { message: 'internal error in the local runtime' });
        else res.destroy();
      });
  }

  /** Compiles the HTTP trigger routes (literal routes before parameterised ones, as ASP.NET does). */
  refreshRoutes(): void {
    const routes: HttpRoute[] = [];
    for (const fn of this.#options.core.functionsByTrigger('httpTrigger')) {
      const template = typeof fn.trigger.route === 'string' && fn.trigger.route !== '' ? fn.trigger.route : fn.metadata.name;
      const methods =
        Array.isArray(fn.trigger.methods) && fn.trigger.methods.length > 0
          ? (fn.trigger.methods as string[]).map((m) => m.toUpperCase())
          : undefined;
      routes.push({ fn, route: compileRoute(template), methods, authLevel: String(fn.trigger.authLevel ?? 'function').toLowerCase() });
    }
    const specificity = (route: HttpRoute): number => (route.route.template.match(/\{/g) ?? []).length;
    this.#routes = routes.sort((a, b) => specificity(a) - specificity(b));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.#options.counters.httpRequests++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    try {
      if (path === '/admin/host/status') return sendJson(res, 200, { state: 'Running', version: '4.0.0-local' });
      if (path === '/' && this.#options.rootRedirect && (req.method === 'GET' || req.method === 'HEAD')) {
        res.writeHead(302, { location: this.#options.rootRedirect });
        res.end();
        return;
      }
      if (this.#options.localPages && (await this.#options.localPages(req, res, path))) return;
      if (path.startsWith('/runtime/webhooks/durabletask/') || path === '/runtime/webhooks/durabletask') {
        this.#requireSystemKey(req, url, 'durabletask_extension');
        return await this.#management(
          req,
          res,
          url,
          path.slice('/runtime/webhooks/durabletask/'.length),
          `${this.#options.publicOrigin()}${url.pathname}${url.search}`,
        );
      }
      if (path.toLowerCase() === '/runtime/webhooks/eventgrid') {
        return await this.#eventGrid(req, res, url);
      }
      const prefix = this.#options.routePrefix ? `/${this.#options.routePrefix}` : '';
      if (prefix === '' || path === prefix || path.startsWith(`${prefix}/`)) {
        return await this.#httpTrigger(req, res, url, prefix === '' ? path : path.slice(prefix.length));
      }
      return sendJson(res, 404, { message: `no route for ${path}` });
    } catch (error) {
      if (error instanceof HttpError) return sendJson(res, error.status, { message: error.message });
      throw error;
    }
  }

  /**
   * Management requests on the loopback rpc listener: the secret path of `rpcBaseUrl` is their key
   * (the durable-functions client resolves its request paths against that URL, so it carries it).
   */
  async handleRpc(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const base = new URL(this.#options.rpcBaseUrl());
    if (!url.pathname.startsWith(base.pathname))
      return sendJson(res, 404, { message: 'no such management endpoint: the durable client binding data names the right one' });
    try {
      await this.#management(req, res, url, url.pathname.slice(base.pathname.length), `${base.origin}${url.pathname}${url.search}`);
    } catch (error) {
      if (error instanceof HttpError) return sendJson(res, error.status, { message: error.message });
      throw error;
    }
  }

  #requireKey(req: http.IncomingMessage, url: URL, level: string): void {
    const key = this.#options.functionKey;
    if (!key || level === 'anonymous') return;
    const header = req.headers['x-functions-key'];
    const presented = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code');
    if (!matchesKey(presented, key))
      throw new HttpError(401, 'missing or wrong function key: pass it in the x-functions-key header or the code query parameter');
  }

  /** Extension webhooks take their extension's system key only (a function or host key is refused). */
  #requireSystemKey(req: http.IncomingMessage, url: URL, name: keyof SystemKeys): void {
    const keys = this.#options.systemKeys;
    if (!keys) return;
    const presented = firstHeader(req, 'x-functions-key') ?? url.searchParams.get('code');
    if (!matchesKey(presented, keys[name]))
      throw new HttpError(
        401,
        `missing or wrong system key: this webhook takes the ${name} system key (in the code query parameter or the x-functions-key header), not a function key`,
      );
  }

  managementUrls(): ManagementUrls {
    const suffix = new URLSearchParams({ taskHub: this.#options.hubName, connection: 'Storage' });
    // As in Azure, the links carry the Durable extension's system key.
    if (this.#options.systemKeys) suffix.set('code', this.#options.systemKeys.durabletask_extension);
    return {
      base: `${this.#options.publicOrigin()}/runtime/webhooks/durabletask/`,
      taskHub: this.#options.hubName,
      querySuffix: suffix.toString(),
    };
  }

  async #management(req: http.IncomingMessage, res: http.ServerResponse, url: URL, subPath: string, requestUrl: string): Promise<void> {
    const body = await readBody(req);
    const response: ManagementResponse = handleManagement(this.#options.engine, this.managementUrls(), {
      method: req.method ?? 'GET',
      url: requestUrl,
      path: subPath,
      query: url.searchParams,
      headers: req.headers,
      body,
    });
    // A 202 promises the start/event/operation is durable: end the group commit first.
    this.#options.engine.flush();
    sendJson(res, response.status, response.body, response.headers);
  }

  /** The durableClient binding data: what the Durable extension hands a client function. */
  clientBindingData(): Record<string, unknown> {
    const urls = this.managementUrls();
    const q = urls.querySuffix;
    const management: Record<string, string> = {
      id: 'INSTANCEID',
      statusQueryGetUri: `${urls.base}instances/INSTANCEID?${q}`,
      sendEventPostUri: `${urls.base}instances/INSTANCEID/raiseEvent/{eventName}?${q}`,
      terminatePostUri: `${urls.base}instances/INSTANCEID/terminate?reason={text}&${q}`,
      rewindPostUri: `${urls.base}instances/INSTANCEID/rewind?reason={text}&${q}`,
      purgeHistoryDeleteUri: `${urls.base}instances/INSTANCEID?${q}`,
      restartPostUri: `${urls.base}instances/INSTANCEID/restart?${q}`,
      suspendPostUri: `${urls.base}instances/INSTANCEID/suspend?reason={text}&${q}`,
      resumePostUri: `${urls.base}instances/INSTANCEID/resume?reason={text}&${q}`,
    };
    return {
      taskHubName: this.#options.hubName,
      creationUrls: {
        createNewInstancePostUri: `${urls.base}orchestrators/{functionName}[/{instanceId}]?${q}`,
        createAndWaitOnNewInstancePostUri: `${urls.base}orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
      },
      managementUrls: management,
      baseUrl: urls.base.replace(/\/$/, ''),
      requiredQueryStringParameters: q,
      rpcBaseUrl: this.#options.rpcBaseUrl(),
    };
  }

  /** Input data for a function's extra inputs the runtime can provide (durable clients). */
  extraInputData(fn: RegisteredFunction): { name: string; data: RpcTypedData }[] {
    const inputs: { name: string; data: RpcTypedData }[] = [];
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction !== 'in') continue;
      const type = String(binding.type ?? '').toLowerCase();
      if (type === 'durableclient' || type === 'orchestrationclient')
        inputs.push({ name, data: { json: JSON.stringify(this.clientBindingData()) } });
    }
    return inputs;
  }

  async #httpTrigger(req: http.IncomingMessage, res: http.ServerResponse, url: URL, subPath: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    let matched: { route: HttpRoute; params: Record<string, string> } | undefined;
    let methodMismatch = false;
    for (const route of this.#routes) {
      const params = route.route.match(subPath);
      if (!params) continue;
      if (route.methods && !route.methods.includes(method)) {
        methodMismatch = true;
        continue;
      }
      matched = { route, params };
      break;
    }
    if (!matched)
      return sendJson(res, methodMismatch ? 405 : 404, {
        message: methodMismatch ? `method ${method} is not allowed for ${url.pathname}` : `no function serves ${url.pathname}`,
      });
    const { route, params } = matched;
    this.#requireKey(req, url, route.authLevel);

    const fn = route.fn;
    const headers = headerRecord(req);
    const invocationId = randomUUID();
    const publicUrl = `${this.#options.publicOrigin()}${url.pathname}${url.search}`;
    const query = Object.fromEntries(url.searchParams.entries());
    const extra = this.extraInputData(fn);

    const streamUrl = this.#options.streamProxyUrl();
    if (streamUrl) return this.#streamingInvocation(req, res, fn, route, params, headers, query, extra, invocationId, url, streamUrl);

    const body = await readBody(req);
    const httpData: RpcTypedData = {
      http: {
        method,
        url: publicUrl,
        headers,
        query,
        params,
        body: body.length > 0 ? { bytes: body } : undefined,
      },
    };
    let outcome;
    try {
      outcome = await invokeFunction(this.#options.core, fn, {
        invocationId,
        inputData: [{ name: fn.triggerName, data: httpData }, ...extra],
        triggerMetadata: {
          Headers: { json: JSON.stringify(headers) },
          Query: { json: JSON.stringify(query) },
          ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { string: v }])),
        },
      });
    } catch (error) {
      const inner = error instanceof FunctionInvocationError ? error.error : error;
      this.#options.log(`function '${fn.metadata.name}' failed: ${(inner as Error)?.stack ?? String(inner)}`);
      return sendJson(res, 500, { message: `Exception while executing function: Functions.${fn.metadata.name}` });
    }
    const httpOut = Object.entries(fn.metadata.bindings).find(
      ([, binding]) => binding.direction === 'out' && String(binding.type).toLowerCase() === 'http',
    );
    let data: RpcTypedData | null | undefined;
    if (httpOut?.[0] === '$return') data = outcome.response.returnValue;
    else if (httpOut) data = outcome.response.outputData?.find((item) => item.name === httpOut[0])?.data;
    const response = data?.http;
    if (!response) {
      res.writeHead(204);
      res.end();
      return;
    }
    const status = Number(response.statusCode ?? 200) || 200;
    const responseHeaders: Record<string, string | string[]> = { ...(response.headers ?? {}) };
    const cookies = (response.cookies ?? []) as {
      name: string;
      value: string;
      path?: string;
      domain?: string;
      secure?: boolean;
      httpOnly?: boolean;
      maxAge?: number;
      sameSite?: string;
    }[];
    if (cookies.length > 0) {
      responseHeaders['set-cookie'] = cookies.map((c) =>
        [
          `${c.name}=${c.value}`,
          c.path ? `Path=${c.path}` : '',
          c.domain ? `Domain=${c.domain}` : '',
          c.maxAge !== undefined && c.maxAge !== null ? `Max-Age=${c.maxAge}` : '',
          c.secure ? 'Secure' : '',
          c.httpOnly ? 'HttpOnly' : '',
          c.sameSite ? `SameSite=${c.sameSite}` : '',
        ]
          .filter(Boolean)
          .join('; '),
      );
    }
    const bodyData = response.body;
    let bytes: Buffer = Buffer.alloc(0);
    if (bodyData?.bytes) bytes = Buffer.from(bodyData.bytes);
    else if (bodyData?.string) bytes = Buffer.from(bodyData.string, 'utf8');
    else if (bodyData?.json) bytes = Buffer.from(bodyData.json, 'utf8');
    delete responseHeaders['content-length'];
    delete responseHeaders['transfer-encoding'];
    res.writeHead(status, { ...responseHeaders, 'content-length': String(bytes.length) });
    res.end(method === 'HEAD' ? undefined : bytes);
  }

  /**
   * HTTP streaming (app.setup({ enableHttpStream: true })): as the host does, forward the raw request
   * to the library's proxy with the invocation id, invoke the function, and pipe the proxy's
   * response back, chunk by chunk.
   */
  async #streamingInvocation(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    fn: RegisteredFunction,
    _route: HttpRoute,
    params: Record<string, string>,
    headers: Record<string, string>,
    query: Record<string, string>,
    extra: { name: string; data: RpcTypedData }[],
    invocationId: string,
    url: URL,
    streamUrl: string,
  ): Promise<void> {
    const origin = new URL(this.#options.publicOrigin());
    const proxied = new Promise<void>((resolve, reject) => {
      const proxyReq = http.request(
        new URL(url.pathname + url.search, streamUrl),
        {
          method: req.method,
          headers: {
            ...req.headers,
            'x-ms-invocation-id': invocationId,
            'x-forwarded-host': origin.host,
            'x-forwarded-proto': origin.protocol.replace(':', ''),
          },
        },
        (proxyRes) => {
          const outHeaders = { ...proxyRes.headers };
          delete outHeaders['x-ms-invocation-id'];
          res.writeHead(proxyRes.statusCode ?? 200, outHeaders);
          proxyRes.pipe(res);
          proxyRes.on('end', () => resolve());
          proxyRes.on('error', reject);
        },
      );
      proxyReq.on('error', reject);
      req.pipe(proxyReq);
    });
    const invocation = invokeFunction(this.#options.core, fn, {
      invocationId,
      inputData: [{ name: fn.triggerName, data: { http: {} } }, ...extra],
      triggerMetadata: {
        Headers: { json: JSON.stringify(headers) },
        Query: { json: JSON.stringify(query) },
        ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { string: v }])),
      },
    });
    try {
      await invocation;
    } catch (error) {
      const inner = error instanceof FunctionInvocationError ? error.error : error;
      this.#options.log(`function '${fn.metadata.name}' failed: ${(inner as Error)?.stack ?? String(inner)}`);
      if (!res.headersSent) sendJson(res, 500, { message: `Exception while executing function: Functions.${fn.metadata.name}` });
      else res.destroy();
      return;
    }
    await proxied;
  }

  /**
   * The Event Grid extension's webhook (HttpRequestProcessor.cs): what a request means is decided by
   * the aeg-event-type header alone. Notification invokes the function once per event of the
   * array (or the single object), every event, whatever its type; SubscriptionValidation answers
   * the handshake; Unsubscribe is acknowledged (202); a missing or other header is a 400. OPTIONS
   * is the CloudEvents abuse-protection handshake.
   */
  async #eventGrid(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'POST' && method !== 'OPTIONS')
      return sendJson(res, 405, { message: 'use POST (or OPTIONS for the CloudEvents handshake)' }, { allow: 'POST, OPTIONS' });
    this.#requireSystemKey(req, url, 'eventgrid_extension');
    const functionName = url.searchParams.get('functionName') ?? '';
    const fn = functionName ? this.#options.core.getFunction(functionName) : undefined;
    if (!fn || String(fn.trigger.type).toLowerCase() !== 'eventgridtrigger') {
      return sendJson(res, 404, {
        message: functionName ? `no Event Grid function named '${functionName}'` : 'the functionName query parameter is required',
      });
    }
    if (method === 'OPTIONS') {
      const origin = firstHeader(req, 'webhook-request-origin') ?? '';
      res.writeHead(200, {
        'webhook-allowed-origin': EVENT_GRID_ORIGINS.includes(origin) ? origin : 'eventgrid.azure.net',
        'content-length': '0',
      });
      res.end();
      return;
    }
    const eventType = (firstHeader(req, 'aeg-event-type') ?? '').toLowerCase();
    if (eventType === 'unsubscribe') {
      res.writeHead(202, { 'content-length': '0' });
      res.end();
      return;
    }
    if (eventType !== 'notification' && eventType !== 'subscriptionvalidation') {
      const header = firstHeader(req, 'aeg-event-type');
      return sendJson(res, 400, {
        message: `the aeg-event-type header is ${header === undefined ? 'missing' : `"${header}"`}: Event Grid sends Notification, SubscriptionValidation or Unsubscribe`,
      });
    }
    const body = await readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      return sendJson(res, 400, { message: `the request body is not valid JSON: ${(error as Error).message}` });
    }
    if (eventType === 'subscriptionvalidation') return this.#validationHandshake(res, parsed);

    const events = Array.isArray(parsed) ? parsed : parsed !== null && typeof parsed === 'object' ? [parsed] : undefined;
    if (!events || events.length === 0 || !events.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e))) {
      return sendJson(res, 400, { message: 'expected an array of Event Grid events, or a CloudEvent (single or batch)' });
    }
    for (const [index, e] of events.entries()) {
      const record = e as Record<string, unknown>;
      const cloud = typeof record.specversion === 'string';
      const missing = cloud
        ? ['id', 'source', 'type'].filter((k) => typeof record[k] !== 'string')
        : ['id', 'eventType', 'subject'].filter((k) => typeof record[k] !== 'string');
      if (missing.length > 0) return sendJson(res, 400, { message: `event ${index}: missing ${missing.join(', ')}` });
    }

    let failures = 0;
    for (const e of events) {
      this.#options.counters.eventGridEvents++;
      try {
        await invokeFunction(this.#options.core, fn, {
          inputData: [{ name: fn.triggerName, data: { json: JSON.stringify(e) } }, ...this.extraInputData(fn)],
          triggerMetadata: {},
        });
      } catch (error) {
        failures++;
        const inner = error instanceof FunctionInvocationError ? error.error : error;
        this.#options.log(`Event Grid function '${fn.metadata.name}' failed: ${(inner as Error)?.stack ?? String(inner)}`);
      }
    }
    if (failures > 0) return sendJson(res, 500, { message: `${failures} of ${events.length} event(s) failed` });
    res.writeHead(202, { 'content-length': '0' });
    res.end();
  }

  /** The Event Grid schema handshake: echo data.validationCode of the first event (or of the single object). */
  #validationHandshake(res: http.ServerResponse, parsed: unknown): void {
    const first: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
    let data: unknown = first !== null && typeof first === 'object' ? (first as Record<string, unknown>).data : undefined;
    // A CloudEvent-shaped validation event may carry its data as JSON text (the extension parses it again).
    if (typeof data === 'string') {
      try {
        data = JSON.parse(data);
      } catch {
        data = undefined;
      }
    }
    const code = data !== null && typeof data === 'object' ? (data as Record<string, unknown>).validationCode : undefined;
    if (typeof code !== 'string')
      return sendJson(res, 400, { message: 'SubscriptionValidation: the first event has no data.validationCode' });
    sendJson(res, 200, { validationResponse: code });
  }
}
