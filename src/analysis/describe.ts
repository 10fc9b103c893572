/**
 * Gate verdicts in one line of text, for people: the API's history, the approval page, the CLI and
 * notifications all show evidence the same way.
 */
import { RESOURCE_EVIDENCE_METRICS } from './resource-gate';
import type { AgreementEvidence, GateResult, MetricEvidence } from './types';
import { evidenceText, percentTrimmed } from './number-format';

/**
 * Evidence numbers for reading (three significant digits); null (no data) reads n/a. The rule is
 * number-format.ts' evidenceText; this name is the one the API's status view and the CLI import.
 */
export const formatEvidenceNumber = evidenceText;

/**
 * The p-value of the test that decided a check's verdict: a pass by the "within the threshold" test
 * (passPValue against passAlpha), a failure by the "violates the threshold" test (pValue against
 * alpha). An inconclusive check shows how far the pass test got. Absolute checks have no p-value.
 */
export function decidingPValue(
  e: MetricEvidence,
): { readonly test: 'within' | 'violates'; readonly p: number; readonly alpha?: number } | undefined {
  if (e.verdict === 'fail')
    return e.pValue === undefined ? undefined : { test: 'violates', p: e.pValue, ...(e.alpha === undefined ? {} : { alpha: e.alpha }) };
  if (e.passPValue !== undefined) return { test: 'within', p: e.passPValue, ...(e.passAlpha === undefined ? {} : { alpha: e.passAlpha }) };
  return undefined;
}

/** `p(within)=0.003`: the p-value of the test that decided the verdict (see decidingPValue). */
export function decidingPText(e: MetricEvidence): string | undefined {
  const decided = decidingPValue(e);
  return decided === undefined ? undefined : `p(${decided.test})=${formatEvidenceNumber(decided.p)}`;
}

export function describeEvidence(e: MetricEvidence): string {
  const decided = decidingPText(e);
  const p = decided === undefined ? '' : `, ${decided}`;
  return `${e.metric} ${e.verdict}: candidate ${formatEvidenceNumber(e.candidate)} vs baseline ${formatEvidenceNumber(e.baseline)} (threshold ${e.threshold}; n=${e.samples.candidate}/${e.samples.baseline}; ${e.test}${p})`;
}

export function describeGate(g: GateResult): string {
  const lines = g.evidence.map(describeEvidence).join('; ');
  return `gate ${g.gate} look ${g.look}: ${g.verdict.toUpperCase()} (${g.reason})${lines ? ` - ${lines}` : ''}`;
}

/**
 * The line under an evidence row that the row's columns cannot hold: for resource and cost rows,
 * the raw utilization beside the per-request numbers and the instances needed at 100% traffic.
 * Metric rows say all in their columns (undefined).
 */
export function evidenceDetail(e: MetricEvidence): string | undefined {
  return RESOURCE_EVIDENCE_METRICS.includes(e.metric) ? e.reason : undefined;
}

/**
 * A prediction-agreement gate's counts, then one line per quoted disagreeing row (what a person
 * needs to see how the candidate answers differently), without indentation.
 */
export function describeAgreement(a: AgreementEvidence): string[] {
  const lines = [
    `${a.rows} rows sent to both deployments: ${a.compared} compared (${a.comparison}), ${a.agreed} agree, ${a.disagreed} disagree, ${a.unanswered} unanswered, ${a.unreadable} without a baseline prediction`,
  ];
  for (const e of a.examples) lines.push(`row ${e.row}: baseline ${e.baseline}, candidate ${e.candidate}; input ${e.input}`);
  if (a.disagreed > a.examples.length) lines.push(`(${a.disagreed - a.examples.length} more disagreeing rows not quoted)`);
  return lines;
}

/** A prediction-agreement look in one line: verdict, rate, counts and threshold (tags, facts, headings). */
export function agreementHeadline(result: GateResult): string {
  const a = result.agreement;
  if (!a) return `${result.verdict}: ${result.reason}`;
  const rate = a.agreementRate === null ? 'n/a' : percentTrimmed(a.agreementRate);
  return `${result.verdict}: ${rate} agree (${a.agreed}/${a.compared} rows compared of ${a.rows}; at least ${percentTrimmed(a.minAgreement)} required)`;
}
