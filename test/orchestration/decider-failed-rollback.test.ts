/**
 * Issue 10, the reliability leftovers, by tables and a property:
 *   - a rollback that cannot restore traffic is retried automatically with the cleanup back-off
 *     inside one window from its first failure, notified once, shown on the status; an operator
 *     may still retry now or abort; when the window ends the reason names every deployment left
 *     and the traffic it holds;
 *   - an operator's abort stops the delete retries after a rollback (mode 'cleanup'), on both
 *     sides: the API accepts it (the phase table's cleanupActions) and the decider ends them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkControlFits } from '../../src/api/rollouts';
import { decide, promotedRetryDelayMinutes, type Command, type DeciderInput } from '../../src/orchestration/decider';
import {
  decideControl,
  emptyProgress,
  FAILED_RETRY_WINDOW_MINUTES,
  initialStatus,
  type EngineState,
} from '../../src/orchestration/engine-state';
import { actionsNow, OPERATOR_ACTIONS, PHASE_TABLE } from '../../src/plan/phases';
import { PHASES, type RolloutStatus } from '../../src/plan/types';
import { runningInstance as instance, testInput, testPlan } from './engine-fixture';

const MINUTE = 60_000;
const WINDOW_MS = FAILED_RETRY_WINDOW_MINUTES * MINUTE;

/** A canary rollout rolling back (candidate 'green' created, 10% on it), holding the lease. */
function rollingBack(over: { traffic?: Record<string, number>; mirror?: Record<string, number> } = {}): EngineState {
  const status = initialStatus(testInput, 0);
  status.phase = 'RollingBack';
  status.endpoint = 'e';
  status.traffic = over.traffic ?? { blue: 90, green: 10 };
  status.mirror = over.mirror ?? {};
  return {
    version: 1,
    plan: testPlan(),
    mode: 'rollback',
    stepIndex: 2,
    progress: emptyProgress(),
    facts: { candidateCreated: true, modelReplaced: false, smokePassed: ['green'], promoted: false, verdictWritten: false },
    status,
    leaseHeld: true,
    input: testInput,
    executions: 0,
    carriedApprovals: [],
    pending: { outcome: 'rejected', reason: 'rejected by alice' },
  };
}

type Happened = DeciderInput extends infer I ? (I extends DeciderInput ? Omit<I, 'atMs'> : never) : never;
const kinds = (commands: readonly Command[]): string[] =>
  commands.map((c) => (c.kind === 'finish' ? `finish:${c.outcome}` : c.kind === 'notify' ? `notify:${c.notification}` : c.kind));

/** Runs inputs at the given minutes; returns every decision. */
function run(start: EngineState, inputs: readonly (readonly [number, Happened])[]) {
  let s = start;
  return inputs.map(([minute, happened]) => {
    const d = decide(s, { ...happened, atMs: minute * MINUTE } as DeciderInput);
    s = d.state;
    return d;
  });
}

describe('a rollback that cannot restore traffic', () => {
  // Rows: (inputs at minutes) -> (mode, phase, outcome, commands of the last input, lease held).
  const TABLE = [
    {
      name: 'the first failure: Failed, notified, retried after 5 minutes',
      inputs: [[0, { kind: 'rollbackFailed', reason: 'ARM 409' }]],
      expected: { mode: 'failedWaiting', phase: 'Failed', outcome: 'failed', commands: ['finish:failed'], leaseHeld: true },
    },
    {
      name: 'the back-off is over: rolling back again, automatically',
      inputs: [
        [0, { kind: 'rollbackFailed', reason: 'ARM 409' }],
        [5, { kind: 'rollbackRetryDue' }],
      ],
      expected: { mode: 'rollback', phase: 'RollingBack', outcome: undefined, commands: [], leaseHeld: true },
    },
    {
      name: 'before the back-off is over the retry is not due (recorded as ignored)',
      inputs: [
        [0, { kind: 'rollbackFailed', reason: 'ARM 409' }],
        [4, { kind: 'rollbackRetryDue' }],
      ],
      expected: { mode: 'failedWaiting', phase: 'Failed', outcome: 'failed', commands: [], leaseHeld: true },
    },
    {
      name: 'a later failure: Failed again, not notified again',
      inputs: [
        [0, { kind: 'rollbackFailed', reason: 'ARM 409' }],
        [5, { kind: 'rollbackRetryDue' }],
        [6, { kind: 'rollbackFailed', reason: 'ARM 409' }],
      ],
      expected: { mode: 'failedWaiting', phase: 'Failed', outcome: 'failed', commands: [], leaseHeld: true },
    },
    {
      name: 'a retry succeeds: the pending outcome, the lease released',
      inputs: [
        [0, { kind: 'rollbackFailed', reason: 'ARM 409' }],
        [5, { kind: 'rollbackRetryDue' }],
        [6, { kind: 'rollbackDone' }],
      ],
      expected: { mode: 'done', phase: 'Rejected', outcome: 'rejected', commands: ['finish:rejected', 'releaseLease'], leaseHeld: false },
    },
    {
      name: 'an operator retries now, before the back-off is over',
      inputs: [
        [0, { kind: 'rollbackFailed', reason: 'ARM 409' }],
        [1, { kind: 'retry', by: 'ops' }],
      ],
      expected: { mode: 'rollback', phase: 'RollingBack', outcome: undefined, commands: [], leaseHeld: true },
    },
    {
      name: 'an operator aborts: rolling back again, to end Aborted',
      inputs: [
        [0, { kind: 'rollbackFailed', reason: 'ARM 409' }],
        [1, { kind: 'abort', by: 'ops' }],
        [2, { kind: 'rollbackDone' }],
      ],
      expected: { mode: 'done', phase: 'Aborted', outcome: 'aborted', commands: ['finish:aborted', 'releaseLease'], leaseHeld: false },
    },
    {
      name: 'the window ends: stays Failed, the lease released',
      inputs: [
        [0, { kind: 'rollbackFailed', reason: 'ARM 409' }],
        [24 * 60, { kind: 'retryWindowEnded' }],
      ],
      expected: { mode: 'done', phase: 'Failed', outcome: 'failed', commands: ['releaseLease'], leaseHeld: false },
    },
  ] as const;

  it.each(TABLE.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const decisions = run(rollingBack(), row.inputs);
    const last = decisions.at(-1);
    const s = last?.state;
    expect({
      mode: s?.mode,
      phase: s?.status.phase,
      outcome: s?.status.outcome,
      commands: kinds(last?.commands ?? []),
      leaseHeld: s?.leaseHeld,
    }).toEqual(row.expected);
  });

  it('is retried with the cleanup back-off inside one window from its first failure, each failure shown on the status and journaled', () => {
    let s = rollingBack();
    let minute = 0;
    const delays: number[] = [];
    const notified: string[][] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      const failed = decide(s, { kind: 'rollbackFailed', reason: `ARM 409 #${attempt}`, atMs: minute * MINUTE });
      notified.push(kinds(failed.commands));
      s = failed.state;
      const retrying = s.status.retrying;
      expect(retrying).toMatchObject({ failures: attempt, error: `ARM 409 #${attempt}` });
      expect(s.failedUntilMs, 'the window runs from the first failure').toBe(WINDOW_MS);
      expect(s.status.waitingFor).toMatchObject({ kind: 'resume', untilMs: WINDOW_MS });
      expect(s.status.journal.at(-1)?.message).toContain(`rollback attempt ${attempt} failed (ARM 409 #${attempt})`);
      const next = (retrying?.nextAttemptAtMs ?? 0) / MINUTE;
      delays.push(next - minute);
      minute = next;
      s = decide(s, { kind: 'rollbackRetryDue', atMs: minute * MINUTE }).state;
      expect(s.mode).toBe('rollback');
      minute += 1;
    }
    expect(delays).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map(promotedRetryDelayMinutes));
    expect(notified).toEqual([['finish:failed'], [], [], [], [], [], [], []]);
  });

  it('names every deployment left and the traffic it holds when the window ends', () => {
    const cases: { traffic: Record<string, number>; mirror: Record<string, number>; left: string }[] = [
      {
        traffic: { blue: 90, green: 10 },
        mirror: {},
        left: "'green' (the candidate) is left holding 10% of live traffic, 'blue' (the baseline) is left holding 90% of live traffic",
      },
      { traffic: { blue: 100 }, mirror: { green: 20 }, left: "'green' (the candidate) is left holding 0% of live traffic, mirrored 20%" },
      {
        traffic: { green: 100 },
        mirror: {},
        left: "'green' (the candidate) is left holding 100% of live traffic, 'blue' (the baseline) is left holding 0% of live traffic",
      },
    ];
    for (const c of cases) {
      const [failed, ended] = run(rollingBack({ traffic: c.traffic, mirror: c.mirror }), [
        [0, { kind: 'rollbackFailed', reason: 'ARM 409' }],
        [24 * 60, { kind: 'retryWindowEnded' }],
      ]);
      expect(failed?.state.status.reason).toBe(
        `rollback failed: ARM 409 (after: rejected by alice); retry 2 at ${new Date(5 * MINUTE).toISOString()}`,
      );
      const s = ended?.state;
      expect(s?.status.reason).toBe(
        `${failed?.state.status.reason}; the rollback did not succeed after 1 attempts within the window: ${c.left}; move the traffic back and delete it by hand, or start a new rollout`,
      );
      expect(s?.status.retrying).toBeUndefined();
      expect(s?.status.journal.at(-1)?.message).toContain(c.left);
    }
  });

  it('over random failures and retries: one window from the first failure, one notification, and the end names the candidate', () => {
    const step = fc.constantFrom<Happened>(
      { kind: 'rollbackFailed', reason: '409' },
      { kind: 'rollbackRetryDue' },
      { kind: 'retry', by: 'ops' },
      { kind: 'abort', by: 'ops' },
      { kind: 'retryWindowEnded' },
      { kind: 'rollbackDone' },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(step, fc.integer({ min: 0, max: 300 })), { maxLength: 30 }), (inputs) => {
        let s = decide(rollingBack(), { kind: 'rollbackFailed', reason: '409', atMs: 0 }).state;
        let minute = 0;
        let failedNotices = 1;
        for (const [happened, gap] of inputs) {
          minute += gap;
          const d = decide(s, { ...happened, atMs: minute * MINUTE } as DeciderInput);
          failedNotices += d.commands.filter((c) => c.kind === 'finish' && c.outcome === 'failed').length;
          s = d.state;
          if (s.mode === 'failedWaiting') expect(s.failedUntilMs).toBe(WINDOW_MS);
          if (s.mode === 'done') break;
        }
        expect(failedNotices).toBe(1);
        if (s.mode === 'done' && s.status.outcome === 'failed')
          expect(s.status.reason).toContain("'green' (the candidate) is left holding");
      }),
      { numRuns: 300, seed: 10 },
    );
  });
});

// ---------------------------------------------------------------- abort during cleanup retries

/** Rolled back (or aborted), the candidate at 0% and its delete retried. */
function retryingCleanup(): EngineState {
  return decide(rollingBack(), { kind: 'rollbackDone', leftover: { deployment: 'green', error: 'ARM 500' }, atMs: 0 }).state;
}

describe('abort during cleanup retries', () => {
  it('stops the retries: the outcome stands, the deployment is named as left by whom, nothing released twice, notified', () => {
    const s = retryingCleanup();
    expect({ mode: s.mode, phase: s.status.phase, leaseHeld: s.leaseHeld }).toEqual({
      mode: 'cleanup',
      phase: 'Rejected',
      leaseHeld: false,
    });
    expect(decideControl(s, { action: 'abort', by: 'ops@x.com', atMs: 0 })).toEqual({ kind: 'abort' });
    const d = decide(s, { kind: 'abort', by: 'ops@x.com', atMs: 3 * MINUTE });
    expect({
      mode: d.state.mode,
      phase: d.state.status.phase,
      outcome: d.state.status.outcome,
      retrying: d.state.status.retrying,
      cleanup: d.state.cleanup,
      commands: d.commands,
    }).toEqual({
      mode: 'done',
      phase: 'Rejected',
      outcome: 'rejected',
      retrying: undefined,
      cleanup: undefined,
      commands: [{ kind: 'notify', notification: 'cleanupFailed', deployment: 'green' }],
    });
    expect(d.state.status.reason).toBe(
      "rejected by alice; 'green' is left at 0% (delete failed: ARM 500), retrying; 'green' is left at 0% by ops@x.com's request after 1 failed delete(s) (ARM 500); delete it by hand",
    );
    // Over: a second abort is recorded as ignored.
    expect(decideControl(d.state, { action: 'abort', by: 'ops@x.com', atMs: 0 })).toMatchObject({ kind: 'ignored' });
  });

  it('other controls stay refused while the delete is retried, on both sides', () => {
    const s = retryingCleanup();
    const status = s.status as RolloutStatus;
    for (const action of OPERATOR_ACTIONS) {
      const api = (() => {
        try {
          checkControlFits(action, instance(status), status);
          return 'accepted';
        } catch (error) {
          return (error as Error).message;
        }
      })();
      const decision = decideControl(s, { action, by: 'ops@x.com', atMs: 0 });
      if (action === 'abort') {
        expect(api).toBe('accepted');
        expect(decision.kind).toBe('abort');
      } else {
        expect(api).toBe(
          `rollout r1 has ended (Rejected); only abort is possible while a failed delete is retried; ${action} is not possible`,
        );
        expect(decision.kind).toBe('ignored');
      }
    }
    // Without retries a terminal phase accepts nothing.
    const over = { ...status, retrying: undefined };
    expect(() => checkControlFits('abort', instance(over), over)).toThrow('rollout r1 has ended (Rejected); abort is not possible');
  });

  it('the phase table says which actions a rollout accepts now, for every phase with and without retries', () => {
    for (const phase of PHASES) {
      const info = PHASE_TABLE[phase];
      expect(actionsNow({ phase })).toEqual(info.terminal ? [] : info.actions);
      expect(actionsNow({ phase, retrying: { failures: 1 } })).toEqual(info.terminal ? ['abort'] : info.actions);
    }
  });
});

// ---------------------------------------------------------------- a pause ends with the walk of the plan

describe('a rollout that fails or rolls back while paused', () => {
  /** Paused in Deploying (the create was in flight when the pause came). */
  function pausedWhileDeploying(touched: boolean): EngineState {
    const s = rollingBack();
    s.mode = 'forward';
    s.stepIndex = 0;
    s.pending = undefined;
    s.status.phase = 'Paused';
    s.status.paused = true;
    s.pausedFromPhase = 'Deploying';
    s.progress = { ...emptyProgress(), startedAtMs: 0, pausedAtMs: MINUTE };
    s.facts.candidateCreated = touched;
    return s;
  }

  it.each([
    ['nothing deployed: Failed, and a retry walks the plan again', false, 'failedWaiting', 'Failed'],
    ['the candidate created: rolling back', true, 'rollback', 'RollingBack'],
  ] as const)('%s, no longer paused', (_name, touched, mode, phase) => {
    const failed = decide(pausedWhileDeploying(touched), { kind: 'stepFailed', reason: 'ARM 500', atMs: 2 * MINUTE }).state;
    expect({ mode: failed.mode, phase: failed.status.phase, paused: failed.status.paused, from: failed.pausedFromPhase }).toEqual({
      mode,
      phase,
      paused: false,
      from: undefined,
    });
    if (mode !== 'failedWaiting') return;
    // Found by the chaos run of seed 1205: the retry started paused in phase Failed, which accepts
    // no resume, and waited forever (ends-within-bound).
    const retried = decide(failed, { kind: 'retry', by: 'ops', atMs: 3 * MINUTE }).state;
    const started = decide(retried, { kind: 'stepStarted', atMs: 3 * MINUTE }).state;
    expect({ mode: started.mode, phase: started.status.phase, paused: started.status.paused }).toEqual({
      mode: 'forward',
      phase: 'Deploying',
      paused: false,
    });
  });
});
