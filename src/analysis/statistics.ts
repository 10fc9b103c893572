/**
 * The statistical tests behind gate verdicts. Distribution functions come from jstat (normal
 * CDF / quantile, regularised incomplete beta for exact binomial tails) and simple-statistics
 * (sample quantiles); what is written here is only the test logic no library offers:
 *
 * - Farrington-Manning score test for two proportions against a non-zero margin (ratio or
 *   difference), with the restricted maximum-likelihood estimate found numerically;
 * - exact binomial tests of one proportion against a bound;
 * - exact distribution-free (order statistic) tests of a quantile against a bound;
 * - a z test comparing two quantiles (ratio on the log scale, or difference) with
 *   distribution-free standard errors from order-statistic confidence intervals.
 *
 * Conventions: every test returns two one-sided p-values, `pWorse` (evidence that the candidate
 * is ABOVE the threshold) and `pBetter` (evidence that it is BELOW). Callers compare them with
 * their own significance levels. `undefined` means the data cannot support the test at all
 * (for example no events on either side for a ratio); callers turn that into "inconclusive".
 */
import { jStat } from 'jstat';
import { quantileSorted } from 'simple-statistics';

export interface OneSidedPValues {
  /** p-value of H0 "candidate <= threshold" against "candidate > threshold". */
  readonly pWorse: number;
  /** p-value of H0 "candidate >= threshold" against "candidate < threshold". */
  readonly pBetter: number;
  /** The test statistic when there is one (z), for the evidence. */
  readonly z?: number;
}

export function normalCdf(z: number): number {
  if (z === Infinity) return 1;
  if (z === -Infinity) return 0;
  return jStat.normal.cdf(z, 0, 1);
}

export function normalQuantile(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

function clampProbability(p: number): number {
  return Math.min(1, Math.max(0, p));
}

/** P(X <= k) for X ~ Binomial(n, p), exact through the incomplete beta function. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  // P(X <= k) = I_{1-p}(n - k, k + 1)
  return clampProbability(jStat.ibeta(1 - p, n - k, k + 1));
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // P(X >= k) = I_p(k, n - k + 1)
  return clampProbability(jStat.ibeta(p, k, n - k + 1));
}

/**
 * Exact binomial test of one proportion (x events in n trials) against a bound p0.
 * pWorse = P(X >= x | p0), pBetter = P(X <= x | p0).
 */
export function proportionVsBound(x: number, n: number, p0: number): OneSidedPValues {
  return { pWorse: binomialUpperTail(x, n, p0), pBetter: binomialCdf(x, n, p0) };
}

/** One-sided Clopper-Pearson upper confidence bound on a proportion. */
export function clopperPearsonUpper(x: number, n: number, confidence: number): number {
  if (x >= n) return 1;
  return jStat.ibetainv(confidence, x + 1, n - x);
}

/** One-sided Clopper-Pearson lower confidence bound on a proportion. */
export function clopperPearsonLower(x: number, n: number, confidence: number): number {
  if (x <= 0) return 0;
  return jStat.ibetainv(1 - confidence, x, n - x + 1);
}

function xlogy(x: number, y: number): number {
  // 0 * log(0) is 0 in a likelihood: a side with no events contributes nothing.
  return x === 0 ? 0 : x * Math.log(y);
}

/**
 * Maximum-likelihood estimate of (p1, p2) under the boundary H0: p1 = theta * p2 + delta.
 * The log-likelihood is concave in p2 on the feasible interval, so a golden-section search is
 * exact to machine precision; one code path serves both the ratio (delta = 0) and the
 * difference (theta = 1) forms of Farrington-Manning.
 */
export function restrictedMle(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  theta: number,
  delta: number,
): { p1: number; p2: number } | undefined {
  // Closed forms first (fast: gates are evaluated thousands of times in simulations and bound
  // searches); the numeric search below is the fallback and the reference the tests compare with.
  const closed =
    delta === 0 ? ratioMleClosedForm(x1, n1, x2, n2, theta) : theta === 1 ? differenceMleClosedForm(x1, n1, x2, n2, delta) : undefined;
  if (closed) return closed;
  return restrictedMleNumeric(x1, n1, x2, n2, theta, delta);
}

function feasible(p1: number, p2: number): boolean {
  return Number.isFinite(p1) && Number.isFinite(p2) && p1 >= -1e-12 && p1 <= 1 + 1e-12 && p2 >= -1e-12 && p2 <= 1 + 1e-12;
}

function clamp01(p: number): number {
  return Math.min(1, Math.max(0, p));
}

/** Miettinen-Nurminen / Farrington-Manning restricted MLE for the ratio p1 = theta * p2 (a quadratic). */
function ratioMleClosedForm(x1: number, n1: number, x2: number, n2: number, theta: number): { p1: number; p2: number } | undefined {
  const a = (n1 + n2) * theta;
  const b = -(n1 * theta + x1 + n2 + x2 * theta);
  const c = x1 + x2;
  const disc = b * b - 4 * a * c;
  if (!(a > 0) || disc < 0) return undefined;
  const p2 = (-b - Math.sqrt(disc)) / (2 * a);
  const p1 = theta * p2;
  return feasible(p1, p2) ? { p1: clamp01(p1), p2: clamp01(p2) } : undefined;
}

/** Farrington-Manning (1990) restricted MLE for the difference p1 - p2 = delta (a cubic, trigonometric solution). */
function differenceMleClosedForm(x1: number, n1: number, x2: number, n2: number, delta: number): { p1: number; p2: number } | undefined {
  const h1 = x1 / n1;
  const h2 = x2 / n2;
  const t = n2 / n1;
  const a = 1 + t;
  const b = -(1 + t + h1 + t * h2 + delta * (t + 2));
  const c = delta * delta + delta * (2 * h1 + t + 1) + h1 + t * h2;
  const d = -h1 * delta * (1 + delta);
  const v = b ** 3 / (3 * a) ** 3 - (b * c) / (6 * a * a) + d / (2 * a);
  const inner = (b * b) / (3 * a) ** 2 - c / (3 * a);
  if (inner < 0) return undefined;
  const u = (v >= 0 ? 1 : -1) * Math.sqrt(inner);
  if (u === 0) return undefined;
  const w = (Math.PI + Math.acos(Math.max(-1, Math.min(1, v / u ** 3)))) / 3;
  const p1 = 2 * u * Math.cos(w) - b / (3 * a);
  const p2 = p1 - delta;
  return feasible(p1, p2) ? { p1: clamp01(p1), p2: clamp01(p2) } : undefined;
}

/** Numeric restricted MLE (golden-section search on the concave restricted log-likelihood). */
export function restrictedMleNumeric(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  theta: number,
  delta: number,
): { p1: number; p2: number } | undefined {
  const lo = Math.max(0, -delta / theta);
  const hi = Math.min(1, (1 - delta) / theta);
  if (!(lo <= hi)) return undefined;
  const logLik = (p2: number): number => {
    const p1 = Math.min(1, Math.max(0, theta * p2 + delta));
    return xlogy(x1, p1) + xlogy(n1 - x1, 1 - p1) + xlogy(x2, p2) + xlogy(n2 - x2, 1 - p2);
  };
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = logLik(c);
  let fd = logLik(d);
  for (let i = 0; i < 200 && b - a > 1e-15; i++) {
    if (fc >= fd || Number.isNaN(fd)) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = logLik(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = logLik(d);
    }
  }
  // The maximum may sit on an end of the interval; compare explicitly.
  let best = (a + b) / 2;
  for (const candidate of [lo, hi]) {
    if (logLik(candidate) > logLik(best)) best = candidate;
  }
  return { p1: Math.min(1, Math.max(0, theta * best + delta)), p2: best };
}

/**
 * Farrington-Manning score test of H0: p1 <= theta * p2 + delta (candidate = 1, baseline = 2).
 * Ratio margin: theta = r, delta = 0. Difference margin: theta = 1, delta = d.
 * Returns undefined when the restricted variance is zero (no events anywhere and no margin):
 * the data then say nothing about the ratio.
 */
export function twoProportionScoreTest(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  theta: number,
  delta: number,
): OneSidedPValues | undefined {
  const mle = restrictedMle(x1, n1, x2, n2, theta, delta);
  if (!mle) return undefined;
  const variance = (mle.p1 * (1 - mle.p1)) / n1 + (theta * theta * mle.p2 * (1 - mle.p2)) / n2;
  if (!(variance > 0)) return undefined;
  const z = (x1 / n1 - theta * (x2 / n2) - delta) / Math.sqrt(variance);
  return { z, pWorse: 1 - normalCdf(z), pBetter: normalCdf(z) };
}

/** z used for the order-statistic interval that yields a quantile's standard error. */
const SE_INTERVAL_Z = 1.959963984540054;

export interface QuantileEstimate {
  readonly value: number;
  readonly standardError: number;
}

/**
 * A sample quantile with a distribution-free standard error: the width of the order-statistic
 * (binomial) 95% confidence interval divided by 2 x 1.96. Returns undefined when the sample is
 * too small for that interval to exist inside the data (e.g. fewer than ~700 samples for p99):
 * the tail is then not observed well enough to judge.
 *
 * With discretised latencies (whole milliseconds) the interval can collapse onto one value;
 * it is widened to the nearest distinct values so a tie never produces a zero standard error
 * and a spuriously "significant" difference.
 */
export function quantileWithStandardError(sorted: readonly number[], q: number): QuantileEstimate | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  const half = SE_INTERVAL_Z * Math.sqrt(n * q * (1 - q));
  let lower = Math.floor(n * q - half); // 1-based order statistic index
  let upper = Math.ceil(n * q + half);
  if (lower < 1 || upper > n) return undefined;
  const value = quantileSorted(sorted as number[], q);
  const at = (i: number) => sorted[i - 1] as number;
  while (at(upper) === at(lower) && (lower > 1 || upper < n)) {
    if (lower > 1) lower--;
    if (upper < n) upper++;
  }
  return { value, standardError: (at(upper) - at(lower)) / (2 * SE_INTERVAL_Z) };
}

/**
 * Exact distribution-free test of a quantile against a bound, from order statistics.
 * With k = #samples <= bound, H0 "Q(q) <= bound" means P(X <= bound) >= q, so
 * pWorse = P(Binomial(n, q) <= k). Symmetrically with k' = #samples < bound,
 * pBetter = P(Binomial(n, q) >= k').
 */
export function quantileVsBound(sorted: readonly number[], q: number, bound: number): OneSidedPValues {
  const n = sorted.length;
  let atOrBelow = 0;
  let below = 0;
  for (const v of sorted) {
    if (v <= bound) atOrBelow++;
    if (v < bound) below++;
  }
  return { pWorse: binomialCdf(atOrBelow, n, q), pBetter: binomialUpperTail(below, n, q) };
}

/**
 * Distribution-free upper confidence bound of a quantile: the smallest order statistic X_(u)
 * with P(Binomial(n, q) <= u - 1) >= confidence. Undefined when the sample is too small.
 */
export function quantileUpperBound(sorted: readonly number[], q: number, confidence: number): number | undefined {
  const n = sorted.length;
  for (let u = Math.max(1, Math.floor(n * q)); u <= n; u++) {
    if (binomialCdf(u - 1, n, q) >= confidence) return sorted[u - 1];
  }
  return undefined;
}

export interface QuantileComparison extends OneSidedPValues {
  /** Candidate over baseline (ratio form) or candidate minus baseline (difference form). */
  readonly estimate: number;
  readonly standardError: number;
}

/**
 * Compare the q-quantiles of two samples against a margin: H0 "Qc <= ratio x Qb" (on the log
 * scale, delta method) or H0 "Qc <= Qb + increase". A z test with the distribution-free standard
 * errors above; unlike a Mann-Whitney test it looks at the quantile the check names, so a
 * regression only in the tail (p99) is not hidden by an unchanged median.
 */
export function compareQuantiles(
  candidateSorted: readonly number[],
  baselineSorted: readonly number[],
  q: number,
  margin: { readonly ratio: number } | { readonly increase: number },
): QuantileComparison | undefined {
  const c = quantileWithStandardError(candidateSorted, q);
  const b = quantileWithStandardError(baselineSorted, q);
  if (!c || !b) return undefined;
  if ('ratio' in margin) {
    if (!(c.value > 0 && b.value > 0 && margin.ratio > 0)) return undefined;
    const se = Math.sqrt((c.standardError / c.value) ** 2 + (b.standardError / b.value) ** 2);
    const diff = Math.log(c.value) - Math.log(b.value) - Math.log(margin.ratio);
    const z = se > 0 ? diff / se : diff > 0 ? Infinity : diff < 0 ? -Infinity : 0;
    return { z, pWorse: 1 - normalCdf(z), pBetter: normalCdf(z), estimate: c.value / b.value, standardError: se };
  }
  const se = Math.sqrt(c.standardError ** 2 + b.standardError ** 2);
  const diff = c.value - b.value - margin.increase;
  const z = se > 0 ? diff / se : diff > 0 ? Infinity : diff < 0 ? -Infinity : 0;
  return { z, pWorse: 1 - normalCdf(z), pBetter: normalCdf(z), estimate: c.value - b.value, standardError: se };
}

/**
 * Upper confidence bound, at `confidence`, of the candidate's rate relative to the baseline's:
 * the ratio p1/p2 (margin 'ratio') or the difference p1 - p2 (margin 'increase'). Found by
 * inverting the Farrington-Manning test: the smallest margin the data show the candidate to be
 * within. Undefined when no margin can be shown (e.g. no events anywhere for a ratio).
 */
export function rateMarginUpperBound(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  margin: 'ratio' | 'increase',
  confidence: number,
): number | undefined {
  const alpha = 1 - confidence;
  const shownWithin = (m: number): boolean => {
    const t = margin === 'ratio' ? twoProportionScoreTest(x1, n1, x2, n2, m, 0) : twoProportionScoreTest(x1, n1, x2, n2, 1, m);
    return t !== undefined && t.pBetter <= alpha;
  };
  // Search on the log scale for ratios, linearly for differences.
  let lo = margin === 'ratio' ? Math.log(1e-6) : -0.999999;
  let hi = margin === 'ratio' ? Math.log(1e6) : 0.999999;
  const value = (s: number) => (margin === 'ratio' ? Math.exp(s) : s);
  if (!shownWithin(value(hi))) return undefined;
  if (shownWithin(value(lo))) return value(lo);
  // 40 halvings: far below any precision the evidence shows (the log-scale range is ~28 wide).
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (shownWithin(value(mid))) hi = mid;
    else lo = mid;
  }
  return value(hi);
}
