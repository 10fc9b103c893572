/**
 * Waiting, and what operators' controls do meanwhile (pure: the interpreter only runs the timers
 * and listeners this asks for).
 *
 * Every wait races a timer against fresh control listeners (and an approval listener when an
 * approval is pending). Events that arrived while an activity ran were delivered to older
 * listeners of the execution: the interpreter's Inbox keeps them, and each wait harvests them
 * first. Whether a control may act now is decideControl's answer (engine-state.ts); pause and
 * resume go to the decider at once (it changes the phase), abort, promote-now and retry are handed
 * to the caller.
 */
import { approvalEventSchema, controlEventSchema, type ApprovalEvent, type ControlEvent } from './events';
import { recordStrayApprovals, type Happened, type StepResult } from './decider';
import { decideControl, recordOverride, type EngineState } from './engine-state';
import type { EngineIo, Frame, Program } from './engine-io';
import { apply } from './engine-effects';

export type WaitResult =
  | { kind: 'timer' }
  | { kind: 'approval'; event: ApprovalEvent }
  | { kind: 'abort'; by: string }
  | { kind: 'promote'; toIndex: number; by: string }
  | { kind: 'retry'; by: string }
  | { kind: 'resumed' };

export interface ApplyControlsFrame extends Frame {
  readonly machine: 'applyControls';
  readonly raw: readonly unknown[];
}
export const applyControlsFrame = (raw: readonly unknown[]): ApplyControlsFrame => ({ machine: 'applyControls', at: 'start', raw });

export interface WaitForFrame extends Frame {
  readonly machine: 'waitFor';
  readonly untilMs: number | undefined;
  readonly approval: boolean;
}
export const waitForFrame = (untilMs: number | undefined, opts: { approval: boolean }): WaitForFrame => ({
  machine: 'waitFor',
  at: 'start',
  untilMs,
  approval: opts.approval,
});

/** Abort and promote-now also end a pause (the phase moves on from Paused with them). */
function endPause(state: EngineState, atMs: number): void {
  if (!state.status.paused) return;
  state.status.paused = false;
  if (state.progress.pausedAtMs !== undefined) state.progress.pausedMs += atMs - state.progress.pausedAtMs;
  state.progress.pausedAtMs = undefined;
  state.pausedFromPhase = undefined;
}

/**
 * Applies operator controls; returns the first one that changes the flow. Pause is handled
 * here: while paused, the rollout holds traffic where it is and waits for resume / abort /
 * promote only (the step's clock stops: paused time is added to the step's deadlines).
 */
export function* applyControls(io: EngineIo, state: EngineState, raw: readonly unknown[]): Program<WaitResult | undefined> {
  const events: ControlEvent[] = [];
  for (const value of raw) {
    const parsed = controlEventSchema.safeParse(value);
    if (parsed.success) events.push(parsed.data);
    else
      yield* io.note(
        state,
        `ignored a malformed control event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
  }
  events.sort((a, b) => a.atMs - b.atMs);
  let result: WaitResult | undefined;
  for (const event of events) {
    const at = io.now();
    if (result) {
      yield* io.note(state, `${event.action} by ${event.by} ignored: a ${result.kind} is already being handled`);
      continue;
    }
    const decision = decideControl(state, event);
    const record = {
      action: event.action,
      by: event.by,
      atMs: at,
      step: state.stepIndex,
      ...(event.comment === undefined ? {} : { comment: event.comment }),
    };
    if (decision.kind === 'ignored') {
      yield* io.note(state, `${event.action} by ${event.by} ignored: ${decision.note}`);
      continue;
    }
    recordOverride(state, record);
    switch (decision.kind) {
      case 'pause':
        yield* apply(io, state, { kind: 'paused' });
        yield* io.note(state, `paused by ${event.by}${event.comment ? `: ${event.comment}` : ''}`);
        break;
      case 'resume':
        yield* apply(io, state, { kind: 'resumed' });
        yield* io.note(state, `resumed by ${event.by}`);
        result = { kind: 'resumed' };
        break;
      case 'abort':
        endPause(state, at);
        result = { kind: 'abort', by: event.by };
        yield* io.note(state, `abort requested by ${event.by}${event.comment ? `: ${event.comment}` : ''}`);
        break;
      case 'promote':
        endPause(state, at);
        result = { kind: 'promote', toIndex: decision.toIndex, by: event.by };
        yield* io.note(state, `promote now requested by ${event.by}: skipping to step ${decision.toIndex + 1}`);
        break;
      case 'retry':
        result = { kind: 'retry', by: event.by };
        yield* io.note(state, `retry requested by ${event.by}`);
        break;
    }
  }
  return result;
}

/**
 * Waits until `untilMs` (or forever when undefined), for an approval when `approval` is set,
 * and always for operator controls. Harvests events that arrived during earlier activities first.
 */
export function* waitFor(io: EngineIo, state: EngineState, untilMs: number | undefined, opts: { approval: boolean }): Program<WaitResult> {
  for (;;) {
    const harvested = yield* io.harvest();
    const early = { controls: harvested.controls, approvals: [...state.carriedApprovals.splice(0), ...harvested.approvals] };
    const control = yield* applyControls(io, state, early.controls);
    if (!opts.approval) recordStrayApprovals(state, early.approvals, io.now());
    else if (early.approvals.length > 0) {
      // Deliver the first; later ones are looked at on the next round.
      const first = approvalEventSchema.safeParse(early.approvals[0]);
      state.carriedApprovals.push(...early.approvals.slice(1));
      if (first.success) return { kind: 'approval', event: first.data };
      recordStrayApprovals(state, [early.approvals[0]], io.now());
      continue;
    }
    if (control && control.kind !== 'resumed') return control;
    if (control?.kind === 'resumed') {
      yield* io.publish(state);
      return control;
    }
    const paused = state.status.paused;
    const timerAtMs = !paused && untilMs !== undefined ? Math.max(untilMs, io.now()) : undefined;
    if (paused) state.status.waitingFor = { kind: 'resume', detail: 'paused by an operator; resume, promote or abort' };
    yield* io.publish(state);
    const timerFired = yield* io.wait(timerAtMs, opts.approval && !paused);
    if (timerFired) return { kind: 'timer' };
  }
}

/** What a wait result that is not the expected timer/approval means for the step. */
export function flowChange(wait: WaitResult): StepResult | undefined {
  switch (wait.kind) {
    case 'abort':
      return { kind: 'rollback', outcome: 'aborted', reason: `aborted by ${wait.by}` };
    case 'promote':
      return { kind: 'jump', toIndex: wait.toIndex };
    case 'retry':
    case 'resumed':
      return { kind: 'stay' };
    default:
      return undefined;
  }
}

/** What an operator's accepted control means to the decider (resume needs nothing more). */
export function happenedOf(wait: WaitResult): Happened | undefined {
  switch (wait.kind) {
    case 'abort':
      return { kind: 'abort', by: wait.by };
    case 'promote':
      return { kind: 'stepResult', result: { kind: 'jump', toIndex: wait.toIndex } };
    case 'retry':
      return { kind: 'retry', by: wait.by };
    default:
      return undefined;
  }
}
