import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkResources,
  instancesNeeded,
  projectedPercent,
  type DeploymentUsage,
  type ResourceCheckInput,
  type ResourceMinute,
} from '../../src/analysis/resources';

interface Profile {
  readonly cpuIdle: number;
  readonly cpuPerRequest: number;
  readonly memIdle: number;
  readonly memPerRequest: number;
}

/** Minutes of a deployment that follows the linear model exactly (idle minutes first). */
function usage(
  name: string,
  profile: Profile,
  instances: number,
  loads: readonly number[],
  idleMinutes = 0,
  instanceType = 'Standard_DS3_v2',
): DeploymentUsage {
  const minute = (requests: number): ResourceMinute => ({
    requests,
    instances,
    cpuPercent: profile.cpuIdle + (profile.cpuPerRequest * requests) / instances,
    memoryPercent: profile.memIdle + (profile.memPerRequest * requests) / instances,
  });
  return { deployment: name, instanceType, minutes: [...Array.from({ length: idleMinutes }, () => minute(0)), ...loads.map(minute)] };
}

const base: Profile = { cpuIdle: 5, cpuPerRequest: 0.1, memIdle: 30, memPerRequest: 0.02 };
const input = (over: Partial<ResourceCheckInput>): ResourceCheckInput => ({
  candidate: usage('green', base, 1, [30, 31, 29, 30, 30], 3),
  baseline: usage('blue', base, 2, [270, 269, 271, 270, 270]),
  fullTrafficRequestsPerMinute: 300,
  candidateInstancesAtFullTraffic: 2,
  limits: { cpu: { maxPercent: 80, maxRatioToBaseline: 1.5 }, memory: { maxPercent: 85 } },
  ...over,
});

describe('checkResources: table', () => {
  const cases: { name: string; input: ResourceCheckInput; verdict: string; reason?: RegExp }[] = [
    { name: 'same model, 10% vs 90% of the traffic: per-request use is equal, pass', input: input({}), verdict: 'pass' },
    {
      name: 'candidate needs twice the CPU per request: fail on the ratio',
      input: input({ candidate: usage('green', { ...base, cpuPerRequest: 0.2 }, 1, [30, 31, 29, 30, 30], 3) }),
      verdict: 'fail',
      reason: /cpu per request is 2\.00x/,
    },
    {
      name: 'memory fits now but not at 100% on 2 instances: fail on the projection',
      input: input({ candidate: usage('green', { ...base, memPerRequest: 0.5 }, 1, [30, 31, 29, 30, 30], 3) }),
      verdict: 'fail',
      reason: /memory would be 105\.0% at 100% traffic on 2 instance/,
    },
    {
      name: 'no minute reported yet for the candidate: inconclusive',
      input: input({
        candidate: {
          deployment: 'green',
          instanceType: 'Standard_DS3_v2',
          minutes: [{ requests: 30, instances: 1, cpuPercent: null, memoryPercent: null }],
        },
      }),
      verdict: 'inconclusive',
      reason: /green: 0 minute\(s\) with requests reported/,
    },
    {
      name: 'the candidate served nothing yet (idle minutes only): inconclusive',
      input: input({ candidate: usage('green', base, 1, [], 5) }),
      verdict: 'inconclusive',
    },
  ];
  it.each(cases)('$name', ({ input: i, verdict, reason }) => {
    const result = checkResources(i);
    expect(result.verdict).toBe(verdict);
    if (reason) expect(result.reasons.join('; ')).toMatch(reason);
  });

  it('shows raw and normalized numbers and the full-traffic sizing', () => {
    const result = checkResources(input({}));
    if (result.verdict === 'inconclusive') throw new Error('expected a verdict');
    expect(result.candidate.use.cpu.meanPercent).toBeCloseTo(8, 6);
    expect(result.baseline.use.cpu.meanPercent).toBeCloseTo(18.5, 6);
    expect(result.candidate.use.cpu.perRequest).toBeCloseTo(0.1, 9);
    expect(result.baseline.use.cpu.perRequest).toBeCloseTo(0.1, 9);
    expect(result.candidate.use.cpu.idleSource).toBe('idleMinutes');
    expect(result.baseline.use.cpu.idleSource).toBe('otherDeployment');
    // 0.1 x 300 / (80 - 5) = 0.4 -> 1 instance for CPU; memory 0.02 x 300 / (85 - 30) -> 1.
    expect(result.candidate.instancesAtFullTraffic).toBe(1);
    expect(result.summary).toMatch(/needs about 1 instance\(s\) of Standard_DS3_v2/);
  });

  it('charges idle to the requests when nothing tells the idle level (never favours the small deployment)', () => {
    const result = checkResources(input({ candidate: usage('green', base, 1, [30, 30, 30, 30], 0, 'Standard_F4s_v2') }));
    if (result.verdict === 'inconclusive') throw new Error('expected a verdict');
    expect(result.candidate.use.cpu.idleSource).toBe('assumedZero');
    expect(result.candidate.use.cpu.perRequest).toBeGreaterThan(0.1);
  });
});

const profileArb = fc.record({
  cpuIdle: fc.double({ min: 0, max: 20, noNaN: true }),
  cpuPerRequest: fc.double({ min: 0.01, max: 1, noNaN: true }),
  memIdle: fc.double({ min: 0, max: 40, noNaN: true }),
  memPerRequest: fc.double({ min: 0.001, max: 0.2, noNaN: true }),
});
const loadsArb = (min: number, max: number) => fc.array(fc.integer({ min, max }), { minLength: 3, maxLength: 12 });

describe('checkResources: properties', () => {
  it('per-request use does not depend on the share of traffic or the instance count (with idle minutes known)', () => {
    fc.assert(
      fc.property(
        profileArb,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        loadsArb(1, 60),
        loadsArb(100, 900),
        (profile, ci, bi, cl, bl) => {
          const result = checkResources(
            input({
              candidate: usage('green', profile, ci, cl, 2),
              baseline: usage('blue', profile, bi, bl),
              limits: { cpu: { maxRatioToBaseline: 1.0001 } },
            }),
          );
          if (result.verdict === 'inconclusive') return false;
          expect(result.candidate.use.cpu.perRequest).toBeCloseTo(profile.cpuPerRequest, 6);
          expect(result.findings[0]?.ratioToBaseline).toBeCloseTo(1, 6);
          return result.verdict === 'pass';
        },
      ),
    );
  });

  it('the ratio scales with the candidate per-request CPU, and fails exactly above the limit', () => {
    fc.assert(
      fc.property(
        profileArb,
        fc.double({ min: 0.2, max: 5, noNaN: true }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        (profile, factor, limit) => {
          fc.pre(Math.abs(factor - limit) > 1e-6);
          const candidate = usage('green', { ...profile, cpuPerRequest: profile.cpuPerRequest * factor }, 1, [20, 25, 30], 2);
          const result = checkResources(
            input({ candidate, baseline: usage('blue', profile, 2, [200, 210, 190]), limits: { cpu: { maxRatioToBaseline: limit } } }),
          );
          if (result.verdict === 'inconclusive') return false;
          expect(result.findings[0]?.ratioToBaseline).toBeCloseTo(factor, 6);
          return result.verdict === (factor > limit ? 'fail' : 'pass');
        },
      ),
    );
  });

  it('instancesNeeded is the smallest count that keeps the projection within the limit', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 0.001, max: 2, noNaN: true }),
        fc.integer({ min: 0, max: 5000 }),
        fc.double({ min: 51, max: 100, noNaN: true }),
        (idle, perRequest, rpm, limit) => {
          const use = { idlePercent: idle, perRequest };
          const n = instancesNeeded(use, rpm, limit);
          expect(projectedPercent(use, rpm, n)).toBeLessThanOrEqual(limit + 1e-6);
          if (n > 1) expect(projectedPercent(use, rpm, n - 1)).toBeGreaterThan(limit - 1e-6);
        },
      ),
    );
  });

  it('is inconclusive exactly when a side has fewer loaded minutes reported than required', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 6 }), (reported, required) => {
        const minutes: ResourceMinute[] = Array.from({ length: 6 }, (_, i) =>
          i < reported
            ? { requests: 30, instances: 1, cpuPercent: 8, memoryPercent: 31 }
            : { requests: 30, instances: 1, cpuPercent: null, memoryPercent: null },
        );
        const result = checkResources(
          input({
            candidate: { deployment: 'green', instanceType: 'Standard_DS3_v2', minutes },
            baseline: usage('blue', base, 2, [270, 269, 271, 270, 270, 268]),
            minReportedMinutes: required,
          }),
        );
        return (result.verdict === 'inconclusive') === reported < required;
      }),
    );
  });
});
