import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GateResult, MetricEvidence } from '../../src/analysis/types';
import type { EvidenceHistory } from '../../src/plan/evidence-history';
import { customStatusRefusal, fitStatusToBudget, STATUS_BUDGET_BYTES, utf16Bytes } from '../../src/plan/status-budget';
import { rolloutStatusSchema, type JournalEntry, type RolloutStatus } from '../../src/plan/types';

const MIN = 60_000;
const size = (status: RolloutStatus) => utf16Bytes(JSON.stringify(status));

interface Shape {
  readonly journal: number;
  readonly messageLength: number;
  readonly historyGates: number;
  readonly looks: number;
  readonly gates: number;
  readonly metrics: number;
  readonly parts: number;
}

function journalEntry(i: number, messageLength: number): JournalEntry {
  return {
    atMs: i * MIN,
    step: i % 7,
    phase: 'Progressing',
    message: `entry ${i} `.padEnd(messageLength, 'x'),
    traffic: { blue: 90, green: 10 },
    mirror: {},
  };
}

function metric(name: string, parts: number): MetricEvidence {
  return {
    metric: name,
    verdict: 'pass',
    candidate: 0.0123,
    baseline: 0.0119,
    samples: { candidate: 512, baseline: 4608 },
    threshold: '<= 1.5x baseline',
    test: 'two-proportion z (one-sided)',
    pValue: 0.412,
    reason: `${name} within its threshold`,
    ...(parts > 0
      ? {
          parts: Array.from({ length: parts }, (_, i) => ({
            kind: 'ratio' as const,
            verdict: 'pass' as const,
            threshold: `part ${i}`,
            test: 'two-proportion z',
            reason: 'candidate within 1.5x of the baseline',
            bound: 0.018,
          })),
        }
      : {}),
  };
}

function gateResult(name: string, metrics: number, parts: number): GateResult {
  return {
    gate: name,
    verdict: 'pass',
    look: 3,
    checkedAtMs: 30 * MIN,
    window: { fromMs: 20 * MIN, toMs: 30 * MIN },
    candidate: 'green',
    baseline: 'blue',
    evidence: Array.from({ length: metrics }, (_, i) => metric(`metric-${i}`, parts)),
    reason: `${name} passed`,
  };
}

function history(gates: number, looks: number): EvidenceHistory {
  return Array.from({ length: gates }, (_, g) => ({
    gate: `gate-${g}`,
    recorded: looks,
    checks: [{ metric: 'errorRate', threshold: '<= 0.02' }],
    looks: Array.from({ length: looks }, (_, i) => ({
      n: i + 1,
      t: (i + 1) * MIN,
      v: 'p' as const,
      s: [10, 90, 0] as [number, number, number],
      r: [500, 4500] as [number, number],
      k: [['p', 0.0123, 0.0119, null, 0.02, 0.011, 0.0135, 0.412] as ['p', ...(number | null)[]]],
    })),
  }));
}

function status(shape: Shape): RolloutStatus {
  return {
    rolloutId: 'credit-scoring--credit-model-v2--030ae912ef',
    policy: 'default',
    strategy: 'canary',
    endpoint: 'credit-scoring',
    model: 'credit-model',
    version: '2',
    baseline: 'blue',
    candidate: 'green',
    phase: 'Baking',
    step: { index: 4, count: 9, kind: 'bake', description: 'bake 30 minutes, checking latency and errors' },
    traffic: { blue: 90, green: 10 },
    mirror: {},
    gates: Array.from({ length: shape.gates }, (_, i) => gateResult(`gate-${i}`, shape.metrics, shape.parts)),
    waitingFor: { kind: 'timer', untilMs: 40 * MIN, detail: 'next look at minute 40' },
    approvals: [],
    overrides: [],
    paused: false,
    startedAtMs: 0,
    updatedAtMs: 35 * MIN,
    reason: 'baking',
    journal: Array.from({ length: shape.journal }, (_, i) => journalEntry(i, shape.messageLength)),
    ...(shape.historyGates > 0 ? { evidenceHistory: history(shape.historyGates, shape.looks) } : {}),
  };
}

/** What the budget must never touch. */
function core(s: RolloutStatus) {
  return {
    phase: s.phase,
    outcome: s.outcome,
    reason: s.reason,
    step: s.step,
    traffic: s.traffic,
    mirror: s.mirror,
    waitingFor: s.waitingFor,
    approvals: s.approvals,
  };
}

const small: Shape = { journal: 5, messageLength: 60, historyGates: 1, looks: 3, gates: 1, metrics: 1, parts: 1 };
const long: Shape = { journal: 40, messageLength: 120, historyGates: 2, looks: 10, gates: 2, metrics: 3, parts: 3 };

describe('customStatusRefusal: the extension test floor(UTF-16 bytes / 1024) > 16', () => {
  it.each([
    { name: 'empty object', chars: 0, refused: false },
    { name: 'exactly 16 KB', chars: 8192, refused: false },
    { name: 'one byte pair short of 17 KB (floor is still 16)', chars: 8703, refused: false },
    { name: 'exactly 17 KB', chars: 8704, refused: true },
    { name: '20 KB', chars: 10240, refused: true },
  ])('$name', ({ chars, refused }) => {
    const json = JSON.stringify('x'.repeat(Math.max(chars - 2, 0)));
    const message = customStatusRefusal(chars === 0 ? '{}' : json);
    expect(message !== undefined).toBe(refused);
    if (refused)
      expect(message).toBe(
        `The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is ${Math.floor((chars * 2) / 1024)} KB.`,
      );
  });

  it('counts UTF-16 code units, so a character outside the BMP counts 4 bytes', () => {
    expect(utf16Bytes('"😀"')).toBe(8);
  });
});

describe('fitStatusToBudget: table', () => {
  it('leaves a status that fits untouched (the same object)', () => {
    const s = status(small);
    expect(fitStatusToBudget(s)).toBe(s);
  });

  it('drops the oldest journal entries first, counts them and keeps everything else', () => {
    const s = status({ ...long, historyGates: 0, gates: 0 });
    expect(size(s)).toBeGreaterThan(STATUS_BUDGET_BYTES);
    const fitted = fitStatusToBudget(s);
    expect(size(fitted)).toBeLessThanOrEqual(STATUS_BUDGET_BYTES);
    expect(fitted.journalDropped).toBeGreaterThan(0);
    expect(fitted.journal.length + (fitted.journalDropped ?? 0)).toBe(s.journal.length);
    expect(fitted.journal).toEqual(s.journal.slice(s.journal.length - fitted.journal.length));
    // The fewest entries dropped: one more entry would not fit.
    const oneMore = { ...fitted, journal: s.journal.slice(s.journal.length - fitted.journal.length - 1) };
    expect(size(oneMore)).toBeGreaterThan(STATUS_BUDGET_BYTES);
  });

  it('adds to a journalDropped the status already carries', () => {
    const s = { ...status({ ...long, historyGates: 0, gates: 0 }), journalDropped: 7 };
    const fitted = fitStatusToBudget(s);
    expect(fitted.journal.length + (fitted.journalDropped ?? 0)).toBe(s.journal.length + 7);
  });

  it('thins the evidence history once the journal is down to its newest entry, keeping each gate’s first and latest look', () => {
    const s = status({ ...long, journal: 3, historyGates: 8, looks: 10, gates: 1, metrics: 1, parts: 0 });
    expect(size({ ...s, journal: s.journal.slice(-1) })).toBeGreaterThan(STATUS_BUDGET_BYTES);
    const fitted = fitStatusToBudget(s);
    expect(size(fitted)).toBeLessThanOrEqual(STATUS_BUDGET_BYTES);
    expect(fitted.journal).toEqual(s.journal.slice(-1));
    expect(fitted.journalDropped).toBe(2);
    expect(fitted.gates).toEqual(s.gates);
    for (const [g, gate] of (fitted.evidenceHistory ?? []).entries()) {
      const before = s.evidenceHistory?.[g];
      expect(gate.looks.length).toBeLessThan(10);
      expect(gate.looks[0]).toEqual(before?.looks[0]);
      expect(gate.looks.at(-1)).toEqual(before?.looks.at(-1));
      expect(gate.recorded).toBe(10);
    }
  });

  it('then drops the per-threshold parts of the last gate results, keeping each metric’s numbers', () => {
    const s = status({ ...long, journal: 1, historyGates: 1, looks: 2, gates: 3, metrics: 4, parts: 4 });
    expect(size(s)).toBeGreaterThan(STATUS_BUDGET_BYTES);
    const fitted = fitStatusToBudget(s);
    expect(size(fitted)).toBeLessThanOrEqual(STATUS_BUDGET_BYTES);
    expect(fitted.evidenceHistory).toEqual(s.evidenceHistory);
    for (const [g, gate] of fitted.gates.entries()) {
      for (const [m, e] of gate.evidence.entries()) {
        const { parts, ...rest } = s.gates[g]?.evidence[m] as MetricEvidence;
        expect(parts).toBeDefined();
        expect(e).toEqual(rest);
      }
    }
  });

  it('as a last resort drops the history and then the gates’ per-metric evidence, never what the rollout is doing', () => {
    const s = status({ ...long, journal: 1, historyGates: 2, looks: 2, gates: 12, metrics: 8, parts: 0 });
    const fitted = fitStatusToBudget(s);
    expect(size(fitted)).toBeLessThanOrEqual(STATUS_BUDGET_BYTES);
    expect(fitted.evidenceHistory).toBeUndefined();
    expect(fitted.gates.map((g) => [g.gate, g.verdict, g.reason])).toEqual(s.gates.map((g) => [g.gate, g.verdict, g.reason]));
    expect(core(fitted)).toEqual(core(s));
  });

  it('returns its best effort when what it never drops is over the budget itself', () => {
    const s = { ...status(small), reason: 'r'.repeat(STATUS_BUDGET_BYTES) };
    const fitted = fitStatusToBudget(s);
    expect(core(fitted)).toEqual(core(s));
    expect(fitted.journal).toEqual(s.journal.slice(-1));
  });
});

describe('fitStatusToBudget: property', () => {
  const shapes = fc.record({
    journal: fc.integer({ min: 0, max: 40 }),
    messageLength: fc.integer({ min: 10, max: 300 }),
    historyGates: fc.integer({ min: 0, max: 6 }),
    looks: fc.integer({ min: 1, max: 10 }),
    gates: fc.integer({ min: 0, max: 6 }),
    metrics: fc.integer({ min: 0, max: 6 }),
    parts: fc.integer({ min: 0, max: 4 }),
  });
  const budgets = fc.integer({ min: 6 * 1024, max: 20 * 1024 });

  it('always fits, always parses as a status, keeps the newest journal entry and never touches what the rollout is doing', () => {
    fc.assert(
      fc.property(shapes, budgets, (shape, budget) => {
        const s = status(shape);
        const fitted = fitStatusToBudget(s, budget);
        expect(size(fitted)).toBeLessThanOrEqual(budget);
        expect(rolloutStatusSchema.safeParse(fitted).success).toBe(true);
        expect(core(fitted)).toEqual(core(s));
        expect(fitted.journal.at(-1)).toEqual(s.journal.at(-1));
        expect(fitted.journal.length + (fitted.journalDropped ?? 0)).toBe(s.journal.length);
        // Deterministic, and fitting a fitted status changes nothing.
        expect(fitStatusToBudget(s, budget)).toEqual(fitted);
        expect(fitStatusToBudget(fitted, budget)).toEqual(fitted);
      }),
      { numRuns: 150 },
    );
  });
});
