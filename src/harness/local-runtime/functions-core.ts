/**
 * The module `@azure/functions-core`, as the Node worker provides it to `@azure/functions`.
 *
 * The library requires this module lazily; when it is missing it switches to "test mode" and throws
 * every registration away. The real worker injects it by hooking `require`; so do we, with a
 * `Module._load` hook installed before the app is loaded (see installFunctionsCore).
 */
import Module from 'node:module';

/** RpcTypedData as the worker passes it (one field set). */
export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
}

interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  query?: Record<string, string> | null;
  statusCode?: string | null;
  cookies?: unknown[] | null;
  enableContentNegotiation?: boolean | null;
}

interface RpcBindingInfo {
  type?: string;
  direction?: 'in' | 'out' | 'inout';
  [option: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
  [other: string]: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface RegisteredFunction {
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
  /** Name of the trigger binding and its type (e.g. httpTrigger). */
  readonly triggerName: string;
  readonly trigger: RpcBindingInfo;
}

export interface RpcInvocationResponse {
  invocationId?: string;
  outputData?: { name: string; data: RpcTypedData | null | undefined }[];
  returnValue?: RpcTypedData | null;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: {
    invocationId: string;
    functionId?: string;
    inputData: { name: string; data: RpcTypedData | null | undefined }[];
    triggerMetadata: Record<string, RpcTypedData>;
    retryContext?: unknown;
    traceContext?: unknown;
  };
  metadata: FunctionMetadata;
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: string, category: string, message: string): void;
}

interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
  getCapabilities?(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type HookCallback = (context: Record<string, unknown>) => unknown;
export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
const HOOK_NAMES: readonly string[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'];

export type LogSink = (level: string, category: string, message: string) => void;

/** The worker's Disposable (the library checks hook registrations return one). */
export class Disposable {
  #callOnDispose: (() => unknown) | undefined;
  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }
  static from(...inputs: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const input of inputs) input.dispose();
    });
  }
  dispose(): void {
    const callback = this.#callOnDispose;
    this.#callOnDispose = undefined;
    callback?.();
  }
}

/** The worker version we claim: new enough for log hooks and HTTP streaming (>= 4.34 host). */
const WORKER_VERSION = '3.10.1';
const HOST_VERSION = '4.1037.0.0';

/** One app's registrations, as captured through the core API. */
export class FunctionsCore {
  programmingModel: ProgrammingModel | undefined;
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<string, HookCallback[]>();
  logSink: LogSink = (level, category, message) => {
    const line = `[${level}] ${category === 'system' ? '(system) ' : ''}${message}`;
    if (level === 'error' || level === 'critical') console.error(line);
    else if (level === 'warning') console.warn(line);
    else if (level !== 'trace' && level !== 'debug') console.log(line);
  };

  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (!metadata || typeof metadata.name !== 'string' || metadata.name === '') {
      throw new Error('registerFunction: the function metadata has no name');
    }
    const key = metadata.name.toLowerCase();
    if (this.functions.has(key)) {
      // The worker refuses duplicates too: function names are case-insensitive in the host.
      throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
    }
    const bindings = metadata.bindings ?? {};
    const triggerEntry = Object.entries(bindings).find(
      ([, binding]) => typeof binding.type === 'string' && binding.type.toLowerCase().endsWith('trigger'),
    );
    if (!triggerEntry) throw new Error(`function "${metadata.name}" has no trigger binding`);
    this.functions.set(key, { metadata, callback, triggerName: triggerEntry[0], trigger: triggerEntry[1] });
    return new Disposable(() => {
      this.functions.delete(key);
    });
  }

  registerHook(hookName: string, callback: HookCallback): Disposable {
    if (!HOOK_NAMES.includes(hookName)) {
      // Mirrors the worker: the library turns a RangeError into "requires a newer host".
      const error = new RangeError(`Unrecognized hook "${hookName}"`) as RangeError & { isAzureFunctionsSystemError?: boolean };
      error.isAzureFunctionsSystemError = true;
      throw error;
    }
    const list = this.hooks.get(hookName) ?? [];
    list.push(callback);
    this.hooks.set(hookName, list);
    return new Disposable(() => {
      const current = this.hooks.get(hookName);
      if (!current) return;
      const index = current.indexOf(callback);
      if (index >= 0) current.splice(index, 1);
    });
  }

  getFunction(name: string): RegisteredFunction | undefined {
    return this.functions.get(name.toLowerCase());
  }

  functionsByTrigger(type: string): RegisteredFunction[] {
    const lower = type.toLowerCase();
    return [...this.functions.values()].filter((fn) => fn.trigger.type?.toLowerCase() === lower);
  }

  async runHooks(hookName: HookName, context: Record<string, unknown>): Promise<void> {
    for (const hook of [...(this.hooks.get(hookName) ?? [])]) await hook(context);
  }
}

type LoadFunction = (request: string, parent: unknown, isMain: boolean) => unknown;

/**
 * The app being loaded now, kept on globalThis: one process may hold two copies of this module (the
 * TypeScript source under vite-node and the compiled one under dist/, e.g. `npm run chaos` and its
 * HTTP fuzz pass), each with its own `require` hook, and whichever hook answers must reach the app
 * loaded last, not the one its own copy loaded.
 */
const ACTIVE_CORE_KEY = Symbol.for('aml-rollout.local-runtime.active-core');
const activeCoreHolder = globalThis as { [ACTIVE_CORE_KEY]?: FunctionsCore };
const activeCore = (): FunctionsCore | undefined => activeCoreHolder[ACTIVE_CORE_KEY];
let hookInstalled = false;

function requireActiveCore(): FunctionsCore {
  const core = activeCore();
  if (!core) throw new Error('@azure/functions-core: no local runtime app is loading or loaded in this process');
  return core;
}

/**
 * One module object for the process, delegating to the app being loaded now: `@azure/functions`
 * caches the core module on first use, so a second app loaded in the same process (tests, the
 * simulator) must still reach its own registry through the same object.
 */
const coreModule: Record<string, unknown> = {
  version: WORKER_VERSION,
  hostVersion: HOST_VERSION,
  Disposable,
  setProgrammingModel: (model: ProgrammingModel) => {
    requireActiveCore().programmingModel = model;
  },
  getProgrammingModel: () => activeCore()?.programmingModel,
  registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback) => requireActiveCore().registerFunction(metadata, callback),
  registerHook: (hookName: string, callback: HookCallback) => requireActiveCore().registerHook(hookName, callback),
  log: (level: string, category: string, message: string) => requireActiveCore().logSink(level, category, message),
};

/** Makes `require('@azure/functions-core')` resolve to the runtime's core API in this process. */
export function installFunctionsCore(core: FunctionsCore): void {
  activeCoreHolder[ACTIVE_CORE_KEY] = core;
  if (hookInstalled) return;
  hookInstalled = true;
  const moduleWithLoad = Module as unknown as { _load: LoadFunction };
  const originalLoad = moduleWithLoad._load;
  moduleWithLoad._load = function load(this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    if (request === '@azure/functions-core') return coreModule;
    return originalLoad.call(this, request, parent, isMain);
  };
}
