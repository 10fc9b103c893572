/**
 * The rollout orchestrator: a thin interpreter of the pure rollout engine (engine.ts).
 *
 * The engine answers each input with commands (engine-io.ts): `startExecution`, then
 * `advance(execution, input)`. This turns each command into exactly one durable task, or answers
 * it at once when it schedules nothing (publish the status, log, signal the lease, harvest
 * delivered events), and hands the answer to the last one back to the engine. It decides nothing.
 *
 * Replay rules (docs/architecture.md): no I/O, no wall clock, no randomness here; time is
 * context.df.currentUtcDateTime; logs are guarded by isReplaying.
 *
 * External events: the library completes the newest open listener of a name first, and older
 * listeners that lost their race stay open, so an event that arrives while an activity runs may
 * complete one of those: the Inbox keeps every listener of this execution and hands over all
 * completed ones when the engine harvests.
 */
import * as df from 'durable-functions';
import type { RolloutStatus } from '../plan/types';
import { fitStatusToBudget } from '../plan/status-budget';
import { ENDPOINT_LEASE_ENTITY } from './activity-names';
import { APPROVAL_EVENT, CONTROL_EVENT } from './events';
import { failureOf, type EngineCommand, type EngineInput } from './engine-io';
import { advance, startExecution, type ContinuationInput } from './engine';

type Ctx = df.OrchestrationContext;

interface Listener {
  readonly task: df.Task;
  handled: boolean;
}

/** Every listener of this execution; a harvest takes the completed ones not handled yet. */
class Inbox {
  private readonly controls: Listener[] = [];
  private readonly approvals: Listener[] = [];
  constructor(private readonly context: Ctx) {}

  control(): df.Task {
    const task = this.context.df.waitForExternalEvent(CONTROL_EVENT);
    this.controls.push({ task, handled: false });
    return task;
  }

  approval(): df.Task {
    const task = this.context.df.waitForExternalEvent(APPROVAL_EVENT);
    this.approvals.push({ task, handled: false });
    return task;
  }

  private static take(list: Listener[]): unknown[] {
    const out: unknown[] = [];
    for (const listener of list) {
      if (!listener.handled && listener.task.isCompleted) {
        listener.handled = true;
        out.push(listener.task.result);
      }
    }
    return out;
  }

  /** Delivered events not handled yet; with `controlsOnly`, approvals stay for a later harvest. */
  harvest(controlsOnly: boolean): { controls: unknown[]; approvals: unknown[] } {
    return { controls: Inbox.take(this.controls), approvals: controlsOnly ? [] : Inbox.take(this.approvals) };
  }
}

/**
 * For idempotent reads and writes whose failure would otherwise end a rollout that is already
 * decided: a few more attempts at the orchestration level, minutes apart.
 */
const DURABLE_RETRY = new df.RetryOptions(30_000, 3);
DURABLE_RETRY.backoffCoefficient = 2;

const NOTED: EngineInput = { kind: 'noted' };

export function* rolloutOrchestrator(context: Ctx): Generator<df.Task, RolloutStatus, unknown> {
  const now = (): number => context.df.currentUtcDateTime.getTime();
  const inbox = new Inbox(context);
  /** The activity a raceActivity started (raced again, or awaited, by the next commands). */
  let racing: df.Task | undefined;

  /** Yields one task; its result or failure becomes the engine's next input. */
  function* settle(task: df.Task): Generator<df.Task, EngineInput, unknown> {
    try {
      const output: unknown = yield task;
      return { kind: 'activitySucceeded', output, atMs: now() };
    } catch (error) {
      return { kind: 'activityFailed', error: failureOf(error), atMs: now() };
    }
  }

  /** Races the racing activity against a fresh control listener. */
  function* race(task: df.Task): Generator<df.Task, EngineInput, unknown> {
    const winner: unknown = yield context.df.Task.any([task, inbox.control()]);
    if (winner !== task) return { kind: 'eventArrived', atMs: now() };
    // Settled first: the engine reads the failure (and awaits the task again with awaitActivity), as after a plain call.
    if (task.isFaulted) return { kind: 'activityFailed', error: failureOf(task.result), atMs: now() };
    return { kind: 'activitySucceeded', output: task.result, atMs: now() };
  }

  function* run(command: EngineCommand): Generator<df.Task, EngineInput, unknown> {
    switch (command.kind) {
      case 'publish': {
        const status = (): RolloutStatus => command.state.status as RolloutStatus;
        // Fitted when serialized (at the next yield), as the host reads it.
        context.df.setCustomStatus({ toJSON: () => fitStatusToBudget(status()) });
        return NOTED;
      }
      case 'log':
        if (!context.df.isReplaying) context.log(`[rollout ${context.df.instanceId}] ${command.message}`);
        return NOTED;
      case 'signalRelease':
        context.df.signalEntity(new df.EntityId(ENDPOINT_LEASE_ENTITY, command.leaseKey), 'release', command.input);
        return NOTED;
      case 'harvest':
        return { kind: 'harvested', ...inbox.harvest(command.controlsOnly) };
      case 'callActivity':
        return yield* settle(
          command.retry
            ? context.df.callActivityWithRetry(command.name, DURABLE_RETRY, command.input)
            : context.df.callActivity(command.name, command.input),
        );
      case 'raceActivity':
        racing = context.df.callActivity(command.name, command.input);
        return yield* race(racing);
      case 'raceAgain':
        if (!racing) throw new Error('raceAgain: no activity is racing');
        return yield* race(racing);
      case 'awaitActivity':
        if (!racing) throw new Error('awaitActivity: no activity is racing');
        return yield* settle(racing);
      case 'wait': {
        const tasks: df.Task[] = [];
        const timer = command.untilMs === undefined ? undefined : context.df.createTimer(new Date(command.untilMs));
        if (timer) tasks.push(timer);
        tasks.push(inbox.control());
        if (command.approval) tasks.push(inbox.approval());
        const winner: unknown = yield context.df.Task.any(tasks);
        if (timer !== undefined && winner === timer) return { kind: 'timerFired', atMs: now() };
        if (timer !== undefined && !timer.isCompleted) timer.cancel();
        return { kind: 'eventArrived', atMs: now() };
      }
      case 'callEntity': {
        const entity = new df.EntityId(ENDPOINT_LEASE_ENTITY, command.leaseKey);
        try {
          const answer: unknown = yield context.df.callEntity(entity, command.operation, command.input);
          return { kind: 'entityAnswered', answer, atMs: now() };
        } catch (error) {
          return { kind: 'entityFailed', error: failureOf(error), atMs: now() };
        }
      }
      case 'drain': {
        const timer = context.df.createTimer(new Date(now()));
        const winner: unknown = yield context.df.Task.any([timer, inbox.control(), inbox.approval()]);
        if (winner === timer) return { kind: 'timerFired', atMs: now() };
        timer.cancel();
        return { kind: 'eventArrived', atMs: now() };
      }
    }
  }

  // The immediate commands are answered on the way; the last one is what the engine waits at.
  let step = startExecution(context.df.getInput(), context.df.instanceId, now());
  for (;;) {
    let input: EngineInput = NOTED;
    for (const command of step.commands) input = yield* run(command);
    if (step.execution.end) break;
    step = advance(step.execution, input);
  }
  const end = step.execution.end;
  if (end.kind === 'continueAsNew') context.df.continueAsNew({ continuation: true, state: end.state } satisfies ContinuationInput);
  return end.state.status as RolloutStatus;
}
