/**
 * End to end on the real app (the same functions/ as `npm start`: real orchestrator, activities,
 * Azure SDK clients) against the emulator, on a virtual clock: the CLI registers a model version,
 * the rollout notifies a generic webhook (a local capture server) with a signed approval link, the
 * link approves it once, and the rollout is promoted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
/* eslint-disable @typescript-eslint/no-require-imports */
const { startRuntime } = require(
  path.join(ROOT, 'dist/src/harness/local-runtime/runtime.js'),
) as typeof import('../../src/harness/local-runtime/runtime');
const { VirtualClock } = require(
  path.join(ROOT, 'dist/src/harness/local-runtime/clock.js'),
) as typeof import('../../src/harness/local-runtime/clock');
const { createEmulator, createDemoWorld, emulatorAppSettings } = require(
  path.join(ROOT, 'dist/src/harness/emulator/index.js'),
) as typeof import('../../src/harness/emulator');
const { run } = require(path.join(ROOT, 'dist/src/cli/index.js')) as typeof import('../../src/cli/index');
/* eslint-enable @typescript-eslint/no-require-imports */

const KEY = 'e2e-key';
const TOKEN = 'e2e-emulator-token';

interface Captured {
  kind: string;
  rolloutId: string;
  links: { label: string; url: string }[];
}

let clock: InstanceType<typeof VirtualClock>;
let emulator: Awaited<ReturnType<typeof createEmulator>>;
let runtime: Awaited<ReturnType<typeof startRuntime>>;
let capture: http.Server;
let policyDir: string;
const captured: Captured[] = [];
let releaseApprovalHold: (() => void) | undefined;

beforeAll(async () => {
  clock = new VirtualClock({ startMs: Date.parse('2026-11-23T10:00:00Z') });
  emulator = createEmulator({ clock, seed: 7, world: createDemoWorld({ requestsPerMinute: 300 }), ingestionDelayMinutes: 1, token: TOKEN });
  await emulator.start();

  capture = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Captured;
      captured.push(body);
      if (body.kind === 'approvalRequested' && !releaseApprovalHold) {
        // A person takes a while to click: hold virtual time still (the sending activity is still
        // busy here, so the clock cannot have moved past the approval's timeout).
        void clock.runBusy(() => new Promise<void>((resolve) => (releaseApprovalHold = resolve)));
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => capture.listen(0, '127.0.0.1', r));
  const capturePort = (capture.address() as { port: number }).port;

  policyDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-policies-'));
  const demo = readFileSync(path.join(ROOT, 'demo/policies/credit-canary-demo.yaml'), 'utf8');
  writeFileSync(path.join(policyDir, 'canary.yaml'), demo);

  runtime = await startRuntime({
    app: ROOT,
    port: 0,
    clock,
    store: ':memory:',
    functionKey: KEY,
    log: () => undefined,
    settings: {
      ...emulatorAppSettings(emulator, TOKEN),
      POLICY_DIR: policyDir,
      ROLLOUT_API_KEY: KEY,
      APPROVAL_LINK_SECRET: 'e2e-approval-link-secret-0123456789',
      NOTIFY_GENERIC_WEBHOOK_URL: `http://127.0.0.1:${capturePort}/hook`,
    },
  });
}, 60_000);

afterAll(async () => {
  releaseApprovalHold?.();
  await runtime?.stop();
  await emulator?.stop();
  clock?.dispose();
  await new Promise<void>((r) => (capture ? capture.close(() => r()) : r()));
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 1000; i += 1) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the real app with the emulator', () => {
  it('CLI registers a model; the approval link from the notification approves it once; the rollout is promoted', async () => {
    const out: string[] = [];
    const err: string[] = [];
    // As npm start prints them: the webhook takes the Event Grid extension's system key, not the API key.
    const env: Record<string, string> = {
      AML_ROLLOUT_URL: runtime.url,
      AML_ROLLOUT_KEY: KEY,
      AML_ROLLOUT_WEBHOOK_KEY: runtime.systemKeys?.eventgrid_extension ?? '',
      AML_ROLLOUT_ARM_URL: emulator.url,
      EMULATOR_TOKEN: TOKEN,
    };
    const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), env: (n: string) => env[n], isTTY: false };
    const code = await clock.runBusy(() =>
      run(['register-model', '--model', 'credit-model', '--version', '2', '--tags', 'stage=production'], io),
    );
    expect([code, err]).toEqual([0, []]);

    const request = await until('the approval request', () => captured.find((c) => c.kind === 'approvalRequested'));
    expect(captured[0]?.kind).toBe('rolloutStarted');
    const approveUrl = request.links.find((l) => l.label === 'Approve')!.url;
    const linkPath = new URL(approveUrl).pathname;

    const page = await fetch(`${runtime.url}${linkPath}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<option value="demo@contoso.com">');
    expect(html).toContain('failedRequestRate');

    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    const used = await fetch(`${runtime.url}${linkPath}`, { ...form, body: 'by=demo%40contoso.com&comment=ship+it' });
    expect(used.status).toBe(200);
    const replay = await fetch(`${runtime.url}${linkPath}`, { ...form, body: 'by=demo%40contoso.com' });
    expect(replay.status).toBe(409);

    releaseApprovalHold?.();
    const end = await runtime.waitForInstance(request.rolloutId);
    expect(end.status).toBe('Completed');

    const status = await run(['status', request.rolloutId, '--json'], io);
    expect(status).toBe(0);
    const detail = JSON.parse(out.at(-1)!) as {
      phase: string;
      status: { approvals: { by: string; accepted: boolean; comment?: string }[]; traffic: Record<string, number> };
    };
    expect(detail.phase).toBe('Promoted');
    expect(detail.status.approvals).toEqual([
      expect.objectContaining({ by: 'demo@contoso.com', accepted: true, comment: 'ship it (via signed link; name claimed, not verified)' }),
    ]);
    expect(detail.status.traffic).toEqual({ 'credit-model-v2': 100 });
    await until('the promoted notification', () => captured.find((c) => c.kind === 'promoted'));
  });
});
