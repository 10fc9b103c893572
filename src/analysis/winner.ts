/**
 * A/B test: which arm wins? The candidate wins only when the data show, at this look's spent
 * alpha (Bonferroni-split over the compared metrics and the two directions), that it is BETTER on
 * at least one metric and worse on none, and its guardrails do not fail. The baseline wins when
 * the candidate is shown worse on any metric or fails a guardrail. Otherwise it is undecided; at
 * the final look a tie keeps the baseline (changing the model needs evidence, keeping it does not).
 *
 * The gate's checks name the metrics to compare. Checks WITH thresholds are also guardrails,
 * judged by evaluateGate; checks without thresholds (the plan's A/B comparison gate) only compare.
 */
import type { GateResult, GateSpec, MetricCheck, MetricEvidence, Verdict } from './types';
import type { GateRows } from './rows';
import { readCustomValue, readTrafficSide } from './rows';
import type { EvaluateGateContext } from './evaluate';
import { evaluateGate, gateResultOf, levelsFor } from './evaluate';
import { reasonValueText } from './number-format';
import { metricKind, validateGateSpec } from './spec';
import { compareQuantiles, normalCdf, twoProportionScoreTest } from './statistics';
import type { OneSidedPValues } from './statistics';
import { ValidationError } from '../errors';

type ArmDirection = 'candidateBetter' | 'candidateWorse' | 'noDifference' | 'insufficient';

interface ArmComparison {
  readonly metric: string;
  readonly direction: ArmDirection;
  readonly candidate: number | null;
  readonly baseline: number | null;
  readonly test: string;
  /** One-sided p-values of "candidate worse" and "candidate better". */
  readonly pWorse?: number;
  readonly pBetter?: number;
  /** Level each direction is judged at (look alpha / (2 x compared metrics)). */
  readonly alpha: number;
  readonly reason: string;
}

/** Same values as the decideWinner activity contract. */
type Winner = 'candidate' | 'baseline' | 'undecided';

export interface WinnerDecision {
  readonly winner: Winner;
  /** False while the test should keep running. */
  readonly decided: boolean;
  readonly reason: string;
  readonly comparisons: readonly ArmComparison[];
  /**
   * The look as a GateResult for the status: verdict pass = candidate wins, fail = baseline wins,
   * inconclusive = undecided; evidence = guardrail checks, then one entry per compared metric.
   */
  readonly result: GateResult;
}

export interface DecideWinnerContext extends EvaluateGateContext {
  /** Requests each arm needs before any comparison counts (default: the gate's minRequestsPerDeployment). */
  readonly minRequestsPerArm?: number;
  /** The last look (duration over or sample size reached): a tie is decided for the baseline. */
  readonly final?: boolean;
}

const CUSTOM_STDERR_COLUMN = 'stderr';

function hasThreshold(check: MetricCheck): boolean {
  return (
    check.max !== undefined ||
    check.min !== undefined ||
    check.maxRatioToBaseline !== undefined ||
    check.maxIncreaseOverBaseline !== undefined
  );
}

function direction(p: OneSidedPValues, alpha: number): ArmDirection {
  if (p.pWorse <= alpha) return 'candidateWorse';
  if (p.pBetter <= alpha) return 'candidateBetter';
  return 'noDifference';
}

function compareArms(spec: GateSpec, rows: GateRows, ctx: DecideWinnerContext, metrics: readonly string[], alpha: number): ArmComparison[] {
  const traffic = Array.isArray(rows?.traffic) ? rows.traffic : [];
  const c = readTrafficSide(traffic, ctx.candidate);
  const b = readTrafficSide(traffic, ctx.baseline);
  return metrics.map((metric): ArmComparison => {
    const kind = metricKind(spec, metric);
    const insufficient = (reason: string, test: string, cv: number | null = null, bv: number | null = null): ArmComparison => ({
      metric,
      direction: 'insufficient',
      candidate: cv,
      baseline: bv,
      test,
      alpha,
      reason,
    });
    if (!kind || kind.kind === 'count') return insufficient('not a comparable metric', 'none');
    if (!c.ok || !b.ok) return insufficient(!c.ok ? c.reason : !b.ok ? b.reason : '', 'none');
    const nc = c.side.requests;
    const nb = b.side.requests;
    if (!nc.ok || !nb.ok) return insufficient(!nc.ok ? nc.reason : !nb.ok ? nb.reason : '', 'none');
    if (kind.kind === 'rate') {
      const test = 'two-proportion score z (pooled, two-sided)';
      const cx = c.side[kind.numerator];
      const bx = b.side[kind.numerator];
      if (!cx.ok || !bx.ok) return insufficient(!cx.ok ? cx.reason : !bx.ok ? bx.reason : '', test);
      if (nc.value === 0 || nb.value === 0) return insufficient('an arm served no request', test);
      const cv = cx.value / nc.value;
      const bv = bx.value / nb.value;
      const pv = twoProportionScoreTest(cx.value, nc.value, bx.value, nb.value, 1, 0);
      if (!pv) return { metric, direction: 'noDifference', candidate: cv, baseline: bv, test, alpha, reason: 'no events in either arm' };
      return {
        metric,
        direction: direction(pv, alpha),
        candidate: cv,
        baseline: bv,
        test,
        pWorse: pv.pWorse,
        pBetter: pv.pBetter,
        alpha,
        reason: `${reasonValueText(cv)} vs ${reasonValueText(bv)}`,
      };
    }
    if (kind.kind === 'quantile') {
      const test = 'quantile z test on the log ratio (two-sided)';
      const cl = c.side.latencies;
      const bl = b.side.latencies;
      const cq = c.side[kind.column];
      const bq = b.side[kind.column];
      const cv = cq.ok ? cq.value : null;
      const bv = bq.ok ? bq.value : null;
      if (!cl.ok || !bl.ok) return insufficient(!cl.ok ? cl.reason : !bl.ok ? bl.reason : '', test, cv, bv);
      const cmp = compareQuantiles(cl.sorted, bl.sorted, kind.q, { ratio: 1 });
      if (!cmp) return insufficient('too few latency samples for this percentile', test, cv, bv);
      return {
        metric,
        direction: direction(cmp, alpha),
        candidate: cv,
        baseline: bv,
        test,
        pWorse: cmp.pWorse,
        pBetter: cmp.pBetter,
        alpha,
        reason: `ratio ${reasonValueText(cmp.estimate)}`,
      };
    }
    // Custom metric: comparable only when its query also returns a standard error per deployment.
    const test = `z test on the custom value and its ${CUSTOM_STDERR_COLUMN} column (two-sided)`;
    const customRows = rows?.custom?.[metric];
    const cv = readCustomValue(customRows, metric, ctx.candidate);
    const bv = readCustomValue(customRows, metric, ctx.baseline);
    if (!cv.ok || !bv.ok) return insufficient(!cv.ok ? cv.reason : !bv.ok ? bv.reason : '', test);
    const stderrOf = (deployment: string): number | undefined => {
      const row = (customRows ?? []).find((r) => r?.['DeploymentName'] === deployment);
      const se = row?.[CUSTOM_STDERR_COLUMN];
      return typeof se === 'number' && Number.isFinite(se) && se >= 0 ? se : undefined;
    };
    const sc = stderrOf(ctx.candidate);
    const sb = stderrOf(ctx.baseline);
    if (sc === undefined || sb === undefined || sc + sb === 0) {
      return insufficient(
        `the query returns no usable ${CUSTOM_STDERR_COLUMN} column, so the arms cannot be compared statistically`,
        test,
        cv.value,
        bv.value,
      );
    }
    const z = (cv.value - bv.value) / Math.sqrt(sc * sc + sb * sb);
    const pv = kind.higherIsWorse
      ? { pWorse: 1 - normalCdf(z), pBetter: normalCdf(z) }
      : { pWorse: normalCdf(z), pBetter: 1 - normalCdf(z) };
    return {
      metric,
      direction: direction(pv, alpha),
      candidate: cv.value,
      baseline: bv.value,
      test,
      ...pv,
      alpha,
      reason: `${reasonValueText(cv.value)} vs ${reasonValueText(bv.value)}`,
    };
  });
}

function comparisonEvidence(c: ArmComparison, samples: { candidate: number; baseline: number }): MetricEvidence {
  const verdict: Verdict = c.direction === 'candidateBetter' ? 'pass' : c.direction === 'candidateWorse' ? 'fail' : 'inconclusive';
  const label: Record<ArmDirection, string> = {
    candidateBetter: 'candidate better',
    candidateWorse: 'candidate worse',
    noDifference: 'no significant difference',
    insufficient: 'not comparable',
  };
  return {
    metric: c.metric,
    verdict,
    candidate: c.candidate,
    baseline: c.baseline,
    samples,
    threshold: 'A/B: compared with baseline (two-sided)',
    test: c.test,
    ...(c.pWorse !== undefined ? { pValue: c.pWorse } : {}),
    ...(c.pBetter !== undefined ? { passPValue: c.pBetter } : {}),
    alpha: c.alpha,
    passAlpha: c.alpha,
    reason: `${label[c.direction]}: ${c.reason}`,
  };
}

export function decideWinner(spec: GateSpec, rows: GateRows, ctx: DecideWinnerContext): WinnerDecision {
  validateGateSpec(spec, { allowComparisonOnly: true });
  if (ctx.candidate === ctx.baseline) throw new ValidationError('context', 'an A/B test needs two different deployments');
  const guardrailChecks = spec.checks.filter(hasThreshold);
  const guard = guardrailChecks.length > 0 ? evaluateGate({ ...spec, checks: guardrailChecks }, rows, ctx) : undefined;
  const { levels, sequential } = levelsFor(spec, ctx.look);
  const metrics = [...new Set(spec.checks.map((c) => c.metric))].filter((m) => m !== 'requestCount');
  const alpha = levels.failAlpha / (2 * Math.max(1, metrics.length));

  const traffic = Array.isArray(rows?.traffic) ? rows.traffic : [];
  const count = (deployment: string): number => {
    const side = readTrafficSide(traffic, deployment);
    return side.ok && side.side.requests.ok ? side.side.requests.value : 0;
  };
  const samples = { candidate: count(ctx.candidate), baseline: count(ctx.baseline) };
  const minPerArm = ctx.minRequestsPerArm ?? spec.minRequestsPerDeployment;
  const enough = samples.candidate >= minPerArm && samples.baseline >= minPerArm;
  const comparisons = enough ? compareArms(spec, rows, ctx, metrics, alpha) : [];

  let winner: Winner;
  let reason: string;
  if (guard?.verdict === 'fail') {
    winner = 'baseline';
    reason = `the candidate fails its guardrails: ${guard.reason}`;
  } else if (!enough) {
    winner = 'undecided';
    reason = `not enough samples yet: ${ctx.candidate} ${samples.candidate}, ${ctx.baseline} ${samples.baseline} requests (need ${minPerArm} per arm)`;
  } else {
    const worse = comparisons.filter((x) => x.direction === 'candidateWorse').map((x) => x.metric);
    const better = comparisons.filter((x) => x.direction === 'candidateBetter').map((x) => x.metric);
    if (worse.length > 0) {
      winner = 'baseline';
      reason = `${ctx.candidate} is worse than ${ctx.baseline} on ${worse.join(', ')}`;
    } else if (better.length > 0) {
      winner = 'candidate';
      reason = `${ctx.candidate} is better than ${ctx.baseline} on ${better.join(', ')} and worse on none`;
    } else {
      winner = 'undecided';
      reason = 'no significant difference yet';
    }
  }
  if (winner === 'undecided' && ctx.final) {
    winner = 'baseline';
    reason = `${reason}; final look: a tie keeps the baseline`;
  }
  const decided = winner !== 'undecided';
  const verdict: Verdict = winner === 'candidate' ? 'pass' : winner === 'baseline' ? 'fail' : 'inconclusive';
  const result = gateResultOf(spec, ctx, sequential, {
    verdict,
    evidence: [...(guard?.evidence ?? []), ...comparisons.map((c) => comparisonEvidence(c, samples))],
    reason,
  });
  return { winner, decided, reason, comparisons, result };
}
