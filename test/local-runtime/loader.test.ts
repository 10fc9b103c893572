/** App resolution (entry, folder, package.json glob), settings, route templates and CLI errors. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppLoadError, loadApp, resolveApp } from '../../src/harness/local-runtime/app-loader';
import { compileRoute } from '../../src/harness/local-runtime/routes';
import { startRuntime } from '../../src/harness/local-runtime/runtime';
import { cliEntry, ensureBuilt, repoRoot, request } from './helpers';

const dirs: string[] = [];
function tempApp(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'runtime-app-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// A minimal app written as plain CommonJS, requiring the real @azure/functions from this repo.
const functionsPath = JSON.stringify(require.resolve('@azure/functions', { paths: [repoRoot] }));
const httpFunction = (name: string, body: string): string =>
  `const { app } = require(${functionsPath});\napp.http(${JSON.stringify(name)}, { authLevel: 'anonymous', handler: () => ({ body: ${body} }) });\n`;

describe('resolveApp', () => {
  it('follows a package.json "main" glob and reads host.json and local.settings.json', () => {
    const dir = tempApp({
      'package.json': JSON.stringify({ main: 'dist/functions/*.js' }),
      'host.json': JSON.stringify({ version: '2.0', extensions: { http: { routePrefix: 'v1' }, durableTask: { hubName: 'hub1' } } }),
      'local.settings.json': JSON.stringify({ IsEncrypted: false, Values: { GREETING: 'hi', COUNT: 3 } }),
      'dist/functions/b.js': httpFunction('b', "'b'"),
      'dist/functions/a.js': httpFunction('a', "'a'"),
    });
    const app = resolveApp(dir);
    expect(app.entryFiles.map((file) => path.basename(file))).toEqual(['a.js', 'b.js']);
    expect(app.host).toMatchObject({ routePrefix: 'v1', hubName: 'hub1' });
    expect(app.localSettings).toEqual({ GREETING: 'hi', COUNT: '3' });
    expect(resolveApp(path.join(dir, 'package.json')).entryFiles).toHaveLength(2);
  });

  it('names what is wrong', () => {
    expect(() => resolveApp('/definitely/not/here')).toThrow(/app not found/);
    const noMatch = tempApp({ 'package.json': JSON.stringify({ main: 'dist/*.js' }) });
    expect(() => resolveApp(noMatch)).toThrow(/matches no file.*did you build/);
    const badJson = tempApp({ 'package.json': '{ nope' });
    expect(() => resolveApp(badJson)).toThrow(AppLoadError);
    const empty = tempApp({ 'readme.txt': 'x' });
    expect(() => resolveApp(empty)).toThrow(/no package.json "main" and no index.js/);
  });

  it('serves a loaded folder app with its route prefix and settings, and refuses an app without functions', async () => {
    const dir = tempApp({
      'package.json': JSON.stringify({ main: 'index.js' }),
      'host.json': JSON.stringify({ version: '2.0', extensions: { http: { routePrefix: 'v1' } } }),
      'local.settings.json': JSON.stringify({ Values: { LOADER_TEST_SETTING: 'from-local-settings' } }),
      'index.js': httpFunction('setting', 'process.env.LOADER_TEST_SETTING + "@" + process.env.WEBSITE_HOSTNAME'),
    });
    const rt = await startRuntime({ app: dir, port: 0, store: ':memory:', log: () => {} });
    try {
      const response = await request(`${rt.url}/v1/setting`);
      expect(response.text).toBe(`from-local-settings@127.0.0.1:${rt.port}`);
    } finally {
      await rt.stop();
    }
    const nothing = tempApp({ 'index.js': 'module.exports = {};' });
    await expect(startRuntime({ app: nothing, port: 0, store: ':memory:', log: () => {} })).rejects.toThrow(/no function was registered/);
  });
});

describe('loading a second app in the same process', () => {
  // `npm run chaos` loads the real app through the TypeScript loader (vite-node), then its HTTP fuzz
  // pass loads the fixture app through the compiled one (dist/). Both apps require code outside their
  // own folder; a cached copy of it would keep the first load's @azure/functions, which registers into
  // the first app's registry ("already registered").
  it('re-runs registrations of code outside the app folder against the new registry, across both loader copies', async () => {
    await ensureBuilt();
    const dir = tempApp({
      'lib/register.js': `const { app } = require(${functionsPath});\nexports.register = (name) => app.http(name, { authLevel: 'anonymous', handler: () => ({ body: name }) });\n`,
      'first/index.js': "require('../lib/register').register('shared');\n",
      'second/index.js': "require('../lib/register').register('shared');\nrequire('../lib/register').register('onlySecond');\n",
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const compiled = require(
      path.join(repoRoot, 'dist', 'src', 'harness', 'local-runtime', 'app-loader.js'),
    ) as typeof import('../../src/harness/local-runtime/app-loader');
    for (const [firstLoader, secondLoader] of [
      [{ resolveApp, loadApp }, compiled],
      [compiled, { resolveApp, loadApp }],
    ] as const) {
      const first = firstLoader.loadApp(firstLoader.resolveApp(path.join(dir, 'first')));
      const second = secondLoader.loadApp(secondLoader.resolveApp(path.join(dir, 'second')));
      expect([...first.functions.keys()]).toEqual(['shared']);
      expect([...second.functions.keys()].sort()).toEqual(['onlysecond', 'shared']);
      expect(second.programmingModel).toBeDefined();
    }
  });
});

describe('app lifecycle hooks', () => {
  it('runs appStart before serving and appTerminate on stop; postInvocation can replace a result', async () => {
    const marker = path.join(mkdtempSync(path.join(tmpdir(), 'runtime-hooks-')), 'terminated.txt');
    dirs.push(path.dirname(marker));
    const dir = tempApp({
      'index.js': `
        const { app } = require(${functionsPath});
        const fs = require('node:fs');
        let started = false;
        app.hook.appStart(() => { started = true; });
        app.hook.appTerminate(() => { fs.writeFileSync(${JSON.stringify(marker)}, 'bye'); });
        app.hook.postInvocation((context) => {
          if (context.invocationContext.functionName === 'replaced') context.result = { body: 'from hook' };
        });
        app.http('started', { authLevel: 'anonymous', handler: () => ({ body: String(started) }) });
        app.http('replaced', { authLevel: 'anonymous', handler: () => ({ body: 'from handler' }) });
      `,
    });
    const rt = await startRuntime({ app: path.join(dir, 'index.js'), port: 0, store: ':memory:', log: () => {} });
    try {
      expect((await request(`${rt.url}/api/started`)).text).toBe('true');
      expect((await request(`${rt.url}/api/replaced`)).text).toBe('from hook');
    } finally {
      await rt.stop();
    }
    expect(readFileSync(marker, 'utf8')).toBe('bye');
  });
});

describe('store', () => {
  it('refuses a store folder another runtime is using', async () => {
    const storeDir = mkdtempSync(path.join(tmpdir(), 'runtime-store-'));
    dirs.push(storeDir);
    const app = tempApp({ 'index.js': httpFunction('x', "'x'") });
    const first = await startRuntime({ app, port: 0, store: storeDir, log: () => {} });
    try {
      await expect(startRuntime({ app, port: 0, store: storeDir, log: () => {} })).rejects.toThrow(/is in use by another runtime/);
    } finally {
      await first.stop();
    }
    const again = await startRuntime({ app, port: 0, store: storeDir, log: () => {} });
    await again.stop();
  });
});

describe('route templates', () => {
  it('matches literals case-insensitively, parameters, optionals, defaults, constraints and catch-alls', () => {
    expect(compileRoute('Items/{id}').match('items/42')).toEqual({ id: '42' });
    expect(compileRoute('items/{id:int}').match('items/abc')).toBeUndefined();
    expect(compileRoute('items/{id:int:min(10)}').match('items/9')).toBeUndefined();
    expect(compileRoute('items/{id:int:min(10)}').match('items/10')).toEqual({ id: '10' });
    expect(compileRoute('items/{id?}').match('items')).toEqual({});
    expect(compileRoute('items/{page=1}').match('items')).toEqual({ page: '1' });
    expect(compileRoute('files/{*path}').match('files/a/b%20c')).toEqual({ path: 'a/b c' });
    expect(compileRoute('items/{id}').match('items/1/extra')).toBeUndefined();
    expect(compileRoute('items/{id:guid}').match('items/123')).toBeUndefined();
    expect(compileRoute('x/{id:someFutureConstraint}').match('x/anything')).toEqual({ id: 'anything' });
  });
});

describe('host CLI', () => {
  it('rejects bad arguments with a clear message', async () => {
    await ensureBuilt();
    const run = (...args: string[]): { status: number | null; stderr: string } => {
      const result = spawnSync(process.execPath, [cliEntry, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 });
      return { status: result.status, stderr: result.stderr };
    };
    const missing = run();
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/required option '--app <path>'/);
    const clock = run('--app', '.', '--clock', 'fast');
    expect(clock.status).not.toBe(0);
    expect(clock.stderr).toMatch(/unknown clock mode "fast"/);
    const port = run('--app', '.', '--port', 'abc');
    expect(port.stderr).toMatch(/"abc" is not a port number/);
    const app = run('--app', '/no/such/app', '--port', '0', '--store', ':memory:');
    expect(app.status).toBe(1);
    expect(app.stderr).toMatch(/app not found/);
  });
});
