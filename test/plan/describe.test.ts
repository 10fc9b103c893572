import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clockTime, describeStepStatus, describeWait, formatSplit, formatTraffic, stepPosition, stepStatus } from '../../src/plan/describe';
import type { Plan } from '../../src/plan/types';
import { decidingPValue } from '../../src/analysis/describe';
import type { MetricEvidence } from '../../src/analysis/types';
import type { Phase, RolloutStatus } from '../../src/plan/types';
import { PHASES } from '../../src/plan/types';

const AT = Date.UTC(2026, 11, 4, 18, 0);

describe('formatSplit / formatTraffic: the one wording of a split', () => {
  it.each<[Record<string, number>, string]>([
    [{}, 'none'],
    [{ blue: 100 }, 'blue 100%'],
    [{ blue: 90, green: 10 }, 'blue 90%, green 10%'],
    [{ blue: 100, green: 0 }, 'blue 100%'],
    [{ blue: 0 }, 'none'],
  ])('%j -> %s', (split, text) => expect(formatSplit(split)).toBe(text));

  it('adds mirrored traffic only when there is some', () => {
    expect(formatTraffic({ blue: 100 }, { green: 20 })).toBe('blue 100%; mirrored: green 20%');
    expect(formatTraffic({ blue: 100 }, { green: 0 })).toBe('blue 100%');
    expect(formatTraffic({ blue: 100 })).toBe('blue 100%');
  });

  it('names every deployment holding traffic with its percent, and no other', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.integer({ min: 0, max: 100 })), (split) => {
        const text = formatSplit(split);
        const held = Object.entries(split).filter(([, p]) => p !== 0);
        if (held.length === 0) expect(text).toBe('none');
        else expect(text.split(', ')).toEqual(held.map(([name, p]) => `${name} ${p}%`));
      }),
    );
  });
});

describe("stepStatus: the status' view of the current step", () => {
  const plan = (steps: Plan['steps']): Plan => ({ steps }) as unknown as Plan;
  const rollback: Plan['steps'][number] = { kind: 'rollback' };
  it.each<[Plan['steps'], number, string, string]>([
    // Queued for the endpoint or being planned: nothing is done yet (it used to say 'all steps done').
    [[], 0, 'none', 'not planned yet'],
    [[rollback], 0, 'rollback', 'roll back: the baseline takes 100% again, the candidate is removed'],
    [[rollback], 1, 'none', 'all steps done'],
  ])('%j at %d -> %s: %s', (steps, index, kind, description) => {
    expect(stepStatus(plan(steps), index)).toEqual({ index, count: steps.length, kind, description });
  });
});

describe('step numbers are 1-based', () => {
  it.each<[number, number, string]>([
    [0, 0, 'planning'],
    [0, 16, 'step 1 of 16'],
    [12, 16, 'step 13 of 16'],
    [15, 16, 'step 16 of 16'],
    [16, 16, 'all 16 steps done'],
  ])('index %i of %i -> %s', (index, count, text) => expect(stepPosition({ index, count })).toBe(text));

  it('never shows a step beyond the count, nor step 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 60 }), (count, rawIndex) => {
        const index = Math.min(rawIndex, count);
        const text = describeStepStatus({ index, count, kind: index < count ? 'bake' : 'none', description: 'bake 5 min' });
        const shown = /step (\d+) of (\d+)/.exec(text);
        if (index >= count) expect(text).toBe(`all ${count} steps done`);
        else {
          expect(Number(shown?.[1])).toBe(index + 1);
          expect(Number(shown?.[2])).toBe(count);
          expect(text).toContain(': bake 5 min');
        }
      }),
    );
  });
});

describe('describeWait: one thing, once', () => {
  const base = { phase: 'Baking' as Phase, updatedAtMs: AT };
  it.each<[Partial<RolloutStatus>, string | undefined]>([
    [{ waitingFor: { kind: 'timer', untilMs: AT + 24 * 60_000, detail: 'baking' } }, 'baking until 18:24 UTC'],
    [
      { phase: 'AwaitingApproval', waitingFor: { kind: 'approval', untilMs: AT + 60 * 60_000, detail: "waiting for approval 'prod'" } },
      "waiting for approval 'prod' until 19:00 UTC",
    ],
    [
      { phase: 'Pending', waitingFor: { kind: 'timer', detail: "queued behind rollout 'r0' on endpoint 'e'" } },
      "queued behind rollout 'r0' on endpoint 'e'",
    ],
    [
      {
        phase: 'Failed',
        outcome: 'failed',
        waitingFor: { kind: 'resume', untilMs: AT + 24 * 3600_000, detail: 'failed: an operator may retry or abort' },
      },
      'failed: an operator may retry or abort until 2026-12-05 18:00 UTC',
    ],
    [{ phase: 'RollingBack', waitingFor: { kind: 'timer', untilMs: AT, detail: 'baking' } }, undefined],
    [{ phase: 'Promoted', outcome: 'promoted', waitingFor: { kind: 'timer', untilMs: AT, detail: 'baking' } }, undefined],
    [{}, undefined],
  ])('%j', (over, text) => expect(describeWait({ ...base, ...over })).toBe(text));

  it('says "until" at most once and never while rolling back, for any phase and wait', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PHASES),
        fc.option(fc.integer({ min: 0, max: 3 * 24 * 60 }), { nil: undefined }),
        fc.constantFrom('baking', "keeping 'blue' for rollback"),
        (phase, minutes, detail) => {
          const text = describeWait({
            phase,
            updatedAtMs: AT,
            waitingFor: { kind: 'timer', detail, ...(minutes === undefined ? {} : { untilMs: AT + minutes * 60_000 }) },
          });
          if (phase === 'RollingBack') expect(text).toBeUndefined();
          else expect((text ?? '').split(' until ').length - 1).toBe(minutes === undefined ? 0 : 1);
        },
      ),
    );
  });

  it('clockTime: the date only when the day differs', () => {
    expect(clockTime(AT + 5 * 60_000, AT)).toBe('18:05 UTC');
    expect(clockTime(AT + 7 * 3600_000, AT)).toBe('2026-12-05 01:00 UTC');
  });
});

describe('decidingPValue: the number that decided the verdict', () => {
  const e = (over: Partial<MetricEvidence>): MetricEvidence => ({
    metric: 'errorRate5xx',
    verdict: 'pass',
    candidate: 0.01,
    baseline: 0.01,
    samples: { candidate: 500, baseline: 500 },
    threshold: '<= 1.5x baseline',
    test: 'z',
    reason: '',
    ...over,
  });
  it.each<[Partial<MetricEvidence>, ReturnType<typeof decidingPValue>]>([
    // A pass is decided by the within-threshold test, not the harm test's p=1.
    [
      { verdict: 'pass', pValue: 1, alpha: 0.01, passPValue: 0.002, passAlpha: 0.05 },
      { test: 'within', p: 0.002, alpha: 0.05 },
    ],
    [
      { verdict: 'fail', pValue: 0.0001, alpha: 0.01, passPValue: 0.9, passAlpha: 0.05 },
      { test: 'violates', p: 0.0001, alpha: 0.01 },
    ],
    [
      { verdict: 'inconclusive', pValue: 0.3, passPValue: 0.2 },
      { test: 'within', p: 0.2 },
    ],
    [{ verdict: 'pass', test: 'none (absolute)' }, undefined],
    [{ verdict: 'fail' }, undefined],
  ])('%j', (over, expected) => expect(decidingPValue(e(over))).toEqual(expected));
});
