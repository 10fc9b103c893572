/** HTTP triggers, keys, Event Grid and hooks of the fixture app, over real HTTP. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type LocalRuntime } from '../../src/harness/local-runtime/runtime';
import { ensureBuilt, fixtureEntry, request } from './helpers';

let rt: LocalRuntime;

beforeAll(async () => {
  await ensureBuilt();
  rt = await startRuntime({ app: fixtureEntry, port: 0, store: ':memory:', functionKey: 'test-key', log: () => {} });
});

afterAll(async () => {
  await rt?.stop();
});

describe('HTTP triggers', () => {
  it('passes method, route params (optional and constrained), query, headers and body', async () => {
    const response = await request(`${rt.url}/api/echo/42/extra?a=1&b=two`, {
      method: 'POST',
      body: 'payload',
      headers: { 'x-custom': 'hdr' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-echo')).toBe('yes');
    expect(response.body).toMatchObject({
      method: 'POST',
      params: { id: '42', tail: 'extra' },
      query: { a: '1', b: 'two' },
      header: 'hdr',
      body: 'payload',
    });
    expect((response.body as { url: string }).url).toBe(`${rt.url}/api/echo/42/extra?a=1&b=two`);
    const optional = await request(`${rt.url}/api/echo/7`);
    expect((optional.body as { params: Record<string, string> }).params).toEqual({ id: '7' });
  });

  it('answers 404 for a constraint mismatch or unknown route, 405 for a wrong method', async () => {
    expect((await request(`${rt.url}/api/echo/not-a-number`)).status).toBe(404);
    expect((await request(`${rt.url}/api/nothing-here`)).status).toBe(404);
    expect((await request(`${rt.url}/api/echo/1`, { method: 'DELETE' })).status).toBe(405);
  });

  it('enforces function keys (header or code query) and leaves anonymous functions open', async () => {
    expect((await request(`${rt.url}/api/secure`)).status).toBe(401);
    expect((await request(`${rt.url}/api/secure?code=wrong`)).status).toBe(401);
    expect((await request(`${rt.url}/api/secure?code=test-key`)).text).toBe('secret');
    expect((await request(`${rt.url}/api/secure`, { headers: { 'x-functions-key': 'test-key' } })).status).toBe(200);
    expect((await request(`${rt.url}/api/echo/1`)).status).toBe(200);
  });
});

describe("extension webhooks take their extension's system key, not a function key", () => {
  it('generates distinct system keys per start', async () => {
    const keys = rt.systemKeys;
    expect(keys).toBeDefined();
    const { eventgrid_extension: eventGrid, durabletask_extension: durableTask } = keys as NonNullable<typeof keys>;
    expect(new Set([eventGrid, durableTask, 'test-key']).size).toBe(3);
    expect(eventGrid.length).toBeGreaterThanOrEqual(40);
  });

  it('authorizes /runtime/webhooks/durabletask with durabletask_extension only', async () => {
    const keys = rt.systemKeys as NonNullable<typeof rt.systemKeys>;
    const status = async (key?: string, header = false): Promise<number> =>
      (
        await request(
          `${rt.url}/runtime/webhooks/durabletask/instances/x${key && !header ? `?code=${key}` : ''}`,
          header && key ? { headers: { 'x-functions-key': key } } : {},
        )
      ).status;
    expect(await status()).toBe(401);
    expect(await status('test-key')).toBe(401);
    expect(await status(keys.eventgrid_extension)).toBe(401);
    expect(await status(keys.durabletask_extension)).toBe(404); // through: no such instance
    expect(await status(keys.durabletask_extension, true)).toBe(404);
  });

  it('authorizes /runtime/webhooks/eventgrid with eventgrid_extension only', async () => {
    const keys = rt.systemKeys as NonNullable<typeof rt.systemKeys>;
    const status = async (key?: string): Promise<number> =>
      (
        await request(`${rt.url}/runtime/webhooks/eventgrid?functionName=eventSink${key ? `&code=${key}` : ''}`, {
          method: 'POST',
          headers: { 'aeg-event-type': 'Unsubscribe' },
        })
      ).status;
    expect(await status()).toBe(401);
    expect(await status('test-key')).toBe(401);
    expect(await status(keys.durabletask_extension)).toBe(401);
    expect(await status(keys.eventgrid_extension)).toBe(202);
  });

  it("hands out management links that carry the Durable extension's key", () => {
    const data = rt.clientBindingData() as { requiredQueryStringParameters: string; managementUrls: { statusQueryGetUri: string } };
    expect(new URLSearchParams(data.requiredQueryStringParameters).get('code')).toBe(rt.systemKeys?.durabletask_extension);
    expect(data.managementUrls.statusQueryGetUri).toContain(`code=${rt.systemKeys?.durabletask_extension}`);
  });
});

describe('the durable client endpoint on the loopback listener', () => {
  it('answers only under the secret path the binding data names', async () => {
    const rpcBaseUrl = (rt.clientBindingData() as { rpcBaseUrl: string }).rpcBaseUrl;
    const base = new URL(rpcBaseUrl);
    expect(base.hostname).toBe('127.0.0.1');
    const secret = base.pathname.split('/')[1] as string;
    expect(secret.length).toBeGreaterThanOrEqual(40);
    // A running instance, started through the secret path (as the app's client does).
    const started = await request(new URL('orchestrators/twoEvents', rpcBaseUrl).href, { method: 'POST' });
    expect(started.status).toBe(202);
    const id = (started.body as { id: string }).id;
    expect((await request(new URL(`instances/${id}`, rpcBaseUrl).href)).status).toBe(202);
    // Any other local caller: no key-less way in, whatever the path.
    const guesses = [
      `${base.origin}/durabletask/instances/${id}`,
      `${base.origin}/x${secret}/durabletask/instances/${id}`,
      `${base.origin}/${secret.slice(1)}/durabletask/instances/${id}`,
      `${base.origin}/runtime/webhooks/durabletask/instances/${id}`,
    ];
    for (const guess of guesses) {
      expect((await request(guess)).status, guess).toBe(404);
      expect(
        (await request(`${guess.replace(`/instances/${id}`, `/instances/${id}/raiseEvent/a`)}`, { method: 'POST', json: 'forged' })).status,
        guess,
      ).toBe(404);
    }
    // The forged events never arrived: the instance still waits for its first one.
    const status = await request(
      `${rt.url}/runtime/webhooks/durabletask/instances/${id}?showHistory=true&code=${rt.systemKeys?.durabletask_extension}`,
    );
    expect(((status.body as { historyEvents: { EventType: string }[] }).historyEvents ?? []).map((e) => e.EventType)).not.toContain(
      'EventRaised',
    );
    expect((await request(`${new URL(`instances/${id}/terminate`, rpcBaseUrl).href}`, { method: 'POST' })).status).toBe(202);
  });

  it('returns stream bodies and turns a throwing handler into a 500', async () => {
    const streamed = await request(`${rt.url}/api/stream`);
    expect(streamed.text).toBe('chunk0;chunk1;chunk2;');
    expect(streamed.headers.get('content-type')).toBe('text/plain');
    expect((await request(`${rt.url}/api/throws`)).status).toBe(500);
  });

  it('runs preInvocation hooks around invocations', async () => {
    const before = ((await request(`${rt.url}/api/hooks`)).body as { preInvocations: number }).preInvocations;
    await request(`${rt.url}/api/echo/1`);
    const after = ((await request(`${rt.url}/api/hooks`)).body as { preInvocations: number }).preInvocations;
    expect(after).toBe(before + 2);
  });
});

describe('Event Grid trigger', () => {
  const url = (fn: string): string => `${rt.url}/runtime/webhooks/eventgrid?functionName=${fn}&code=${rt.systemKeys?.eventgrid_extension}`;
  const notification = { 'aeg-event-type': 'Notification' };
  const received = async (): Promise<string[]> => ((await request(`${rt.url}/api/events`)).body as { id: string }[]).map((e) => e.id);
  const egEvent = (id: string, data: unknown = {}): Record<string, unknown> => ({
    id,
    eventType: 'Test.Event',
    subject: 's',
    data,
    dataVersion: '1',
    eventTime: new Date().toISOString(),
  });

  it('answers the subscription validation handshake', async () => {
    const response = await request(url('eventSink'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
      json: [
        {
          id: 'v',
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          subject: '',
          data: { validationCode: 'abc-123' },
          dataVersion: '1',
          eventTime: new Date().toISOString(),
        },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ validationResponse: 'abc-123' });
  });

  it('invokes once per event for Event Grid arrays and CloudEvents (single and batch)', async () => {
    const batch = await request(url('eventSink'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'Notification' },
      json: [egEvent('eg-1'), egEvent('eg-2')],
    });
    expect(batch.status).toBe(202);
    const single = await request(url('eventSink'), {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', ...notification },
      body: JSON.stringify({ specversion: '1.0', id: 'ce-1', source: '/test', type: 'Test.Event', data: {} }),
    });
    expect(single.status).toBe(202);
    const cloudBatch = await request(url('eventSink'), {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json', ...notification },
      body: JSON.stringify([
        { specversion: '1.0', id: 'ce-2', source: '/test', type: 'Test.Event' },
        { specversion: '1.0', id: 'ce-3', source: '/test', type: 'Test.Event' },
      ]),
    });
    expect(cloudBatch.status).toBe(202);
    expect((await received()).slice(-5)).toEqual(['eg-1', 'eg-2', 'ce-1', 'ce-2', 'ce-3']);
  });

  it('invokes every event of a Notification batch, a validation event among them included (defect 11)', async () => {
    const validationEvent = {
      id: 'v-in-batch',
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      subject: '',
      data: { validationCode: 'c0de' },
      dataVersion: '2',
      eventTime: new Date().toISOString(),
    };
    for (const batch of [
      [validationEvent, egEvent('after-validation')],
      [egEvent('before-validation'), { ...validationEvent, id: 'v-in-batch-2' }],
    ]) {
      const response = await request(url('eventSink'), { method: 'POST', headers: notification, json: batch });
      expect(response.status).toBe(202);
      expect(response.text).toBe(''); // a delivery, not a handshake answer
      expect((await received()).slice(-2)).toEqual(batch.map((e) => e.id));
    }
  });

  it('delivers every event of random Notification batches in order, and nothing for random other header values', async () => {
    let batchNumber = 0;
    const validation = (id: string): Record<string, unknown> => ({
      id,
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      subject: '',
      data: { validationCode: id },
      dataVersion: '2',
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('Notification', 'notification', 'NOTIFICATION'),
        async (kinds, header) => {
          batchNumber++;
          const batch = kinds.map((isValidation, i) =>
            isValidation ? validation(`rv-${batchNumber}-${i}`) : egEvent(`re-${batchNumber}-${i}`),
          );
          const response = await request(url('eventSink'), { method: 'POST', headers: { 'aeg-event-type': header }, json: batch });
          expect(response.status).toBe(202);
          expect((await received()).slice(-batch.length)).toEqual(batch.map((e) => e.id));
        },
      ),
      { numRuns: 25 },
    );
    const known = ['notification', 'subscriptionvalidation', 'unsubscribe'];
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 20 }).filter((h) => /^[\x21-\x7e]*$/.test(h) && !known.includes(h.toLowerCase())),
        async (header) => {
          const before = (await received()).length;
          const response = await request(url('eventSink'), {
            method: 'POST',
            headers: header === '' ? {} : { 'aeg-event-type': header },
            json: [egEvent('never')],
          });
          expect(response.status).toBe(400);
          expect(await received()).toHaveLength(before);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('dispatches on aeg-event-type alone: Unsubscribe 202, a missing or other value 400, nothing invoked', async () => {
    const before = (await received()).length;
    const table: [headers: Record<string, string>, status: number][] = [
      [{ 'aeg-event-type': 'Unsubscribe' }, 202],
      [{ 'aeg-event-type': 'unsubscribe' }, 202],
      [{}, 400],
      [{ 'aeg-event-type': '' }, 400],
      [{ 'aeg-event-type': 'Notify' }, 400],
      [{ 'content-type': 'application/cloudevents+json' }, 400],
    ];
    for (const [headers, status] of table) {
      const response = await request(url('eventSink'), { method: 'POST', headers, json: [egEvent('not-delivered')] });
      expect(response.status, JSON.stringify(headers)).toBe(status);
      if (status === 400) expect(response.text).toContain('aeg-event-type');
    }
    expect(await received()).toHaveLength(before);
  });

  it('answers the validation handshake by header for an array or a single event', async () => {
    const data = { validationCode: 'obj-code', validationUrl: 'https://rp.eventgrid.azure.net/validate' };
    const single = await request(url('eventSink'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
      json: { id: 'v', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', subject: '', data },
    });
    expect(single.status).toBe(200);
    expect(single.body).toEqual({ validationResponse: 'obj-code' });
    const missing = await request(url('eventSink'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
      json: [{ id: 'v', eventType: 'x', subject: '', data: {} }],
    });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('validationCode');
  });

  it('answers the CloudEvents OPTIONS handshake with WebHook-Allowed-Origin', async () => {
    const table: [origin: string | undefined, allowed: string][] = [
      ['eventgrid.azure.net', 'eventgrid.azure.net'],
      ['eventgrid.azure.us', 'eventgrid.azure.us'],
      ['eventgrid.azure.cn', 'eventgrid.azure.cn'],
      ['evil.example.com', 'eventgrid.azure.net'],
      [undefined, 'eventgrid.azure.net'],
    ];
    for (const [origin, allowed] of table) {
      const response = await fetch(url('eventSink'), { method: 'OPTIONS', headers: origin ? { 'WebHook-Request-Origin': origin } : {} });
      expect(response.status, String(origin)).toBe(200);
      expect(response.headers.get('webhook-allowed-origin')).toBe(allowed);
    }
    expect((await fetch(`${rt.url}/runtime/webhooks/eventgrid?functionName=eventSink`, { method: 'OPTIONS' })).status).toBe(401);
  });

  it('answers 500 when any event fails, 404 for an unknown function, 400 for malformed bodies', async () => {
    expect(
      (
        await request(url('eventSink'), {
          method: 'POST',
          headers: notification,
          json: [egEvent('ok-1'), egEvent('bad-1', { fail: true })],
        })
      ).status,
    ).toBe(500);
    expect((await request(url('noSuchFunction'), { method: 'POST', headers: notification, json: [egEvent('x')] })).status).toBe(404);
    expect((await request(url('echo'), { method: 'POST', headers: notification, json: [egEvent('x')] })).status).toBe(404);
    expect((await request(url('eventSink'), { method: 'POST', headers: notification, body: '[{' })).status).toBe(400);
    expect((await request(url('eventSink'), { method: 'POST', headers: notification, json: [] })).status).toBe(400);
    expect((await request(url('eventSink'), { method: 'POST', headers: notification, json: 42 })).status).toBe(400);
    expect((await request(url('eventSink'), { method: 'POST', headers: notification, json: [{ id: 'no-type' }] })).status).toBe(400);
    expect(
      (
        await request(`${rt.url}/runtime/webhooks/eventgrid?functionName=eventSink`, {
          method: 'POST',
          headers: notification,
          json: [egEvent('x')],
        })
      ).status,
    ).toBe(401);
  });
});
