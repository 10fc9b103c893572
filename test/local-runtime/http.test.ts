/** HTTP triggers, keys, Event Grid and hooks of the fixture app, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type LocalRuntime } from '../../src/local-runtime/runtime';
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
    const response = await request(`${rt.url}/api/echo/42/extra?a=1&b=two`, { method: 'POST', body: 'payload', headers: { 'x-custom': 'hdr' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-echo')).toBe('yes');
    expect(response.body).toMatchObject({ method: 'POST', params: { id: '42', tail: 'extra' }, query: { a: '1', b: 'two' }, header: 'hdr', body: 'payload' });
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
    // The management API needs the key too (the durable client uses the key-less internal endpoint).
    expect((await request(`${rt.url}/runtime/webhooks/durabletask/instances/x`)).status).toBe(401);
    expect((await request(`${rt.url}/runtime/webhooks/durabletask/instances/x?code=test-key`)).status).toBe(404);
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
  const url = (fn: string): string => `${rt.url}/runtime/webhooks/eventgrid?functionName=${fn}&code=test-key`;
  const egEvent = (id: string, data: unknown = {}): Record<string, unknown> => ({ id, eventType: 'Test.Event', subject: 's', data, dataVersion: '1', eventTime: new Date().toISOString() });

  it('answers the subscription validation handshake', async () => {
    const response = await request(url('eventSink'), {
      method: 'POST',
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
      json: [{ id: 'v', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', subject: '', data: { validationCode: 'abc-123' }, dataVersion: '1', eventTime: new Date().toISOString() }],
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ validationResponse: 'abc-123' });
  });

  it('invokes once per event for Event Grid arrays and CloudEvents (single and batch)', async () => {
    const batch = await request(url('eventSink'), { method: 'POST', headers: { 'aeg-event-type': 'Notification' }, json: [egEvent('eg-1'), egEvent('eg-2')] });
    expect(batch.status).toBe(202);
    const single = await request(url('eventSink'), {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 'ce-1', source: '/test', type: 'Test.Event', data: {} }),
    });
    expect(single.status).toBe(202);
    const cloudBatch = await request(url('eventSink'), {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify([{ specversion: '1.0', id: 'ce-2', source: '/test', type: 'Test.Event' }, { specversion: '1.0', id: 'ce-3', source: '/test', type: 'Test.Event' }]),
    });
    expect(cloudBatch.status).toBe(202);
    const received = (await request(`${rt.url}/api/events`)).body as { id: string }[];
    expect(received.map((e) => e.id)).toEqual(['eg-1', 'eg-2', 'ce-1', 'ce-2', 'ce-3']);
  });

  it('answers 500 when any event fails, 404 for an unknown function, 400 for malformed bodies', async () => {
    expect((await request(url('eventSink'), { method: 'POST', json: [egEvent('ok-1'), egEvent('bad-1', { fail: true })] })).status).toBe(500);
    expect((await request(url('noSuchFunction'), { method: 'POST', json: [egEvent('x')] })).status).toBe(404);
    expect((await request(url('echo'), { method: 'POST', json: [egEvent('x')] })).status).toBe(404);
    expect((await request(url('eventSink'), { method: 'POST', body: '[{' })).status).toBe(400);
    expect((await request(url('eventSink'), { method: 'POST', json: [] })).status).toBe(400);
    expect((await request(url('eventSink'), { method: 'POST', json: [{ id: 'no-type' }] })).status).toBe(400);
    expect((await request(`${rt.url}/runtime/webhooks/eventgrid?functionName=eventSink`, { method: 'POST', json: [egEvent('x')] })).status).toBe(401);
  });
});
