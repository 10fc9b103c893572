import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adaptiveLook,
  judgeLook,
  nextLook,
  stepDeadline,
  timeOnlyLook,
  type BakeOrGateStep,
  type LookDecision,
  type LookRound,
} from '../../src/orchestration/bake-decider';
import { emptyProgress, queryErrorLimit, type StepProgress } from '../../src/orchestration/engine-state';
import { extendForNoData } from '../../src/orchestration/step-bounds';

const MIN = 60_000;
const T0 = 1_000 * MIN;

function bake(o: Partial<Extract<BakeOrGateStep, { kind: 'bake' }>> = {}): BakeOrGateStep {
  return {
    kind: 'bake',
    durationMinutes: 30,
    checkIntervalMinutes: 5,
    gates: ['health'],
    minRequests: 0,
    maxExtensionMinutes: 10,
    noDataOutcome: 'rollback',
    maxQueryErrors: 2,
    ...o,
  };
}
const gate: BakeOrGateStep = {
  kind: 'gate',
  gates: ['health'],
  retryIntervalMinutes: 5,
  maxExtensionMinutes: 15,
  noDataOutcome: 'extend',
  maxQueryErrors: 1,
};

function progress(o: Partial<StepProgress> = {}): StepProgress {
  return { ...emptyProgress(), startedAtMs: T0, ...o };
}

const passed: LookRound = { errors: [], allPassed: true };
const inconclusive: LookRound = { errors: [], allPassed: false };
const failed: LookRound = { failed: { gate: 'health', reason: 'error rate 9% > 2%' }, errors: [], allPassed: false };
const queryError: LookRound = { errors: ['health: timeout'], allPassed: false };

describe('nextLook: when a bake or gate step looks next', () => {
  /** A gate step's wait for its next look (the status shows that look's time). */
  const rechecking = (untilMs: number) => ({ untilMs, statusUntil: untilMs, detail: 're-checking health' });
  it.each<
    [string, BakeOrGateStep, Partial<StepProgress>, number, boolean, { untilMs: number; statusUntil: number; detail: string } | undefined]
  >([
    [
      'a bake waits one interval before its first look',
      bake(),
      {},
      T0,
      true,
      { untilMs: T0 + 5 * MIN, statusUntil: T0 + 30 * MIN, detail: 'baking' },
    ],
    [
      'never past the end of the bake',
      bake(),
      {},
      T0 + 28 * MIN,
      false,
      { untilMs: T0 + 30 * MIN, statusUntil: T0 + 30 * MIN, detail: 'baking' },
    ],
    [
      'past the end: never past the end of the extension',
      bake(),
      {},
      T0 + 38 * MIN,
      false,
      { untilMs: T0 + 40 * MIN, statusUntil: T0 + 40 * MIN, detail: 'baking' },
    ],
    [
      'paused time moves the end',
      bake(),
      { pausedMs: 7 * MIN },
      T0 + 34 * MIN,
      false,
      { untilMs: T0 + 37 * MIN, statusUntil: T0 + 37 * MIN, detail: 'baking' },
    ],
    [
      'a bake without gates waits for its end in one go',
      bake({ gates: [] }),
      {},
      T0,
      true,
      { untilMs: T0 + 30 * MIN, statusUntil: T0 + 30 * MIN, detail: 'baking' },
    ],
    ['a gate step looks at once', gate, {}, T0, true, undefined],
    // Entered again after a look: a new execution after MAX_WAITS_PER_EXECUTION rounds, or a no-data extension.
    ['a gate step entered again just after its look', gate, { lastLookAtMs: T0 + 5 * MIN }, T0 + 5 * MIN, true, rechecking(T0 + 10 * MIN)],
    ['entered again 2 min after its look', gate, { lastLookAtMs: T0 + 5 * MIN }, T0 + 7 * MIN, true, rechecking(T0 + 10 * MIN)],
    ['entered again an interval after its look (a pause)', gate, { lastLookAtMs: T0 }, T0 + 5 * MIN, true, undefined],
    ['entered again: not past the extension', gate, { lastLookAtMs: T0 + 13 * MIN }, T0 + 13 * MIN, true, rechecking(T0 + 15 * MIN)],
    [
      'after a no-data extension',
      gate,
      { startedAtMs: T0 + 15 * MIN, lastLookAtMs: T0 + 15 * MIN },
      T0 + 15 * MIN,
      true,
      rechecking(T0 + 20 * MIN),
    ],
    [
      'an extension of 0 min: one interval on',
      { ...gate, maxExtensionMinutes: 0 },
      { lastLookAtMs: T0 },
      T0,
      true,
      rechecking(T0 + 5 * MIN),
    ],
    [
      'a bake entered again waits one interval from now (now is just after its last look)',
      bake(),
      { lastLookAtMs: T0 + 20 * MIN },
      T0 + 20 * MIN,
      true,
      { untilMs: T0 + 25 * MIN, statusUntil: T0 + 30 * MIN, detail: 'baking' },
    ],
    [
      'a gate step then re-checks every retry interval',
      gate,
      {},
      T0,
      false,
      { untilMs: T0 + 5 * MIN, statusUntil: T0 + 5 * MIN, detail: 're-checking health' },
    ],
  ])('%s', (_name, step, p, now, first, expected) => {
    const next = nextLook(step, progress(p), now, first);
    if (expected === undefined) return expect(next).toBeUndefined();
    expect(next).toEqual({
      untilMs: expected.untilMs,
      waitingFor: { kind: 'timer', untilMs: expected.statusUntil, detail: expected.detail },
    });
  });

  it('no two looks of a step are closer than its interval, across executions and no-data extensions, except one at a deadline', () => {
    // The bake loop of step-machine.ts with what it cannot choose drawn at random: each look's
    // answer and how long it takes, where MAX_WAITS_PER_EXECUTION ends an execution (the next one
    // enters the step again, a little later), and the step's times.
    const lookArb = fc.record({
      round: fc.constantFrom(passed, inconclusive, queryError),
      answerMs: fc.integer({ min: 0, max: 2 * MIN }),
      newExecution: fc.boolean(),
      restartMs: fc.integer({ min: 0, max: 10 * MIN }),
    });
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.record({
          interval: fc.integer({ min: 1, max: 10 }),
          duration: fc.integer({ min: 0, max: 60 }),
          extension: fc.integer({ min: 0, max: 60 }),
          noData: fc.constantFrom('extend' as const, 'rollback' as const),
        }),
        fc.array(lookArb, { minLength: 1, maxLength: 60 }),
        (isBake, t, looks) => {
          const common = { maxExtensionMinutes: t.extension, noDataOutcome: t.noData, maxQueryErrors: 100 };
          const step: BakeOrGateStep = isBake
            ? bake({ durationMinutes: t.duration, checkIntervalMinutes: t.interval, ...common })
            : { ...gate, retryIntervalMinutes: t.interval, ...common };
          const bakeMinutes = isBake ? t.duration : 0;
          const p = progress();
          let now = T0;
          let firstRound = true;
          let lastAskMs: number | undefined;
          for (const look of looks) {
            const next = nextLook(step, p, now, firstRound);
            firstRound = false;
            if (next) now = Math.max(now, next.untilMs);
            if (lastAskMs !== undefined) {
              const gap = now - lastAskMs;
              // Sooner only for a deadline within the interval (a bake's end, the extension's end): the look at it (or just after, when an execution began late).
              const deadlines = isBake
                ? [stepDeadline(p, bakeMinutes), stepDeadline(p, bakeMinutes + t.extension)]
                : [stepDeadline(p, t.extension)];
              const forDeadline = deadlines.some((d) => lastAskMs !== undefined && lastAskMs < d && d <= now);
              expect(gap >= t.interval * MIN || forDeadline, `a look ${gap / MIN} min after the last`).toBe(true);
            }
            lastAskMs = now;
            now += look.answerMs;
            const decision = judgeLook(step, p, now, look.round);
            if (decision.kind === 'done') return;
            if (decision.kind === 'noData') {
              if (t.noData === 'rollback' || extendForNoData(p, step, now, decision.why)) return;
              // The extension's stay: the next execution enters the step again.
              firstRound = true;
            } else if (look.newExecution) firstRound = true;
            if (firstRound) now += look.restartMs;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('judgeLook: what one look means', () => {
  const kindOf = (d: LookDecision): string => (d.kind === 'done' ? `${d.kind}:${d.result.kind}` : d.kind);
  it.each<[string, BakeOrGateStep, Partial<StepProgress>, number, LookRound, string]>([
    ['a failed gate rolls back at any time', bake(), {}, T0 + 5 * MIN, failed, 'done:rollback'],
    ['all passed before the end: keep baking', bake(), {}, T0 + 25 * MIN, passed, 'again'],
    ['all passed at the end: over', bake(), {}, T0 + 30 * MIN, passed, 'done:advance'],
    ['inconclusive at the end: extend', bake(), {}, T0 + 30 * MIN, inconclusive, 'again'],
    ['inconclusive at the end of the extension: no data', bake(), {}, T0 + 40 * MIN, inconclusive, 'noData'],
    ['passed but too few requests: extend', bake({ minRequests: 500 }), { requestsSeen: 499 }, T0 + 30 * MIN, passed, 'again'],
    ['passed with enough requests: over', bake({ minRequests: 500 }), { requestsSeen: 500 }, T0 + 30 * MIN, passed, 'done:advance'],
    [
      'too few requests at the end of the extension: no data',
      bake({ minRequests: 500 }),
      { requestsSeen: 10 },
      T0 + 40 * MIN,
      passed,
      'noData',
    ],
    ['a query error within the limit: look again', bake(), { queryErrors: 1 }, T0 + 10 * MIN, queryError, 'again'],
    ['one query error more than the limit: roll back', bake(), { queryErrors: 2 }, T0 + 10 * MIN, queryError, 'done:rollback'],
    [
      'a watch after promotion ends at its end, even inconclusive',
      bake({ candidateOnly: true }),
      {},
      T0 + 30 * MIN,
      inconclusive,
      'done:advance',
    ],
    ['a watch still rolls back on a failure', bake({ candidateOnly: true }), {}, T0 + 30 * MIN, failed, 'done:rollback'],
    ['a gate step passes at once', gate, {}, T0, passed, 'done:advance'],
    ['a gate step inconclusive: look again', gate, {}, T0 + 5 * MIN, inconclusive, 'again'],
    ['a gate step past its extension: no data', gate, {}, T0 + 15 * MIN, inconclusive, 'noData'],
  ])('%s', (_name, step, p, now, round, expected) => {
    expect(kindOf(judgeLook(step, progress(p), now, round))).toBe(expected);
  });

  it('names the failed gate, asks for the gateFailed notification and says why no data', () => {
    const failure = judgeLook(bake(), progress(), T0, failed);
    expect(failure).toMatchObject({
      kind: 'done',
      gateFailed: true,
      result: { kind: 'rollback', outcome: 'rolledBack', reason: "gate 'health' failed: error rate 9% > 2%" },
    });
    expect(judgeLook(bake({ minRequests: 500 }), progress({ requestsSeen: 10 }), T0 + 40 * MIN, passed)).toMatchObject({
      kind: 'noData',
      why: 'the candidate served 10 requests, 500 needed, after 40 min',
    });
    expect(judgeLook(bake(), progress(), T0 + 40 * MIN, inconclusive)).toMatchObject({
      kind: 'noData',
      why: 'gates stayed inconclusive for 40 min',
    });
  });

  it('a plain bake (no gates) is over when its time is up; a bake with gates is judgeLook’s', () => {
    expect(timeOnlyLook(bake({ gates: [] }), progress(), T0 + 29 * MIN)?.kind).toBe('again');
    expect(timeOnlyLook(bake({ gates: [] }), progress(), T0 + 30 * MIN)?.kind).toBe('done');
    expect(timeOnlyLook(bake(), progress(), T0 + 30 * MIN)).toBeUndefined();
  });

  it('any sequence of looks ends by the end of the extension, and rolls back exactly when query errors exceed the limit', () => {
    const roundArb = fc.constantFrom(passed, inconclusive, queryError, failed);
    fc.assert(
      fc.property(fc.boolean(), fc.array(roundArb, { minLength: 1, maxLength: 40 }), fc.nat({ max: 1000 }), (isBake, rounds, requests) => {
        const step = isBake ? bake({ minRequests: 500 }) : gate;
        const p = progress({ requestsSeen: requests });
        let now = T0;
        let first = true;
        for (const round of rounds) {
          const next = nextLook(step, p, now, first);
          first = false;
          if (next) {
            // Time only moves forward, and never past the extension's end.
            expect(next.untilMs).toBeGreaterThanOrEqual(now);
            now = next.untilMs;
          }
          expect(now).toBeLessThanOrEqual(Math.max(stepDeadline(p, (isBake ? 30 : 0) + step.maxExtensionMinutes), T0));
          const errorsBefore = p.queryErrors;
          const decision = judgeLook(step, p, now, round);
          if (round === queryError) expect(p.queryErrors).toBe(errorsBefore + 1);
          else expect(p.queryErrors).toBe(errorsBefore);
          const rolledBackForErrors = decision.kind === 'done' && decision.result.kind === 'rollback' && round === queryError;
          expect(rolledBackForErrors).toBe(round === queryError && p.queryErrors > queryErrorLimit(step));
          if (decision.kind !== 'again') return;
          // A step that looks again is never past its extension's end.
          expect(now).toBeLessThan(stepDeadline(p, (isBake ? 30 : 0) + step.maxExtensionMinutes));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('adaptive bakes: the decider rule (issue 12)', () => {
  const adaptiveBake = bake({
    durationMinutes: 60,
    maxExtensionMinutes: 10,
    adaptive: { minBakeMinutes: 15, maxBakeMinutes: 90, minRequests: 500, confidence: 0.95, margins: { failureRate: 0.01 } },
  });
  const arm = (requests: number, failures: number) => ({ requests, failures, latenciesSorted: [] });
  const healthy = { candidate: arm(3000, 30), baseline: arm(27000, 270) };
  const thin = { candidate: arm(100, 1), baseline: arm(27000, 270) };
  const worse = { candidate: arm(3000, 150), baseline: arm(27000, 270) };

  it.each<
    [
      string,
      BakeOrGateStep,
      number,
      { candidate: ReturnType<typeof arm>; baseline: ReturnType<typeof arm> } | undefined,
      string | undefined,
    ]
  >([
    ['not adaptive: the rule is not asked', bake(), T0 + 20 * MIN, healthy, undefined],
    ['no readable data: the fixed rules decide', adaptiveBake, T0 + 20 * MIN, undefined, undefined],
    ['before the minimum bake: wait', adaptiveBake, T0 + 10 * MIN, healthy, 'wait'],
    ['after the minimum bake, shown no worse: end', adaptiveBake, T0 + 20 * MIN, healthy, 'end'],
    ['clearly worse: never ends early', adaptiveBake, T0 + 20 * MIN, worse, 'wait'],
    ['thin traffic past the fixed bake: extend', adaptiveBake, T0 + 65 * MIN, thin, 'extend'],
    ['thin traffic at maxBakeMinutes: back to the fixed rules', adaptiveBake, T0 + 90 * MIN, thin, 'schedule'],
  ])('%s', (_name, step, now, arms, expected) => {
    expect(adaptiveLook(step, progress(), now, arms)?.action).toBe(expected);
  });

  it('an early end advances the step, journals the evidence and shows the rule on the status', () => {
    const p = progress();
    const decision = judgeLook(adaptiveBake, p, T0 + 20 * MIN, inconclusive, adaptiveLook(adaptiveBake, p, T0 + 20 * MIN, healthy));
    expect(decision).toMatchObject({ kind: 'done', result: { kind: 'advance' } });
    expect(decision.notes.join(' ')).toMatch(
      /^adaptive bake: end: no worse than live within the margins .*failure rate shown within live \+ 0\.01/,
    );
    const waiting = progress();
    judgeLook(adaptiveBake, waiting, T0 + 10 * MIN, inconclusive, adaptiveLook(adaptiveBake, waiting, T0 + 10 * MIN, healthy));
    expect(nextLook(adaptiveBake, waiting, T0 + 10 * MIN, false)?.waitingFor.detail).toBe(
      'baking (adaptive: wait: minimum bake runs until 15 min)',
    );
  });

  it('a failed gate still rolls back, whatever the adaptive rule says', () => {
    const p = progress();
    expect(judgeLook(adaptiveBake, p, T0 + 20 * MIN, failed, adaptiveLook(adaptiveBake, p, T0 + 20 * MIN, healthy))).toMatchObject({
      kind: 'done',
      result: { kind: 'rollback' },
    });
  });

  it('thin traffic extends the bake up to maxBakeMinutes, beyond the fixed extension', () => {
    expect(judgeLook(adaptiveBake, progress(), T0 + 80 * MIN, inconclusive).kind).toBe('again');
    expect(judgeLook(adaptiveBake, progress(), T0 + 90 * MIN, inconclusive).kind).toBe('noData');
    expect(judgeLook(bake({ durationMinutes: 60, maxExtensionMinutes: 10 }), progress(), T0 + 70 * MIN, inconclusive).kind).toBe('noData');
  });
});
