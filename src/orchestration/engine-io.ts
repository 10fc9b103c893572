/**
 * The vocabulary between the pure rollout engine (engine.ts and the step, wait and rollback
 * machines) and its interpreter (rollout-orchestrator.ts).
 *
 * The engine is written as a pure generator: it yields an EngineCommand whenever it needs the
 * outside world and is resumed with an EngineInput saying what happened. It never sees the
 * durable context: the interpreter turns each command into exactly one durable task (or into an
 * immediate answer for the commands that schedule nothing) and each result into an input.
 * Because the engine is deterministic and its inputs are what the durable history replays, a
 * replay of the orchestration replays the engine step for step.
 *
 * Why a generator and not a (state, input) -> (state, commands) table for every step: the
 * control flow of a step (a bake's wait-look-judge loop, an approval's reminders, a rollback's
 * list of steps) reads top to bottom as code, and the decisions that change the rollout's mode
 * are still made by decide() (decider.ts), whose table is the one documented in
 * docs/architecture.md. The interpreter schedules exactly the tasks the engine commands, in
 * order, and nothing else.
 */
import type { ZodType } from 'zod';
import type { EngineState } from './engine-state';
import type { ActivityName } from './activity-names';
import { activityContract, type ActivityInput, type ActivityOutput } from './activity-registry';
import { parseContract } from './activity-contracts';
import { journal } from './engine-state';
import { tickPhaseClock } from '../plan/time-spent';
import { stepStatus } from '../plan/describe';
import type { Split } from '../plan/types';

/** What the engine asks of the interpreter. */
export type EngineCommand =
  // ---- answered at once, nothing scheduled
  /** Publish `state.status` as the custom status (serialized at the next yield, as the host does). */
  | { readonly kind: 'publish'; readonly state: EngineState }
  /** A log line (the interpreter drops it while replaying). */
  | { readonly kind: 'log'; readonly message: string }
  /** Tell the endpoint's lease entity this rollout is done with it (a one-way signal). */
  | { readonly kind: 'signalRelease'; readonly leaseKey: string; readonly input: unknown }
  /** Control and approval events delivered to listeners of this execution and not handled yet. */
  | { readonly kind: 'harvest'; readonly controlsOnly: boolean }
  // ---- one durable task each
  /** Call an activity; `retry`: with the orchestration-level durable retry. */
  | { readonly kind: 'callActivity'; readonly name: ActivityName; readonly input: unknown; readonly retry: boolean }
  /** Start an activity and race it against a fresh control listener (Task.any). */
  | { readonly kind: 'raceActivity'; readonly name: ActivityName; readonly input: unknown }
  /** Race the activity started by raceActivity again, against another fresh control listener. */
  | { readonly kind: 'raceAgain' }
  /** Wait for the activity started by raceActivity to settle (yields its task, settled or not). */
  | { readonly kind: 'awaitActivity' }
  /** Wait for a timer (none: until an event), a control event, and an approval event when asked. */
  | { readonly kind: 'wait'; readonly untilMs: number | undefined; readonly approval: boolean }
  /** Call the endpoint lease entity and wait for its answer. */
  | { readonly kind: 'callEntity'; readonly leaseKey: string; readonly operation: 'acquire' | 'check'; readonly input: unknown }
  /** A zero-length timer raced against fresh control and approval listeners (the drain before continueAsNew). */
  | { readonly kind: 'drain' };

/** What happened, as the interpreter tells the engine. `atMs` is the orchestration's clock after the task. */
export type EngineInput =
  /** The answer to a command that schedules nothing (publish, log, signalRelease). */
  | { readonly kind: 'noted' }
  | { readonly kind: 'harvested'; readonly controls: readonly unknown[]; readonly approvals: readonly unknown[] }
  | { readonly kind: 'activitySucceeded'; readonly output: unknown; readonly atMs: number }
  | { readonly kind: 'activityFailed'; readonly error: { readonly code: string; readonly message: string }; readonly atMs: number }
  | { readonly kind: 'timerFired'; readonly atMs: number }
  /** A control or approval listener completed first (the engine harvests to see what came). */
  | { readonly kind: 'eventArrived'; readonly atMs: number }
  | { readonly kind: 'entityAnswered'; readonly answer: unknown; readonly atMs: number }
  /** The entity call failed (the operation threw, or the call did not complete). */
  | { readonly kind: 'entityFailed'; readonly error: { readonly code: string; readonly message: string }; readonly atMs: number };

/** How one execution ends. */
export interface ExecutionEnd {
  /** complete: the rollout has ended (its status is the output); continueAsNew: carry the state on. */
  readonly kind: 'complete' | 'continueAsNew';
  readonly state: EngineState;
}

/** The commands answered at once, which schedule nothing: a machine emits them without stopping. */
export type ImmediateCommand = Extract<EngineCommand, { kind: 'publish' | 'log' | 'signalRelease' }>;
/** The commands a machine stops at: harvest (answered at once) and the durable tasks. */
export type AskCommand = Exclude<EngineCommand, ImmediateCommand>;

export function isImmediate(command: EngineCommand): command is ImmediateCommand {
  return command.kind === 'publish' || command.kind === 'log' || command.kind === 'signalRelease';
}

// ---------------------------------------------------------------- the cursor

/**
 * One machine's place in a call: which machine, the named position it stopped at, and the locals
 * it needs when it goes on (JSON values only: the cursor is plain data, like the rest of the state).
 */
export interface Frame {
  readonly machine: string;
  readonly at: string;
}

/** An activity's (or any step's) failure as the engine sees it: failureOf's code and message. */
export interface Failure {
  readonly code: string;
  readonly message: string;
}

/** Why a machine runs again: it was entered, its command was answered, or the machine it called returned or failed. */
export type Resume =
  | { readonly kind: 'enter' }
  | { readonly kind: 'input'; readonly input: EngineInput }
  | { readonly kind: 'returned'; readonly value: unknown }
  /** `cause`: what was thrown, rethrown by a caller that does not handle it (only held while one input is handled). */
  | { readonly kind: 'failed'; readonly failure: Failure; readonly cause: unknown };

/** What a machine does next: stop at a command, call another machine, or return to its caller. */
export type Next =
  | { readonly kind: 'ask'; readonly frame: Frame; readonly command: AskCommand }
  | { readonly kind: 'call'; readonly frame: Frame; readonly child: Frame }
  | { readonly kind: 'return'; readonly value: unknown };

/** What a machine sees: the state (changed in place), the orchestration's clock, and the immediate commands it emits. */
export interface MachineContext {
  readonly state: EngineState;
  now(): number;
  emit(command: ImmediateCommand): void;
}

/**
 * A machine: one step of one call, from the position its frame names to the next command, call or
 * return. A thrown error is a failure: the caller's machine is resumed with `failed` (see advance).
 */
export type Machine<F extends Frame = Frame> = (ctx: MachineContext, frame: F, resume: Resume) => Next;

export const ask = (frame: Frame, command: AskCommand): Next => ({ kind: 'ask', frame, command });
export const call = (frame: Frame, child: Frame): Next => ({ kind: 'call', frame, child });
export const done = (value?: unknown): Next => ({ kind: 'return', value });

/** The answer to the frame's command; a failure of a called machine is rethrown (the caller did not catch it). */
export function answerOf(resume: Resume): EngineInput {
  if (resume.kind === 'failed') throw resume.cause;
  if (resume.kind !== 'input') throw new Error(`expected the answer to a command, got ${resume.kind}`);
  return resume.input;
}

/** What the called machine returned; its failure is rethrown (the caller did not catch it). */
export function returnedOf<T>(resume: Resume): T {
  if (resume.kind === 'failed') throw resume.cause;
  if (resume.kind !== 'returned') throw new Error(`expected a called machine's result, got ${resume.kind}`);
  return resume.value as T;
}

/** The called machine's failure when it failed (the caller catches it), else undefined (and its result is read with returnedOf). */
export function failureIn(resume: Resume): Failure | undefined {
  return resume.kind === 'failed' ? resume.failure : undefined;
}

/** A journal entry on the status, and the same line in the log. */
export function note(ctx: MachineContext, message: string, traffic?: Split, mirror?: Split): void {
  journal(ctx.state, ctx.now(), message, traffic, mirror);
  ctx.emit({ kind: 'log', message });
}

/** Brings the status's clock and step up to date and publishes it (the host serializes it at the next durable task). */
export function publish(ctx: MachineContext): void {
  const { state } = ctx;
  state.status.updatedAtMs = ctx.now();
  state.status.phaseClock = tickPhaseClock(state.status.phaseClock, state.status.phase, state.status.paused, state.status.updatedAtMs);
  state.status.step = stepStatus(state.plan, Math.min(state.stepIndex, state.plan.steps.length));
  ctx.emit({ kind: 'publish', state });
}

// ---- reading answers (each throws what the generator's call would have thrown)

/** Calls an activity by its registry entry (`retry`: see callWithRetry); its answer is read with outputOf. */
export const callActivity = <N extends ActivityName>(name: N, input: ActivityInput<N>, retry = false): AskCommand => ({
  kind: 'callActivity',
  name,
  input,
  retry,
});

/** A notification's answer: only its failure matters. */
export function unreadOf(answer: EngineInput): void {
  if (answer.kind === 'activityFailed') throw new ActivityFailure(answer.error);
}

export function harvestedOf(answer: EngineInput): { controls: unknown[]; approvals: unknown[] } {
  if (answer.kind !== 'harvested') throw new Error(`harvest: expected the delivered events, got ${answer.kind}`);
  return { controls: [...answer.controls], approvals: [...answer.approvals] };
}

/** A raced activity's answer: 'control' when a control came first. */
export const raceOf = (answer: EngineInput): 'control' | EngineInput => (answer.kind === 'eventArrived' ? 'control' : answer);

/** The awaited racing activity's answer; throws its failure. */
export function settledOf(name: ActivityName, answer: EngineInput): void {
  if (answer.kind === 'activityFailed') throw new ActivityFailure(answer.error);
  if (answer.kind !== 'activitySucceeded') throw new Error(`${name}: expected the activity's answer, got ${answer.kind}`);
}

/** A wait's or a drain's answer: true when its timer fired. */
export const timerFiredIn = (answer: EngineInput): boolean => answer.kind === 'timerFired';

/** The lease entity's answer; throws its failure like an activity's. */
export function leaseAnswerOf(operation: 'acquire' | 'check', answer: EngineInput): unknown {
  if (answer.kind === 'entityFailed') throw new ActivityFailure(answer.error);
  if (answer.kind !== 'entityAnswered') throw new Error(`lease ${operation}: expected the entity's answer, got ${answer.kind}`);
  return answer.answer;
}

// ---------------------------------------------------------------- transition: machines still written as generators

/** A generator's request to run a machine (a generator calling a converted machine). */
export interface CallCommand {
  readonly kind: 'call';
  readonly child: Frame;
}

export type Program<T> = Generator<EngineCommand | CallCommand, T, EngineInput>;

/** From a generator: runs the machine of `child` and returns what it returns (its failure is thrown). */
export function* callMachine<T>(child: Frame): Program<T> {
  return (yield { kind: 'call', child }) as unknown as T;
}

/** A machine still written as a generator, started from its frame's locals. */
export interface GeneratorMachine {
  readonly generator: (io: EngineIo, state: EngineState, frame: Frame) => Program<unknown>;
}

/** `[Code] message` from an activity failure (see activityFailureMessage in src/activities). */
export function failureOf(error: unknown): { code: string; message: string } {
  const full = error instanceof Error ? error.message : String(error);
  // The host may append the activity's stack trace to the message: keep the message only.
  const text = full.split(/\n\s+at /)[0] ?? full;
  const match = /\[([A-Za-z]+)\]\s*([\s\S]*)/.exec(text);
  // "Reason \n Details" (older hosts) repeats the message with the stack: the first line is it.
  if (match) return { code: match[1] ?? 'Internal', message: (match[2] ?? text).split('\n')[0]?.trim() ?? text };
  return { code: 'Internal', message: text.split('\n')[0]?.trim() ?? text };
}

/**
 * An activity's failure inside the engine, thrown where the durable task would have thrown.
 * Its message is `[Code] message`, so failureOf reads back the same code and message.
 */
export class ActivityFailure extends Error {
  constructor(error: { code: string; message: string }) {
    super(`[${error.code}] ${error.message}`);
    this.name = 'ActivityFailure';
  }
}

/** Parses an activity's answer with its registry entry's output schema (a violation throws like a failure). */
export function outputOf<N extends ActivityName>(name: N, answer: EngineInput): ActivityOutput<N> {
  if (answer.kind === 'activityFailed') throw new ActivityFailure(answer.error);
  if (answer.kind !== 'activitySucceeded') throw new Error(`${name}: expected the activity's answer, got ${answer.kind}`);
  return parseContract(activityContract(name).output as ZodType<ActivityOutput<N>>, answer.output, `${name} output`);
}

/** A long operation that an operator's abort interrupted: the decider has already moved on. */
export const INTERRUPTED = { interrupted: true } as const;

/**
 * The engine's side of the vocabulary: each method yields one command and reads its answer.
 * It keeps the orchestration's clock as the inputs report it (the only time the engine knows).
 */
export class EngineIo {
  /** `clock`: the driver's (advance keeps it at the last input's atMs). */
  constructor(private readonly clock: () => number) {}

  now(): number {
    return this.clock();
  }

  private *ask(command: EngineCommand): Program<EngineInput> {
    return yield command;
  }

  *log(message: string): Program<void> {
    yield* this.ask({ kind: 'log', message });
  }

  /** A journal entry on the status, and the same line in the log. */
  *note(state: EngineState, message: string, traffic?: Split, mirror?: Split): Program<void> {
    journal(state, this.now(), message, traffic, mirror);
    yield* this.log(message);
  }

  *publish(state: EngineState): Program<void> {
    state.status.updatedAtMs = this.now();
    state.status.phaseClock = tickPhaseClock(state.status.phaseClock, state.status.phase, state.status.paused, state.status.updatedAtMs);
    state.status.step = stepStatus(state.plan, Math.min(state.stepIndex, state.plan.steps.length));
    yield* this.ask({ kind: 'publish', state });
  }

  *signalRelease(leaseKey: string, input: unknown): Program<void> {
    yield* this.ask({ kind: 'signalRelease', leaseKey, input });
  }

  /** Events delivered and not handled yet; `controlsOnly` leaves approvals with their listeners for a later harvest. */
  *harvest(controlsOnly = false): Program<{ controls: unknown[]; approvals: unknown[] }> {
    const answer = yield* this.ask({ kind: 'harvest', controlsOnly });
    if (answer.kind !== 'harvested') throw new Error(`harvest: expected the delivered events, got ${answer.kind}`);
    return { controls: [...answer.controls], approvals: [...answer.approvals] };
  }

  /** Calls an activity by its registry entry; the answer is checked with the entry's output schema. */
  *call<N extends ActivityName>(name: N, input: ActivityInput<N>): Program<ActivityOutput<N>> {
    return outputOf(name, yield* this.ask({ kind: 'callActivity', name, input, retry: false }));
  }

  /**
   * For idempotent reads and writes whose failure would otherwise end a rollout that is already
   * decided (reading the split, writing the verdict, the final cleanup): the interpreter adds a
   * few attempts at the orchestration level, minutes apart, beyond the activity's own retries.
   */
  *callWithRetry<N extends ActivityName>(name: N, input: ActivityInput<N>): Program<ActivityOutput<N>> {
    return outputOf(name, yield* this.ask({ kind: 'callActivity', name, input, retry: true }));
  }

  /** Calls an activity whose answer nobody reads (a notification): only its failure matters. */
  *callUnread(name: ActivityName, input: unknown): Program<void> {
    const answer = yield* this.ask({ kind: 'callActivity', name, input, retry: false });
    if (answer.kind === 'activityFailed') throw new ActivityFailure(answer.error);
  }

  /**
   * Races the activity (started on the first call, the same one after) against a fresh control
   * listener: 'control' when a control came first, else the activity's answer, unread (the
   * caller looks at controls first, then reads it with `outputOf` or settles a failure).
   */
  *race(name: ActivityName, input: unknown, again: boolean): Program<'control' | EngineInput> {
    const answer = yield* this.ask(again ? { kind: 'raceAgain' } : { kind: 'raceActivity', name, input });
    return answer.kind === 'eventArrived' ? 'control' : answer;
  }

  /** Waits for the racing activity to settle; throws its failure. */
  *settle(name: ActivityName): Program<void> {
    const answer = yield* this.ask({ kind: 'awaitActivity' });
    if (answer.kind === 'activityFailed') throw new ActivityFailure(answer.error);
    if (answer.kind !== 'activitySucceeded') throw new Error(`${name}: expected the activity's answer, got ${answer.kind}`);
  }

  /** Waits for the timer (none when undefined), a control, and an approval when asked: true when the timer fired. */
  *wait(untilMs: number | undefined, approval: boolean): Program<boolean> {
    const answer = yield* this.ask({ kind: 'wait', untilMs, approval });
    return answer.kind === 'timerFired';
  }

  /** Calls the lease entity; throws its failure like an activity's, so the caller turns it into a decider input. */
  *callLease(leaseKey: string, operation: 'acquire' | 'check', input: unknown): Program<unknown> {
    const answer = yield* this.ask({ kind: 'callEntity', leaseKey, operation, input });
    if (answer.kind === 'entityFailed') throw new ActivityFailure(answer.error);
    if (answer.kind !== 'entityAnswered') throw new Error(`lease ${operation}: expected the entity's answer, got ${answer.kind}`);
    return answer.answer;
  }

  /** True when the drain's zero-length timer won (nothing more was buffered). */
  *drain(): Program<boolean> {
    const answer = yield* this.ask({ kind: 'drain' });
    return answer.kind === 'timerFired';
  }
}
