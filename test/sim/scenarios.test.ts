/**
 * Every shipped scenario, run through `npm run simulate` exactly as a user would (the compiled
 * CLI, --json): each strategy to each of its ends, with the safety invariants checked on every
 * observed state. Needs the build (`npm test` builds first).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../src/harness/sim/result';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'src', 'harness', 'sim', 'cli.js');
const scenarioDir = path.join(root, 'test', 'scenarios');
/**
 * The recorded result of every scenario (test/scenarios/baseline/<name>.json, without wallMs),
 * taken before the orchestrator became a decider: a refactoring must not change a single field.
 * A deliberate behaviour change updates its entry in its own commit, saying why.
 */
const baselineDir = path.join(scenarioDir, 'baseline');

interface Expectation {
  readonly outcome: SimResult['outcome'];
  /** The deployments left on the endpoint. */
  readonly finalDeployments: readonly string[];
  readonly finalTraffic: Readonly<Record<string, number>>;
  /** Bounds on the most live traffic the new version ever held. */
  readonly peakAtMost?: number;
  readonly peakAtLeast?: number;
  /** A gate check with this verdict must be in the result. */
  readonly sawVerdict?: 'pass' | 'fail' | 'inconclusive';
  /** At most this many user (live) requests answered by the new version (credit-model:2). */
  readonly newVersionServedAtMost?: number;
}

const CANDIDATE = 'credit-model-v2';
const promotedTo = (name: string): Pick<Expectation, 'finalDeployments' | 'finalTraffic'> => ({
  finalDeployments: [name],
  finalTraffic: { [name]: 100 },
});
const backOnBlue = { finalDeployments: ['blue'], finalTraffic: { blue: 100 } } as const;

const EXPECTED: Record<string, Expectation> = {
  'canary-promoted': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100, sawVerdict: 'pass' },
  'canary-azure-faults-promoted': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100 },
  'canary-error-spike-rolled-back': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 25, sawVerdict: 'fail' },
  'canary-rejected': { outcome: 'rejected', ...backOnBlue, peakAtLeast: 50 },
  'canary-approval-timed-out': { outcome: 'rolledBack', ...backOnBlue, peakAtLeast: 50 },
  'canary-provisioning-fails': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 0 },
  'canary-smoke-test-fails': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 0 },
  // Azure answers a failing model's requests with 424, not 5xx: the smoke test must still stop it.
  'canary-model-fails-every-request': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 0, newVersionServedAtMost: 0 },
  // 15% of the dataset's labels differ: stopped by the prediction-agreement gate before any live traffic.
  'canary-prediction-disagreement-rolled-back': {
    outcome: 'rolledBack',
    ...backOnBlue,
    peakAtMost: 0,
    newVersionServedAtMost: 0,
    sawVerdict: 'fail',
  },
  'canary-prediction-agreement-promoted': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100, sawVerdict: 'pass' },
  // The same disagreement with onDisagreement: requestApproval: a person approves at minute 20, the canary goes on.
  'canary-prediction-disagreement-approved': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100, sawVerdict: 'fail' },
  // A regression model: every score drifted by 0.02 against a 0.01 tolerance (compare: numeric): stopped before any live traffic.
  'canary-prediction-score-drift-rolled-back': {
    outcome: 'rolledBack',
    ...backOnBlue,
    peakAtMost: 0,
    newVersionServedAtMost: 0,
    sawVerdict: 'fail',
  },
  // The same policy with a drift of 0.004: within the tolerance and the mean-difference bound, promoted.
  'canary-prediction-score-within-tolerance-promoted': {
    outcome: 'promoted',
    ...promotedTo(CANDIDATE),
    peakAtLeast: 100,
    sawVerdict: 'pass',
  },
  // Slow past requestSettings.requestTimeout from minute 45 (408s and 429s): failedRequestRate fails the gate.
  'canary-model-times-out-rolled-back': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 10, sawVerdict: 'fail' },
  // An operator aborts at minute 2, while the candidate's deployment is still being created (6-10 min in the emulator).
  'canary-aborted-during-slow-create': { outcome: 'aborted', ...backOnBlue, peakAtMost: 0 },
  // The same canary with and without adaptive bakes (test/scenarios/policies/canary-adaptive.yaml, canary-fixed-bakes.yaml).
  'canary-adaptive-promoted-sooner': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100, sawVerdict: 'pass' },
  'canary-fixed-bakes-promoted': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100, sawVerdict: 'pass' },
  'canary-no-traffic': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 0, sawVerdict: 'inconclusive' },
  'canary-timed-out': {
    outcome: 'timedOut',
    finalDeployments: ['blue', CANDIDATE],
    finalTraffic: { blue: 75, [CANDIDATE]: 25 },
    peakAtLeast: 25,
  },
  'blue-green-promoted': { outcome: 'promoted', ...promotedTo('green'), peakAtLeast: 100 },
  'blue-green-latency-rolled-back': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 0, sawVerdict: 'fail' },
  'shadow-promoted': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100, sawVerdict: 'pass' },
  'shadow-discarded': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 0, sawVerdict: 'fail' },
  'shadow-rejected': { outcome: 'rejected', ...backOnBlue, peakAtMost: 0 },
  // The shadow example policy (policies/shadow.yaml) gates on CreditDecisions_CL, which the scenario declares.
  'shadow-example-custom-table-promoted': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100, sawVerdict: 'pass' },
  'shadow-example-custom-table-discarded': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 0, sawVerdict: 'fail' },
  'ab-test-candidate-wins': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100 },
  'ab-test-baseline-wins': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 50, peakAtLeast: 50 },
  // The shipped A/B policy (policies/ab-test.yaml) as written: a day at 50/50, 100 requests/min.
  'ab-test-example-candidate-wins': { outcome: 'promoted', ...promotedTo('credit-model-abtest-v2'), peakAtLeast: 100, sawVerdict: 'pass' },
  'recreate-promoted': { outcome: 'promoted', finalDeployments: ['blue'], finalTraffic: { blue: 100 }, peakAtLeast: 100 },
  'recreate-smoke-test-fails-reverted': { outcome: 'rolledBack', ...backOnBlue },
  // Resource and cost checks in the mirror phase (test/scenarios/policies/mirror-resources-cost.yaml).
  'mirror-cpu-doubled-rolled-back': { outcome: 'rolledBack', ...backOnBlue, peakAtMost: 0, newVersionServedAtMost: 0, sawVerdict: 'fail' },
  'mirror-cost-up-30-approved': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100 },
  'mirror-cost-up-30-rejected': { outcome: 'rejected', ...backOnBlue, peakAtMost: 0, newVersionServedAtMost: 0 },
  'mirror-resources-healthy-promoted': { outcome: 'promoted', ...promotedTo(CANDIDATE), peakAtLeast: 100 },
};

const files = readdirSync(scenarioDir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const results = new Map<string, SimResult>();

async function simulate(args: readonly string[]): Promise<SimResult[]> {
  const { stdout } = await run(process.execPath, [cli, ...args, '--json'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SimResult);
}

describe('npm run simulate over test/scenarios', () => {
  beforeAll(async () => {
    expect(existsSync(cli), 'run `npm run build` first (npm test does)').toBe(true);
    for (const result of await simulate(files.map((f) => path.join(scenarioDir, f)))) results.set(result.scenario, result);
  }, 600_000);

  it('ships an expectation for every scenario and a scenario for every expectation', () => {
    expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect([...results.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s ends as expected and keeps every safety rule', (name, expected) => {
    const result = results.get(name);
    expect(result, `no result for ${name}`).toBeDefined();
    if (!result) return;
    expect(result.invariantViolations).toEqual([]);
    expect({ outcome: result.outcome, finalDeployments: [...result.finalDeployments].sort(), finalTraffic: result.finalTraffic }).toEqual({
      outcome: expected.outcome,
      finalDeployments: [...expected.finalDeployments].sort(),
      finalTraffic: expected.finalTraffic,
    });
    if (expected.peakAtMost !== undefined) expect(result.peakNewTrafficPercent).toBeLessThanOrEqual(expected.peakAtMost);
    if (expected.peakAtLeast !== undefined) expect(result.peakNewTrafficPercent).toBeGreaterThanOrEqual(expected.peakAtLeast);
    if (expected.sawVerdict) expect(result.gateChecks.map((c) => c.verdict)).toContain(expected.sawVerdict);
    if (expected.newVersionServedAtMost !== undefined)
      expect(result.requests['credit-model:2']?.total ?? 0).toBeLessThanOrEqual(expected.newVersionServedAtMost);
    // Users were served (a scenario without traffic serves nobody), and the new version's
    // errors (the blast radius) are counted within what it served.
    for (const counts of Object.values(result.requests)) expect(counts.errors).toBeLessThanOrEqual(counts.total);
    if (name !== 'canary-no-traffic') expect(result.requests['credit-model:1']?.total ?? 0).toBeGreaterThan(0);
    expect(result.timeline.length).toBeGreaterThan(0);
    expect(result.counts.orchestratorEpisodes).toBeGreaterThan(0);
  });

  it('the resource gate stops the 2x-CPU candidate while it serves only mirrored requests', () => {
    const result = results.get('mirror-cpu-doubled-rolled-back');
    const stop = result?.timeline.find((t) => t.phase === 'RollingBack');
    expect(stop?.mirror).toEqual({ [CANDIDATE]: 30 });
    expect(stop?.detail).toMatch(
      /cpu per request is 2\.00x the baseline's.*candidate needs about 20 instance\(s\) of Standard_DS3_v2; the baseline about 10/,
    );
  });

  it.each(['mirror-cost-up-30-approved', 'mirror-cost-up-30-rejected'])(
    '%s: the approval asked for names the cost numbers before any live traffic',
    (name) => {
      const asked = results.get(name)?.timeline.find((t) => t.phase === 'AwaitingApproval');
      expect(asked?.traffic).toEqual({ blue: 100 });
      expect(asked?.detail).toMatch(
        /waiting for approval 'cost' .*serving cost rises 30\.0% \(limit 20%\).*13 x Standard_DS3_v2.*10 x Standard_DS3_v2/,
      );
    },
  );

  it('an adaptive canary promotes sooner than the same policy with fixed bakes, every step still gated', () => {
    const adaptive = results.get('canary-adaptive-promoted-sooner');
    const fixed = results.get('canary-fixed-bakes-promoted');
    expect(adaptive && fixed).toBeTruthy();
    if (!adaptive || !fixed) return;
    const fullTraffic = (r: SimResult): number | undefined => r.timeline.find((t) => t.traffic[CANDIDATE] === 100)?.minute;
    expect(fullTraffic(adaptive)).toBeDefined();
    expect(fullTraffic(adaptive) ?? Infinity).toBeLessThan(fullTraffic(fixed) ?? 0);
    // The status said what the adaptive rule thought while it baked.
    expect(adaptive.timeline.some((t) => t.detail.startsWith('baking (adaptive: '))).toBe(true);
    expect(fixed.timeline.some((t) => t.detail.includes('adaptive'))).toBe(false);
    // Ending a bake early never skips the decisive gate check after it.
    expect(adaptive.timeline.filter((t) => t.phase === 'Analyzing').length).toBe(
      fixed.timeline.filter((t) => t.phase === 'Analyzing').length,
    );
  });

  it('an abort takes effect while a deployment is still being created, and the rollback removes what the create left', () => {
    const result = results.get('canary-aborted-during-slow-create');
    expect(result).toBeDefined();
    if (!result) return;
    const abortMinute = 2;
    // RollingBack in the abort's minute: the create (minutes long) did not hold the abort back.
    expect(result.timeline.find((t) => t.phase === 'RollingBack')?.minute).toBe(abortMinute);
    // The end waits for Azure: a deployment that is Creating refuses a delete, so the rollback deletes it once created.
    const ended = result.timeline.find((t) => t.phase === 'Aborted');
    expect(ended?.minute).toBeGreaterThan(abortMinute);
    expect(result.finalDeployments).toEqual(['blue']);
  });

  it.each(files.map((f) => f.replace(/\.json$/, '')))('%s gives exactly its recorded baseline result', (name) => {
    const result = results.get(name);
    expect(result, `no result for ${name}`).toBeDefined();
    const { wallMs: _wallMs, ...withoutWallClock } = result!;
    const baseline = JSON.parse(readFileSync(path.join(baselineDir, `${name}.json`), 'utf8')) as unknown;
    expect(withoutWallClock).toEqual(baseline);
  });

  it('gives the same result for the same file and seed', async () => {
    const file = path.join(scenarioDir, 'canary-error-spike-rolled-back.json');
    const [again] = await simulate([file]);
    const first = results.get('canary-error-spike-rolled-back');
    const { wallMs: _a, ...left } = first!;
    const { wallMs: _b, ...right } = again!;
    expect(right).toEqual(left);
  }, 300_000);

  it('refuses a file that is not a scenario with exit code 2, naming the field', async () => {
    const error = await run(process.execPath, [cli, path.join(root, 'package.json')], { cwd: root }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(error?.code).toBe(2);
    expect(error?.stderr).toMatch(/package\.json: .*(name|endpoint|live)/);
  });
});
