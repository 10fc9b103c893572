/**
 * The decider by tables of (state, input) -> (state, commands), the operator controls in every
 * phase against the API's check (one phase table, so they cannot disagree), and a property test:
 * any sequence of inputs keeps every phase change in the table, and once the world lets the
 * rollout go on it ends, with the endpoint lease released.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkControlFits } from '../../src/api/rollouts';
import { decide, recordStrayApprovals, type Command, type DeciderInput } from '../../src/orchestration/decider';
import {
  decideControl,
  emptyProgress,
  FAILED_RETRY_WINDOW_MINUTES,
  initialStatus,
  type EngineState,
  type Mode,
} from '../../src/orchestration/engine-state';
import type { ControlEvent } from '../../src/orchestration/events';
import { runningInstance as instance, testInput, testPlan, testSteps } from './engine-fixture';
import { canTransition, OPERATOR_ACTIONS, PHASE_TABLE, STEP_PHASE } from '../../src/plan/phases';
import { PHASES, type Phase, type RolloutStatus } from '../../src/plan/types';

const input = testInput;
const steps = testSteps;
const plan = testPlan();

interface Shape {
  mode?: Mode;
  phase?: Phase;
  stepIndex?: number;
  leaseHeld?: boolean;
  touched?: boolean;
  promoted?: boolean;
  failedFrom?: EngineState['failedFrom'];
  pending?: EngineState['pending'];
  planned?: boolean;
}

function state(shape: Shape = {}): EngineState {
  const status = initialStatus(input, 0);
  status.phase = shape.phase ?? 'Baking';
  status.endpoint = 'e';
  const planned = shape.planned ?? true;
  return {
    version: 1,
    plan: planned ? plan : { ...plan, steps: [] },
    mode: shape.mode ?? 'forward',
    stepIndex: shape.stepIndex ?? 2,
    // A working phase: its step has started (the decider accepts results of started steps only).
    progress: { ...emptyProgress(), ...(PHASE_TABLE[shape.phase ?? 'Baking'].mode === 'forward' ? { startedAtMs: 0 } : {}) },
    facts: {
      candidateCreated: shape.touched ?? true,
      modelReplaced: false,
      smokePassed: ['green'],
      promoted: shape.promoted ?? false,
      verdictWritten: false,
    },
    status,
    leaseHeld: shape.leaseHeld ?? true,
    input,
    executions: 0,
    carriedApprovals: [],
    ...(shape.failedFrom ? { failedFrom: shape.failedFrom } : {}),
    ...(shape.pending ? { pending: shape.pending } : {}),
  };
}

type Happened = DeciderInput extends infer I ? (I extends DeciderInput ? Omit<I, 'atMs'> : never) : never;
const at = (happened: Happened): DeciderInput => ({ ...happened, atMs: 1_000 }) as DeciderInput;
const kinds = (commands: readonly Command[]): string[] =>
  commands.map((c) => (c.kind === 'finish' ? `finish:${c.outcome}` : c.kind === 'notify' ? `notify:${c.notification}` : c.kind));

interface Row {
  readonly name: string;
  readonly from: Shape;
  readonly input: Happened;
  readonly mode: Mode;
  readonly phase: Phase;
  readonly commands: readonly string[];
  readonly leaseHeld: boolean;
  readonly outcome?: string;
}

// Every row: the state's mode and phase, the commands, the lease, after one input.
const TABLE: readonly Row[] = [
  // queued: waiting for the endpoint lease, nothing done on Azure
  {
    name: 'resolve fails',
    from: { mode: 'queued', phase: 'Pending', leaseHeld: false, planned: false, touched: false },
    input: { kind: 'resolveFailed', reason: 'no policy' },
    mode: 'failedWaiting',
    phase: 'Failed',
    commands: ['finish:failed'],
    leaseHeld: false,
    outcome: 'failed',
  },
  {
    name: 'lease granted',
    from: { mode: 'queued', phase: 'Pending', leaseHeld: false, planned: false, touched: false },
    input: { kind: 'leaseGranted', waited: true },
    mode: 'queued',
    phase: 'Pending',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'planned',
    from: { mode: 'queued', phase: 'Pending', planned: false, touched: false },
    input: { kind: 'planned', plan },
    mode: 'forward',
    phase: 'Pending',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'planning fails: the lease is freed first',
    from: { mode: 'queued', phase: 'Pending', planned: false, touched: false },
    input: { kind: 'planFailed', reason: 'split' },
    mode: 'failedWaiting',
    phase: 'Failed',
    commands: ['releaseLease', 'finish:failed'],
    leaseHeld: false,
    outcome: 'failed',
  },
  {
    name: 'planned, but the live split cannot be read before the first step: a plan failure, the lease freed',
    from: { mode: 'forward', phase: 'Pending', stepIndex: 0, touched: false },
    input: { kind: 'planFailed', reason: 'getEndpointState: 503' },
    mode: 'failedWaiting',
    phase: 'Failed',
    commands: ['releaseLease', 'finish:failed'],
    leaseHeld: false,
    outcome: 'failed',
  },
  {
    name: 'planFailed once a step has run is not a plan failure (ignored)',
    from: { mode: 'forward', phase: 'Deploying', stepIndex: 0, touched: true },
    input: { kind: 'planFailed', reason: 'late' },
    mode: 'forward',
    phase: 'Deploying',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'the lease entity fails while queued: Failed (retryable), the queue left',
    from: { mode: 'queued', phase: 'Pending', leaseHeld: false, planned: false, touched: false },
    input: { kind: 'leaseFailed', reason: 'entity threw' },
    mode: 'failedWaiting',
    phase: 'Failed',
    commands: ['releaseLease', 'finish:failed'],
    leaseHeld: false,
    outcome: 'failed',
  },
  {
    name: 'leaseFailed outside the queue is ignored',
    from: { mode: 'forward', phase: 'Baking' },
    input: { kind: 'leaseFailed', reason: 'late' },
    mode: 'forward',
    phase: 'Baking',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'an accepted pause: Paused (the working phase kept for resume)',
    from: { mode: 'forward', phase: 'Baking' },
    input: { kind: 'paused' },
    mode: 'forward',
    phase: 'Paused',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'pause outside the forward mode is ignored',
    from: { mode: 'rollback', phase: 'RollingBack' },
    input: { kind: 'paused' },
    mode: 'rollback',
    phase: 'RollingBack',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'the approval wait starts: AwaitingApproval',
    from: { mode: 'forward', phase: 'SmokeTesting' },
    input: { kind: 'approvalWaitStarted' },
    mode: 'forward',
    phase: 'AwaitingApproval',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'an approval wait outside the forward mode is ignored',
    from: { mode: 'failedWaiting', phase: 'Failed', failedFrom: 'forward' },
    input: { kind: 'approvalWaitStarted' },
    mode: 'failedWaiting',
    phase: 'Failed',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'a stale version',
    from: { mode: 'queued', phase: 'Pending', leaseHeld: false, touched: false },
    input: { kind: 'leaseStale', reason: 'older' },
    mode: 'done',
    phase: 'Superseded',
    commands: ['finish:superseded'],
    leaseHeld: false,
    outcome: 'superseded',
  },
  // the lost abort: an abort while queued ends the rollout and leaves the lease's queue
  {
    name: 'abort while queued',
    from: { mode: 'queued', phase: 'Pending', leaseHeld: false, touched: false },
    input: { kind: 'abort', by: 'ops' },
    mode: 'done',
    phase: 'Aborted',
    commands: ['finish:aborted', 'releaseLease'],
    leaseHeld: false,
    outcome: 'aborted',
  },
  // defect 1: a supersede (abort) while Pending with the lease held and the plan made
  {
    name: 'supersede while Pending (planned, nothing deployed)',
    from: { mode: 'forward', phase: 'Pending', stepIndex: 0, touched: false },
    input: { kind: 'abort', by: 'system:supersede:r2' },
    mode: 'done',
    phase: 'Aborted',
    commands: ['finish:aborted', 'releaseLease'],
    leaseHeld: false,
    outcome: 'aborted',
  },
  // forward
  {
    name: 'a step advances',
    from: {},
    input: { kind: 'stepResult', result: { kind: 'advance' } },
    mode: 'forward',
    phase: 'Baking',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'a step asks to roll back',
    from: {},
    input: { kind: 'stepResult', result: { kind: 'rollback', outcome: 'rolledBack', reason: 'gate' } },
    mode: 'rollback',
    phase: 'RollingBack',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'abort while running',
    from: {},
    input: { kind: 'abort', by: 'ops' },
    mode: 'rollback',
    phase: 'RollingBack',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'a step fails after Azure was changed',
    from: {},
    input: { kind: 'stepFailed', reason: 'boom' },
    mode: 'rollback',
    phase: 'RollingBack',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'a step fails before anything changed',
    from: { phase: 'Deploying', stepIndex: 0, touched: false },
    input: { kind: 'stepFailed', reason: 'boom' },
    mode: 'failedWaiting',
    phase: 'Failed',
    commands: ['finish:failed'],
    leaseHeld: true,
    outcome: 'failed',
  },
  // defect 3: after promotion a failure (the cleanup) never moves traffic: retried, reported
  {
    name: 'a step fails after promotion',
    from: { phase: 'Promoting', stepIndex: 4, promoted: true },
    input: { kind: 'stepFailed', reason: 'delete blue: 500' },
    mode: 'forward',
    phase: 'Promoting',
    commands: ['notify:cleanupFailed'],
    leaseHeld: true,
  },
  {
    name: 'the plan is done',
    from: { phase: 'Promoting', stepIndex: 5 },
    input: { kind: 'planCompleted', reason: 'all passed' },
    mode: 'done',
    phase: 'Promoted',
    commands: ['finish:promoted', 'releaseLease'],
    leaseHeld: false,
    outcome: 'promoted',
  },
  // rollback
  {
    name: 'the rollback finishes',
    from: { mode: 'rollback', phase: 'RollingBack', pending: { outcome: 'rejected', reason: 'no' } },
    input: { kind: 'rollbackDone' },
    mode: 'done',
    phase: 'Rejected',
    commands: ['finish:rejected', 'releaseLease'],
    leaseHeld: false,
    outcome: 'rejected',
  },
  // defect 3, rollback side: traffic is back on the baseline, only the delete of the candidate failed
  {
    name: 'the rollback finishes but the candidate could not be deleted',
    from: { mode: 'rollback', phase: 'RollingBack', pending: { outcome: 'rolledBack', reason: 'gate' } },
    input: { kind: 'rollbackDone', leftover: { deployment: 'green', error: '500' } },
    mode: 'cleanup',
    phase: 'RolledBack',
    commands: ['finish:rolledBack', 'releaseLease', 'notify:cleanupFailed'],
    leaseHeld: false,
    outcome: 'rolledBack',
  },
  {
    name: 'an abort finishes but the candidate could not be deleted',
    from: { mode: 'rollback', phase: 'RollingBack', pending: { outcome: 'aborted', reason: 'aborted by ops' } },
    input: { kind: 'rollbackDone', leftover: { deployment: 'green', error: '500' } },
    mode: 'cleanup',
    phase: 'Aborted',
    commands: ['finish:aborted', 'releaseLease', 'notify:cleanupFailed'],
    leaseHeld: false,
    outcome: 'aborted',
  },
  {
    name: 'the rollback fails',
    from: { mode: 'rollback', phase: 'RollingBack' },
    input: { kind: 'rollbackFailed', reason: '500' },
    mode: 'failedWaiting',
    phase: 'Failed',
    commands: ['finish:failed'],
    leaseHeld: true,
    outcome: 'failed',
  },
  {
    name: 'abort while rolling back changes nothing',
    from: { mode: 'rollback', phase: 'RollingBack' },
    input: { kind: 'abort', by: 'ops' },
    mode: 'rollback',
    phase: 'RollingBack',
    commands: [],
    leaseHeld: true,
  },
  // failed: retry and abort, each written once
  {
    name: 'retry a failed step',
    from: { mode: 'failedWaiting', phase: 'Failed', failedFrom: 'forward' },
    input: { kind: 'retry', by: 'ops' },
    mode: 'forward',
    phase: 'Failed',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'retry a failed rollback',
    from: { mode: 'failedWaiting', phase: 'Failed', failedFrom: 'rollback' },
    input: { kind: 'retry', by: 'ops' },
    mode: 'rollback',
    phase: 'RollingBack',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'retry a failed plan',
    from: { mode: 'failedWaiting', phase: 'Failed', failedFrom: 'plan', leaseHeld: false, touched: false },
    input: { kind: 'retry', by: 'ops' },
    mode: 'queued',
    phase: 'Pending',
    commands: ['resolve'],
    leaseHeld: false,
  },
  {
    name: 'abort after a failure with nothing deployed',
    from: { mode: 'failedWaiting', phase: 'Failed', failedFrom: 'forward', touched: false },
    input: { kind: 'abort', by: 'ops' },
    mode: 'done',
    phase: 'Aborted',
    commands: ['finish:aborted', 'releaseLease'],
    leaseHeld: false,
    outcome: 'aborted',
  },
  {
    name: 'abort after a failure with a candidate',
    from: { mode: 'failedWaiting', phase: 'Failed', failedFrom: 'forward' },
    input: { kind: 'abort', by: 'ops' },
    mode: 'rollback',
    phase: 'RollingBack',
    commands: [],
    leaseHeld: true,
  },
  {
    name: 'the retry window ends',
    from: { mode: 'failedWaiting', phase: 'Failed', failedFrom: 'rollback' },
    input: { kind: 'retryWindowEnded' },
    mode: 'done',
    phase: 'Failed',
    commands: ['releaseLease'],
    leaseHeld: false,
  },
  // inputs that do not fit the mode are recorded and change nothing
  {
    name: 'a step result after the end',
    from: { mode: 'done', phase: 'Promoted', leaseHeld: false },
    input: { kind: 'stepResult', result: { kind: 'advance' } },
    mode: 'done',
    phase: 'Promoted',
    commands: [],
    leaseHeld: false,
  },
  {
    name: 'retry while running',
    from: {},
    input: { kind: 'retry', by: 'ops' },
    mode: 'forward',
    phase: 'Baking',
    commands: [],
    leaseHeld: true,
  },
];

describe('decide: (state, input) -> (state, commands)', () => {
  it.each(TABLE.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const before = state(row.from);
    const snapshot = JSON.stringify(before);
    const { state: after, commands } = decide(before, at(row.input));
    expect(JSON.stringify(before), 'decide never changes its input').toBe(snapshot);
    expect({
      mode: after.mode,
      phase: after.status.phase,
      commands: kinds(commands),
      leaseHeld: after.leaseHeld,
      outcome: after.status.outcome,
    }).toEqual({
      mode: row.mode,
      phase: row.phase,
      commands: row.commands,
      leaseHeld: row.leaseHeld,
      outcome: row.outcome,
    });
  });

  it('pause then resume returns to the phase it interrupted, and adds the paused time to the step (its clock stops)', () => {
    for (const phase of ['Deploying', 'Baking', 'AwaitingApproval', 'Analyzing'] as const) {
      const before = state({ mode: 'forward', phase });
      const paused = decide(before, { kind: 'paused', atMs: 5_000 }).state;
      expect({ phase: paused.status.phase, paused: paused.status.paused, from: paused.pausedFromPhase }).toEqual({
        phase: 'Paused',
        paused: true,
        from: phase,
      });
      const resumed = decide(paused, { kind: 'resumed', atMs: 65_000 }).state;
      expect({ phase: resumed.status.phase, paused: resumed.status.paused, pausedMs: resumed.progress.pausedMs }).toEqual({
        phase,
        paused: false,
        pausedMs: before.progress.pausedMs + 60_000,
      });
      expect(resumed.pausedFromPhase).toBeUndefined();
    }
  });

  it('promote-now from a pause ends it: the phase the pause interrupted until the promote step starts (with fresh progress)', () => {
    for (const phase of ['Deploying', 'Baking', 'AwaitingApproval', 'Analyzing'] as const) {
      const paused = decide(state({ mode: 'forward', phase }), { kind: 'paused', atMs: 5_000 }).state;
      const jumped = decide(paused, { kind: 'stepResult', result: { kind: 'jump', toIndex: 4 }, atMs: 65_000 }).state;
      expect({
        phase: jumped.status.phase,
        paused: jumped.status.paused,
        pausedMs: jumped.progress.pausedMs,
        pausedAt: jumped.progress.pausedAtMs,
        from: jumped.pausedFromPhase,
        index: jumped.stepIndex,
      }).toEqual({ phase, paused: false, pausedMs: 0, pausedAt: undefined, from: undefined, index: 4 });
    }
  });

  it('the step index moves only on advance and jump, and a rollback keeps the reason for the end', () => {
    expect(decide(state(), at({ kind: 'stepResult', result: { kind: 'advance' } })).state.stepIndex).toBe(3);
    expect(decide(state(), at({ kind: 'stepResult', result: { kind: 'jump', toIndex: 3 } })).state.stepIndex).toBe(3);
    expect(decide(state(), at({ kind: 'stepResult', result: { kind: 'stay' } })).state.stepIndex).toBe(2);
    const rolled = decide(state(), at({ kind: 'stepResult', result: { kind: 'rollback', outcome: 'rejected', reason: 'no' } })).state;
    expect(rolled.stepIndex).toBe(2);
    expect(rolled.pending).toEqual({ outcome: 'rejected', reason: 'no' });
    const done = decide(rolled, at({ kind: 'rollbackDone' })).state;
    expect({ outcome: done.status.outcome, reason: done.status.reason }).toEqual({ outcome: 'rejected', reason: 'no' });
  });

  it('after promotion a failing step is retried with doubling back-off (at most hourly) and reported; success clears it', () => {
    let s = state({ phase: 'Promoting', stepIndex: 4, promoted: true });
    const delays: number[] = [];
    for (let n = 1; n <= 6; n++) {
      s = decide(s, at({ kind: 'stepFailed', reason: 'delete blue: 500' })).state;
      expect(s.status.retrying).toEqual({ step: 4, failures: n, error: 'delete blue: 500', nextAttemptAtMs: s.progress.retryAtMs });
      delays.push(((s.progress.retryAtMs ?? 0) - 1_000) / 60_000);
    }
    expect(delays).toEqual([5, 10, 20, 40, 60, 60]);
    expect({ mode: s.mode, phase: s.status.phase, traffic: s.status.traffic }).toEqual({
      mode: 'forward',
      phase: 'Promoting',
      traffic: {},
    });
    const done = decide(s, at({ kind: 'stepResult', result: { kind: 'advance' } })).state;
    expect(done.status.retrying).toBeUndefined();
    expect(done.progress.retryAtMs).toBeUndefined();
  });

  it('after promotion the first failure of the cleanup notifies, later ones do not, and success notifies once', () => {
    let s = state({ phase: 'Promoting', stepIndex: 4, promoted: true });
    const sent: string[][] = [];
    for (let n = 1; n <= 3; n++) {
      const d = decide(s, at({ kind: 'stepFailed', reason: 'delete blue: 500' }));
      sent.push(kinds(d.commands));
      s = d.state;
    }
    expect(sent).toEqual([['notify:cleanupFailed'], [], []]);
    const done = decide(s, at({ kind: 'stepResult', result: { kind: 'advance' } }));
    expect(done.commands).toEqual([{ kind: 'notify', notification: 'cleanupDone', deployment: 'blue' }]);
    // A step that advances without earlier failures says nothing more.
    expect(
      decide(state({ phase: 'Promoting', stepIndex: 4, promoted: true }), at({ kind: 'stepResult', result: { kind: 'advance' } })).commands,
    ).toEqual([]);
  });

  it('a rollback whose delete keeps failing keeps its outcome, frees the endpoint, retries with the same back-off and says so', () => {
    const rolling = state({ mode: 'rollback', phase: 'RollingBack', pending: { outcome: 'rolledBack', reason: "gate 'health' failed" } });
    let s = decide(rolling, at({ kind: 'rollbackDone', leftover: { deployment: 'green', error: 'ARM 500' } })).state;
    expect({ outcome: s.status.outcome, phase: s.status.phase, leaseHeld: s.leaseHeld }).toEqual({
      outcome: 'rolledBack',
      phase: 'RolledBack',
      leaseHeld: false,
    });
    expect(s.status.reason).toBe("gate 'health' failed; 'green' is left at 0% (delete failed: ARM 500), retrying");
    expect(s.status.retrying).toEqual({ step: 2, failures: 1, error: 'ARM 500', nextAttemptAtMs: 1_000 + 5 * 60_000 });
    const delays = [5];
    for (let n = 2; n <= 6; n++) {
      const d = decide(s, at({ kind: 'cleanupFailed', reason: `ARM 500 #${n}` }));
      expect(d.commands, 'only the first failure notifies').toEqual([]);
      s = d.state;
      expect(s.status.retrying).toEqual({ step: 2, failures: n, error: `ARM 500 #${n}`, nextAttemptAtMs: s.cleanup?.retryAtMs });
      delays.push(((s.cleanup?.retryAtMs ?? 0) - 1_000) / 60_000);
    }
    expect(delays).toEqual([5, 10, 20, 40, 60, 60]);
    expect({ mode: s.mode, outcome: s.status.outcome, phase: s.status.phase }).toEqual({
      mode: 'cleanup',
      outcome: 'rolledBack',
      phase: 'RolledBack',
    });
    // Operators are answered: abort stops the retries (decider-failed-rollback.test.ts), the rest is ignored with the reason.
    const ignored = decideControl(s, control('pause'));
    expect(ignored).toEqual({
      kind: 'ignored',
      note: "the rollout has ended; only the delete of 'green' is retried (abort stops the retries)",
    });
    const healed = decide(s, at({ kind: 'cleanupDone', detail: "removed 'green'" }));
    expect({
      mode: healed.state.mode,
      outcome: healed.state.status.outcome,
      retrying: healed.state.status.retrying,
      commands: kinds(healed.commands),
    }).toEqual({
      mode: 'done',
      outcome: 'rolledBack',
      retrying: undefined,
      commands: ['notify:cleanupDone'],
    });
    expect(healed.state.status.journal.at(-1)?.message).toBe("removed 'green' after 6 failed attempt(s)");
  });

  it('the cleanup retries stop after the retry window, naming what is left (never silently)', () => {
    const rolling = state({ mode: 'rollback', phase: 'RollingBack', pending: { outcome: 'aborted', reason: 'aborted by ops' } });
    const s = decide(rolling, at({ kind: 'rollbackDone', leftover: { deployment: 'green', error: 'ARM 500' } })).state;
    const late = decide(s, { kind: 'cleanupFailed', reason: 'ARM 500', atMs: 1_000 + FAILED_RETRY_WINDOW_MINUTES * 60_000 });
    expect({
      mode: late.state.mode,
      outcome: late.state.status.outcome,
      retrying: late.state.status.retrying,
      commands: kinds(late.commands),
    }).toEqual({
      mode: 'done',
      outcome: 'aborted',
      retrying: undefined,
      commands: ['notify:cleanupFailed'],
    });
    expect(late.state.status.reason).toMatch(/gave up deleting 'green' after 2 attempts \(ARM 500\): it is left at 0%, delete it by hand$/);
    // Cleanup inputs outside the cleanup mode are recorded and change nothing.
    const unrelated = decide(state(), at({ kind: 'cleanupDone', detail: 'x' }));
    expect({ mode: unrelated.state.mode, commands: unrelated.commands }).toEqual({ mode: 'forward', commands: [] });
  });

  it.each([
    ['ended (Aborted)', { mode: 'done', phase: 'Aborted', leaseHeld: false }],
    ['rolling back', { mode: 'rollback', phase: 'RollingBack' }],
    ['retrying a cleanup', { mode: 'cleanup', phase: 'RolledBack', leaseHeld: false }],
    ['baking', {}],
  ] as const)('a decision nothing waits for is recorded with its identity while %s (the stranger-approval defect)', (_name, shape) => {
    const s = state(shape as Shape);
    recordStrayApprovals(
      s,
      [{ decision: 'approve', by: 'mallory@example.com', step: 2, rolloutId: 'r1', atMs: 0 }, { decision: 'maybe' }],
      5_000,
    );
    expect(s.status.approvals).toEqual([
      { step: 2, decision: 'approve', by: 'mallory@example.com', atMs: 5_000, accepted: false, note: 'no approval was pending' },
    ]);
    expect(s.status.journal.map((j) => j.message)).toEqual([
      'approve by mallory@example.com for step 2 ignored: no approval was pending',
      'ignored a malformed approval event',
    ]);
  });

  it('an operator stops the retries after promotion: it ends Promoted and says what was left undone', () => {
    const failing = decide(
      state({ phase: 'Promoting', stepIndex: 4, promoted: true }),
      at({ kind: 'stepFailed', reason: 'delete blue: 500' }),
    ).state;
    expect(decideControl(failing, control('abort')).kind).toBe('abort');
    expect(decideControl(state({ phase: 'Promoting', stepIndex: 4, promoted: true }), control('abort')).kind).toBe('ignored');
    const { state: ended, commands } = decide(failing, at({ kind: 'abort', by: 'ops' }));
    expect({ mode: ended.mode, phase: ended.status.phase, outcome: ended.status.outcome, commands: kinds(commands) }).toEqual({
      mode: 'done',
      phase: 'Promoted',
      outcome: 'promoted',
      commands: ['finish:promoted', 'releaseLease'],
    });
    expect(ended.status.reason).toBe('promoted; step 5 abandoned by ops after 1 failures (delete blue: 500)');
  });

  it('a failure waits for an operator until the retry window ends, and says so', () => {
    const failed = decide(state({ phase: 'Deploying', touched: false }), at({ kind: 'stepFailed', reason: 'boom' })).state;
    expect(failed.status.waitingFor).toMatchObject({ kind: 'resume', untilMs: 1_000 + 24 * 60 * 60_000 });
    expect(failed.status.endedAtMs).toBeUndefined();
    expect(failed.status.reason).toBe('boom');
  });
});

// ---------------------------------------------------------------- controls in every phase

/** A state in `phase` with the mode the phase table says it runs in. */
function stateIn(phase: Phase): EngineState {
  const mode: Mode = { queued: 'queued', forward: 'forward', rollback: 'rollback', failed: 'failedWaiting', ended: 'done' }[
    PHASE_TABLE[phase].mode
  ] as Mode;
  const s = state({ mode, phase, failedFrom: 'forward', stepIndex: phase === 'Promoting' ? 3 : 2 });
  s.status.paused = phase === 'Paused';
  return s;
}

const control = (action: ControlEvent['action']): ControlEvent => ({ action, by: 'ops@x.com', atMs: 0 });

describe('operator controls in every phase: the API and the orchestrator give the same answer', () => {
  const cases = PHASES.flatMap((phase) => OPERATOR_ACTIONS.map((action) => [phase, action] as const));
  it.each(cases)('%s: %s', (phase, action) => {
    const s = stateIn(phase);
    const apiAccepts = (() => {
      try {
        checkControlFits(action, instance(s.status as RolloutStatus), s.status as RolloutStatus);
        return true;
      } catch {
        return false;
      }
    })();
    const decision = decideControl(s, control(action));
    // The orchestrator may refuse for a reason only it knows (e.g. at the promote step), never accept what the API refused.
    if (!apiAccepts) expect(decision.kind, decision.kind === 'ignored' ? decision.note : '').toBe('ignored');
    else if (!(action === 'promote' && phase === 'Paused'))
      expect(decision.kind, decision.kind === 'ignored' ? decision.note : '').toBe(action);
  });

  it('refuses pause while Promoting on both sides (they used to disagree)', () => {
    const s = stateIn('Promoting');
    expect(() => checkControlFits('pause', instance(s.status as RolloutStatus), s.status as RolloutStatus)).toThrow(
      /cannot pause in phase Promoting/,
    );
    expect(decideControl(s, control('pause'))).toEqual({
      kind: 'ignored',
      note: expect.stringContaining('not possible in phase Promoting'),
    });
  });

  it('an accepted abort ends the rollout from every phase that allows it, and the lease is released at the end', () => {
    for (const phase of PHASES.filter((p) => PHASE_TABLE[p].actions.includes('abort'))) {
      for (const touched of [false, true]) {
        let s = stateIn(phase);
        s.facts.candidateCreated = touched;
        const released: string[] = [];
        let decision = decide(s, at({ kind: 'abort', by: 'ops' }));
        released.push(...kinds(decision.commands));
        s = decision.state;
        if (s.mode === 'rollback') {
          decision = decide(s, at({ kind: 'rollbackDone' }));
          released.push(...kinds(decision.commands));
          s = decision.state;
        }
        expect({ phase, touched, mode: s.mode, outcome: s.status.outcome, leaseHeld: s.leaseHeld }).toEqual({
          phase,
          touched,
          mode: 'done',
          outcome: 'aborted',
          leaseHeld: false,
        });
        expect(released, `${phase} touched=${touched}`).toContain('releaseLease');
      }
    }
  });
});

// ---------------------------------------------------------------- property: random sequences

const anyInput: fc.Arbitrary<Happened> = fc.oneof(
  fc.constant<Happened>({ kind: 'resolved', target: plan.target, concurrency: 'queue' }),
  fc.constant<Happened>({ kind: 'resolveFailed', reason: 'x' }),
  fc.boolean().map<Happened>((waited) => ({ kind: 'leaseGranted', waited })),
  fc.constant<Happened>({ kind: 'leaseStale', reason: 'older' }),
  fc.constant<Happened>({ kind: 'planned', plan }),
  fc.constant<Happened>({ kind: 'planFailed', reason: 'x' }),
  fc.constant<Happened>({ kind: 'leaseFailed', reason: 'x' }),
  fc.constantFrom<Happened>(
    { kind: 'stepResult', result: { kind: 'advance' } },
    { kind: 'stepResult', result: { kind: 'stay' } },
    { kind: 'stepResult', result: { kind: 'jump', toIndex: 3 } },
    { kind: 'stepResult', result: { kind: 'rollback', outcome: 'rolledBack', reason: 'gate' } },
    { kind: 'stepResult', result: { kind: 'rollback', outcome: 'rejected', reason: 'no' } },
  ),
  fc.constant<Happened>({ kind: 'stepStarted' }),
  fc.constantFrom<Happened>({ kind: 'paused' }, { kind: 'resumed' }, { kind: 'approvalWaitStarted' }),
  fc.constant<Happened>({ kind: 'stepFailed', reason: 'boom' }),
  fc.constant<Happened>({ kind: 'planCompleted', reason: 'done' }),
  fc.constant<Happened>({ kind: 'rollbackDone' }),
  fc.constant<Happened>({ kind: 'rollbackDone', leftover: { deployment: 'green', error: '500' } }),
  fc.constant<Happened>({ kind: 'cleanupFailed', reason: '500' }),
  fc.constant<Happened>({ kind: 'cleanupDone', detail: "removed 'green'" }),
  fc.constant<Happened>({ kind: 'rollbackFailed', reason: '500' }),
  fc.constant<Happened>({ kind: 'rollbackRetryDue' }),
  fc.constantFrom<Happened>({ kind: 'abort', by: 'ops' }, { kind: 'abort', by: 'system:supersede:r2' }),
  fc.constant<Happened>({ kind: 'retry', by: 'ops' }),
  fc.constant<Happened>({ kind: 'retryWindowEnded' }),
);

/** What the world does next when it lets the rollout go on (the interpreter's happy answer per mode). */
function onward(s: EngineState): Happened {
  switch (s.mode) {
    case 'queued':
      if (s.status.endpoint === '') return { kind: 'resolved', target: plan.target, concurrency: 'queue' };
      if (!s.leaseHeld) return { kind: 'leaseGranted', waited: false };
      return { kind: 'planned', plan };
    case 'forward':
      if (s.status.paused) return { kind: 'resumed' };
      if (s.stepIndex >= s.plan.steps.length) return { kind: 'planCompleted', reason: 'done' };
      return s.progress.startedAtMs === undefined ? { kind: 'stepStarted' } : { kind: 'stepResult', result: { kind: 'advance' } };
    case 'rollback':
      return { kind: 'rollbackDone' };
    case 'cleanup':
      return { kind: 'cleanupDone', detail: "removed 'green'" };
    case 'failedWaiting':
    case 'done':
      return { kind: 'retryWindowEnded' };
  }
}

describe('decide over random input sequences', () => {
  it('every phase change is in the table; every sequence ends; the lease is released at the end', () => {
    fc.assert(
      fc.property(fc.array(anyInput, { maxLength: 40 }), (inputs) => {
        let s = state({ mode: 'queued', phase: 'Pending', leaseHeld: false, planned: false, touched: false, stepIndex: 0 });
        s.status.endpoint = '';
        let releases = 0;
        let everHeld = false;
        const step = (happened: Happened): void => {
          const { state: next, commands } = decide(s, at(happened));
          if (next.status.phase !== s.status.phase)
            expect(canTransition(s.status.phase, next.status.phase), `${s.status.phase} -> ${next.status.phase} on ${happened.kind}`).toBe(
              true,
            );
          releases += commands.filter((c) => c.kind === 'releaseLease').length;
          everHeld ||= next.leaseHeld;
          // An ended rollout never changes again (an input after the end is only recorded).
          // A rollout retrying its cleanup has its outcome and has freed the endpoint: both stay.
          if (s.mode === 'cleanup')
            expect({ outcome: next.status.outcome, phase: next.status.phase, held: next.leaseHeld }).toEqual({
              outcome: s.status.outcome,
              phase: s.status.phase,
              held: false,
            });
          if (s.mode === 'done')
            expect({ mode: next.mode, phase: next.status.phase, outcome: next.status.outcome, held: next.leaseHeld }).toEqual({
              mode: s.mode,
              phase: s.status.phase,
              outcome: s.status.outcome,
              held: s.leaseHeld,
            });
          s = next;
        };
        for (const happened of inputs) step(happened);
        // Then the world lets it go on: it must end within the plan's length and a few more steps.
        for (let n = 0; n < 2 * steps.length + 8 && s.mode !== 'done'; n++) step(onward(s));
        expect(s.mode).toBe('done');
        expect(s.leaseHeld).toBe(false);
        if (everHeld) expect(releases).toBeGreaterThan(0);
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});

// Keep the helper honest: the step phases used above are the table's.
it('the test plan runs in the phases the table gives its steps', () => {
  expect(steps.map((s) => STEP_PHASE[s.kind])).toEqual(['Deploying', 'SmokeTesting', 'Progressing', 'Promoting', 'Promoting']);
});
