/**
 * The engine by table: (execution, input) -> (commands, cursor, state), over `advance` (engine.ts).
 *
 * Each row BUILDS an execution at a position (an EngineState from engine-fixture.ts and a cursor of
 * frames written here, root first), hands it one input and checks what advance answers: the
 * commands (immediate ones first, then the one it stops at), the frames left on the cursor
 * (machine@at, root first), and the state changes that matter (mode, phase, step, the journal's
 * last line, what the status says it waits for). Any position of a rollout is a value, so any
 * position can be tested without running the rollout up to it.
 *
 * Tables: every operator control (pause, resume, abort, promote, retry) at each kind of wait (a
 * bake's, a gate's, an A/B test's, an approval's, a cleanup step's keep, a promoted step's retry
 * back-off, a failed rollout, a queued rollout's lease poll, a paused step, a racing create, the
 * delete retries after the outcome, the drain), and who may send them; every activity / entity
 * failure that has a handler; the errors that escape advance (only past the root: where the
 * generators had no try/catch either); the end of an execution.
 */
import { describe, expect, it } from 'vitest';
import { advance, type Execution } from '../../src/orchestration/engine';
import type { EngineCommand, EngineInput, Frame } from '../../src/orchestration/engine-io';
import type { EngineState } from '../../src/orchestration/engine-state';
import type { Plan, Step } from '../../src/plan/types';
import { ACTIVITY } from '../../src/orchestration/activity-names';
import { endpointLeaseKey } from '../../src/orchestration/endpoint-lease';
import { runStepFrame, type RunStepFrame } from '../../src/orchestration/step-machine';
import { waitForFrame } from '../../src/orchestration/wait-machine';
import { activityAnswer, stateAtStep, waitingPlan, waitingSteps } from './engine-fixture';

const MINUTE_MS = 60_000;
/** When the step under way started, and the clock of every row (five minutes later). */
const T0 = Date.UTC(2026, 0, 5, 9);
const NOW = T0 + 5 * MINUTE_MS;

// ---------------------------------------------------------------- building positions

const plan = waitingPlan();
const stepAt = (index: number): Step => {
  const step = plan.steps[index];
  if (!step) throw new Error(`no step ${index}`);
  return step;
};
const DEPLOY = stepAt(0);
const SMOKE = stepAt(1);
const TRAFFIC = stepAt(2);
const BAKE = stepAt(3);
const APPROVAL = stepAt(4);
const CLEANUP = stepAt(6);

/** The A/B variant: step 4 decides the winner (Analyzing), the promote step is step 5. */
const abPlan = waitingPlan({
  strategy: 'abTest',
  steps: [
    ...waitingSteps.slice(0, 2),
    { kind: 'setTraffic', traffic: { blue: 50, green: 50 } },
    { kind: 'decideWinner', gate: 'ab', minRequestsPerArm: 100, maxWaitMinutes: 60, checkIntervalMinutes: 10 },
    ...waitingSteps.slice(5),
  ],
});
const WINNER = abPlan.steps[3] as Step;

/** A frame at a stop, with its locals (the machines' own frame types are private to their files). */
const frame = (machine: string, at: string, locals: Record<string, unknown> = {}): Frame => ({ machine, at, ...locals }) as Frame;

/** The root of a continued execution, at one of its stops (waiting for its unit: 'unitDone'). */
const root = (at = 'unitDone'): Frame => frame('execution', at, { continuation: true });
const forward = (index: number, at = 'stepRan'): Frame => frame('forwardUnit', at, { index });
const running = (step: Step, at: RunStepFrame['at']): Frame => ({ ...runStepFrame(step), at });
/** A wait whose harvest was asked (its answer is the row's input). */
const waiting = (untilMs: number | undefined, approval = false, at = 'harvested'): Frame => ({
  ...waitForFrame(untilMs, { approval }),
  at,
});
const leaseKey = endpointLeaseKey(plan.target);
const createInput = {
  target: plan.target,
  deployment: 'green',
  cloneFrom: 'blue',
  modelId: 'm2',
  rolloutId: 'r1',
};
const racing = (at: string, winner: unknown, over: Record<string, unknown> = {}): Frame =>
  frame('callRacingControls', at, {
    name: ACTIVITY.createDeployment,
    input: createInput,
    again: false,
    settling: false,
    winner,
    ...over,
  });

/** The state at step `index` of the waiting plan, in `phase`, changed by `change`. */
function at(
  index: number,
  phase: EngineState['status']['phase'],
  change: (s: EngineState) => void = () => {},
  p: Plan = plan,
): () => EngineState {
  return () => {
    const state = stateAtStep(p, index, phase, T0);
    change(state);
    return state;
  };
}

const failedState = (from: NonNullable<EngineState['failedFrom']>, index = 3) =>
  at(index, 'Failed', (s) => {
    s.mode = 'failedWaiting';
    s.failedFrom = from;
    s.failedUntilMs = T0 + 24 * 60 * MINUTE_MS;
    s.status.outcome = 'failed';
    s.status.reason = 'step 4 (bake) failed: boom';
    s.status.waitingFor = { kind: 'resume', untilMs: s.failedUntilMs, detail: 'failed: an operator may retry or abort' };
  });
const queuedState = at(0, 'Pending', (s) => {
  s.mode = 'queued';
  s.leaseHeld = false;
  s.progress.startedAtMs = undefined;
  s.facts.candidateCreated = false;
});
const pausedState = at(3, 'Paused', (s) => {
  s.status.paused = true;
  s.pausedFromPhase = 'Baking';
  s.progress.pausedAtMs = T0 + MINUTE_MS;
  s.status.waitingFor = { kind: 'resume', detail: 'paused by an operator; resume, promote or abort' };
});
const approvalState = at(4, 'AwaitingApproval', (s) => {
  s.progress.deadlineMs = T0 + 60 * MINUTE_MS;
  s.progress.approvalRequested = true;
});
const rollingBack = at(3, 'RollingBack', (s) => {
  s.mode = 'rollback';
  s.pending = { outcome: 'aborted', reason: 'aborted by alice@x.com' };
  s.status.reason = 'aborted by alice@x.com';
});
const cleaningUp = (sinceMs: number) =>
  at(3, 'Aborted', (s) => {
    s.mode = 'cleanup';
    s.leaseHeld = false;
    s.status.outcome = 'aborted';
    s.cleanup = { deployment: 'green', failures: 1, retryAtMs: NOW, sinceMs, error: 'refused' };
    s.status.retrying = { step: 3, failures: 1, error: 'refused', nextAttemptAtMs: NOW };
  });
/** Ended (rolled back), its verdict and notification under way inside the apply of rollbackDone. */
const rolledBack = at(3, 'RolledBack', (s) => {
  s.mode = 'done';
  s.status.outcome = 'rolledBack';
  s.status.reason = 'aborted by alice@x.com';
});
/** The default undo writes the baseline's 100% back (its answer is the row's input). */
const rollbackTrafficSet = [
  root(),
  frame('rollbackUnit', 'rolledBack'),
  frame('rollBack', 'undone', { index: 0 }),
  frame('defaultRollback', 'trafficSet'),
  frame('writeTraffic', 'set', { traffic: { blue: 100 }, mirror: {} }),
];
const finishing = [
  root(),
  frame('rollbackUnit', 'applied'),
  frame('apply', 'finished', {
    happened: { kind: 'rollbackDone' },
    commands: [{ kind: 'finish', outcome: 'rolledBack', reason: 'aborted by alice@x.com' }, { kind: 'releaseLease' }],
    index: 0,
  }),
];

// ---------------------------------------------------------------- inputs

const control = (action: string, by = 'alice@x.com'): unknown => ({ action, by, atMs: NOW });
const harvested = (...controls: unknown[]): EngineInput => ({ kind: 'harvested', controls, approvals: [] });
const failed = (code: string, message: string): EngineInput => ({ kind: 'activityFailed', error: { code, message }, atMs: NOW });
const entityFailed = (message: string): EngineInput => ({ kind: 'entityFailed', error: { code: 'Internal', message }, atMs: NOW });

// ---------------------------------------------------------------- reading the answer

/** A command in one line: what matters of it (the activity, the timer relative to NOW, the harvest's scope). */
function described(command: EngineCommand): string {
  switch (command.kind) {
    case 'log':
      return `log: ${command.message}`;
    case 'harvest':
      return command.controlsOnly ? 'harvest(controls)' : 'harvest(all)';
    case 'callActivity':
      return `call ${command.name}${command.retry ? ' (retry)' : ''}`;
    case 'raceActivity':
      return `race ${command.name}`;
    case 'wait':
      return `wait(${command.untilMs === undefined ? 'no timer' : `+${(command.untilMs - NOW) / MINUTE_MS}m`}${command.approval ? ', approval' : ''})`;
    case 'callEntity':
      return `entity ${command.operation}`;
    default:
      return command.kind;
  }
}

interface Expected {
  commands: string[];
  /** The cursor after, root first, as machine@at ([] once the execution ended). */
  cursor: string[];
  mode?: EngineState['mode'];
  phase?: EngineState['status']['phase'];
  stepIndex?: number;
  /** The journal's last line. */
  journal?: string;
  /** What the status says it waits for (null: nothing). */
  waitingFor?: string | null;
  end?: 'complete' | 'continueAsNew';
}

interface Row {
  name: string;
  state: () => EngineState;
  cursor: Frame[];
  input: EngineInput;
  expect: Expected;
}

function check(row: Row): void {
  const execution: Execution = { state: row.state(), cursor: structuredClone(row.cursor), nowMs: NOW };
  const { commands } = advance(execution, row.input);
  const { state } = execution;
  const e = row.expect;
  expect(commands.map(described)).toEqual(e.commands);
  expect(execution.cursor.map((f) => `${f.machine}@${f.at}`)).toEqual(e.cursor);
  if (e.mode !== undefined) expect(state.mode).toBe(e.mode);
  if (e.phase !== undefined) expect(state.status.phase).toBe(e.phase);
  if (e.stepIndex !== undefined) expect(state.stepIndex).toBe(e.stepIndex);
  if (e.journal !== undefined) expect(state.status.journal.at(-1)?.message).toBe(e.journal);
  if (e.waitingFor !== undefined) expect(state.status.waitingFor?.kind ?? null).toBe(e.waitingFor);
  expect(execution.end?.kind).toBe(e.end);
  // Every frame left is JSON: the position can be stored and built again.
  expect(JSON.parse(JSON.stringify(execution.cursor))).toEqual(execution.cursor);
}

// ---------------------------------------------------------------- operator controls at each kind of wait

const ALICE = 'alice@x.com';
const ACTIONS = ['pause', 'resume', 'abort', 'promote', 'retry'] as const;
type Action = (typeof ACTIONS)[number];
type Phase = EngineState['status']['phase'];
const ignored = (action: string, why: string, by = ALICE): string => `log: ${action} by ${by} ignored: ${why}`;

/** A place a rollout waits at, built, and what it looks like when a control changes nothing there. */
interface Place {
  label: string;
  state: () => EngineState;
  cursor: Frame[];
  /** The cursor (root first) when the wait goes on. */
  waiting: string[];
  /** The command it waits at again when the control changes nothing. */
  again: string;
  /** The command it waits at once paused. */
  pausedAgain?: string;
  phase: Phase;
  /** The phase table's actions in that phase, as the note lists them. */
  possible: string;
}

/** What a control does at a place. */
interface Effect {
  says: string;
  expect: (place: Place, action: Action) => Expected;
}

/** The control is noted and the wait goes on, nothing else changed. */
const refused = (why?: string): Effect => ({
  says: why === undefined ? 'ignored (not possible in this phase)' : 'ignored',
  expect: (p, a) => ({
    commands: [
      why === undefined ? ignored(a, `${a} is not possible in phase ${p.phase} (possible: ${p.possible})`) : ignored(a, why),
      'publish',
      p.again,
    ],
    cursor: p.waiting,
    mode: p.state().mode,
    phase: p.phase,
  }),
});
const notPossible = refused();
const pauses: Effect = {
  says: 'Paused, waiting for resume',
  expect: (p) => ({
    commands: [`log: paused by ${ALICE}`, 'publish', p.pausedAgain ?? 'wait(no timer)'],
    cursor: p.waiting,
    mode: 'forward',
    phase: 'Paused',
    journal: `paused by ${ALICE}`,
    ...(p.pausedAgain === undefined ? { waitingFor: 'resume' } : {}),
  }),
};
/** The step's result is a rollback (RollingBack); the unit ends: publish, and the drain harvests. */
const rollsBack: Effect = {
  says: 'RollingBack',
  expect: () => ({
    commands: [`log: abort requested by ${ALICE}`, 'publish', 'harvest(all)'],
    cursor: ['execution@harvested'],
    mode: 'rollback',
    phase: 'RollingBack',
  }),
};
/** Promote-now: the step index jumps to the promote step; the unit ends. */
const jumps = (toIndex: number): Effect => ({
  says: `jumps to step ${toIndex + 1}`,
  expect: (p) => ({
    commands: [`log: promote now requested by ${ALICE}: skipping to step ${toIndex + 1}`, 'publish', 'harvest(all)'],
    cursor: ['execution@harvested'],
    mode: 'forward',
    stepIndex: toIndex,
    journal: `skipping steps ${p.state().stepIndex + 1}..${toIndex} (promote now)`,
  }),
});
const custom = (says: string, expected: Expected): Effect => ({ says, expect: () => expected });

/** One row per control at the place. */
const controlsAt = (place: Place, effects: Record<Action, Effect>): Row[] =>
  ACTIONS.map((action) => ({
    name: `${place.label}: ${action} -> ${effects[action].says}`,
    state: place.state,
    cursor: place.cursor,
    input: harvested(control(action)),
    expect: effects[action].expect(place, action),
  }));
/** A row at the place with another input. */
const rowAt = (place: Place, name: string, input: EngineInput, expected: Expected): Row => ({
  name: `${place.label}: ${name}`,
  state: place.state,
  cursor: place.cursor,
  input,
  expect: expected,
});

const stepWaitTop = (machine: string): string[] => [
  'execution@unitDone',
  'forwardUnit@stepRan',
  'runStep@delegated',
  `${machine}@waited`,
  'waitFor@waited',
];
const RUNNING = 'abort, pause, promote';

/** A bake or gate step (step 4) whose loop waits for its next look at NOW + 5 min. */
const lookWait = (label: string, step: Step, state: () => EngineState, phase: Phase): Place => ({
  label,
  state,
  cursor: [root(), forward(3), running(step, 'delegated'), frame('bakeLoop', 'waited', { step, rounds: 0 }), waiting(NOW + 5 * MINUTE_MS)],
  waiting: stepWaitTop('bakeLoop'),
  again: 'wait(+5m)',
  phase,
  possible: RUNNING,
});
const bake = lookWait("a bake's wait (Baking)", BAKE, at(3, 'Baking'), 'Baking');
const bakeState = bake.state;
const bakeWait = bake.cursor;

/** A gate step (Analyzing) in place of the bake. */
const gatePlan = waitingPlan({
  steps: waitingSteps.map((step, i) =>
    i === 3 ? { kind: 'gate', gates: ['errors'], retryIntervalMinutes: 5, maxExtensionMinutes: 0, noDataOutcome: 'rollback' } : step,
  ),
});
const gate = lookWait(
  "a gate's wait (Analyzing)",
  gatePlan.steps[3] as Step,
  at(3, 'Analyzing', () => {}, gatePlan),
  'Analyzing',
);

/** The A/B plan's decideWinner collects data until its next look at NOW + 5 min. */
const abWait: Place = {
  label: "an A/B test's wait for data (Analyzing)",
  state: at(3, 'Analyzing', () => {}, abPlan),
  cursor: [
    root(),
    forward(3),
    running(WINNER, 'delegated'),
    frame('decideWinner', 'waited', { step: WINNER, rounds: 0, sinceMs: T0, endMs: T0 + 60 * MINUTE_MS, look: 0 }),
    waiting(NOW + 5 * MINUTE_MS),
  ],
  waiting: stepWaitTop('decideWinner'),
  again: 'wait(+5m)',
  phase: 'Analyzing',
  possible: RUNNING,
};

/** The approval 'go' (step 5), requested, waits until T0 + 60 min. */
const approval: Place = {
  label: "an approval's wait (AwaitingApproval)",
  state: approvalState,
  cursor: [
    root(),
    forward(4),
    running(APPROVAL, 'delegated'),
    frame('approvalWait', 'waited', { step: APPROVAL, askedWhy: undefined, why: undefined, rounds: 0 }),
    waiting(T0 + 60 * MINUTE_MS, true),
  ],
  waiting: stepWaitTop('approvalWait'),
  again: 'wait(+55m, approval)',
  phase: 'AwaitingApproval',
  possible: RUNNING,
};

/** The cleanup step keeps 'blue' until T0 + 60 min (promoted). */
const keep: Place = {
  label: "a cleanup step's keep (Promoting, promoted)",
  state: at(6, 'Promoting'),
  cursor: [root(), forward(6), running(CLEANUP, 'kept'), waiting(T0 + 60 * MINUTE_MS)],
  waiting: ['execution@unitDone', 'forwardUnit@stepRan', 'runStep@kept', 'waitFor@waited'],
  again: 'wait(+55m)',
  phase: 'Promoting',
  possible: 'abort',
};

/** The cleanup step failed once after promotion: its back-off runs to NOW + 3 min. */
const retryingState = at(6, 'Promoting', (s) => {
  s.progress.failures = 1;
  s.progress.retryAtMs = NOW + 3 * MINUTE_MS;
  s.status.retrying = { step: 6, failures: 1, error: 'refused', nextAttemptAtMs: NOW + 3 * MINUTE_MS };
  s.status.waitingFor = { kind: 'timer', untilMs: NOW + 3 * MINUTE_MS, detail: 'retrying step 7 (cleanup) after 1 failure(s)' };
});
const backOff: Place = {
  label: "a promoted step's retry back-off (Promoting)",
  state: retryingState,
  cursor: [root(), forward(6, 'retryWaited'), waiting(NOW + 3 * MINUTE_MS)],
  waiting: ['execution@unitDone', 'forwardUnit@retryWaited', 'waitFor@waited'],
  again: 'wait(+3m)',
  phase: 'Promoting',
  possible: 'abort',
};
const retryBackOff = backOff.cursor;

/** Failed: sleeps until its next look at the lease (NOW + 15 min). */
const failedAt = (from: NonNullable<EngineState['failedFrom']>, index = 3): Place => ({
  label: `a failed rollout's wait (Failed in ${from})`,
  state: failedState(from, index),
  cursor: [root(), frame('failedUnit', 'waited', { untilMs: T0 + 24 * 60 * MINUTE_MS }), waiting(NOW + 15 * MINUTE_MS)],
  waiting: ['execution@unitDone', 'failedUnit@waited', 'waitFor@waited'],
  again: 'wait(+15m)',
  phase: 'Failed',
  possible: 'retry, abort',
});
const failedForward = failedAt('forward');
const failedWait = failedForward.cursor;

/** Queued behind 'r0': the next poll of the lease at NOW + 1 min. */
const queued: Place = {
  label: "a queued rollout's lease poll (Pending)",
  state: queuedState,
  cursor: [root(), frame('leaseUnit', 'waited', { rounds: 0, waited: true, holder: 'r0', leaseKey }), waiting(NOW + MINUTE_MS)],
  waiting: ['execution@unitDone', 'leaseUnit@waited', 'waitFor@waited'],
  again: 'wait(+1m)',
  phase: 'Pending',
  possible: 'abort',
};
const leaseWait = queued.cursor;

/** A paused bake: the forward unit waits with no timer. */
const paused: Place = {
  label: 'a paused step (Paused)',
  state: pausedState,
  cursor: [root(), forward(3, 'waited'), waiting(undefined)],
  waiting: ['execution@unitDone', 'forwardUnit@waited', 'waitFor@waited'],
  again: 'wait(no timer)',
  phase: 'Paused',
  possible: 'resume, abort, promote',
};
const pausedWait = paused.cursor;

/** The create of 'green' is in flight and a control listener completed first: the harvest's answer. */
const deployState = at(0, 'Deploying', (s) => {
  s.facts.candidateCreated = true;
});
const race: Place = {
  label: 'a racing create (Deploying)',
  state: deployState,
  cursor: [root(), forward(0), running(DEPLOY, 'deployed'), racing('harvested', 'control')],
  waiting: ['execution@unitDone', 'forwardUnit@stepRan', 'runStep@deployed', 'callRacingControls@raced'],
  again: 'raceAgain',
  pausedAgain: 'raceAgain',
  phase: 'Deploying',
  possible: RUNNING,
};

/** After a rollback whose delete failed (Aborted, mode cleanup): the next delete at NOW + 5 min. */
const cleanupMode: Place = {
  label: 'the delete retries after the outcome (Aborted)',
  state: cleaningUp(NOW - 10 * MINUTE_MS),
  cursor: [root(), frame('cleanupUnit', 'waited'), waiting(NOW + 5 * MINUTE_MS)],
  waiting: ['execution@unitDone', 'cleanupUnit@waited', 'waitFor@waited'],
  again: 'wait(+5m)',
  phase: 'Aborted',
  possible: '',
};
const cleanupWait = cleanupMode.cursor;

/** The outcome's effects from the unit's apply: the lines logged, the status published, the verdict asked. */
const verdictAfter = (lines: string[], unit: string): Pick<Expected, 'commands' | 'cursor'> => ({
  commands: [...lines, 'publish', `call ${ACTIVITY.writeModelVerdict} (retry)`],
  cursor: ['execution@unitDone', `${unit}@applied`, 'apply@finished', 'finishEffects@verdictWritten'],
});
const approve = (by: string): EngineInput => ({
  kind: 'harvested',
  controls: [],
  approvals: [{ decision: 'approve', by, step: 4, rolloutId: 'r1', atMs: NOW }],
});

const controls: Row[] = [
  ...controlsAt(bake, { pause: pauses, resume: notPossible, abort: rollsBack, promote: jumps(5), retry: notPossible }),
  ...controlsAt(gate, { pause: pauses, resume: notPossible, abort: rollsBack, promote: jumps(5), retry: notPossible }),
  ...controlsAt(abWait, { pause: pauses, resume: notPossible, abort: rollsBack, promote: jumps(4), retry: notPossible }),
  ...controlsAt(approval, { pause: pauses, resume: notPossible, abort: rollsBack, promote: jumps(5), retry: notPossible }),
  ...controlsAt(keep, {
    pause: notPossible,
    resume: notPossible,
    abort: refused('already promoted; start a rollout of the previous version to go back'),
    promote: notPossible,
    retry: notPossible,
  }),
  ...controlsAt(backOff, {
    pause: notPossible,
    resume: notPossible,
    abort: custom('the retries stop: Promoted, the verdict is written', {
      ...verdictAfter(
        [`log: abort requested by ${ALICE}`, `log: promoted: promoted; step 7 abandoned by ${ALICE} after 1 failures (refused)`],
        'forwardUnit',
      ),
      mode: 'done',
      phase: 'Promoted',
      waitingFor: null,
    }),
    promote: notPossible,
    retry: notPossible,
  }),
  ...controlsAt(failedForward, {
    pause: notPossible,
    resume: notPossible,
    abort: rollsBack,
    promote: notPossible,
    // The phase moves when the step starts again (next execution).
    retry: custom('forward again at the failed step, still in phase Failed', {
      commands: [`log: retry requested by ${ALICE}`, 'publish', 'harvest(all)'],
      cursor: ['execution@harvested'],
      mode: 'forward',
      phase: 'Failed',
      stepIndex: 3,
      waitingFor: null,
    }),
  }),
  ...controlsAt(queued, {
    pause: notPossible,
    resume: notPossible,
    abort: custom('Aborted without a rollback, the verdict is written (the queue is left after it)', {
      ...verdictAfter([`log: abort requested by ${ALICE}`, `log: aborted: aborted by ${ALICE} while queued`], 'leaseUnit'),
      mode: 'done',
      phase: 'Aborted',
      waitingFor: null,
    }),
    promote: notPossible,
    retry: notPossible,
  }),
  ...controlsAt(paused, {
    pause: notPossible,
    resume: custom('back to Baking; the unit ends (the step runs in the next execution)', {
      commands: [`log: resumed by ${ALICE}`, 'publish', 'publish', 'harvest(all)'],
      cursor: ['execution@harvested'],
      mode: 'forward',
      phase: 'Baking',
      journal: `resumed by ${ALICE}`,
    }),
    abort: rollsBack,
    // The jump ends the pause in the decider: back to the phase the pause interrupted until the promote step starts.
    promote: { says: 'the pause ends (back to Baking), jumps', expect: (p, a) => ({ ...jumps(5).expect(p, a), phase: 'Baking' }) },
    retry: notPossible,
  }),
  ...controlsAt(race, {
    pause: pauses,
    resume: notPossible,
    abort: custom('applied at once (RollingBack, published), the create is raced again to settle', {
      commands: [`log: abort requested by ${ALICE}`, 'publish', 'raceAgain'],
      cursor: race.waiting,
      mode: 'rollback',
      phase: 'RollingBack',
    }),
    promote: refused("'green' has not passed its smoke test yet"),
    retry: notPossible,
  }),
  ...controlsAt(cleanupMode, {
    pause: refused("the rollout has ended; only the delete of 'green' is retried (abort stops the retries)"),
    resume: refused("the rollout has ended; only the delete of 'green' is retried (abort stops the retries)"),
    abort: custom('the retries stop (done), cleanupFailed is notified', {
      commands: [`log: abort requested by ${ALICE}`, `call ${ACTIVITY.sendNotification}`],
      cursor: ['execution@unitDone', 'cleanupUnit@applied', 'apply@notified', 'notify@sent'],
      mode: 'done',
      journal: `delete retries of 'green' stopped by ${ALICE}; it is left at 0%`,
    }),
    promote: refused("the rollout has ended; only the delete of 'green' is retried (abort stops the retries)"),
    retry: refused("the rollout has ended; only the delete of 'green' is retried (abort stops the retries)"),
  }),

  // ---- who may, and what else a harvest holds
  rowAt(bake, 'an abort by someone who is not an operator is ignored', harvested(control('abort', 'mallory@x.com')), {
    commands: [ignored('abort', "'mallory@x.com' is not an operator of policy 'p'", 'mallory@x.com'), 'publish', 'wait(+5m)'],
    cursor: bake.waiting,
    mode: 'forward',
    phase: 'Baking',
  }),
  rowAt(approval, 'a pause by a non-operator (an approver) is ignored', harvested(control('pause', 'bob@x.com')), {
    commands: [ignored('pause', "'bob@x.com' is not an operator of policy 'p'", 'bob@x.com'), 'publish', approval.again],
    cursor: approval.waiting,
    phase: 'AwaitingApproval',
  }),
  rowAt(failedForward, 'a retry by a non-operator is ignored', harvested(control('retry', 'mallory@x.com')), {
    commands: [ignored('retry', "'mallory@x.com' is not an operator of policy 'p'", 'mallory@x.com'), 'publish', failedForward.again],
    cursor: failedForward.waiting,
    mode: 'failedWaiting',
  }),
  rowAt(bake, 'a supersede (system:) abort is taken from a non-operator', harvested(control('abort', 'system:supersede:r2')), {
    commands: ['log: abort requested by system:supersede:r2', 'publish', 'harvest(all)'],
    cursor: ['execution@harvested'],
    mode: 'rollback',
  }),
  rowAt(bake, 'a malformed control is noted and the wait goes on', harvested({ action: 'explode', by: ALICE, atMs: NOW }), {
    commands: [
      'log: ignored a malformed control event: action: Invalid option: expected one of "abort"|"pause"|"resume"|"promote"|"retry"',
      'publish',
      'wait(+5m)',
    ],
    cursor: bake.waiting,
  }),
  rowAt(
    bake,
    'pause then abort in one harvest -> the abort ends the pause and rolls back',
    harvested(control('pause'), { ...(control('abort') as object), atMs: NOW + 1 }),
    {
      commands: [`log: paused by ${ALICE}`, `log: abort requested by ${ALICE}`, 'publish', 'harvest(all)'],
      cursor: ['execution@harvested'],
      mode: 'rollback',
      phase: 'RollingBack',
    },
  ),
  rowAt(approval, 'approved by an approver -> the step advances and is notified', approve('bob@x.com'), {
    commands: ['log: approved by bob@x.com', `call ${ACTIVITY.sendNotification}`],
    cursor: ['execution@unitDone', 'forwardUnit@applied', 'notify@sent'],
    stepIndex: 5,
    waitingFor: null,
  }),
  rowAt(
    approval,
    'approved by someone who is not an approver -> noted, the next round of the wait harvests again',
    approve('mallory@x.com'),
    {
      commands: ["log: approve by mallory@x.com ignored: 'mallory@x.com' is not an approver (bob@x.com)", 'harvest(all)'],
      cursor: [...approval.waiting.slice(0, -1), 'waitFor@harvested'],
      stepIndex: 4,
    },
  ),
  rowAt(bake, 'an approval nothing waits for is recorded as ignored', approve('bob@x.com'), {
    commands: ['publish', 'wait(+5m)'],
    cursor: bake.waiting,
    journal: 'approve by bob@x.com for step 4 ignored: no approval was pending',
  }),

  // ---- more positions: other failures' waits, the race's other states
  {
    name: 'failed in planning: abort -> Aborted at once, the verdict is written',
    state: failedState('plan', 0),
    cursor: failedWait,
    input: harvested(control('abort')),
    expect: {
      ...verdictAfter([`log: abort requested by ${ALICE}`, `log: aborted: aborted by ${ALICE} after failing`], 'failedUnit'),
      mode: 'done',
      phase: 'Aborted',
    },
  },
  {
    name: 'failed in a rollback: retry -> RollingBack again',
    state: failedState('rollback'),
    cursor: failedWait,
    input: harvested(control('retry')),
    expect: {
      commands: [`log: retry requested by ${ALICE}`, 'publish', 'harvest(all)'],
      cursor: ['execution@harvested'],
      mode: 'rollback',
      phase: 'RollingBack',
    },
  },
  {
    name: 'racing create: an abort harvested with the created answer is still applied, and the create is left to settle',
    state: deployState,
    cursor: [root(), forward(0), running(DEPLOY, 'deployed'), racing('harvested', { kind: 'activitySucceeded', output: {}, atMs: NOW })],
    input: harvested(control('abort')),
    expect: { commands: [`log: abort requested by ${ALICE}`, 'publish', 'raceAgain'], cursor: race.waiting, mode: 'rollback' },
  },
  {
    name: 'racing create, settling after an abort: a second abort is ignored (already rolling back), the race goes on',
    state: at(0, 'RollingBack', (s) => {
      s.mode = 'rollback';
      s.facts.candidateCreated = true;
    }),
    cursor: [root(), forward(0), running(DEPLOY, 'deployed'), racing('harvested', 'control', { again: true, settling: true })],
    input: harvested(control('abort')),
    expect: { commands: [ignored('abort', 'already rolling back'), 'publish', 'raceAgain'], cursor: race.waiting, mode: 'rollback' },
  },

  // ---- the drain at the end of an execution
  {
    name: 'drain: an abort harvested while draining is applied, then drained again',
    state: bakeState,
    cursor: [root('harvested')],
    input: harvested(control('abort')),
    expect: {
      commands: [`log: abort requested by ${ALICE}`, 'drain'],
      cursor: ['execution@drained'],
      mode: 'rollback',
      phase: 'RollingBack',
    },
  },
  {
    name: 'drain: a pause harvested while draining is applied, then drained',
    state: bakeState,
    cursor: [root('harvested')],
    input: harvested(control('pause')),
    expect: { commands: [`log: paused by ${ALICE}`, 'drain'], cursor: ['execution@drained'], mode: 'forward', phase: 'Paused' },
  },
  {
    name: 'drain of an ended rollout: an abort is ignored before the instance completes',
    state: rolledBack,
    cursor: [root('harvested')],
    input: harvested(control('abort')),
    expect: {
      commands: [ignored('abort', 'the rollout has ended'), 'drain'],
      cursor: ['execution@drained'],
      mode: 'done',
      phase: 'RolledBack',
    },
  },
  {
    // Promoted from a pause (the pause ended, the phase back to Baking), the promote step not started yet.
    name: 'promoted from a pause, a resume drained before the promote step starts -> ignored (nothing is paused)',
    state: at(5, 'Baking', (s) => {
      s.progress.startedAtMs = undefined;
    }),
    cursor: [root('harvested')],
    input: harvested(control('resume')),
    expect: {
      commands: [ignored('resume', 'resume is not possible in phase Baking (possible: abort, pause, promote)'), 'drain'],
      cursor: ['execution@drained'],
      mode: 'forward',
      phase: 'Baking',
      stepIndex: 5,
    },
  },
];

describe('an operator control arriving at each kind of wait', () => {
  it.each(controls)('$name', check);
});

// ---------------------------------------------------------------- failures

/** The rollout rolls back at once after a failed step that touched Azure: the unit publishes and drains. */
const stepFailedRow = (name: string, state: () => EngineState, cursor: Frame[], input: EngineInput, line: string): Row => ({
  name,
  state,
  cursor,
  input,
  expect: {
    commands: [`log: ${line}`, 'publish', 'harvest(all)'],
    cursor: ['execution@harvested'],
    mode: 'rollback',
    phase: 'RollingBack',
  },
});

/** The rollout ends Failed: (the lease released first when `released`), the outcome logged and published, the verdict asked. */
const endsFailed = (reason: string, unit: string, released = false): Expected => ({
  ...verdictAfter([...(released ? ['signalRelease'] : []), `log: failed: ${reason}`], unit),
  mode: 'failedWaiting',
  phase: 'Failed',
});

const failures: Row[] = [
  {
    name: 'resolveTarget fails -> Failed (plan), the verdict is written',
    state: at(0, 'Pending', (s) => {
      s.mode = 'queued';
      s.leaseHeld = false;
      s.facts.candidateCreated = false;
    }),
    cursor: [root('resolved'), frame('resolveUnit', 'resolved')],
    input: failed('NotFound', "no policy 'p'"),
    expect: {
      ...endsFailed("cannot resolve the policy: no policy 'p'", 'resolveUnit'),
      cursor: ['execution@resolved', 'resolveUnit@applied', 'apply@finished', 'finishEffects@verdictWritten'],
    },
  },
  {
    name: "the lease entity's acquire fails -> the queue is left, Failed (plan)",
    state: queuedState,
    cursor: [root(), frame('leaseUnit', 'answered', { rounds: 0, waited: false, leaseKey })],
    input: entityFailed('entity unavailable'),
    expect: endsFailed('cannot take the endpoint lease: entity unavailable', 'leaseUnit', true),
  },
  {
    name: 'requestSupersede fails -> a note, then the lease poll goes on',
    state: queuedState,
    cursor: [root(), frame('leaseUnit', 'supersedeAsked', { rounds: 0, waited: true, holder: 'r0', leaseKey })],
    input: failed('NotFound', 'no instance r0'),
    expect: {
      commands: [
        "log: could not raise the abort on 'r0' (no instance r0); it will see the supersede request in the endpoint lease",
        'harvest(all)',
      ],
      cursor: ['execution@unitDone', 'leaseUnit@waited', 'waitFor@harvested'],
      mode: 'queued',
      journal: "could not raise the abort on 'r0' (no instance r0); it will see the supersede request in the endpoint lease",
      waitingFor: 'timer',
    },
  },
  {
    name: 'planRollout fails (lease held) -> the lease is released, Failed (plan)',
    state: at(0, 'Pending', (s) => {
      s.mode = 'queued';
      s.progress.startedAtMs = undefined;
      s.facts.candidateCreated = false;
    }),
    cursor: [root(), frame('leaseUnit', 'planned', { rounds: 0, waited: false, leaseKey }), frame('planUnit', 'planned')],
    input: failed('Validation', 'bad policy'),
    expect: {
      ...endsFailed('planning failed: bad policy', 'leaseUnit', true),
      cursor: ['execution@unitDone', 'leaseUnit@planned', 'planUnit@applied', 'apply@finished', 'finishEffects@verdictWritten'],
    },
  },
  {
    name: 'getEndpointState after the lease fails -> a plan failure (nothing changed on Azure)',
    state: at(0, 'Pending', (s) => {
      s.progress.startedAtMs = undefined;
      s.facts.candidateCreated = false;
    }),
    cursor: [root(), frame('leaseUnit', 'endpointRead', { rounds: 0, waited: false, leaseKey })],
    input: failed('Throttled', 'too many requests'),
    expect: endsFailed("planning failed: cannot read the endpoint's live traffic: too many requests", 'leaseUnit', true),
  },
  {
    name: "the lease entity's supersede check fails -> a note, and the unit runs (here: the failed rollout's wait)",
    state: failedState('forward'),
    cursor: [root('checked')],
    input: entityFailed('entity unavailable'),
    expect: {
      commands: [
        'log: could not read the endpoint lease for a supersede request (entity unavailable); checking again next time',
        'harvest(all)',
      ],
      cursor: ['execution@unitDone', 'failedUnit@waited', 'waitFor@harvested'],
      mode: 'failedWaiting',
    },
  },
  {
    name: 'createDeployment (raced) fails first -> its failure is harvested with the controls before it is read',
    state: deployState,
    cursor: [root(), forward(0), running(DEPLOY, 'deployed'), racing('raced', undefined)],
    input: failed('Conflict', 'refused'),
    expect: { commands: ['harvest(controls)'], cursor: [...race.waiting.slice(0, 3), 'callRacingControls@harvested'], phase: 'Deploying' },
  },
  {
    name: 'createDeployment (raced) failed, nothing harvested -> its task is awaited',
    state: deployState,
    cursor: [root(), forward(0), running(DEPLOY, 'deployed'), racing('harvested', failed('Conflict', 'refused'))],
    input: harvested(),
    expect: { commands: ['awaitActivity'], cursor: [...race.waiting.slice(0, 3), 'callRacingControls@settled'], phase: 'Deploying' },
  },
  stepFailedRow(
    'createDeployment (raced) failed, awaited -> stepFailed: the candidate may exist, so it rolls back',
    deployState,
    [root(), forward(0), running(DEPLOY, 'deployed'), racing('settled', failed('Conflict', 'refused'))],
    failed('Conflict', 'refused'),
    'step 1 (deploy) failed: [Conflict] refused',
  ),
  stepFailedRow(
    'smokeTest fails -> stepFailed, rollback',
    at(1, 'SmokeTesting'),
    [root(), forward(1), running(SMOKE, 'smokeTested')],
    failed('Timeout', 'no answer'),
    'step 2 (smokeTest) failed: [Timeout] no answer',
  ),
  stepFailedRow(
    'setTraffic fails -> stepFailed, rollback',
    at(2, 'Progressing'),
    [root(), forward(2), running(TRAFFIC, 'trafficSet'), frame('writeTraffic', 'set', { traffic: { blue: 90, green: 10 }, mirror: {} })],
    failed('Conflict', 'endpoint busy'),
    'step 3 (setTraffic) failed: [Conflict] endpoint busy',
  ),
  stepFailedRow(
    'checkGates fails -> stepFailed, rollback',
    bakeState,
    [
      root(),
      forward(3),
      running(BAKE, 'delegated'),
      frame('bakeLoop', 'checked', { step: BAKE, rounds: 0 }),
      frame('checkGateRound', 'checked', { names: ['errors'], candidateOnly: false, armsSinceMs: undefined, looks: { errors: 1 } }),
    ],
    failed('Internal', 'query service down'),
    'step 4 (bake) failed: [Internal] query service down',
  ),
  stepFailedRow(
    'decideWinner fails -> stepFailed, rollback',
    at(3, 'Analyzing', () => {}, abPlan),
    [
      root(),
      forward(3),
      running(WINNER, 'delegated'),
      frame('decideWinner', 'looked', { step: WINNER, rounds: 0, sinceMs: T0, endMs: T0 + 60 * MINUTE_MS, look: 1 }),
    ],
    failed('Internal', 'query service down'),
    'step 4 (decideWinner) failed: [Internal] query service down',
  ),
  {
    name: 'the cleanup step fails after promotion -> stepFailed: traffic stays, the step is retried in 5 min',
    state: at(6, 'Promoting'),
    cursor: [root(), forward(6), running(CLEANUP, 'deleted')],
    input: failed('Conflict', 'refused'),
    expect: {
      commands: ['log: step 7 (cleanup) failed: [Conflict] refused', `call ${ACTIVITY.sendNotification}`],
      cursor: ['execution@unitDone', 'forwardUnit@applied', 'apply@notified', 'notify@sent'],
      mode: 'forward',
      phase: 'Promoting',
      journal: `step 7 (cleanup) failed: refused; promoted, traffic stays; retry 2 at ${new Date(NOW + 5 * MINUTE_MS).toISOString()}`,
    },
  },
  {
    name: 'deleteDeployment in a rollback fails -> rollbackDone with a leftover: the outcome stands, mode cleanup',
    state: rollingBack,
    cursor: [root(), frame('rollbackUnit', 'rolledBack'), frame('rollBack', 'undone', { index: 0 }), frame('defaultRollback', 'deleted')],
    input: failed('Conflict', 'refused'),
    expect: {
      ...verdictAfter([`log: aborted: aborted by ${ALICE}; 'green' is left at 0% (delete failed: refused), retrying`], 'rollbackUnit'),
      mode: 'cleanup',
      phase: 'Aborted',
      journal: `could not delete 'green' (refused); it takes no traffic; retry 2 at ${new Date(NOW + 5 * MINUTE_MS).toISOString()}`,
    },
  },
  {
    name: 'setTraffic in a rollback fails -> rollbackFailed: Failed (rollback), retried automatically',
    state: rollingBack,
    cursor: rollbackTrafficSet,
    input: failed('Conflict', 'endpoint busy'),
    expect: {
      ...verdictAfter(
        [
          `log: failed: rollback failed: endpoint busy (after: aborted by ${ALICE}); retry 2 at ${new Date(NOW + 5 * MINUTE_MS).toISOString()}`,
        ],
        'rollbackUnit',
      ),
      mode: 'failedWaiting',
      phase: 'Failed',
      waitingFor: 'resume',
    },
  },
  {
    name: 'deleteDeployment in cleanupUnit fails -> cleanupFailed: retried later',
    state: cleaningUp(NOW - 10 * MINUTE_MS),
    cursor: [root(), frame('cleanupUnit', 'deleted')],
    input: failed('Conflict', 'refused again'),
    expect: {
      commands: ['publish', 'harvest(all)'],
      cursor: ['execution@harvested'],
      mode: 'cleanup',
      phase: 'Aborted',
      journal: `could not delete 'green' (refused again); retry 3 at ${new Date(NOW + 10 * MINUTE_MS).toISOString()}`,
    },
  },
  {
    name: 'deleteDeployment in cleanupUnit fails after the retry window -> given up: done, cleanupFailed notified',
    state: cleaningUp(NOW - 25 * 60 * MINUTE_MS),
    cursor: [root(), frame('cleanupUnit', 'deleted')],
    input: failed('Conflict', 'refused again'),
    expect: {
      commands: [`call ${ACTIVITY.sendNotification}`],
      cursor: ['execution@unitDone', 'cleanupUnit@applied', 'apply@notified', 'notify@sent'],
      mode: 'done',
      journal: "gave up deleting 'green' after 2 attempts: refused again; it is left at 0%",
    },
  },
  {
    name: 'writeModelVerdict fails -> a note, the outcome notification still goes',
    state: rolledBack,
    cursor: [...finishing, frame('finishEffects', 'verdictWritten', { outcome: 'rolledBack', reason: 'aborted by alice@x.com' })],
    input: failed('Throttled', 'too many requests'),
    expect: {
      commands: ['log: could not write the verdict onto the model version: too many requests', `call ${ACTIVITY.sendNotification}`],
      cursor: ['execution@unitDone', 'rollbackUnit@applied', 'apply@finished', 'finishEffects@notified', 'notify@sent'],
      mode: 'done',
      journal: 'could not write the verdict onto the model version: too many requests',
    },
  },
  {
    name: 'sendNotification fails -> a note, then the lease is released and the unit ends',
    state: rolledBack,
    cursor: [
      ...finishing,
      frame('finishEffects', 'notified', { outcome: 'rolledBack', reason: 'aborted by alice@x.com' }),
      frame('notify', 'sent', { kind: 'rolledBack', extra: {} }),
    ],
    input: failed('Internal', 'smtp down'),
    expect: {
      commands: ['log: notification rolledBack failed: smtp down', 'publish', 'signalRelease', 'publish', 'harvest(all)'],
      cursor: ['execution@harvested'],
      mode: 'done',
      journal: 'notification rolledBack failed: smtp down',
    },
  },
];

/** A plan whose rollback checks the baseline's health after the default undo. */
const checkedRollback = (s: EngineState): void => {
  s.plan = {
    ...s.plan,
    rollbackSteps: [{ kind: 'rollback' }, { kind: 'smokeTest', deployment: 'blue', requests: 3, maxFailures: 0, payload: {} }],
  };
};
const rollbackFailedLine = (reason: string): string =>
  `log: failed: rollback failed: ${reason} (after: aborted by ${ALICE}); retry 2 at ${new Date(NOW + 5 * MINUTE_MS).toISOString()}`;
const moreFailures: Row[] = [
  {
    name: "the rollback's health check (smokeTest) fails -> rollbackFailed",
    state: () => {
      const s = rollingBack();
      checkedRollback(s);
      return s;
    },
    cursor: [root(), frame('rollbackUnit', 'rolledBack'), frame('rollBack', 'checked', { index: 1 })],
    input: failed('Timeout', 'no answer'),
    expect: {
      ...verdictAfter([rollbackFailedLine('no answer')], 'rollbackUnit'),
      mode: 'failedWaiting',
      phase: 'Failed',
    },
  },
  {
    name: "the rollback's health check answers unhealthy -> rollbackFailed",
    state: () => {
      const s = rollingBack();
      checkedRollback(s);
      return s;
    },
    cursor: [root(), frame('rollbackUnit', 'rolledBack'), frame('rollBack', 'checked', { index: 1 })],
    input: {
      kind: 'activitySucceeded',
      output: activityAnswer(ACTIVITY.smokeTest, {}, { plan, smokePasses: false }),
      atMs: NOW,
    },
    expect: {
      ...verdictAfter(
        ['log: health check after rollback: FAILED: errors', rollbackFailedLine("'blue' is unhealthy after the rollback: errors")],
        'rollbackUnit',
      ),
      mode: 'failedWaiting',
    },
  },
  {
    name: 'recreate: reverting the model in the rollback fails -> rollbackFailed',
    state: () => {
      const s = rollingBack();
      s.plan = { ...s.plan, strategy: 'recreate', candidate: { deployment: 'blue' } };
      s.facts.modelReplaced = true;
      return s;
    },
    cursor: [root(), frame('rollbackUnit', 'rolledBack'), frame('rollBack', 'undone', { index: 0 }), frame('defaultRollback', 'reverted')],
    input: failed('Conflict', 'updating'),
    expect: {
      ...verdictAfter([rollbackFailedLine('updating')], 'rollbackUnit'),
      mode: 'failedWaiting',
    },
  },
  {
    name: "the lease entity's acquire answers what is not a lease answer -> leaseFailed",
    state: queuedState,
    cursor: [root(), frame('leaseUnit', 'answered', { rounds: 0, waited: false, leaseKey })],
    input: { kind: 'entityAnswered', answer: { nonsense: true }, atMs: NOW },
    expect: endsFailed(
      'cannot take the endpoint lease: endpoint lease answer: contract violated: (root): Invalid input',
      'leaseUnit',
      true,
    ),
  },
];

describe('every failure that has a handler becomes a decider input or a note', () => {
  it.each([...failures, ...moreFailures])('$name', check);
});

// ---------------------------------------------------------------- what escapes advance

describe('what escapes advance: only an error past the root (the generators let it fail the orchestration)', () => {
  const unexpected: EngineInput = { kind: 'timerFired', atMs: NOW };
  it.each([
    { name: "the root's drain harvest answered with a timer", state: bakeState, cursor: [root('harvested')] },
    { name: "a failed rollout's wait answered wrongly (failedUnit does not catch)", state: failedState('forward'), cursor: failedWait },
    { name: "a queued rollout's wait answered wrongly (leaseUnit does not catch)", state: queuedState, cursor: leaseWait },
    { name: "a paused step's wait (outside the step's catch, as in the generator)", state: pausedState, cursor: pausedWait },
    { name: "a promoted step's retry back-off (outside the step's catch)", state: retryingState, cursor: retryBackOff },
    {
      name: "the delete retries' wait (cleanupUnit catches only the delete)",
      state: cleaningUp(NOW - 10 * MINUTE_MS),
      cursor: cleanupWait,
    },
  ])('$name: advance throws and the cursor is empty', ({ state, cursor }) => {
    const execution: Execution = { state: state(), cursor: structuredClone(cursor), nowMs: NOW };
    expect(() => advance(execution, unexpected)).toThrow('harvest: expected the delivered events, got timerFired');
    expect(execution.cursor).toEqual([]);
  });

  it.each<Row>([
    stepFailedRow(
      "inside a step the same error is the step's failure (forwardUnit catches what runStep throws)",
      bakeState,
      bakeWait,
      unexpected,
      'step 4 (bake) failed: [Internal] harvest: expected the delivered events, got timerFired',
    ),
    {
      name: "inside a rollback it is the rollback's failure (rollbackUnit catches what rollBack throws)",
      state: rollingBack,
      cursor: rollbackTrafficSet,
      input: unexpected,
      expect: {
        ...verdictAfter([rollbackFailedLine(`${ACTIVITY.setTraffic}: expected the activity's answer, got timerFired`)], 'rollbackUnit'),
        mode: 'failedWaiting' as const,
      },
    },
    {
      name: "at the rollback's delete it is a leftover (defaultRollback turns every error of the delete into one)",
      state: rollingBack,
      cursor: [root(), frame('rollbackUnit', 'rolledBack'), frame('rollBack', 'undone', { index: 0 }), frame('defaultRollback', 'deleted')],
      input: unexpected,
      expect: {
        ...verdictAfter(
          [
            `log: aborted: aborted by ${ALICE}; 'green' is left at 0% (delete failed: ${ACTIVITY.deleteDeployment}: expected the activity's answer, got timerFired), retrying`,
          ],
          'rollbackUnit',
        ),
        mode: 'cleanup' as const,
      },
    },
  ])('$name', check);
});

// ---------------------------------------------------------------- the end of an execution

describe('the end of an execution: the drain', () => {
  const drained: Frame[] = [root('drained')];
  const fired: EngineInput = { kind: 'timerFired', atMs: NOW };
  it.each<Row>([
    {
      name: 'ended (done): the timer fired -> publish, complete, the cursor empty',
      state: rolledBack,
      cursor: drained,
      input: fired,
      expect: { commands: ['publish'], cursor: [], mode: 'done', end: 'complete' },
    },
    {
      name: 'going on (forward): the timer fired -> publish, continueAsNew, the cursor empty',
      state: bakeState,
      cursor: drained,
      input: fired,
      expect: { commands: ['publish'], cursor: [], mode: 'forward', end: 'continueAsNew' },
    },
    {
      name: 'failed (waiting): continueAsNew',
      state: failedState('forward'),
      cursor: drained,
      input: fired,
      expect: { commands: ['publish'], cursor: [], end: 'continueAsNew' },
    },
    {
      name: 'an event arrived before the timer -> harvest again',
      state: bakeState,
      cursor: drained,
      input: { kind: 'eventArrived', atMs: NOW },
      expect: { commands: ['harvest(all)'], cursor: ['execution@harvested'] },
    },
    {
      name: "the unit's last task answered -> the unit ends: publish, and the drain harvests everything",
      state: bakeState,
      cursor: [root(), forward(3, 'applied'), frame('notify', 'sent', { kind: 'stepCompleted', extra: {} })],
      input: { kind: 'activitySucceeded', output: { sent: true }, atMs: NOW },
      expect: { commands: ['publish', 'harvest(all)'], cursor: ['execution@harvested'] },
    },
  ])('$name', check);

  it('continueAsNew carries the state; complete hands back the final status', () => {
    const going: Execution = { state: bakeState(), cursor: [root('drained')], nowMs: NOW };
    advance(going, { kind: 'timerFired', atMs: NOW + 1 });
    expect(going.end?.state.stepIndex).toBe(3);
    expect(going.end?.state.status.updatedAtMs).toBe(NOW + 1);
    const ended: Execution = { state: rolledBack(), cursor: [root('drained')], nowMs: NOW };
    advance(ended, { kind: 'timerFired', atMs: NOW + 1 });
    expect(ended.end).toMatchObject({ kind: 'complete', state: { status: { outcome: 'rolledBack', phase: 'RolledBack' } } });
    expect(() => advance(ended, { kind: 'timerFired', atMs: NOW + 2 })).toThrow('advance: this execution has ended');
  });
});

// the deploy's successful answer (a sanity row: the race's winner settles the step)
describe('a racing create that settles first', () => {
  it.each<Row>([
    {
      name: 'created, no control -> advance: the step completes and is notified',
      state: deployState,
      cursor: [
        root(),
        forward(0),
        running(DEPLOY, 'deployed'),
        racing('harvested', { kind: 'activitySucceeded', output: activityAnswer(ACTIVITY.createDeployment, {}, { plan }), atMs: NOW }),
      ],
      input: harvested(),
      expect: {
        commands: ["log: deployment 'green' is Succeeded serving m2", `call ${ACTIVITY.sendNotification}`],
        cursor: ['execution@unitDone', 'forwardUnit@applied', 'notify@sent'],
        mode: 'forward',
        stepIndex: 1,
      },
    },
  ])('$name', check);
});
