/**
 * GateTally: the running count of one gate's looks within a step, and the next action it implies.
 * Query errors and partial results are counted APART from failures (they say nothing about the
 * model), with their own limit; inconclusive looks extend the step until the extension time (or
 * an optional count limit) is used up; then the policy's no-data outcome applies.
 * Pure reducer: the orchestrator keeps the tally in its state and replays it deterministically.
 */
import { ValidationError } from '../errors';
import type { Verdict } from './types';

/** What the policy says to do when a gate stays without a decision (same values as the plan's NoDataOutcome). */
type GateNoDataOutcome = 'extend' | 'requestApproval' | 'rollback';

export interface GateTallyLimits {
  /** Consecutive query errors / partial results tolerated; one more gives the no-data outcome. */
  readonly maxConsecutiveErrors: number;
  /** Inconclusive looks tolerated (optional; the extension time limits them anyway). */
  readonly maxInconclusive?: number;
  /** Extra time the step may take waiting for a decision. */
  readonly maxExtensionMinutes: number;
  /** Default wait before the next look after an inconclusive look or an error. */
  readonly retryIntervalMinutes: number;
  readonly noDataOutcome: GateNoDataOutcome;
}

export interface GateTally {
  readonly looks: number;
  readonly consecutiveErrors: number;
  readonly errors: number;
  readonly inconclusive: number;
  readonly extensionMinutesUsed: number;
  readonly lastVerdict?: Verdict;
  readonly lastError?: string;
}

export const EMPTY_GATE_TALLY: GateTally = { looks: 0, consecutiveErrors: 0, errors: 0, inconclusive: 0, extensionMinutesUsed: 0 };

/** One look's outcome: a verdict, or a query that failed / returned a partial result. */
export type GateObservation = { readonly kind: 'verdict'; readonly verdict: Verdict } | { readonly kind: 'error'; readonly reason: string };

/**
 * continue: the gate passed, go on. extend: wait (waitMinutes) and look again.
 * fail: the gate failed (roll back). noData: limits exhausted, apply `noDataOutcome`.
 */
type GateNextAction = 'continue' | 'extend' | 'fail' | 'noData';

export interface GateTallyStep {
  readonly tally: GateTally;
  readonly action: GateNextAction;
  readonly reason: string;
  /** With 'extend': how long to wait before the next look. */
  readonly waitMinutes?: number;
  /** With 'noData': the policy's outcome. */
  readonly noDataOutcome?: GateNoDataOutcome;
}

export interface UpdateGateTallyOptions {
  /**
   * How many minutes of EXTENSION the next wait would use. Defaults to retryIntervalMinutes; pass 0
   * for looks that fall inside the step's planned time (a bake's interim looks).
   */
  readonly extensionMinutes?: number;
}

function checkLimits(limits: GateTallyLimits): void {
  const bad = (field: string, value: unknown, expected: string) =>
    new ValidationError(`gateTallyLimits.${field}`, `expected ${expected}, got ${String(value)}`);
  if (!Number.isInteger(limits.maxConsecutiveErrors) || limits.maxConsecutiveErrors < 0)
    throw bad('maxConsecutiveErrors', limits.maxConsecutiveErrors, 'a whole number >= 0');
  if (limits.maxInconclusive !== undefined && (!Number.isInteger(limits.maxInconclusive) || limits.maxInconclusive < 0)) {
    throw bad('maxInconclusive', limits.maxInconclusive, 'a whole number >= 0');
  }
  if (!(limits.maxExtensionMinutes >= 0)) throw bad('maxExtensionMinutes', limits.maxExtensionMinutes, 'a number >= 0');
  if (!(limits.retryIntervalMinutes > 0)) throw bad('retryIntervalMinutes', limits.retryIntervalMinutes, 'a number > 0');
}

export function updateGateTally(
  tally: GateTally,
  observation: GateObservation,
  limits: GateTallyLimits,
  options: UpdateGateTallyOptions = {},
): GateTallyStep {
  checkLimits(limits);
  const extension = options.extensionMinutes ?? limits.retryIntervalMinutes;
  const looks = tally.looks + 1;
  const noData = (next: GateTally, reason: string): GateTallyStep => ({
    tally: next,
    action: 'noData',
    reason: `${reason}; no-data outcome: ${limits.noDataOutcome}`,
    noDataOutcome: limits.noDataOutcome,
  });
  const extendOrStop = (next: GateTally, why: string): GateTallyStep => {
    if (next.extensionMinutesUsed + extension > limits.maxExtensionMinutes) {
      return noData(next, `${why}, and the extension time is used up (${next.extensionMinutesUsed} of ${limits.maxExtensionMinutes} min)`);
    }
    return {
      tally: { ...next, extensionMinutesUsed: next.extensionMinutesUsed + extension },
      action: 'extend',
      reason: `${why}; looking again in ${limits.retryIntervalMinutes} min`,
      waitMinutes: limits.retryIntervalMinutes,
    };
  };

  if (observation.kind === 'error') {
    const next: GateTally = {
      ...tally,
      looks,
      errors: tally.errors + 1,
      consecutiveErrors: tally.consecutiveErrors + 1,
      lastError: observation.reason,
    };
    if (next.consecutiveErrors > limits.maxConsecutiveErrors) {
      return noData(
        next,
        `${next.consecutiveErrors} consecutive query errors (limit ${limits.maxConsecutiveErrors}); last: ${observation.reason}`,
      );
    }
    return extendOrStop(
      next,
      `query error ${next.consecutiveErrors} of ${limits.maxConsecutiveErrors} tolerated in a row: ${observation.reason}`,
    );
  }

  const base: GateTally = { ...tally, looks, consecutiveErrors: 0, lastVerdict: observation.verdict };
  switch (observation.verdict) {
    case 'pass':
      return { tally: base, action: 'continue', reason: 'gate passed' };
    case 'fail':
      return { tally: base, action: 'fail', reason: 'gate failed' };
    case 'inconclusive': {
      const next = { ...base, inconclusive: tally.inconclusive + 1 };
      if (limits.maxInconclusive !== undefined && next.inconclusive > limits.maxInconclusive) {
        return noData(next, `${next.inconclusive} inconclusive looks (limit ${limits.maxInconclusive})`);
      }
      return extendOrStop(next, `inconclusive look ${next.inconclusive}`);
    }
  }
}
