/**
 * The programmatic entry point: `startRuntime({ app, ... })` loads a compiled Azure Functions v4
 * app into this process and serves it like the Functions host with the Durable extension.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readEnvironment, setEnvironment } from '../../config';
import { installAmbientClock } from '../../ports/clock';
import { resolveApp, loadApp, type ResolvedApp } from './app-loader';
import { createClock, type RuntimeClock } from './clock';
import { DurableEngine, type EngineCounters } from './durable/engine';
import { DurableStore, type InstanceRow } from './durable/store';
import { FunctionsCore } from './functions-core';
import { RuntimeHttpServer, type LocalPages, type SystemKeys } from './http-server';
import { TimerTriggers } from './timer-triggers';

export interface RuntimeOptions {
  /** Compiled app: an entry .js file, a folder (package.json "main", may be a glob) or a package.json. */
  readonly app: string;
  /** HTTP port; 0 picks a free one. Default 7071. */
  readonly port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** A clock instance, or a mode: 'wall' (default), 'virtual', 'x60'. */
  readonly clock?: RuntimeClock | string;
  /** ':memory:' or a folder for the SQLite store. Default '.data/runtime'. */
  readonly store?: string;
  /**
   * When set, keys are on: function/admin HTTP triggers require this key, and the Event Grid and
   * Durable webhooks require their extension's system key (see `systemKeys`).
   */
  readonly functionKey?: string;
  /** The extensions' system keys when keys are on; each one not given is generated per start, as the host generates them. */
  readonly systemKeys?: Partial<SystemKeys>;
  /** Maximum activities running at once (default: host.json maxConcurrentActivityFunctions, else 10). */
  readonly concurrency?: number;
  /** App settings (environment variables) set before the app loads; they win over local.settings.json. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Where `GET /` redirects (e.g. an app's dashboard route); absent: no page at `/`, as the host without its homepage. */
  readonly rootRedirect?: string;
  /** Pages of the host program beside the app's routes (npm start's /inbox/); see HttpServerOptions. */
  readonly localPages?: LocalPages;
  /** Where runtime diagnostics go. Default: stderr. */
  readonly log?: (message: string) => void;
}

export interface RuntimeCounters extends EngineCounters {
  httpRequests: number;
  eventGridEvents: number;
  timerTriggerRuns: number;
}

export interface LocalRuntime {
  /** http://host:port */
  readonly url: string;
  readonly port: number;
  readonly clock: RuntimeClock;
  readonly counters: RuntimeCounters;
  readonly app: ResolvedApp;
  /** Names of the registered functions. */
  readonly functions: readonly string[];
  /** The system keys the Event Grid and Durable webhooks require (undefined when keys are off). */
  readonly systemKeys: SystemKeys | undefined;
  /** The durableClient binding data (for tools that want a DurableClient outside a function). */
  clientBindingData(): Record<string, unknown>;
  /** Resolves when the clock is idle (virtual clock: nothing busy and no wake-up pending). */
  waitForIdle(): Promise<void>;
  /**
   * Told the id of every orchestration or entity instance whose state changed (after the change is
   * committed). Observers such as the simulator read the instance with `getInstance` right away.
   */
  onInstanceChange(listener: (instanceId: string) => void): () => void;
  /** The stored state of one instance (custom status and output still JSON text), if it exists. */
  getInstance(instanceId: string): InstanceRow | undefined;
  /** Resolves once the instance reaches Completed, Failed or Terminated (polls the store on each change). */
  waitForInstance(instanceId: string): Promise<{ status: string; output: unknown }>;
  stop(): Promise<void>;
}

/** A fresh secret: 32 random bytes, URL-safe (fits a query parameter and a path segment). */
function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(new Error(`cannot listen on ${host}:${port}: ${error.message}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startRuntime(options: RuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? ((message: string) => console.error(`[local-runtime] ${message}`));
  const clock = typeof options.clock === 'object' ? options.clock : createClock(options.clock ?? 'wall');
  const host = options.host ?? '127.0.0.1';
  const app = resolveApp(options.app);

  // Listen first: the app must see WEBSITE_HOSTNAME (df.getClient builds URLs from it) at load time.
  let httpServer: RuntimeHttpServer | undefined;
  const pending = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (httpServer) httpServer.handleRequest(req, res);
    else {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ message: 'the local runtime is starting' }));
    }
  };
  const server = http.createServer(pending);
  const rpcServer = http.createServer((req, res) => {
    if (!httpServer) return pending(req, res);
    const handler = httpServer;
    void clock
      .runBusy(() => handler.handleRpc(req, res))
      .catch((error: unknown) => {
        log(`rpc request failed: ${(error as Error)?.stack ?? String(error)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  const port = await listen(server, options.port ?? 7071, host);
  const rpcPort = await listen(rpcServer, 0, '127.0.0.1');
  const displayHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const origin = `http://${displayHost}:${port}`;
  const systemKeys: SystemKeys | undefined =
    options.functionKey === undefined
      ? undefined
      : {
          eventgrid_extension: options.systemKeys?.eventgrid_extension ?? newSecret(),
          durabletask_extension: options.systemKeys?.durabletask_extension ?? newSecret(),
        };
  // Any local user can connect to a loopback port: the management API there answers only under this secret path.
  const rpcBaseUrl = `http://127.0.0.1:${rpcPort}/${newSecret()}/durabletask/`;

  let store: DurableStore | undefined;
  try {
    const settings: Record<string, string> = {};
    for (const [name, value] of Object.entries(app.localSettings)) if (readEnvironment(name) === undefined) settings[name] = value;
    Object.assign(settings, options.settings ?? {}, { WEBSITE_HOSTNAME: `${displayHost}:${port}` });
    setEnvironment(settings);
    installAmbientClock(clock);

    const core = loadApp(app, new FunctionsCore());
    // As the worker does after loading: the library locks its setup and may start its HTTP stream proxy.
    let streamProxyUrl: string | undefined;
    if (core.programmingModel?.getCapabilities) {
      const capabilities = await core.programmingModel.getCapabilities({});
      streamProxyUrl = capabilities.HttpUri;
    }

    store = new DurableStore(options.store === ':memory:' ? ':memory:' : path.resolve(options.store ?? '.data/runtime'));
    const concurrency = options.concurrency ?? app.host.maxConcurrentActivityFunctions ?? 10;
    if (!Number.isInteger(concurrency) || concurrency <= 0)
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    // Activities with a durableClient extra input get the same binding data as HTTP triggers; the
    // HTTP server (which knows the management URLs) is created just below, before any work runs.
    const engine = new DurableEngine({
      store,
      core,
      clock,
      activityConcurrency: concurrency,
      log,
      extraInputData: (fn) => (httpServer as RuntimeHttpServer).extraInputData(fn),
    });
    const counters = Object.assign(engine.counters, { httpRequests: 0, eventGridEvents: 0, timerTriggerRuns: 0 }) as RuntimeCounters;

    httpServer = new RuntimeHttpServer({
      core,
      engine,
      clock,
      routePrefix: app.host.routePrefix,
      hubName: app.host.hubName,
      functionKey: options.functionKey,
      systemKeys,
      publicOrigin: () => origin,
      rpcBaseUrl: () => rpcBaseUrl,
      streamProxyUrl: () => streamProxyUrl,
      counters,
      log,
      rootRedirect: options.rootRedirect,
      localPages: options.localPages,
    });

    await clock.runBusy(() => core.runHooks('appStart', { hookData: {} }));
    engine.start();
    const timers = new TimerTriggers({
      core,
      clock,
      settings: readEnvironment,
      counters,
      log,
      extraInputData: (fn) => (httpServer as RuntimeHttpServer).extraInputData(fn),
    });
    timers.start();

    const activeStore = store;
    let stopped = false;
    return {
      url: origin,
      port,
      clock,
      counters,
      app,
      functions: [...core.functions.values()].map((fn) => fn.metadata.name),
      systemKeys,
      clientBindingData: () => (httpServer as RuntimeHttpServer).clientBindingData(),
      waitForIdle: () => clock.whenIdle(),
      onInstanceChange: (listener) => engine.onInstanceChange(listener),
      getInstance: (instanceId) => engine.getInstanceRow(instanceId),
      waitForInstance: (instanceId) =>
        new Promise((resolve) => {
          const check = (): boolean => {
            const row = engine.getInstanceRow(instanceId);
            if (row && (row.status === 'Completed' || row.status === 'Failed' || row.status === 'Terminated')) {
              unsubscribe();
              resolve({ status: row.status, output: row.output === null ? null : (JSON.parse(row.output) as unknown) });
              return true;
            }
            return false;
          };
          const unsubscribe = engine.onInstanceChangeOf(instanceId, () => {
            check();
          });
          check();
        }),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await timers.stop();
        await Promise.allSettled([close(server), close(rpcServer)]);
        await core.runHooks('appTerminate', { hookData: {} }).catch((error: unknown) => log(`appTerminate hook failed: ${String(error)}`));
        await engine.stop();
        activeStore.close();
        // A clock the runtime created is the runtime's to stop; a clock passed in belongs to the caller.
        if (typeof options.clock !== 'object') clock.dispose();
      },
    };
  } catch (error) {
    store?.close();
    await Promise.allSettled([close(server), close(rpcServer)]);
    throw error;
  }
}
