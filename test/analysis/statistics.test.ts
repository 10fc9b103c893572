import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  binomialCdf,
  binomialUpperTail,
  clopperPearsonUpper,
  compareQuantiles,
  proportionVsBound,
  quantileUpperBound,
  quantileVsBound,
  quantileWithStandardError,
  rateMarginUpperBound,
  restrictedMle,
  restrictedMleNumeric,
  twoProportionScoreTest,
} from '../../src/analysis/statistics';
import { latencies, seededRandom } from './helpers';

function exactBinomialCdf(k: number, n: number, p: number): number {
  let sum = 0;
  let term = Math.pow(1 - p, n);
  for (let i = 0; i <= k; i++) {
    sum += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return sum;
}

describe('binomial tails', () => {
  it.each([
    [0, 10, 0.1],
    [3, 10, 0.5],
    [7, 50, 0.1],
    [25, 1000, 0.02],
  ])('P(X <= %i | n=%i, p=%f) matches direct summation', (k, n, p) => {
    expect(binomialCdf(k, n, p)).toBeCloseTo(exactBinomialCdf(k, n, p), 8);
    expect(binomialUpperTail(k + 1, n, p)).toBeCloseTo(1 - exactBinomialCdf(k, n, p), 8);
  });
  it('handles the edges', () => {
    expect(binomialCdf(-1, 10, 0.5)).toBe(0);
    expect(binomialCdf(10, 10, 0.5)).toBe(1);
    expect(binomialUpperTail(0, 10, 0.5)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.5)).toBe(0);
    expect(proportionVsBound(1, 100, 0).pWorse).toBe(0); // any error disproves a zero bound
  });
  it('Clopper-Pearson upper bound for 0 of n is about 3/n at 95%', () => {
    expect(clopperPearsonUpper(0, 1000, 0.95)).toBeCloseTo(1 - Math.pow(0.05, 1 / 1000), 8);
  });
});

describe('restricted MLE (Farrington-Manning)', () => {
  function bruteForce(x1: number, n1: number, x2: number, n2: number, theta: number, delta: number): number {
    let best = -Infinity;
    let arg = 0;
    const lo = Math.max(0, -delta / theta);
    const hi = Math.min(1, (1 - delta) / theta);
    for (let i = 0; i <= 200000; i++) {
      const p2 = lo + ((hi - lo) * i) / 200000;
      const p1 = theta * p2 + delta;
      const l =
        (x1 ? x1 * Math.log(p1) : 0) +
        (n1 - x1 ? (n1 - x1) * Math.log(1 - p1) : 0) +
        (x2 ? x2 * Math.log(p2) : 0) +
        (n2 - x2 ? (n2 - x2) * Math.log(1 - p2) : 0);
      if (l > best) {
        best = l;
        arg = p2;
      }
    }
    return arg;
  }
  it.each([
    [30, 1000, 10, 1000, 1.5, 0],
    [0, 500, 0, 500, 1, 0.01],
    [5, 200, 40, 800, 2, 0],
    [12, 300, 3, 300, 1, 0.02],
  ])('x1=%i n1=%i x2=%i n2=%i theta=%f delta=%f', (x1, n1, x2, n2, theta, delta) => {
    const mle = restrictedMle(x1, n1, x2, n2, theta, delta);
    expect(mle?.p2).toBeCloseTo(bruteForce(x1, n1, x2, n2, theta, delta), 4);
  });
  it('matches the closed form for the ratio (Miettinen-Nurminen quadratic)', () => {
    const [x1, n1, x2, n2, theta] = [30, 1000, 10, 1000, 1.5];
    const a = (n1 + n2) * theta;
    const b = -(n1 * theta + x1 + n2 + x2 * theta);
    const c = x1 + x2;
    const p2 = (-b - Math.sqrt(b * b - 4 * a * c)) / (2 * a);
    expect(restrictedMle(x1, n1, x2, n2, theta, 0)?.p2).toBeCloseTo(p2, 9);
  });
  it('property: the closed forms (ratio quadratic, difference cubic) agree with the numeric search', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.oneof(
          fc.record({ kind: fc.constant('ratio' as const), m: fc.double({ min: 0.2, max: 5, noNaN: true }) }),
          fc.record({ kind: fc.constant('difference' as const), m: fc.double({ min: -0.3, max: 0.3, noNaN: true }) }),
        ),
        (n1, n2, r1, r2, margin) => {
          const x1 = Math.floor(n1 * r1);
          const x2 = Math.floor(n2 * r2);
          const [theta, delta] = margin.kind === 'ratio' ? [margin.m, 0] : [1, margin.m];
          const fast = restrictedMle(x1, n1, x2, n2, theta, delta);
          const reference = restrictedMleNumeric(x1, n1, x2, n2, theta, delta);
          expect(fast === undefined).toBe(reference === undefined);
          if (fast && reference) expect(Math.abs(fast.p2 - reference.p2)).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('with no margin it is the pooled two-proportion z test', () => {
    const t = twoProportionScoreTest(30, 1000, 15, 1000, 1, 0);
    const pooled = 45 / 2000;
    const z = (0.03 - 0.015) / Math.sqrt(pooled * (1 - pooled) * (2 / 1000));
    expect(t?.z).toBeCloseTo(z, 6);
  });
  it('is undefined when a ratio has no events on either side', () => {
    expect(twoProportionScoreTest(0, 1000, 0, 1000, 1.5, 0)).toBeUndefined();
  });
});

describe('quantiles', () => {
  const rng = seededRandom(3);
  const sample = latencies(rng, 2000, 100).sort((a, b) => a - b);
  it('standard error shrinks with more samples and is undefined for an unobservable tail', () => {
    const small = latencies(seededRandom(4), 300, 100).sort((a, b) => a - b);
    expect(quantileWithStandardError(sample, 0.95)!.standardError).toBeLessThan(quantileWithStandardError(small, 0.95)!.standardError);
    expect(quantileWithStandardError(small, 0.99)).toBeUndefined();
  });
  it('never reports a zero standard error for tied (whole-millisecond) data unless all values are equal', () => {
    const tied = [...Array(900).fill(100), ...Array(100).fill(101)];
    expect(quantileWithStandardError(tied, 0.5)!.standardError).toBeGreaterThan(0);
  });
  it('bound test agrees with the empirical quantile', () => {
    expect(quantileVsBound(sample, 0.95, 1000).pBetter).toBeLessThan(1e-6);
    expect(quantileVsBound(sample, 0.95, 50).pWorse).toBeLessThan(1e-6);
    const upper = quantileUpperBound(sample, 0.95, 0.95)!;
    expect(upper).toBeGreaterThanOrEqual(sample[Math.floor(0.95 * sample.length) - 1]!);
  });
  it('a tail-only regression (p99) is detected although medians agree', () => {
    const r = seededRandom(9);
    const base = latencies(r, 4000, 100).sort((a, b) => a - b);
    // same body, 3% of requests 5x slower
    const cand = latencies(r, 4000, 100)
      .map((v, i) => (i % 33 === 0 ? v * 5 : v))
      .sort((a, b) => a - b);
    expect(compareQuantiles(cand, base, 0.5, { ratio: 1.2 })!.pWorse).toBeGreaterThan(0.5);
    expect(compareQuantiles(cand, base, 0.99, { ratio: 1.2 })!.pWorse).toBeLessThan(1e-4);
  });
});

describe('rateMarginUpperBound', () => {
  it.each([
    [30, 1000, 10, 1000, 'ratio'],
    [5, 2000, 40, 2000, 'ratio'],
    [12, 300, 3, 300, 'increase'],
    [0, 500, 0, 500, 'increase'],
  ] as const)('x1=%i n1=%i x2=%i n2=%i %s: the bound is the smallest margin shown at 95%%', (x1, n1, x2, n2, margin) => {
    const bound = rateMarginUpperBound(x1, n1, x2, n2, margin, 0.95)!;
    const estimate = margin === 'ratio' ? x1 / n1 / (x2 / n2) : x1 / n1 - x2 / n2;
    expect(bound).toBeGreaterThan(estimate);
    const test = (m: number) =>
      (margin === 'ratio' ? twoProportionScoreTest(x1, n1, x2, n2, m, 0) : twoProportionScoreTest(x1, n1, x2, n2, 1, m))!;
    expect(test(bound * 1.001 + (margin === 'increase' ? 1e-6 : 0)).pBetter).toBeLessThanOrEqual(0.05);
    expect(test(bound * 0.99 - (margin === 'increase' ? 1e-4 : 0)).pBetter).toBeGreaterThan(0.05);
  });
  it('is undefined for a ratio with no events anywhere', () => {
    expect(rateMarginUpperBound(0, 1000, 0, 1000, 'ratio', 0.95)).toBeUndefined();
  });
});
