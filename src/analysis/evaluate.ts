/**
 * Rows -> verdict. `evaluateGate` judges each check of a gate on the rows of one look and
 * combines them into the gate's verdict, with the evidence behind every number.
 *
 * Rules (docs/gates.md has the long form):
 * - A check needs at least minRequestsPerDeployment requests on the candidate, and on the
 *   baseline too when it has a relative threshold; fewer makes it inconclusive, never pass or
 *   fail. Missing, null or NaN numbers make it inconclusive too.
 * - Each threshold of a check is judged by a statistical test: FAIL when the data show, at the
 *   level this look may spend (alpha spending, ./sequential.ts), that the candidate violates it;
 *   PASS when they show, at 1 - confidence, that the candidate satisfies it; else INCONCLUSIVE.
 * - A check fails if any of its thresholds fails. It passes if all pass, or if every ABSOLUTE
 *   threshold (max / min) passes and the relative ones are merely inconclusive: the absolute
 *   bound is the level the policy accepts whatever the baseline does.
 * - The gate fails at once on a failing critical check; otherwise it is inconclusive while any
 *   check is, fails if any check fails, and passes when every check passes.
 */
import type { GateResult, GateSpec, MetricCheck, MetricEvidence, ThresholdEvidence, Verdict } from './types';
import type { AnalysisRow, GateRows, Reading, TrafficSide } from './rows';
import { readCustomValue, readTrafficSide } from './rows';
import type { MetricKind } from './spec';
import { metricKind, validateGateSpec } from './spec';
import type { SequentialLook } from './sequential';
import { DEFAULT_SPENDING_FUNCTION, alphaForLook } from './sequential';
import type { OneSidedPValues } from './statistics';
import {
  clopperPearsonLower,
  clopperPearsonUpper,
  compareQuantiles,
  normalQuantile,
  proportionVsBound,
  quantileUpperBound,
  quantileVsBound,
  rateMarginUpperBound,
  twoProportionScoreTest,
} from './statistics';
import { ValidationError } from '../errors';
import { pValueText, reasonValueText } from './number-format';

export interface EvaluateGateContext {
  readonly candidate: string;
  readonly baseline: string;
  readonly window: { readonly fromMs: number; readonly toMs: number };
  /** 1-based index of this look in the gate's sequential plan (count every evaluation of the gate in the rollout). */
  readonly look: number;
  readonly checkedAtMs: number;
}

/** Levels one look judges with. */
export interface Levels {
  /** A fail must reach this (alpha spent at this look). */
  readonly failAlpha: number;
  /** A pass must reach this (1 - confidence). */
  readonly passAlpha: number;
  readonly confidence: number;
}

/** A part's verdict from its two one-sided p-values. */
function judge(p: OneSidedPValues, levels: Levels, upper: boolean): { verdict: Verdict; pValue: number; passPValue: number } {
  // For an upper threshold (max, ratio, increase) "worse" is above; for a lower one (min) below.
  const pValue = upper ? p.pWorse : p.pBetter;
  const passPValue = upper ? p.pBetter : p.pWorse;
  if (pValue <= levels.failAlpha) return { verdict: 'fail', pValue, passPValue };
  if (passPValue <= levels.passAlpha) return { verdict: 'pass', pValue, passPValue };
  return { verdict: 'inconclusive', pValue, passPValue };
}

function partReason(verdict: Verdict, pValue: number, passPValue: number, levels: Levels, what: string): string {
  if (verdict === 'fail') return `${what} violates the threshold (p=${pValueText(pValue)} <= alpha ${pValueText(levels.failAlpha)})`;
  if (verdict === 'pass')
    return `${what} within the threshold at ${reasonValueText(levels.confidence * 100)}% confidence (p=${pValueText(passPValue)})`;
  return `${what}: not shown either way yet (p=${pValueText(pValue)} vs alpha ${pValueText(levels.failAlpha)}; within-threshold p=${pValueText(passPValue)} vs ${pValueText(levels.passAlpha)})`;
}

function inconclusivePart(kind: ThresholdEvidence['kind'], threshold: string, test: string, reason: string): ThresholdEvidence {
  return { kind, verdict: 'inconclusive', threshold, test, reason };
}

interface CheckData {
  readonly candidate: TrafficSide;
  readonly baseline: TrafficSide;
  readonly sameDeployment: boolean;
}

const RATE_TEST_ABS = 'exact binomial (one-sided)';
const RATE_TEST_REL = 'two-proportion Farrington-Manning score z (one-sided)';
const QUANTILE_TEST_ABS = 'order-statistic binomial (distribution-free, one-sided)';
const QUANTILE_TEST_REL = 'quantile z test, order-statistic standard errors (one-sided)';
const COUNT_TEST = 'none (request count compared directly)';
const CUSTOM_TEST = 'none (custom metric: one value per deployment, compared directly)';

function thresholdText(kind: ThresholdEvidence['kind'], value: number, higherIsWorse = true): string {
  switch (kind) {
    case 'max':
      return `<= ${reasonValueText(value)}`;
    case 'min':
      return `>= ${reasonValueText(value)}`;
    case 'ratio':
      return higherIsWorse ? `<= ${reasonValueText(value)}x baseline` : `>= baseline / ${reasonValueText(value)}`;
    case 'increase':
      return higherIsWorse ? `<= baseline + ${reasonValueText(value)}` : `>= baseline - ${reasonValueText(value)}`;
  }
}

function thresholdsOf(check: MetricCheck): { kind: ThresholdEvidence['kind']; value: number }[] {
  const out: { kind: ThresholdEvidence['kind']; value: number }[] = [];
  if (check.max !== undefined) out.push({ kind: 'max', value: check.max });
  if (check.min !== undefined) out.push({ kind: 'min', value: check.min });
  if (check.maxRatioToBaseline !== undefined) out.push({ kind: 'ratio', value: check.maxRatioToBaseline });
  if (check.maxIncreaseOverBaseline !== undefined) out.push({ kind: 'increase', value: check.maxIncreaseOverBaseline });
  return out;
}

const isRelative = (kind: ThresholdEvidence['kind']) => kind === 'ratio' || kind === 'increase';

function rateParts(check: MetricCheck, kind: Extract<MetricKind, { kind: 'rate' }>, data: CheckData, levels: Levels): ThresholdEvidence[] {
  const cx = data.candidate[kind.numerator];
  const bx = data.baseline[kind.numerator];
  const nc = data.candidate.requests.ok ? data.candidate.requests.value : 0;
  const nb = data.baseline.requests.ok ? data.baseline.requests.value : 0;
  return thresholdsOf(check).map(({ kind: part, value }) => {
    const threshold = thresholdText(part, value);
    if (!isRelative(part)) {
      if (!cx.ok) return inconclusivePart(part, threshold, RATE_TEST_ABS, cx.reason);
      const p = proportionVsBound(cx.value, nc, value);
      const j = judge(p, levels, part === 'max');
      const bound =
        part === 'max' ? clopperPearsonUpper(cx.value, nc, levels.confidence) : clopperPearsonLower(cx.value, nc, levels.confidence);
      return {
        kind: part,
        verdict: j.verdict,
        threshold,
        test: RATE_TEST_ABS,
        pValue: j.pValue,
        alpha: levels.failAlpha,
        passPValue: j.passPValue,
        passAlpha: levels.passAlpha,
        bound,
        estimate: cx.value / nc,
        reason: partReason(j.verdict, j.pValue, j.passPValue, levels, `rate ${reasonValueText(cx.value / nc)} (${cx.value}/${nc})`),
      };
    }
    if (data.sameDeployment) return inconclusivePart(part, threshold, RATE_TEST_REL, 'no separate baseline deployment to compare with');
    if (!cx.ok) return inconclusivePart(part, threshold, RATE_TEST_REL, cx.reason);
    if (!bx.ok) return inconclusivePart(part, threshold, RATE_TEST_REL, bx.reason);
    const p =
      part === 'ratio'
        ? twoProportionScoreTest(cx.value, nc, bx.value, nb, value, 0)
        : twoProportionScoreTest(cx.value, nc, bx.value, nb, 1, value);
    const estimate =
      part === 'ratio'
        ? bx.value === 0
          ? cx.value === 0
            ? Number.NaN
            : Infinity
          : cx.value / nc / (bx.value / nb)
        : cx.value / nc - bx.value / nb;
    if (!p) {
      return inconclusivePart(
        part,
        threshold,
        RATE_TEST_REL,
        'no events on either side: a ratio of two zero rates says nothing (add an absolute max, or use maxIncreaseOverBaseline)',
      );
    }
    const j = judge(p, levels, true);
    const bound = rateMarginUpperBound(cx.value, nc, bx.value, nb, part, levels.confidence);
    const what = `candidate ${reasonValueText(cx.value / nc)} (${cx.value}/${nc}) vs baseline ${reasonValueText(bx.value / nb)} (${bx.value}/${nb})`;
    return {
      kind: part,
      verdict: j.verdict,
      threshold,
      test: RATE_TEST_REL,
      pValue: j.pValue,
      alpha: levels.failAlpha,
      passPValue: j.passPValue,
      passAlpha: levels.passAlpha,
      ...(Number.isFinite(estimate) ? { estimate } : {}),
      ...(bound !== undefined ? { bound } : {}),
      reason: partReason(j.verdict, j.pValue, j.passPValue, levels, what),
    };
  });
}

/** Samples needed for the order-statistic interval of quantile q to fit inside the data. */
function samplesNeededFor(q: number): number {
  for (let n = 1; n <= 100_000; n++) {
    const half = 1.959963984540054 * Math.sqrt(n * q * (1 - q));
    if (Math.floor(n * q - half) >= 1 && Math.ceil(n * q + half) <= n) return n;
  }
  return Infinity;
}

function quantileParts(
  check: MetricCheck,
  kind: Extract<MetricKind, { kind: 'quantile' }>,
  data: CheckData,
  levels: Levels,
): ThresholdEvidence[] {
  const cs = data.candidate.latencies;
  const bs = data.baseline.latencies;
  const label = `p${Math.round(kind.q * 100)}`;
  return thresholdsOf(check).map(({ kind: part, value }) => {
    const threshold = thresholdText(part, value);
    if (!isRelative(part)) {
      if (!cs.ok) return inconclusivePart(part, threshold, QUANTILE_TEST_ABS, cs.reason);
      if (cs.sorted.length === 0)
        return inconclusivePart(part, threshold, QUANTILE_TEST_ABS, `${data.candidate.deployment}: no latency samples`);
      const p = quantileVsBound(cs.sorted, kind.q, value);
      const j = judge(p, levels, part === 'max');
      const bound = quantileUpperBound(cs.sorted, kind.q, levels.confidence);
      return {
        kind: part,
        verdict: j.verdict,
        threshold,
        test: QUANTILE_TEST_ABS,
        pValue: j.pValue,
        alpha: levels.failAlpha,
        passPValue: j.passPValue,
        passAlpha: levels.passAlpha,
        ...(bound !== undefined && part === 'max' ? { bound } : {}),
        reason: partReason(j.verdict, j.pValue, j.passPValue, levels, `${label} over ${cs.sorted.length} samples`),
      };
    }
    if (data.sameDeployment) return inconclusivePart(part, threshold, QUANTILE_TEST_REL, 'no separate baseline deployment to compare with');
    if (!cs.ok) return inconclusivePart(part, threshold, QUANTILE_TEST_REL, cs.reason);
    if (!bs.ok) return inconclusivePart(part, threshold, QUANTILE_TEST_REL, bs.reason);
    const cmp = compareQuantiles(cs.sorted, bs.sorted, kind.q, part === 'ratio' ? { ratio: value } : { increase: value });
    if (!cmp) {
      return inconclusivePart(
        part,
        threshold,
        QUANTILE_TEST_REL,
        `too few latency samples to compare ${label} (${cs.sorted.length} candidate, ${bs.sorted.length} baseline; about ${samplesNeededFor(kind.q)} needed on each side)`,
      );
    }
    const j = judge(cmp, levels, true);
    // Upper confidence bound of the compared quantity at the declared confidence.
    const zc = normalQuantile(levels.confidence);
    const bound = part === 'ratio' ? cmp.estimate * Math.exp(zc * cmp.standardError) : cmp.estimate + zc * cmp.standardError;
    const what =
      part === 'ratio' ? `${label} ratio ${reasonValueText(cmp.estimate)}` : `${label} difference ${reasonValueText(cmp.estimate)}`;
    return {
      kind: part,
      verdict: j.verdict,
      threshold,
      test: QUANTILE_TEST_REL,
      pValue: j.pValue,
      alpha: levels.failAlpha,
      passPValue: j.passPValue,
      passAlpha: levels.passAlpha,
      bound,
      estimate: cmp.estimate,
      reason: partReason(j.verdict, j.pValue, j.passPValue, levels, what),
    };
  });
}

function directParts(
  check: MetricCheck,
  candidate: number,
  baseline: number | undefined,
  sameDeployment: boolean,
  higherIsWorse: boolean,
  test: string,
  isCount: boolean,
): ThresholdEvidence[] {
  return thresholdsOf(check).map(({ kind: part, value }) => {
    const threshold = thresholdText(part, value, higherIsWorse);
    if (isRelative(part) && (sameDeployment || baseline === undefined)) {
      return inconclusivePart(part, threshold, test, 'no separate baseline deployment to compare with');
    }
    let ok: boolean;
    let estimate = candidate;
    switch (part) {
      case 'max':
        ok = candidate <= value;
        break;
      case 'min':
        ok = candidate >= value;
        break;
      case 'ratio':
        ok = higherIsWorse ? candidate <= value * (baseline as number) : candidate * value >= (baseline as number);
        estimate = (baseline as number) === 0 ? Number.NaN : candidate / (baseline as number);
        break;
      case 'increase':
        ok = higherIsWorse ? candidate <= (baseline as number) + value : candidate >= (baseline as number) - value;
        estimate = candidate - (baseline as number);
        break;
    }
    const shown = `${reasonValueText(candidate)}${baseline !== undefined && isRelative(part) ? ` vs baseline ${reasonValueText(baseline)}` : ''}`;
    // Too few requests is "wait", not "fail": a request-count minimum is a data-sufficiency rule.
    const verdict: Verdict = ok ? 'pass' : isCount && part === 'min' ? 'inconclusive' : 'fail';
    const reason = ok
      ? `${shown} meets ${threshold}`
      : verdict === 'inconclusive'
        ? `${shown} requests so far, waiting for ${threshold}`
        : `${shown} violates ${threshold}`;
    return { kind: part, verdict, threshold, test, ...(Number.isFinite(estimate) ? { estimate } : {}), reason };
  });
}

/** Combine a check's parts: any fail fails; all pass, or all absolute pass with relative merely inconclusive, passes. */
function combineParts(parts: readonly ThresholdEvidence[]): { verdict: Verdict; decisive?: ThresholdEvidence; note?: string } {
  const failed = parts.find((p) => p.verdict === 'fail');
  if (failed) return { verdict: 'fail', decisive: failed };
  if (parts.length > 0 && parts.every((p) => p.verdict === 'pass'))
    return { verdict: 'pass', decisive: parts.find((p) => isRelative(p.kind)) ?? parts[0] };
  const absolute = parts.filter((p) => !isRelative(p.kind));
  if (absolute.length > 0 && absolute.every((p) => p.verdict === 'pass')) {
    return { verdict: 'pass', decisive: absolute[0], note: 'absolute bound met; relative comparison not yet conclusive' };
  }
  return { verdict: 'inconclusive', decisive: parts.find((p) => p.verdict === 'inconclusive') };
}

function readValue(r: Reading): number | null {
  return r.ok ? r.value : null;
}

function evaluateCheck(
  spec: GateSpec,
  check: MetricCheck,
  rows: GateRows,
  ctx: EvaluateGateContext,
  levels: Levels,
  sides: { candidate: TrafficSide; baseline: TrafficSide } | string,
): MetricEvidence {
  const kind = metricKind(spec, check.metric) as MetricKind;
  const critical = check.critical === true;
  const allThresholds = thresholdsOf(check);
  const thresholdSummary = allThresholds
    .map((t) => thresholdText(t.kind, t.value, kind.kind === 'custom' ? kind.higherIsWorse : true))
    .join(' and ');
  const base = { metric: check.metric, threshold: thresholdSummary, critical, alpha: levels.failAlpha, passAlpha: levels.passAlpha };
  const inconclusive = (
    reason: string,
    samples = { candidate: 0, baseline: 0 },
    values: { candidate: number | null; baseline: number | null } = { candidate: null, baseline: null },
  ): MetricEvidence => ({
    ...base,
    verdict: 'inconclusive',
    ...values,
    samples,
    test: 'not run',
    reason,
  });
  if (typeof sides === 'string') return inconclusive(sides);
  const sameDeployment = ctx.candidate === ctx.baseline;
  const data: CheckData = { candidate: sides.candidate, baseline: sides.baseline, sameDeployment };
  const nc = sides.candidate.requests;
  const nb = sides.baseline.requests;
  if (!nc.ok) return inconclusive(nc.reason);
  if (!nb.ok) return inconclusive(nb.reason);
  const samples = { candidate: nc.value, baseline: sameDeployment ? nc.value : nb.value };

  let candidateValue: number | null = null;
  let baselineValue: number | null = null;
  switch (kind.kind) {
    case 'count':
      candidateValue = nc.value;
      baselineValue = sameDeployment ? null : nb.value;
      break;
    case 'rate': {
      const cx = sides.candidate[kind.numerator];
      const bx = sides.baseline[kind.numerator];
      candidateValue = cx.ok && nc.value > 0 ? cx.value / nc.value : null;
      baselineValue = !sameDeployment && bx.ok && nb.value > 0 ? bx.value / nb.value : null;
      break;
    }
    case 'quantile':
      candidateValue = readValue(sides.candidate[kind.column]);
      baselineValue = sameDeployment ? null : readValue(sides.baseline[kind.column]);
      break;
    case 'custom': {
      const c = readCustomValue(rows.custom?.[kind.metric], kind.metric, ctx.candidate);
      const b = sameDeployment ? undefined : readCustomValue(rows.custom?.[kind.metric], kind.metric, ctx.baseline);
      candidateValue = readValue(c);
      baselineValue = b ? readValue(b) : null;
      break;
    }
  }
  const values = { candidate: candidateValue, baseline: baselineValue };

  // The minimum applies to each side the check compares: the candidate always, the baseline when
  // a threshold is relative to it. An absolute-only check does not need baseline traffic (after a
  // promotion the baseline serves none, and the watch's absolute checks must still judge).
  const min = spec.minRequestsPerDeployment;
  const comparesBaseline = !sameDeployment && allThresholds.some((t) => isRelative(t.kind));
  const short: string[] = [];
  if (nc.value < min) short.push(`${ctx.candidate} has ${nc.value}`);
  if (comparesBaseline && nb.value < min) short.push(`${ctx.baseline} has ${nb.value}`);
  if (short.length > 0) {
    return inconclusive(
      `too few requests (${short.join(', ')}; at least ${min} needed${comparesBaseline ? ' on each side' : ''})`,
      samples,
      values,
    );
  }

  let parts: ThresholdEvidence[];
  switch (kind.kind) {
    case 'rate':
      parts = rateParts(check, kind, data, levels);
      break;
    case 'quantile':
      parts = quantileParts(check, kind, data, levels);
      break;
    case 'count':
      parts = directParts(check, nc.value, sameDeployment ? undefined : nb.value, sameDeployment, true, COUNT_TEST, true);
      break;
    case 'custom': {
      const c = readCustomValue(rows.custom?.[kind.metric], kind.metric, ctx.candidate);
      if (!c.ok) return inconclusive(c.reason, samples, values);
      let b: number | undefined;
      if (!sameDeployment && allThresholds.some((t) => isRelative(t.kind))) {
        const br = readCustomValue(rows.custom?.[kind.metric], kind.metric, ctx.baseline);
        if (!br.ok) return inconclusive(br.reason, samples, values);
        b = br.value;
      }
      parts = directParts(check, c.value, b, sameDeployment, kind.higherIsWorse, CUSTOM_TEST, false);
      break;
    }
  }
  const combined = combineParts(parts);
  const decisive = combined.decisive;
  const tests = [...new Set(parts.map((p) => p.test))].join(' + ');
  const reasons = parts.map((p) => `${p.threshold}: ${p.reason}`);
  if (combined.note) reasons.push(combined.note);
  return {
    ...base,
    verdict: combined.verdict,
    ...values,
    samples,
    test: tests,
    ...(decisive?.pValue !== undefined ? { pValue: decisive.pValue } : {}),
    ...(decisive?.passPValue !== undefined ? { passPValue: decisive.passPValue } : {}),
    ...(decisive?.bound !== undefined ? { bound: decisive.bound } : {}),
    reason: reasons.join('; '),
    parts,
  };
}

/** Combine the checks of a gate into its verdict and a one-line reason. */
function combineChecks(evidence: readonly MetricEvidence[]): { verdict: Verdict; reason: string } {
  const criticalFail = evidence.filter((e) => e.verdict === 'fail' && e.critical);
  if (criticalFail.length > 0) return { verdict: 'fail', reason: `critical check failed: ${criticalFail.map((e) => e.metric).join(', ')}` };
  const failed = evidence.filter((e) => e.verdict === 'fail').map((e) => e.metric);
  const open = evidence.filter((e) => e.verdict === 'inconclusive').map((e) => e.metric);
  if (open.length > 0) {
    return {
      verdict: 'inconclusive',
      reason: `${open.join(', ')} not conclusive yet${failed.length > 0 ? `; failing so far (non-critical): ${failed.join(', ')}` : ''}`,
    };
  }
  if (failed.length > 0) return { verdict: 'fail', reason: `failed: ${failed.join(', ')}` };
  return { verdict: 'pass', reason: evidence.length === 1 ? `${evidence[0]?.metric} passed` : `all ${evidence.length} checks passed` };
}

export function levelsFor(spec: GateSpec, look: number): { levels: Levels; sequential: SequentialLook } {
  // Rounded so 1 - 0.95 reads 0.05 in the evidence, not 0.050000000000000044.
  const alphaTotal = Math.round((1 - spec.confidence) * 1e12) / 1e12;
  const sequential = alphaForLook(look, spec.plannedLooks, alphaTotal, spec.spending ?? DEFAULT_SPENDING_FUNCTION);
  return { levels: { failAlpha: sequential.alphaThisLook, passAlpha: alphaTotal, confidence: spec.confidence }, sequential };
}

/**
 * Judge one look of a gate. Pure: the same inputs always give the same result. Throws
 * ValidationError only for a malformed spec or context (a configuration error); bad or missing
 * DATA never throws, it makes the affected checks inconclusive.
 */
export function evaluateGate(spec: GateSpec, rows: GateRows, ctx: EvaluateGateContext): GateResult {
  validateGateSpec(spec);
  if (typeof ctx.candidate !== 'string' || ctx.candidate === '' || typeof ctx.baseline !== 'string' || ctx.baseline === '') {
    throw new ValidationError('context', 'candidate and baseline deployment names are required');
  }
  if (!Number.isFinite(ctx.window?.fromMs) || !Number.isFinite(ctx.window?.toMs) || ctx.window.fromMs >= ctx.window.toMs) {
    throw new ValidationError('context.window', `expected fromMs < toMs, got ${String(ctx.window?.fromMs)} .. ${String(ctx.window?.toMs)}`);
  }
  const { levels, sequential } = levelsFor(spec, ctx.look);
  const trafficRows: readonly AnalysisRow[] = Array.isArray(rows?.traffic) ? rows.traffic : [];
  const c = readTrafficSide(trafficRows, ctx.candidate);
  const b = readTrafficSide(trafficRows, ctx.baseline);
  const sides = !Array.isArray(rows?.traffic)
    ? 'the traffic query returned no rows list'
    : !c.ok
      ? c.reason
      : !b.ok
        ? b.reason
        : { candidate: c.side, baseline: b.side };
  const evidence = spec.checks.map((check) => evaluateCheck(spec, check, rows ?? { traffic: [] }, ctx, levels, sides));
  const { verdict, reason } = combineChecks(evidence);
  return gateResultOf(spec, ctx, sequential, { verdict, evidence, reason });
}

/** A GateResult for this look: the look's context and sequential bookkeeping around the judgement (gates and A/B alike). */
export function gateResultOf(
  spec: GateSpec,
  ctx: EvaluateGateContext,
  sequential: SequentialLook,
  judged: { readonly verdict: Verdict; readonly evidence: readonly MetricEvidence[]; readonly reason: string },
): GateResult {
  return {
    gate: spec.name,
    verdict: judged.verdict,
    look: ctx.look,
    checkedAtMs: ctx.checkedAtMs,
    window: { fromMs: ctx.window.fromMs, toMs: ctx.window.toMs },
    candidate: ctx.candidate,
    baseline: ctx.baseline,
    evidence: judged.evidence,
    reason: judged.reason,
    sequential: {
      method: sequential.method,
      plannedLooks: sequential.plannedLooks,
      alphaTotal: sequential.alphaTotal,
      alphaThisLook: sequential.alphaThisLook,
      alphaSpentThrough: sequential.alphaSpentThrough,
    },
  };
}
