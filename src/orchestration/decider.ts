/**
 * The decider: every change of the rollout's control state (its mode, its phase at the ends, the
 * step index, the pending end, the lease) is made here, by one pure function
 * `decide(state, input) -> { state, commands }`. The engine (engine.ts and its step, wait and
 * rollback machines) runs the work (activities, waits) and turns what happened into an input; the
 * commands say what it must do next that needs the outside world (write the verdict and notify,
 * release the lease, resolve again), carried out by `apply` (engine-effects.ts).
 *
 * The table, by mode (the phase table's `mode` column, src/plan/phases.ts):
 *
 * | mode    | input                          | next state                                   | commands              |
 * |---------|--------------------------------|----------------------------------------------|-----------------------|
 * | queued  | resolved                       | queued, target known                         |                       |
 * | queued  | resolveFailed / planFailed     | failed (from plan), lease freed              | releaseLease?, finish |
 * | queued  | leaseFailed (the entity threw) | failed (from plan), lease and queue left     | releaseLease, finish  |
 * | forward | planFailed, no step started    | failed (from plan), lease freed (the live    | releaseLease, finish  |
 * |         |                                | split could not be read: nothing touched)    |                       |
 * | queued  | leaseGranted                   | queued, lease held                           |                       |
 * | queued  | planned                        | forward at step 0                            |                       |
 * | queued  | leaseStale                     | ended Superseded                             | finish                |
 * | queued  | abort / supersede              | ended Aborted (nothing to undo)              | finish, releaseLease? |
 * | forward | paused                         | Paused, the phase kept to return to; clock stopped |                 |
 * | forward | resumed                        | back to the phase before the pause; clock on |                       |
 * | forward | approvalWaitStarted            | AwaitingApproval                             |                       |
 * | forward | stepResult advance/jump/stay   | forward, index moved (the ONE place); a jump ends a pause |                       |
 * | forward | stepResult rollback            | rollback pending {outcome, reason}           |                       |
 * | forward | stepFailed, nothing touched    | failed (from forward)                        | finish                |
 * | forward | stepFailed, Azure touched      | rollback pending rolledBack                  |                       |
 * | forward | planCompleted                  | ended Promoted                               | finish, releaseLease  |
 * | forward | abort / supersede, in Pending  | ended Aborted (nothing deployed yet)         | finish, releaseLease  |
 * | forward | abort / supersede              | rollback pending Aborted                     |                       |
 * | rollback| rollbackDone                   | ended with the pending outcome               | finish, releaseLease  |
 * | rollback| rollbackDone, delete failed    | ended (pending outcome), cleanup retried     | finish, releaseLease, notify cleanupFailed |
 * | cleanup | cleanupFailed                  | cleanup, next retry with back-off            |                       |
 * | cleanup | cleanupFailed past the window  | done, the deployment named as left           | notify cleanupFailed  |
 * | cleanup | cleanupDone                    | done                                         | notify cleanupDone    |
 * | forward | stepFailed after promotion     | forward, step retried with back-off          | notify cleanupFailed (first, cleanup step) |
 * | forward | advance after failed attempts  | forward, next step                           | notify cleanupDone (cleanup step) |
 * | rollback| rollbackFailed, first          | failed (from rollback), retried with back-off | finish                |
 * | rollback| rollbackFailed again           | failed, next retry with back-off (same window) |                     |
 * | rollback| rollbackDone after failures    | ended with the pending outcome, retrying cleared | finish, releaseLease |
 * | cleanup | abort                          | done, the deployment named as left by whom   | notify cleanupFailed  |
 * | failed  | retry                          | back where it failed (plan: Pending, queued) | resolve (plan)        |
 * | failed  | rollbackRetryDue (from rollback) | rollback again (automatic, back-off over)  |                       |
 * | failed  | abort / supersede, untouched   | ended Aborted                                | finish, releaseLease  |
 * | failed  | abort / supersede, touched     | rollback pending Aborted                     |                       |
 * | failed  | retryWindowEnded               | ended, stays Failed                          | releaseLease          |
 * | failed  | retryWindowEnded, rollback left | ended, Failed, reason names each deployment left and its traffic | releaseLease |
 * | any     | anything else                  | unchanged, the input recorded as ignored     |                       |
 *
 * "Touched" means something was changed on Azure (a candidate created, a model replaced, a
 * promotion): only then is there something to roll back. Retry after a failure and abort after a
 * failure are written once, here. Every phase change goes through the phase table
 * (assertTransition): an impossible move is a bug, never a silent state. No other file writes
 * status.phase (test/architecture/phase-writer.test.ts holds that).
 */
import { assertTransition, STEP_PHASE } from '../plan/phases';
import type { Outcome, Plan } from '../plan/types';
import { approvalEventSchema } from './events';
import {
  FAILED_RETRY_WINDOW_MINUTES,
  OUTCOME_PHASE,
  emptyProgress,
  journal,
  recordApproval,
  statusFromPlan,
  type EngineState,
} from './engine-state';

const MINUTE_MS = 60_000;
/** After promotion a failed step is retried: 5 min after the first failure, doubling, at most hourly. */
export const PROMOTED_RETRY_FIRST_MINUTES = 5;
export const PROMOTED_RETRY_MAX_MINUTES = 60;

export function promotedRetryDelayMinutes(failures: number): number {
  return Math.min(PROMOTED_RETRY_MAX_MINUTES, PROMOTED_RETRY_FIRST_MINUTES * 2 ** Math.max(0, failures - 1));
}

/** What a step asks for once it is over (or interrupted by an operator). */
export type StepResult =
  { kind: 'advance' } | { kind: 'jump'; toIndex: number } | { kind: 'stay' } | { kind: 'rollback'; outcome: Outcome; reason: string };

type Timed<T> = T & { readonly atMs: number };

export type DeciderInput = Timed<
  | { kind: 'resolved'; target: Plan['target']; concurrency: Plan['concurrency'] }
  | { kind: 'resolveFailed'; reason: string }
  | { kind: 'leaseGranted'; waited: boolean }
  | { kind: 'leaseStale'; reason: string }
  /** The lease entity failed, or answered something that is not a lease answer. */
  | { kind: 'leaseFailed'; reason: string }
  | { kind: 'planned'; plan: Plan }
  | { kind: 'planFailed'; reason: string }
  /** The interpreter starts (or continues) the current step: its phase, its clock. */
  | { kind: 'stepStarted' }
  /** An operator's pause / resume, accepted by decideControl (engine-state.ts). */
  | { kind: 'paused' }
  | { kind: 'resumed' }
  /** The current step waits for a person (an approval step, or a no-data / cost / disagreement approval). */
  | { kind: 'approvalWaitStarted' }
  | { kind: 'stepResult'; result: StepResult }
  | { kind: 'stepFailed'; reason: string }
  | { kind: 'planCompleted'; reason: string }
  /** `leftover`: traffic is back on the baseline but deleting the candidate failed. */
  | { kind: 'rollbackDone'; leftover?: { deployment: string; error: string } }
  /** Mode 'cleanup': another delete attempt failed, or the deployment is gone (or no longer ours). */
  | { kind: 'cleanupFailed'; reason: string }
  | { kind: 'cleanupDone'; detail: string }
  | { kind: 'rollbackFailed'; reason: string }
  /** Mode 'failedWaiting' after a failed rollback: its back-off is over, roll back again. */
  | { kind: 'rollbackRetryDue' }
  /** An accepted abort: an operator's (judged by decideControl) or a supersede request's. */
  | { kind: 'abort'; by: string }
  | { kind: 'retry'; by: string }
  | { kind: 'retryWindowEnded' }
>;

/** A decider input without its time (the engine adds the orchestration's clock). */
export type Happened = DeciderInput extends infer I ? (I extends DeciderInput ? Omit<I, 'atMs'> : never) : never;

export type Command =
  /** The rollout reached an outcome (already on the status): write the verdict, notify. */
  | { kind: 'finish'; outcome: Outcome; reason: string }
  /** Free the endpoint for the next rollout. */
  | { kind: 'releaseLease' }
  /** Retry of a failed plan: resolve the policy again (then queue for the lease). */
  | { kind: 'resolve' }
  /** Tell people (the rollout's outcome is unchanged): a cleanup failed first, or finally succeeded. */
  | { kind: 'notify'; notification: 'cleanupFailed' | 'cleanupDone'; deployment: string };

export interface Decision {
  readonly state: EngineState;
  readonly commands: readonly Command[];
}

/** Something was changed on Azure, so ending the rollout needs a rollback. */
export function touchedAzure(state: EngineState): boolean {
  return state.facts.candidateCreated || state.facts.modelReplaced || state.facts.promoted;
}

/** Planned, and no step has started yet: nothing was changed on Azure. */
function notStarted(state: EngineState): boolean {
  return state.stepIndex === 0 && state.progress.startedAtMs === undefined && !touchedAzure(state);
}

/** A copy the decision may change without touching its input (the state is small and JSON). */
function copy(state: EngineState): EngineState {
  return JSON.parse(JSON.stringify(state)) as EngineState;
}

export function decide(current: EngineState, input: DeciderInput): Decision {
  const state = copy(current);
  const commands: Command[] = [];
  const at = input.atMs;
  const ignore = (): Decision => {
    journal(state, at, `${input.kind} ignored while ${state.mode}`);
    return { state, commands };
  };

  /**
   * A pause holds the walk of the plan. Once the rollout fails, rolls back or ends there is no walk
   * to hold, and a retry must not start paused: Failed accepts no resume, so it would wait forever.
   */
  const unpause = (): void => {
    if (!state.status.paused) return;
    state.status.paused = false;
    state.progress.pausedAtMs = undefined;
    state.pausedFromPhase = undefined;
    journal(state, at, 'the pause ends with the walk of the plan');
  };
  /** Back to the phase the pause interrupted; the paused time is added to the step's deadlines. */
  const resume = (): void => {
    state.status.paused = false;
    if (state.status.phase === 'Paused') {
      const back = state.pausedFromPhase ?? 'Progressing';
      assertTransition('Paused', back);
      state.status.phase = back;
    }
    state.pausedFromPhase = undefined;
    if (state.progress.pausedAtMs !== undefined) state.progress.pausedMs += at - state.progress.pausedAtMs;
    state.progress.pausedAtMs = undefined;
  };
  const end = (outcome: Outcome, reason: string): void => {
    unpause();
    const phase = OUTCOME_PHASE[outcome];
    if (state.status.phase !== phase) assertTransition(state.status.phase, phase);
    state.status.phase = phase;
    state.status.outcome = outcome;
    state.status.reason = reason;
    state.status.waitingFor = undefined;
    state.status.endedAtMs = at;
    state.mode = outcome === 'failed' ? 'failedWaiting' : 'done';
    journal(state, at, `${outcome}: ${reason}`);
    commands.push({ kind: 'finish', outcome, reason });
  };
  /** Frees the lease; a queued rollout also leaves the lease's queue (queued = it may be in it). */
  const release = (queued = false): void => {
    if (!state.leaseHeld && !queued) return;
    state.leaseHeld = false;
    commands.push({ kind: 'releaseLease' });
  };
  const fail = (from: NonNullable<EngineState['failedFrom']>, reason: string): void => {
    state.failedFrom = from;
    state.failedUntilMs = at + FAILED_RETRY_WINDOW_MINUTES * MINUTE_MS;
    end('failed', reason);
    state.status.endedAtMs = undefined;
    state.status.waitingFor = { kind: 'resume', untilMs: state.failedUntilMs, detail: 'failed: an operator may retry or abort' };
  };
  /** Back to a rollback that failed (an operator's retry or the automatic one). */
  const resumeRollback = (): void => {
    state.status.outcome = undefined;
    state.status.endedAtMs = undefined;
    state.status.waitingFor = undefined;
    assertTransition(state.status.phase, 'RollingBack');
    state.status.phase = 'RollingBack';
    state.mode = 'rollback';
    state.status.reason = state.pending?.reason ?? 'rolled back';
  };
  const rollBackLater = (outcome: Outcome, reason: string): void => {
    // Decisions still queued for the step are recorded, not carried into the rollback.
    if (state.carriedApprovals.length > 0) recordStrayApprovals(state, state.carriedApprovals.splice(0), at);
    unpause();
    assertTransition(state.status.phase, 'RollingBack');
    state.status.phase = 'RollingBack';
    state.mode = 'rollback';
    state.pending = { outcome, reason };
    // Readers see why it rolls back while it does.
    state.status.reason = reason;
    state.progress = emptyProgress();
  };

  switch (input.kind) {
    case 'resolved':
      if (state.mode !== 'queued') return ignore();
      state.plan = { ...state.plan, target: input.target, concurrency: input.concurrency };
      state.status.endpoint = input.target.endpoint;
      return { state, commands };
    case 'resolveFailed':
      if (state.mode !== 'queued') return ignore();
      fail('plan', `cannot resolve the policy: ${input.reason}`);
      return { state, commands };
    case 'leaseGranted':
      if (state.mode !== 'queued' || state.status.endpoint === '') return ignore();
      state.leaseHeld = true;
      state.status.waitingFor = undefined;
      journal(state, at, input.waited ? 'holding the endpoint lease after waiting' : 'holding the endpoint lease');
      return { state, commands };
    case 'leaseStale':
      // The lease answers stale instead of granting it: never to the holder.
      if (state.mode !== 'queued' || state.leaseHeld) return ignore();
      end('superseded', input.reason);
      return { state, commands };
    case 'planned':
      // Planning happens with the lease held, so it always sees what the previous rollout left.
      if (state.mode !== 'queued' || !state.leaseHeld) return ignore();
      state.plan = input.plan;
      statusFromPlan(state.status, input.plan);
      state.mode = 'forward';
      journal(
        state,
        at,
        `planned ${input.plan.strategy}: ${input.plan.steps.length} steps, baseline '${input.plan.baseline.deployment}', candidate '${input.plan.candidate.deployment}'`,
      );
      return { state, commands };
    case 'leaseFailed':
      if (state.mode !== 'queued') return ignore();
      // Not holding it, maybe queued in it: leave the queue too, so no newer version waits on us.
      release(true);
      fail('plan', `cannot take the endpoint lease: ${input.reason}`);
      return { state, commands };
    case 'planFailed':
      // Also after `planned` until the first step starts: the engine still reads the live split.
      if (state.mode !== 'queued' && !(state.mode === 'forward' && notStarted(state))) return ignore();
      // Nothing was changed on Azure: free the endpoint for others while waiting for a retry.
      release();
      fail('plan', `planning failed: ${input.reason}`);
      return { state, commands };
    case 'stepStarted': {
      const step = state.plan.steps[state.stepIndex];
      if (state.mode !== 'forward' || !step || state.status.paused) return ignore();
      const phase = STEP_PHASE[step.kind];
      if (state.status.phase !== phase) assertTransition(state.status.phase, phase);
      state.status.phase = phase;
      // The step's clock starts once; pauses and later executions extend it, never restart it.
      if (state.progress.startedAtMs === undefined) state.progress.startedAtMs = at;
      return { state, commands };
    }
    case 'paused':
      if (state.mode !== 'forward' || state.status.paused) return ignore();
      // The step's clock stops: paused time is added to its deadlines (see 'resumed').
      state.status.paused = true;
      state.progress.pausedAtMs = at;
      state.pausedFromPhase = state.status.phase;
      assertTransition(state.status.phase, 'Paused');
      state.status.phase = 'Paused';
      return { state, commands };
    case 'resumed':
      if (state.mode !== 'forward') return ignore();
      resume();
      return { state, commands };
    case 'approvalWaitStarted':
      if (state.mode !== 'forward' || !state.plan.steps[state.stepIndex]) return ignore();
      if (state.status.phase !== 'AwaitingApproval') assertTransition(state.status.phase, 'AwaitingApproval');
      state.status.phase = 'AwaitingApproval';
      return { state, commands };
    case 'stepResult':
      // Only a step that started can end (a result from nowhere is a bug, recorded and ignored).
      // Promote-now (a jump) is an operator's, and may come between steps.
      if (state.mode !== 'forward' || (state.progress.startedAtMs === undefined && input.result.kind !== 'jump')) return ignore();
      if (input.result.kind === 'rollback') rollBackLater(input.result.outcome, input.result.reason);
      else {
        // Promote-now ends a pause: the phase goes back to the one the pause interrupted until the
        // promote step starts (it never shows Paused for a rollout that is not paused).
        if (input.result.kind === 'jump' && state.status.paused) resume();
        const recovered =
          input.result.kind === 'advance' && state.status.retrying !== undefined ? state.plan.steps[state.stepIndex] : undefined;
        applyStepResult(state, input.result, at);
        if (recovered?.kind === 'cleanup') commands.push({ kind: 'notify', notification: 'cleanupDone', deployment: recovered.deployment });
      }
      return { state, commands };
    case 'stepFailed':
      if (state.mode !== 'forward') return ignore();
      if (state.facts.promoted) {
        // The candidate holds 100% and passed everything before: a failure now (e.g. deleting the
        // old deployment) never moves traffic back. The step is retried with back-off and reported.
        const failures = (state.progress.failures ?? 0) + 1;
        state.progress.failures = failures;
        state.progress.retryAtMs = at + promotedRetryDelayMinutes(failures) * MINUTE_MS;
        state.status.retrying = { step: state.stepIndex, failures, error: input.reason, nextAttemptAtMs: state.progress.retryAtMs };
        journal(
          state,
          at,
          `${input.reason}; promoted, traffic stays; retry ${failures + 1} at ${new Date(state.progress.retryAtMs).toISOString()}`,
        );
        const step = state.plan.steps[state.stepIndex];
        if (failures === 1 && step?.kind === 'cleanup')
          commands.push({ kind: 'notify', notification: 'cleanupFailed', deployment: step.deployment });
      } else if (touchedAzure(state)) rollBackLater('rolledBack', input.reason);
      else fail('forward', input.reason);
      return { state, commands };
    case 'planCompleted':
      if (state.mode !== 'forward' || state.stepIndex < state.plan.steps.length) return ignore();
      end('promoted', input.reason);
      release();
      return { state, commands };
    case 'rollbackDone': {
      if (state.mode !== 'rollback') return ignore();
      const pending = state.pending ?? { outcome: 'rolledBack', reason: 'rolled back' };
      const leftover = input.leftover;
      const earlier = state.status.retrying;
      state.status.retrying = undefined;
      if (earlier) journal(state, at, `the rollback succeeded after ${earlier.failures} failed attempt(s)`);
      if (!leftover) {
        end(pending.outcome, pending.reason);
        release();
        return { state, commands };
      }
      // Traffic is back on the baseline: the outcome stands and the endpoint is free; only the
      // candidate (at 0%) is left, and deleting it is retried with back-off, never silently dropped.
      end(pending.outcome, `${pending.reason}; '${leftover.deployment}' is left at 0% (delete failed: ${leftover.error}), retrying`);
      release();
      state.mode = 'cleanup';
      const retryAtMs = at + promotedRetryDelayMinutes(1) * MINUTE_MS;
      state.cleanup = { deployment: leftover.deployment, failures: 1, retryAtMs, sinceMs: at, error: leftover.error };
      state.status.retrying = { step: state.stepIndex, failures: 1, error: leftover.error, nextAttemptAtMs: retryAtMs };
      journal(
        state,
        at,
        `could not delete '${leftover.deployment}' (${leftover.error}); it takes no traffic; retry 2 at ${new Date(retryAtMs).toISOString()}`,
      );
      commands.push({ kind: 'notify', notification: 'cleanupFailed', deployment: leftover.deployment });
      return { state, commands };
    }
    case 'cleanupFailed': {
      const cleanup = state.cleanup;
      if (state.mode !== 'cleanup' || !cleanup) return ignore();
      const failures = cleanup.failures + 1;
      if (at >= cleanup.sinceMs + FAILED_RETRY_WINDOW_MINUTES * MINUTE_MS) {
        // Bounded like every other wait: after the window a person has to delete it.
        state.mode = 'done';
        state.cleanup = undefined;
        state.status.retrying = undefined;
        state.status.reason = `${state.status.reason ?? ''}; gave up deleting '${cleanup.deployment}' after ${failures} attempts (${input.reason}): it is left at 0%, delete it by hand`;
        journal(state, at, `gave up deleting '${cleanup.deployment}' after ${failures} attempts: ${input.reason}; it is left at 0%`);
        commands.push({ kind: 'notify', notification: 'cleanupFailed', deployment: cleanup.deployment });
        return { state, commands };
      }
      const retryAtMs = at + promotedRetryDelayMinutes(failures) * MINUTE_MS;
      state.cleanup = { ...cleanup, failures, retryAtMs, error: input.reason };
      state.status.retrying = { step: state.stepIndex, failures, error: input.reason, nextAttemptAtMs: retryAtMs };
      journal(
        state,
        at,
        `could not delete '${cleanup.deployment}' (${input.reason}); retry ${failures + 1} at ${new Date(retryAtMs).toISOString()}`,
      );
      return { state, commands };
    }
    case 'cleanupDone': {
      const cleanup = state.cleanup;
      if (state.mode !== 'cleanup' || !cleanup) return ignore();
      state.mode = 'done';
      state.cleanup = undefined;
      state.status.retrying = undefined;
      journal(state, at, `${input.detail} after ${cleanup.failures} failed attempt(s)`);
      commands.push({ kind: 'notify', notification: 'cleanupDone', deployment: cleanup.deployment });
      return { state, commands };
    }
    case 'rollbackFailed': {
      if (state.mode !== 'rollback') return ignore();
      const after = state.pending?.reason ?? 'rolled back';
      // Traffic may still be on the candidate: waiting for a person is the wrong default. The
      // rollback is retried with the cleanup back-off inside ONE window from its first failure
      // (an operator may still retry now or abort); the first failure is notified, later ones are
      // journaled and shown on the status (status.retrying).
      const earlier = state.status.retrying;
      const failures = (earlier?.failures ?? 0) + 1;
      const windowEndMs = earlier && state.failedUntilMs !== undefined ? state.failedUntilMs : at + FAILED_RETRY_WINDOW_MINUTES * MINUTE_MS;
      const retryAtMs = at + promotedRetryDelayMinutes(failures) * MINUTE_MS;
      const next =
        retryAtMs < windowEndMs ? `retry ${failures + 1} at ${new Date(retryAtMs).toISOString()}` : 'no retry left in the window';
      fail('rollback', `rollback failed: ${input.reason} (after: ${after}); ${next}`);
      if (earlier) commands.splice(0); // told at the first failure; the verdict is written once
      state.failedUntilMs = windowEndMs;
      state.status.waitingFor = {
        kind: 'resume',
        untilMs: windowEndMs,
        detail: 'failed rollback: retried automatically with back-off; an operator may retry now or abort',
      };
      state.status.retrying = { step: state.stepIndex, failures, error: input.reason, nextAttemptAtMs: retryAtMs };
      journal(state, at, `rollback attempt ${failures} failed (${input.reason}); ${next}`);
      return { state, commands };
    }
    case 'rollbackRetryDue': {
      const retrying = state.status.retrying;
      if (state.mode !== 'failedWaiting' || state.failedFrom !== 'rollback' || !retrying || at < retrying.nextAttemptAtMs) return ignore();
      journal(state, at, `retrying the rollback automatically (attempt ${retrying.failures + 1})`);
      resumeRollback();
      return { state, commands };
    }
    case 'abort': {
      if (state.mode === 'queued') {
        // Nothing was changed on Azure: the rollout ends without a rollback, and leaves the queue.
        end('aborted', `aborted by ${input.by} while queued`);
        release(true);
        return { state, commands };
      }
      if (state.mode === 'forward' && state.facts.promoted) {
        // Only while a step after promotion keeps failing: the operator stops the retries. The
        // rollout stays promoted (traffic is not moved); what the step left undone is said.
        const retrying = state.status.retrying;
        end(
          'promoted',
          `promoted; step ${state.stepIndex + 1} abandoned by ${input.by}${retrying ? ` after ${retrying.failures} failures (${retrying.error})` : ''}`,
        );
        release();
        return { state, commands };
      }
      if (state.mode === 'forward' && state.status.phase === 'Pending' && !touchedAzure(state)) {
        // Planned, holding the lease, nothing deployed yet: nothing to roll back either.
        end('aborted', `aborted by ${input.by}`);
        release();
        return { state, commands };
      }
      if (state.mode === 'forward') {
        rollBackLater('aborted', `aborted by ${input.by}`);
        return { state, commands };
      }
      if (state.mode === 'cleanup' && state.cleanup) {
        // The outcome stands and the lease was released when it was reached: only the retries stop.
        const cleanup = state.cleanup;
        state.mode = 'done';
        state.cleanup = undefined;
        state.status.retrying = undefined;
        state.status.reason = `${state.status.reason ?? ''}; '${cleanup.deployment}' is left at 0% by ${input.by}'s request after ${cleanup.failures} failed delete(s) (${cleanup.error}); delete it by hand`;
        journal(state, at, `delete retries of '${cleanup.deployment}' stopped by ${input.by}; it is left at 0%`);
        commands.push({ kind: 'notify', notification: 'cleanupFailed', deployment: cleanup.deployment });
        return { state, commands };
      }
      if (state.mode === 'failedWaiting') {
        const failedReason = `aborted by ${input.by} after failing`;
        if (state.failedFrom === 'plan' || !touchedAzure(state)) {
          state.status.outcome = undefined;
          end('aborted', failedReason);
          release();
        } else rollBackLater('aborted', failedReason);
        return { state, commands };
      }
      return ignore();
    }
    case 'retry': {
      if (state.mode !== 'failedWaiting') return ignore();
      const from = state.failedFrom ?? 'forward';
      state.status.outcome = undefined;
      state.status.endedAtMs = undefined;
      state.status.waitingFor = undefined;
      if (from === 'plan') {
        // Resolve and plan again (the policy may have been fixed), queueing for the lease as at the start.
        assertTransition(state.status.phase, 'Pending');
        state.status.phase = 'Pending';
        state.plan = { ...state.plan, steps: [] };
        state.mode = 'queued';
        commands.push({ kind: 'resolve' });
      } else if (from === 'rollback') resumeRollback();
      else {
        state.mode = 'forward';
        state.progress = emptyProgress();
      }
      return { state, commands };
    }
    case 'retryWindowEnded':
      if (state.mode !== 'failedWaiting') return ignore();
      state.mode = 'done';
      state.status.endedAtMs = at;
      state.status.waitingFor = undefined;
      if (state.failedFrom === 'rollback' && touchedAzure(state)) {
        // Nothing may be left without a reason that names it: each deployment and what it holds.
        const tried = state.status.retrying ? ` after ${state.status.retrying.failures} attempts` : '';
        state.status.retrying = undefined;
        state.status.reason = `${state.status.reason ?? 'rollback failed'}; the rollback did not succeed${tried} within the window: ${describeLeft(state)}; move the traffic back and delete it by hand, or start a new rollout`;
        journal(state, at, `no retry succeeded within the window; ${describeLeft(state)}`);
      } else journal(state, at, 'no retry within the window; the rollout stays Failed');
      release();
      return { state, commands };
  }
}

/** What a rollback that never finished leaves on the endpoint: each deployment and its live (and mirrored) share. */
function describeLeft(state: EngineState): string {
  const { candidate, baseline } = state.plan;
  const traffic = state.status.traffic;
  const mirror = state.status.mirror;
  const names = [...new Set([candidate.deployment, baseline.deployment, ...Object.keys(traffic), ...Object.keys(mirror)])].filter(
    (name) => name !== '',
  );
  const parts = names
    .filter((name) => name !== baseline.deployment || (traffic[name] ?? 0) < 100)
    .map((name) => {
      const role = name === candidate.deployment ? ' (the candidate)' : name === baseline.deployment ? ' (the baseline)' : '';
      const mirrored = mirror[name] ? `, mirrored ${mirror[name]}%` : '';
      return `'${name}'${role} is left holding ${traffic[name] ?? 0}% of live traffic${mirrored}`;
    });
  const replaced = state.facts.modelReplaced ? `'${baseline.deployment}' may still serve ${state.plan.model.id}` : undefined;
  return [...parts, ...(replaced ? [replaced] : [])].join(', ') || 'nothing is known to be left';
}

/** The ONE place that moves the step index (a rollback is decided by rollBackLater). */
function applyStepResult(state: EngineState, result: Exclude<StepResult, { kind: 'rollback' }>, at: number): void {
  // Decisions still queued for a step that is over are recorded, not carried to the next one.
  if (result.kind !== 'stay' && state.carriedApprovals.length > 0) recordStrayApprovals(state, state.carriedApprovals.splice(0), at);
  switch (result.kind) {
    case 'advance':
      state.stepIndex += 1;
      state.progress = emptyProgress();
      state.status.retrying = undefined;
      break;
    case 'jump':
      journal(state, at, `skipping steps ${state.stepIndex + 1}..${result.toIndex} (promote now)`);
      state.stepIndex = result.toIndex;
      state.progress = emptyProgress();
      break;
    case 'stay':
      break;
  }
}

/** Approval events nothing waits for: recorded as not accepted, with the reason. */
export function recordStrayApprovals(state: EngineState, raw: readonly unknown[], at: number): void {
  for (const value of raw) {
    const parsed = approvalEventSchema.safeParse(value);
    if (!parsed.success) {
      journal(state, at, 'ignored a malformed approval event');
      continue;
    }
    const e = parsed.data;
    recordApproval(state, {
      step: e.step,
      decision: e.decision,
      by: e.by,
      atMs: at,
      accepted: false,
      note: 'no approval was pending',
      ...(e.comment === undefined ? {} : { comment: e.comment }),
    });
    journal(state, at, `${e.decision} by ${e.by} for step ${e.step} ignored: no approval was pending`);
  }
}
