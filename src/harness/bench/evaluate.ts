/**
 * `npm run bench -- evaluate [--runs N]`: the evaluator's speed goal and the adaptive-bake effect.
 *  1. speed: N (default 1,000) fast-path runs of the example canary (policies/canary.yaml, about
 *     2 hours of rollout each) with a healthy candidate at 600 requests/min; CPU seconds of this
 *     process (one core; the goal is under 30 s) and wall seconds;
 *  2. adaptive bakes on the same canary: time to promote a healthy version, false rollbacks and
 *     detection of each default regression, with the fixed schedule and with adaptive bakes
 *     (ADAPTIVE below) on every traffic step and the mirror phase.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { evaluatePolicy } from '../../evaluate/evaluate';
import { DEFAULT_REGRESSIONS, type VersionBehaviour } from '../../evaluate/model';
import { rateText } from '../../evaluate/report';
import { parseAdaptiveOption } from '../../cli/evaluate';
import { parsePolicy } from '../../policy';

const CANARY = path.resolve(__dirname, '..', '..', '..', '..', 'policies', 'canary.yaml');
const LIVE: VersionBehaviour = { errorRate: 0.01, p50Ms: 40, p95Ms: 90, failsOutright: false };
/** Margins as wide as the example's gates allow (x2 errors at 1% is the critical check's bound; p95 ratio 1.25). */
export const ADAPTIVE = 'min=5,max=30,requests=300,failureRate=0.01,p95=1.25';

function argValue(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected a whole number >= 1`);
  return v;
}

export async function main(args: string[]): Promise<void> {
  const runs = argValue(args, '--runs', 1000);
  const policy = parsePolicy(readFileSync(CANARY, 'utf8'), CANARY);
  const world = {
    policy,
    live: LIVE,
    traffic: { kind: 'constant', requestsPerMinute: 600 } as const,
    seed: 1,
    judges: ['aml-rollout'] as const,
  };

  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const speed = evaluatePolicy({ ...world, judges: [...world.judges], regressions: [], runs, schedules: ['fixed'] });
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const wallSeconds = (performance.now() - wall0) / 1000;
  const healthy = speed.cases[0];
  console.log(
    `speed: ${runs} runs of ${policy.name} (healthy, 600 requests/min, median ${healthy?.timeToDecision.median} simulated minutes each)`,
  );
  console.log(
    `  CPU ${cpuSeconds.toFixed(1)} s (${((cpuSeconds * 1000) / runs).toFixed(1)} ms per run; goal: 1,000 runs < 30 s), wall ${wallSeconds.toFixed(1)} s, load average ${loadavg()[0]?.toFixed(1)}`,
  );

  const effectRuns = argValue(args, '--effect-runs', 300);
  const effect = evaluatePolicy({
    ...world,
    judges: [...world.judges],
    regressions: DEFAULT_REGRESSIONS,
    runs: effectRuns,
    schedules: ['fixed', 'adaptive'],
    adaptiveDefault: parseAdaptiveOption(ADAPTIVE),
  });
  console.log(`\nadaptive bakes (${ADAPTIVE}) vs the fixed schedule, ${effectRuns} runs per case:`);
  for (const schedule of ['fixed', 'adaptive'] as const) {
    const cases = effect.cases.filter((c) => c.schedule === schedule);
    const h = cases.find((c) => !c.regression);
    const detection = cases
      .filter((c) => c.regression)
      .map((c) => `${c.case} ${rateText(c.rolledBack)}`)
      .join('; ');
    console.log(
      `  ${schedule.padEnd(8)} time to promote median ${h?.timeToPromote?.median} / p90 ${h?.timeToPromote?.p90} min; false rollback ${h ? rateText(h.rolledBack) : '-'}; promoted ${h ? rateText(h.promoted) : '-'}`,
    );
    console.log(`           detection: ${detection}`);
  }
}
