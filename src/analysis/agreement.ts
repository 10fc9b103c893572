/**
 * Prediction agreement: do the candidate and the live (baseline) deployment answer the same
 * inputs the same way? Error rates and latency say a model answers; this says it answers alike.
 *
 * The checkGates activity sends every row of the policy's dataset to both deployments (pinned with
 * the azureml-model-deployment header) and hands the answers here. Pure: reading the prediction
 * out of an answer, comparing, counting and judging.
 *
 * Judging (docs/gates.md "Prediction agreement"): the dataset is the population the policy asks
 * about, not a sample of traffic, and the emulator's and a real deterministic model's answers are
 * the same on every send; so the observed rate is compared with the threshold directly, without a
 * confidence bound. Rows one side did not answer, or whose baseline answer has no prediction at
 * the path, are not compared (and counted apart); a candidate answer without a prediction where
 * the baseline has one is a disagreement.
 */
import type { AgreementEvidence, AgreementSpec, DisagreementExample, GateResult, GateSpec, MetricEvidence, Verdict } from './types';
import { percentTrimmed, significant } from './number-format';

/** One deployment's answer to one row: a 2xx body, or why there is none. */
export type AgreementAnswer = { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly detail: string };

export interface AgreementPair {
  readonly baseline: AgreementAnswer;
  readonly candidate: AgreementAnswer;
}

/** Name of the gate the plan compiler synthesises from a policy's predictionAgreement section. */
export const PREDICTION_AGREEMENT_GATE = 'predictionAgreement';

/** The metric names the gate's evidence rows use (status, CLI, dashboard show them as rows). */
export const AGREEMENT_METRIC = 'predictionAgreement';
const MEAN_ABSOLUTE_METRIC = 'predictionMeanAbsoluteDifference';
const MEAN_RELATIVE_METRIC = 'predictionMeanRelativeDifference';

/** Longest quote of an input or a prediction in the evidence (a status stays small). */
const QUOTE_CHARS = 160;

type PathSegment = string | number;

/**
 * Parses the prediction path: `$`, then `.name`, `["name"]` or `[index]` segments. Written here
 * rather than taken from a JSONPath library because a prediction path must name exactly one value:
 * JSONPath's wildcards, filters and recursive descent (which return lists) have no meaning here,
 * and a library would accept them. Returns the segments, or what is wrong.
 */
export function parsePredictionPath(path: string): PathSegment[] | string {
  if (!path.startsWith('$'))
    return `must start with "$" (the whole answer), e.g. "$.label" or "$.predictions[0]"; got ${JSON.stringify(path)}`;
  const segments: PathSegment[] = [];
  const pattern = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/y;
  let at = 1;
  while (at < path.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(path);
    if (!match)
      return `cannot read ${JSON.stringify(path)} at character ${at + 1} ("${path.slice(at)}"): expected .name, ["name"] or [index]`;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(`"${match[3] ?? ''}"`) as string);
    at = pattern.lastIndex;
  }
  return segments;
}

/** The value at the path, or undefined when the answer has none there. */
export function readPrediction(body: unknown, segments: readonly PathSegment[]): unknown {
  let value: unknown = body;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(value) || segment >= value.length) return undefined;
      value = value[segment];
    } else {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, segment))
        return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
  }
  return value;
}

/** JSON with object keys sorted: two labels are equal when their canonical texts are. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function quote(value: unknown): string {
  const text = value === undefined ? '(no prediction)' : canonical(value);
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS - 1)}…` : text;
}

function finiteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Problems of an agreement spec, each naming the field under `at` (empty when usable). */
export function agreementSpecProblems(spec: AgreementSpec, at: string): string[] {
  const problems: string[] = [];
  if (!Array.isArray(spec.rows) || spec.rows.length === 0) problems.push(`${at}.dataset: expected at least one row`);
  const path = typeof spec.predictionPath === 'string' ? parsePredictionPath(spec.predictionPath) : 'expected a path such as "$.label"';
  if (typeof path === 'string') problems.push(`${at}.predictionPath: ${path}`);
  if (!(finiteNumber(spec.minAgreement) && spec.minAgreement >= 0 && spec.minAgreement <= 1))
    problems.push(`${at}.minAgreement: expected a share in [0, 1], e.g. 0.95; got ${String(spec.minAgreement)}`);
  if (!(Number.isInteger(spec.minComparedRows) && spec.minComparedRows >= 1))
    problems.push(`${at}.minComparedRows: expected a whole number >= 1, got ${String(spec.minComparedRows)}`);
  else if (Array.isArray(spec.rows) && spec.minComparedRows > spec.rows.length) {
    problems.push(
      `${at}.minComparedRows: ${spec.minComparedRows} is more than the dataset's ${spec.rows.length} rows, so the gate could never decide`,
    );
  }
  if (!(Number.isInteger(spec.maxExamples) && spec.maxExamples >= 0))
    problems.push(`${at}.maxExamples: expected a whole number >= 0, got ${String(spec.maxExamples)}`);
  const numeric = spec.compare?.kind === 'numeric';
  if (spec.compare?.kind !== 'label' && !numeric) problems.push(`${at}.compare: expected "label" or "numeric"`);
  if (spec.compare?.kind === 'numeric') {
    for (const field of ['absoluteTolerance', 'relativeTolerance'] as const) {
      const value = spec.compare[field];
      if (!(finiteNumber(value) && value >= 0))
        problems.push(
          `${at}.tolerance.${field === 'absoluteTolerance' ? 'absolute' : 'relative'}: expected a number >= 0, got ${String(value)}`,
        );
    }
  }
  for (const field of ['maxMeanAbsoluteDifference', 'maxMeanRelativeDifference'] as const) {
    const value = spec[field];
    if (value === undefined) continue;
    if (!numeric) problems.push(`${at}.${field}: applies to numeric comparisons only (compare: numeric)`);
    else if (!(finiteNumber(value) && value >= 0)) problems.push(`${at}.${field}: expected a number >= 0, got ${String(value)}`);
  }
  return problems;
}

function describeComparison(spec: AgreementSpec): string {
  if (spec.compare.kind === 'label') return `equal labels at ${spec.predictionPath}`;
  const { absoluteTolerance, relativeTolerance } = spec.compare;
  // Only the tolerances the policy set: "within ±0.01 or ±0%" reads as if 0% were a rule.
  const bounds = [
    ...(absoluteTolerance > 0 || relativeTolerance === 0 ? [`±${absoluteTolerance}`] : []),
    ...(relativeTolerance > 0 ? [`±${percentTrimmed(relativeTolerance)} of the live value`] : []),
  ];
  return `numbers at ${spec.predictionPath} within ${bounds.join(' or ')}`;
}

interface Tally {
  compared: number;
  agreed: number;
  unanswered: number;
  unreadable: number;
  absoluteDifferences: number[];
  relativeDifferences: number[];
  examples: DisagreementExample[];
}

function tally(spec: AgreementSpec, pairs: readonly AgreementPair[]): Tally {
  const segments = parsePredictionPath(spec.predictionPath);
  if (typeof segments === 'string') throw new Error(`predictionPath ${segments}`);
  const t: Tally = { compared: 0, agreed: 0, unanswered: 0, unreadable: 0, absoluteDifferences: [], relativeDifferences: [], examples: [] };
  pairs.forEach((pair, row) => {
    if (!pair.baseline.ok || !pair.candidate.ok) {
      t.unanswered++;
      return;
    }
    const baseline = readPrediction(pair.baseline.body, segments);
    if (baseline === undefined) {
      t.unreadable++;
      return;
    }
    const candidate = readPrediction(pair.candidate.body, segments);
    t.compared++;
    let agrees: boolean;
    if (spec.compare.kind === 'label') {
      agrees = candidate !== undefined && canonical(candidate) === canonical(baseline);
    } else if (finiteNumber(baseline) && finiteNumber(candidate)) {
      const difference = Math.abs(candidate - baseline);
      t.absoluteDifferences.push(difference);
      // A baseline of 0 has no relative difference; such rows count in the absolute mean only.
      if (baseline !== 0) t.relativeDifferences.push(difference / Math.abs(baseline));
      agrees = difference <= spec.compare.absoluteTolerance || difference <= spec.compare.relativeTolerance * Math.abs(baseline);
    } else {
      // A number expected and something else found (on either side) cannot agree.
      agrees = false;
    }
    if (agrees) t.agreed++;
    else if (t.examples.length < spec.maxExamples)
      t.examples.push({ row, input: '', baseline: quote(baseline), candidate: quote(candidate) });
  });
  return t;
}

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

export interface AgreementJudgement {
  readonly verdict: Verdict;
  readonly reason: string;
  readonly evidence: AgreementEvidence;
  readonly metrics: readonly MetricEvidence[];
}

/** Compares the answers to the dataset's rows (pairs[i] answers spec.rows[i]) and judges them. */
export function judgeAgreement(spec: AgreementSpec, pairs: readonly AgreementPair[]): AgreementJudgement {
  const t = tally(spec, pairs);
  const examples = t.examples.map((e) => ({ ...e, input: quote(spec.rows[e.row]) }));
  const rate = t.compared === 0 ? null : t.agreed / t.compared;
  const meanAbsolute = mean(t.absoluteDifferences);
  const meanRelative = mean(t.relativeDifferences);
  const comparison = describeComparison(spec);
  const evidence: AgreementEvidence = {
    rows: pairs.length,
    compared: t.compared,
    agreed: t.agreed,
    disagreed: t.compared - t.agreed,
    unanswered: t.unanswered,
    unreadable: t.unreadable,
    agreementRate: rate,
    ...(meanAbsolute === undefined ? {} : { meanAbsoluteDifference: meanAbsolute }),
    ...(meanRelative === undefined ? {} : { meanRelativeDifference: meanRelative }),
    minAgreement: spec.minAgreement,
    comparison,
    examples,
  };
  const samples = { candidate: t.compared, baseline: t.compared };
  const enough = t.compared >= spec.minComparedRows;
  const metrics: MetricEvidence[] = [];
  const row = (
    metric: string,
    value: number | null | undefined,
    threshold: string,
    ok: (v: number) => boolean,
    what: string,
  ): MetricEvidence => {
    const verdict: Verdict = !enough || value === null || value === undefined ? 'inconclusive' : ok(value) ? 'pass' : 'fail';
    const reason = !enough
      ? `${t.compared} rows compared, ${spec.minComparedRows} needed (${t.unanswered} unanswered, ${t.unreadable} without a baseline prediction)`
      : value === null || value === undefined
        ? `no ${what} to compare`
        : `${what} ${metric === AGREEMENT_METRIC ? percentTrimmed(value) : significant(value, 4)} ${verdict === 'pass' ? 'within' : 'outside'} ${threshold}`;
    return {
      metric,
      verdict,
      candidate: value ?? null,
      baseline: null,
      samples,
      threshold,
      test: `none (all ${pairs.length} rows sent to both deployments; ${comparison})`,
      reason,
    };
  };
  metrics.push(row(AGREEMENT_METRIC, rate, `>= ${percentTrimmed(spec.minAgreement)}`, (v) => v >= spec.minAgreement, 'agreement'));
  if (spec.maxMeanAbsoluteDifference !== undefined) {
    const max = spec.maxMeanAbsoluteDifference;
    metrics.push(row(MEAN_ABSOLUTE_METRIC, meanAbsolute, `<= ${max}`, (v) => v <= max, 'mean absolute difference'));
  }
  if (spec.maxMeanRelativeDifference !== undefined) {
    const max = spec.maxMeanRelativeDifference;
    metrics.push(row(MEAN_RELATIVE_METRIC, meanRelative, `<= ${max}`, (v) => v <= max, 'mean relative difference'));
  }
  const failed = metrics.filter((m) => m.verdict === 'fail');
  const verdict: Verdict = failed.length > 0 ? 'fail' : metrics.some((m) => m.verdict === 'inconclusive') ? 'inconclusive' : 'pass';
  const counts = `${t.agreed}/${t.compared} rows agree${rate === null ? '' : ` (${percentTrimmed(rate)})`}`;
  const reason =
    verdict === 'fail'
      ? `predictions disagree: ${failed.map((m) => m.reason).join('; ')}; ${counts}`
      : verdict === 'inconclusive'
        ? `too few rows answered by both deployments: ${metrics.find((m) => m.verdict === 'inconclusive')?.reason ?? ''}`
        : `predictions agree: ${counts}, at least ${percentTrimmed(spec.minAgreement)} required`;
  return { verdict, reason, evidence, metrics };
}

/** The gate result of one agreement look, shaped like every other gate's (status rows, notifications). */
export function agreementGateResult(
  spec: GateSpec & { readonly agreement: AgreementSpec },
  pairs: readonly AgreementPair[],
  context: { readonly candidate: string; readonly baseline: string; readonly look: number; readonly checkedAtMs: number },
): GateResult {
  const judged = judgeAgreement(spec.agreement, pairs);
  return {
    gate: spec.name,
    verdict: judged.verdict,
    look: context.look,
    checkedAtMs: context.checkedAtMs,
    // The requests are sent at the look's (orchestration) time: the window is that instant.
    window: { fromMs: context.checkedAtMs, toMs: context.checkedAtMs },
    candidate: context.candidate,
    baseline: context.baseline,
    evidence: judged.metrics,
    reason: judged.reason,
    agreement: judged.evidence,
  };
}

/**
 * What a failed look of this gate leads to: a prediction-agreement gate may ask a person instead
 * of rolling back (its policy's onDisagreement); every other gate rolls back.
 */
export function failedGateOutcome(spec: GateSpec | undefined): 'rollback' | 'requestApproval' {
  return spec?.agreement?.onDisagreement ?? 'rollback';
}

/** The name of the approval a prediction-agreement step asks for (onDisagreement: requestApproval). */
export const AGREEMENT_APPROVAL = 'prediction-agreement';

/** Whether a plan step checks a prediction-agreement gate (its approvals then carry that name). */
export function checksAgreement(
  plan: { readonly gates: Readonly<Record<string, GateSpec>> },
  step: { readonly kind: string; readonly gates?: readonly string[] } | undefined,
): boolean {
  return (
    step !== undefined &&
    (step.kind === 'gate' || step.kind === 'bake') &&
    (step.gates ?? []).some((name) => plan.gates[name]?.agreement !== undefined)
  );
}
