/**
 * Starts the local runtime with the compiled fixture app (test/fixtures/rollout-api-app) in this
 * process. Both the runtime and the app are loaded from dist/ so they share one copy of every
 * module (settings cache, ambient clock). `npm test` builds first; when running a single file,
 * run `npx tsc -p tsconfig.json` once.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE_APP = path.join(ROOT, 'dist/test/fixtures/rollout-api-app/index.js');
const RUNTIME = path.join(ROOT, 'dist/src/harness/local-runtime/runtime.js');

export const API_KEY = 'fixture-api-key';
export const LINK_SECRET = 'fixture-link-secret-0123456789abcdef';

export interface FixtureRuntime {
  readonly url: string;
  stop(): Promise<void>;
  waitForIdle(): Promise<void>;
  readonly clock: { now(): number; advance?(ms: number): void };
  /** The Event Grid extension's system key: the webhook takes it, not the function key. */
  readonly eventGridKey: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startFixtureRuntime(options: { clock?: string; settings?: Record<string, string> } = {}): Promise<FixtureRuntime> {
  if (!existsSync(FIXTURE_APP) || !existsSync(RUNTIME)) {
    throw new Error(`compiled fixture app or runtime missing (${FIXTURE_APP}); run \`npx tsc -p tsconfig.json\` (npm test does it)`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startRuntime } = require(RUNTIME) as typeof import('../../src/harness/local-runtime/runtime');
  const port = await freePort();
  const runtime = await startRuntime({
    app: FIXTURE_APP,
    port,
    clock: options.clock ?? 'virtual',
    store: ':memory:',
    functionKey: API_KEY,
    log: () => undefined,
    settings: {
      ROLLOUT_API_KEY: API_KEY,
      APPROVAL_LINK_SECRET: LINK_SECRET,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      AZURE_SUBSCRIPTION_ID: 'sub-fixture',
      AZURE_RESOURCE_GROUP: 'rg-fixture',
      AML_WORKSPACE_NAME: 'ws-fixture',
      ...(options.settings ?? {}),
    },
  });
  return {
    url: runtime.url.replace('localhost', '127.0.0.1'),
    stop: () => runtime.stop(),
    waitForIdle: () => runtime.waitForIdle(),
    clock: runtime.clock,
    eventGridKey: runtime.systemKeys?.eventgrid_extension ?? '',
  };
}
