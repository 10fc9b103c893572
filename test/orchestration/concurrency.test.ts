/**
 * One active rollout per endpoint (the endpointLease entity) on the local runtime: queue waits
 * its turn, supersede aborts the older rollout and takes over, and an older version is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/harness/local-runtime/runtime';
import type { RolloutStatus } from '../../src/plan/types';
import { getWorld } from '../fixtures/engine-app/world';
import { autoDecide, finish, onNotification, onTraffic, policyYaml, scenario, startEngine, startRollout, type Scenario } from './harness';

const CANARY = `  canary:
    steps:
      - { percent: 20, bakeMinutes: 10 }
      - { percent: 100, bakeMinutes: 5 }`;

let rt: LocalRuntime;
beforeAll(async () => {
  rt = await startEngine();
}, 60_000);
afterAll(async () => {
  await rt?.stop();
});

/** A second rollout of the same model on the same endpoint, version `version`. */
function sameEndpoint(first: Scenario, version: string): Scenario {
  const world = getWorld();
  const model = first.input.model.name;
  world.models.set(`${model}:${version}`, { id: `/models/${model}/versions/${version}`, tags: {} });
  const id = `${first.id.replace(/-\d+$/, '')}-${version}`;
  return { id, endpoint: first.endpoint, input: { ...first.input, rolloutId: id, model: { ...first.input.model, version } } };
}

/**
 * Runs `first`, starts `second` once the first has taken its first canary step (blue at 80%), and
 * waits for both to end.
 */
async function runWithSecondDuringFirstStep(first: Scenario, second: Scenario): Promise<{ a: RolloutStatus; b: RolloutStatus }> {
  let started = false;
  onTraffic(first.endpoint.name, async (traffic) => {
    if (!started && (traffic.blue ?? 0) === 80) {
      started = true;
      await startRollout(rt, second);
    }
  });
  await startRollout(rt, first);
  const a = await finish(rt, first.id);
  const b = await finish(rt, second.id);
  return { a, b };
}

describe('one rollout per endpoint', () => {
  it('queue: the newer version waits until the first ends, then rolls out from the new live deployment', async () => {
    const first = scenario((endpoint) => policyYaml('x', { endpoint, strategy: CANARY, concurrency: 'queue' }));
    const second = sameEndpoint(first, '3');
    autoDecide(rt, first, 'approve');
    const { a, b } = await runWithSecondDuringFirstStep(first, second);
    expect(a.outcome).toBe('promoted');
    expect(b.outcome).toBe('promoted');
    // The second cloned from the first's candidate (the live deployment when it got the lease).
    expect(b.baseline).toBe(a.candidate);
    expect(b.startedAtMs).toBeLessThan(a.endedAtMs ?? 0);
    expect(b.journal.some((j) => j.message.includes('holding the endpoint lease') && j.atMs >= (a.endedAtMs ?? Infinity))).toBe(true);
    expect(first.endpoint.traffic).toEqual({ [b.candidate]: 100 });
    expect([...first.endpoint.deployments.keys()]).toEqual([b.candidate]);
  }, 30_000);

  it('supersede: the newer version aborts the older rollout, which rolls back, then takes over', async () => {
    const first = scenario((endpoint) => policyYaml('x', { endpoint, strategy: CANARY, concurrency: 'supersede' }));
    const second = sameEndpoint(first, '3');
    const { a, b } = await runWithSecondDuringFirstStep(first, second);
    expect(a.outcome).toBe('aborted');
    expect(a.reason).toMatch(/aborted by system:supersede:/);
    expect(a.overrides[0]).toMatchObject({
      action: 'abort',
      comment: expect.stringContaining(`superseded by ${second.input.model.name}:3`),
    });
    expect(b.outcome).toBe('promoted');
    expect(b.baseline).toBe('blue');
    expect(first.endpoint.traffic).toEqual({ [b.candidate]: 100 });
  }, 30_000);

  it('supersede reaches a Failed rollout too: it rolls back once Azure recovers, then the newer one runs', async () => {
    const first = scenario((endpoint) => policyYaml('x', { endpoint, strategy: CANARY, concurrency: 'supersede' }));
    const second = sameEndpoint(first, '3');
    let broken = false;
    onTraffic(first.endpoint.name, (traffic) => {
      if (broken || (traffic.blue ?? 0) !== 80) return;
      broken = true;
      first.endpoint.faults.setTraffic = { status: 500, remaining: Infinity };
    });
    onNotification(first.id, async (n) => {
      if (n.kind !== 'failed') return;
      first.endpoint.faults.setTraffic = undefined;
      await startRollout(rt, second);
    });
    await startRollout(rt, first);
    const a = await finish(rt, first.id);
    const b = await finish(rt, second.id);
    expect(a.journal.some((j) => /rollback failed/.test(j.message))).toBe(true);
    expect(a.outcome).toBe('aborted');
    expect(a.reason).toMatch(/aborted by system:supersede:/);
    expect(b.outcome).toBe('promoted');
    expect(first.endpoint.traffic).toEqual({ [b.candidate]: 100 });
  }, 30_000);

  it('refuses a version older than the one promoted on the endpoint', async () => {
    const first = scenario((endpoint) => policyYaml('x', { endpoint, strategy: CANARY }), { version: '5' });
    await startRollout(rt, first);
    expect((await finish(rt, first.id)).outcome).toBe('promoted');
    const older = sameEndpoint(first, '4');
    await startRollout(rt, older);
    const status = await finish(rt, older.id);
    expect(status.outcome).toBe('superseded');
    expect(status.phase).toBe('Superseded');
    expect(status.reason).toMatch(/version 4 of .* is not newer than the promoted version 5/);
    expect(first.endpoint.deployments.size).toBe(1);
  }, 30_000);
});
