/**
 * Gate verdicts in one line of text, for people: the API's history, the approval page, the CLI and
 * notifications all show evidence the same way.
 */
import type { GateResult, MetricEvidence } from './types';

/** Evidence numbers for reading; null (no data) reads n/a. */
function formatEvidenceNumber(value: number | null): string {
  if (value === null) return 'n/a';
  if (Number.isInteger(value)) return String(value);
  // Three significant digits: 0.00412 stays readable, 123.456 becomes 123.
  return String(Number(value.toPrecision(3)));
}

export function describeEvidence(e: MetricEvidence): string {
  const p = e.pValue !== undefined ? `, p=${formatEvidenceNumber(e.pValue)}` : '';
  return `${e.metric} ${e.verdict}: candidate ${formatEvidenceNumber(e.candidate)} vs baseline ${formatEvidenceNumber(e.baseline)} (threshold ${e.threshold}; n=${e.samples.candidate}/${e.samples.baseline}; ${e.test}${p})`;
}

export function describeGate(g: GateResult): string {
  const lines = g.evidence.map(describeEvidence).join('; ');
  return `gate ${g.gate} look ${g.look}: ${g.verdict.toUpperCase()} (${g.reason})${lines ? ` - ${lines}` : ''}`;
}
