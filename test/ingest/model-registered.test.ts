import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import { parseModelRegisteredEvent, MODEL_REGISTERED_EVENT_TYPE } from '../../src/ingest/model-registered';
import { isValidInstanceId, rolloutInstanceId } from '../../src/ingest/instance-id';

const TOPIC = '/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-prod';

function egEvent(
  overrides: Record<string, unknown> = {},
  data: unknown = { modelName: 'credit-model', modelVersion: '2', modelTags: { team: 'risk' } },
) {
  return {
    id: 'e1',
    topic: TOPIC,
    subject: 'models/credit-model:2',
    eventType: MODEL_REGISTERED_EVENT_TYPE,
    eventTime: '2026-11-23T10:00:00Z',
    data,
    dataVersion: '2',
    metadataVersion: '1',
    ...overrides,
  };
}

function problem(fn: () => unknown): { path: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    const e = error as ValidationError;
    return { path: e.path, message: e.message };
  }
  throw new Error('expected a ValidationError');
}

describe('parseModelRegisteredEvent', () => {
  it('parses an Event Grid event with workspace coordinates from the topic', () => {
    const e = parseModelRegisteredEvent(egEvent());
    expect(e).toMatchObject({
      schema: 'eventGrid',
      eventId: 'e1',
      workspace: { subscriptionId: 'sub-1', resourceGroup: 'rg-ml', workspace: 'ws-prod' },
      model: { name: 'credit-model', version: '2', tags: { team: 'risk' }, properties: {} },
    });
    expect(e.eventTimeMs).toBe(Date.parse('2026-11-23T10:00:00Z'));
  });

  it('accepts PascalCase keys and a numeric version (kept as a string)', () => {
    const e = parseModelRegisteredEvent(egEvent({}, { ModelName: 'credit-model', ModelVersion: 2, ModelTags: { n: 5, ok: true } }));
    expect(e.model.version).toBe('2');
    expect(e.model.tags).toEqual({ n: '5', ok: 'true' });
  });

  it('takes the version from the subject when data lacks it', () => {
    expect(parseModelRegisteredEvent(egEvent({}, { modelName: 'credit-model' })).model.version).toBe('2');
    expect(parseModelRegisteredEvent(egEvent({ subject: 'models/a:b:7' }, {})).model).toMatchObject({ name: 'a:b', version: '7' });
  });

  it('refuses data and subject that disagree, naming the field', () => {
    expect(problem(() => parseModelRegisteredEvent(egEvent({}, { modelName: 'credit-model', modelVersion: '3' }))).path).toBe(
      'data.modelVersion',
    );
    expect(problem(() => parseModelRegisteredEvent(egEvent({}, { modelName: 'other', modelVersion: '2' }))).path).toBe('data.modelName');
  });

  it('names the field of every malformed envelope or data', () => {
    expect(problem(() => parseModelRegisteredEvent(egEvent({ id: '' }))).path).toBe('id');
    expect(problem(() => parseModelRegisteredEvent(egEvent({ topic: '/subscriptions/x/resourceGroups/y' }))).path).toBe('topic');
    expect(problem(() => parseModelRegisteredEvent(egEvent({ topic: undefined }))).path).toBe('topic');
    expect(problem(() => parseModelRegisteredEvent(egEvent({ subject: 'model-credit' }))).path).toBe('subject');
    expect(problem(() => parseModelRegisteredEvent(egEvent({ eventTime: 'yesterday' }))).path).toBe('eventTime');
    expect(problem(() => parseModelRegisteredEvent(egEvent({ subject: undefined }, { modelName: 'm' }))).path).toBe('data.modelVersion');
    expect(problem(() => parseModelRegisteredEvent(egEvent({}, 'text'))).path).toBe('data');
    expect(problem(() => parseModelRegisteredEvent(egEvent({}, { modelName: 'credit-model', modelVersion: -1 }))).path).toBe(
      'data.modelVersion',
    );
    expect(
      problem(() => parseModelRegisteredEvent(egEvent({}, { modelName: 'credit-model', modelVersion: '2', modelTags: { a: { b: 1 } } })))
        .path,
    ).toBe('data.modelTags.a');
    expect(problem(() => parseModelRegisteredEvent(egEvent({}, { modelName: 'credit-model', ModelName: 'x' }))).path).toBe(
      'data.ModelName',
    );
    expect(problem(() => parseModelRegisteredEvent([])).path).toBe('event');
  });

  it('parses a CloudEvents 1.0 event (source carries the workspace)', () => {
    const e = parseModelRegisteredEvent({
      specversion: '1.0',
      id: 'c1',
      source: TOPIC,
      subject: 'models/credit-model:4',
      type: MODEL_REGISTERED_EVENT_TYPE,
      time: '2026-11-23T10:00:00Z',
      data: { modelName: 'credit-model', modelVersion: '4' },
    });
    expect(e).toMatchObject({ schema: 'cloudEvents', eventId: 'c1', model: { version: '4' }, workspace: { workspace: 'ws-prod' } });
    expect(
      problem(() =>
        parseModelRegisteredEvent(
          { specversion: '0.3', id: 'c1', source: TOPIC, type: MODEL_REGISTERED_EVENT_TYPE, data: {} },
          'cloudEvents',
        ),
      ).path,
    ).toBe('specversion');
    expect(
      problem(() => parseModelRegisteredEvent({ specversion: '1.0', id: 'c1', type: MODEL_REGISTERED_EVENT_TYPE, data: {} })).path,
    ).toBe('source');
  });
});

describe('rolloutInstanceId', () => {
  const base = {
    subscriptionId: 'sub-1',
    resourceGroup: 'rg-ml',
    workspace: 'ws-prod',
    endpoint: 'credit-scoring',
    model: 'credit-model',
    version: '2',
  };

  it('is deterministic, readable and a valid Durable instance id', () => {
    const id = rolloutInstanceId(base);
    expect(id).toBe(rolloutInstanceId({ ...base }));
    expect(id).toMatch(/^credit-scoring--credit-model-v2--[0-9a-f]{10}$/);
    expect(isValidInstanceId(id)).toBe(true);
  });

  it('differs for every coordinate, even when the readable part collides', () => {
    const ids = new Set([
      rolloutInstanceId(base),
      rolloutInstanceId({ ...base, version: '3' }),
      rolloutInstanceId({ ...base, endpoint: 'other' }),
      rolloutInstanceId({ ...base, workspace: 'ws-dev' }),
      rolloutInstanceId({ ...base, model: 'Credit_Model' }),
    ]);
    expect(ids.size).toBe(5);
    // ARM names are case-insensitive: the workspace casing does not make a new rollout.
    expect(rolloutInstanceId({ ...base, resourceGroup: 'RG-ML' })).toBe(rolloutInstanceId(base));
  });

  it('stays short and safe for hostile names', () => {
    const id = rolloutInstanceId({ ...base, model: 'a/b#c?d\\e'.repeat(20), version: '1'.repeat(80) });
    expect(id.length).toBeLessThanOrEqual(96);
    expect(isValidInstanceId(id)).toBe(true);
    expect(id).toMatch(/^[a-z0-9-]+$/);
  });
});
