/**
 * The evaluation as a table for a terminal (one row per case), and the comparison of judges or
 * schedules as a compact table.
 */
import type { CaseResult, EvaluationReport, Rate, Spread } from './evaluate';
import { fixedDecimals, percentFixed } from '../analysis/number-format';
import { describeBehaviour, describeProfile } from './model';

export const rateText = (r: Rate) => `${percentFixed(r.value)} [${percentFixed(r.low)}-${percentFixed(r.high)}]`;
const minutesText = (s: Spread | null) => (s === null ? '-' : `${s.median} / ${s.p90}`);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** "promote 98.0% [95.1-99.4%]" for the healthy case, "caught 97.0% [...]" for a regression. */
function verdictCell(c: CaseResult): string {
  return c.regression ? `caught ${rateText(c.rolledBack)}` : `promoted ${rateText(c.promoted)}`;
}

function renderCases(cases: readonly CaseResult[]): string {
  const rows = cases.map((c) => [
    c.case,
    verdictCell(c),
    c.regression ? String(c.outcomes.promoted) : String(c.outcomes.rolledBack),
    String(c.outcomes.escalated + c.outcomes.timedOut),
    minutesText(c.timeToDecision),
    c.regression ? '-' : minutesText(c.timeToPromote),
    c.regression ? `${c.blastRequests.median} / ${c.blastRequests.p90}` : '-',
    c.regression ? `${c.blastFailures.median} / ${c.blastFailures.p90}` : '-',
    fixedDecimals(c.queriesPerRun),
  ]);
  return table(
    [
      'case',
      'outcome (95% CI)',
      'wrong',
      'asked a person',
      'decision min (median / p90)',
      'promote min',
      'blast requests',
      'blast errors',
      'queries/run',
    ],
    rows,
  );
}

export function renderReport(report: EvaluationReport): string {
  const out: string[] = [
    `policy ${report.policy} (${report.strategy}): ${report.runs} runs per case, seed ${report.seed}`,
    `traffic: ${describeProfile(report.traffic)}; live version: ${describeBehaviour(report.live)}`,
    '',
  ];
  const groups = new Map<string, CaseResult[]>();
  for (const c of report.cases) {
    const key = `${c.judge} judge, ${c.schedule} schedule`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  for (const [key, cases] of groups) {
    if (groups.size > 1) out.push(key);
    out.push(renderCases(cases), '');
  }
  out.push(
    'wrong: healthy runs rolled back / bad runs promoted. asked a person: a no-data outcome requested approval (or no decision in time).',
    "blast: users' requests (and errors) the candidate served before the decision. Times in minutes from the candidate being ready.",
  );
  return out.join('\n');
}
