/**
 * The generator driven by a fake orchestration context (no runtime): activities and entity calls
 * answer from a script, external events arrive when the script says, timers fire in order. It
 * checks what the interpreter does with the decider's commands at the edges the runtime tests
 * cannot time: an abort that arrives while the rollout is queued, between two lease polls.
 */
import type * as df from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { rolloutOrchestrator } from '../../src/orchestration/rollout-orchestrator';
import { ACTIVITY } from '../../src/orchestration/activity-names';
import type { RolloutStatus } from '../../src/plan/types';
import { emptyProgress, initialStatus, type EngineState } from '../../src/orchestration/engine-state';
import { testInput, testPlan } from './engine-fixture';

interface FakeTask {
  readonly kind: 'activity' | 'entity' | 'event' | 'timer' | 'any';
  readonly name: string;
  readonly input?: unknown;
  readonly fireAtMs?: number;
  readonly tasks?: FakeTask[];
  isCompleted: boolean;
  isFaulted?: boolean;
  result?: unknown;
  cancel(): void;
}

interface Script {
  /** Answers an activity call (throw to fail it). */
  activity(name: string, input: unknown): unknown;
  /** Answers an entity call. */
  entity(operation: string, input: unknown): unknown;
  /** External events, delivered to the newest open listener when the generator next waits on a race. */
  readonly events: { name: string; value: unknown; atWait: number }[];
}

interface Run {
  readonly output: RolloutStatus | undefined;
  readonly continuedAsNew: unknown;
  readonly signals: { operation: string; input: unknown }[];
  readonly statuses: RolloutStatus[];
  /** What happened in order: `status <phase>` for each published status, `call <activity>` for each activity answered. */
  readonly trace: string[];
}

/** Runs one execution of the orchestrator against the script. */
function runExecution(input: unknown, script: Script, startMs = Date.UTC(2026, 0, 5, 9)): Run {
  let now = startMs;
  let waits = 0;
  const listeners: FakeTask[] = [];
  const signals: Run['signals'] = [];
  const statuses: RolloutStatus[] = [];
  const trace: string[] = [];
  let continuedAsNew: unknown;
  const task = (kind: FakeTask['kind'], name: string, extra: Partial<FakeTask> = {}): FakeTask => ({
    kind,
    name,
    isCompleted: false,
    cancel() {},
    ...extra,
  });
  const context = {
    log: () => undefined,
    df: {
      instanceId: 'r1',
      isReplaying: false,
      get currentUtcDateTime() {
        return new Date(now);
      },
      getInput: () => input,
      // The orchestrator publishes an object that fits itself to the size limit when serialized (toJSON).
      setCustomStatus: (published: unknown) => {
        const status = JSON.parse(JSON.stringify(published)) as RolloutStatus;
        statuses.push(status);
        if (trace.at(-1) !== `status ${status.phase}`) trace.push(`status ${status.phase}`);
      },
      callActivity: (name: string, activityInput: unknown) => task('activity', name, { input: activityInput }),
      callActivityWithRetry: (name: string, _retry: unknown, activityInput: unknown) => task('activity', name, { input: activityInput }),
      callEntity: (_entity: unknown, operation: string, entityInput: unknown) => task('entity', operation, { input: entityInput }),
      signalEntity: (_entity: unknown, operation: string, signalInput: unknown) => void signals.push({ operation, input: signalInput }),
      waitForExternalEvent: (name: string) => {
        const listener = task('event', name);
        listeners.push(listener);
        return listener;
      },
      createTimer: (at: Date) => task('timer', 'timer', { fireAtMs: at.getTime() }),
      Task: { any: (tasks: FakeTask[]) => task('any', 'any', { tasks }) },
      continueAsNew: (next: unknown) => {
        continuedAsNew = next;
      },
    },
  } as unknown as df.OrchestrationContext;

  const generator = rolloutOrchestrator(context);
  let step = generator.next();
  for (let guard = 0; !step.done && guard < 10_000; guard++) {
    const yielded = step.value as unknown as FakeTask;
    if (yielded.kind === 'activity' && yielded.isCompleted) {
      // A task that already completed (it lost a race and is awaited again): its outcome at once.
      step = yielded.isFaulted ? generator.throw(yielded.result) : generator.next(yielded.result);
      continue;
    }
    if (yielded.kind === 'activity' || yielded.kind === 'entity') {
      let answer: unknown;
      try {
        if (yielded.kind === 'activity') trace.push(`call ${yielded.name}`);
        answer = yielded.kind === 'activity' ? script.activity(yielded.name, yielded.input) : script.entity(yielded.name, yielded.input);
      } catch (error) {
        step = generator.throw(error);
        continue;
      }
      step = generator.next(answer);
      continue;
    }
    if (yielded.kind === 'any') {
      waits += 1;
      const due = script.events.findIndex((e) => e.atWait === waits);
      if (due >= 0) {
        const [event] = script.events.splice(due, 1);
        const listener = [...listeners].reverse().find((l) => l.name === event!.name && !l.isCompleted);
        if (listener) {
          listener.isCompleted = true;
          listener.result = event!.value;
          step = generator.next(listener);
          continue;
        }
      }
      const activity = yielded.tasks!.find((t) => t.kind === 'activity');
      if (activity) {
        // An activity raced against events, and no event is due: the activity answers.
        trace.push(`call ${activity.name}`);
        try {
          activity.result = script.activity(activity.name, activity.input);
        } catch (error) {
          activity.isFaulted = true;
          activity.result = error;
        }
        activity.isCompleted = true;
        step = generator.next(activity);
        continue;
      }
      const timer = yielded.tasks!.find((t) => t.kind === 'timer');
      if (!timer) throw new Error('the orchestrator waits without a timer and the script has no event for it');
      now = Math.max(now, timer.fireAtMs ?? now);
      timer.isCompleted = true;
      step = generator.next(timer);
      continue;
    }
    throw new Error(`unexpected yield ${yielded.kind}`);
  }
  return { output: step.done ? (step.value as RolloutStatus) : undefined, continuedAsNew, signals, statuses, trace };
}

const target = testPlan().target;

/** The state a rollout continues with after its lease execution: planned, still Pending, nothing deployed. */
function plannedState(): EngineState {
  return {
    version: 1,
    plan: testPlan(),
    mode: 'forward',
    stepIndex: 0,
    progress: emptyProgress(),
    facts: { candidateCreated: false, modelReplaced: false, smokePassed: [], promoted: false, verdictWritten: false },
    status: { ...initialStatus(testInput, 0), endpoint: 'e', phase: 'Pending' },
    leaseHeld: true,
    input: testInput,
    executions: 1,
    carriedApprovals: [],
  };
}

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
