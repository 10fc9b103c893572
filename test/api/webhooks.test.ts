import { describe, expect, it } from 'vitest';
import { apiRequest, type ApiResponse } from '../../src/api/http';
import { handle } from '../../src/api/rollouts';
import { cloudEventsWebhook, eventGridWebhook } from '../../src/api/webhooks';
import { MODEL_REGISTERED_EVENT_TYPE } from '../../src/ingest/model-registered';
import { makeDeps, WORKSPACE } from './fakes';

type Deps = ReturnType<typeof makeDeps>;
const TOPIC = `/subscriptions/${WORKSPACE.subscriptionId}/resourceGroups/${WORKSPACE.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE.workspace}`;

function egEvent(version: string | number, data: Record<string, unknown> = {}) {
  return {
    id: `e-${version}`,
    topic: TOPIC,
    subject: `models/credit-model:${version}`,
    eventType: MODEL_REGISTERED_EVENT_TYPE,
    eventTime: '2026-11-23T10:00:00Z',
    data: { ModelName: 'credit-model', ModelVersion: version, ...data },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

function send(
  fn: typeof eventGridWebhook,
  deps: Deps,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const request = apiRequest({
    method,
    url: 'http://ctl.example/api/events/x?code=test-key',
    headers,
    body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return handle(deps, 't', () => fn(request, deps));
}

describe('Event Grid schema webhook', () => {
  it('answers the SubscriptionValidation handshake', async () => {
    const deps = makeDeps();
    const body = [
      {
        id: 'v',
        topic: TOPIC,
        subject: '',
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        data: { validationCode: 'CODE-123', validationUrl: 'https://x' },
        dataVersion: '1',
        metadataVersion: '1',
        eventTime: '2026-11-23T10:00:00Z',
      },
    ];
    const response = await send(eventGridWebhook, deps, 'POST', body, { 'aeg-event-type': 'SubscriptionValidation' });
    expect(response).toMatchObject({ status: 200, jsonBody: { validationResponse: 'CODE-123' } });
  });

  it('starts one rollout for duplicate deliveries', async () => {
    const deps = makeDeps();
    for (let i = 0; i < 100; i += 1)
      expect((await send(eventGridWebhook, deps, 'POST', [egEvent(2)], { 'aeg-event-type': 'Notification' })).status).toBe(200);
    expect(deps.client.started).toHaveLength(1);
  });

  it('400 naming the field for a malformed event, after logging it raw', async () => {
    const deps = makeDeps();
    const response = await send(eventGridWebhook, deps, 'POST', [egEvent(2), egEvent(3, { ModelVersion: '4' })]);
    expect(response.status).toBe(400);
    expect(response.jsonBody).toMatchObject({ error: { field: '[1].data.modelVersion' } });
    expect(deps.log.lines.find((l) => l.event === 'event.invalid')?.fields.rawEvent).toMatchObject({ id: 'e-3' });
    expect(deps.client.started).toHaveLength(1);
    const notJson = await send(eventGridWebhook, deps, 'POST', '[{oops');
    expect(notJson).toMatchObject({ status: 400, jsonBody: { error: { field: 'body' } } });
    expect((await send(eventGridWebhook, deps, 'POST', [])).status).toBe(400);
  });

  it('401 without the key', async () => {
    const deps = makeDeps();
    const request = apiRequest({ method: 'POST', url: 'http://ctl.example/api/events/eventgrid', body: JSON.stringify([egEvent(2)]) });
    expect((await handle(deps, 't', () => eventGridWebhook(request, deps))).status).toBe(401);
  });
});

describe('CloudEvents webhook', () => {
  it('answers the OPTIONS abuse-protection handshake', async () => {
    const deps = makeDeps();
    const response = await send(cloudEventsWebhook, deps, 'OPTIONS', undefined, { 'WebHook-Request-Origin': 'eventgrid.azure.net' });
    expect(response.status).toBe(200);
    expect(response.headers?.['webhook-allowed-origin']).toBe('eventgrid.azure.net');
    expect((await send(cloudEventsWebhook, deps, 'OPTIONS', undefined)).status).toBe(400);
  });

  it('accepts structured and batched CloudEvents', async () => {
    const deps = makeDeps();
    const ce = (v: string) => ({
      specversion: '1.0',
      id: `c${v}`,
      source: TOPIC,
      subject: `models/credit-model:${v}`,
      type: MODEL_REGISTERED_EVENT_TYPE,
      time: '2026-11-23T10:00:00Z',
      data: { modelName: 'credit-model', modelVersion: v },
    });
    expect(
      (await send(cloudEventsWebhook, deps, 'POST', ce('2'), { 'content-type': 'application/cloudevents+json; charset=utf-8' })).status,
    ).toBe(200);
    expect(
      (await send(cloudEventsWebhook, deps, 'POST', [ce('3'), ce('2')], { 'content-type': 'application/cloudevents-batch+json' })).status,
    ).toBe(200);
    expect(deps.client.started.map((s) => [s.input.source, s.input.model.version])).toEqual([
      ['cloudEvents', '2'],
      ['cloudEvents', '3'],
    ]);
    const bad = await send(
      cloudEventsWebhook,
      deps,
      'POST',
      { ...ce('5'), specversion: '0.3' },
      { 'content-type': 'application/cloudevents+json' },
    );
    expect(bad).toMatchObject({ status: 400, jsonBody: { error: { field: 'specversion' } } });
    expect((await send(cloudEventsWebhook, deps, 'POST', ce('6'), { 'content-type': 'text/plain' })).status).toBe(400);
  });
});
