/**
 * Plain-text rendering of a gate verdict for the rollout status, notifications and simulation
 * output: one headline, then one line per check with the numbers a person needs to trust it.
 */
import type { GateResult, MetricEvidence, ThresholdEvidence } from './types';
import { isBuiltInMetric } from './spec';
import { AGREEMENT_METRIC } from './agreement';
import { describeAgreement } from './describe';
import { percentScaled, pValueText, summaryValueText } from './number-format';

/** A metric's value in its natural unit. */
function formatMetricValue(metric: string, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  if (metric === 'failedRequestRate' || metric === 'errorRate5xx' || metric === 'modelErrorRate' || metric === AGREEMENT_METRIC)
    return percentScaled(value);
  if (metric.startsWith('latency')) return `${summaryValueText(value)} ms`;
  if (metric === 'requestCount') return String(Math.round(value));
  return summaryValueText(value);
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

function partLine(part: ThresholdEvidence): string {
  const bits = [`${part.threshold} ${part.verdict}`];
  if (part.estimate !== undefined && (part.kind === 'ratio' || part.kind === 'increase')) {
    bits.push(part.kind === 'ratio' ? `ratio ${summaryValueText(part.estimate)}` : `difference ${summaryValueText(part.estimate)}`);
  }
  if (part.pValue !== undefined && part.alpha !== undefined) {
    if (part.verdict === 'pass' && part.passPValue !== undefined && part.passAlpha !== undefined) {
      bits.push(`p=${pValueText(part.passPValue)} <= ${pValueText(part.passAlpha)}`);
    } else {
      bits.push(`p=${pValueText(part.pValue)} vs alpha ${pValueText(part.alpha)}`);
    }
  }
  if (part.bound !== undefined) bits.push(`bound ${summaryValueText(part.bound)}`);
  if (part.verdict === 'inconclusive' && part.pValue === undefined) bits.push(part.reason);
  return bits.join(', ');
}

function evidenceLine(e: MetricEvidence, result: GateResult): string {
  const flag = e.critical ? ' [critical]' : '';
  const values =
    e.baseline !== null && result.candidate !== result.baseline
      ? `${result.candidate} ${formatMetricValue(e.metric, e.candidate)} vs ${result.baseline} ${formatMetricValue(e.metric, e.baseline)}`
      : `${result.candidate} ${formatMetricValue(e.metric, e.candidate)}`;
  const n = `n=${e.samples.candidate}/${e.samples.baseline}`;
  let detail = e.parts && e.parts.length > 0 ? e.parts.map(partLine).join('; ') : e.reason;
  if (e.verdict === 'pass' && e.parts?.some((part) => part.verdict === 'inconclusive')) {
    detail += ' (passes on its absolute bound; the relative comparison is not conclusive yet)';
  }
  const unit = isBuiltInMetric(e.metric) || result.agreement ? '' : ' (custom)';
  return `- ${e.metric}${unit}${flag} ${e.verdict.toUpperCase()}: ${values} (${n}); ${detail}`;
}

/** A readable, multi-line account of a gate result. */
export function summarizeGateResult(result: GateResult): string {
  const look = result.sequential ? `look ${result.look}/${result.sequential.plannedLooks}` : `look ${result.look}`;
  const headline =
    `Gate "${result.gate}" ${result.verdict.toUpperCase()} at ${look} ` +
    `(window ${time(result.window.fromMs)}-${time(result.window.toMs)} UTC, ${result.candidate} vs ${result.baseline}): ${result.reason}`;
  const lines = [headline, ...result.evidence.map((e) => evidenceLine(e, result))];
  if (result.agreement) lines.push(...describeAgreement(result.agreement).map((line) => `  ${line}`));
  if (result.sequential) {
    lines.push(
      `  (${result.sequential.method}: alpha ${pValueText(result.sequential.alphaThisLook)} this look, ` +
        `${pValueText(result.sequential.alphaSpentThrough)} of ${pValueText(result.sequential.alphaTotal)} spent so far)`,
    );
  }
  return lines.join('\n');
}
