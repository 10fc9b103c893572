/** The readable form of a simulation result (without --json): a header, the timeline, the verdicts. */
import type { SimResult } from './result';
import { describeAgreement } from '../../analysis/describe';
import { formatSplit } from '../../plan/describe';

const split = formatSplit;

export function formatResult(result: SimResult): string {
  const lines: string[] = [];
  lines.push(
    `${result.scenario}: ${result.outcome}${result.decisionMinute === null ? '' : ` (last traffic change at minute ${result.decisionMinute})`}`,
  );
  lines.push(
    `  final traffic ${split(result.finalTraffic)}; deployments ${result.finalDeployments.join(', ') || '-'}; new version peaked at ${result.peakNewTrafficPercent}%`,
  );
  for (const [model, counts] of Object.entries(result.requests)) {
    const rate = counts.total === 0 ? 0 : (100 * counts.errors) / counts.total;
    lines.push(`  served by ${model}: ${counts.total} requests, ${counts.errors} errors (${rate.toFixed(2)}%)`);
  }
  lines.push('  timeline:');
  for (const entry of result.timeline) {
    const mirror = Object.keys(entry.mirror).some((k) => (entry.mirror[k] ?? 0) > 0) ? ` mirror ${split(entry.mirror)}` : '';
    lines.push(
      `    ${entry.minute.toFixed(1).padStart(7)}  ${entry.phase.padEnd(16)} step ${String(entry.step).padEnd(3)} ${split(entry.traffic)}${mirror}  ${entry.detail}`,
    );
  }
  if (result.gateChecks.length > 0) {
    lines.push('  gate checks:');
    for (const check of result.gateChecks) {
      lines.push(`    ${check.minute.toFixed(1).padStart(7)}  ${check.gate} ${check.verdict}: ${check.evidence.reason}`);
      if (check.evidence.agreement) lines.push(...describeAgreement(check.evidence.agreement).map((line) => `             ${line}`));
    }
  }
  for (const note of result.notes ?? []) lines.push(`  note: ${note}`);
  if (result.invariantViolations.length > 0) {
    lines.push('  INVARIANT VIOLATIONS:');
    for (const violation of result.invariantViolations) lines.push(`    ${violation}`);
  }
  const c = result.counts;
  lines.push(
    `  work: ${c.armReads} ARM reads, ${c.armWrites} ARM writes, ${c.logQueries} log queries, ${c.metricQueries} metric queries, ${c.activityRuns} activities, ${c.orchestratorEpisodes} episodes; ${result.wallMs} ms`,
  );
  return lines.join('\n');
}
