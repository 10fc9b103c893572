/**
 * The API, the webhooks, the Event Grid trigger and signed links on the local runtime (the same
 * registrations as in Azure), with the fixture app's scripted orchestrator.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApprovalLinks } from '../../src/approvals/approval-links';
import { MODEL_REGISTERED_EVENT_TYPE } from '../../src/ingest/model-registered';
import { API_KEY, LINK_SECRET, startFixtureRuntime, type FixtureRuntime } from './runtime-harness';

let runtime: FixtureRuntime;
const TOPIC = '/subscriptions/sub-fixture/resourceGroups/rg-fixture/providers/Microsoft.MachineLearningServices/workspaces/ws-fixture';

beforeAll(async () => {
  runtime = await startFixtureRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field by the assertions
type JsonAnswer = any;

async function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: JsonAnswer; text: string }> {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { 'x-functions-key': API_KEY, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text };
}

function modelRegistered(version: string | number, extra: Record<string, unknown> = {}) {
  return {
    id: `evt-${version}-${Math.random()}`,
    topic: TOPIC,
    subject: `models/credit-model:${version}`,
    eventType: MODEL_REGISTERED_EVENT_TYPE,
    eventTime: '2026-11-23T10:00:00Z',
    data: { modelName: 'credit-model', modelVersion: version, ...extra },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

async function deliver(events: unknown[]) {
  return api('POST', '/runtime/webhooks/eventgrid?functionName=modelRegistered', events, {
    'aeg-event-type': 'Notification',
    'x-functions-key': runtime.eventGridKey,
  });
}

async function waitForPhase(id: string, phase: string) {
  for (let i = 0; i < 200; i += 1) {
    await runtime.waitForIdle();
    const r = await api('GET', `/api/rollouts/${id}`);
    if (r.body?.phase === phase) return r.body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`rollout ${id} never reached ${phase}`);
}

describe('Event Grid trigger on the runtime', () => {
  it('100 deliveries of one event (in batches, in parallel) start one rollout', async () => {
    const event = modelRegistered('11');
    const responses = await Promise.all(Array.from({ length: 10 }, () => deliver(Array.from({ length: 10 }, () => event))));
    expect(responses.every((r) => r.status === 202)).toBe(true);
    await runtime.waitForIdle();
    const list = await api('GET', '/api/rollouts?model=credit-model&top=500');
    expect(list.body.items.filter((i: { version: string }) => i.version === '11')).toHaveLength(1);
  });

  it('starts the rollout of a ModelRegistered event that shares its batch with a validation event (defect 11)', async () => {
    const validation = {
      id: 'validation-in-batch',
      topic: TOPIC,
      subject: '',
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: '2026-11-23T10:00:00Z',
      data: { validationCode: 'c0de' },
      dataVersion: '2',
      metadataVersion: '1',
    };
    expect((await deliver([validation, modelRegistered('61')])).status).toBe(202);
    expect((await deliver([modelRegistered('62'), validation])).status).toBe(202);
    await runtime.waitForIdle();
    const versions = (await api('GET', '/api/rollouts?top=500')).body.items.map((i: { version: string }) => i.version);
    expect(versions).toEqual(expect.arrayContaining(['61', '62']));
  });

  it('out-of-order versions start separate rollouts', async () => {
    expect((await deliver([modelRegistered('23')])).status).toBe(202);
    expect((await deliver([modelRegistered(22)])).status).toBe(202);
    await runtime.waitForIdle();
    const versions = (await api('GET', '/api/rollouts?top=500')).body.items.map((i: { version: string }) => i.version);
    expect(versions).toEqual(expect.arrayContaining(['22', '23']));
  });

  it('acknowledges a malformed event (no retry storm) and logs it with the raw event', async () => {
    const warn = vi.spyOn(console, 'warn');
    const bad = modelRegistered('31', { modelVersion: '32' });
    expect((await deliver([bad])).status).toBe(202);
    const lines = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    const line = lines.find((l) => l.includes('"event.invalid"'));
    expect(line).toBeDefined();
    expect(line).toContain('"field":"data.modelVersion"');
    expect(line).toContain(bad.id);
    const versions = (await api('GET', '/api/rollouts?top=500')).body.items.map((i: { version: string }) => i.version);
    expect(versions).not.toContain('31');
  });
});

describe('events that can never start a rollout are not retried', () => {
  it('an unregistered version: the trigger acknowledges (202), the webhooks answer 400, nothing starts', async () => {
    const warn = vi.spyOn(console, 'warn');
    const event = modelRegistered('404');
    expect((await deliver([event])).status).toBe(202);
    const webhook = await api('POST', '/api/events/eventgrid', [modelRegistered('404')]);
    const cloud = await api(
      'POST',
      '/api/events/cloudevents',
      {
        specversion: '1.0',
        id: 'c404',
        source: TOPIC,
        subject: 'models/credit-model:404',
        type: MODEL_REGISTERED_EVENT_TYPE,
        data: { modelName: 'credit-model', modelVersion: '404' },
      },
      { 'content-type': 'application/cloudevents+json' },
    );
    const lines = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    expect([webhook.status, webhook.body.error.field]).toEqual([400, 'data.modelVersion']);
    expect([cloud.status, cloud.body.error.field]).toEqual([400, 'data.modelVersion']);
    expect(webhook.body.error.message).toMatch(/not registered in workspace ws-fixture/);
    expect(lines.some((l) => l.includes('"event.invalid"') && l.includes(event.id) && l.includes('not registered'))).toBe(true);
    await runtime.waitForIdle();
    const versions = (await api('GET', '/api/rollouts?top=500')).body.items.map((i: { version: string }) => i.version);
    expect(versions).not.toContain('404');
  });
});

describe('operator API on the runtime', () => {
  it('401 from the host without the key, 409 when nothing waits, 404 unknown (403s for principals: test/api/rollouts.test.ts; principals are never believed locally)', async () => {
    expect((await api('GET', '/api/rollouts', undefined, { 'x-functions-key': '' })).status).toBe(401);
    expect((await api('GET', '/api/rollouts', undefined, { 'x-functions-key': 'wrong' })).status).toBe(401);
    const started = await api('POST', '/api/rollouts', { model: 'credit-model', version: '41' });
    expect(started.status).toBe(202);
    const id = started.body.rolloutId as string;
    await waitForPhase(id, 'AwaitingApproval');
    expect((await api('POST', `/api/rollouts/${id}/resume`, {})).status).toBe(409);
    // The literal 'evidence' route answers GET; the {action} route beside it still refuses it as an action.
    const evidence = await api('GET', `/api/rollouts/${id}/evidence`);
    expect([evidence.status, evidence.body.rolloutId, Array.isArray(evidence.body.gates)]).toEqual([200, id, true]);
    expect((await api('POST', `/api/rollouts/${id}/evidence`, {})).status).toBe(400);
    expect((await api('POST', '/api/rollouts/no-such-rollout/abort', {})).status).toBe(404);
    const bad = await api('POST', `/api/rollouts/${id}/approve`, { by: 42 });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'body.by']);
    const again = await api('POST', '/api/rollouts', { model: 'credit-model', version: 41 });
    expect([again.status, again.body.created, again.body.rolloutId]).toEqual([200, false, id]);
  });

  it('percent signs and malformed escapes in an id are 400, never 500, on every route with an id', async () => {
    const variants = ['%25', '%zz', '%C0%AF', '%', '%2F', '%5C', '%00', '%E2%80%AE', '%ff%fe', 'a%25b', '%252F', '..%2F..', '%F0%9F%98%80'];
    for (const variant of variants) {
      const get = await api('GET', `/api/rollouts/${variant}`);
      const evidence = await api('GET', `/api/rollouts/${variant}/evidence`);
      const act = await api('POST', `/api/rollouts/${variant}/abort`, {});
      const link = await api('GET', `/api/approvals/${variant}`, undefined, { accept: 'application/json' });
      expect([variant, get.status, evidence.status, act.status]).toEqual([variant, 400, 400, 400]);
      expect([variant, link.status]).toEqual([variant, 400]);
    }
  });

  it('a body over 1 MB is 413 naming the limit on every route that takes a body, and starts nothing', async () => {
    const huge = JSON.stringify({ model: 'credit-model', version: '77', comment: 'x'.repeat(1024 * 1024) });
    const routes: [string, string, Record<string, string>][] = [
      ['POST', '/api/rollouts', {}],
      ['POST', '/api/rollouts/some-rollout/abort', {}],
      ['POST', '/api/events/eventgrid', { 'aeg-event-type': 'Notification' }],
      ['POST', '/api/events/cloudevents', { 'content-type': 'application/cloudevents-batch+json' }],
      ['POST', '/api/approvals/a.b', { accept: 'application/json' }],
    ];
    for (const [method, route, headers] of routes) {
      const response = await api(method, route, huge, headers);
      expect([route, response.status]).toEqual([route, 413]);
      expect(response.text).toMatch(/at most 1048576 bytes \(1 MB/);
    }
    // Exactly at the limit is still read (and judged on its content).
    const atLimit = JSON.stringify({ model: 'credit-model', version: '78', by: 'x' }).padEnd(1024 * 1024, ' ');
    expect((await api('POST', '/api/rollouts', atLimit)).status).toBe(202);
    await runtime.waitForIdle();
    const versions = (await api('GET', '/api/rollouts?top=500')).body.items.map((i: { version: string }) => i.version);
    expect(versions).not.toContain('77');
  });

  it('approve moves the rollout on; the recorded approver is in the history, as claimed: locally a principal header from the caller is not believed', async () => {
    const id = (await api('POST', '/api/rollouts', { model: 'credit-model', version: '42' })).body.rolloutId as string;
    await waitForPhase(id, 'AwaitingApproval');
    const forged = Buffer.from(JSON.stringify({ claims: [{ typ: 'upn', val: 'ceo@contoso.com' }] })).toString('base64');
    const answer = await api(
      'POST',
      `/api/rollouts/${id}/approve`,
      { by: 'alice@contoso.com', comment: 'numbers look fine' },
      { 'x-ms-client-principal': forged, 'x-ms-client-principal-name': 'ceo@contoso.com' },
    );
    expect([answer.status, answer.body.identity]).toEqual([202, { name: 'alice@contoso.com', verified: false, source: 'apiKey' }]);
    const done = await waitForPhase(id, 'Promoted');
    expect(done.status.approvals[0]).toMatchObject({
      decision: 'approve',
      by: 'alice@contoso.com',
      accepted: true,
      comment: 'numbers look fine (name claimed by an API key holder, not verified)',
    });
    expect(done.history.some((h: { kind: string; text: string }) => h.kind === 'gate' && h.text.includes('errorRate5xx pass'))).toBe(true);
    expect((await api('POST', `/api/rollouts/${id}/approve`, {})).status).toBe(409);
  });

  it('serves the dashboard under the route prefix (anonymous static files)', async () => {
    const bare = await fetch(`${runtime.url}/api/dashboard`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/api/dashboard/']);
    const page = await fetch(`${runtime.url}/api/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script src="app.js" defer></script>');
    expect((await fetch(`${runtime.url}/api/dashboard/../../runtime/webhooks/durabletask/instances`)).status).not.toBe(200);
  });

  it('serves the OpenAPI document', async () => {
    const doc = await api('GET', '/api/openapi.json', undefined, { 'x-functions-key': '' });
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/rollouts', '/rollouts/{id}', '/rollouts/{id}/{action}', '/approvals/{token}']),
    );
    expect(doc.body.components.schemas.RolloutStatus).toBeDefined();
  });
});

describe('signed approval links on the runtime (ledger entity)', () => {
  it('works once; replay, twin, tampered and wrong-step links are refused', async () => {
    const id = (await api('POST', '/api/rollouts', { model: 'credit-model', version: '51' })).body.rolloutId as string;
    const waiting = await waitForPhase(id, 'AwaitingApproval');
    const step = waiting.status.step.index as number;
    const links = createApprovalLinks({
      rolloutId: id,
      step,
      expiresAtMs: runtime.clock.now() + 3_600_000,
      baseUrl: runtime.url,
      secret: LINK_SECRET,
    });
    const wrong = createApprovalLinks({
      rolloutId: id,
      step: step + 1,
      expiresAtMs: runtime.clock.now() + 3_600_000,
      baseUrl: runtime.url,
      secret: LINK_SECRET,
    });
    const path = (url: string) => new URL(url).pathname;
    const form = { 'content-type': 'application/x-www-form-urlencoded', 'x-functions-key': '' };

    const page = await api('GET', path(links.approveUrl), undefined, { 'x-functions-key': '' });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Approve rollout of credit-model version 51');
    expect((await api('POST', path(wrong.approveUrl), 'by=Bob', form)).status).toBe(409);
    const tampered = path(links.approveUrl).replace(/\.(.)/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
    expect((await api('POST', tampered, 'by=Bob', form)).status).toBe(403);

    const results = await Promise.all([
      api('POST', path(links.approveUrl), 'by=Bob', form),
      api('POST', path(links.approveUrl), 'by=Eve', form),
      api('POST', path(links.rejectUrl), 'by=Eve', form),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    const replay = await api('POST', path(links.approveUrl), 'by=Bob', form);
    expect(replay.status).toBe(409);
    expect(replay.text).toContain('already answered');
    const done = await waitForPhase(id, results.findIndex((r) => r.status === 200) === 2 ? 'Rejected' : 'Promoted');
    expect(done.status.approvals.filter((a: { accepted: boolean }) => a.accepted)).toHaveLength(1);
  });
});
