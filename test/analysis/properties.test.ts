import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/analysis/evaluate';
import type { MetricCheck, Verdict } from '../../src/analysis/types';
import { context, gate, latencies, seededRandom, trafficRow } from './helpers';

const rank: Record<Verdict, number> = { pass: 0, inconclusive: 1, fail: 2 };

const rateCheck = fc
  .record(
    {
      metric: fc.constantFrom('errorRate5xx', 'modelErrorRate'),
      max: fc.option(fc.double({ min: 0, max: 0.5, noNaN: true }), { nil: undefined }),
      maxRatioToBaseline: fc.option(fc.double({ min: 0.5, max: 3, noNaN: true }), { nil: undefined }),
      maxIncreaseOverBaseline: fc.option(fc.double({ min: 0, max: 0.1, noNaN: true }), { nil: undefined }),
    },
    { requiredKeys: ['metric'] },
  )
  .filter((c) => c.max !== undefined || c.maxRatioToBaseline !== undefined || c.maxIncreaseOverBaseline !== undefined);

describe('verdicts are monotonic in the candidate', () => {
  it('more errors on the candidate never improve its verdict', () => {
    fc.assert(
      fc.property(
        rateCheck,
        fc.integer({ min: 100, max: 5000 }),
        fc.integer({ min: 100, max: 5000 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 8 }),
        (check, nc, nb, rc, rb, extra, look) => {
          const column = check.metric === 'errorRate5xx' ? 'failed' : 'modelErrors';
          const xc = Math.floor(nc * rc);
          const xb = Math.floor(nb * rb);
          const worseXc = Math.min(nc, xc + extra);
          const spec = gate([check as MetricCheck]);
          const verdictWith = (x: number) =>
            evaluateGate(
              spec,
              { traffic: [trafficRow('green', { requests: nc, [column]: x }), trafficRow('blue', { requests: nb, [column]: xb })] },
              context(look),
            ).verdict;
          const before = verdictWith(xc);
          const after = verdictWith(worseXc);
          expect(rank[after], `${before} -> ${after}`).toBeGreaterThanOrEqual(rank[before]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('slower candidate latencies never improve its verdict', () => {
    const base = latencies(seededRandom(21), 1500, 100);
    const cand = latencies(seededRandom(22), 1500, 110);
    fc.assert(
      fc.property(
        fc.constantFrom('latencyP50', 'latencyP95', 'latencyP99'),
        fc.constantFrom<'max' | 'maxRatioToBaseline' | 'maxIncreaseOverBaseline'>('max', 'maxRatioToBaseline', 'maxIncreaseOverBaseline'),
        fc.double({ min: 0.5, max: 400, noNaN: true }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.integer({ min: 1, max: 6 }),
        (metric, kind, limit, slowdown, look) => {
          const threshold = kind === 'maxRatioToBaseline' ? Math.min(limit / 100, 4) + 0.5 : limit;
          const spec = gate([{ metric, [kind]: threshold } as MetricCheck]);
          const verdictWith = (factor: number) =>
            evaluateGate(
              spec,
              {
                traffic: [
                  { ...trafficRow('green', { requests: 1500 }), latencies: cand.map((v) => Math.round(v * factor)) },
                  { ...trafficRow('blue', { requests: 1500 }), latencies: base },
                ],
              },
              context(look),
            ).verdict;
          const before = verdictWith(1);
          const after = verdictWith(slowdown);
          expect(rank[after], `${before} -> ${after}`).toBeGreaterThanOrEqual(rank[before]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('too few requests is never pass or fail, whatever the numbers', () => {
    fc.assert(
      fc.property(rateCheck, fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), (check, nc, xc) => {
        const spec = gate([check as MetricCheck], { minRequestsPerDeployment: 100 });
        const result = evaluateGate(
          spec,
          { traffic: [trafficRow('green', { requests: nc, failed: Math.min(xc, nc) }), trafficRow('blue', { requests: 10_000 })] },
          context(),
        );
        expect(result.verdict).toBe('inconclusive');
      }),
      { numRuns: 200 },
    );
  });
});

describe('results are plain JSON', () => {
  it('every number in a result is finite, so it survives the status / activity JSON round trip', () => {
    const checkArb = fc.oneof(
      rateCheck,
      fc.record({
        metric: fc.constantFrom('latencyP50', 'latencyP95', 'latencyP99'),
        max: fc.option(fc.double({ min: 0, max: 1000, noNaN: true }), { nil: undefined }),
        maxRatioToBaseline: fc.option(fc.double({ min: 0.5, max: 3, noNaN: true }), { nil: undefined }),
        maxIncreaseOverBaseline: fc.double({ min: 0, max: 100, noNaN: true }),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(checkArb, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 600 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 600 }),
        (checks, nc, nb, rc, rb, lc, lb) => {
          const result = evaluateGate(
            gate(checks as MetricCheck[]),
            {
              traffic: [
                trafficRow('green', { requests: nc, failed: Math.floor(nc * rc), modelErrors: Math.floor(nc * rc * rc), latencies: lc }),
                trafficRow('blue', { requests: nb, failed: Math.floor(nb * rb), latencies: lb }),
              ],
            },
            context(),
          );
          expect(JSON.parse(JSON.stringify(result))).toEqual(result);
        },
      ),
      { numRuns: 300 },
    );
  });
});
