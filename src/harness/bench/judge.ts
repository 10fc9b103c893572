/**
 * `npm run bench -- judge [--runs N]`: the example policies (policies/) judged three ways on the
 * same simulated data (same seeds): this project's gates, an Argo Rollouts-style AnalysisRun and
 * a Kayenta NetflixACAJudge-style score (src/evaluate/judges.ts; docs/evaluate.md says how each is
 * configured). Prints one row per policy and judge: healthy versions promoted, each default
 * regression caught, and the median minutes to a decision.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { evaluatePolicy } from '../../evaluate/evaluate';
import { JUDGE_NAMES } from '../../evaluate/judges';
import { DEFAULT_REGRESSIONS, regressionName } from '../../evaluate/model';
import { parsePolicy } from '../../policy';

const POLICIES = path.resolve(__dirname, '..', '..', '..', '..', 'policies');
const pct = (v: number) => `${Math.round(v * 100)}%`;

export async function main(args: string[]): Promise<void> {
  const i = args.indexOf('--runs');
  const runs = i >= 0 ? Number(args[i + 1]) : 100;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs: expected a whole number >= 1');
  const header = [
    'policy',
    'judge',
    'healthy promoted',
    ...DEFAULT_REGRESSIONS.map((r) => `${regressionName(r)} caught`),
    'median min to decision (healthy / bad)',
  ];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const file of readdirSync(POLICIES)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const policy = parsePolicy(readFileSync(path.join(POLICIES, file), 'utf8'), file);
    if (policy.strategy.abTest) {
      notes.push(
        `${file}: skipped, an A/B test keeps the winner of a comparison, not a gate verdict (the judges would only replace its guardrails)`,
      );
      continue;
    }
    let report;
    try {
      report = evaluatePolicy({
        policy,
        live: { errorRate: 0.01, p50Ms: 40, p95Ms: 90, failsOutright: false },
        traffic: { kind: 'constant', requestsPerMinute: 600 },
        regressions: DEFAULT_REGRESSIONS,
        runs,
        seed: 1,
        judges: [...JUDGE_NAMES],
        schedules: ['fixed'],
      });
    } catch (error) {
      notes.push(`${file}: skipped, ${(error as Error).message}`);
      continue;
    }
    for (const judge of JUDGE_NAMES) {
      const cases = report.cases.filter((c) => c.judge === judge);
      const healthy = cases.find((c) => !c.regression);
      const bad = cases.filter((c) => c.regression);
      const badMedian =
        [...bad.flatMap((c) => c.decisionMinutes)].sort((a, b) => a - b)[
          Math.floor(bad.reduce((n, c) => n + c.decisionMinutes.length, 0) / 2)
        ] ?? 0;
      rows.push([
        policy.name,
        judge,
        healthy ? pct(healthy.promoted.value) : '-',
        ...bad.map((c) => pct(c.rolledBack.value)),
        `${healthy?.timeToDecision.median ?? '-'} / ${badMedian}`,
      ]);
    }
  }
  console.log(`${runs} runs per case, 600 requests/min, live error rate 1%, p50 40 ms, p95 90 ms\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
}
