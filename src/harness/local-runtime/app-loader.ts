/**
 * Finds and loads a compiled Azure Functions v4 Node app the way the Node worker does: the
 * package.json "main" (a file or a glob such as `dist/functions/*.js`), with `@azure/functions-core`
 * provided by the runtime so registrations land in our registry.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { z } from 'zod';
import { FunctionsCore, installFunctionsCore } from './functions-core';

export class AppLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppLoadError';
  }
}

interface HostSettings {
  /** Durable task hub name (host.json extensions.durableTask.hubName). */
  readonly hubName: string;
  /** HTTP route prefix (host.json extensions.http.routePrefix), default "api". */
  readonly routePrefix: string;
  /** host.json extensions.durableTask.maxConcurrentActivityFunctions, when set. */
  readonly maxConcurrentActivityFunctions: number | undefined;
}

export interface ResolvedApp {
  /** Folder of the app's code (the entry file's folder, or the folder given). */
  readonly root: string;
  /** Files to load, in order. */
  readonly entryFiles: readonly string[];
  readonly host: HostSettings;
  /** local.settings.json "Values", when the file exists. */
  readonly localSettings: Readonly<Record<string, string>>;
}

const hostJsonSchema = z
  .object({
    extensions: z
      .object({
        durableTask: z
          .object({ hubName: z.string().min(1).optional(), maxConcurrentActivityFunctions: z.number().int().positive().optional() })
          .loose()
          .optional(),
        http: z.object({ routePrefix: z.string().optional() }).loose().optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

const localSettingsSchema = z.object({ Values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() }).loose();

function readJson(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new AppLoadError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/** Resolves `--app`: an entry file, a folder, or a package.json. */
export function resolveApp(appPath: string): ResolvedApp {
  const absolute = path.resolve(appPath);
  if (!existsSync(absolute)) throw new AppLoadError(`app not found: ${absolute} does not exist`);
  const stats = statSync(absolute);
  let root: string;
  let entryFiles: string[];
  if (stats.isDirectory() || path.basename(absolute) === 'package.json') {
    root = stats.isDirectory() ? absolute : path.dirname(absolute);
    entryFiles = entriesFromFolder(root);
  } else {
    root = path.dirname(absolute);
    entryFiles = [absolute];
  }
  // host.json and local.settings.json sit at the project root, usually above the compiled files.
  const settingsDir = findUpwards(root, 'host.json') ?? root;
  return { root, entryFiles, host: readHostSettings(settingsDir), localSettings: readLocalSettings(settingsDir) };
}

function findUpwards(start: string, file: string): string | undefined {
  let current = start;
  for (;;) {
    if (existsSync(path.join(current, file))) return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

function entriesFromFolder(root: string): string[] {
  const packageFile = path.join(root, 'package.json');
  if (existsSync(packageFile)) {
    const pkg = readJson(packageFile) as { main?: unknown };
    if (pkg.main !== undefined) {
      if (typeof pkg.main !== 'string' || pkg.main.trim() === '')
        throw new AppLoadError(`${packageFile}: "main" must be a non-empty string`);
      const main = pkg.main.trim();
      if (isDynamicPattern(main)) {
        const files = globSync([main], { cwd: root, absolute: true, onlyFiles: true }).sort();
        if (files.length === 0)
          throw new AppLoadError(`${packageFile}: "main" glob "${main}" matches no file under ${root} (did you build the app?)`);
        return files;
      }
      const file = path.resolve(root, main);
      if (existsSync(file) && statSync(file).isFile()) return [file];
      for (const candidate of [`${file}.js`, path.join(file, 'index.js')]) if (existsSync(candidate)) return [candidate];
      throw new AppLoadError(`${packageFile}: "main" points at ${file}, which does not exist (did you build the app?)`);
    }
  }
  const index = path.join(root, 'index.js');
  if (existsSync(index)) return [index];
  throw new AppLoadError(`${root}: no package.json "main" and no index.js; pass the compiled entry file or folder with --app`);
}

function readHostSettings(root: string): HostSettings {
  const file = path.join(root, 'host.json');
  const defaults: HostSettings = { hubName: 'TestHubName', routePrefix: 'api', maxConcurrentActivityFunctions: undefined };
  if (!existsSync(file)) return defaults;
  const parsed = hostJsonSchema.safeParse(readJson(file));
  if (!parsed.success)
    throw new AppLoadError(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  const extensions = parsed.data.extensions;
  return {
    hubName: extensions?.durableTask?.hubName ?? defaults.hubName,
    routePrefix: (extensions?.http?.routePrefix ?? defaults.routePrefix).replace(/^\/+|\/+$/g, ''),
    maxConcurrentActivityFunctions: extensions?.durableTask?.maxConcurrentActivityFunctions,
  };
}

function readLocalSettings(root: string): Record<string, string> {
  const file = path.join(root, 'local.settings.json');
  if (!existsSync(file)) return {};
  const parsed = localSettingsSchema.safeParse(readJson(file));
  if (!parsed.success)
    throw new AppLoadError(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return Object.fromEntries(Object.entries(parsed.data.Values ?? {}).map(([key, value]) => [key, String(value)]));
}

/**
 * Forgets previously loaded copies of the app and of the Functions libraries, so that loading an
 * app again (a second runtime in the same process: tests, the simulator, `npm run chaos` then its
 * HTTP fuzz pass) re-runs its registrations against the new registry instead of silently reusing
 * the first one's module cache.
 *
 * Besides the app's own folder this forgets every module an earlier app load pulled in, wherever it
 * lives: an app may require code outside its folder (the fixture apps require `dist/src/api`), and
 * a cached copy of that code keeps the earlier load's `durable-functions` and `@azure/functions`,
 * which still reach the earlier registry (the one that already holds its functions). The record is
 * kept on globalThis because one process may hold two copies of this loader (the TypeScript
 * source under vite-node and the compiled one under dist/), and each must see what the other loaded.
 */
const runtimeDir = __dirname + path.sep;
const APP_MODULES_KEY = Symbol.for('aml-rollout.local-runtime.app-modules');

function appModulesLoadedBefore(): Set<string> {
  const holder = globalThis as { [APP_MODULES_KEY]?: Set<string> };
  holder[APP_MODULES_KEY] ??= new Set<string>();
  return holder[APP_MODULES_KEY];
}

function moduleCache(): Record<string, unknown> {
  return (Module as unknown as { _cache: Record<string, unknown> })._cache;
}

function purgeModuleCache(root: string): void {
  const cache = moduleCache();
  const rootPrefix = root.endsWith(path.sep) ? root : root + path.sep;
  const libraryMarkers = [
    `${path.sep}node_modules${path.sep}@azure${path.sep}functions${path.sep}`,
    `${path.sep}node_modules${path.sep}durable-functions${path.sep}`,
  ];
  const loadedBefore = appModulesLoadedBefore();
  for (const key of Object.keys(cache)) {
    // The runtime's own modules may live inside the app folder (this repository): keep them.
    const insideApp = key.startsWith(rootPrefix) && !key.includes(`${path.sep}node_modules${path.sep}`) && !key.startsWith(runtimeDir);
    if (insideApp || loadedBefore.has(key) || libraryMarkers.some((marker) => key.includes(marker))) delete cache[key];
  }
  loadedBefore.clear();
}

/** Loads the app's files into this process; registrations are captured in the returned core. */
export function loadApp(app: ResolvedApp, core: FunctionsCore = new FunctionsCore()): FunctionsCore {
  installFunctionsCore(core);
  purgeModuleCache(app.root);
  const appRequire = createRequire(path.join(app.root, 'package.json'));
  const cachedBefore = new Set(Object.keys(moduleCache()));
  try {
    for (const file of app.entryFiles) {
      try {
        appRequire(file);
      } catch (error) {
        throw new AppLoadError(`failed to load ${file}: ${(error as Error)?.stack ?? String(error)}`, { cause: error });
      }
    }
  } finally {
    // What this load added is the app's module graph: the next load forgets it (purgeModuleCache).
    const loaded = appModulesLoadedBefore();
    // Packages stay cached (only the two Functions libraries hold registry state, and they are always forgotten).
    for (const key of Object.keys(moduleCache()))
      if (!cachedBefore.has(key) && !key.startsWith(runtimeDir) && !key.includes(`${path.sep}node_modules${path.sep}`)) loaded.add(key);
  }
  if (core.functions.size === 0) {
    throw new AppLoadError(
      `${app.entryFiles.join(', ')}: loaded, but no function was registered (is it an Azure Functions v4 app using @azure/functions?)`,
    );
  }
  if (!core.programmingModel) throw new AppLoadError('the app registered functions but set no programming model');
  return core;
}
