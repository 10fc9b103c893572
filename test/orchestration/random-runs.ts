/**
 * The random runs of the engine shared by interpreter.test.ts and cursor.test.ts: plans the
 * compiler makes, random activity failures, lease answers and operator / approval events, and the
 * fake durable context's script that plays them.
 */
import fc from 'fast-check';
import { ACTIVITY } from '../../src/orchestration/activity-names';
import type { Step } from '../../src/plan/types';
import type { Script } from './fake-context';
import { activityAnswer, plannedState, testInput, testPlan } from './engine-fixture';

export const START_MS = Date.UTC(2026, 0, 5, 9);

const deploy: Step = { kind: 'deploy', deployment: 'green', cloneFrom: 'blue', modelId: 'm2' };
const smokeTest: Step = { kind: 'smokeTest', deployment: 'green', requests: 3, maxFailures: 0, payload: {} };
const approval: Step = {
  kind: 'approval',
  name: 'release',
  approvers: ['alice@x.com'],
  timeoutMinutes: 30,
  onTimeout: 'rollback',
  reminderIntervalMinutes: 10,
};
const promote: Step = { kind: 'promote' };
const cleanup: Step = { kind: 'cleanup', deployment: 'blue', afterMinutes: 10 };
/** Plans the compiler makes (no gate queries: their answers are tested elsewhere). */
const plans: readonly (readonly Step[])[] = [
  [deploy, smokeTest, { kind: 'setTraffic', traffic: { blue: 90, green: 10 } }, promote, cleanup],
  [
    deploy,
    smokeTest,
    { kind: 'mirror', deployment: 'green', percent: 20 },
    { kind: 'setTraffic', traffic: { blue: 50, green: 50 } },
    approval,
    promote,
    cleanup,
  ],
  [deploy, smokeTest, approval, promote, cleanup],
];

const eventArb = fc.record({
  atWait: fc.integer({ min: 1, max: 40 }),
  event: fc.oneof(
    fc
      .constantFrom('abort', 'pause', 'resume', 'promote', 'retry')
      .map((a) => ({ name: 'control', value: { action: a, by: 'ops@x.com', atMs: 0 } })),
    fc.tuple(fc.constantFrom('approve', 'reject'), fc.integer({ min: 0, max: 6 })).map(([d, step]) => ({
      name: 'approval',
      value: { rolloutId: 'r1', step, decision: d, by: 'alice@x.com', atMs: 0 },
    })),
    fc.constant({ name: 'control', value: { action: 'launch' } }),
  ),
});

export const runArb = fc.record({
  steps: fc.constantFrom(...plans),
  queued: fc.boolean(),
  failures: fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
  smokePasses: fc.boolean(),
  lease: fc.array(fc.constantFrom('granted', 'wait', 'supersede', 'stale'), { minLength: 8, maxLength: 8 }),
  supersedeCheck: fc.boolean(),
  /** Whether the n-th lease entity call throws (acquire or check). */
  entityFailures: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  events: fc.array(eventArb, { maxLength: 6 }),
});

export type RandomRun = typeof runArb extends fc.Arbitrary<infer R> ? R : never;

export function scriptOf(run: RandomRun): Script & { readonly grants: { count: number } } {
  let calls = 0;
  let acquires = 0;
  let entityCalls = 0;
  const plan = testPlan({ steps: run.steps, approvers: ['alice@x.com'] });
  const grants = { count: 0 };
  return {
    grants,
    activity: (name, input) => {
      calls += 1;
      if (run.failures[calls % run.failures.length] && name !== ACTIVITY.sendNotification)
        throw new Error(`[Conflict] ${name} failed (call ${calls})`);
      return activityAnswer(name, input, { plan, smokePasses: run.smokePasses });
    },
    entity: (operation) => {
      entityCalls += 1;
      if (run.entityFailures[entityCalls % run.entityFailures.length]) throw new Error(`[Internal] lease ${operation} failed`);
      if (operation === 'check') return run.supersedeCheck ? { by: 'r2', reason: 'superseded by m:3 (r2)' } : null;
      const answer = run.lease[acquires++ % run.lease.length];
      if (answer === 'granted') {
        grants.count += 1;
        return { granted: true };
      }
      if (answer === 'stale') return { granted: false, action: 'stale', reason: 'a newer version is promoted' };
      return { granted: false, action: answer, holder: 'r0', position: 1 };
    },
    events: run.events.map((e) => ({ ...e.event, atWait: e.atWait })),
  };
}

/** The first execution's input: a new rollout (queued), or one planned with the lease held. */
export function firstInput(run: RandomRun): unknown {
  return run.queued ? testInput : { continuation: true, state: plannedState(testPlan({ steps: run.steps, approvers: ['alice@x.com'] })) };
}
