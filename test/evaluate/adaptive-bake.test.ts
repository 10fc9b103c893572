/**
 * The adaptive-bake rule (src/analysis/adaptive-bake.ts): tables for each branch, random
 * sequences (fast-check) for the invariants, and the guarantee measured by Monte Carlo.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideAdaptiveBake, adaptiveBakeProblems, type AdaptiveBakeSettings, type ArmCounts } from '../../src/analysis/adaptive-bake';
import { ValidationError } from '../../src/errors';
import { createRandom } from '../../src/common/prng';

const MIN = 60_000;
const SETTINGS: AdaptiveBakeSettings = {
  minBakeMinutes: 5,
  bakeMinutes: 15,
  maxBakeMinutes: 30,
  minRequests: 500,
  confidence: 0.95,
  margins: { failureRate: 0.01 },
  checkIntervalMinutes: 5,
};

const arm = (requests: number, failures: number, latencies: readonly number[] = []): ArmCounts => ({
  requests,
  failures,
  latenciesSorted: latencies,
});
const at = (minutes: number, candidate: ArmCounts, baseline: ArmCounts) => ({ startedAtMs: 0, nowMs: minutes * MIN, candidate, baseline });

describe('decideAdaptiveBake', () => {
  it.each([
    // [minutes, candidate (requests, failures), baseline, expected action]
    ['before the minimum bake, however strong the evidence', 4, arm(20_000, 0), arm(20_000, 200), 'wait'],
    ['after the minimum bake with strong evidence', 5, arm(20_000, 190), arm(20_000, 200), 'end'],
    ['too few candidate requests', 10, arm(400, 0), arm(20_000, 200), 'wait'],
    ['a clearly worse candidate never ends early', 10, arm(20_000, 800), arm(20_000, 200), 'wait'],
    ['thin traffic past the nominal bake extends', 20, arm(300, 3), arm(20_000, 200), 'extend'],
    ['thin traffic at the maximum hands back to the schedule', 30, arm(300, 3), arm(20_000, 200), 'schedule'],
    ['enough data but not shown at the nominal end hands back', 15, arm(600, 12), arm(600, 6), 'schedule'],
  ] as const)('%s', (_name, minutes, candidate, baseline, action) => {
    expect(decideAdaptiveBake(SETTINGS, at(minutes, candidate, baseline)).action).toBe(action);
  });

  it('judges latency margins on the quantile, from the latency samples', () => {
    const random = createRandom(7, 'latency');
    const draw = (scale: number) =>
      Array.from({ length: 4000 }, () => Math.round(scale * Math.exp(Math.log(40) + 0.5 * random.normal()))).sort((a, b) => a - b);
    const settings = { ...SETTINGS, margins: { latencyP95Ratio: 1.1 } };
    expect(decideAdaptiveBake(settings, at(10, arm(4000, 0, draw(1)), arm(4000, 0, draw(1)))).action).toBe('end');
    expect(decideAdaptiveBake(settings, at(10, arm(4000, 0, draw(1.3)), arm(4000, 0, draw(1)))).action).toBe('wait');
  });

  it('refuses bad settings, naming each field', () => {
    const bad = { ...SETTINGS, minBakeMinutes: 20, maxBakeMinutes: 10, minRequests: 0, margins: {} };
    expect(adaptiveBakeProblems(bad).join('; ')).toMatch(
      /minBakeMinutes \(20\) is above bakeMinutes.*maxBakeMinutes \(10\) is below bakeMinutes.*minRequests.*margins/,
    );
    expect(() => decideAdaptiveBake(bad, at(5, arm(1, 0), arm(1, 0)))).toThrow(ValidationError);
    expect(() => decideAdaptiveBake(SETTINGS, { ...at(5, arm(1, 0), arm(1, 0)), nowMs: -1 })).toThrow(/startedAtMs <= nowMs/);
  });

  it('random inputs: never ends before the minimum or without the samples; waits point forward and inside the limits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        (minutes, nc, pc, nb, pb) => {
          const d = decideAdaptiveBake(SETTINGS, at(minutes, arm(nc, Math.floor(nc * pc)), arm(nb, Math.floor(nb * pb))));
          if (d.action === 'end') {
            expect(minutes).toBeGreaterThanOrEqual(SETTINGS.minBakeMinutes);
            expect(nc).toBeGreaterThanOrEqual(SETTINGS.minRequests);
            expect(d.evidence.every((e) => e.shown)).toBe(true);
          }
          if (d.action === 'wait') {
            expect(d.untilMs).toBeGreaterThan(minutes * MIN);
            expect(d.untilMs).toBeLessThanOrEqual(SETTINGS.bakeMinutes * MIN);
          }
          if (d.action === 'extend') {
            expect(minutes).toBeGreaterThanOrEqual(SETTINGS.bakeMinutes);
            expect(nc).toBeLessThan(SETTINGS.minRequests);
            expect(d.untilMs).toBeLessThanOrEqual(SETTINGS.maxBakeMinutes * MIN);
          }
        },
      ),
    );
  });

  it('guarantee: a candidate worse by exactly the margin ends a step early in at most 1 - confidence of steps (Monte Carlo)', () => {
    // Baseline 2% failures, candidate 3% (= live + the 0.01 margin), 200 requests a minute per arm,
    // a look every 5 minutes from minute 5 to 30: the share of steps ended early must stay <= 5%
    // (plus Monte Carlo error: 400 steps, 3 standard errors).
    const random = createRandom(11, 'guarantee');
    const binomial = (n: number, p: number) => {
      let x = 0;
      for (let i = 0; i < n; i++) if (random.next() < p) x++;
      return x;
    };
    let ended = 0;
    const steps = 400;
    for (let s = 0; s < steps; s++) {
      let c = arm(0, 0);
      let b = arm(0, 0);
      for (let minute = 5; minute <= 30; minute += 5) {
        c = arm(c.requests + 1000, c.failures + binomial(1000, 0.03));
        b = arm(b.requests + 1000, b.failures + binomial(1000, 0.02));
        const d = decideAdaptiveBake(SETTINGS, at(minute, c, b));
        if (d.action === 'end') {
          ended++;
          break;
        }
        if (d.action === 'schedule') break;
      }
    }
    const se = Math.sqrt((0.05 * 0.95) / steps);
    expect(ended / steps).toBeLessThanOrEqual(0.05 + 3 * se);
  });
});
