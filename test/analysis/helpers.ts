/** Test helpers: a seeded PRNG and synthetic traffic-query rows (deterministic). */
import { quantileSorted } from 'simple-statistics';
import type { GateSpec } from '../../src/analysis/types';

/** mulberry32: a tiny seeded PRNG so every simulated data set is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rng: () => number): number {
  // Box-Muller
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function binomial(rng: () => number, n: number, p: number): number {
  if (n * p > 30 && n * (1 - p) > 30) {
    return Math.max(0, Math.min(n, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal(rng))));
  }
  let k = 0;
  for (let i = 0; i < n; i++) if (rng() < p) k++;
  return k;
}

export interface SideSpec {
  readonly requests: number;
  readonly failed?: number;
  readonly modelErrors?: number;
  readonly latencies?: readonly number[];
}

export function trafficRow(deployment: string, side: SideSpec): Record<string, unknown> {
  const lat = [...(side.latencies ?? [])].sort((a, b) => a - b);
  const q = (p: number) => (lat.length > 0 ? quantileSorted(lat, p) : null);
  return {
    DeploymentName: deployment,
    requests: side.requests,
    failed: side.failed ?? 0,
    modelErrors: side.modelErrors ?? 0,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    latencies: JSON.stringify(side.latencies ?? []),
  };
}

/** Log-normal latencies in whole milliseconds (as the traffic log records them). */
export function latencies(rng: () => number, n: number, medianMs: number, sigma = 0.35): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.max(1, Math.round(medianMs * Math.exp(sigma * normal(rng)))));
  return out;
}

const WINDOW = { fromMs: Date.UTC(2026, 10, 23, 10, 0, 0), toMs: Date.UTC(2026, 10, 23, 10, 5, 0) };

export function gate(checks: GateSpec['checks'], overrides: Partial<GateSpec> = {}): GateSpec {
  return {
    name: 'health',
    checks,
    customMetrics: [],
    confidence: 0.95,
    minRequestsPerDeployment: 100,
    windowMinutes: 5,
    ingestionDelayMinutes: 5,
    plannedLooks: 5,
    ...overrides,
  };
}

export function context(look = 1, candidate = 'green', baseline = 'blue') {
  return { candidate, baseline, window: WINDOW, look, checkedAtMs: WINDOW.toMs + 300_000 };
}
