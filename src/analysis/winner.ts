/**
 * A/B test: which arm wins? The candidate wins only when the data show, at this look's spent
 * alpha (Bonferroni-split over the compared metrics and the two directions), that it is BETTER on
 * at least one metric and worse on none, and its gate does not fail. The baseline wins when the
 * candidate is shown worse on any metric or fails its gate. Otherwise there is no winner yet; at
 * the final look a tie keeps the baseline (changing the model needs evidence, keeping it does not).
 */
import type { GateResult, GateSpec } from './types';
import type { GateRows } from './rows';
import { readCustomValue, readTrafficSide } from './rows';
import type { EvaluateGateContext } from './evaluate';
import { evaluateGate, formatNumber, levelsFor } from './evaluate';
import { metricKind } from './spec';
import { compareQuantiles, normalCdf, twoProportionScoreTest } from './statistics';
import type { OneSidedPValues } from './statistics';

export type ArmDirection = 'candidateBetter' | 'candidateWorse' | 'noDifference' | 'insufficient';

export interface ArmComparison {
  readonly metric: string;
  readonly direction: ArmDirection;
  readonly candidate: number | null;
  readonly baseline: number | null;
  readonly test: string;
  /** One-sided p-value of "candidate worse" and of "candidate better". */
  readonly pWorse?: number;
  readonly pBetter?: number;
  /** Level each direction is judged at (look alpha / (2 x compared metrics)). */
  readonly alpha: number;
  readonly reason: string;
}

export type Winner = 'candidate' | 'baseline' | 'none';

export interface WinnerDecision {
  readonly winner: Winner;
  /** False while the test should keep running. */
  readonly decided: boolean;
  readonly reason: string;
  readonly comparisons: readonly ArmComparison[];
  /** The guardrail verdict of the same gate on the same rows. */
  readonly gate: GateResult;
}

export interface DecideWinnerContext extends EvaluateGateContext {
  /** Requests each arm needs before any comparison counts (default: the gate's minRequestsPerDeployment). */
  readonly minRequestsPerArm?: number;
  /** The last look (duration over or sample size reached): a tie is decided for the baseline. */
  readonly final?: boolean;
}

const CUSTOM_STDERR_COLUMN = 'stderr';

function direction(p: OneSidedPValues, alpha: number): ArmDirection {
  if (p.pWorse <= alpha) return 'candidateWorse';
  if (p.pBetter <= alpha) return 'candidateBetter';
  return 'noDifference';
}

export function decideWinner(spec: GateSpec, rows: GateRows, ctx: DecideWinnerContext): WinnerDecision {
  const gate = evaluateGate(spec, rows, ctx);
  const { levels } = levelsFor(spec, ctx.look);
  const metrics = [...new Set(spec.checks.map((c) => c.metric))].filter((m) => m !== 'requestCount');
  const alpha = levels.failAlpha / (2 * Math.max(1, metrics.length));
  const traffic = Array.isArray(rows?.traffic) ? rows.traffic : [];
  const c = readTrafficSide(traffic, ctx.candidate);
  const b = readTrafficSide(traffic, ctx.baseline);
  const minPerArm = ctx.minRequestsPerArm ?? spec.minRequestsPerDeployment;
  const undecided = (reason: string, comparisons: ArmComparison[] = []): WinnerDecision =>
    ctx.final
      ? { winner: 'baseline', decided: true, reason: `${reason}; final look: keeping the baseline`, comparisons, gate }
      : { winner: 'none', decided: false, reason, comparisons, gate };

  if (gate.verdict === 'fail') return { winner: 'baseline', decided: true, reason: `candidate failed its gate: ${gate.reason}`, comparisons: [], gate };
  if (!c.ok || !b.ok) return undecided(!c.ok ? c.reason : !b.ok ? b.reason : 'no data');
  if (ctx.candidate === ctx.baseline) return undecided('an A/B test needs two different deployments');
  const nc = c.side.requests;
  const nb = b.side.requests;
  if (!nc.ok || !nb.ok) return undecided(!nc.ok ? nc.reason : !nb.ok ? nb.reason : 'no data');
  if (nc.value < minPerArm || nb.value < minPerArm) {
    return undecided(`waiting for ${minPerArm} requests per arm (${ctx.candidate} ${nc.value}, ${ctx.baseline} ${nb.value})`);
  }

  const comparisons: ArmComparison[] = metrics.map((metric) => {
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
    if (kind.kind === 'rate') {
      const test = 'two-proportion score z (pooled)';
      const cx = c.side[kind.numerator];
      const bx = b.side[kind.numerator];
      if (!cx.ok || !bx.ok) return insufficient(!cx.ok ? cx.reason : !bx.ok ? bx.reason : '', test);
      const cv = cx.value / nc.value;
      const bv = bx.value / nb.value;
      const pv = twoProportionScoreTest(cx.value, nc.value, bx.value, nb.value, 1, 0);
      if (!pv) return { metric, direction: 'noDifference', candidate: cv, baseline: bv, test, alpha, reason: 'no events in either arm' };
      const d = direction(pv, alpha);
      return { metric, direction: d, candidate: cv, baseline: bv, test, pWorse: pv.pWorse, pBetter: pv.pBetter, alpha, reason: `${formatNumber(cv)} vs ${formatNumber(bv)}` };
    }
    if (kind.kind === 'quantile') {
      const test = 'quantile z test (log ratio vs 1)';
      const cl = c.side.latencies;
      const bl = b.side.latencies;
      if (!cl.ok || !bl.ok) return insufficient(!cl.ok ? cl.reason : !bl.ok ? bl.reason : '', test);
      const cmp = compareQuantiles(cl.sorted, bl.sorted, kind.q, { ratio: 1 });
      const cv = c.side[kind.column].ok ? (c.side[kind.column] as { value: number }).value : null;
      const bv = b.side[kind.column].ok ? (b.side[kind.column] as { value: number }).value : null;
      if (!cmp) return insufficient('too few latency samples for this quantile', test, cv, bv);
      return { metric, direction: direction(cmp, alpha), candidate: cv, baseline: bv, test, pWorse: cmp.pWorse, pBetter: cmp.pBetter, alpha, reason: `ratio ${formatNumber(cmp.estimate)}` };
    }
    // Custom metric: comparable only when its query also returns a standard error per deployment.
    const test = 'z test on custom value with its stderr column';
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
      return insufficient(`the query returns no usable ${CUSTOM_STDERR_COLUMN} column, so the arms cannot be compared statistically`, test, cv.value, bv.value);
    }
    const z = (cv.value - bv.value) / Math.sqrt(sc * sc + sb * sb);
    const higherIsWorse = kind.higherIsWorse;
    const pv = higherIsWorse ? { pWorse: 1 - normalCdf(z), pBetter: normalCdf(z) } : { pWorse: normalCdf(z), pBetter: 1 - normalCdf(z) };
    return { metric, direction: direction(pv, alpha), candidate: cv.value, baseline: bv.value, test, ...pv, alpha, reason: `${formatNumber(cv.value)} vs ${formatNumber(bv.value)}` };
  });

  const worse = comparisons.filter((x) => x.direction === 'candidateWorse').map((x) => x.metric);
  const better = comparisons.filter((x) => x.direction === 'candidateBetter').map((x) => x.metric);
  if (worse.length > 0) return { winner: 'baseline', decided: true, reason: `candidate is worse on ${worse.join(', ')}`, comparisons, gate };
  if (better.length > 0) {
    return { winner: 'candidate', decided: true, reason: `candidate is better on ${better.join(', ')} and worse on none`, comparisons, gate };
  }
  return undecided('no significant difference yet', comparisons);
}
