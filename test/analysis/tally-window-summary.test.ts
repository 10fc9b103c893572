import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/analysis/evaluate';
import { summarizeGateResult } from '../../src/analysis/summary';
import type { GateObservation, GateTallyLimits } from '../../src/analysis/tally';
import { EMPTY_GATE_TALLY, updateGateTally } from '../../src/analysis/tally';
import { checkWindow, firstFullWindowAtMs } from '../../src/analysis/window';
import { context, gate, latencies, seededRandom, trafficRow } from './helpers';

describe('checkWindow', () => {
  it('ends at now minus the ingestion delay and looks back windowMinutes', () => {
    const now = Date.UTC(2026, 10, 23, 10, 30, 0);
    expect(checkWindow(now, { windowMinutes: 10, ingestionDelayMinutes: 5 })).toEqual({
      fromMs: Date.UTC(2026, 10, 23, 10, 15, 0),
      toMs: Date.UTC(2026, 10, 23, 10, 25, 0),
    });
    expect(checkWindow(now, { windowMinutes: 1, ingestionDelayMinutes: 0 }).toMs).toBe(now);
  });
  it('starts at sinceMs when given (A/B: the whole test), never empty', () => {
    const now = Date.UTC(2026, 10, 23, 10, 30, 0);
    const spec = { windowMinutes: 10, ingestionDelayMinutes: 5 };
    expect(checkWindow(now, spec, Date.UTC(2026, 10, 23, 9, 0, 0))).toEqual({
      fromMs: Date.UTC(2026, 10, 23, 9, 0, 0),
      toMs: Date.UTC(2026, 10, 23, 10, 25, 0),
    });
    expect(checkWindow(now, spec, now)).toEqual({ fromMs: Date.UTC(2026, 10, 23, 10, 25, 0) - 1, toMs: Date.UTC(2026, 10, 23, 10, 25, 0) });
    expect(() => checkWindow(now, spec, Number.NaN)).toThrow(/sinceMs/);
  });
  it('gives the first moment a full window exists', () => {
    expect(firstFullWindowAtMs(1_000_000, { windowMinutes: 10, ingestionDelayMinutes: 5 })).toBe(1_000_000 + 15 * 60_000);
  });
  it.each([
    [Number.NaN, { windowMinutes: 5, ingestionDelayMinutes: 5 }, /nowMs/],
    [0, { windowMinutes: 0, ingestionDelayMinutes: 5 }, /windowMinutes/],
    [0, { windowMinutes: 5, ingestionDelayMinutes: -1 }, /ingestionDelayMinutes/],
  ])('refuses bad input %#', (now, spec, message) => {
    expect(() => checkWindow(now, spec)).toThrow(message);
  });
});

describe('updateGateTally', () => {
  const limits: GateTallyLimits = { maxConsecutiveErrors: 2, maxExtensionMinutes: 30, retryIntervalMinutes: 10, noDataOutcome: 'rollback' };
  const run = (observations: GateObservation[], l: GateTallyLimits = limits) => {
    let tally = EMPTY_GATE_TALLY;
    const actions: string[] = [];
    for (const o of observations) {
      const step = updateGateTally(tally, o, l);
      tally = step.tally;
      actions.push(step.action);
    }
    return { tally, actions };
  };
  const v = (verdict: 'pass' | 'fail' | 'inconclusive'): GateObservation => ({ kind: 'verdict', verdict });
  const e: GateObservation = { kind: 'error', reason: 'PartialFailure' };

  it.each([
    ['pass continues', [v('pass')], ['continue']],
    ['fail fails', [v('fail')], ['fail']],
    [
      'inconclusive extends until the extension time is used',
      [v('inconclusive'), v('inconclusive'), v('inconclusive'), v('inconclusive')],
      ['extend', 'extend', 'extend', 'noData'],
    ],
    ['errors are tolerated up to the limit in a row', [e, e, e], ['extend', 'extend', 'noData']],
    ['a successful look resets the error streak', [e, e, v('inconclusive'), e], ['extend', 'extend', 'extend', 'noData']],
    ['an error is never a fail', [e, v('pass')], ['extend', 'continue']],
  ] as const)('%s', (_name, observations, expected) => {
    expect(run([...observations]).actions).toEqual(expected);
  });

  it('counts errors apart from inconclusive looks and reports the no-data outcome', () => {
    const step = updateGateTally({ ...EMPTY_GATE_TALLY, consecutiveErrors: 2, errors: 2, looks: 2 }, e, limits);
    expect(step.action).toBe('noData');
    expect(step.noDataOutcome).toBe('rollback');
    expect(step.reason).toMatch(/3 consecutive query errors/);
    expect(step.tally).toMatchObject({ errors: 3, inconclusive: 0, looks: 3, lastError: 'PartialFailure' });
  });

  it('honours maxInconclusive and looks inside the planned time', () => {
    expect(run([v('inconclusive'), v('inconclusive')], { ...limits, maxInconclusive: 1 }).actions).toEqual(['extend', 'noData']);
    const step = updateGateTally(EMPTY_GATE_TALLY, v('inconclusive'), limits, { extensionMinutes: 0 });
    expect(step.action).toBe('extend');
    expect(step.tally.extensionMinutesUsed).toBe(0);
    expect(step.waitMinutes).toBe(10);
  });

  it('refuses bad limits', () => {
    expect(() => updateGateTally(EMPTY_GATE_TALLY, v('pass'), { ...limits, retryIntervalMinutes: 0 })).toThrow(/retryIntervalMinutes/);
  });
});

describe('summarizeGateResult', () => {
  it('reads well: verdict, look, window, each check with numbers, test outcome and alpha', () => {
    const rng = seededRandom(5);
    const result = evaluateGate(
      gate([
        { metric: 'errorRate5xx', max: 0.02, critical: true },
        { metric: 'latencyP95', maxRatioToBaseline: 1.2 },
      ]),
      {
        traffic: [
          trafficRow('green', { requests: 1000, failed: 100, latencies: latencies(rng, 1000, 100) }),
          trafficRow('blue', { requests: 1000, failed: 5, latencies: latencies(rng, 1000, 100) }),
        ],
      },
      context(2),
    );
    const text = summarizeGateResult(result);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Gate "health" FAIL at look 2/5 (window 10:00-10:05 UTC, green vs blue): critical check failed: errorRate5xx');
    expect(lines[1]).toMatch(
      /^- errorRate5xx \[critical\] FAIL: green 10\.0% vs blue 0\.50% \(n=1000\/1000\); <= 0\.02 fail, p=.* vs alpha 0\.0\d+/,
    );
    expect(lines[2]).toMatch(/^- latencyP95 PASS: green \d+ ms vs blue \d+ ms/);
    expect(lines[3]).toMatch(/Pocock-type: alpha 0\.0\d+ this look, 0\.0\d+ of 0\.05 spent so far/);
  });

  it('explains an inconclusive check without numbers', () => {
    const result = evaluateGate(gate([{ metric: 'errorRate5xx', max: 0.02 }]), { traffic: [] }, context());
    expect(summarizeGateResult(result)).toMatch(/errorRate5xx INCONCLUSIVE: green n\/a .*too few requests/);
  });
});
