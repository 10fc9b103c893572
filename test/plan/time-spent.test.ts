import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, tickPhaseClock, timeCategoryOf, timeSpent, type PhaseClock } from '../../src/plan/time-spent';
import { PHASES, type Phase } from '../../src/plan/types';
import { TERMINAL_PHASES } from '../../src/plan/phases';

const MIN = 60_000;

function run(ticks: readonly [Phase, boolean, number][]): PhaseClock | undefined {
  let clock: PhaseClock | undefined;
  for (const [phase, paused, at] of ticks) clock = tickPhaseClock(clock, phase, paused, at);
  return clock;
}

describe('time spent per kind of work', () => {
  it('adds each interval to the phase it was spent in, pauses to paused', () => {
    const clock = run([
      ['Pending', false, 0],
      ['Deploying', false, 1 * MIN],
      ['SmokeTesting', false, 6 * MIN],
      ['Baking', false, 7 * MIN],
      ['Baking', true, 9 * MIN],
      ['Baking', false, 19 * MIN],
      ['AwaitingApproval', false, 22 * MIN],
      ['Promoted', false, 52 * MIN],
    ]);
    expect(timeSpent(clock, 90 * MIN).map((t) => [t.category, t.ms / MIN])).toEqual([
      ['queued', 1],
      ['deploying', 5],
      ['smokeTesting', 1],
      ['baking', 5],
      ['awaitingApproval', 30],
      ['paused', 10],
    ]);
  });

  it('counts the open interval up to now while running', () => {
    const clock = run([['Baking', false, 0]]);
    expect(timeSpent(clock, 3 * MIN)).toEqual([{ category: 'baking', label: 'baking', ms: 3 * MIN }]);
  });

  it('terminal phases count nothing', () => {
    for (const phase of TERMINAL_PHASES) expect(timeCategoryOf(phase, false)).toBeUndefined();
  });

  it('the totals always add up to the time from the first tick to the end, for any sequence', () => {
    const live = PHASES.filter((p) => !(TERMINAL_PHASES as readonly Phase[]).includes(p));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...live), fc.boolean(), fc.integer({ min: 0, max: 120 })), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 60 }),
        (steps, tail) => {
          let at = 0;
          const ticks = steps.map(([phase, paused, gap]) => [phase, paused, (at += gap * MIN)] as [Phase, boolean, number]);
          const clock = run(ticks);
          const total = timeSpent(clock, at + tail * MIN).reduce((sum, t) => sum + t.ms, 0);
          expect(total).toBe(at + tail * MIN - (ticks[0]?.[2] ?? 0));
        },
      ),
    );
  });

  it.each<[number, string]>([
    [0, '0 s'],
    [40_000, '40 s'],
    [12 * MIN, '12 min'],
    [65 * MIN, '1 h 05 min'],
  ])('formatDuration(%i) = %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
