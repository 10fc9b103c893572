import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  judgeAgreement,
  parsePredictionPath,
  readPrediction,
  type AgreementAnswer,
  type AgreementPair,
} from '../../src/analysis/agreement';
import { gateSpecProblems } from '../../src/analysis/spec';
import type { AgreementSpec, GateSpec } from '../../src/analysis/types';

const ok = (body: unknown): AgreementAnswer => ({ ok: true, body });
const failed: AgreementAnswer = { ok: false, detail: 'HTTP 424' };

function labelSpec(rows: number, overrides: Partial<AgreementSpec> = {}): AgreementSpec {
  return {
    rows: Array.from({ length: rows }, (_, i) => ({ id: i })),
    predictionPath: '$.label',
    compare: { kind: 'label' },
    minAgreement: 0.9,
    minComparedRows: 1,
    maxExamples: 3,
    ...overrides,
  };
}

function numericSpec(rows: number, overrides: Partial<AgreementSpec> = {}): AgreementSpec {
  return {
    ...labelSpec(rows),
    predictionPath: '$.score',
    compare: { kind: 'numeric', absoluteTolerance: 0.01, relativeTolerance: 0 },
    ...overrides,
  };
}

/** `agree` pairs with the same label, then `disagree` pairs with different ones. */
function labelPairs(agree: number, disagree: number): AgreementPair[] {
  return [
    ...Array.from({ length: agree }, () => ({ baseline: ok({ label: 'approve' }), candidate: ok({ label: 'approve' }) })),
    ...Array.from({ length: disagree }, () => ({ baseline: ok({ label: 'approve' }), candidate: ok({ label: 'decline' }) })),
  ];
}

describe('prediction paths', () => {
  it.each([
    ['$', { a: 1 }, { a: 1 }],
    ['$.label', { label: 'yes' }, 'yes'],
    ['$.predictions[1]', { predictions: [0.1, 0.7] }, 0.7],
    ['$["odd key"].x', { 'odd key': { x: false } }, false],
    ['$[0].score', [{ score: 3 }], 3],
    ['$.missing', { label: 'yes' }, undefined],
    ['$.label[0]', { label: 'yes' }, undefined],
    ['$.a.b', { a: null }, undefined],
  ])('%s reads %j as %j', (path, body, expected) => {
    const segments = parsePredictionPath(path);
    expect(typeof segments).not.toBe('string');
    expect(readPrediction(body, segments as (string | number)[])).toEqual(expected);
  });

  it.each([
    ['label', 'must start with "$"'],
    ['$.predictions[*]', 'at character 14'],
    ['$..label', 'at character 2'],
    ['$.a[?(@.x)]', 'at character 4'],
  ])('%s is rejected: %s', (path, message) => {
    const result = parsePredictionPath(path);
    expect(typeof result).toBe('string');
    expect(result).toContain(message);
  });
});

describe('judging agreement (table)', () => {
  it.each([
    // agree, disagree, minAgreement, verdict
    [100, 0, 0.95, 'pass'],
    [95, 5, 0.95, 'pass'],
    [94, 6, 0.95, 'fail'],
    [85, 15, 0.95, 'fail'],
    [85, 15, 0.85, 'pass'],
    [0, 10, 0, 'pass'],
  ] as const)('%i agreeing, %i disagreeing, threshold %d: %s', (agree, disagree, minAgreement, verdict) => {
    const spec = labelSpec(agree + disagree, { minAgreement });
    const judged = judgeAgreement(spec, labelPairs(agree, disagree));
    expect(judged.verdict).toBe(verdict);
    expect(judged.evidence.agreed).toBe(agree);
    expect(judged.evidence.disagreed).toBe(disagree);
    expect(judged.evidence.agreementRate).toBeCloseTo(agree / (agree + disagree), 12);
    expect(judged.metrics[0]?.metric).toBe('predictionAgreement');
  });

  it('rows a side did not answer, or without a baseline prediction, are counted apart and not compared', () => {
    const pairs: AgreementPair[] = [
      { baseline: ok({ label: 'a' }), candidate: failed },
      { baseline: failed, candidate: ok({ label: 'a' }) },
      { baseline: ok({ other: 1 }), candidate: ok({ label: 'a' }) },
      { baseline: ok({ label: 'a' }), candidate: ok({ other: 1 }) },
      { baseline: ok({ label: 'a' }), candidate: ok({ label: 'a' }) },
    ];
    const judged = judgeAgreement(labelSpec(5, { minComparedRows: 2, minAgreement: 0.5 }), pairs);
    expect(judged.evidence).toMatchObject({
      rows: 5,
      unanswered: 2,
      unreadable: 1,
      compared: 2,
      agreed: 1,
      disagreed: 1,
      agreementRate: 0.5,
    });
    expect(judged.evidence.examples).toEqual([{ row: 3, input: '{"id":3}', baseline: '"a"', candidate: '(no prediction)' }]);
    expect(judged.verdict).toBe('pass');
  });

  it('too few compared rows is inconclusive, never a pass or a fail', () => {
    const pairs = [...labelPairs(0, 2), { baseline: failed, candidate: failed }];
    const judged = judgeAgreement(labelSpec(3, { minComparedRows: 3 }), pairs);
    expect(judged.verdict).toBe('inconclusive');
    expect(judged.reason).toContain('2 rows compared, 3 needed');
  });

  it('labels compare as JSON values: key order does not matter, types do', () => {
    const pairs: AgreementPair[] = [
      { baseline: ok({ label: { a: 1, b: [1, 2] } }), candidate: ok({ label: { b: [1, 2], a: 1 } }) },
      { baseline: ok({ label: 1 }), candidate: ok({ label: '1' }) },
    ];
    const judged = judgeAgreement(labelSpec(2, { minAgreement: 0.5 }), pairs);
    expect(judged.evidence.agreed).toBe(1);
    expect(judged.evidence.examples[0]).toMatchObject({ row: 1, baseline: '1', candidate: '"1"' });
  });

  it.each([
    // baseline, candidate, absolute tolerance, relative tolerance, agrees
    [0.5, 0.505, 0.01, 0, true],
    [0.5, 0.52, 0.01, 0, false],
    [100, 104, 0, 0.05, true],
    [100, 106, 0, 0.05, false],
    [0, 0.001, 0, 0.5, false],
    [0, 0, 0, 0, true],
    [1, '1', 1, 1, false],
  ] as const)('numeric %j vs %j within ±%d or ±%d x baseline: %s', (baseline, candidate, absoluteTolerance, relativeTolerance, agrees) => {
    const spec = numericSpec(1, { compare: { kind: 'numeric', absoluteTolerance, relativeTolerance } });
    const judged = judgeAgreement(spec, [{ baseline: ok({ score: baseline }), candidate: ok({ score: candidate }) }]);
    expect(judged.evidence.agreed).toBe(agrees ? 1 : 0);
  });

  it('numeric comparisons report and judge the mean absolute and relative differences', () => {
    const pairs: AgreementPair[] = [
      { baseline: ok({ score: 1 }), candidate: ok({ score: 1.1 }) },
      { baseline: ok({ score: 2 }), candidate: ok({ score: 2.3 }) },
    ];
    const spec = numericSpec(2, { minAgreement: 0, maxMeanAbsoluteDifference: 0.15, maxMeanRelativeDifference: 0.2 });
    const judged = judgeAgreement(spec, pairs);
    expect(judged.evidence.meanAbsoluteDifference).toBeCloseTo(0.2, 12);
    expect(judged.evidence.meanRelativeDifference).toBeCloseTo(0.125, 12);
    expect(judged.metrics.map((m) => [m.metric, m.verdict])).toEqual([
      ['predictionAgreement', 'pass'],
      ['predictionMeanAbsoluteDifference', 'fail'],
      ['predictionMeanRelativeDifference', 'pass'],
    ]);
    expect(judged.verdict).toBe('fail');
  });

  it.each([
    [{ kind: 'label' as const }, 'equal labels at $.score'],
    [{ kind: 'numeric' as const, absoluteTolerance: 0.01, relativeTolerance: 0 }, 'numbers at $.score within ±0.01'],
    [{ kind: 'numeric' as const, absoluteTolerance: 0, relativeTolerance: 0.05 }, 'numbers at $.score within ±5% of the live value'],
    [
      { kind: 'numeric' as const, absoluteTolerance: 0.01, relativeTolerance: 0.05 },
      'numbers at $.score within ±0.01 or ±5% of the live value',
    ],
    [{ kind: 'numeric' as const, absoluteTolerance: 0, relativeTolerance: 0 }, 'numbers at $.score within ±0'],
  ])('the evidence names only the tolerances set: %j -> %s', (compare, expected) => {
    const judged = judgeAgreement(numericSpec(1, { compare }), [{ baseline: ok({ score: 1 }), candidate: ok({ score: 1 }) }]);
    expect(judged.evidence.comparison).toBe(expected);
  });

  it('quotes at most maxExamples disagreeing rows, in dataset order, shortened', () => {
    const spec = labelSpec(10, { maxExamples: 2, rows: Array.from({ length: 10 }, (_, i) => ({ id: i, text: 'x'.repeat(500) })) });
    const judged = judgeAgreement(spec, labelPairs(4, 6));
    expect(judged.evidence.examples.map((e) => e.row)).toEqual([4, 5]);
    expect(judged.evidence.examples[0]?.input.length).toBeLessThanOrEqual(160);
  });
});

describe('judging agreement (properties)', () => {
  const outcome = fc.constantFrom('agree', 'disagree', 'candidateFails', 'baselineFails', 'noBaselinePrediction');
  const pairOf = (o: string): AgreementPair => {
    switch (o) {
      case 'agree':
        return { baseline: ok({ label: 1 }), candidate: ok({ label: 1 }) };
      case 'disagree':
        return { baseline: ok({ label: 1 }), candidate: ok({ label: 2 }) };
      case 'candidateFails':
        return { baseline: ok({ label: 1 }), candidate: failed };
      case 'baselineFails':
        return { baseline: failed, candidate: ok({ label: 1 }) };
      default:
        return { baseline: ok({}), candidate: ok({ label: 1 }) };
    }
  };

  it('counts add up, the rate is agreed/compared, and the verdict follows the threshold', () => {
    fc.assert(
      fc.property(
        fc.array(outcome, { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 5 }),
        (outcomes, minAgreement, minCompared, maxExamples) => {
          const spec = labelSpec(outcomes.length, { minAgreement, minComparedRows: minCompared, maxExamples });
          const e = judgeAgreement(spec, outcomes.map(pairOf));
          const count = (o: string) => outcomes.filter((x) => x === o).length;
          expect(e.evidence.rows).toBe(outcomes.length);
          expect(e.evidence.compared + e.evidence.unanswered + e.evidence.unreadable).toBe(outcomes.length);
          expect(e.evidence.agreed).toBe(count('agree'));
          expect(e.evidence.disagreed).toBe(count('disagree'));
          expect(e.evidence.examples.length).toBe(Math.min(maxExamples, count('disagree')));
          const compared = e.evidence.compared;
          if (compared < minCompared) expect(e.verdict).toBe('inconclusive');
          else expect(e.verdict).toBe(count('agree') / compared >= minAgreement ? 'pass' : 'fail');
        },
      ),
    );
  });

  it('turning an agreeing row into a disagreeing one never improves the verdict', () => {
    const rank = { pass: 0, inconclusive: 1, fail: 2 } as const;
    fc.assert(
      fc.property(
        fc.array(outcome, { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (outcomes, minAgreement) => {
          const index = outcomes.indexOf('agree');
          fc.pre(index >= 0);
          const worse = outcomes.map((o, i) => (i === index ? 'disagree' : o));
          const spec = labelSpec(outcomes.length, { minAgreement });
          expect(rank[judgeAgreement(spec, worse.map(pairOf)).verdict]).toBeGreaterThanOrEqual(
            rank[judgeAgreement(spec, outcomes.map(pairOf)).verdict],
          );
        },
      ),
    );
  });
});

describe('agreement gate specs', () => {
  const base: GateSpec = {
    name: 'agree',
    checks: [],
    customMetrics: [],
    confidence: 0.95,
    minRequestsPerDeployment: 1,
    windowMinutes: 1,
    ingestionDelayMinutes: 0,
    plannedLooks: 1,
  };

  it('a valid agreement gate has no problems', () => {
    expect(gateSpecProblems({ ...base, agreement: labelSpec(5) })).toEqual([]);
  });

  it.each([
    [{ rows: [] }, 'gates.agree.agreement.dataset: expected at least one row'],
    [{ predictionPath: 'label' }, 'gates.agree.agreement.predictionPath: must start with "$"'],
    [{ minAgreement: 1.5 }, 'gates.agree.agreement.minAgreement: expected a share in [0, 1]'],
    [{ minComparedRows: 9 }, "gates.agree.agreement.minComparedRows: 9 is more than the dataset's 5 rows"],
    [{ maxMeanAbsoluteDifference: 0.1 }, 'gates.agree.agreement.maxMeanAbsoluteDifference: applies to numeric comparisons only'],
    [
      { compare: { kind: 'numeric', absoluteTolerance: -1, relativeTolerance: 0 } },
      'gates.agree.agreement.tolerance.absolute: expected a number >= 0',
    ],
  ] as const)('%j: %s', (overrides, message) => {
    const problems = gateSpecProblems({ ...base, agreement: { ...labelSpec(5), ...(overrides as Partial<AgreementSpec>) } });
    expect(problems.join('\n')).toContain(message);
  });

  it('an agreement gate with metric checks is rejected', () => {
    expect(gateSpecProblems({ ...base, checks: [{ metric: 'latencyP95', max: 1 }], agreement: labelSpec(5) }).join('\n')).toContain(
      'holds no metric checks',
    );
  });
});
