import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventGridDeserializer, isSystemEvent } from '@azure/eventgrid';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoWorld, createEmulator, type Emulator } from '../../src/harness/emulator';
import { buildProgram } from '../../src/harness/emulator/cli';
import {
  EVENT_GRID_RETRY_DELAYS_MS,
  isRetriedByEventGrid,
  MODEL_REGISTERED_EVENT_TYPE,
  publishModelRegistered,
  validateEventGridSubscription,
} from '../../src/harness/emulator/event-grid';
import { ManualClock, RG, WS, armClient } from './helpers';

interface Captured {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A stand-in for the app's webhook: records what arrives, answers `status`. */
async function webhook(status = 200): Promise<{ url: string; received: Captured[] }> {
  const received: Captured[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(status < 300 ? '' : JSON.stringify({ message: 'bad event' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

async function emulator(): Promise<{ em: Emulator; clock: ManualClock }> {
  const clock = new ManualClock();
  const em = createEmulator({ clock, seed: 2, world: createDemoWorld({ requestsPerMinute: 0 }) });
  await em.start();
  cleanups.push(() => em.stop());
  return { em, clock };
}

describe('Event Grid delivery of ModelRegistered', () => {
  it('registers the version, then delivers an Event Grid schema event with the real headers', async () => {
    const { em, clock } = await emulator();
    clock.advanceMinutes(5);
    const app = await webhook();
    const result = await publishModelRegistered({
      emulator: em,
      runtimeUrl: app.url,
      functionKey: 'k3y',
      model: 'credit-model',
      version: '2',
      tags: { team: 'risk' },
      behavior: { errorRate: 0.3 },
    });
    expect(result).toMatchObject({ status: 200, delivered: true });
    const version = await armClient(em).modelVersions.get(RG, WS, 'credit-model', '2');
    expect(version.properties.tags).toEqual({ team: 'risk' });
    expect(app.received).toHaveLength(1);
    const [delivery] = app.received;
    expect(delivery?.method).toBe('POST');
    const url = new URL(delivery?.url ?? '', app.url);
    expect(url.pathname).toBe('/runtime/webhooks/eventgrid');
    expect(Object.fromEntries(url.searchParams)).toEqual({ functionName: 'modelRegistered', code: 'k3y' });
    expect(delivery?.headers).toMatchObject({
      'aeg-event-type': 'Notification',
      'aeg-subscription-name': 'MODEL-REGISTERED',
      'aeg-delivery-count': '0',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(delivery?.headers['aeg-sas-key']).toBeUndefined();
    const events = await new EventGridDeserializer().deserializeEventGridEvents(delivery?.body ?? '');
    expect(events).toHaveLength(1);
    const event = events[0];
    expect(event && isSystemEvent(MODEL_REGISTERED_EVENT_TYPE as 'Microsoft.MachineLearningServices.ModelRegistered', event)).toBe(true);
    expect(event).toMatchObject({
      id: result.eventId,
      eventType: MODEL_REGISTERED_EVENT_TYPE,
      subject: 'models/credit-model:2',
      topic: `/subscriptions/${em.coords.subscriptionId}/resourceGroups/${em.coords.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${em.coords.workspace}`,
      dataVersion: '2',
      metadataVersion: '1',
      data: { ModelName: 'credit-model', ModelVersion: '2', ModelTags: { team: 'risk' }, ModelProperties: {} },
    });
    // PascalCase data keys as Azure documents the payload (the SDK's camelCase interface is not the wire shape).
    expect(Object.keys(event?.data as object).sort()).toEqual(['ModelName', 'ModelProperties', 'ModelTags', 'ModelVersion']);
    expect(event?.eventTime.getTime()).toBe(em.now()); // the shared clock, not the machine's
  });

  it('delivers a single CloudEvent with the CloudEvents content type', async () => {
    const { em } = await emulator();
    const app = await webhook(202);
    const result = await publishModelRegistered({
      emulator: em,
      runtimeUrl: app.url,
      model: 'credit-model',
      version: '3',
      schema: 'cloudevents',
      deliveryCount: 2,
    });
    expect(result.delivered).toBe(true);
    const [delivery] = app.received;
    expect(delivery?.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(delivery?.headers['aeg-delivery-count']).toBe('2');
    const parsed = JSON.parse(delivery?.body ?? '');
    expect(Array.isArray(parsed)).toBe(false);
    const [event] = await new EventGridDeserializer().deserializeCloudEvents(delivery?.body ?? '');
    expect(event).toMatchObject({
      type: MODEL_REGISTERED_EVENT_TYPE,
      subject: 'models/credit-model:3',
      specversion: '1.0',
      data: { ModelName: 'credit-model', ModelVersion: '3' },
    });
  });

  it('reports a refused delivery as not delivered, with the status, and keeps ids stable per input', async () => {
    const { em } = await emulator();
    const app = await webhook(400);
    const first = await publishModelRegistered({ emulator: em, runtimeUrl: app.url, model: 'credit-model', version: '4' });
    expect(first).toMatchObject({ status: 400, delivered: false });
    expect(first.responseText).toContain('bad event');
    const again = await publishModelRegistered({ emulator: em, runtimeUrl: app.url, model: 'credit-model', version: '4' });
    expect(again.eventId).toBe(first.eventId);
  });
});

describe('Event Grid subscription validation handshake', () => {
  it('posts a SubscriptionValidationEvent and checks the echoed code; sends OPTIONS for CloudEvents', async () => {
    const seen: { method: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', headers: req.headers, body });
        if (req.method === 'OPTIONS') {
          res.writeHead(200, { 'WebHook-Allowed-Origin': String(req.headers['webhook-request-origin']) });
          res.end();
          return;
        }
        const [event] = JSON.parse(body) as { data: { validationCode: string } }[];
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ validationResponse: event?.data.validationCode }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const runtimeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const eg = await validateEventGridSubscription({ runtimeUrl, validationCode: 'abc-123' });
    expect(eg).toMatchObject({ status: 200, validated: true });
    expect(seen[0]?.headers['aeg-event-type']).toBe('SubscriptionValidation');
    expect(JSON.parse(seen[0]?.body ?? '[]')[0]).toMatchObject({
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      data: { validationCode: 'abc-123' },
    });
    const ce = await validateEventGridSubscription({ runtimeUrl, schema: 'cloudevents' });
    expect(ce).toMatchObject({ status: 200, validated: true });
    expect(seen[1]?.method).toBe('OPTIONS');
    const app = await webhook();
    expect((await validateEventGridSubscription({ runtimeUrl: app.url })).validated).toBe(false);
  });
});

describe('emulator CLI: register', () => {
  it('registers a version with behaviour in a running emulator and delivers its event to the app', async () => {
    const { em } = await emulator();
    const app = await webhook();
    const previousExitCode = process.exitCode;
    await buildProgram().parseAsync(
      [
        'register',
        '--emulator-url',
        em.url,
        '--app-url',
        app.url,
        '--model',
        'credit-model',
        '--version',
        '7',
        '--tag',
        'team=risk',
        '--error-rate',
        '0.25',
        '--schema',
        'cloudevents',
      ],
      { from: 'user' },
    );
    expect(process.exitCode).toBe(0);
    process.exitCode = previousExitCode;
    expect(em.state.getModelVersion('credit-model', '7').properties['tags']).toEqual({ team: 'risk' });
    // One event delivery; then the CLI asks the app's API what became of it (the rollout it started, or why none).
    const deliveries = app.received.filter((r) => r.url.startsWith('/runtime/webhooks/eventgrid'));
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0]?.body ?? '{}')).toMatchObject({
      subject: 'models/credit-model:7',
      data: { ModelTags: { team: 'risk' } },
    });
    // (This stand-in answers the lookup with an empty body, so the CLI stops at the list and says it could not look it up.)
    expect(app.received.filter((r) => r.url.startsWith('/api/rollouts')).map((r) => r.method)).toEqual(['GET']);
  });
});

describe('admin API', () => {
  it('registers versions with behaviour, sets traffic, adds faults and reports state', async () => {
    const { em, clock } = await emulator();
    const post = (method: string, path: string, body: unknown) =>
      fetch(`${em.url}/_emulator/${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('POST', 'models/credit-model/versions/5', { tags: { a: 'b' }, behavior: { errorRate: 0.5 } })).status).toBe(201);
    expect((await post('PUT', 'behavior/credit-model:1', { errorRate: 2 })).status).toBe(400);
    expect((await post('PUT', 'traffic/credit-scoring', { requestsPerMinute: 60 })).status).toBe(200);
    expect((await post('POST', 'faults', { target: 'arm', status: 503, count: 1 })).status).toBe(201);
    clock.advanceMinutes(2);
    const state = (await (await fetch(`${em.url}/_emulator/state`)).json()) as {
      logRows: number;
      minute: number;
      state: { endpoints: { name: string }[] };
    };
    expect(state.logRows).toBe(120);
    expect(state.minute).toBe(2);
    expect(state.state.endpoints.map((e) => e.name)).toEqual(['credit-scoring']);
    expect(em.state.getModelVersion('credit-model', '5').properties['tags']).toEqual({ a: 'b' });
    const bad = await post('PUT', 'behavior/credit-model:1', { errorRate: 2 });
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('errorRate');
  });
});

describe("Event Grid's retry rules", () => {
  it.each([
    [400, false],
    [401, false],
    [403, false],
    [413, false],
    [404, true],
    [408, true],
    [429, true],
    [500, true],
    [503, true],
  ])('a webhook answering %i is retried: %s', (status, retried) => {
    expect(isRetriedByEventGrid(status)).toBe(retried);
  });

  it('waits 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h first, each wait no shorter than the one before', () => {
    expect(EVENT_GRID_RETRY_DELAYS_MS.slice(0, 7)).toEqual([10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000]);
    for (let i = 1; i < EVENT_GRID_RETRY_DELAYS_MS.length; i++)
      expect(EVENT_GRID_RETRY_DELAYS_MS[i]).toBeGreaterThanOrEqual(EVENT_GRID_RETRY_DELAYS_MS[i - 1] ?? 0);
  });
});
