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
import {
  answerOf,
  ask,
  call,
  done,
  harvestedOf,
  note,
  publish,
  returnedOf,
  timerFiredIn,
  type Frame,
  type Machine,
  type MachineContext,
  type Next,
} from './engine-io';
import { applyFrame } from './engine-effects';

export type WaitResult =
  | { kind: 'timer' }
  | { kind: 'approval'; event: ApprovalEvent }
  | { kind: 'abort'; by: string }
  | { kind: 'promote'; toIndex: number; by: string }
  | { kind: 'retry'; by: string }
  | { kind: 'resumed' };

/**
 * The controls of one harvest: `raw` as delivered (emptied once parsed), `events` the valid ones,
 * sorted (set when entered), `index` the event under way, `result` the first flow-changing one;
 * `paused`/`resumed`: the decider took it.
 */
export interface ApplyControlsFrame extends Frame {
  readonly machine: 'applyControls';
  readonly at: 'start' | 'paused' | 'resumed';
  readonly raw: readonly unknown[];
  readonly events: readonly ControlEvent[];
  readonly index: number;
  readonly result?: WaitResult;
}
export const applyControlsFrame = (raw: readonly unknown[]): ApplyControlsFrame => ({
  machine: 'applyControls',
  at: 'start',
  raw,
  events: [],
  index: 0,
});

/**
 * One wait: `harvested` once the delivered events came, `controlsApplied` once applyControls
 * returned (`approvals`: the approvals of that harvest, the carried ones first), `waited` once the
 * timer or a listener completed.
 */
export interface WaitForFrame extends Frame {
  readonly machine: 'waitFor';
  readonly at: 'start' | 'harvested' | 'controlsApplied' | 'waited';
  readonly untilMs: number | undefined;
  readonly approval: boolean;
  readonly approvals: readonly unknown[];
}
export const waitForFrame = (untilMs: number | undefined, opts: { approval: boolean }): WaitForFrame => ({
  machine: 'waitFor',
  at: 'start',
  untilMs,
  approval: opts.approval,
  approvals: [],
});

/** Abort also ends a pause (the phase moves on from Paused to RollingBack with it; promote-now's jump ends it in the decider). */
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
const applyControlsMachine: Machine<ApplyControlsFrame> = (ctx, frame, resume) => {
  switch (frame.at) {
    case 'start': {
      const events: ControlEvent[] = [];
      for (const value of frame.raw) {
        const parsed = controlEventSchema.safeParse(value);
        if (parsed.success) events.push(parsed.data);
        else
          note(ctx, `ignored a malformed control event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      events.sort((a, b) => a.atMs - b.atMs);
      return nextControl(ctx, { ...frame, raw: [], events }, 0);
    }
    case 'paused': {
      returnedOf(resume);
      const event = frame.events[frame.index];
      if (!event) throw new Error(`applyControls: no event ${frame.index}`);
      note(ctx, `paused by ${event.by}${event.comment ? `: ${event.comment}` : ''}`);
      return nextControl(ctx, frame, frame.index + 1);
    }
    case 'resumed': {
      returnedOf(resume);
      const event = frame.events[frame.index];
      if (!event) throw new Error(`applyControls: no event ${frame.index}`);
      note(ctx, `resumed by ${event.by}`);
      return nextControl(ctx, { ...frame, result: { kind: 'resumed' } }, frame.index + 1);
    }
  }
};

const stop = (frame: ApplyControlsFrame, at: ApplyControlsFrame['at'], index: number): ApplyControlsFrame => ({ ...frame, at, index });

/** Handles the sorted controls from `index` up to the next one the decider must take (pause, resume); returns the first flow change. */
function nextControl(ctx: MachineContext, frame: ApplyControlsFrame, index: number): Next {
  const { state } = ctx;
  let result = frame.result;
  for (; index < frame.events.length; index++) {
    const event = frame.events[index];
    if (!event) continue;
    const at = ctx.now();
    if (result) {
      note(ctx, `${event.action} by ${event.by} ignored: a ${result.kind} is already being handled`);
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
      note(ctx, `${event.action} by ${event.by} ignored: ${decision.note}`);
      continue;
    }
    recordOverride(state, record);
    switch (decision.kind) {
      case 'pause':
        return call(stop(frame, 'paused', index), applyFrame({ kind: 'paused' }));
      case 'resume':
        return call(stop(frame, 'resumed', index), applyFrame({ kind: 'resumed' }));
      case 'abort':
        endPause(state, at);
        result = { kind: 'abort', by: event.by };
        note(ctx, `abort requested by ${event.by}${event.comment ? `: ${event.comment}` : ''}`);
        break;
      case 'promote':
        result = { kind: 'promote', toIndex: decision.toIndex, by: event.by };
        note(ctx, `promote now requested by ${event.by}: skipping to step ${decision.toIndex + 1}`);
        break;
      case 'retry':
        result = { kind: 'retry', by: event.by };
        note(ctx, `retry requested by ${event.by}`);
        break;
    }
  }
  return done(result);
}

/**
 * Waits until `untilMs` (or forever when undefined), for an approval when `approval` is set,
 * and always for operator controls. Harvests events that arrived during earlier activities first.
 */
const waitForMachine: Machine<WaitForFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  switch (frame.at) {
    case 'start':
      return harvest(frame);
    case 'harvested': {
      const harvested = harvestedOf(answerOf(resume));
      const approvals = [...state.carriedApprovals.splice(0), ...harvested.approvals];
      const next: WaitForFrame = { ...frame, at: 'controlsApplied', approvals };
      return call(next, applyControlsFrame(harvested.controls));
    }
    case 'controlsApplied': {
      const control = returnedOf<WaitResult | undefined>(resume);
      const approvals = frame.approvals;
      if (!frame.approval) recordStrayApprovals(state, approvals, ctx.now());
      else if (approvals.length > 0) {
        // Deliver the first; later ones are looked at on the next round.
        const first = approvalEventSchema.safeParse(approvals[0]);
        state.carriedApprovals.push(...approvals.slice(1));
        if (first.success) return done({ kind: 'approval', event: first.data } satisfies WaitResult);
        recordStrayApprovals(state, [approvals[0]], ctx.now());
        return harvest(frame);
      }
      if (control && control.kind !== 'resumed') return done(control);
      if (control?.kind === 'resumed') {
        publish(ctx);
        return done(control);
      }
      const paused = state.status.paused;
      const timerAtMs = !paused && frame.untilMs !== undefined ? Math.max(frame.untilMs, ctx.now()) : undefined;
      if (paused) state.status.waitingFor = { kind: 'resume', detail: 'paused by an operator; resume, promote or abort' };
      publish(ctx);
      const waiting: WaitForFrame = { ...frame, at: 'waited', approvals: [] };
      return ask(waiting, { kind: 'wait', untilMs: timerAtMs, approval: frame.approval && !paused });
    }
    case 'waited':
      if (timerFiredIn(answerOf(resume))) return done({ kind: 'timer' } satisfies WaitResult);
      return harvest(frame);
  }
};

/** A round of the wait starts with the events delivered meanwhile (the approvals of the last round are handled). */
function harvest(frame: WaitForFrame): Next {
  const next: WaitForFrame = { ...frame, at: 'harvested', approvals: [] };
  return ask(next, { kind: 'harvest', controlsOnly: false });
}

export const waitMachines = { applyControls: applyControlsMachine, waitFor: waitForMachine };

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
