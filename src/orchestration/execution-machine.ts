/**
 * One execution's machines (pure): the root `execution` and the units of work it picks by the
 * decider's mode (decider.ts): queued -> leaseUnit (acquire, then planUnit), forward ->
 * forwardUnit (one step: runStep, step-machine.ts), rollback -> rollbackUnit (rollback-machine.ts),
 * failedWaiting -> failedUnit, cleanup -> cleanupUnit, done -> nothing.
 *
 * Shape of one execution: run one unit of work (a step, a rollback, a bounded part of a long
 * wait), publish the status, then continueAsNew with the state. History therefore holds one
 * step's events at most, and replay cost does not grow with the rollout's length. Before
 * continueAsNew a zero-length wait drains anything still buffered, so no operator's click is lost
 * between executions.
 */
import type { Plan } from '../plan/types';
import { ACTIVITY } from './activity-names';
import * as contract from './activity-contracts';
import { recordStrayApprovals, type StepResult } from './decider';
import { LEASE_POLL_MINUTES, MAX_WAITS_PER_EXECUTION, carriedState, recordOverride } from './engine-state';
import { endpointLeaseKey, leaseAnswerSchema, supersedeAnswerSchema, type LeaseAnswer } from './endpoint-lease';
import {
  answerOf,
  ask,
  callActivity,
  call,
  done,
  failureIn,
  failureOf,
  harvestedOf,
  leaseAnswerOf,
  note,
  outputOf,
  publish,
  returnedOf,
  timerFiredIn,
  type ExecutionEnd,
  type Frame,
  type Machine,
  type MachineContext,
  type Next,
} from './engine-io';
import { applyFrame, notifyFrame, resolveFrame, trafficFacts } from './engine-effects';
import { applyControlsFrame, happenedOf, waitForFrame, type WaitResult } from './wait-machine';
import { runStepFrame } from './step-machine';
import { rollBackFrame, type Leftover } from './rollback-machine';

const MINUTE_MS = 60_000;
/** A Failed rollout re-reads its endpoint lease this often (a newer version may supersede it). */
const FAILED_LEASE_CHECK_MINUTES = 15;

function nonZero(split: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(split)) if (value !== 0) out[name] = value;
  return out;
}

/**
 * A unit's wait is over: an operator's accepted control (abort, promote-now, retry) goes to the
 * decider, from `applied` (the unit ends once it is applied); anything else ends the unit.
 */
function afterUnitWait(applied: Frame, wait: WaitResult): Next {
  const happened = happenedOf(wait);
  return happened ? call(applied, applyFrame(happened)) : done(undefined);
}

/** With the lease held: compile the plan against what is live on the endpoint now. */
interface PlanUnitFrame extends Frame {
  readonly machine: 'planUnit';
  readonly at: 'start' | 'planned' | 'applied';
}
const planUnitFrame = (): PlanUnitFrame => ({ machine: 'planUnit', at: 'start' });

const planUnit: Machine<PlanUnitFrame> = (ctx, frame, resume) => {
  switch (frame.at) {
    case 'start':
      return ask({ ...frame, at: 'planned' }, callActivity(ACTIVITY.planRollout, ctx.state.input));
    case 'planned': {
      let plan: Plan;
      try {
        plan = outputOf(ACTIVITY.planRollout, answerOf(resume));
      } catch (error) {
        return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'planFailed', reason: failureOf(error).message }));
      }
      return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'planned', plan }));
    }
    case 'applied':
      returnedOf(resume);
      return done(undefined);
  }
};

/**
 * Queued: asks the endpoint's lease until it is granted (then plans and reads the live split),
 * refused, or this execution has waited long enough. `rounds` counts the waits, `waited` says a
 * round was refused before the grant, `holder` is the rollout a supersede request was sent to.
 */
interface LeaseUnitFrame extends Frame {
  readonly machine: 'leaseUnit';
  readonly at: 'start' | 'answered' | 'granted' | 'planned' | 'endpointRead' | 'supersedeAsked' | 'waited' | 'applied';
  readonly rounds: number;
  readonly waited: boolean;
  readonly holder?: string;
  /** The endpoint's lease, keyed once when the unit starts. */
  readonly leaseKey: string;
}
const leaseUnitFrame = (): LeaseUnitFrame => ({ machine: 'leaseUnit', at: 'start', rounds: 0, waited: false, leaseKey: '' });

const leaseUnit: Machine<LeaseUnitFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  switch (frame.at) {
    case 'start':
      return nextLeaseRound(ctx, { ...frame, leaseKey: endpointLeaseKey(state.plan.target) });
    case 'answered': {
      let answer: LeaseAnswer;
      try {
        const raw = leaseAnswerOf('acquire', answerOf(resume));
        answer = contract.parseContract(leaseAnswerSchema, raw, 'endpoint lease answer');
      } catch (error) {
        // An uncaught failure would fail the instance while it holds (or queues for) the lease.
        return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'leaseFailed', reason: failureOf(error).message }));
      }
      if (answer.granted) return call({ ...frame, at: 'granted' }, applyFrame({ kind: 'leaseGranted', waited: frame.waited }));
      if (answer.action === 'stale') return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'leaseStale', reason: answer.reason }));
      const queued: LeaseUnitFrame = { ...frame, waited: true, holder: answer.holder };
      if (answer.action === 'supersede' && !state.supersedeRequested) {
        state.supersedeRequested = true;
        return ask(
          { ...queued, at: 'supersedeAsked' },
          callActivity(ACTIVITY.requestSupersede, {
            instanceId: answer.holder,
            by: `system:supersede:${state.plan.rolloutId}`,
            reason: `superseded by ${state.plan.model.name}:${state.plan.model.version} (${state.plan.rolloutId})`,
            atMs: ctx.now(),
          }),
        );
      }
      return waitForLease(ctx, queued);
    }
    case 'supersedeAsked':
      try {
        const out = outputOf(ACTIVITY.requestSupersede, answerOf(resume));
        note(ctx, `asked rollout '${frame.holder}' to abort (superseded): ${out.detail}`);
      } catch (error) {
        // The lease entity carries the request too: the holder reads it at its next unit of work.
        note(
          ctx,
          `could not raise the abort on '${frame.holder}' (${failureOf(error).message}); it will see the supersede request in the endpoint lease`,
        );
      }
      return waitForLease(ctx, frame);
    case 'waited': {
      const wait = returnedOf<WaitResult>(resume);
      if (wait.kind === 'abort') return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'abort', by: wait.by }));
      return nextLeaseRound(ctx, { ...frame, rounds: frame.rounds + 1 });
    }
    case 'granted':
      returnedOf(resume);
      return call({ ...frame, at: 'planned' }, planUnitFrame());
    case 'planned':
      returnedOf(resume);
      if (state.mode !== 'forward') return done(undefined);
      // Start from what Azure holds: mirror and traffic steps change one part and keep the rest.
      return ask({ ...frame, at: 'endpointRead' }, callActivity(ACTIVITY.getEndpointState, { target: state.plan.target }, true));
    case 'endpointRead': {
      let endpoint: contract.GetEndpointStateOutput;
      try {
        endpoint = outputOf(ACTIVITY.getEndpointState, answerOf(resume));
      } catch (error) {
        // Nothing was changed on Azure yet: a plan failure (lease freed, retry plans again).
        const reason = `cannot read the endpoint's live traffic: ${failureOf(error).message}`;
        return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'planFailed', reason }));
      }
      state.status.traffic = nonZero(endpoint.traffic);
      state.status.mirror = nonZero(endpoint.mirror);
      return call({ ...frame, at: 'applied' }, notifyFrame('rolloutStarted'));
    }
    case 'applied':
      returnedOf(resume);
      return done(undefined);
  }
};

/** The next acquire, while this execution may still wait. */
function nextLeaseRound(ctx: MachineContext, frame: LeaseUnitFrame): Next {
  const { state } = ctx;
  if (frame.rounds >= MAX_WAITS_PER_EXECUTION) return done(undefined);
  return ask(
    { ...frame, at: 'answered' },
    {
      kind: 'callEntity',
      leaseKey: frame.leaseKey,
      operation: 'acquire',
      input: {
        rolloutId: state.plan.rolloutId,
        model: state.plan.model.name,
        version: state.plan.model.version,
        concurrency: state.plan.concurrency,
        atMs: ctx.now(),
      },
    },
  );
}

/** Queued behind the holder: wait one poll (controls still work meanwhile). */
function waitForLease(ctx: MachineContext, frame: LeaseUnitFrame): Next {
  const { state } = ctx;
  // No deadline on the status: the next poll is an implementation detail, the holder's end is what counts.
  state.status.waitingFor = {
    kind: 'timer',
    detail: `queued behind rollout '${frame.holder}' on endpoint '${state.plan.target.endpoint}'`,
  };
  return call({ ...frame, at: 'waited' }, waitForFrame(ctx.now() + LEASE_POLL_MINUTES * MINUTE_MS, { approval: false }));
}

/** Forward: one step of the plan (`index`: the step this unit runs, read when it started). */
interface ForwardUnitFrame extends Frame {
  readonly machine: 'forwardUnit';
  readonly at: 'start' | 'waited' | 'retryWaited' | 'started' | 'stepRan' | 'resultApplied' | 'applied';
  readonly index: number;
  /** Set once the step's result was an advance (stepCompleted is notified after it is applied). */
  readonly advanced?: boolean;
}
const forwardUnitFrame = (index: number): ForwardUnitFrame => ({ machine: 'forwardUnit', at: 'start', index });

const forwardUnit: Machine<ForwardUnitFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  const step = state.plan.steps[frame.index];
  switch (frame.at) {
    case 'start': {
      if (!step) {
        // The end of the plan: promoted (recreate and plans without a promote step end here too).
        return call(
          { ...frame, at: 'applied' },
          applyFrame({
            kind: 'planCompleted',
            reason: state.status.winner
              ? `the candidate won the A/B test: ${state.status.winner.reason}`
              : `all ${state.plan.steps.length} steps passed`,
          }),
        );
      }
      if (state.status.paused) return call({ ...frame, at: 'waited' }, waitForFrame(undefined, { approval: false }));
      const retryAtMs = state.progress.retryAtMs;
      if (retryAtMs !== undefined && ctx.now() < retryAtMs) {
        // A step that failed after promotion waits out its back-off (controls still work meanwhile).
        state.status.waitingFor = {
          kind: 'timer',
          untilMs: retryAtMs,
          detail: `retrying step ${state.stepIndex + 1} (${step.kind}) after ${state.progress.failures ?? 1} failure(s)`,
        };
        return call({ ...frame, at: 'retryWaited' }, waitForFrame(retryAtMs, { approval: false }));
      }
      return call({ ...frame, at: 'started' }, applyFrame({ kind: 'stepStarted' }));
    }
    case 'retryWaited':
    case 'waited': {
      const wait = returnedOf<WaitResult>(resume);
      if (frame.at === 'retryWaited') state.status.waitingFor = undefined;
      return afterUnitWait({ ...frame, at: 'applied' }, wait);
    }
    case 'started':
      returnedOf(resume);
      if (!step) throw new Error(`forwardUnit: no step ${frame.index}`);
      publish(ctx);
      return call({ ...frame, at: 'stepRan' }, runStepFrame(step));
    case 'stepRan': {
      if (!step) throw new Error(`forwardUnit: no step ${frame.index}`);
      const failure = failureIn(resume);
      if (failure) {
        note(ctx, `step ${state.stepIndex + 1} (${step.kind}) failed: [${failure.code}] ${failure.message}`);
        const reason = `step ${state.stepIndex + 1} (${step.kind}) failed: ${failure.message}`;
        return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'stepFailed', reason }));
      }
      const result = returnedOf<StepResult>(resume);
      // An operation interrupted by an abort: the decider already took the step's result.
      if (state.mode !== 'forward') return done(undefined);
      const applied: ForwardUnitFrame = { ...frame, at: 'resultApplied', advanced: result.kind === 'advance' };
      return call(applied, applyFrame({ kind: 'stepResult', result }));
    }
    case 'resultApplied':
      returnedOf(resume);
      if (frame.advanced) return call({ ...frame, at: 'applied' }, notifyFrame('stepCompleted'));
      return done(undefined);
    case 'applied':
      returnedOf(resume);
      return done(undefined);
  }
};

/** Rollback: the rollback machine (rollback-machine.ts), then its outcome to the decider. */
interface RollbackUnitFrame extends Frame {
  readonly machine: 'rollbackUnit';
  readonly at: 'start' | 'rolledBack' | 'applied';
}
const rollbackUnitFrame = (): RollbackUnitFrame => ({ machine: 'rollbackUnit', at: 'start' });

const rollbackUnit: Machine<RollbackUnitFrame> = (_ctx, frame, resume) => {
  switch (frame.at) {
    case 'start':
      return call({ ...frame, at: 'rolledBack' }, rollBackFrame());
    case 'rolledBack': {
      const failure = failureIn(resume);
      if (failure) return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'rollbackFailed', reason: failure.message }));
      const leftover = returnedOf<Leftover>(resume);
      return call({ ...frame, at: 'applied' }, applyFrame(leftover ? { kind: 'rollbackDone', leftover } : { kind: 'rollbackDone' }));
    }
    case 'applied':
      returnedOf(resume);
      return done(undefined);
  }
};

/** After a rollback whose delete failed: wait out the back-off, then delete the leftover again. */
interface CleanupUnitFrame extends Frame {
  readonly machine: 'cleanupUnit';
  readonly at: 'start' | 'waited' | 'deleted' | 'cleanedUp' | 'applied';
}
const cleanupUnitFrame = (): CleanupUnitFrame => ({ machine: 'cleanupUnit', at: 'start' });

const cleanupUnit: Machine<CleanupUnitFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  const cleanup = state.cleanup;
  switch (frame.at) {
    case 'start': {
      if (!cleanup) return done(undefined);
      if (ctx.now() < cleanup.retryAtMs) {
        // Controls are answered meanwhile: an operator's abort stops the retries; others are ignored.
        return call({ ...frame, at: 'waited' }, waitForFrame(cleanup.retryAtMs, { approval: false }));
      }
      const input = {
        target: state.plan.target,
        deployment: cleanup.deployment,
        facts: trafficFacts(state),
        createdBy: state.plan.rolloutId,
      } satisfies contract.DeleteDeploymentInput;
      return ask({ ...frame, at: 'deleted' }, callActivity(ACTIVITY.deleteDeployment, input));
    }
    case 'waited':
      return afterUnitWait({ ...frame, at: 'applied' }, returnedOf<WaitResult>(resume));
    case 'deleted': {
      if (!cleanup) throw new Error('cleanupUnit: no cleanup to finish');
      let out: contract.DeleteDeploymentOutput;
      try {
        out = outputOf(ACTIVITY.deleteDeployment, answerOf(resume));
      } catch (error) {
        return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'cleanupFailed', reason: failureOf(error).message }));
      }
      const detail = out.deleted
        ? `removed '${cleanup.deployment}'`
        : out.kept
          ? `left '${cleanup.deployment}' alone: ${out.kept}`
          : `'${cleanup.deployment}' is gone`;
      return call({ ...frame, at: 'cleanedUp' }, applyFrame({ kind: 'cleanupDone', detail }));
    }
    case 'cleanedUp': {
      // The delete and its cleanupDone share one catch: a failure of either is a cleanupFailed.
      const failure = failureIn(resume);
      if (failure) return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'cleanupFailed', reason: failure.message }));
      return done(undefined);
    }
    case 'applied':
      returnedOf(resume);
      return done(undefined);
  }
};

/** Failed (retryable): sleep until the next look at the lease, the rollback's retry or the window's end. */
interface FailedUnitFrame extends Frame {
  readonly machine: 'failedUnit';
  readonly at: 'start' | 'waited' | 'retryDue' | 'applied';
  /** When the retry window closes (set at start). */
  readonly untilMs: number;
  /** When a failed rollback is retried (set at start, when it is). */
  readonly nextRollbackMs?: number;
}
const failedUnitFrame = (): FailedUnitFrame => ({ machine: 'failedUnit', at: 'start', untilMs: 0 });

const failedUnit: Machine<FailedUnitFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  switch (frame.at) {
    case 'start': {
      const until = state.failedUntilMs ?? ctx.now();
      // Wake up now and then: a new execution re-reads the lease for a supersede request.
      // A failed rollback is retried automatically (decider: rollbackFailed, rollbackRetryDue).
      const nextRollbackMs = state.failedFrom === 'rollback' ? state.status.retrying?.nextAttemptAtMs : undefined;
      const wakeMs = Math.min(until, ctx.now() + FAILED_LEASE_CHECK_MINUTES * MINUTE_MS, nextRollbackMs ?? until);
      const waiting: FailedUnitFrame =
        nextRollbackMs === undefined ? { ...frame, untilMs: until } : { ...frame, untilMs: until, nextRollbackMs };
      return call({ ...waiting, at: 'waited' }, waitForFrame(wakeMs, { approval: false }));
    }
    case 'waited': {
      const wait = returnedOf<WaitResult>(resume);
      const { untilMs, nextRollbackMs } = frame;
      if (wait.kind === 'timer' && nextRollbackMs !== undefined && ctx.now() >= nextRollbackMs && ctx.now() < untilMs)
        return call({ ...frame, at: 'retryDue' }, applyFrame({ kind: 'rollbackRetryDue' }));
      if (wait.kind === 'timer') return windowCheck(ctx, frame);
      return afterUnitWait({ ...frame, at: 'applied' }, wait);
    }
    case 'retryDue':
      returnedOf(resume);
      // The wait was a timer: the window may have closed while the retry was applied.
      return windowCheck(ctx, frame);
    case 'applied':
      returnedOf(resume);
      return done(undefined);
  }
};

/** After the failed rollout's timer: the window still open, or closed now. */
function windowCheck(ctx: MachineContext, frame: FailedUnitFrame): Next {
  if (ctx.now() < frame.untilMs) return done(undefined);
  return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'retryWindowEnded' }));
}

/**
 * The root frame: one execution (a continuation publishes the carried status first; a new rollout
 * resolves its target), then the unit chosen by mode, then the drain. `approvals`: the drain's
 * harvested approval events, held while its controls are applied.
 */
export interface ExecutionFrame extends Frame {
  readonly machine: 'execution';
  readonly at: 'start' | 'resolved' | 'checked' | 'superseded' | 'unitDone' | 'harvested' | 'controlsApplied' | 'drainApplied' | 'drained';
  readonly continuation: boolean;
  readonly approvals?: readonly unknown[];
}

const executionMachine: Machine<ExecutionFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  switch (frame.at) {
    case 'start':
      // A new execution starts without a custom status: publish the carried one before the first
      // wait, or readers (the API, the CLI, the dashboard) would see none until the next change.
      publish(ctx);
      if (!frame.continuation) return call({ ...frame, at: 'resolved' }, resolveFrame());
      return supersedeCheck(ctx, frame);
    case 'resolved':
      returnedOf(resume);
      return supersedeCheck(ctx, frame);
    case 'checked': {
      let request: { by: string; reason: string } | null = null;
      try {
        const raw = leaseAnswerOf('check', answerOf(resume));
        request = contract.parseContract(supersedeAnswerSchema, raw, 'endpoint lease supersede check');
      } catch (error) {
        // Only a look: the request stays in the lease, and the next unit of work checks again.
        note(ctx, `could not read the endpoint lease for a supersede request (${failureOf(error).message}); checking again next time`);
      }
      if (!request) return unitOf(ctx, frame);
      // Acted on once: if the rollback fails, the rollout stays Failed like after any abort.
      state.supersedeHandled = true;
      recordOverride(state, {
        action: 'abort',
        by: `system:supersede:${request.by}`,
        atMs: ctx.now(),
        step: state.stepIndex,
        comment: request.reason,
      });
      note(ctx, `abort requested by system:supersede:${request.by}: ${request.reason}`);
      return call({ ...frame, at: 'superseded' }, applyFrame({ kind: 'abort', by: `system:supersede:${request.by}` }));
    }
    case 'superseded':
      returnedOf(resume);
      return unitOf(ctx, frame);
    case 'unitDone':
      returnedOf(resume);
      publish(ctx);
      return harvest(frame);
    case 'harvested': {
      const leftovers = harvestedOf(answerOf(resume));
      const applying: ExecutionFrame = { ...frame, at: 'controlsApplied', approvals: leftovers.approvals };
      return call(applying, applyControlsFrame(leftovers.controls));
    }
    case 'controlsApplied': {
      const control = returnedOf<WaitResult | undefined>(resume);
      const approvals = frame.approvals ?? [];
      const { approvals: _handled, ...rest } = frame;
      // Decisions that arrive while an approval step is running belong to the next execution.
      const current = state.plan.steps[state.stepIndex];
      if (state.mode === 'forward' && (current?.kind === 'approval' || state.progress.awaitingDataApproval))
        state.carriedApprovals.push(...approvals);
      else recordStrayApprovals(state, approvals, ctx.now());
      const happened = control ? happenedOf(control) : undefined;
      if (happened) return call({ ...rest, at: 'drainApplied' }, applyFrame(happened));
      return ask({ ...rest, at: 'drained' }, { kind: 'drain' });
    }
    case 'drainApplied':
      returnedOf(resume);
      return ask({ ...frame, at: 'drained' }, { kind: 'drain' });
    case 'drained': {
      if (!timerFiredIn(answerOf(resume))) return harvest(frame);
      publish(ctx);
      if (state.mode === 'done') return done({ kind: 'complete', state } satisfies ExecutionEnd);
      return done({ kind: 'continueAsNew', state: carriedState(state, ctx.now()) } satisfies ExecutionEnd);
    }
  }
};

/** A newer version may have asked this rollout to step aside (see endpoint-lease.ts). */
function supersedeCheck(ctx: MachineContext, frame: ExecutionFrame): Next {
  const { state } = ctx;
  if ((state.mode === 'forward' || state.mode === 'failedWaiting') && state.leaseHeld && !state.facts.promoted && !state.supersedeHandled)
    return ask(
      { ...frame, at: 'checked' },
      { kind: 'callEntity', leaseKey: endpointLeaseKey(state.plan.target), operation: 'check', input: { rolloutId: state.plan.rolloutId } },
    );
  return unitOf(ctx, frame);
}

/** The unit of work the mode calls for (done: none). */
function unitOf(ctx: MachineContext, frame: ExecutionFrame): Next {
  const { state } = ctx;
  const next: ExecutionFrame = { ...frame, at: 'unitDone' };
  if (state.mode === 'queued') return call(next, leaseUnitFrame());
  if (state.mode === 'forward') return call(next, forwardUnitFrame(state.stepIndex));
  if (state.mode === 'rollback') return call(next, rollbackUnitFrame());
  if (state.mode === 'failedWaiting') return call(next, failedUnitFrame());
  if (state.mode === 'cleanup') return call(next, cleanupUnitFrame());
  publish(ctx);
  return harvest(frame);
}

/**
 * Drain: events buffered for this execution are handled now, or they would be lost with it.
 * An ending execution drains too: a decision raised while it ran (a stranger's approval during
 * the rollback) is recorded with its identity, as ignored, before the instance completes.
 */
function harvest(frame: ExecutionFrame): Next {
  return ask({ ...frame, at: 'harvested' }, { kind: 'harvest', controlsOnly: false });
}

/** The root frame of an execution (engine.ts's startExecution pushes it). */
export const executionFrame = (continuation: boolean): ExecutionFrame => ({ machine: 'execution', at: 'start', continuation });

export const executionMachines = {
  execution: executionMachine,
  planUnit,
  leaseUnit,
  forwardUnit,
  rollbackUnit,
  cleanupUnit,
  failedUnit,
};
