/**
 * Every CLI command against the local runtime running the fixture app (in-process through run(),
 * plus the bin shim in a child process).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, startFixtureRuntime, type FixtureRuntime } from '../api/runtime-harness';

// The CLI from dist, like the runtime and the app (one module graph).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { run } = require(path.resolve(__dirname, '../../dist/src/cli/index.js')) as typeof import('../../src/cli/index');

let runtime: FixtureRuntime;
beforeAll(async () => {
  runtime = await startFixtureRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});

interface Result {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[], env: Record<string, string> = {}, signal?: AbortSignal): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const vars: Record<string, string> = {
    AML_ROLLOUT_URL: runtime.url,
    AML_ROLLOUT_KEY: API_KEY,
    AML_ROLLOUT_WEBHOOK_KEY: runtime.eventGridKey,
    ...env,
  };
  const code = await run(args, {
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
    env: (n) => vars[n],
    isTTY: false,
    ...(signal ? { signal } : {}),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function startAndWait(version: string): Promise<string> {
  const started = await cli(['start', '--model', 'credit-model', '--version', version, '--json']);
  expect(started.code).toBe(0);
  const id = JSON.parse(started.out).rolloutId as string;
  await settle(id, 'AwaitingApproval');
  return id;
}

async function settle(id: string, phase: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    await runtime.waitForIdle();
    const status = await cli(['status', id, '--json']);
    if (status.code === 0 && JSON.parse(status.out).phase === phase) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${id} never reached ${phase}`);
}

describe('aml-rollout CLI', () => {
  it('start (new, then existing), list with filters and paging, status', async () => {
    const id = await startAndWait('101');
    const again = await cli(['start', '--model', 'credit-model', '--version', '101']);
    expect(again).toMatchObject({ code: 0 });
    expect(again.out).toContain(`already exists: ${id}`);
    await startAndWait('102');

    const table = await cli(['list', '--endpoint', 'credit-scoring', '--status', 'AwaitingApproval']);
    expect(table.code).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(/^ROLLOUT\s+MODEL\s+ENDPOINT\s+PHASE\s+STEP\s+TRAFFIC/);
    expect(table.out).toContain(id);
    expect(table.out).toContain('blue 90%, credit-model-v101 10%');
    const paged = await cli(['list', '--top', '1', '--all', '--json']);
    expect(JSON.parse(paged.out).length).toBeGreaterThanOrEqual(2);
    const firstPage = await cli(['list', '--top', '1', '--json']);
    expect(JSON.parse(firstPage.out)).toHaveLength(1);

    const status = await cli(['status', id]);
    expect(status.out).toMatch(/Phase:\s+AwaitingApproval/);
    expect(status.out).toMatch(/Step:\s+step 4 of 6: /);
    expect(status.out).toMatch(/blue\s+█+░+\s+90%/);
    expect(status.out).toContain('errorRate5xx pass: candidate 0.004 vs baseline 0.005');

    const withEvidence = await cli(['status', id, '--evidence']);
    expect(withEvidence.code).toBe(0);
    expect(withEvidence.out).toContain('Evidence per look');
    expect(withEvidence.out).toMatch(/errorRate5xx {2}threshold /);
    expect(withEvidence.out).toMatch(
      /look\s+UTC\s+verdict\s+candidate\s+baseline\s+allowed\s+confidence\s+p\s+requests c \/ b\s+traffic c \/ b/,
    );
    const asJson = JSON.parse((await cli(['status', id, '--evidence', '--json'])).out);
    expect(asJson.evidence.gates[0].checks[0].points.at(-1)).toMatchObject({
      candidate: 0.004,
      baseline: 0.005,
      traffic: { candidate: 10, baseline: 90 },
    });
  });

  it('watch follows the rollout live and exits 0 when it is promoted', async () => {
    const id = await startAndWait('103');
    const watching = cli(['watch', id, '--interval', '0.05']);
    await new Promise((r) => setTimeout(r, 150));
    expect((await cli(['approve', id, '--by', 'alice@contoso.com', '--comment', 'go'])).code).toBe(0);
    const result = await watching;
    expect(result.code).toBe(0);
    const frames = result.out.split('-'.repeat(60)).filter((f) => f.trim() !== '');
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames[0]).toMatch(/Phase:\s+AwaitingApproval/);
    expect(frames.at(-1)).toMatch(/Phase:\s+Promoted/);
    expect(frames.at(-1)).toMatch(/approve by alice@contoso.com at step 4 "go \(name claimed by an API key holder, not verified\)"/);
  });

  it('watch exits 6 when the rollout ends without promotion (reject)', async () => {
    const id = await startAndWait('104');
    expect((await cli(['reject', id, '--comment', 'latency'])).code).toBe(0);
    await settle(id, 'Rejected');
    const result = await cli(['watch', id, '--json', '--interval', '0.05']);
    expect(result.code).toBe(6);
    expect(JSON.parse(result.out.split('\n')[0]!)).toMatchObject({ phase: 'Rejected' });
  });

  it('pause, resume, promote, abort, retry, and their conflicts (exit 4)', async () => {
    // At the approval step the fixture obeys promote and abort; pause/resume during a timed step.
    const id = await startAndWait('105');
    expect((await cli(['promote', id, '--by', 'ops@contoso.com', '--json'])).code).toBe(0);
    await settle(id, 'Promoted');
    const late = await cli(['abort', id]);
    expect(late.code).toBe(4);
    expect(late.err).toMatch(/has ended \(Promoted\)/);

    const id2 = await startAndWait('106');
    expect((await cli(['abort', id2, '--comment', 'wrong model'])).code).toBe(0);
    await settle(id2, 'Aborted');
    expect((await cli(['resume', id2])).code).toBe(4);

    const id3 = await startAndWait('107');
    const notPaused = await cli(['resume', id3]);
    expect(notPaused.code).toBe(4);
    expect(notPaused.err).toMatch(/is not paused/);
    const pause = await cli(['pause', id3, '--json']);
    expect(pause.code).toBe(0);
    expect(JSON.parse(pause.out)).toMatchObject({ action: 'pause', accepted: true });
    const retry = await cli(['retry', id3]);
    expect(retry.code).toBe(4);
    expect(retry.err).toMatch(/retry applies only after Failed/);
  });

  it('register-model delivers to the Event Grid trigger, or publishes to an Event Grid URL', async () => {
    const sent = await cli([
      'register-model',
      '--model',
      'credit-model',
      '--version',
      '108',
      '--tags',
      'stage=production,team=risk',
      '--json',
      '--workspace',
      'ws-fixture',
    ]);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.out)).toMatchObject({
      tags: { stage: 'production', team: 'risk' },
      deliveredTo: `${runtime.url}/runtime/webhooks/eventgrid`,
      rolloutId: expect.stringMatching(/^credit-scoring--credit-model-v108--/),
    });
    // The webhook takes the Event Grid extension's system key: the API's function key is refused, as in Azure.
    const withApiKey = await cli(['register-model', '--model', 'credit-model', '--version', '110', '--workspace', 'ws-fixture'], {
      AML_ROLLOUT_WEBHOOK_KEY: API_KEY,
    });
    expect(withApiKey.code).toBe(5); // the auth exit code
    expect(withApiKey.err).toMatch(/HTTP 401/);
    const published = await cli([
      'register-model',
      '--model',
      'credit-model',
      '--version',
      '109',
      '--eventgrid-url',
      `${runtime.url}/api/events/cloudevents?code=${API_KEY}`,
      '--key',
      'topic-key',
    ]);
    expect(published.code).toBe(0);
    await runtime.waitForIdle();
    const list = JSON.parse((await cli(['list', '--model', 'credit-model', '--top', '500', '--json'])).out) as { version: string }[];
    expect(list.map((i) => i.version)).toEqual(expect.arrayContaining(['108', '109']));
    const insecure = await cli([
      'register-model',
      '--model',
      'm',
      '--version',
      '1',
      '--eventgrid-url',
      'http://eg.example.com/api/events',
      '--key',
      'k',
    ]);
    expect(insecure.code).toBe(2);
  });

  it('register-model says what became of the registration: the rollout and what it waits for, or why none started', async () => {
    const started = await cli(['register-model', '--model', 'credit-model', '--version', '111', '--workspace', 'ws-fixture']);
    expect(started.code).toBe(0);
    expect(started.out).toMatch(
      /^rollout: credit-scoring--credit-model-v111--\S+ \(\w+.*\) {2}\(watch it: aml-rollout watch credit-scoring--credit-model-v111--/m,
    );
    const unmatched = await cli(['register-model', '--model', 'fraud-model', '--version', '1', '--workspace', 'ws-fixture']);
    expect(unmatched.code).toBe(0);
    expect(unmatched.out).toMatch(
      /^no rollout started: no policy applies to model fraud-model:1 \(no policy matches model fraud-model\)$/m,
    );
    const asJson = JSON.parse(
      (await cli(['register-model', '--model', 'fraud-model', '--version', '2', '--workspace', 'ws-fixture', '--json'])).out,
    ) as Record<string, unknown>;
    expect(asJson).toMatchObject({
      notStarted: 'no rollout started: no policy applies to model fraud-model:2 (no policy matches model fraud-model)',
    });
    expect(asJson.rolloutId).toBeUndefined();
    // Asking why started nothing (the dry run acts on nothing).
    await runtime.waitForIdle();
    expect(JSON.parse((await cli(['list', '--model', 'fraud-model', '--json'])).out)).toEqual([]);
  });

  it('register-model creates the model version on the emulator ARM first', async () => {
    const requests: { method: string; url: string; auth: string | undefined; body: string }[] = [];
    const arm = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => arm.listen(0, '127.0.0.1', r));
    try {
      const port = (arm.address() as { port: number }).port;
      const result = await cli([
        'register-model',
        '--model',
        'credit-model',
        '--version',
        '110',
        '--tags',
        'stage=production',
        '--arm-url',
        `http://127.0.0.1:${port}`,
        '--arm-token',
        'tok',
      ]);
      expect(result.code).toBe(0);
      expect(requests[0]).toMatchObject({ method: 'PUT', auth: 'Bearer tok' });
      expect(requests[0]?.url).toMatch(/\/workspaces\/demo-workspace\/models\/credit-model\/versions\/110\?api-version=2022-10-01$/);
      expect(JSON.parse(requests[0]!.body)).toMatchObject({ properties: { tags: { stage: 'production' } } });
    } finally {
      await new Promise<void>((r) => arm.close(() => r()));
    }
  });

  it('clear errors and exit codes', async () => {
    expect((await cli(['status', 'no-such-rollout'])).code).toBe(3);
    const asJson = await cli(['status', 'no-such-rollout', '--json']);
    expect(JSON.parse(asJson.err)).toEqual({ error: { message: expect.stringContaining('HTTP 404'), exitCode: 3 } });
    const unauthorized = await cli(['list'], { AML_ROLLOUT_KEY: 'wrong' });
    expect(unauthorized.code).toBe(5);
    expect(unauthorized.err).toMatch(/HTTP 401.*pass --key or set AML_ROLLOUT_KEY/);
    expect((await cli(['status'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['watch', 'x', '--interval', '-1'])).code).toBe(2);
    expect((await cli(['register-model', '--model', 'm', '--version', '1', '--tags', 'novalue'])).code).toBe(2);
    const badUrl = await cli(['list', '--url', 'not a url']);
    expect([badUrl.code, badUrl.err]).toEqual([2, expect.stringContaining('is not a URL')]);
    const down = await cli(['list', '--url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/cannot reach/);
    const invalid = await cli(['start', '--model', 'credit-model', '--version', '1', '--policy', 'nope']);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/no policy named "nope"/);
  });

  it('a version that is not one is refused with what a version must look like (not "Invalid input")', async () => {
    for (const version of [' ', 'v'.repeat(65)]) {
      const refused = await cli(['start', '--model', 'credit-model', '--version', version]);
      expect([version.length, refused.code]).toEqual([version.length, 2]);
      expect(refused.err).toMatch(
        /body\.version: must be a model version: a non-empty string of at most 64 characters \(e\.g\. "2" or "2\.5"\), or a whole number >= 0/,
      );
      expect(refused.err).not.toMatch(/Invalid input/);
    }
  });

  it('list cuts long names with an ellipsis instead of padding every row to the longest (5,000-character model name)', async () => {
    const longName = `credit-${'x'.repeat(5000)}`;
    const event = {
      id: 'long-name',
      topic: '/subscriptions/sub-fixture/resourceGroups/rg-fixture/providers/Microsoft.MachineLearningServices/workspaces/ws-fixture',
      subject: `models/${longName}:1`,
      eventType: 'Microsoft.MachineLearningServices.ModelRegistered',
      eventTime: '2026-11-23T10:00:00Z',
      data: { modelName: longName, modelVersion: '1' },
      dataVersion: '1',
    };
    const delivered = await fetch(`${runtime.url}/runtime/webhooks/eventgrid?functionName=modelRegistered`, {
      method: 'POST',
      headers: { 'x-functions-key': runtime.eventGridKey, 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify([event]),
    });
    expect(delivered.status).toBe(202);
    await runtime.waitForIdle();
    const listed = await cli(['list', '--top', '500']);
    expect(listed.code).toBe(0);
    const lines = listed.out.split('\n');
    const row = lines.find((l) => l.includes('credit-xxxx'));
    expect(row).toContain('…');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(400);
    // The rollout id stays whole (other commands take it), and --json keeps the full name.
    const items = JSON.parse((await cli(['list', '--top', '500', '--json'])).out) as { rolloutId: string; model: string }[];
    const item = items.find((i) => i.model === longName);
    expect(item).toBeDefined();
    expect(row).toContain(item!.rolloutId);
  });

  it('--scope signs in with Entra ID (the real DefaultAzureCredential over the Azure CLI) and sends the token as a bearer; a failed sign-in is exit 5 saying what to do', async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'fake-az-'));
    // Stands in for `az account get-access-token --output json --resource <resource>`: echoes a token naming the resource.
    writeFileSync(
      path.join(bin, 'az'),
      '#!/bin/sh\nif [ -n "$FAKE_AZ_LOGGED_OUT" ]; then echo "ERROR: Please run \'az login\' to setup account." >&2; exit 1; fi\necho "{\\"accessToken\\":\\"token-for-$6\\",\\"expiresOn\\":\\"2099-01-01 00:00:00.000000\\",\\"expires_on\\":4070908800,\\"tokenType\\":\\"Bearer\\"}"\n',
      { mode: 0o755 },
    );
    const seen: (string | undefined)[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const saved = {
      PATH: process.env.PATH,
      AZURE_TOKEN_CREDENTIALS: process.env.AZURE_TOKEN_CREDENTIALS,
      FAKE_AZ_LOGGED_OUT: process.env.FAKE_AZ_LOGGED_OUT,
    };
    process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
    process.env.AZURE_TOKEN_CREDENTIALS = 'AzureCliCredential';
    try {
      const listed = await cli(['list', '--url', url, '--scope', 'api://aml-rollout-test/user_impersonation']);
      expect(listed.code).toBe(0);
      expect(seen).toEqual(['Bearer token-for-api://aml-rollout-test/user_impersonation']);
      const fromEnv = await cli(['list', '--url', url], { AML_ROLLOUT_SCOPE: 'api://other-app/.default' });
      expect(fromEnv.code).toBe(0);
      expect(seen[1]).toBe('Bearer token-for-api://other-app');
      const keyOnly = await cli(['list', '--url', url]);
      expect([keyOnly.code, seen[2]]).toEqual([0, undefined]);
      process.env.FAKE_AZ_LOGGED_OUT = '1';
      const loggedOut = await cli(['list', '--url', url, '--scope', 'api://aml-rollout-test/user_impersonation']);
      expect(loggedOut.code).toBe(5);
      expect(loggedOut.err).toMatch(/could not get an Entra ID token for api:\/\/aml-rollout-test\/user_impersonation: .*az login/);
      expect(seen).toHaveLength(3);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await new Promise((resolve) => server.close(resolve));
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('runs through the bin shim (npx aml-rollout)', async () => {
    const shim = path.resolve(__dirname, '../../bin/aml-rollout.js');
    const ok = await promisify(execFile)(process.execPath, [shim, 'list', '--json', '--url', runtime.url, '--key', API_KEY]);
    expect(Array.isArray(JSON.parse(ok.stdout))).toBe(true);
    const failed = await promisify(execFile)(process.execPath, [shim, 'status', 'nope', '--url', runtime.url, '--key', API_KEY]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 3 });
  });
});
