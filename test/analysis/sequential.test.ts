import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/analysis/evaluate';
import { OVERTIME_ALPHA_SHARE, alphaForLook, spentAlpha } from '../../src/analysis/sequential';
import type { GateSpec, MetricCheck } from '../../src/analysis/types';
import { binomial, context, gate, latencies, seededRandom, trafficRow } from './helpers';

describe('alpha spending', () => {
  it('Pocock-type spends ln(1 + (e-1) t) of the planned share', () => {
    const look1 = alphaForLook(1, 5, 0.05, 'pocock');
    expect(look1.alphaThisLook).toBeCloseTo(0.05 * (1 - OVERTIME_ALPHA_SHARE) * Math.log(1 + (Math.E - 1) / 5), 12);
    expect(alphaForLook(5, 5, 0.05, 'pocock').alphaSpentThrough).toBeCloseTo(0.05 * (1 - OVERTIME_ALPHA_SHARE), 12);
  });

  it("O'Brien-Fleming-type spends almost nothing early and the planned share by the last look", () => {
    expect(alphaForLook(1, 5, 0.05, 'obrienFleming').alphaThisLook).toBeLessThan(1e-4);
    expect(alphaForLook(5, 5, 0.05, 'obrienFleming').alphaSpentThrough).toBeCloseTo(0.045, 10);
    expect(spentAlpha(1, 0.05, 'obrienFleming')).toBeCloseTo(0.05, 10);
  });

  it('looks beyond the plan still get a (shrinking) share', () => {
    const extra1 = alphaForLook(6, 5, 0.05).alphaThisLook;
    const extra2 = alphaForLook(7, 5, 0.05).alphaThisLook;
    expect(extra1).toBeCloseTo((0.05 * OVERTIME_ALPHA_SHARE) / 2, 12);
    expect(extra2).toBeCloseTo(extra1 / 2, 12);
  });

  it('property: the total over any number of looks never exceeds alpha, and Pocock / overtime looks get a positive share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 80 }),
        fc.double({ min: 0.001, max: 0.3, noNaN: true }),
        fc.constantFrom('pocock' as const, 'obrienFleming' as const),
        (planned, looks, alpha, fn) => {
          let total = 0;
          for (let k = 1; k <= looks; k++) {
            const a = alphaForLook(k, planned, alpha, fn);
            // O'Brien-Fleming-type may spend a share too small for a double at very early looks.
            if (fn === 'pocock' || k > planned) expect(a.alphaThisLook).toBeGreaterThan(0);
            else expect(a.alphaThisLook).toBeGreaterThanOrEqual(0);
            total += a.alphaThisLook;
            expect(a.alphaSpentThrough).toBeCloseTo(total, 12);
          }
          expect(total).toBeLessThanOrEqual(alpha + 1e-12);
        },
      ),
    );
  });

  it('refuses bad inputs', () => {
    expect(() => alphaForLook(0, 5, 0.05)).toThrow(/look/);
    expect(() => alphaForLook(1, 0, 0.05)).toThrow(/plannedLooks/);
    expect(() => alphaForLook(1, 5, 1.2)).toThrow(/alpha/);
  });
});

/**
 * Monte Carlo (seeded, deterministic): many simulated rollouts, each with `looks` looks at fresh
 * windows of traffic. Returns the share of rollouts whose gate failed at some look.
 */
function rolloutFailureRate(options: {
  readonly seed: number;
  readonly rollouts: number;
  readonly looks: number;
  readonly spec: GateSpec;
  readonly requestsPerLook: number;
  readonly candidate: { readonly errorRate: number; readonly medianMs: number };
  readonly baseline: { readonly errorRate: number; readonly medianMs: number };
  readonly withLatency: boolean;
  /** Ignore alpha spending: every look judged as if it were the only one. */
  readonly naive?: boolean;
}): number {
  const rng = seededRandom(options.seed);
  let failed = 0;
  for (let r = 0; r < options.rollouts; r++) {
    for (let look = 1; look <= options.looks; look++) {
      const side = (arm: { errorRate: number; medianMs: number }) => ({
        requests: options.requestsPerLook,
        failed: binomial(rng, options.requestsPerLook, arm.errorRate),
        latencies: options.withLatency ? latencies(rng, options.requestsPerLook, arm.medianMs) : [],
      });
      // Latencies as arrays (not JSON text) keep thousands of simulated looks fast.
      const row = (name: string, arm: { errorRate: number; medianMs: number }) => {
        const s = side(arm);
        return { ...trafficRow(name, { ...s, latencies: [] }), latencies: s.latencies };
      };
      const rows = { traffic: [row('green', options.candidate), row('blue', options.baseline)] };
      const spec = options.naive ? { ...options.spec, plannedLooks: 1 } : options.spec;
      const result = evaluateGate(spec, rows, context(options.naive ? 1 : look));
      if (result.verdict === 'fail') {
        failed++;
        break;
      }
    }
  }
  return failed / options.rollouts;
}

describe('sequential method, Monte Carlo', () => {
  const looks = 5;
  const same = { errorRate: 0.02, medianMs: 100 };
  // Thresholds at the least favourable point: identical arms sit exactly on the boundary of H0.
  const rateAtBoundary: MetricCheck = { metric: 'errorRate5xx', maxRatioToBaseline: 1 };
  const latencyAtBoundary: MetricCheck = { metric: 'latencyP95', maxRatioToBaseline: 1 };

  it('identical arms, error-rate check at its boundary: false failures stay at or below alpha over 5 looks', () => {
    const spec = gate([rateAtBoundary], { plannedLooks: looks });
    const rate = rolloutFailureRate({
      seed: 11,
      rollouts: 2000,
      looks,
      spec,
      requestsPerLook: 1000,
      candidate: same,
      baseline: same,
      withLatency: false,
    });
    expect(rate).toBeLessThanOrEqual(0.05 + 0.015);
    // Without spending, the same looks fail far more often: the test can tell the difference.
    const naive = rolloutFailureRate({
      seed: 11,
      rollouts: 1000,
      looks,
      spec,
      requestsPerLook: 1000,
      candidate: same,
      baseline: same,
      withLatency: false,
      naive: true,
    });
    expect(naive).toBeGreaterThan(0.12);
  });

  it('identical arms, p95 latency check at its boundary: false failures stay at or below alpha over 5 looks', () => {
    const spec = gate([latencyAtBoundary], { plannedLooks: looks });
    const rate = rolloutFailureRate({
      seed: 12,
      rollouts: 300,
      looks,
      spec,
      requestsPerLook: 1000,
      candidate: same,
      baseline: same,
      withLatency: true,
    });
    expect(rate).toBeLessThanOrEqual(0.05 + 0.03);
  });

  it('a realistic margin (1.5x) almost never fails identical arms, also with 10 looks beyond a plan of 5', () => {
    const spec = gate([{ metric: 'errorRate5xx', maxRatioToBaseline: 1.5 }], { plannedLooks: 5 });
    const rate = rolloutFailureRate({
      seed: 13,
      rollouts: 500,
      looks: 10,
      spec,
      requestsPerLook: 1000,
      candidate: same,
      baseline: same,
      withLatency: false,
    });
    expect(rate).toBeLessThanOrEqual(0.01);
  });

  it('a clearly worse candidate (3x the error rate) fails with high power', () => {
    const spec = gate([{ metric: 'errorRate5xx', maxRatioToBaseline: 1.5 }], { plannedLooks: looks });
    const rate = rolloutFailureRate({
      seed: 14,
      rollouts: 500,
      looks,
      spec,
      requestsPerLook: 1000,
      candidate: { errorRate: 0.06, medianMs: 100 },
      baseline: same,
      withLatency: false,
    });
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });

  it('a clearly slower candidate (1.6x p95) fails with high power', () => {
    const spec = gate([{ metric: 'latencyP95', maxRatioToBaseline: 1.2 }], { plannedLooks: looks });
    const rate = rolloutFailureRate({
      seed: 15,
      rollouts: 200,
      looks,
      spec,
      requestsPerLook: 1000,
      candidate: { errorRate: 0.02, medianMs: 160 },
      baseline: same,
      withLatency: true,
    });
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });

  it("O'Brien-Fleming-type spending also keeps false failures at or below alpha", () => {
    const spec = gate([rateAtBoundary], { plannedLooks: looks, spending: 'obrienFleming' });
    const rate = rolloutFailureRate({
      seed: 16,
      rollouts: 1000,
      looks,
      spec,
      requestsPerLook: 1000,
      candidate: same,
      baseline: same,
      withLatency: false,
    });
    expect(rate).toBeLessThanOrEqual(0.05 + 0.02);
  });
});
