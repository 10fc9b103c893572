/**
 * The evaluator's fast path: the synthetic traffic model (./synth), the judges, and whole runs on
 * the production plan compiler and gate code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRAFFIC_COLUMNS } from '../../src/analysis/queries';
import { evaluatePolicy, planFor } from '../../src/evaluate/evaluate';
import { runFastPath } from '../../src/evaluate/fast-path';
import { amlRolloutJudge, argoJudge, classifyMetric, DEFAULT_KAYENTA, hodgesLehmann, kayentaJudge } from '../../src/evaluate/judges';
import { candidateBehaviour, parseRegression, requestsPerMinuteAt, type VersionBehaviour } from '../../src/evaluate/model';
import { FAILURE_COLUMNS, latencyTable, LATENCY_TABLE_SIZE, SyntheticEndpoint } from '../../src/evaluate/synth';
import { parsePolicy } from '../../src/policy';

const LIVE: VersionBehaviour = { errorRate: 0.02, p50Ms: 40, p95Ms: 90, failsOutright: false };
const policyFile = path.join(__dirname, 'fixtures', 'agreement-canary.yaml');
const policy = parsePolicy(readFileSync(policyFile, 'utf8'), policyFile);
// The gate and judge tests below look at what the steps decide: a smoke test that tolerates every
// failure lets a bad candidate reach them (the smoke test itself is covered in 'the smoke test').
const plan = planFor({
  ...policy,
  smokeTest: policy.smokeTest ? { ...policy.smokeTest, maxFailures: policy.smokeTest.requests } : policy.smokeTest,
});
const strictSmokePlan = planFor(policy);
const world = (candidate: VersionBehaviour) => ({
  plan,
  live: LIVE,
  candidate,
  traffic: { kind: 'constant', requestsPerMinute: 300 } as const,
});

describe('synthetic traffic', () => {
  it('routes by the split, mirrors by the percentage, fails at the error rate', () => {
    const e = new SyntheticEndpoint(
      { kind: 'constant', requestsPerMinute: 1000 },
      new Map([
        ['a', LIVE],
        ['b', { ...LIVE, errorRate: 0.1 }],
      ]),
      1,
      { live: { a: 80, b: 20 } },
    );
    e.advanceTo(10);
    const rows = e.trafficRows(0, 10, ['a', 'b']);
    const b = rows.find((r) => r[TRAFFIC_COLUMNS.deployment] === 'b') as Record<string, number>;
    expect(b[TRAFFIC_COLUMNS.requests]).toBeGreaterThan(1800);
    expect(b[TRAFFIC_COLUMNS.requests]).toBeLessThan(2200);
    // Every failure column holds the failure count (the gate code reads whichever it knows).
    expect(FAILURE_COLUMNS.length).toBeGreaterThan(0);
    for (const column of FAILURE_COLUMNS) expect(b[column]).toBe(b[FAILURE_COLUMNS[0] as string]);
    expect((b[FAILURE_COLUMNS[0] as string] as number) / (b[TRAFFIC_COLUMNS.requests] as number)).toBeGreaterThan(0.07);
    e.setRouting({ live: { a: 100 }, mirror: { deployment: 'b', percent: 50 } });
    e.advanceTo(20);
    const served = e.liveServed(10, 20, 'b');
    expect(served.requests).toBe(0); // mirror copies are not users' requests
    expect(e.totals(10, 20, 'b').requests).toBeGreaterThan(4500);
  });

  it('caps latency samples like make_list and returns them sorted', () => {
    const e = new SyntheticEndpoint({ kind: 'constant', requestsPerMinute: 1000 }, new Map([['a', LIVE]]), 2, { live: { a: 100 } });
    e.advanceTo(10);
    const latencies = e.trafficRows(0, 10, ['a'])[0]?.[TRAFFIC_COLUMNS.latencies] as number[];
    expect(latencies).toHaveLength(5000);
    expect(latencies.every((v, i) => i === 0 || v >= (latencies[i - 1] as number))).toBe(true);
  });

  it("draws latencies from the emulator's log-normal: the table's p50 and p95 are the behaviour's", () => {
    const table = latencyTable(40, 90);
    expect(table[Math.floor(LATENCY_TABLE_SIZE * 0.5)]).toBe(40);
    expect(Math.abs((table[Math.floor(LATENCY_TABLE_SIZE * 0.95)] as number) - 90)).toBeLessThanOrEqual(1);
  });

  it('follows a daily curve and a schedule', () => {
    const daily = {
      kind: 'daily',
      startHour: 0,
      points: [
        { hour: 0, requestsPerMinute: 100 },
        { hour: 12, requestsPerMinute: 700 },
      ],
    } as const;
    expect(requestsPerMinuteAt(daily, 6 * 60)).toBeCloseTo(400);
    expect(requestsPerMinuteAt(daily, 18 * 60)).toBeCloseTo(400); // wraps back towards midnight
    expect(
      requestsPerMinuteAt(
        {
          kind: 'schedule',
          entries: [
            { fromMinute: 0, requestsPerMinute: 5 },
            { fromMinute: 30, requestsPerMinute: 50 },
          ],
        },
        31,
      ),
    ).toBe(50);
  });
});

describe('regressions', () => {
  it.each([
    ['errors*1.5', { kind: 'errorRate', factor: 1.5 }],
    ['errors x2', { kind: 'errorRate', factor: 2 }],
    ['latency+20%', { kind: 'latency', increase: 0.2 }],
    ['outright', { kind: 'outright' }],
  ])('parses %s', (text, expected) => expect(parseRegression(text)).toEqual(expected));
  it.each(['errors*0.5', 'latency+0%', 'slower', ''])('refuses %j with the accepted forms', (text) =>
    expect(() => parseRegression(text)).toThrow(/errors\*|latency\+|must be above/),
  );
  it('applies a regression to the live behaviour', () => {
    expect(candidateBehaviour(LIVE, { kind: 'errorRate', factor: 3 }).errorRate).toBeCloseTo(0.06);
    expect(candidateBehaviour(LIVE, { kind: 'latency', increase: 0.4 }).p95Ms).toBeCloseTo(126);
    expect(candidateBehaviour(LIVE, { kind: 'outright' }).failsOutright).toBe(true);
  });
});

describe('runFastPath', () => {
  it('promotes a healthy candidate through every step, and is deterministic per seed', () => {
    const a = runFastPath(world(LIVE), { seed: 3, judge: amlRolloutJudge() });
    const b = runFastPath(world(LIVE), { seed: 3, judge: amlRolloutJudge() });
    expect(a).toEqual(b);
    expect(a.outcome).toBe('promoted');
    expect(a.promotedMinute).toBeGreaterThanOrEqual(20); // two 10-minute bakes before 100%
    expect(a.queries).toBeGreaterThan(0);
  });

  it('stops a model that fails outright at the smoke test, before any user sees it', () => {
    const r = runFastPath(
      { ...world(candidateBehaviour(LIVE, { kind: 'outright' })), plan: strictSmokePlan },
      { seed: 1, judge: amlRolloutJudge() },
    );
    expect(r).toMatchObject({
      outcome: 'rolledBack',
      stage: 'smoke test',
      decisionMinute: 0,
      blast: { requests: 0, failures: 0 },
      queries: 0,
    });
  });

  it('rolls back a much worse candidate at the first step, counting what users got from it', () => {
    const r = runFastPath(world({ ...LIVE, errorRate: 0.3 }), { seed: 1, judge: amlRolloutJudge() });
    expect(r.outcome).toBe('rolledBack');
    expect(r.stage).toBe('step 20%');
    expect(r.blast.requests).toBeGreaterThan(0);
    expect(r.blast.failures / r.blast.requests).toBeGreaterThan(0.2);
  });

  it('summarises runs with Clopper-Pearson intervals and refuses what it cannot simulate', () => {
    const report = evaluatePolicy({
      policy,
      live: LIVE,
      traffic: { kind: 'constant', requestsPerMinute: 300 },
      regressions: [{ kind: 'errorRate', factor: 10 }],
      runs: 20,
      seed: 1,
      judges: ['aml-rollout'],
      schedules: ['fixed'],
    });
    const [healthy, bad] = report.cases;
    expect(healthy?.promoted.low).toBeLessThanOrEqual(healthy?.promoted.value ?? 0);
    expect(healthy?.promoted.high).toBeGreaterThanOrEqual(healthy?.promoted.value ?? 1);
    expect(bad?.rolledBack.value).toBe(1);
    expect(bad?.rolledBack.low).toBeCloseTo(0.8316, 3); // exact binomial 97.5% lower bound for 20 of 20
    expect(() =>
      evaluatePolicy({
        policy,
        live: LIVE,
        traffic: { kind: 'constant', requestsPerMinute: 300 },
        regressions: [],
        runs: 0,
        seed: 1,
        judges: ['aml-rollout'],
        schedules: ['fixed'],
      }),
    ).toThrow(/--runs/);
    expect(() =>
      evaluatePolicy({
        policy,
        live: LIVE,
        traffic: { kind: 'constant', requestsPerMinute: 300 },
        regressions: [],
        runs: 1,
        seed: 1,
        judges: ['aml-rollout'],
        schedules: ['adaptive'],
      }),
    ).toThrow(/declares no adaptive bake/);
  });
});

describe('baseline judges', () => {
  it('Hodges-Lehmann: the median of pairwise differences, with an interval around it', () => {
    const hl = hodgesLehmann([11, 12, 13, 14, 15, 16, 17, 18, 19, 20], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.98);
    expect(hl?.estimate).toBe(10);
    expect(hl?.lower).toBeLessThan(10);
    expect(hl?.upper).toBeGreaterThan(10);
  });

  it.each([
    ['identical series pass', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'Pass'],
    ['a clearly higher series is High', [21, 22, 23, 24, 25, 26, 27, 28, 29, 30], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'High'],
    ['overlapping noise passes', [1, 3, 2, 5, 4, 6, 8, 7, 10, 9], [2, 1, 4, 3, 6, 5, 7, 9, 8, 10], 'Pass'],
    ['no data', [], [1, 2], 'Nodata'],
  ])('Kayenta classifier: %s', (_name, experiment, control, expected) => {
    expect(classifyMetric(experiment, control, DEFAULT_KAYENTA)).toBe(expected);
  });

  it('Argo-style: failed measurements count over the whole run; failureLimit decides', () => {
    const bad = { ...LIVE, errorRate: 0.2 };
    const strict = runFastPath(world(bad), { seed: 1, judge: argoJudge({ failureLimit: 0, consecutiveErrorLimit: 4 }) });
    const lenient = runFastPath(world(bad), { seed: 1, judge: argoJudge({ failureLimit: 1000, consecutiveErrorLimit: 4 }) });
    expect(strict.outcome).toBe('rolledBack');
    expect(lenient.outcome).toBe('promoted');
  });

  it('Kayenta-style: a much worse candidate scores below marginal and is rolled back', () => {
    const r = runFastPath(world({ ...LIVE, errorRate: 0.3 }), { seed: 1, judge: kayentaJudge() });
    expect(r.outcome).toBe('rolledBack');
    expect(r.reason).toMatch(/marginal/);
  });
});

describe('the smoke test', () => {
  it("fails a candidate by its error rate as the emulator does (each pinned request fails with the version's rate)", () => {
    const runs = 400;
    let stopped = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const r = runFastPath({ ...world({ ...LIVE, errorRate: 0.3 }), plan: strictSmokePlan }, { seed, judge: amlRolloutJudge() });
      if (r.stage === 'smoke test') stopped++;
    }
    // 3 requests, none may fail: P(stopped) = 1 - 0.7^3 = 0.657; 400 runs put it within +-0.08 at 4 sigma.
    expect(stopped / runs).toBeGreaterThan(0.57);
    expect(stopped / runs).toBeLessThan(0.74);
  });

  it('never stops a model without errors, and always stops one that fails outright', () => {
    expect(
      runFastPath({ ...world({ ...LIVE, errorRate: 0 }), plan: strictSmokePlan }, { seed: 3, judge: amlRolloutJudge() }).stage,
    ).not.toBe('smoke test');
    const outright = runFastPath(
      { ...world({ ...LIVE, failsOutright: true }), plan: strictSmokePlan },
      { seed: 3, judge: amlRolloutJudge() },
    );
    expect([outright.outcome, outright.stage]).toEqual(['rolledBack', 'smoke test']);
  });
});

describe('the prediction-agreement check in the fast path', () => {
  // The behaviour model has no predictions: the check is taken as passed, and nothing else changes.
  const withAgreement = planFor({
    ...policy,
    smokeTest: policy.smokeTest ? { ...policy.smokeTest, maxFailures: policy.smokeTest.requests } : policy.smokeTest,
    predictionAgreement: {
      dataset: { rows: [{ a: 1 }] },
      predictionPath: '$',
      compare: 'label',
      minAgreement: 1,
      maxExamples: 5,
      onDisagreement: 'rollback',
    },
  });

  it('the plan has the agreement gate step, and runs end exactly as without it', () => {
    expect(withAgreement.steps.some((s) => s.kind === 'gate' && s.gates.includes('predictionAgreement'))).toBe(true);
    for (const [seed, candidate] of [
      [1, LIVE],
      [2, candidateBehaviour(LIVE, { kind: 'errorRate', factor: 3 })],
    ] as const) {
      const plain = runFastPath(world(candidate), { seed, judge: amlRolloutJudge() });
      const checked = runFastPath({ ...world(candidate), plan: withAgreement }, { seed, judge: amlRolloutJudge() });
      expect(checked).toEqual(plain);
    }
  });
});
