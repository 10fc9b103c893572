/**
 * Bake and gate steps, decided purely: when the next look is due, and what one look's gate
 * results mean for the step. The bake machine (step-machine.ts) only waits until the time this
 * says, runs the checkGates activity, and carries out the answer; every rule of the step lives here, tested by
 * tables (test/orchestration/bake-decider.test.ts).
 *
 * A step's timeline (times stop while paused: see stepDeadline):
 *   - a bake waits one check interval before its first look (traffic needs time to flow); a gate
 *     step looks at once and then every retry interval;
 *   - two looks are never closer than the interval, also when the step is entered again after a
 *     look (the next execution after MAX_WAITS_PER_EXECUTION rounds, a no-data extension): the
 *     next look is one interval after the last one (progress.lastLookAtMs), or at the deadline
 *     when that comes first. A look sooner would judge the same window again, spend a look of the
 *     gate's alpha budget on it and cost its queries;
 *   - looks are never scheduled past the end of the bake, then past the end of its extension;
 *   - a failed gate rolls back; query errors are counted (gate accounting, countQueryError) and one
 *     more than the step tolerates rolls back;
 *   - a watch after promotion (candidateOnly) ends at its end unless a gate failed;
 *   - past the end, a look where every gate passed (and the candidate served minRequests) ends
 *     the step; past the extension the policy's no-data outcome applies.
 */
import { decideAdaptiveBake, type AdaptiveBakeDecision, type ArmCounts } from '../analysis/adaptive-bake';
import type { Step } from '../plan/types';
import { countQueryError, queryErrorLimit, type StepProgress } from './engine-state';
import type { StepResult } from './decider';

const MINUTE_MS = 60_000;

export type BakeOrGateStep = Extract<Step, { kind: 'bake' | 'gate' }>;

/** The end of `minutes` of the step's own time (its clock stops while paused). */
export function stepDeadline(progress: StepProgress, minutes: number): number {
  return (progress.startedAtMs ?? 0) + minutes * MINUTE_MS + progress.pausedMs;
}

interface StepTimes {
  readonly interval: number;
  readonly endMs: number;
  readonly extendedMs: number;
  readonly minRequests: number;
}

function timesOf(step: BakeOrGateStep, progress: StepProgress): StepTimes {
  const isBake = step.kind === 'bake';
  const duration = isBake ? step.durationMinutes : 0;
  // An adaptive bake may extend on thin traffic up to its maxBakeMinutes (never less than the fixed extension).
  const extension = Math.max(duration + step.maxExtensionMinutes, isBake && step.adaptive ? step.adaptive.maxBakeMinutes : 0);
  return {
    interval: isBake ? step.checkIntervalMinutes : step.retryIntervalMinutes,
    endMs: stepDeadline(progress, duration),
    extendedMs: stepDeadline(progress, extension),
    minRequests: isBake ? step.minRequests : 0,
  };
}

/** What the step waits for before its next look, or undefined: look now. */
export type NextLook = { readonly untilMs: number; readonly waitingFor: { kind: 'timer'; untilMs: number; detail: string } } | undefined;

/**
 * When to look next. `firstRound` is the first look of this execution: a gate step then looks at
 * once (it has no bake to wait out) unless it has looked already (the step was entered again:
 * see the timeline above); a bake always waits.
 */
export function nextLook(step: BakeOrGateStep, progress: StepProgress, nowMs: number, firstRound: boolean): NextLook {
  const isBake = step.kind === 'bake';
  // The time the interval counts from: this round starts just after a look, except a gate step's first round.
  let fromMs = nowMs;
  if (!isBake && firstRound) {
    if (progress.lastLookAtMs === undefined) return undefined;
    fromMs = progress.lastLookAtMs;
  }
  const { interval, endMs, extendedMs } = timesOf(step, progress);
  const needCheck = step.gates.length > 0;
  // The next look: one interval on, but never past the end of the bake (or of its extension);
  // a deadline no later than the last look (a no-data extension of 0 minutes) has no window of its own: one interval on.
  const boundary = nowMs < endMs ? endMs : extendedMs;
  const untilMs = needCheck
    ? boundary > fromMs
      ? Math.min(fromMs + interval * MINUTE_MS, boundary)
      : fromMs + interval * MINUTE_MS
    : endMs;
  // Entered again long after the last look (a pause, a retry): due already.
  if (fromMs !== nowMs && untilMs <= nowMs) return undefined;
  // The status names the end of the bake (what a person waits for), not the next look.
  const detail = progress.adaptiveNote === undefined ? 'baking' : `baking (adaptive: ${progress.adaptiveNote})`;
  const waitingFor = isBake
    ? { kind: 'timer' as const, untilMs: Math.max(endMs, untilMs), detail }
    : { kind: 'timer' as const, untilMs, detail: `re-checking ${step.gates.join(', ')}` };
  return { untilMs, waitingFor };
}

/** One look's gate results, as the checkGates activity answered them (summarised). */
export interface LookRound {
  readonly failed?: { readonly gate: string; readonly reason: string };
  readonly errors: readonly string[];
  readonly allPassed: boolean;
}

export type LookDecision =
  /** The step is over. `notes` go to the journal first; `gateFailed` asks for that notification. */
  | { readonly kind: 'done'; readonly result: StepResult; readonly notes: readonly string[]; readonly gateFailed?: true }
  /** Look again (after nextLook's wait). */
  | { readonly kind: 'again'; readonly notes: readonly string[] }
  /** Past the extension without a decision: the policy's no-data outcome, with why. */
  | { readonly kind: 'noData'; readonly why: string; readonly notes: readonly string[] };

/**
 * A look without gates (a plain bake): over once its time is up. Returns undefined when the
 * step has gates (judgeLook decides then).
 */
export function timeOnlyLook(step: BakeOrGateStep, progress: StepProgress, nowMs: number): LookDecision | undefined {
  if (step.gates.length > 0) return undefined;
  return nowMs >= timesOf(step, progress).endMs ? { kind: 'done', result: { kind: 'advance' }, notes: [] } : { kind: 'again', notes: [] };
}

/**
 * What one look means. Changes `progress` only to record the look's time (nextLook spaces the
 * next one from it), through the gate accounting reducer (countQueryError) and with the adaptive
 * rule's note; the requests seen were counted when the look's results came in.
 */
export function judgeLook(
  step: BakeOrGateStep,
  progress: StepProgress,
  nowMs: number,
  round: LookRound,
  adaptive?: AdaptiveBakeDecision,
): LookDecision {
  const isBake = step.kind === 'bake';
  progress.lastLookAtMs = nowMs;
  const { endMs, extendedMs, minRequests } = timesOf(step, progress);
  if (round.failed)
    return {
      kind: 'done',
      result: { kind: 'rollback', outcome: 'rolledBack', reason: `gate '${round.failed.gate}' failed: ${round.failed.reason}` },
      notes: [],
      gateFailed: true,
    };
  const notes: string[] = [];
  const errorLimit = queryErrorLimit(step);
  const tooManyErrors = round.errors.length > 0 && countQueryError(progress, errorLimit);
  if (round.errors.length > 0)
    notes.push(`gate query errors (${progress.queryErrors}, tolerated ${errorLimit}): ${round.errors.join('; ')}`);
  if (tooManyErrors) {
    return {
      kind: 'done',
      result: {
        kind: 'rollback',
        outcome: 'rolledBack',
        reason: `gate queries failed ${progress.queryErrors} times in this step (${errorLimit} tolerated): ${round.errors.join('; ')}`,
      },
      notes,
    };
  }
  const candidateOnly = isBake && step.candidateOnly === true;
  if (candidateOnly && nowMs >= endMs) {
    // A watch after promotion: only a definite failure rolls back; no waiting for data.
    notes.push(`watch ended without a failure${round.allPassed ? '' : ' (some checks inconclusive)'}`);
    return { kind: 'done', result: { kind: 'advance' }, notes };
  }
  if (adaptive) {
    // The adaptive rule's answer is journaled at every look and shown on the status (nextLook).
    progress.adaptiveNote = `${adaptive.action}: ${adaptive.reason}`;
    const evidence = adaptive.evidence.map((e) => e.reason).join('; ');
    notes.push(`adaptive bake: ${adaptive.action}: ${adaptive.reason}${evidence ? ` (${evidence})` : ''}`);
    if (adaptive.action === 'end') return { kind: 'done', result: { kind: 'advance' }, notes };
  }
  const requests = progress.requestsSeen ?? 0;
  const enoughRequests = minRequests === 0 || requests >= minRequests;
  if (nowMs >= endMs && round.allPassed && enoughRequests) {
    notes.push(`${isBake ? 'bake' : 'gate'} passed${minRequests > 0 ? ` with ${requests} candidate requests` : ''}`);
    return { kind: 'done', result: { kind: 'advance' }, notes };
  }
  if (nowMs >= extendedMs) {
    const total = (isBake ? step.durationMinutes : 0) + step.maxExtensionMinutes;
    const why = !enoughRequests
      ? `the candidate served ${requests} requests, ${minRequests} needed, after ${total} min`
      : `gates stayed inconclusive for ${total} min`;
    return { kind: 'noData', why, notes };
  }
  return { kind: 'again', notes };
}

/**
 * The adaptive rule at one look of a bake that declares `adaptive` (issue 12): asks
 * decideAdaptiveBake (src/analysis/adaptive-bake.ts) with each arm's data since the step began.
 * Undefined when the step is not adaptive or the data could not be read (the fixed rules decide).
 * The step's clock stops while paused, so paused time is left out of the elapsed time.
 */
export function adaptiveLook(
  step: BakeOrGateStep,
  progress: StepProgress,
  nowMs: number,
  arms: { candidate: ArmCounts; baseline: ArmCounts } | undefined,
): AdaptiveBakeDecision | undefined {
  if (step.kind !== 'bake' || !step.adaptive || !arms || progress.startedAtMs === undefined) return undefined;
  const startedAtMs = Math.min(nowMs, progress.startedAtMs + progress.pausedMs);
  return decideAdaptiveBake(
    { ...step.adaptive, bakeMinutes: step.durationMinutes, checkIntervalMinutes: step.checkIntervalMinutes },
    { startedAtMs, nowMs, candidate: arms.candidate, baseline: arms.baseline },
  );
}
