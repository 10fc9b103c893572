/**
 * Test helpers: the fixture app must be compiled JS (the runtime loads it with Node's require),
 * so tests compile it (and the runtime's CLI, for child-process tests) when dist is missing or
 * older than the sources. A directory lock keeps parallel test files from compiling at once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const fixtureEntry = path.join(repoRoot, 'dist', 'test', 'fixtures', 'runtime-app', 'index.js');
export const cliEntry = path.join(repoRoot, 'dist', 'src', 'harness', 'local-runtime', 'cli.js');
const streamingEntry = path.join(repoRoot, 'dist', 'test', 'fixtures', 'runtime-app', 'streaming.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  if (!existsSync(fixtureEntry) || !existsSync(cliEntry) || !existsSync(streamingEntry)) return true;
  const sources = Math.max(
    newestMtime(path.join(repoRoot, 'src', 'harness', 'local-runtime')),
    newestMtime(path.join(repoRoot, 'test', 'fixtures', 'runtime-app')),
  );
  return Math.min(statSync(fixtureEntry).mtimeMs, statSync(cliEntry).mtimeMs) < sources;
}

async function sleepMs(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Compiles the fixture app and the runtime CLI into dist/ if they are stale. */
export async function ensureBuilt(): Promise<void> {
  if (!isStale()) return;
  const lock = path.join(repoRoot, 'dist', '.local-runtime-build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let waitedMs = 0; ; waitedMs += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waitedMs > 120_000) rmSync(lock, { recursive: true, force: true });
      await sleepMs(200);
    }
  }
  try {
    if (!isStale()) return;
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(
        process.execPath,
        [
          tsc,
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'ES2022',
          '--lib',
          'ES2023',
          '--types',
          'node',
          '--rootDir',
          '.',
          '--outDir',
          'dist',
          '--esModuleInterop',
          '--skipLibCheck',
          '--resolveJsonModule',
          '--sourceMap',
          '--strict',
          '--ignoreConfig',
          'src/harness/local-runtime/cli.ts',
          'test/fixtures/runtime-app/index.ts',
          'test/fixtures/runtime-app/streaming.ts',
        ],
        { cwd: repoRoot, stdio: 'pipe' },
      );
    } catch (error) {
      // Type errors still emit; only fail if the files are missing afterwards.
      if (!existsSync(fixtureEntry) || !existsSync(cliEntry)) throw error;
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export async function request(url: string, init: RequestInit & { json?: unknown } = {}): Promise<JsonResponse> {
  const { json, ...rest } = init;
  const response = await fetch(url, {
    ...rest,
    ...(json !== undefined ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...(rest.headers ?? {}) } } : {}),
  });
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body, text };
}

export interface StatusBody {
  instanceId: string;
  runtimeStatus: string;
  output: unknown;
  customStatus: unknown;
  input: unknown;
  createdTime?: string;
  historyEvents?: { EventType: string; FunctionName?: string; ScheduledTime?: string; Input?: string; Result?: unknown }[];
}

/** Polls the management API until the instance is finished (real time; generous limit). */
export async function waitForStatus(
  baseUrl: string,
  instanceId: string,
  done: (status: StatusBody) => boolean = (s) => ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus),
  limitMs = 20_000,
): Promise<StatusBody> {
  const started = Date.now();
  for (;;) {
    const response = await request(
      `${baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}?showHistory=true&showHistoryOutput=true`,
    );
    if (response.status !== 404) {
      const status = response.body as StatusBody;
      if (done(status)) return status;
    }
    if (Date.now() - started > limitMs) throw new Error(`instance ${instanceId} did not reach the expected state: ${response.text}`);
    await sleepMs(20);
  }
}
