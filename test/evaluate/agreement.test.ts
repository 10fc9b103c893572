/**
 * The fast path is honest: on a sample of cases its outcomes agree with the full simulator
 * (`npm run simulate`: the real app on the local runtime, the real SDK clients, the emulator)
 * within Monte Carlo error. Same policy, traffic and behaviour; the full simulator runs a few
 * seeds per case (it is slow), the fast path many; a two-sided two-proportion z test must not
 * reject equality at the 0.001 level. Needs the build (`npm test` builds first).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoProportionScoreTest } from '../../src/analysis/statistics';
import { evaluatePolicy } from '../../src/evaluate/evaluate';
import type { Regression } from '../../src/evaluate/model';
import { parsePolicy } from '../../src/policy';
import type { SimResult } from '../../src/harness/sim/result';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'src', 'harness', 'sim', 'cli.js');
const policyFile = path.join(__dirname, 'fixtures', 'agreement-canary.yaml');
const LIVE = { errorRate: 0.02, p50Ms: 40, p95Ms: 90, failsOutright: false };
const RPM = 300;

/** Cases and how many full simulations each gets (20 in all: the full simulator takes seconds per run). */
const CASES: readonly { name: string; regression?: Regression; sims: number }[] = [
  { name: 'healthy', sims: 6 },
  // An intermediate detection rate (about 60% on the fast path) is where a disagreement would show.
  { name: 'errors x2', regression: { kind: 'errorRate', factor: 2 }, sims: 14 },
];

let dir: string;
const full = new Map<string, SimResult[]>();

function scenario(name: string, seed: number, candidateErrorRate: number): object {
  return {
    name: `${name}-${seed}`,
    seed,
    endpoint: 'credit-scoring',
    policy: policyFile,
    live: { deployment: 'blue', model: 'credit-model', version: '1' },
    register: { model: 'credit-model', version: '2' },
    traffic: { requestsPerMinute: RPM },
    behavior: {
      'credit-model:1': { errorRate: LIVE.errorRate, latencyMs: { p50: LIVE.p50Ms, p95: LIVE.p95Ms } },
      'credit-model:2': { errorRate: candidateErrorRate, latencyMs: { p50: LIVE.p50Ms, p95: LIVE.p95Ms } },
    },
    // The emulator's log delay stays below the policy's ingestionDelayMinutes (5), as the fast path assumes.
    ingestionDelayMinutes: 3,
    maxMinutes: 240,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'aml-rollout-agreement-'));
  const files: string[] = [];
  for (const c of CASES) {
    const rate = c.regression?.kind === 'errorRate' ? LIVE.errorRate * c.regression.factor : LIVE.errorRate;
    for (let seed = 1; seed <= c.sims; seed++) {
      const file = path.join(dir, `${c.name.replace(/\W+/g, '-')}-${seed}.json`);
      writeFileSync(file, JSON.stringify(scenario(c.name.replace(/\W+/g, '-'), seed, rate)));
      files.push(file);
    }
  }
  // Two simulator processes (the machine's cores), each with half of the files.
  const halves = [files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1)];
  const outputs = await Promise.all(
    halves.map((h) => run(process.execPath, [cli, ...h, '--json'], { cwd: root, maxBuffer: 64 * 1024 * 1024 })),
  );
  const results = outputs.flatMap((o) =>
    o.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as SimResult),
  );
  for (const c of CASES)
    full.set(
      c.name,
      results.filter((r) => r.scenario.startsWith(`${c.name.replace(/\W+/g, '-')}-`)),
    );
}, 1_200_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fast path vs full simulator', () => {
  const policy = parsePolicy(readFileSync(policyFile, 'utf8'), policyFile);
  const report = evaluatePolicy({
    policy,
    live: LIVE,
    traffic: { kind: 'constant', requestsPerMinute: RPM },
    regressions: CASES.flatMap((c) => (c.regression ? [c.regression] : [])),
    runs: 400,
    seed: 1000,
    judges: ['aml-rollout'],
    schedules: ['fixed'],
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s: the same share is rolled back', (name, c) => {
    const sims = full.get(name) ?? [];
    expect(sims).toHaveLength(c.sims);
    for (const s of sims) {
      expect(s.invariantViolations).toEqual([]);
      expect(['promoted', 'rolledBack']).toContain(s.outcome);
    }
    const fast = report.cases.find((r) => r.case === name);
    expect(fast).toBeDefined();
    const fullRolledBack = sims.filter((s) => s.outcome === 'rolledBack').length;
    const fastRolledBack = fast?.outcomes.rolledBack ?? 0;
    // Equal proportions cannot be rejected at 0.001 (two-sided): the difference is Monte Carlo error.
    const test = twoProportionScoreTest(fullRolledBack, sims.length, fastRolledBack, fast?.runs ?? 0, 1, 0);
    const pTwoSided = test ? 2 * Math.min(test.pWorse, test.pBetter) : 1;
    expect(pTwoSided, `full ${fullRolledBack}/${sims.length} vs fast ${fastRolledBack}/${fast?.runs}`).toBeGreaterThan(0.001);
  });

  it('the regression case is informative: the fast path catches it sometimes, not always', () => {
    const bad = report.cases.find((r) => r.case === 'errors x2');
    expect(bad?.rolledBack.value).toBeGreaterThan(0.2);
    expect(bad?.rolledBack.value).toBeLessThan(0.9);
  });
});
