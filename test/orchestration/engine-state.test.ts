import { describe, expect, it } from 'vitest';
import {
  decideControl,
  emptyProgress,
  initialStatus,
  isPersonList,
  journal,
  JOURNAL_LIMIT,
  judgeApproval,
  mirrorAfterLiveChange,
  promoteIndex,
  type EngineState,
  type Mode,
} from '../../src/orchestration/engine-state';
import { STEP_PHASE } from '../../src/plan/phases';
import type { ControlEvent } from '../../src/orchestration/events';
import { testInput, testPlan, testSteps } from './engine-fixture';

const input = testInput;
const steps = testSteps;

function state(
  over: { mode?: Mode; stepIndex?: number; paused?: boolean; smokePassed?: string[]; operators?: string[]; promoted?: boolean } = {},
): EngineState {
  const plan = testPlan({ operators: over.operators ?? ['ops@x.com'] });
  const status = initialStatus(input, 0);
  status.paused = over.paused ?? false;
  // The phase a rollout in this mode shows (the phase table decides which controls fit it).
  const mode = over.mode ?? 'forward';
  const stepIndex = over.stepIndex ?? 2;
  status.phase = status.paused
    ? 'Paused'
    : mode === 'forward'
      ? STEP_PHASE[steps[stepIndex]!.kind]
      : mode === 'failedWaiting'
        ? 'Failed'
        : mode === 'rollback'
          ? 'RollingBack'
          : mode === 'queued'
            ? 'Pending'
            : 'Promoted';
  return {
    version: 1,
    plan,
    mode: over.mode ?? 'forward',
    stepIndex: over.stepIndex ?? 2,
    progress: emptyProgress(),
    facts: {
      candidateCreated: true,
      modelReplaced: false,
      smokePassed: over.smokePassed ?? ['green'],
      promoted: over.promoted ?? false,
      verdictWritten: false,
    },
    status,
    leaseHeld: true,
    input,
    executions: 0,
    carriedApprovals: [],
  };
}

const event = (action: ControlEvent['action'], by = 'ops@x.com'): ControlEvent => ({ action, by, atMs: 0 });

describe('decideControl', () => {
  it.each([
    ['abort while running', state(), event('abort'), 'abort'],
    ['abort by a non-operator', state(), event('abort', 'eve@x.com'), 'ignored'],
    ['abort by the system (supersede)', state(), event('abort', 'system:supersede:r2'), 'abort'],
    [
      'abort with a group in the operators list (the API checked it)',
      state({ operators: ['group:ops'] }),
      event('abort', 'eve@x.com'),
      'abort',
    ],
    ['abort while rolling back', state({ mode: 'rollback' }), event('abort'), 'ignored'],
    ['abort after the end', state({ mode: 'done' }), event('abort'), 'ignored'],
    ['pause while running', state(), event('pause'), 'pause'],
    ['pause twice', state({ paused: true }), event('pause'), 'ignored'],
    ['pause while failed', state({ mode: 'failedWaiting' }), event('pause'), 'ignored'],
    ['resume while paused', state({ paused: true }), event('resume'), 'resume'],
    ['resume while not paused', state(), event('resume'), 'ignored'],
    ['promote after the smoke test', state(), event('promote'), 'promote'],
    ['promote before the smoke test', state({ stepIndex: 1, smokePassed: [] }), event('promote'), 'ignored'],
    ['promote at the promote step', state({ stepIndex: 3 }), event('promote'), 'ignored'],
    ['retry while running', state(), event('retry'), 'ignored'],
    ['retry after failing', state({ mode: 'failedWaiting' }), event('retry'), 'retry'],
  ] as const)('%s', (_name, s, e, expected) => {
    expect(decideControl(s, e).kind).toBe(expected);
  });

  it('promote jumps to the plan’s promote step', () => {
    expect(decideControl(state(), event('promote'))).toEqual({ kind: 'promote', toIndex: 3 });
    expect(promoteIndex(state().plan)).toBe(3);
  });

  it('says why a control is ignored', () => {
    const decision = decideControl(state(), event('abort', 'eve@x.com'));
    expect(decision).toEqual({ kind: 'ignored', note: expect.stringContaining("'eve@x.com' is not an operator") });
  });
});

describe('judgeApproval', () => {
  const approval = (over: Partial<{ step: number; rolloutId: string; by: string }> = {}) => ({
    decision: 'approve' as const,
    by: over.by ?? 'alice@x.com',
    step: over.step ?? 4,
    rolloutId: over.rolloutId ?? 'r1',
    atMs: 0,
  });
  it.each([
    ['the awaited step of this rollout', approval(), [], true, undefined],
    ['another step', approval({ step: 3 }), [], false, /meant for step 4, the rollout waits at step 5/],
    ['another rollout', approval({ rolloutId: 'old' }), [], false, /meant for rollout 'old'/],
    ['a listed approver (any case)', approval({ by: 'Alice@X.com' }), ['alice@x.com'], true, undefined],
    ['someone not listed', approval({ by: 'eve@x.com' }), ['alice@x.com'], false, /not an approver/],
    ['anyone when the list has a group (the API checked it)', approval({ by: 'eve@x.com' }), ['group:ml'], true, undefined],
  ] as const)('%s', (_name, e, approvers, accepted, note) => {
    const judged = judgeApproval(e, 'r1', 4, approvers);
    expect(judged.accepted).toBe(accepted);
    if (note) expect(judged.accepted ? '' : judged.note).toMatch(note);
  });

  it('isPersonList is false for empty lists and lists with groups', () => {
    expect(isPersonList([])).toBe(false);
    expect(isPersonList(['a@x.com', 'GROUP:x'])).toBe(false);
    expect(isPersonList(['a@x.com'])).toBe(true);
  });
});

describe('traffic helpers', () => {
  it.each([
    [{ blue: 90, green: 10 }, { green: 20 }, {}],
    [{ blue: 100 }, { green: 20 }, { green: 20 }],
    [{ blue: 100, green: 0 }, { green: 20 }, { green: 20 }],
    [{ green: 100 }, {}, {}],
  ])('live %j with mirror %j keeps mirror %j', (traffic, mirror, expected) => {
    expect(mirrorAfterLiveChange(traffic, mirror)).toEqual(expected);
  });
});

describe('journal', () => {
  it('keeps only the newest entries', () => {
    const s = state();
    for (let i = 0; i < JOURNAL_LIMIT + 15; i++) journal(s, i, `entry ${i}`);
    expect(s.status.journal).toHaveLength(JOURNAL_LIMIT);
    expect(s.status.journal[0]?.message).toBe('entry 15');
    expect(s.status.journal.at(-1)?.message).toBe(`entry ${JOURNAL_LIMIT + 14}`);
  });

  it('records the split with the entry when given', () => {
    const s = state();
    journal(s, 5, 'traffic set', { blue: 90, green: 10 });
    expect(s.status.journal[0]).toEqual({
      atMs: 5,
      step: 2,
      phase: 'Progressing',
      message: 'traffic set',
      traffic: { blue: 90, green: 10 },
    });
    journal(s, 6, 'mirror on', { blue: 100 }, { green: 20 });
    expect(s.status.journal[1]).toMatchObject({ traffic: { blue: 100 }, mirror: { green: 20 } });
  });
});
