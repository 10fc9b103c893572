/**
 * Adaptive bakes: end a traffic step as soon as the evidence shows the candidate is no worse than
 * the live version, instead of always waiting out the fixed bake (docs/gates.md "Adaptive bakes").
 *
 * The rule, evaluated at each look of a bake (pure; the caller passes the counts since the step
 * began and the time):
 *   - END the step when the minimum bake has passed, the candidate served at least `minRequests`
 *     since the step began, and for EVERY declared margin a one-sided non-inferiority test
 *     rejects "the candidate is worse than the live version by the margin or more" at this look's
 *     level (alpha spending over the looks between minBakeMinutes and maxBakeMinutes);
 *   - otherwise keep baking until the next look while the nominal bake runs;
 *   - past the nominal bake, EXTEND (up to maxBakeMinutes) while the candidate has served fewer
 *     than `minRequests`: thin traffic is a reason to wait, not to decide;
 *   - otherwise hand back to the step's fixed rules (SCHEDULE): its gates decide as without this option.
 *
 * Tests: failure rate, Farrington-Manning score test against the difference margin; latency
 * quantiles, the quantile z test against the ratio margin (both from ./statistics, the same tests
 * the gates use). Looks are numbered from the time since minBakeMinutes, so the rule needs no
 * state of its own.
 *
 * Guarantee: for a candidate truly worse than a margin, the chance that ANY look ends the step
 * early is at most 1 - confidence (the per-look levels add up to at most alpha; union bound, valid
 * for overlapping cumulative data). Ending early never skips the step's gates: the decisive gate
 * check that follows every bake still runs.
 */
import { ValidationError } from '../errors';
import { alphaForLook, DEFAULT_SPENDING_FUNCTION } from './sequential';
import { compareQuantiles, twoProportionScoreTest } from './statistics';
import { significantPadded } from './number-format';

const MINUTE_MS = 60_000;

/** Declared margins: how much worse than the live version the candidate may be. At least one. */
interface NonInferiorityMargins {
  /** Candidate failure rate <= live failure rate + this (a fraction: 0.005 = half a percentage point). */
  readonly failureRate?: number;
  /** Candidate median latency <= this x the live one (e.g. 1.1). */
  readonly latencyP50Ratio?: number;
  /** Candidate p95 latency <= this x the live one. */
  readonly latencyP95Ratio?: number;
}

export interface AdaptiveBakeSettings {
  /** The step never ends before this. */
  readonly minBakeMinutes: number;
  /** The fixed schedule's bake (the policy's bakeMinutes). */
  readonly bakeMinutes: number;
  /** With thin traffic the step extends up to this. */
  readonly maxBakeMinutes: number;
  /** Candidate requests since the step began needed before the evidence can end it. */
  readonly minRequests: number;
  /** Confidence of the non-inferiority conclusion over all looks of the step. */
  readonly confidence: number;
  readonly margins: NonInferiorityMargins;
  /** Time between looks (the step's check interval). */
  readonly checkIntervalMinutes: number;
}

/** One deployment's data since the step began. */
export interface ArmCounts {
  readonly requests: number;
  /** Failed requests (whatever the failure metric counts). */
  readonly failures: number;
  /** Latency samples in ms, sorted ascending (may be a capped sample). */
  readonly latenciesSorted: readonly number[];
}

export interface AdaptiveBakeInput {
  readonly startedAtMs: number;
  readonly nowMs: number;
  readonly candidate: ArmCounts;
  readonly baseline: ArmCounts;
}

interface NonInferiorityEvidence {
  readonly margin: keyof NonInferiorityMargins;
  readonly value: number;
  /** p-value of "the candidate is worse than live by the margin or more". */
  readonly pValue?: number;
  readonly alpha: number;
  readonly shown: boolean;
  readonly reason: string;
}

export type AdaptiveBakeDecision =
  | { readonly action: 'end'; readonly reason: string; readonly evidence: readonly NonInferiorityEvidence[] }
  | {
      readonly action: 'wait' | 'extend';
      readonly untilMs: number;
      readonly reason: string;
      readonly evidence: readonly NonInferiorityEvidence[];
    }
  | { readonly action: 'schedule'; readonly reason: string; readonly evidence: readonly NonInferiorityEvidence[] };

/** Every problem of the settings, each naming the field; empty when usable. */
export function adaptiveBakeProblems(s: AdaptiveBakeSettings): string[] {
  const problems: string[] = [];
  const finiteAtLeast = (v: number, min: number) => typeof v === 'number' && Number.isFinite(v) && v >= min;
  if (!finiteAtLeast(s.minBakeMinutes, 0)) problems.push(`minBakeMinutes: expected a number >= 0, got ${String(s.minBakeMinutes)}`);
  if (!finiteAtLeast(s.bakeMinutes, 0)) problems.push(`bakeMinutes: expected a number >= 0, got ${String(s.bakeMinutes)}`);
  if (!finiteAtLeast(s.maxBakeMinutes, 0)) problems.push(`maxBakeMinutes: expected a number >= 0, got ${String(s.maxBakeMinutes)}`);
  if (s.minBakeMinutes > s.bakeMinutes) problems.push(`minBakeMinutes (${s.minBakeMinutes}) is above bakeMinutes (${s.bakeMinutes})`);
  if (s.maxBakeMinutes < s.bakeMinutes) problems.push(`maxBakeMinutes (${s.maxBakeMinutes}) is below bakeMinutes (${s.bakeMinutes})`);
  if (!(Number.isInteger(s.minRequests) && s.minRequests >= 1))
    problems.push(`minRequests: expected a whole number >= 1, got ${String(s.minRequests)}`);
  if (!(s.confidence >= 0.5 && s.confidence < 1)) problems.push(`confidence: expected a number in [0.5, 1), got ${String(s.confidence)}`);
  if (!(s.checkIntervalMinutes > 0)) problems.push(`checkIntervalMinutes: expected a number > 0, got ${String(s.checkIntervalMinutes)}`);
  const m = s.margins ?? {};
  if (m.failureRate === undefined && m.latencyP50Ratio === undefined && m.latencyP95Ratio === undefined) {
    problems.push('margins: declare at least one of failureRate, latencyP50Ratio, latencyP95Ratio');
  }
  if (m.failureRate !== undefined && !(m.failureRate > 0 && m.failureRate < 1))
    problems.push(`margins.failureRate: expected a fraction in (0, 1), got ${String(m.failureRate)}`);
  for (const key of ['latencyP50Ratio', 'latencyP95Ratio'] as const) {
    const v = m[key];
    if (v !== undefined && !(v > 1 && Number.isFinite(v)))
      problems.push(`margins.${key}: expected a ratio > 1 (e.g. 1.1), got ${String(v)}`);
  }
  return problems;
}

/** Looks the alpha budget is planned for: one per interval from minBakeMinutes to maxBakeMinutes. */
function adaptivePlannedLooks(s: AdaptiveBakeSettings): number {
  return Math.max(1, Math.floor((s.maxBakeMinutes - s.minBakeMinutes) / s.checkIntervalMinutes) + 1);
}

function nonInferiority(s: AdaptiveBakeSettings, input: AdaptiveBakeInput, alpha: number): NonInferiorityEvidence[] {
  const out: NonInferiorityEvidence[] = [];
  const { candidate: c, baseline: b } = input;
  const m = s.margins;
  if (m.failureRate !== undefined) {
    const test =
      c.requests > 0 && b.requests > 0
        ? twoProportionScoreTest(c.failures, c.requests, b.failures, b.requests, 1, m.failureRate)
        : undefined;
    const shown = test !== undefined && test.pBetter <= alpha;
    out.push({
      margin: 'failureRate',
      value: m.failureRate,
      alpha,
      shown,
      ...(test ? { pValue: test.pBetter } : {}),
      reason: test
        ? `failure rate ${shown ? 'shown' : 'not shown'} within live + ${m.failureRate} (p=${significantPadded(test.pBetter, 2)} vs ${significantPadded(alpha, 2)})`
        : 'failure rate: no requests on one side yet',
    });
  }
  for (const [key, q] of [
    ['latencyP50Ratio', 0.5],
    ['latencyP95Ratio', 0.95],
  ] as const) {
    const ratio = m[key];
    if (ratio === undefined) continue;
    const cmp = compareQuantiles(c.latenciesSorted, b.latenciesSorted, q, { ratio });
    const shown = cmp !== undefined && cmp.pBetter <= alpha;
    out.push({
      margin: key,
      value: ratio,
      alpha,
      shown,
      ...(cmp ? { pValue: cmp.pBetter } : {}),
      reason: cmp
        ? `p${Math.round(q * 100)} ratio ${significantPadded(cmp.estimate, 3)} ${shown ? 'shown' : 'not shown'} below ${ratio}x live (p=${significantPadded(cmp.pBetter, 2)} vs ${significantPadded(alpha, 2)})`
        : `p${Math.round(q * 100)}: too few latency samples to compare`,
    });
  }
  return out;
}

/** The rule of the module comment. Throws ValidationError only for bad settings or times. */
export function decideAdaptiveBake(s: AdaptiveBakeSettings, input: AdaptiveBakeInput): AdaptiveBakeDecision {
  const problems = adaptiveBakeProblems(s);
  if (problems.length > 0) throw new ValidationError('adaptive', problems.join('; '));
  if (!Number.isFinite(input.startedAtMs) || !Number.isFinite(input.nowMs) || input.nowMs < input.startedAtMs) {
    throw new ValidationError(
      'adaptive.input',
      `expected startedAtMs <= nowMs, got ${String(input.startedAtMs)} .. ${String(input.nowMs)}`,
    );
  }
  const elapsed = (input.nowMs - input.startedAtMs) / MINUTE_MS;
  const nextLook = (limitMinutes: number) =>
    Math.min(input.nowMs + s.checkIntervalMinutes * MINUTE_MS, input.startedAtMs + limitMinutes * MINUTE_MS);
  const enoughRequests = input.candidate.requests >= s.minRequests;
  let evidence: NonInferiorityEvidence[] = [];
  if (elapsed >= s.minBakeMinutes && enoughRequests) {
    const look = Math.floor((elapsed - s.minBakeMinutes) / s.checkIntervalMinutes) + 1;
    const alpha = alphaForLook(
      look,
      adaptivePlannedLooks(s),
      Math.round((1 - s.confidence) * 1e12) / 1e12,
      DEFAULT_SPENDING_FUNCTION,
    ).alphaThisLook;
    evidence = nonInferiority(s, input, alpha);
    if (evidence.every((e) => e.shown)) {
      return {
        action: 'end',
        reason: `no worse than live within the margins after ${Math.round(elapsed * 10) / 10} min (${input.candidate.requests} candidate requests)`,
        evidence,
      };
    }
  }
  const requestsNote = `${input.candidate.requests} of ${s.minRequests} candidate requests`;
  if (elapsed < s.bakeMinutes) {
    return {
      action: 'wait',
      untilMs: nextLook(s.bakeMinutes),
      reason:
        elapsed < s.minBakeMinutes
          ? `minimum bake runs until ${s.minBakeMinutes} min`
          : enoughRequests
            ? 'non-inferiority not shown yet'
            : requestsNote,
      evidence,
    };
  }
  if (!enoughRequests && elapsed < s.maxBakeMinutes) {
    return {
      action: 'extend',
      untilMs: nextLook(s.maxBakeMinutes),
      reason: `thin traffic: ${requestsNote}; extending up to ${s.maxBakeMinutes} min`,
      evidence,
    };
  }
  return {
    action: 'schedule',
    reason: enoughRequests
      ? "non-inferiority not shown by the end of the bake: the step's gates decide"
      : `still ${requestsNote} at ${s.maxBakeMinutes} min: the step's gates decide`,
    evidence,
  };
}
