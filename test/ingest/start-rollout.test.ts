import { describe, expect, it } from 'vitest';
import { RolloutError, ValidationError } from '../../src/errors';
import { policyResolver } from '../../src/ingest/policy-resolver';
import { validatePolicy, type Policy } from '../../src/policy';
import type { ModelRegistry } from '../../src/ports/model-registry';
import { canaryPolicy } from '../policy/fixtures';
import { ingestEvent } from '../../src/ingest/ingest-event';
import { MODEL_REGISTERED_EVENT_TYPE } from '../../src/ingest/model-registered';
import { startRollout } from '../../src/ingest/start-rollout';
import { rolloutInputSchema } from '../../src/orchestration/events';
import { makeDeps, WORKSPACE } from '../api/fakes';

const TOPIC = `/subscriptions/${WORKSPACE.subscriptionId}/resourceGroups/${WORKSPACE.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE.workspace}`;

function event(version: string, id = `evt-${version}`, tags: Record<string, string> = {}) {
  return {
    id,
    topic: TOPIC,
    subject: `models/credit-model:${version}`,
    eventType: MODEL_REGISTERED_EVENT_TYPE,
    eventTime: '2026-11-23T10:00:00Z',
    data: { modelName: 'credit-model', modelVersion: version, modelTags: tags },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

function registryWith(versions: readonly string[]): ModelRegistry {
  return {
    async getModelVersion(ref) {
      if (!versions.includes(ref.version)) throw new RolloutError('NotFound', `model ${ref.model}:${ref.version} not found`);
      return { id: `/models/${ref.model}/versions/${ref.version}`, model: ref.model, version: ref.version, tags: {}, properties: {} };
    },
    async updateModelVersionTags() {
      throw new Error('not used');
    },
  };
}

function policyNamed(name: string, match: Record<string, unknown>): Policy {
  return validatePolicy({ ...canaryPolicy(), name, match }, `${name}.yaml`);
}

describe('ingestEvent', () => {
  it('starts one rollout with a valid RolloutInput', async () => {
    const deps = makeDeps();
    const outcome = await ingestEvent(event('2'), undefined, deps);
    expect(outcome.kind).toBe('started');
    expect(deps.client.started).toHaveLength(1);
    const input = rolloutInputSchema.parse(deps.client.started[0]?.input);
    expect(input).toMatchObject({
      source: 'eventGrid',
      eventId: 'evt-2',
      policyName: 'canary',
      workspace: WORKSPACE,
      model: { name: 'credit-model', version: '2' },
    });
    expect(input.rolloutId).toBe(deps.client.started[0]?.instanceId);
  });

  it('100 sequential deliveries of the same event start one rollout', async () => {
    const deps = makeDeps();
    const kinds = [];
    for (let i = 0; i < 100; i += 1) kinds.push((await ingestEvent(event('2', `delivery-${i}`), undefined, deps)).kind);
    expect(deps.client.started).toHaveLength(1);
    expect(kinds.filter((k) => k === 'started')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'duplicate')).toHaveLength(99);
  });

  it('100 concurrent deliveries start one rollout', async () => {
    const deps = makeDeps();
    deps.client.latencyMs = 2;
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => ingestEvent(event('2'), undefined, deps)));
    expect(deps.client.started).toHaveLength(1);
    expect(new Set(outcomes.map((o) => ('rolloutId' in o ? o.rolloutId : undefined))).size).toBe(1);
  });

  it('a redelivery after the rollout ended starts nothing', async () => {
    const deps = makeDeps();
    await ingestEvent(event('2'), undefined, deps);
    const id = deps.client.started[0]!.instanceId;
    deps.client.put(id, 'Completed', null);
    expect((await ingestEvent(event('2'), undefined, deps)).kind).toBe('duplicate');
    deps.client.put(id, 'Failed', null);
    expect((await ingestEvent(event('2'), undefined, deps)).kind).toBe('duplicate');
    expect(deps.client.started).toHaveLength(1);
  });

  it('out-of-order versions get their own rollouts and never touch each other (the orchestrator enforces one per endpoint)', async () => {
    const deps = makeDeps();
    await ingestEvent(event('3'), undefined, deps);
    await ingestEvent(event('2'), undefined, deps);
    await ingestEvent(event('3'), undefined, deps);
    expect(deps.client.started.map((s) => s.input.model.version)).toEqual(['3', '2']);
    expect(new Set(deps.client.started.map((s) => s.instanceId)).size).toBe(2);
    expect(deps.client.raised).toHaveLength(0);
  });

  it('logs and acknowledges a malformed event with its raw body', async () => {
    const deps = makeDeps();
    const bad = { ...event('2'), data: { modelName: 'credit-model', modelVersion: '9' } };
    const outcome = await ingestEvent(bad, undefined, deps);
    expect(outcome.kind).toBe('invalid');
    if (outcome.kind === 'invalid') expect(outcome.error.path).toBe('data.modelVersion');
    const line = deps.log.lines.find((l) => l.event === 'event.invalid');
    expect(line?.fields.field).toBe('data.modelVersion');
    expect(line?.fields.rawEvent).toEqual(bad);
    expect(deps.client.started).toHaveLength(0);
  });

  it('acknowledges, without starting, a model no policy matches, and one that opted out', async () => {
    const deps = makeDeps();
    const unmatched = { ...event('1'), subject: 'models/fraud:1', data: { modelName: 'fraud', modelVersion: '1' } };
    expect((await ingestEvent(unmatched, undefined, deps)).kind).toBe('noMatch');
    expect((await ingestEvent(event('5', 'e5', { rollout: 'skip' }), undefined, deps)).kind).toBe('skipped');
    expect(deps.client.started).toHaveLength(0);
    expect(deps.log.lines.map((l) => l.event)).toEqual(expect.arrayContaining(['rollout.noPolicy', 'rollout.skipped']));
  });

  it('ignores other event types', async () => {
    const deps = makeDeps();
    expect((await ingestEvent({ ...event('2'), eventType: 'Microsoft.MachineLearningServices.ModelDeployed' }, undefined, deps)).kind).toBe(
      'ignored',
    );
    expect(deps.client.started).toHaveLength(0);
  });

  it('a broken policy folder propagates (Event Grid retries and recovers once it is fixed)', async () => {
    const deps = makeDeps({
      policies: {
        resolve: async () => {
          throw new ValidationError('policies/a.yaml', 'bad', { code: 'InvalidPolicy' });
        },
        getAccess: async () => undefined,
      },
    });
    await expect(ingestEvent(event('2'), undefined, deps)).rejects.toMatchObject({ code: 'InvalidPolicy' });
    expect(deps.client.started).toHaveLength(0);
  });

  it('an event for a version the registry does not have starts nothing: acknowledged as invalid, logged with the reason', async () => {
    const deps = makeDeps({ modelRegistry: registryWith(['2']) });
    deps.client.put('credit-scoring--credit-model-v2--aaaaaaaaaa', 'Running', null);
    const outcome = await ingestEvent(event('9'), undefined, deps);
    expect(outcome.kind).toBe('invalid');
    if (outcome.kind === 'invalid') {
      expect(outcome.error.path).toBe('data.modelVersion');
      expect(outcome.error.message).toMatch(
        /model credit-model version 9 is not registered in workspace ws-prod \(resource group rg-ml, subscription 11111111-/,
      );
    }
    expect(deps.client.started).toHaveLength(0);
    expect(deps.client.raised).toHaveLength(0);
    expect(deps.log.lines.find((l) => l.event === 'event.invalid')?.fields.rawEvent).toEqual(event('9'));
    expect((await ingestEvent(event('2'), undefined, deps)).kind).toBe('started');
  });

  it('a registry that fails (not NotFound) propagates so Event Grid retries, and starts nothing', async () => {
    const deps = makeDeps({
      modelRegistry: {
        getModelVersion: async () => {
          throw new RolloutError('Transient', 'registry unavailable', { retryable: true });
        },
        updateModelVersionTags: async () => {
          throw new Error('not used');
        },
      },
    });
    await expect(ingestEvent(event('2'), undefined, deps)).rejects.toMatchObject({ code: 'Transient' });
    expect(deps.client.started).toHaveLength(0);
  });

  it('an event the policies cannot place (unknown rollout-policy tag, tied policies) is acknowledged as invalid, never thrown for redelivery', async () => {
    const tied = [policyNamed('a', { model: 'credit-*' }), policyNamed('b', { model: 'credit-*' })];
    const cases: [readonly Policy[], Record<string, string>, RegExp][] = [
      [[policyNamed('a', { model: 'credit-*' })], { 'rollout-policy': 'nope' }, /rollout-policy=nope names no loaded policy/],
      [tied, {}, /"a", "b" all match with priority 0/],
    ];
    for (const [policies, tags, reason] of cases) {
      const deps = makeDeps({ policies: policyResolver({ listPolicies: async () => policies }) });
      const outcome = await ingestEvent(event('2', 'e2', tags), undefined, deps);
      expect(outcome.kind).toBe('invalid');
      if (outcome.kind === 'invalid') expect(outcome.error.message).toMatch(reason);
      expect(deps.log.lines.find((l) => l.event === 'event.invalid')?.fields.problem).toMatch(reason);
      expect(deps.client.started).toHaveLength(0);
    }
  });

  it('an event from another subscription or resource group with the same workspace name starts nothing under a name-only policy', async () => {
    const policies = policyResolver(
      { listPolicies: async () => [policyNamed('prod', { workspace: WORKSPACE.workspace, model: 'credit-*' })] },
      { subscriptionId: WORKSPACE.subscriptionId, resourceGroup: WORKSPACE.resourceGroup },
    );
    const foreign = (sub: string, rg: string) => ({
      ...event('2', `e-${sub}-${rg}`),
      topic: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE.workspace}`,
    });
    const deps = makeDeps({ policies });
    expect((await ingestEvent(foreign('99999999-0000-0000-0000-000000000000', WORKSPACE.resourceGroup), undefined, deps)).kind).toBe(
      'noMatch',
    );
    expect((await ingestEvent(foreign(WORKSPACE.subscriptionId, 'rg-attacker'), undefined, deps)).kind).toBe('noMatch');
    expect(deps.client.started).toHaveLength(0);
    expect((await ingestEvent(event('2'), undefined, deps)).kind).toBe('started');
  });

  it('lets a store failure propagate (so Event Grid retries)', async () => {
    const deps = makeDeps();
    deps.client.startNew = async () => {
      throw new Error('store down');
    };
    await expect(ingestEvent(event('2'), undefined, deps)).rejects.toThrow('store down');
    expect(deps.log.lines.some((l) => l.event === 'event.startFailed')).toBe(true);
  });
});

describe('startRollout (manual)', () => {
  it('uses the named policy', async () => {
    const deps = makeDeps();
    const outcome = await startRollout(
      {
        source: 'manual',
        requestedBy: 'ops@contoso.com',
        workspace: WORKSPACE,
        model: { name: 'credit-model', version: '7', tags: {}, properties: {} },
        policyName: 'open',
      },
      deps,
    );
    expect(outcome).toMatchObject({ kind: 'started', policyName: 'open', endpoint: 'open-endpoint' });
  });
});
