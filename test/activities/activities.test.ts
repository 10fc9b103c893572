import { beforeEach, describe, expect, it } from 'vitest';
import { activityFailureMessage, createActivities, withCodedErrors, type ActivityHandler } from '../../src/activities';
import { AzureCallError, InvariantViolationError, ValidationError } from '../../src/errors';
import { ACTIVITY, type ActivityName } from '../../src/orchestration/activity-names';
import { ACTIVITY_CONTRACTS } from '../../src/orchestration/activity-registry';
import type { Clock } from '../../src/ports';
import type { GateSpec } from '../../src/analysis/types';
import {
  addEndpoint,
  createFakeEndpointControl,
  createFakeMetricsSource,
  createFakeModelRegistry,
  createRecordingNotifier,
  getWorld,
  type EndpointSim,
} from '../fixtures/engine-app/world';
import { statusOf } from '../api/fakes';

/** A clock whose sleeps return at once but are recorded (back-off is asserted, not waited). */
function recordingClock(): Clock & { sleeps: number[] } {
  let now = 1_700_000_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

let clock: ReturnType<typeof recordingClock>;
let activities: Record<ActivityName, ActivityHandler>;
let sim: EndpointSim;
let target: { subscriptionId: string; resourceGroup: string; workspace: string; endpoint: string };
let n = 0;

beforeEach(() => {
  clock = recordingClock();
  activities = createActivities({
    endpointControl: createFakeEndpointControl(),
    metricsSource: createFakeMetricsSource(),
    modelRegistry: createFakeModelRegistry(),
    notifier: createRecordingNotifier(),
    policyStore: { getPolicy: () => Promise.reject(new Error('not used')) },
    clock,
    retryPolicy: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 8000 },
  });
  n += 1;
  sim = addEndpoint(`act-${n}`, { deployment: 'blue', modelId: '/models/m/versions/1' });
  target = { subscriptionId: 's', resourceGroup: 'g', workspace: 'w', endpoint: sim.name };
});

async function createGreen(): Promise<void> {
  await activities[ACTIVITY.createDeployment]({
    target,
    deployment: 'green',
    cloneFrom: 'blue',
    modelId: '/models/m/versions/2',
    rolloutId: 'r',
  });
}

describe('contracts', () => {
  it('implements every contract of the activity registry, and nothing else', () => {
    expect(Object.keys(activities).sort()).toEqual(Object.keys(ACTIVITY_CONTRACTS).sort());
    for (const [key, entry] of Object.entries(ACTIVITY_CONTRACTS)) expect(entry.name).toBe(key);
    expect(Object.keys(ACTIVITY_CONTRACTS).sort()).toEqual(Object.values(ACTIVITY).sort());
  });

  it('checks each answer with the output schema of its registry entry', async () => {
    const broken = createActivities({
      endpointControl: createFakeEndpointControl(),
      metricsSource: createFakeMetricsSource(),
      modelRegistry: createFakeModelRegistry(),
      notifier: createRecordingNotifier(),
      // An implementation that answers a target without an endpoint: the registry's output schema refuses it.
      policyStore: { getPolicy: () => Promise.resolve({ name: 'p', target: { endpoint: '' }, concurrency: 'queue' } as never) },
      clock,
    });
    await expect(
      broken[ACTIVITY.resolveTarget]({
        rolloutId: 'r',
        source: 'manual',
        workspace: { subscriptionId: 's', resourceGroup: 'g', workspace: 'w' },
        model: { name: 'm', version: '1' },
        policyName: 'p',
        receivedAtMs: 0,
      }),
    ).rejects.toThrow(/resolveTarget output: contract violated: target\.endpoint/);
  });

  it('rejects bad input naming the activity and the field', async () => {
    await expect(
      activities[ACTIVITY.setTraffic]({ target, traffic: { blue: 'all' }, mirror: {}, facts: { smokeTestPassed: [] } }),
    ).rejects.toThrow(ValidationError);
    await expect(
      activities[ACTIVITY.setTraffic]({ target, traffic: { blue: 'all' }, mirror: {}, facts: { smokeTestPassed: [] } }),
    ).rejects.toThrow(/setTraffic input: contract violated: traffic\.blue/);
  });

  it('puts the error code into the message the orchestrator sees', async () => {
    expect(activityFailureMessage(new AzureCallError('Conflict', 'op', 'busy', { retryable: true }))).toBe('[Conflict] op: busy');
    expect(activityFailureMessage(new Error('boom'))).toBe('[Internal] boom');
    await expect(withCodedErrors(() => Promise.reject(new InvariantViolationError(['x'])))(undefined)).rejects.toThrow(
      '[InvariantViolation] unsafe change refused: x',
    );
  });
});

describe('createDeployment', () => {
  it('creates from the live deployment, reads back, and is idempotent', async () => {
    await createGreen();
    await createGreen();
    expect(sim.calls.filter((c) => c === 'createDeployment')).toHaveLength(1);
    expect(sim.deployments.get('green')).toMatchObject({
      modelId: '/models/m/versions/2',
      instanceType: 'Standard_DS3_v2',
      tags: { 'rollout-id': 'r' },
    });
  });

  it('refuses to overwrite a deployment that serves another model', async () => {
    await createGreen();
    await expect(
      activities[ACTIVITY.createDeployment]({
        target,
        deployment: 'green',
        cloneFrom: 'blue',
        modelId: '/models/m/versions/3',
        rolloutId: 'r',
      }),
    ).rejects.toThrow(/refusing to overwrite/);
  });

  it('retries 409 while Azure is busy, with back-off on the injected clock', async () => {
    sim.faults.createDeployment = { status: 409, remaining: 2 };
    await createGreen();
    expect(sim.calls.filter((c) => c === 'createDeployment')).toHaveLength(3);
    expect(clock.sleeps).toEqual([750, 1500]); // equal jitter at 0.5: three quarters of 1 s, 2 s
  });

  it('gives up after the attempts with a typed, retryable error', async () => {
    sim.faults.createDeployment = { status: 503, remaining: Infinity };
    const error = await activities[ACTIVITY.createDeployment]({
      target,
      deployment: 'green',
      cloneFrom: 'blue',
      modelId: '/models/m/versions/2',
      rolloutId: 'r',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureCallError);
    expect(error).toMatchObject({ code: 'Transient', retryable: true, statusCode: 503 });
    expect(sim.calls.filter((c) => c === 'createDeployment')).toHaveLength(4);
  });
});

describe('setTraffic', () => {
  it('refuses live traffic on a deployment that has not passed its smoke test, before reaching Azure', async () => {
    await createGreen();
    const error = await activities[ACTIVITY.setTraffic]({
      target,
      traffic: { blue: 90, green: 10 },
      mirror: {},
      facts: { smokeTestPassed: ['blue'] },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvariantViolationError);
    expect((error as InvariantViolationError).violations.join()).toMatch(/"green", which has not passed its smoke test/);
    expect(sim.calls).not.toContain('setTraffic');
  });

  it('refuses mirror over 50% and mirror on a live deployment', async () => {
    await createGreen();
    await expect(
      activities[ACTIVITY.setTraffic]({ target, traffic: { blue: 100 }, mirror: { green: 60 }, facts: { smokeTestPassed: ['green'] } }),
    ).rejects.toThrow(InvariantViolationError);
    await expect(
      activities[ACTIVITY.setTraffic]({
        target,
        traffic: { blue: 50, green: 50 },
        mirror: { green: 10 },
        facts: { smokeTestPassed: ['green'] },
      }),
    ).rejects.toThrow(InvariantViolationError);
    expect(sim.calls).not.toContain('setTraffic');
  });

  it('writes, reads back, and skips a write that is already in place', async () => {
    await createGreen();
    const out = await activities[ACTIVITY.setTraffic]({
      target,
      traffic: { blue: 90, green: 10 },
      mirror: {},
      facts: { smokeTestPassed: ['green'] },
    });
    expect(out).toEqual({ traffic: { blue: 90, green: 10 }, mirror: {} });
    await activities[ACTIVITY.setTraffic]({ target, traffic: { blue: 90, green: 10 }, mirror: {}, facts: { smokeTestPassed: ['green'] } });
    expect(sim.calls.filter((c) => c === 'setTraffic')).toHaveLength(1);
  });

  it('honours Retry-After on 429', async () => {
    await createGreen();
    sim.faults.setTraffic = { status: 429, remaining: 1 };
    await activities[ACTIVITY.setTraffic]({ target, traffic: { blue: 100 }, mirror: { green: 20 }, facts: { smokeTestPassed: [] } });
    expect(clock.sleeps).toEqual([1000]);
    expect(sim.mirror).toEqual({ green: 20 });
  });
});

describe('deleteDeployment', () => {
  it('never deletes a deployment holding traffic; absent is done', async () => {
    await expect(activities[ACTIVITY.deleteDeployment]({ target, deployment: 'blue', facts: { smokeTestPassed: [] } })).rejects.toThrow(
      /cannot delete "blue": it holds 100% of live traffic/,
    );
    expect(sim.deployments.has('blue')).toBe(true);
    expect(await activities[ACTIVITY.deleteDeployment]({ target, deployment: 'nope', facts: { smokeTestPassed: [] } })).toEqual({
      deleted: false,
    });
    await createGreen();
    expect(await activities[ACTIVITY.deleteDeployment]({ target, deployment: 'green', facts: { smokeTestPassed: [] } })).toEqual({
      deleted: true,
    });
    expect(sim.deployments.has('green')).toBe(false);
  });
});

describe('smokeTest', () => {
  it('passes with the numbers', async () => {
    await createGreen();
    const out = await activities[ACTIVITY.smokeTest]({ target, deployment: 'green', requests: 5, maxFailures: 0, payload: {} });
    expect(out).toMatchObject({ passed: true, requests: 5, failures: 0, misrouted: 0, statusCodes: { '200': 5 }, latencyP50Ms: 100 });
  });

  it('fails on 5xx answers, with the reason', async () => {
    await createGreen();
    sim.behaviour.green = { errorRate: 0, latencyMs: 50, smokeFails: true };
    const out = await activities[ACTIVITY.smokeTest]({ target, deployment: 'green', requests: 4, maxFailures: 1, payload: {} });
    expect(out).toMatchObject({ passed: false, failures: 4, statusCodes: { '500': 4 } });
    expect((out as { reason: string }).reason).toMatch(/4\/4 requests failed \(at most 1 allowed\): request 1: HTTP 500/);
  });
});

describe('checkGates', () => {
  const gate: GateSpec = {
    name: 'health',
    checks: [{ metric: 'errorRate5xx', max: 0.05 }],
    customMetrics: [],
    confidence: 0.95,
    minRequestsPerDeployment: 50,
    windowMinutes: 10,
    ingestionDelayMinutes: 2,
    plannedLooks: 3,
  };

  it('ends the window at the orchestration time minus the ingestion delay', async () => {
    await createGreen();
    sim.traffic = { blue: 50, green: 50 };
    const out = (await activities[ACTIVITY.checkGates]({
      target,
      gates: [gate],
      baseline: 'blue',
      candidate: 'green',
      nowMs: 1_800_000_000_000,
      looks: { health: 1 },
    })) as { outcomes: { result?: { window: unknown } }[] };
    expect(out.outcomes[0]?.result?.window).toEqual({ fromMs: 1_800_000_000_000 - 12 * 60_000, toMs: 1_800_000_000_000 - 2 * 60_000 });
  });

  it('counts each arm since the step began for an adaptive bake, with one more query; without armsSinceMs, none', async () => {
    await createGreen();
    sim.traffic = { blue: 50, green: 50 };
    const plain = (await activities[ACTIVITY.checkGates]({
      target,
      gates: [gate],
      baseline: 'blue',
      candidate: 'green',
      nowMs: 1_800_000_000_000,
      looks: { health: 1 },
    })) as { arms?: unknown };
    expect(plain.arms).toBeUndefined();
    expect(sim.queryCount).toBe(1);
    const out = (await activities[ACTIVITY.checkGates]({
      target,
      gates: [gate],
      baseline: 'blue',
      candidate: 'green',
      nowMs: 1_800_000_000_000,
      looks: { health: 2 },
      armsSinceMs: 1_800_000_000_000 - 30 * 60_000,
    })) as {
      arms?: { candidate: { requests: number; failures: number }; baseline: { requests: number } };
    };
    expect(sim.queryCount).toBe(3);
    expect(out.arms?.candidate.requests).toBeGreaterThan(0);
    expect(out.arms?.baseline.requests).toBeGreaterThan(0);
    expect(out.arms?.candidate.failures).toBeLessThanOrEqual(out.arms?.candidate.requests ?? 0);
  });

  it('judges the candidate with the evidence', async () => {
    await createGreen();
    sim.traffic = { blue: 50, green: 50 };
    const out = (await activities[ACTIVITY.checkGates]({
      target,
      gates: [gate],
      baseline: 'blue',
      candidate: 'green',
      nowMs: 1_800_000_000_000,
      looks: { health: 1 },
    })) as { outcomes: { outcome: string; candidateRequests?: number; result?: { evidence: unknown[] } }[] };
    expect(out.outcomes[0]).toMatchObject({ gate: 'health', outcome: 'pass', candidateRequests: 5000 });
    expect(out.outcomes[0]?.result?.evidence.length).toBe(1);
    expect(sim.queryCount).toBe(1);
  });

  it('reports a query that keeps failing as an error, never a pass', async () => {
    await createGreen();
    sim.traffic = { blue: 50, green: 50 };
    sim.faults.query = { status: 503, remaining: Infinity };
    const out = (await activities[ACTIVITY.checkGates]({
      target,
      gates: [gate],
      baseline: 'blue',
      candidate: 'green',
      nowMs: 1_800_000_000_000,
      looks: {},
    })) as { outcomes: { outcome: string; error?: { code: string } }[] };
    expect(out.outcomes).toEqual([
      { gate: 'health', outcome: 'error', error: { code: 'Transient', message: expect.stringContaining('503') } },
    ]);
  });
});

describe('writeModelVerdict', () => {
  it('merges the verdict tags into the model version and reads them back', async () => {
    getWorld().models.set('vm:7', { id: '/models/vm/versions/7', tags: { owner: 'team' } });
    const out = await activities[ACTIVITY.writeModelVerdict]({
      model: { subscriptionId: 's', resourceGroup: 'g', workspace: 'w', model: 'vm', version: '7' },
      rolloutId: 'r7',
      outcome: 'rolledBack',
      reason: 'x'.repeat(400),
      atMs: Date.UTC(2026, 0, 1),
    });
    const tags = getWorld().models.get('vm:7')?.tags ?? {};
    expect(tags).toMatchObject({
      owner: 'team',
      'rollout-status': 'rolledBack',
      'rollout-id': 'r7',
      'rollout-at': '2026-01-01T00:00:00.000Z',
    });
    expect(tags['rollout-reason']).toHaveLength(256);
    expect(out).toEqual({ tags: expect.objectContaining({ 'rollout-status': 'rolledBack' }) });
    expect(tags['rollout-extra-cost']).toBeUndefined();
  });

  it("writes the rollout's own extra cost beside the verdict when the plan priced it", async () => {
    getWorld().models.set('vm:8', { id: '/models/vm/versions/8', tags: {} });
    await activities[ACTIVITY.writeModelVerdict]({
      model: { subscriptionId: 's', resourceGroup: 'g', workspace: 'w', model: 'vm', version: '8' },
      rolloutId: 'r8',
      outcome: 'promoted',
      reason: 'all steps passed',
      atMs: Date.UTC(2026, 0, 1),
      rolloutCost: 'extra cost of the rollout: 2 x Standard_DS3_v2 for about 1.0 h: 0.68 USD',
    });
    expect(getWorld().models.get('vm:8')?.tags['rollout-extra-cost']).toBe(
      'extra cost of the rollout: 2 x Standard_DS3_v2 for about 1.0 h: 0.68 USD',
    );
  });
});

describe('sendNotification', () => {
  it('never fails the rollout when the notifier fails', async () => {
    getWorld().hooks.onNotification = () => {
      throw new Error('webhook down');
    };
    const status = statusOf({ rolloutId: 'r', step: { index: 1, count: 3, kind: 'bake', description: 'bake' } });
    const out = await activities[ACTIVITY.sendNotification]({ kind: 'stepCompleted', status });
    expect(out).toEqual({ sent: false, detail: 'webhook down' });
    getWorld().hooks.onNotification = undefined;
  });
});
