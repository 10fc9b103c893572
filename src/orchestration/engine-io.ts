/**
 * The vocabulary between the pure rollout engine (engine.ts and its machines) and its interpreter
 * (rollout-orchestrator.ts), and the cursor the engine keeps its place with.
 *
 * The engine never sees the durable context. Handed an input, it runs until it needs the outside
 * world and answers with commands: the immediate ones (publish, log, signalRelease), which
 * schedule nothing, then the one it stops at (harvest, answered at once, or one durable task).
 * The interpreter carries them out in that order and hands back what happened as the next input.
 * Because the engine is deterministic and its inputs are what the durable history replays, a
 * replay of the orchestration replays the engine input for input.
 *
 * Where the engine is between two inputs is data, not a suspended function: the cursor, a stack of
 * frames (one per machine call: which machine, the named stop it is at, the locals it needs after
 * it). A machine is one step of one call: `(context, frame, resume) -> next`. So every position of
 * a rollout can be built, inspected and tested as a value (test/orchestration/cursor.test.ts).
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
  /** The interpreter's answer to a command that schedules nothing (publish, log, signalRelease); the engine never waits for it. */
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

// ---- asking and reading answers (a failure is thrown where the durable task would have thrown it)

/**
 * Calls an activity by its registry entry; its answer is read with outputOf. `retry`: for
 * idempotent reads and writes whose failure would otherwise end a rollout that is already decided
 * (reading the split, writing the verdict, the final cleanup), the interpreter adds a few attempts
 * at the orchestration level, minutes apart, beyond the activity's own retries.
 */
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
