import { describe, expect, it } from 'vitest';
import { onApprovalEvent, onApprovalTimeout, type ApprovalWaitStep } from '../../src/orchestration/approval-decider';
import { emptyProgress, initialStatus, type EngineState } from '../../src/orchestration/engine-state';
import type { ApprovalEvent } from '../../src/orchestration/events';
import type { Step } from '../../src/plan/types';
import { testInput, testPlan } from './engine-fixture';

const MIN = 60_000;
const NOW = 500 * MIN;

/** Waiting at step 2 (an approval) of rollout r1. */
function waiting(): EngineState {
  const steps: Step[] = [
    { kind: 'deploy', deployment: 'green', cloneFrom: 'blue', modelId: 'm2' },
    { kind: 'smokeTest', deployment: 'green', requests: 3, maxFailures: 0, payload: {} },
    { kind: 'approval', name: 'release', timeoutMinutes: 60, onTimeout: 'rollback', reminderIntervalMinutes: 30, approvers: ['rm@x.com'] },
    { kind: 'promote' },
  ];
  return {
    version: 1,
    plan: testPlan({ steps }),
    mode: 'forward',
    stepIndex: 2,
    progress: { ...emptyProgress(), startedAtMs: NOW - 10 * MIN, deadlineMs: NOW + 50 * MIN, approvalRequested: true },
    facts: { candidateCreated: true, modelReplaced: false, smokePassed: ['green'], promoted: false, verdictWritten: false },
    status: {
      ...initialStatus(testInput, 0),
      endpoint: 'e',
      phase: 'AwaitingApproval',
      waitingFor: { kind: 'approval', untilMs: NOW + 50 * MIN, detail: "waiting for approval 'release'" },
    },
    leaseHeld: true,
    input: testInput,
    executions: 3,
    carriedApprovals: [],
  };
}

const release = (onTimeout: ApprovalWaitStep['onTimeout']): ApprovalWaitStep => ({
  name: 'release',
  timeoutMinutes: 60,
  onTimeout,
  reminderIntervalMinutes: 30,
  approvers: ['rm@x.com'],
});
const event = (o: Partial<ApprovalEvent> = {}): ApprovalEvent => ({
  decision: 'approve',
  by: 'rm@x.com',
  step: 2,
  rolloutId: 'r1',
  atMs: NOW,
  ...o,
});

describe('onApprovalEvent: what a decision means', () => {
  it.each<[string, ApprovalEvent, string | undefined, boolean, string]>([
    ['an approver approves: advance', event(), 'advance', true, 'approved by rm@x.com'],
    [
      'an approver rejects, with a comment: Rejected',
      event({ decision: 'reject', comment: 'latency' }),
      'rollback',
      true,
      'rejected by rm@x.com: latency',
    ],
    ['case does not matter in the approver list', event({ by: 'RM@x.com' }), 'advance', true, 'approved by RM@x.com'],
    [
      'a stranger: recorded, ignored, still waiting',
      event({ by: 'eve@x.com' }),
      undefined,
      false,
      "approve by eve@x.com ignored: 'eve@x.com' is not an approver (rm@x.com)",
    ],
    [
      'another step: ignored',
      event({ step: 1 }),
      undefined,
      false,
      'approve by rm@x.com ignored: meant for step 2, the rollout waits at step 3',
    ],
    [
      'another rollout (an old link): ignored',
      event({ rolloutId: 'r0' }),
      undefined,
      false,
      "approve by rm@x.com ignored: meant for rollout 'r0', not 'r1'",
    ],
  ])('%s', (_name, e, resultKind, accepted, note) => {
    const state = waiting();
    const decision = onApprovalEvent(state, release('rollback'), e, NOW);
    expect(decision.result?.kind).toBe(resultKind);
    expect(decision.notes).toEqual([note]);
    expect(state.status.approvals.at(-1)).toMatchObject({ by: e.by, decision: e.decision, accepted });
    // The wait is over only for an accepted decision.
    expect(state.status.waitingFor === undefined).toBe(accepted);
  });

  it('a rejection ends Rejected with who and why', () => {
    expect(onApprovalEvent(waiting(), release('rollback'), event({ decision: 'reject', comment: 'no' }), NOW).result).toEqual({
      kind: 'rollback',
      outcome: 'rejected',
      reason: 'rejected by rm@x.com: no',
    });
  });
});

describe('onApprovalTimeout: the policy’s onTimeout', () => {
  it.each<[ApprovalWaitStep['onTimeout'], unknown, boolean]>([
    ['rollback', { kind: 'rollback', outcome: 'rolledBack', reason: "approval 'release' timed out after 60 min" }, false],
    ['promote', { kind: 'advance' }, false],
    ['remind', { kind: 'stay' }, true],
  ])('%s', (onTimeout, result, remind) => {
    const state = waiting();
    const decision = onApprovalTimeout(state, release(onTimeout), NOW);
    expect(decision.result).toEqual(result);
    expect(decision.remind === true).toBe(remind);
    expect(state.status.waitingFor).toBeUndefined();
  });

  it('each reminder counts and moves the deadline one interval on (paused time kept out)', () => {
    const state = waiting();
    state.progress.pausedMs = 5 * MIN;
    onApprovalTimeout(state, release('remind'), NOW);
    expect(state.progress.reminders).toBe(1);
    expect(state.progress.deadlineMs).toBe(NOW + 30 * MIN - 5 * MIN);
    const second = onApprovalTimeout(state, release('remind'), NOW + 30 * MIN);
    expect(second.notes).toEqual(["approval 'release' still pending; reminder 2 sent"]);
  });
});
