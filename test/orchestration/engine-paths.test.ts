/**
 * The engine's failure paths and operator controls, one execution each, by table: the real
 * generator on the fake durable context, one activity failing (or one control arriving at the
 * first wait), and the state it carries on (or the outcome it ends with).
 */
import { describe, expect, it } from 'vitest';
import { ACTIVITY } from '../../src/orchestration/activity-names';
import type { EngineState } from '../../src/orchestration/engine-state';
import type { Phase, Step } from '../../src/plan/types';
import { runExecution, type Run, type Script } from './fake-context';
import { activityAnswer, plannedState, testInput, testPlan } from './engine-fixture';
import { STEP_PHASE } from '../../src/plan/phases';
import { compilePlan } from '../../src/plan/compile';
import { parsePolicy } from '../../src/policy';
import { canaryPolicy } from '../policy/fixtures';
import { compileInput } from '../plan/inputs';

const START_MS = Date.UTC(2026, 0, 5, 9);
const HOUR_MS = 3_600_000;

/** Answers every activity, except `failing` (its first `times` calls fail with a Conflict). */
function script(state: EngineState, failing?: string, times = 1, events: Script['events'] = []): Script & { notified: string[] } {
  let failed = 0;
  const notified: string[] = [];
  return {
    notified,
    activity: (name, input) => {
      if (name === ACTIVITY.sendNotification) notified.push((input as { kind: string }).kind);
      if (name === failing && failed < times) {
        failed += 1;
        throw new Error(`[Conflict] ${name} refused`);
      }
      return activityAnswer(name, input, { plan: state.plan });
    },
    entity: (operation) => {
      if (operation === 'check') return null;
      throw new Error(`unexpected entity operation ${operation}`);
    },
    events,
  };
}

function carried(run: Run): EngineState {
  expect(run.failure).toBeUndefined();
  return (run.continuedAsNew as { state: EngineState }).state;
}

/** A planned state at `stepIndex`, in `phase`, with the facts the earlier steps leave. */
function at(stepIndex: number, phase: Phase, facts: Partial<EngineState['facts']> = {}, steps?: readonly Step[]): EngineState {
  const state = plannedState(testPlan(steps ? { steps, approvers: ['alice@x.com'] } : {}));
  state.stepIndex = stepIndex;
  state.status.phase = phase;
  Object.assign(state.facts, facts);
  return state;
}

const deployed = { candidateCreated: true, smokePassed: ['green'] };
const recreate: readonly Step[] = [
  { kind: 'replaceModel', deployment: 'blue', modelId: 'm2', previousModelId: 'm1' },
  { kind: 'smokeTest', deployment: 'blue', requests: 3, maxFailures: 0, payload: {} },
];
const mirrored: readonly Step[] = [...testPlan().steps.slice(0, 2), { kind: 'mirror', deployment: 'green', percent: 20 }];

describe('an activity failure in each step kind', () => {
  // testPlan: 0 deploy, 1 smokeTest, 2 setTraffic (10%), 3 promote, 4 cleanup of blue after 60 min.
  it.each([
    { step: 'deploy', state: () => at(0, 'Pending'), failing: ACTIVITY.createDeployment },
    { step: 'smokeTest', state: () => at(1, 'Deploying', { candidateCreated: true }), failing: ACTIVITY.smokeTest },
    { step: 'setTraffic', state: () => at(2, 'SmokeTesting', deployed), failing: ACTIVITY.setTraffic },
    { step: 'promote', state: () => at(3, 'Progressing', deployed), failing: ACTIVITY.setTraffic },
    { step: 'mirror', state: () => at(2, 'SmokeTesting', deployed, mirrored), failing: ACTIVITY.setTraffic },
    { step: 'replaceModel', state: () => at(0, 'Pending', {}, recreate), failing: ACTIVITY.replaceModel },
  ])('$step: Azure was touched, so the rollout rolls back with the failure as its reason', ({ step, state, failing }) => {
    const before = state();
    const next = carried(runExecution({ continuation: true, state: before }, script(before, failing), START_MS));
    expect(next.mode).toBe('rollback');
    expect(next.status.phase).toBe('RollingBack');
    expect(next.pending).toEqual({
      outcome: 'rolledBack',
      reason: `step ${before.stepIndex + 1} (${step}) failed: ${failing} refused`,
    });
  });

  it('cleanup after promotion: traffic stays, the step is retried with back-off and people are told once', () => {
    const before = at(4, 'Promoting', { ...deployed, promoted: true });
    before.progress.startedAtMs = START_MS - 2 * HOUR_MS;
    const s = script(before, ACTIVITY.deleteDeployment);
    const next = carried(runExecution({ continuation: true, state: before }, s, START_MS));
    expect(next).toMatchObject({ mode: 'forward', stepIndex: 4, status: { phase: 'Promoting', retrying: { step: 4, failures: 1 } } });
    expect(next.progress.retryAtMs).toBe(START_MS + 5 * 60_000);
    expect(s.notified).toEqual(['cleanupFailed']);
  });
});

describe('a failure in the lease execution (nothing changed on Azure) ends Failed and frees the endpoint', () => {
  const granted = (): unknown => ({ granted: true });
  it.each([
    {
      what: 'planning fails',
      failing: ACTIVITY.planRollout,
      acquire: granted,
      reason: 'planning failed: planRollout refused',
    },
    {
      what: 'reading the live split after planning fails (past the durable retry)',
      failing: ACTIVITY.getEndpointState,
      acquire: granted,
      reason: "planning failed: cannot read the endpoint's live traffic: getEndpointState refused",
    },
    {
      what: 'the lease entity throws',
      failing: undefined,
      acquire: (): unknown => {
        throw new Error('[Internal] entity endpointLease failed');
      },
      reason: 'cannot take the endpoint lease: entity endpointLease failed',
    },
    {
      what: 'the lease entity answers something that is not a lease answer',
      failing: undefined,
      acquire: (): unknown => ({ granted: 'maybe' }),
      reason: /^cannot take the endpoint lease: .*endpoint lease answer/,
    },
  ])('$what', ({ failing, acquire, reason }) => {
    const plan = testPlan();
    const s: Script = {
      ...script(plannedState(plan), failing),
      entity: (operation) => (operation === 'acquire' ? acquire() : null),
    };
    const run = runExecution(testInput, s, START_MS);
    const next = carried(run);
    expect(next).toMatchObject({
      mode: 'failedWaiting',
      failedFrom: 'plan',
      leaseHeld: false,
      status: { phase: 'Failed', outcome: 'failed' },
    });
    expect(next.status.reason).toMatch(reason);
    expect(run.signals.map((signal) => signal.operation)).toEqual(['release']);
    expect(next.facts).toMatchObject({ candidateCreated: false, modelReplaced: false, promoted: false });
  });

  it('a retry afterwards resolves, queues for the lease and plans again', () => {
    const plan = testPlan();
    let acquires = 0;
    const s: Script = {
      ...script(plannedState(plan), ACTIVITY.getEndpointState),
      entity: (operation) => {
        if (operation === 'acquire') acquires += 1;
        return operation === 'acquire' ? { granted: true } : null;
      },
    };
    const failed = carried(runExecution(testInput, s, START_MS));
    const retry: Script = { ...s, events: [{ name: 'control', value: { action: 'retry', by: 'ops@x.com', atMs: START_MS }, atWait: 1 }] };
    const next = carried(runExecution({ continuation: true, state: failed }, retry, START_MS + HOUR_MS));
    expect(next).toMatchObject({ mode: 'queued', leaseHeld: false, status: { phase: 'Pending' } });
    const planned = carried(runExecution({ continuation: true, state: next }, s, START_MS + 2 * HOUR_MS));
    expect(planned).toMatchObject({ mode: 'forward', leaseHeld: true, status: { traffic: { blue: 100 } } });
    expect(acquires).toBe(2);
  });

  it('the supersede check failing is only noted: the step runs, the lease stays held', () => {
    const before = plannedState();
    const s: Script = {
      ...script(before),
      entity: () => {
        throw new Error('[Internal] entity endpointLease failed');
      },
    };
    const next = carried(runExecution({ continuation: true, state: before }, s, START_MS));
    expect(next).toMatchObject({ mode: 'forward', stepIndex: 1, leaseHeld: true });
    expect(next.status.journal.map((entry) => entry.message)).toContain(
      'could not read the endpoint lease for a supersede request (entity endpointLease failed); checking again next time',
    );
  });
});

describe('an activity failure in the rollback and in the cleanup mode', () => {
  function rollingBack(): EngineState {
    const state = at(2, 'RollingBack', deployed);
    state.mode = 'rollback';
    state.pending = { outcome: 'aborted', reason: 'aborted by ops@x.com' };
    return state;
  }

  it('restoring traffic fails: the rollout is Failed (from the rollback), the lease still held, the rollback retried in 5 min', () => {
    const before = rollingBack();
    const next = carried(runExecution({ continuation: true, state: before }, script(before, ACTIVITY.setTraffic), START_MS));
    expect(next).toMatchObject({ mode: 'failedWaiting', failedFrom: 'rollback', leaseHeld: true, status: { phase: 'Failed' } });
    const retryAtMs = START_MS + 5 * 60_000;
    expect(next.status.reason).toBe(
      `rollback failed: setTraffic refused (after: aborted by ops@x.com); retry 2 at ${new Date(retryAtMs).toISOString()}`,
    );
    expect(next.status.retrying).toMatchObject({ failures: 1, error: 'setTraffic refused', nextAttemptAtMs: retryAtMs });
  });

  it('deleting the candidate fails: the outcome stands, the lease is freed, the delete is retried in cleanup mode', () => {
    const before = rollingBack();
    const s = script(before, ACTIVITY.deleteDeployment);
    const run = runExecution({ continuation: true, state: before }, s, START_MS);
    const next = carried(run);
    expect(next).toMatchObject({ mode: 'cleanup', leaseHeld: false, status: { phase: 'Aborted', outcome: 'aborted' } });
    expect(next.cleanup).toMatchObject({ deployment: 'green', failures: 1, error: 'deleteDeployment refused' });
    expect(run.signals.map((signal) => signal.operation)).toEqual(['release']);
    expect(s.notified).toEqual(['rolledBack', 'cleanupFailed']);
  });

  function cleaningUp(): EngineState {
    const state = rollingBack();
    state.mode = 'cleanup';
    state.leaseHeld = false;
    state.status.phase = 'Aborted';
    state.status.outcome = 'aborted';
    state.cleanup = { deployment: 'green', failures: 1, retryAtMs: START_MS - 1, sinceMs: START_MS - HOUR_MS, error: 'busy' };
    return state;
  }

  it('cleanup mode, the delete fails again: one more failure counted, the next attempt later', () => {
    const before = cleaningUp();
    const next = carried(runExecution({ continuation: true, state: before }, script(before, ACTIVITY.deleteDeployment), START_MS));
    expect(next.mode).toBe('cleanup');
    expect(next.cleanup).toMatchObject({ failures: 2, retryAtMs: START_MS + 10 * 60_000, error: 'deleteDeployment refused' });
  });

  it('cleanup mode, the delete succeeds: the rollout completes and people are told', () => {
    const before = cleaningUp();
    const s = script(before);
    const run = runExecution({ continuation: true, state: before }, s, START_MS);
    expect(run.continuedAsNew).toBeUndefined();
    expect(run.output).toMatchObject({ phase: 'Aborted', outcome: 'aborted' });
    expect(s.notified).toEqual(['cleanupDone']);
  });
});

describe('operator controls while an approval step waits', () => {
  // 0 deploy, 1 smokeTest, 2 approval (reminds on time-out), 3 promote, 4 cleanup.
  const steps: readonly Step[] = [
    ...testPlan().steps.slice(0, 2),
    { kind: 'approval', name: 'release', approvers: ['alice@x.com'], timeoutMinutes: 30, onTimeout: 'remind', reminderIntervalMinutes: 10 },
    ...testPlan().steps.slice(3),
  ];
  const controls = (...actions: string[]): Script['events'] =>
    actions.map((action, i) => ({ name: 'control', value: { action, by: 'ops@x.com', atMs: START_MS + i }, atWait: i + 1 }));

  it.each([
    {
      actions: ['abort'],
      want: { mode: 'rollback', stepIndex: 2, status: { phase: 'RollingBack' }, pending: { outcome: 'aborted' } },
      ignored: [],
    },
    { actions: ['promote'], want: { mode: 'forward', stepIndex: 3 }, ignored: [] },
    {
      actions: ['pause', 'resume'],
      want: { mode: 'forward', stepIndex: 2, status: { phase: 'AwaitingApproval', paused: false } },
      ignored: [],
    },
    { actions: ['pause', 'abort'], want: { mode: 'rollback', status: { phase: 'RollingBack', paused: false } }, ignored: [] },
    { actions: ['retry'], want: { mode: 'forward', stepIndex: 2, status: { phase: 'AwaitingApproval' } }, ignored: ['retry'] },
    { actions: ['resume'], want: { mode: 'forward', stepIndex: 2, status: { phase: 'AwaitingApproval' } }, ignored: ['resume'] },
  ])('$actions', ({ actions, want, ignored }) => {
    const before = at(2, 'SmokeTesting', deployed, steps);
    const next = carried(runExecution({ continuation: true, state: before }, script(before, undefined, 0, controls(...actions)), START_MS));
    expect(next).toMatchObject(want);
    const accepted = actions.filter((action) => !(ignored as string[]).includes(action));
    expect(next.status.overrides.map((o) => o.action)).toEqual(accepted);
    for (const action of ignored)
      expect(next.status.journal.some((entry) => entry.message.startsWith(`${action} by ops@x.com ignored`))).toBe(true);
  });
});

describe('an approval a rule asks for says why', () => {
  /** A bake whose look passes with a serving cost above the limit: the cost hook asks a person. */
  function costApprovalBake(events: Script['events'] = []): { before: EngineState; script: Script; sent: unknown[] } {
    const plan = compilePlan(parsePolicy(JSON.stringify(canaryPolicy()), 'inline'), compileInput());
    const index = plan.steps.findIndex((s) => s.kind === 'bake' && s.gates.length > 0 && s.candidateOnly !== true);
    const step = plan.steps[index]!;
    const before = plannedState(plan);
    before.stepIndex = index;
    before.status.phase = STEP_PHASE[step.kind];
    Object.assign(before.facts, { candidateCreated: true, smokePassed: [plan.candidate.deployment] });
    before.progress.startedAtMs = START_MS - 2 * HOUR_MS;
    // The bake's minimum of requests is met already: this look only passes, with a cost above the limit.
    before.progress.requestsSeen = 10_000;
    const sent: unknown[] = [];
    const script: Script = {
      activity: (name, input) => {
        if (name === ACTIVITY.sendNotification) sent.push(input);
        if (name !== ACTIVITY.checkGates) return activityAnswer(name, input, { plan });
        const gates = (input as { gates: { name: string }[] }).gates;
        return {
          outcomes: gates.map((g, i) => ({
            gate: g.name,
            outcome: 'pass',
            candidateRequests: 10_000,
            ...(i === 0 ? { costApproval: 'serving cost 40% above the baseline (limit 20%)' } : {}),
          })),
        };
      },
      entity: () => null,
      events,
    };
    return { before, script, sent };
  }
  const why = "serving cost: gate 'health': serving cost 40% above the baseline (limit 20%)";

  it('the cost hook: the approval request carries the serving cost that triggered it', () => {
    const { before, script: s, sent } = costApprovalBake();
    const next = carried(runExecution({ continuation: true, state: before }, s, START_MS));
    // Nobody answers in the fake: the cost approval times out (its policy rolls back), after asking.
    expect(next.status.reason).toBe("approval 'cost' timed out after 60 min");
    expect(sent).toContainEqual(
      expect.objectContaining({ kind: 'approvalRequested', approval: expect.objectContaining({ name: 'cost', why }) }),
    );
  });

  it('a later execution of the same wait still shows its name and why, and times out under that name', () => {
    // A stranger's decision at every wait uses up the first execution's rounds: it continues as new, still waiting.
    const strangers = Array.from({ length: 80 }, (_, i) => ({
      name: 'approval',
      value: { rolloutId: 'r1', step: 0, decision: 'approve', by: 'mallory@x.com', atMs: START_MS },
      atWait: i + 1,
    }));
    const { before, script: first } = costApprovalBake(strangers);
    const waiting = carried(runExecution({ continuation: true, state: before }, first, START_MS));
    expect(waiting).toMatchObject({ mode: 'forward', status: { phase: 'AwaitingApproval' }, progress: { awaitingDataApproval: true } });
    const { script: later, sent } = costApprovalBake();
    const run = runExecution({ continuation: true, state: waiting }, later, START_MS + 1_000);
    const details = run.statuses.map((status) => status.waitingFor?.detail).filter((detail) => detail !== undefined);
    expect(details.length).toBeGreaterThan(1);
    expect(new Set(details)).toEqual(new Set([`waiting for approval 'cost' (${why})`]));
    expect(carried(run).status.reason).toBe("approval 'cost' timed out after 60 min");
    // Asked once, in the first execution: the later one does not ask again.
    expect(sent.filter((input) => (input as { kind: string }).kind === 'approvalRequested')).toEqual([]);
  });
});

describe('a control sent while an aborted create settles', () => {
  it('is answered at once (recorded, ignored: the rollback is decided), not after the create is done', () => {
    const before = at(0, 'Pending');
    const control = (by: string, atWait: number): Script['events'][number] => ({
      name: 'control',
      value: { action: 'abort', by, atMs: START_MS },
      atWait,
    });
    // Wait 1: the create races the first abort; wait 2: the create, still in flight, races the second.
    const s = script(before, undefined, 1, [control('ops@x.com', 1), control('mallory@x.com', 2)]);
    const next = carried(runExecution({ continuation: true, state: before }, s, START_MS));
    expect(next).toMatchObject({ mode: 'rollback', pending: { outcome: 'aborted', reason: 'aborted by ops@x.com' } });
    const messages = next.status.journal.map((j) => j.message);
    const second = messages.findIndex((m) => m.startsWith('abort by mallory@x.com ignored'));
    const settled = messages.findIndex((m) => m.startsWith('createDeployment, in flight when the abort came, has finished'));
    expect(second).toBeGreaterThanOrEqual(0);
    expect(settled).toBeGreaterThan(second);
  });
});
