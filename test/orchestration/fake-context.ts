/**
 * A fake durable orchestration context (no runtime) that drives the real generator: activities
 * and entity calls answer from a script, external events arrive when the script says (at the
 * n-th race, to the newest open listener of their name), timers fire in order. It records every
 * durable call the generator makes, in order (`actions`), so tests can hold the interpreter to
 * the tasks the engine commanded.
 */
import type * as df from 'durable-functions';
import { rolloutOrchestrator } from '../../src/orchestration/rollout-orchestrator';
import type { RolloutStatus } from '../../src/plan/types';

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

export interface Script {
  /** Answers an activity call (throw to fail it). */
  activity(name: string, input: unknown): unknown;
  /** Answers an entity call. */
  entity(operation: string, input: unknown): unknown;
  /** External events, delivered to the newest open listener when the generator next waits on a race. */
  readonly events: { name: string; value: unknown; atWait: number }[];
}

export interface Run {
  readonly output: RolloutStatus | undefined;
  readonly continuedAsNew: unknown;
  readonly signals: { operation: string; input: unknown }[];
  readonly statuses: RolloutStatus[];
  /** What happened in order: `status <phase>` for each published status, `call <activity>` for each activity answered. */
  readonly trace: string[];
  /** Thrown out of the generator: the orchestration failed. */
  readonly failure: unknown;
  /** The generator waits for an event only (no timer) and the script has none left: it would wait for a person. */
  readonly waitsForEvent: boolean;
  /** Every durable call the generator made, in order (see `action` for the format). */
  readonly actions: string[];
}

/** One durable call as the fake records it: `kind name input-as-JSON`. */
export function action(kind: string, name: string, input?: unknown): string {
  return input === undefined ? `${kind} ${name}` : `${kind} ${name} ${JSON.stringify(input)}`;
}

/** Runs one execution of the orchestrator against the script. */
export function runExecution(input: unknown, script: Script, startMs = Date.UTC(2026, 0, 5, 9)): Run {
  let now = startMs;
  let waits = 0;
  const listeners: FakeTask[] = [];
  const signals: Run['signals'] = [];
  const statuses: RolloutStatus[] = [];
  const trace: string[] = [];
  const actions: string[] = [];
  let continuedAsNew: unknown;
  const task = (kind: FakeTask['kind'], name: string, extra: Partial<FakeTask> = {}): FakeTask => ({
    kind,
    name,
    isCompleted: false,
    cancel() {
      actions.push(`cancel ${kind}`);
    },
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
        actions.push('status');
        const status = JSON.parse(JSON.stringify(published)) as RolloutStatus;
        statuses.push(status);
        if (trace.at(-1) !== `status ${status.phase}`) trace.push(`status ${status.phase}`);
      },
      callActivity: (name: string, activityInput: unknown) => {
        actions.push(action('activity', name, activityInput));
        return task('activity', name, { input: activityInput });
      },
      callActivityWithRetry: (name: string, _retry: unknown, activityInput: unknown) => {
        actions.push(action('activityWithRetry', name, activityInput));
        return task('activity', name, { input: activityInput });
      },
      callEntity: (_entity: unknown, operation: string, entityInput: unknown) => {
        actions.push(action('entity', operation, entityInput));
        return task('entity', operation, { input: entityInput });
      },
      signalEntity: (_entity: unknown, operation: string, signalInput: unknown) => {
        actions.push(action('signal', operation, signalInput));
        signals.push({ operation, input: signalInput });
      },
      waitForExternalEvent: (name: string) => {
        actions.push(action('listen', name));
        const listener = task('event', name);
        listeners.push(listener);
        return listener;
      },
      createTimer: (at: Date) => {
        actions.push(action('timer', String(at.getTime())));
        return task('timer', 'timer', { fireAtMs: at.getTime() });
      },
      Task: {
        any: (tasks: FakeTask[]) => {
          actions.push(action('any', tasks.map((t) => t.kind).join(',')));
          return task('any', 'any', { tasks });
        },
      },
      continueAsNew: (next: unknown) => {
        actions.push('continueAsNew');
        continuedAsNew = next;
      },
    },
  } as unknown as df.OrchestrationContext;

  const generator = rolloutOrchestrator(context);
  let step: IteratorResult<df.Task, RolloutStatus> = { done: false, value: undefined as unknown as df.Task };
  let failure: unknown;
  let waitsForEvent = false;
  try {
    step = generator.next();
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
        if (!timer) {
          waitsForEvent = true;
          break;
        }
        now = Math.max(now, timer.fireAtMs ?? now);
        timer.isCompleted = true;
        step = generator.next(timer);
        continue;
      }
      throw new Error(`unexpected yield ${yielded.kind}`);
    }
  } catch (error) {
    // The orchestration itself failed (an uncaught error): the host would mark the instance Failed.
    failure = error;
  }
  return { output: step.done ? step.value : undefined, failure, waitsForEvent, continuedAsNew, signals, statuses, trace, actions };
}
