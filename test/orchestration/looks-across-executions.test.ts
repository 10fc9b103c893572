/**
 * Loops that wait and look (a gate step, a bake, an A/B test's decideWinner, an approval's
 * reminders) end an execution after MAX_WAITS_PER_EXECUTION rounds with `stay`; the next
 * execution enters the same step again with its round counter at 0. These tests drive the real
 * orchestrator over several executions (the fake durable context, continueAsNew carried by
 * hand) and hold the spacing of what the loop does across that boundary: no two looks of a step
 * (and no two reminders) closer than the step's interval, except a deliberate final look at the
 * step's deadline.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVITY } from '../../src/orchestration/activity-names';
import type * as contract from '../../src/orchestration/activity-contracts';
import { MAX_WAITS_PER_EXECUTION, type EngineState } from '../../src/orchestration/engine-state';
import { gateResultOf, levelsFor } from '../../src/analysis/evaluate';
import { checkWindow } from '../../src/analysis/window';
import type { GateSpec } from '../../src/analysis/types';
import type { RolloutStatus, Step } from '../../src/plan/types';
import { runExecution, type Script } from './fake-context';
import { activityAnswer, plannedState, testPlan } from './engine-fixture';

const MIN = 60_000;
const START_MS = Date.UTC(2026, 0, 5, 9);

const health: GateSpec = {
  name: 'health',
  checks: [],
  customMetrics: [],
  confidence: 0.95,
  minRequestsPerDeployment: 100,
  windowMinutes: 5,
  ingestionDelayMinutes: 1,
  plannedLooks: 41,
};

/** One look as the activity was asked it: when, which look number, over which window. */
interface Look {
  readonly atMs: number;
  readonly look: number;
  readonly window: { fromMs: number; toMs: number };
  readonly alphaThisLook: number;
}

/** An approval notification: a request or a reminder, with the deadline it announces. */
interface Notified {
  readonly kind: string;
  readonly timeoutAtMs: number;
  readonly reminder: boolean;
}

/** The state of a rollout that has just entered `step` (index 0 of a one-step plan, then a promote). */
function enteredStep(step: Step, gates: GateSpec = health): EngineState {
  const state = plannedState(
    testPlan({
      steps: [step, { kind: 'promote' }],
      gates: { [gates.name]: gates },
      approvers: ['alice@x.com'],
    }),
  );
  state.facts = { ...state.facts, candidateCreated: true, smokePassed: ['green'] };
  state.status.phase = 'Progressing';
  state.status.traffic = { blue: 90, green: 10 };
  state.progress.startedAtMs = START_MS;
  return state;
}

/**
 * Answers every activity; a gate look (checkGates or decideWinner) is recorded and answered
 * inconclusive with the real sequential levels of its look number and its real window.
 */
function script(state: EngineState, looks: Look[], notified: Notified[]): Script {
  const lookOf = (spec: GateSpec, nowMs: number, look: number) => {
    const window = checkWindow(nowMs, spec);
    const { sequential } = levelsFor(spec, look);
    looks.push({ atMs: nowMs, look, window, alphaThisLook: sequential.alphaThisLook });
    return gateResultOf(spec, { candidate: 'green', baseline: 'blue', window, look, checkedAtMs: nowMs }, sequential, {
      verdict: 'inconclusive',
      evidence: [],
      reason: 'too few requests',
    });
  };
  return {
    activity: (name, input) => {
      if (name === ACTIVITY.checkGates) {
        const ask = input as contract.CheckGatesInput;
        const outcomes = ask.gates.map((spec) => ({
          gate: spec.name,
          outcome: 'inconclusive' as const,
          result: lookOf(spec, ask.nowMs, ask.looks[spec.name] ?? 0),
          candidateRequests: 10,
        }));
        return { outcomes } satisfies contract.CheckGatesOutput;
      }
      if (name === ACTIVITY.decideWinner) {
        const ask = input as contract.DecideWinnerInput;
        const result = lookOf(ask.gate, ask.nowMs, ask.look);
        return { winner: 'undecided', reason: 'too few requests', result } satisfies contract.DecideWinnerOutput;
      }
      if (name === ACTIVITY.sendNotification) {
        const sent = input as contract.SendNotificationInput;
        if (sent.approval)
          notified.push({ kind: sent.kind, timeoutAtMs: sent.approval.timeoutAtMs, reminder: sent.approval.reminder === true });
      }
      return activityAnswer(name, input, { plan: state.plan });
    },
    entity: (operation) => {
      if (operation === 'check') return null;
      throw new Error(`unexpected entity operation ${operation}`);
    },
    events: [],
  };
}

interface Drive {
  readonly looks: Look[];
  readonly notified: Notified[];
  /** When each execution started. */
  readonly executionsAtMs: number[];
  readonly final: RolloutStatus | undefined;
}

/** Runs executions (each continuing with the state the last carried, at the time it ended) until the rollout completes. */
function drive(state: EngineState, maxExecutions = 40): Drive {
  const looks: Look[] = [];
  const notified: Drive['notified'] = [];
  const executionsAtMs: number[] = [];
  let current = state;
  let atMs = START_MS;
  for (let n = 0; n < maxExecutions; n++) {
    executionsAtMs.push(atMs);
    const run = runExecution({ continuation: true, state: current }, script(current, looks, notified), atMs);
    expect(run.failure).toBeUndefined();
    expect(run.waitsForEvent).toBe(false);
    if (run.continuedAsNew === undefined) return { looks, notified, executionsAtMs, final: run.output };
    current = (run.continuedAsNew as { state: EngineState }).state;
    // The orchestration's clock when the execution ended: its last published status.
    atMs = current.status.updatedAtMs;
  }
  return { looks, notified, executionsAtMs, final: undefined };
}

/** The gaps between consecutive looks, in minutes. */
const gapsOf = (times: readonly number[]): number[] => times.slice(1).map((t, i) => (t - (times[i] ?? t)) / MIN);

describe('a gate step with a long extension, over several executions', () => {
  // 1 look at once + one every 5 min for 200 min: 41 looks, the plannedLooks the compiler budgets (1 + floor(200 / 5)).
  const gate: Step = { kind: 'gate', gates: ['health'], retryIntervalMinutes: 5, maxExtensionMinutes: 200, noDataOutcome: 'rollback' };

  it('continues as new after MAX_WAITS_PER_EXECUTION rounds and never looks twice within one retry interval', () => {
    const { looks, executionsAtMs, final } = drive(enteredStep(gate));
    expect(final?.phase).toBe('RolledBack');
    // The loop did cross executions (else this test would hold nothing).
    expect(executionsAtMs.length).toBeGreaterThan(1);
    expect(looks.length).toBeGreaterThan(MAX_WAITS_PER_EXECUTION);
    expect(gapsOf(looks.map((l) => l.atMs)).every((gap) => gap >= 5)).toBe(true);
    // Every look sees a window of its own: no window is judged (and no alpha spent on it) twice.
    expect(new Set(looks.map((l) => l.window.toMs)).size).toBe(looks.length);
  });

  it('takes exactly the looks the sequential plan budgets, each spending its planned share of alpha', () => {
    const { looks } = drive(enteredStep(gate));
    expect(looks.map((l) => l.look)).toEqual(Array.from({ length: health.plannedLooks }, (_, i) => i + 1));
    expect(looks.at(-1)?.atMs).toBe(START_MS + 200 * MIN);
    // The planned looks spend 0.9 of alpha = 1 - 0.95 between them; none is left to the overtime share.
    expect(looks.reduce((sum, l) => sum + l.alphaThisLook, 0)).toBeCloseTo(0.9 * 0.05, 12);
  });

  it("the step's very first look is still at once", () => {
    const { looks } = drive(enteredStep(gate));
    expect(looks[0]?.atMs).toBe(START_MS);
  });
});

describe('a gate step whose no-data outcome extends', () => {
  const gate: Step = {
    kind: 'gate',
    gates: ['health'],
    retryIntervalMinutes: 5,
    maxExtensionMinutes: 10,
    noDataOutcome: 'extend',
    maxNoDataExtensions: 2,
  };

  it('restarts its window, but its next look waits one interval after the last one', () => {
    const { looks, final } = drive(enteredStep(gate, { ...health, plannedLooks: 3 }));
    expect(final?.phase).toBe('RolledBack');
    // The first window looks at 0, 5 and 10 min; each extension (10 min from the look that found no data) at +5 and +10.
    expect(looks.map((l) => (l.atMs - START_MS) / MIN)).toEqual([0, 5, 10, 15, 20, 25, 30]);
  });
});

describe('a bake over several executions', () => {
  const bake: Step = {
    kind: 'bake',
    durationMinutes: 150,
    checkIntervalMinutes: 5,
    gates: ['health'],
    minRequests: 0,
    maxExtensionMinutes: 50,
    noDataOutcome: 'rollback',
  };

  it('waits one interval after the last look in the next execution too', () => {
    const { looks, executionsAtMs } = drive(enteredStep(bake, { ...health, plannedLooks: 40 }));
    expect(executionsAtMs.length).toBeGreaterThan(1);
    expect(looks.map((l) => l.atMs)).toEqual(Array.from({ length: 40 }, (_, i) => START_MS + (i + 1) * 5 * MIN));
  });
});

describe("an A/B test's decideWinner over several executions", () => {
  const ab: Step = { kind: 'decideWinner', gate: 'health', minRequestsPerArm: 1000, maxWaitMinutes: 200, checkIntervalMinutes: 5 };

  it('looks every interval across executions, the last at the end of the test, with consecutive look numbers', () => {
    const { looks, executionsAtMs, final } = drive(enteredStep(ab, { ...health, plannedLooks: 40 }));
    expect(final?.phase).toBe('RolledBack');
    expect(executionsAtMs.length).toBeGreaterThan(1);
    expect(looks.map((l) => l.atMs)).toEqual(Array.from({ length: 40 }, (_, i) => START_MS + (i + 1) * 5 * MIN));
    expect(looks.map((l) => l.look)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe("an approval's reminders over several executions", () => {
  const approval: Step = {
    kind: 'approval',
    name: 'release',
    approvers: ['alice@x.com'],
    timeoutMinutes: 10,
    onTimeout: 'remind',
    reminderIntervalMinutes: 10,
    maxReminders: 30,
  };

  it('sends the request once and each reminder once, every one announcing a deadline one interval after the last', () => {
    const { notified, executionsAtMs, final } = drive(enteredStep(approval));
    expect(final?.phase).toBe('RolledBack');
    expect(notified.every((n) => n.kind === 'approvalRequested')).toBe(true);
    expect(notified.map((n) => n.reminder)).toEqual([false, ...Array<boolean>(30).fill(true)]);
    // Each reminder is sent at the deadline the one before announced, and announces the next.
    expect(notified.map((n) => n.timeoutAtMs)).toEqual(Array.from({ length: 31 }, (_, i) => START_MS + (i + 1) * 10 * MIN));
    // A reminder ends its execution (the decider's stay): the next one starts at the next deadline.
    expect(executionsAtMs.slice(1, 31)).toEqual(notified.slice(0, 30).map((n) => n.timeoutAtMs));
  });
});
