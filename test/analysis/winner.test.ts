import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/analysis/evaluate';
import { decideWinner } from '../../src/analysis/winner';
import { context, gate, latencies, seededRandom, trafficRow } from './helpers';

const rng = seededRandom(31);
const fast = latencies(rng, 3000, 100);
const fastToo = latencies(rng, 3000, 100);
const slow = latencies(rng, 3000, 140);

const spec = gate([
  { metric: 'errorRate5xx', max: 0.2 },
  { metric: 'latencyP50', max: 10_000 },
]);

describe('decideWinner', () => {
  it.each([
    [
      'candidate better on errors, same latency: candidate wins',
      { requests: 3000, failed: 30, latencies: fast },
      { requests: 3000, failed: 150, latencies: fastToo },
      {},
      { winner: 'candidate', decided: true },
    ],
    [
      'candidate slower: baseline wins',
      { requests: 3000, failed: 30, latencies: slow },
      { requests: 3000, failed: 30, latencies: fast },
      {},
      { winner: 'baseline', decided: true },
    ],
    [
      'no difference: keep waiting',
      { requests: 3000, failed: 30, latencies: fast },
      { requests: 3000, failed: 30, latencies: fastToo },
      {},
      { winner: 'undecided', decided: false },
    ],
    [
      'no difference at the final look: the baseline stays',
      { requests: 3000, failed: 30, latencies: fast },
      { requests: 3000, failed: 30, latencies: fastToo },
      { final: true },
      { winner: 'baseline', decided: true },
    ],
    [
      'too few requests per arm: wait',
      { requests: 3000, failed: 0, latencies: fast },
      { requests: 3000, failed: 300, latencies: fastToo },
      { minRequestsPerArm: 5000 },
      { winner: 'undecided', decided: false },
    ],
    [
      'candidate fails its guardrail: baseline wins',
      { requests: 3000, failed: 1500, latencies: fast },
      { requests: 3000, failed: 30, latencies: fastToo },
      {},
      { winner: 'baseline', decided: true },
    ],
  ] as const)('%s', (_name, candidate, baseline, extra, expected) => {
    const decision = decideWinner(
      spec,
      { traffic: [trafficRow('green', candidate), trafficRow('blue', baseline)] },
      { ...context(), ...extra },
    );
    expect(decision, decision.reason).toMatchObject(expected);
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  it('records a comparison per metric with p-values and the Bonferroni-split alpha', () => {
    const decision = decideWinner(
      spec,
      {
        traffic: [
          trafficRow('green', { requests: 3000, failed: 30, latencies: fast }),
          trafficRow('blue', { requests: 3000, failed: 150, latencies: fastToo }),
        ],
      },
      context(),
    );
    expect(decision.comparisons.map((c) => [c.metric, c.direction])).toEqual([
      ['errorRate5xx', 'candidateBetter'],
      ['latencyP50', 'noDifference'],
    ]);
    expect(decision.comparisons[0]?.alpha).toBeCloseTo((decision.result.sequential?.alphaThisLook ?? 0) / 4, 12);
    expect(decision.comparisons[0]?.pBetter).toBeLessThan(1e-10);
  });

  it('works with a comparison-only gate (checks without thresholds) and reports the look as a GateResult', () => {
    const compareOnly = gate([{ metric: 'errorRate5xx' }, { metric: 'latencyP50' }]);
    const traffic = [
      trafficRow('green', { requests: 3000, failed: 30, latencies: fast }),
      trafficRow('blue', { requests: 3000, failed: 150, latencies: fastToo }),
    ];
    const decision = decideWinner(compareOnly, { traffic }, context());
    expect(decision).toMatchObject({ winner: 'candidate', decided: true });
    expect(decision.result.verdict).toBe('pass');
    expect(decision.result.evidence.map((e) => [e.metric, e.verdict])).toEqual([
      ['errorRate5xx', 'pass'],
      ['latencyP50', 'inconclusive'],
    ]);
    expect(decision.result.evidence[0]?.reason).toMatch(/candidate better/);
    // The same spec is refused as a guardrail gate: a check without a threshold would never judge anything.
    expect(() => evaluateGate(compareOnly, { traffic }, context())).toThrow(/declares no threshold/);
  });

  it('refuses an A/B test of a deployment against itself', () => {
    expect(() => decideWinner(spec, { traffic: [] }, context(1, 'blue', 'blue'))).toThrow(/two different deployments/);
  });

  it('compares a custom metric only when it carries a standard error', () => {
    const custom = { name: 'conversion', kql: 'T | where D in {deployments}', higherIsWorse: false };
    const s = gate([{ metric: 'conversion', min: 0 }], { customMetrics: [custom] });
    const traffic = [trafficRow('green', { requests: 3000 }), trafficRow('blue', { requests: 3000 })];
    const withSe = decideWinner(
      s,
      {
        traffic,
        custom: {
          conversion: [
            { DeploymentName: 'green', value: 0.12, stderr: 0.004 },
            { DeploymentName: 'blue', value: 0.1, stderr: 0.004 },
          ],
        },
      },
      context(),
    );
    expect(withSe.winner).toBe('candidate');
    const withoutSe = decideWinner(
      s,
      {
        traffic,
        custom: {
          conversion: [
            { DeploymentName: 'green', value: 0.12 },
            { DeploymentName: 'blue', value: 0.1 },
          ],
        },
      },
      context(),
    );
    expect(withoutSe).toMatchObject({ winner: 'undecided', decided: false });
    expect(withoutSe.comparisons[0]?.direction).toBe('insufficient');
  });
});
