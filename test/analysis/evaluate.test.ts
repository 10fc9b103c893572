import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/analysis/evaluate';
import type { GateSpec, MetricCheck, Verdict } from '../../src/analysis/types';
import { ValidationError } from '../../src/errors';
import { context, gate, latencies, seededRandom, trafficRow } from './helpers';
import type { SideSpec } from './helpers';

const rng = seededRandom(7);
const fast = latencies(rng, 3000, 100);
const fastToo = latencies(rng, 3000, 100);
const slow = latencies(rng, 3000, 200);
const few = latencies(rng, 200, 100);
const fewToo = latencies(rng, 200, 100);

interface Case {
  readonly name: string;
  readonly check: MetricCheck;
  readonly candidate: SideSpec;
  readonly baseline: SideSpec;
  readonly verdict: Verdict;
  readonly reason?: RegExp;
  readonly spec?: Partial<GateSpec>;
}

const cases: Case[] = [
  // 5xx rate, absolute
  {
    name: '5xx max: clean candidate passes',
    check: { metric: 'errorRate5xx', max: 0.02 },
    candidate: { requests: 1000, failed: 2 },
    baseline: { requests: 1000 },
    verdict: 'pass',
  },
  {
    name: '5xx max: 10% errors fails',
    check: { metric: 'errorRate5xx', max: 0.02 },
    candidate: { requests: 1000, failed: 100 },
    baseline: { requests: 1000 },
    verdict: 'fail',
    reason: /violates/,
  },
  {
    name: '5xx max: at the bound is inconclusive',
    check: { metric: 'errorRate5xx', max: 0.02 },
    candidate: { requests: 1000, failed: 20 },
    baseline: { requests: 1000 },
    verdict: 'inconclusive',
  },
  {
    name: '5xx min (lower bound) violated',
    check: { metric: 'errorRate5xx', min: 0.1 },
    candidate: { requests: 1000, failed: 0 },
    baseline: { requests: 1000 },
    verdict: 'fail',
  },
  // 5xx rate, relative ratio
  {
    name: '5xx ratio: 6x worse fails',
    check: { metric: 'errorRate5xx', maxRatioToBaseline: 1.5 },
    candidate: { requests: 5000, failed: 300 },
    baseline: { requests: 5000, failed: 50 },
    verdict: 'fail',
  },
  {
    name: '5xx ratio: equal with many samples passes',
    check: { metric: 'errorRate5xx', maxRatioToBaseline: 1.5 },
    candidate: { requests: 20000, failed: 200 },
    baseline: { requests: 20000, failed: 200 },
    verdict: 'pass',
  },
  {
    name: '5xx ratio: equal with few events is inconclusive',
    check: { metric: 'errorRate5xx', maxRatioToBaseline: 1.5 },
    candidate: { requests: 1000, failed: 5 },
    baseline: { requests: 1000, failed: 5 },
    verdict: 'inconclusive',
  },
  {
    name: '5xx ratio: zero on both sides is inconclusive',
    check: { metric: 'errorRate5xx', maxRatioToBaseline: 1.5 },
    candidate: { requests: 1000 },
    baseline: { requests: 1000 },
    verdict: 'inconclusive',
    reason: /no events on either side/,
  },
  {
    name: '5xx ratio + max: zero on both sides passes on the absolute bound',
    check: { metric: 'errorRate5xx', maxRatioToBaseline: 1.5, max: 0.05 },
    candidate: { requests: 1000 },
    baseline: { requests: 1000 },
    verdict: 'pass',
    reason: /absolute bound met/,
  },
  {
    name: '5xx ratio + max: relative failure wins over absolute pass',
    check: { metric: 'errorRate5xx', maxRatioToBaseline: 1.5, max: 0.5 },
    candidate: { requests: 5000, failed: 300 },
    baseline: { requests: 5000, failed: 50 },
    verdict: 'fail',
  },
  // 5xx rate, relative additive
  {
    name: '5xx increase: zero on both sides passes',
    check: { metric: 'errorRate5xx', maxIncreaseOverBaseline: 0.01 },
    candidate: { requests: 1000 },
    baseline: { requests: 1000 },
    verdict: 'pass',
  },
  {
    name: '5xx increase: +5 points fails',
    check: { metric: 'errorRate5xx', maxIncreaseOverBaseline: 0.01 },
    candidate: { requests: 2000, failed: 120 },
    baseline: { requests: 2000, failed: 20 },
    verdict: 'fail',
  },
  // model error rate
  {
    name: 'model errors max: fails on ModelStatusCode errors',
    check: { metric: 'modelErrorRate', max: 0.01 },
    candidate: { requests: 1000, modelErrors: 80 },
    baseline: { requests: 1000 },
    verdict: 'fail',
  },
  {
    name: 'model errors ratio: 5xx do not count as model errors',
    check: { metric: 'modelErrorRate', maxIncreaseOverBaseline: 0.01 },
    candidate: { requests: 1000, failed: 300 },
    baseline: { requests: 1000 },
    verdict: 'pass',
  },
  {
    name: 'model errors ratio: 6x worse fails',
    check: { metric: 'modelErrorRate', maxRatioToBaseline: 2 },
    candidate: { requests: 5000, modelErrors: 300 },
    baseline: { requests: 5000, modelErrors: 50 },
    verdict: 'fail',
  },
  {
    name: 'model errors min: above the minimum passes',
    check: { metric: 'modelErrorRate', min: 0 },
    candidate: { requests: 1000, modelErrors: 3 },
    baseline: { requests: 1000 },
    verdict: 'pass',
  },
  // latency, absolute
  {
    name: 'p95 max: well under passes',
    check: { metric: 'latencyP95', max: 400 },
    candidate: { requests: 3000, latencies: fast },
    baseline: { requests: 3000, latencies: fastToo },
    verdict: 'pass',
  },
  {
    name: 'p95 max: well over fails',
    check: { metric: 'latencyP95', max: 120 },
    candidate: { requests: 3000, latencies: fast },
    baseline: { requests: 3000, latencies: fastToo },
    verdict: 'fail',
  },
  {
    name: 'p50 min: slower than required minimum passes',
    check: { metric: 'latencyP50', min: 10 },
    candidate: { requests: 3000, latencies: fast },
    baseline: { requests: 3000, latencies: fastToo },
    verdict: 'pass',
  },
  {
    name: 'p99 max: well under passes with enough samples',
    check: { metric: 'latencyP99', max: 600 },
    candidate: { requests: 3000, latencies: fast },
    baseline: { requests: 3000, latencies: fastToo },
    verdict: 'pass',
  },
  {
    name: 'p99 max: 200 samples cannot show a p99 bound',
    check: { metric: 'latencyP99', max: 230 },
    candidate: { requests: 200, latencies: few },
    baseline: { requests: 200, latencies: fewToo },
    verdict: 'inconclusive',
  },
  // latency, relative
  {
    name: 'p95 ratio: same distribution passes',
    check: { metric: 'latencyP95', maxRatioToBaseline: 1.2 },
    candidate: { requests: 3000, latencies: fast },
    baseline: { requests: 3000, latencies: fastToo },
    verdict: 'pass',
  },
  {
    name: 'p95 ratio: twice as slow fails',
    check: { metric: 'latencyP95', maxRatioToBaseline: 1.2 },
    candidate: { requests: 3000, latencies: slow },
    baseline: { requests: 3000, latencies: fast },
    verdict: 'fail',
  },
  {
    name: 'p50 increase: +100 ms fails a 20 ms allowance',
    check: { metric: 'latencyP50', maxIncreaseOverBaseline: 20 },
    candidate: { requests: 3000, latencies: slow },
    baseline: { requests: 3000, latencies: fast },
    verdict: 'fail',
  },
  {
    name: 'p50 increase: same distribution passes',
    check: { metric: 'latencyP50', maxIncreaseOverBaseline: 20 },
    candidate: { requests: 3000, latencies: fast },
    baseline: { requests: 3000, latencies: fastToo },
    verdict: 'pass',
  },
  {
    name: 'p99 ratio: 200 samples are too few for p99',
    check: { metric: 'latencyP99', maxRatioToBaseline: 1.2 },
    candidate: { requests: 200, latencies: few },
    baseline: { requests: 200, latencies: fewToo },
    verdict: 'inconclusive',
    reason: /too few latency samples.*about 381 needed/,
  },
  {
    name: 'p95 ratio: no latency samples',
    check: { metric: 'latencyP95', maxRatioToBaseline: 1.2 },
    candidate: { requests: 3000, latencies: [] },
    baseline: { requests: 3000, latencies: fast },
    verdict: 'inconclusive',
  },
  {
    name: 'p99 increase: +100% fails a 50 ms allowance',
    check: { metric: 'latencyP99', maxIncreaseOverBaseline: 50 },
    candidate: { requests: 3000, latencies: slow },
    baseline: { requests: 3000, latencies: fast },
    verdict: 'fail',
  },
  {
    name: 'p95 ratio + max: relative inconclusive, absolute pass -> pass',
    check: { metric: 'latencyP95', maxRatioToBaseline: 1.0, max: 1000 },
    candidate: { requests: 3000, latencies: fast },
    baseline: { requests: 3000, latencies: fastToo },
    verdict: 'pass',
    reason: /absolute bound met/,
  },
  // request count
  {
    name: 'requestCount min not reached waits',
    check: { metric: 'requestCount', min: 500 },
    candidate: { requests: 300 },
    baseline: { requests: 3000 },
    verdict: 'inconclusive',
    reason: /waiting/,
  },
  {
    name: 'requestCount min reached passes',
    check: { metric: 'requestCount', min: 500 },
    candidate: { requests: 800 },
    baseline: { requests: 3000 },
    verdict: 'pass',
  },
  {
    name: 'requestCount max exceeded fails',
    check: { metric: 'requestCount', max: 500 },
    candidate: { requests: 800 },
    baseline: { requests: 3000 },
    verdict: 'fail',
  },
  {
    name: 'requestCount ratio compared directly',
    check: { metric: 'requestCount', maxRatioToBaseline: 0.5 },
    candidate: { requests: 3000 },
    baseline: { requests: 3000 },
    verdict: 'fail',
  },
  {
    name: 'requestCount increase compared directly',
    check: { metric: 'requestCount', maxIncreaseOverBaseline: 100 },
    candidate: { requests: 3050 },
    baseline: { requests: 3000 },
    verdict: 'pass',
  },
  // minimum samples
  {
    name: 'too few candidate requests',
    check: { metric: 'errorRate5xx', max: 0.02 },
    candidate: { requests: 99, failed: 99 },
    baseline: { requests: 1000 },
    verdict: 'inconclusive',
    reason: /too few requests/,
  },
  {
    name: 'too few baseline requests for a relative check',
    check: { metric: 'errorRate5xx', maxIncreaseOverBaseline: 0.01 },
    candidate: { requests: 1000, failed: 500 },
    baseline: { requests: 10 },
    verdict: 'inconclusive',
    reason: /blue has 10/,
  },
  {
    name: 'an absolute check needs no baseline traffic (post-promotion watch)',
    check: { metric: 'errorRate5xx', max: 0.02 },
    candidate: { requests: 1000, failed: 500 },
    baseline: { requests: 0 },
    verdict: 'fail',
  },
];

describe('evaluateGate: one check per case', () => {
  it.each(cases)('$name', ({ check, candidate, baseline, verdict, reason, spec }) => {
    const result = evaluateGate(
      gate([check], spec),
      { traffic: [trafficRow('green', candidate), trafficRow('blue', baseline)] },
      context(),
    );
    const evidence = result.evidence[0];
    expect(evidence?.verdict, evidence?.reason).toBe(verdict);
    expect(result.verdict).toBe(verdict);
    if (reason) expect(evidence?.reason).toMatch(reason);
    expect(evidence?.samples).toEqual({ candidate: candidate.requests, baseline: baseline.requests });
  });
});

describe('evaluateGate: evidence', () => {
  it('records test, p-values, alpha and bound for a statistical check', () => {
    const result = evaluateGate(
      gate([{ metric: 'errorRate5xx', max: 0.02 }]),
      { traffic: [trafficRow('green', { requests: 1000, failed: 100 }), trafficRow('blue', { requests: 1000 })] },
      context(2),
    );
    const e = result.evidence[0];
    expect(e?.candidate).toBeCloseTo(0.1);
    expect(e?.baseline).toBe(0);
    expect(e?.threshold).toBe('<= 0.02');
    expect(e?.test).toMatch(/binomial/);
    expect(e?.pValue).toBeLessThan(1e-10);
    expect(e?.alpha).toBeGreaterThan(0);
    expect(e?.alpha).toBe(result.sequential?.alphaThisLook);
    expect(e?.bound).toBeGreaterThan(0.1);
    expect(result.look).toBe(2);
    expect(result.window).toEqual(context().window);
  });
});

describe('evaluateGate: bad and missing data is inconclusive, never pass', () => {
  const check: MetricCheck = { metric: 'errorRate5xx', max: 0.5 };
  const good = trafficRow('blue', { requests: 1000 });
  it.each([
    ['no rows at all', [], /no requests|too few/],
    ['no candidate row', [good], /green has 0/],
    ['null requests', [{ ...trafficRow('green', { requests: 1000 }), requests: null }, good], /requests is null/],
    ['NaN requests', [{ ...trafficRow('green', { requests: 1000 }), requests: Number.NaN }, good], /NaN/],
    ['text errors', [{ ...trafficRow('green', { requests: 1000 }), failed: 'many' }, good], /not a number/],
    ['errors above requests', [trafficRow('green', { requests: 1000, failed: 1001 }), good], /exceeds requests/],
    ['duplicate candidate rows', [trafficRow('green', { requests: 1000 }), trafficRow('green', { requests: 1000 }), good], /2 rows/],
    ['missing column', [{ DeploymentName: 'green', requests: 1000 }, good], /column failed is missing/],
  ])('%s', (_name, traffic, reason) => {
    const result = evaluateGate(gate([check]), { traffic: traffic as Record<string, unknown>[] }, context());
    expect(result.verdict).toBe('inconclusive');
    expect(result.evidence[0]?.reason).toMatch(reason);
  });

  it('latency NaN inside the sample list makes latency checks inconclusive but not error checks', () => {
    const row = { ...trafficRow('green', { requests: 3000, latencies: fast }), latencies: '[1, "x"]' };
    const result = evaluateGate(
      gate([
        { metric: 'latencyP95', max: 1000 },
        { metric: 'errorRate5xx', max: 0.5 },
      ]),
      { traffic: [row, trafficRow('blue', { requests: 3000, latencies: fast })] },
      context(),
    );
    expect(result.evidence.map((e) => e.verdict)).toEqual(['inconclusive', 'pass']);
    expect(result.evidence[0]?.reason).toMatch(/not a non-negative number/);
  });

  it('accepts latencies as an array as well as JSON text', () => {
    const row = { ...trafficRow('green', { requests: 3000 }), latencies: fast };
    const result = evaluateGate(
      gate([{ metric: 'latencyP95', max: 1000 }]),
      { traffic: [row, trafficRow('blue', { requests: 3000, latencies: fast })] },
      context(),
    );
    expect(result.verdict).toBe('pass');
  });
});

describe('evaluateGate: custom metrics', () => {
  const accuracy = { name: 'accuracy', kql: 'T | where D in {deployments}', higherIsWorse: false };
  const latencyish = { name: 'queueMs', kql: 'T | where D in {deployments}', higherIsWorse: true };
  const traffic = [trafficRow('green', { requests: 1000 }), trafficRow('blue', { requests: 1000 })];
  const rows = (c: unknown, b: unknown) => [
    { DeploymentName: 'green', value: c },
    { DeploymentName: 'blue', value: b },
  ];
  it.each([
    ['higher-is-better, drop beyond allowance fails', accuracy, { maxIncreaseOverBaseline: 0.01 }, rows(0.9, 0.95), 'fail'],
    ['higher-is-better, small drop passes', accuracy, { maxIncreaseOverBaseline: 0.01 }, rows(0.945, 0.95), 'pass'],
    ['higher-is-better ratio', accuracy, { maxRatioToBaseline: 1.1 }, rows(0.8, 0.95), 'fail'],
    ['higher-is-worse ratio passes', latencyish, { maxRatioToBaseline: 1.5 }, rows(12, 10), 'pass'],
    ['higher-is-worse ratio fails', latencyish, { maxRatioToBaseline: 1.5 }, rows(16, 10), 'fail'],
    ['absolute min on a custom metric', accuracy, { min: 0.9 }, rows(0.85, 0.95), 'fail'],
    ['missing candidate row', accuracy, { min: 0.9 }, [{ DeploymentName: 'blue', value: 0.9 }], 'inconclusive'],
    ['null value', accuracy, { min: 0.9 }, rows(null, 0.9), 'inconclusive'],
    ['no query result', accuracy, { min: 0.9 }, undefined, 'inconclusive'],
  ] as const)('%s', (_name, metric, thresholds, customRows, verdict) => {
    const spec = gate([{ metric: metric.name, ...thresholds }], { customMetrics: [metric] });
    const result = evaluateGate(spec, { traffic, ...(customRows ? { custom: { [metric.name]: customRows } } : {}) }, context());
    expect(result.evidence[0]?.verdict, result.evidence[0]?.reason).toBe(verdict);
  });
});

describe('evaluateGate: combining checks', () => {
  const traffic = [
    trafficRow('green', { requests: 1000, failed: 100, latencies: few }),
    trafficRow('blue', { requests: 1000, failed: 5, latencies: fewToo }),
  ];
  const failing: MetricCheck = { metric: 'errorRate5xx', max: 0.02 };
  const undecided: MetricCheck = { metric: 'latencyP99', maxRatioToBaseline: 1.2 };
  const passing: MetricCheck = { metric: 'modelErrorRate', max: 0.05 };
  it.each([
    ['critical failure fails the gate even with an undecided check', [{ ...failing, critical: true }, undecided], 'fail', /critical/],
    ['non-critical failure waits for the undecided check', [failing, undecided], 'inconclusive', /failing so far/],
    ['non-critical failure fails once all checks are decided', [failing, passing], 'fail', /failed: errorRate5xx/],
    ['all pass', [passing, { metric: 'requestCount', min: 500 }], 'pass', /all 2 checks passed/],
  ] as const)('%s', (_name, checks, verdict, reason) => {
    const result = evaluateGate(gate(checks), { traffic }, context());
    expect(result.verdict).toBe(verdict);
    expect(result.reason).toMatch(reason);
  });
});

describe('evaluateGate: one deployment (recreate)', () => {
  it('judges absolute checks on the candidate alone and leaves relative ones inconclusive', () => {
    const traffic = [trafficRow('blue', { requests: 1000, failed: 1 })];
    const result = evaluateGate(
      gate([
        { metric: 'errorRate5xx', max: 0.02 },
        { metric: 'errorRate5xx', maxIncreaseOverBaseline: 0.01 },
      ]),
      { traffic },
      context(1, 'blue', 'blue'),
    );
    expect(result.evidence.map((e) => e.verdict)).toEqual(['pass', 'inconclusive']);
    expect(result.evidence[1]?.reason).toMatch(/no separate baseline/);
  });
});

describe('evaluateGate: configuration errors throw', () => {
  const traffic = [trafficRow('green', { requests: 1000 }), trafficRow('blue', { requests: 1000 })];
  it.each([
    ['unknown metric', gate([{ metric: 'latencyP90', max: 1 }]), /unknown metric "latencyP90"/],
    ['no threshold', gate([{ metric: 'errorRate5xx' }]), /declares no threshold/],
    ['rate as percent', gate([{ metric: 'errorRate5xx', max: 2 }]), /fraction/],
    ['confidence out of range', gate([{ metric: 'errorRate5xx', max: 0.1 }], { confidence: 95 }), /confidence/],
    ['no checks', gate([]), /at least one check/],
    ['min above max', gate([{ metric: 'latencyP50', min: 10, max: 5 }]), /min \(10\) is above max/],
    ['bad look', gate([{ metric: 'errorRate5xx', max: 0.1 }]), /look/],
  ])('%s', (name, spec, message) => {
    const ctx = name === 'bad look' ? { ...context(), look: 0 } : context();
    expect(() => evaluateGate(spec, { traffic }, ctx)).toThrow(ValidationError);
    expect(() => evaluateGate(spec, { traffic }, ctx)).toThrow(message);
  });
});
