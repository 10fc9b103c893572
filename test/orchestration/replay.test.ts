/**
 * The generator driven by a fake orchestration context (no runtime): activities and entity calls
 * answer from a script, external events arrive when the script says, timers fire in order. It
 * checks what the interpreter does with the decider's commands at the edges the runtime tests
 * cannot time: an abort that arrives while the rollout is queued, between two lease polls.
 */
import { describe, expect, it } from 'vitest';
import { runExecution, type Script } from './fake-context';
import { ACTIVITY } from '../../src/orchestration/activity-names';
import type { EngineState } from '../../src/orchestration/engine-state';
import { plannedState, testInput, testPlan } from './engine-fixture';

const target = testPlan().target;

describe('the generator on a fake context', () => {
  it('an abort that arrives while queued, after the last lease poll, ends the rollout and leaves the lease queue', () => {
    let acquires = 0;
    const script: Script = {
      activity: (name) => {
        if (name === ACTIVITY.resolveTarget) return { target, concurrency: 'queue' };
        if (name === ACTIVITY.writeModelVerdict) return { tags: {} };
        if (name === ACTIVITY.sendNotification) return { sent: false };
        throw new Error(`[Internal] unexpected activity ${name}`);
      },
      entity: (operation) => {
        if (operation === 'acquire') {
          acquires += 1;
          return { granted: false, action: 'wait', holder: 'older-rollout', position: 1 };
        }
        throw new Error(`unexpected entity operation ${operation}`);
      },
      // 24 lease polls wait on a race each; the 25th race is the drain before continueAsNew.
      events: [{ name: 'control', value: { action: 'abort', by: 'ops@x.com', atMs: 0 }, atWait: 25 }],
    };
    const run = runExecution(testInput, script);
    expect(acquires).toBe(24);
    expect(run.continuedAsNew, 'the rollout must not go on queueing after the abort').toBeUndefined();
    expect(run.output).toMatchObject({ phase: 'Aborted', outcome: 'aborted', reason: 'aborted by ops@x.com while queued' });
    expect(run.signals).toEqual([{ operation: 'release', input: expect.objectContaining({ rolloutId: 'r1' }) }]);
  });

  it('a rollout whose lease poll is answered with a wait continues as new, still queued', () => {
    const script: Script = {
      activity: (name) => {
        if (name === ACTIVITY.resolveTarget) return { target, concurrency: 'queue' };
        throw new Error(`[Internal] unexpected activity ${name}`);
      },
      entity: () => ({ granted: false, action: 'wait', holder: 'older-rollout', position: 1 }),
      events: [],
    };
    const run = runExecution(testInput, script);
    expect(run.output?.phase).toBe('Pending');
    expect(run.continuedAsNew).toMatchObject({ continuation: true, state: { mode: 'queued', leaseHeld: false } });
    expect(run.signals).toEqual([]);
  });

  it('a supersede request read while Pending (lease held, plan made, nothing deployed) ends the rollout cleanly and frees the lease', () => {
    const calls: string[] = [];
    const script: Script = {
      activity: (name) => {
        calls.push(name);
        if (name === ACTIVITY.writeModelVerdict) return { tags: {} };
        if (name === ACTIVITY.sendNotification) return { sent: false };
        throw new Error(`[Internal] unexpected activity ${name}`);
      },
      entity: (operation) => {
        if (operation === 'check') return { by: 'r2', reason: 'superseded by m:3 (r2)' };
        throw new Error(`unexpected entity operation ${operation}`);
      },
      events: [],
    };
    const state = plannedState();
    const run = runExecution({ continuation: true, state }, script);
    expect(run.output).toMatchObject({ phase: 'Aborted', outcome: 'aborted', reason: 'aborted by system:supersede:r2' });
    expect(run.continuedAsNew).toBeUndefined();
    expect(run.signals).toEqual([{ operation: 'release', input: expect.objectContaining({ rolloutId: 'r1', outcome: 'aborted' }) }]);
    // Nothing was deployed, so nothing is rolled back: only the verdict and the notification.
    expect(calls).toEqual([ACTIVITY.writeModelVerdict, ACTIVITY.sendNotification]);
  });

  it('an abort that arrives while the candidate is being created takes effect before the create ends; the rollback then removes it', () => {
    const script: Script = {
      activity: (name) => {
        if (name === ACTIVITY.createDeployment)
          return { deployment: { name: 'green', provisioningState: 'Succeeded', modelId: 'm2', instanceType: 'x', instanceCount: 1 } };
        if (name === ACTIVITY.setTraffic) return { traffic: { blue: 100 }, mirror: {} };
        if (name === ACTIVITY.deleteDeployment) return { deleted: true };
        if (name === ACTIVITY.writeModelVerdict) return { tags: {} };
        if (name === ACTIVITY.sendNotification) return { sent: false };
        throw new Error(`[Internal] unexpected activity ${name}`);
      },
      entity: (operation) => {
        if (operation === 'check') return null;
        throw new Error(`unexpected entity operation ${operation}`);
      },
      // The first race is the create against the control listener: the abort wins it.
      events: [{ name: 'control', value: { action: 'abort', by: 'ops@x.com', atMs: 0 }, atWait: 1 }],
    };
    const state = plannedState();
    const first = runExecution({ continuation: true, state }, script);
    // RollingBack is published before the create's answer is taken; the create is still awaited.
    expect(first.trace.indexOf('status RollingBack')).toBeGreaterThan(-1);
    expect(first.trace.indexOf('status RollingBack')).toBeLessThan(first.trace.indexOf(`call ${ACTIVITY.createDeployment}`));
    const next = first.continuedAsNew as { state: EngineState };
    expect(next.state).toMatchObject({
      mode: 'rollback',
      pending: { outcome: 'aborted', reason: 'aborted by ops@x.com' },
      facts: { candidateCreated: true },
    });
    const second = runExecution(next, script);
    expect(second.trace.filter((t) => t.startsWith('call '))).toEqual([
      `call ${ACTIVITY.setTraffic}`,
      `call ${ACTIVITY.deleteDeployment}`,
      `call ${ACTIVITY.writeModelVerdict}`,
      `call ${ACTIVITY.sendNotification}`,
    ]);
    expect(second.output).toMatchObject({ phase: 'Aborted', outcome: 'aborted' });
    expect(second.signals).toEqual([{ operation: 'release', input: expect.objectContaining({ rolloutId: 'r1', outcome: 'aborted' }) }]);
  });
});
