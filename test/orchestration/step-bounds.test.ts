/**
 * Issue 10 defect 10b: no policy setting lets a rollout wait forever. The policy schema refuses
 * unbounded settings, the compiler carries the bounds a policy sets, and the decider's rules end
 * the step at the bound (a rollback with the reason), with the documented defaults otherwise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePlan } from '../../src/plan/compile';
import type { Step } from '../../src/plan/types';
import { parsePolicy } from '../../src/policy';
import {
  DEFAULT_MAX_NO_DATA_EXTENSIONS,
  DEFAULT_MAX_REMINDERS,
  noDataExtensionLimit,
  reminderLimit,
} from '../../src/orchestration/step-bounds';
import { canaryPolicy } from '../policy/fixtures';
import { compileInput } from '../plan/inputs';

const bake = (over: Partial<Extract<Step, { kind: 'bake' }>> = {}): Step => ({
  kind: 'bake',
  durationMinutes: 10,
  checkIntervalMinutes: 5,
  gates: ['health'],
  minRequests: 0,
  maxExtensionMinutes: 10,
  noDataOutcome: 'extend',
  ...over,
});

describe('the no-data extension bound', () => {
  it.each<[string, number, Step | undefined, string | undefined]>([
    ['first extension, default bound', 0, bake(), undefined],
    ['last extension left, default bound', DEFAULT_MAX_NO_DATA_EXTENSIONS - 1, bake(), undefined],
    ['default bound reached', DEFAULT_MAX_NO_DATA_EXTENSIONS, bake(), 'no data after 3 extensions (too few requests)'],
    ['the policy allows one', 1, bake({ maxNoDataExtensions: 1 }), 'no data after 1 extension (too few requests)'],
    [
      'a gate step with its own bound',
      4,
      {
        kind: 'gate',
        gates: ['health'],
        retryIntervalMinutes: 5,
        maxExtensionMinutes: 10,
        noDataOutcome: 'extend',
        maxNoDataExtensions: 5,
      },
      undefined,
    ],
  ])('%s', (_name, done, step, reason) => {
    const result = noDataExtensionLimit(done, step, 'too few requests');
    expect(result).toEqual(reason === undefined ? undefined : { kind: 'rollback', outcome: 'rolledBack', reason });
  });

  it('every sequence of extensions ends: the step rolls back exactly at the bound', () => {
    fc.assert(
      fc.property(fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }), (bound) => {
        const step = bake(bound === undefined ? {} : { maxNoDataExtensions: bound });
        let done = 0;
        while (noDataExtensionLimit(done, step, 'x') === undefined) done++;
        expect(done).toBe(bound ?? DEFAULT_MAX_NO_DATA_EXTENSIONS);
      }),
      { numRuns: 100, seed: 12 },
    );
  });
});

describe('the reminder bound', () => {
  it.each<[string, number, number | undefined, string | undefined]>([
    ['no reminder yet', 0, undefined, undefined],
    ['default bound reached', DEFAULT_MAX_REMINDERS, undefined, "approval 'release' got no decision after 5 reminders"],
    ['the policy allows one', 1, 1, "approval 'release' got no decision after 1 reminder"],
    ['below the policy bound', 7, 8, undefined],
  ])('%s', (_name, sent, maxReminders, reason) => {
    expect(reminderLimit(sent, { name: 'release', ...(maxReminders === undefined ? {} : { maxReminders }) })).toEqual(
      reason === undefined ? undefined : { kind: 'rollback', outcome: 'rolledBack', reason },
    );
  });
});

describe('the policy schema bounds every renewable wait', () => {
  const withGate = (noData: Record<string, unknown>) =>
    JSON.stringify(canaryPolicy({ gates: { health: { checks: [{ metric: 'errorRate5xx', max: 0.02 }], noData } } as never }));
  it.each([
    [
      { outcome: 'extend', maxExtensionMinutes: 1441 },
      /gates\.health\.noData\.maxExtensionMinutes: must be at most 1440 \(a day\): no rollout waits for data longer/,
    ],
    [
      { outcome: 'extend', maxExtensions: 21 },
      /gates\.health\.noData\.maxExtensions: must be at most 20: no rollout waits for data forever/,
    ],
    [{ outcome: 'extend', maxExtensions: 0 }, /gates\.health\.noData\.maxExtensions: /],
  ])('refuses %j', (noData, message) => {
    expect(() => parsePolicy(withGate(noData), 'inline')).toThrow(message);
  });

  it('refuses endless reminders', () => {
    const policy = canaryPolicy({
      approvals: { release: { approvers: ['a@contoso.com'], timeoutMinutes: 30, onTimeout: 'remind', maxReminders: 101 } },
    } as never);
    expect(() => parsePolicy(JSON.stringify(policy), 'inline')).toThrow(
      /approvals\.release\.maxReminders: must be at most 100: no rollout waits for a person forever/,
    );
  });

  it('the compiler carries the strictest bound a policy sets, and none when it sets none (the default applies)', () => {
    const policy = parsePolicy(
      JSON.stringify(
        canaryPolicy({
          strategy: {
            canary: {
              steps: [
                { percent: 10, bakeMinutes: 10, approval: 'release' },
                { percent: 100, bakeMinutes: 5 },
              ],
            },
          },
          gates: {
            health: { checks: [{ metric: 'errorRate5xx', max: 0.02 }], noData: { outcome: 'extend', maxExtensions: 4 } },
            latency: { checks: [{ metric: 'latencyP95', max: 900 }], noData: { outcome: 'extend', maxExtensions: 2 } },
          },
          approvals: { release: { approvers: ['a@contoso.com'], timeoutMinutes: 30, onTimeout: 'remind', maxReminders: 3 } },
        } as never),
      ),
      'inline',
    );
    const steps = compilePlan(policy, compileInput()).steps;
    const checked = steps.filter((s) => (s.kind === 'bake' && s.candidateOnly !== true && s.gates.length > 0) || s.kind === 'gate');
    expect(checked.length).toBeGreaterThan(0);
    for (const step of checked) expect(step).toMatchObject({ maxNoDataExtensions: 2 });
    expect(steps.find((s) => s.kind === 'approval')).toMatchObject({ maxReminders: 3 });
    const plain = compilePlan(parsePolicy(JSON.stringify(canaryPolicy()), 'inline'), compileInput()).steps;
    expect(plain.some((s) => 'maxNoDataExtensions' in s || 'maxReminders' in s)).toBe(false);
  });
});
