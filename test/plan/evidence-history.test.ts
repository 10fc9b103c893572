import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GateResult, GateSpec, MetricCheck, MetricEvidence, ThresholdEvidence, Verdict } from '../../src/analysis/types';
import {
  EVIDENCE_LOOKS_PER_GATE,
  expandEvidenceHistory,
  recordLooks,
  thinLooks,
  type EvidenceHistory,
} from '../../src/plan/evidence-history';

const MIN = 60_000;

function gateSpec(name: string, checks: MetricCheck[], customMetrics: GateSpec['customMetrics'] = []): GateSpec {
  return {
    name,
    checks,
    customMetrics,
    confidence: 0.95,
    minRequestsPerDeployment: 100,
    windowMinutes: 10,
    ingestionDelayMinutes: 0,
    plannedLooks: 10,
  };
}

function evidence(metric: string, candidate: number | null, baseline: number | null, extra: Partial<MetricEvidence> = {}): MetricEvidence {
  return {
    metric,
    verdict: 'pass',
    candidate,
    baseline,
    samples: { candidate: 500, baseline: 4500 },
    threshold: '<= 0.02',
    test: 't',
    reason: 'r',
    ...extra,
  };
}

function result(gate: string, look: number, atMs: number, evidenceList: MetricEvidence[], verdict: Verdict = 'pass'): GateResult {
  return {
    gate,
    verdict,
    look,
    checkedAtMs: atMs,
    window: { fromMs: atMs - 10 * MIN, toMs: atMs },
    candidate: 'green',
    baseline: 'blue',
    evidence: evidenceList,
    reason: 'r',
  };
}

function plan(gates: GateSpec[]) {
  return { gates: Object.fromEntries(gates.map((g) => [g.name, g])), candidate: { deployment: 'green' }, baseline: { deployment: 'blue' } };
}

const part = (kind: ThresholdEvidence['kind'], bound?: number): ThresholdEvidence => ({
  kind,
  verdict: 'pass',
  threshold: '',
  test: '',
  reason: '',
  ...(bound === undefined ? {} : { bound }),
});

describe('evidence history: one look', () => {
  // The allowed band is drawn in the metric's unit: relative thresholds applied to the baseline's value.
  const bandCases: { name: string; check: MetricCheck; baseline: number | null; higherIsWorse?: boolean; lo?: number; hi?: number }[] = [
    { name: 'absolute max', check: { metric: 'm', max: 0.02 }, baseline: 0.01, hi: 0.02 },
    { name: 'absolute min', check: { metric: 'm', min: 100 }, baseline: null, lo: 100 },
    { name: 'ratio to baseline', check: { metric: 'm', maxRatioToBaseline: 1.5 }, baseline: 0.01, hi: 0.015 },
    { name: 'increase over baseline', check: { metric: 'm', maxIncreaseOverBaseline: 0.01 }, baseline: 0.01, hi: 0.02 },
    { name: 'tightest of max and ratio', check: { metric: 'm', max: 0.02, maxRatioToBaseline: 1.5 }, baseline: 0.01, hi: 0.015 },
    { name: 'max tighter than ratio', check: { metric: 'm', max: 0.012, maxRatioToBaseline: 1.5 }, baseline: 0.01, hi: 0.012 },
    { name: 'relative without a baseline value draws nothing', check: { metric: 'm', maxRatioToBaseline: 1.5 }, baseline: null },
    {
      name: 'higher is better: ratio is a floor',
      check: { metric: 'm', maxRatioToBaseline: 1.25 },
      baseline: 0.9,
      higherIsWorse: false,
      lo: 0.72,
    },
    {
      name: 'higher is better: increase is a floor',
      check: { metric: 'm', maxIncreaseOverBaseline: 0.05 },
      baseline: 0.9,
      higherIsWorse: false,
      lo: 0.85,
    },
  ];
  it.each(bandCases)('band: $name', ({ check, baseline, higherIsWorse, lo, hi }) => {
    const custom = higherIsWorse === undefined ? [] : [{ name: 'm', kql: 'x', higherIsWorse }];
    const history = recordLooks(
      undefined,
      plan([gateSpec('g', [check], custom)]),
      [result('g', 1, 10 * MIN, [evidence('m', 0.011, baseline)])],
      { blue: 90, green: 10 },
      {},
    );
    const point = expandEvidenceHistory(history)[0]?.checks[0]?.points[0];
    expect(point?.allowed).toEqual({ ...(lo === undefined ? {} : { min: lo }), ...(hi === undefined ? {} : { max: hi }) });
  });

  const boundCases: { name: string; parts: ThresholdEvidence[]; baseline: number | null; lower?: number; upper?: number }[] = [
    { name: 'max part bounds the candidate', parts: [part('max', 0.014)], baseline: 0.01, upper: 0.014 },
    { name: 'min part is a lower bound', parts: [part('min', 0.8)], baseline: 0.9, lower: 0.8 },
    { name: 'ratio bound times the baseline', parts: [part('ratio', 1.6)], baseline: 0.01, upper: 0.016 },
    { name: 'increase bound plus the baseline', parts: [part('increase', 0.004)], baseline: 0.01, upper: 0.014 },
    { name: 'the tightest upper bound', parts: [part('max', 0.014), part('ratio', 1.2)], baseline: 0.01, upper: 0.012 },
    { name: 'relative bound without a baseline value', parts: [part('ratio', 1.6)], baseline: null },
    { name: 'a part without a bound', parts: [part('max')], baseline: 0.01 },
  ];
  it.each(boundCases)('confidence bounds: $name', ({ parts, baseline, lower, upper }) => {
    const history = recordLooks(
      undefined,
      plan([gateSpec('g', [{ metric: 'm', max: 1 }])]),
      [result('g', 1, 10 * MIN, [evidence('m', 0.011, baseline, { parts })])],
      {},
      {},
    );
    expect(expandEvidenceHistory(history)[0]?.checks[0]?.points[0]?.confidence).toEqual({
      ...(lower === undefined ? {} : { lower }),
      ...(upper === undefined ? {} : { upper }),
    });
  });

  it('keeps values, verdicts, the deciding p-value, requests and the split of the moment', () => {
    const spec = gateSpec('health', [
      { metric: 'failedRequestRate', max: 0.02 },
      { metric: 'latencyP95', max: 800 },
    ]);
    const e1 = evidence('failedRequestRate', 0.0123456, 0.0101, { verdict: 'fail', pValue: 0.0004, alpha: 0.01 });
    const e2 = evidence('latencyP95', 91, 90, { verdict: 'pass', passPValue: 0.001 });
    const history = recordLooks(
      undefined,
      plan([spec]),
      [result('health', 4, 30 * MIN, [e1, e2], 'fail')],
      { blue: 75, green: 25 },
      { green: 0 },
    );
    const [gate] = expandEvidenceHistory(history);
    expect(gate?.looks).toEqual([{ look: 4, atMs: 30 * MIN, verdict: 'fail' }]);
    expect(gate?.checks.map((c) => c.metric)).toEqual(['failedRequestRate', 'latencyP95']);
    expect(gate?.checks[0]?.points[0]).toMatchObject({
      verdict: 'fail',
      candidate: 0.0123,
      baseline: 0.0101,
      pValue: 0.0004,
      requests: { candidate: 500, baseline: 4500 },
      traffic: { candidate: 25, baseline: 75, mirroredToCandidate: 0 },
    });
    expect(gate?.checks[1]?.points[0]).toMatchObject({ verdict: 'pass', candidate: 91, pValue: 0.001 });
  });

  it('records the mirrored share while the candidate takes no live traffic', () => {
    const history = recordLooks(
      undefined,
      plan([gateSpec('g', [{ metric: 'm', max: 1 }])]),
      [result('g', 1, MIN, [evidence('m', 0, 0.01)])],
      { blue: 100 },
      { green: 20 },
    );
    expect(expandEvidenceHistory(history)[0]?.checks[0]?.points[0]?.traffic).toEqual({
      candidate: 0,
      baseline: 100,
      mirroredToCandidate: 20,
    });
  });

  it('a check missing from a look leaves a gap, not a made-up point', () => {
    const spec = gateSpec('g', [
      { metric: 'a', max: 1 },
      { metric: 'b', max: 1 },
    ]);
    const history = recordLooks(undefined, plan([spec]), [result('g', 1, MIN, [evidence('a', 0.1, 0.1)])], {}, {});
    const [gate] = expandEvidenceHistory(history);
    expect(gate?.checks.map((c) => c.points.length)).toEqual([1, 0]);
  });

  it('keeps one history per gate and does not record the same look twice', () => {
    const p = plan([gateSpec('a', [{ metric: 'm', max: 1 }]), gateSpec('b', [{ metric: 'm', max: 1 }])]);
    let history: EvidenceHistory | undefined;
    const round = [result('a', 1, MIN, [evidence('m', 0.1, 0.1)]), result('b', 1, MIN, [evidence('m', 0.2, 0.1)])];
    history = recordLooks(history, p, round, {}, {});
    history = recordLooks(history, p, round, {}, {});
    expect(expandEvidenceHistory(history).map((g) => [g.gate, g.recorded, g.kept])).toEqual([
      ['a', 1, 1],
      ['b', 1, 1],
    ]);
  });

  it('an empty round changes nothing', () => {
    expect(recordLooks(undefined, plan([]), [], {}, {})).toEqual([]);
  });
});

describe('evidence history: thinning', () => {
  const at = (...minutes: number[]) => minutes.map((m) => ({ t: m * MIN }));

  const cases: { name: string; looks: number[]; cap: number; kept: number[] }[] = [
    { name: 'under the cap: all kept', looks: [0, 5, 10], cap: 4, kept: [0, 5, 10] },
    { name: 'even spacing: the oldest interior look goes first', looks: [0, 5, 10, 15, 20], cap: 4, kept: [0, 10, 15, 20] },
    { name: 'the densest spot goes first', looks: [0, 30, 31, 32, 60], cap: 4, kept: [0, 30, 32, 60] },
    { name: 'down to two: first and last', looks: [0, 1, 2, 3, 4], cap: 2, kept: [0, 4] },
    { name: 'a cap below two still keeps first and last', looks: [0, 1, 2], cap: 1, kept: [0, 2] },
  ];
  it.each(cases)('$name', ({ looks, cap, kept }) => {
    expect(thinLooks(at(...looks), cap).map((l) => l.t / MIN)).toEqual(kept);
  });

  it('a long rollout keeps the cap, the first and the latest look, in order (random sequences)', () => {
    const spec = gateSpec('g', [{ metric: 'm', max: 0.02, maxRatioToBaseline: 1.5 }]);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gapMinutes: fc.integer({ min: 1, max: 30 }),
            value: fc.double({ min: 0, max: 1, noNaN: true }),
            verdict: fc.constantFrom<Verdict>('pass', 'fail', 'inconclusive'),
          }),
          { minLength: 1, maxLength: 80 },
        ),
        fc.integer({ min: 2, max: 20 }),
        (looks, cap) => {
          let history: EvidenceHistory | undefined;
          let t = 0;
          const times: number[] = [];
          looks.forEach((l, i) => {
            t += l.gapMinutes * MIN;
            times.push(t);
            history = recordLooks(
              history,
              plan([spec]),
              [result('g', i + 1, t, [evidence('m', l.value, 0.01, { verdict: l.verdict })], l.verdict)],
              { blue: 90, green: 10 },
              {},
              cap,
            );
          });
          const [gate] = expandEvidenceHistory(history);
          const kept = gate?.looks ?? [];
          expect(gate?.recorded).toBe(looks.length);
          expect(kept.length).toBe(Math.min(looks.length, cap));
          expect(kept[0]?.atMs).toBe(times[0]);
          expect(kept.at(-1)?.atMs).toBe(times.at(-1));
          expect(kept.at(-1)?.verdict).toBe(looks.at(-1)?.verdict);
          for (let i = 1; i < kept.length; i++) expect((kept[i]?.atMs ?? 0) > (kept[i - 1]?.atMs ?? 0)).toBe(true);
          // Every kept look is one that was taken, with the value it had.
          for (const point of gate?.checks[0]?.points ?? []) {
            const index = times.indexOf(point.atMs);
            expect(index).toBeGreaterThanOrEqual(0);
            expect(point.candidate).toBeCloseTo(looks[index]?.value ?? Number.NaN, 3);
          }
        },
      ),
    );
  });

  it('the default cap bounds the stored size of a long canary', () => {
    const spec = gateSpec('health', [
      { metric: 'failedRequestRate', max: 0.02, maxRatioToBaseline: 1.5 },
      { metric: 'modelErrorRate', max: 0.03, maxIncreaseOverBaseline: 0.01 },
      { metric: 'latencyP95', max: 800, maxRatioToBaseline: 1.25 },
    ]);
    const parts = [part('max', 0.0140515658585), part('ratio', 1.65330065123)];
    let history: EvidenceHistory | undefined;
    // Eight hours of looks every five minutes.
    for (let i = 1; i <= 96; i++) {
      const e = [
        evidence('failedRequestRate', 0.0104306864064, 0.00959947037404, { parts, passPValue: 0.0000323974627 }),
        evidence('modelErrorRate', 0.0104306864064, 0.00959947037404, { parts, passPValue: 0.000548212 }),
        evidence('latencyP95', 91.3333, 93.6666, { parts, passPValue: 1.05e-13 }),
      ];
      history = recordLooks(
        history,
        plan([spec]),
        [result('health', i, 1767609720000 + i * 5 * MIN, e)],
        { blue: 50, 'credit-model-v2': 50 },
        {},
      );
    }
    expect(history?.[0]?.looks.length).toBe(EVIDENCE_LOOKS_PER_GATE);
    // About 240 characters a look for three checks (tuples, 3 significant digits): the cap keeps a
    // gate's history near 2.5 KB of JSON (5 KB of UTF-16, how the custom status limit counts).
    expect(JSON.stringify(history).length).toBeLessThan(EVIDENCE_LOOKS_PER_GATE * 250 + 200);
  });
});
