import { describe, expect, it } from 'vitest';
import { failureOf } from '../../src/orchestration/engine-io';
import { noDataApproval } from '../../src/orchestration/approval-decider';
import {
  countNewRequests,
  countQueryError,
  DEFAULT_MAX_QUERY_ERRORS,
  emptyProgress,
  queryErrorLimit,
  type StepProgress,
} from '../../src/orchestration/engine-state';
import type { Plan, Step } from '../../src/plan/types';

const MIN = 60_000;

function stateAt(startedAtMs: number): { progress: StepProgress } {
  const progress = emptyProgress();
  progress.startedAtMs = startedAtMs;
  return { progress };
}

describe('countNewRequests (a bake’s minRequests)', () => {
  it('counts only the part of each look window after the step began and after the last look', () => {
    const s = stateAt(10 * MIN);
    // Window 5..15 min, 1000 requests: only 10..15 (half) is inside the step.
    countNewRequests(s.progress, 1000, { fromMs: 5 * MIN, toMs: 15 * MIN });
    expect(s.progress.requestsSeen).toBe(500);
    // Overlapping next look 10..20: only 15..20 is new.
    countNewRequests(s.progress, 1000, { fromMs: 10 * MIN, toMs: 20 * MIN });
    expect(s.progress.requestsSeen).toBe(1000);
    // A look entirely before what was counted adds nothing.
    countNewRequests(s.progress, 1000, { fromMs: 10 * MIN, toMs: 20 * MIN });
    expect(s.progress.requestsSeen).toBe(1000);
    // Disjoint later window: all of it.
    countNewRequests(s.progress, 300, { fromMs: 25 * MIN, toMs: 30 * MIN });
    expect(s.progress.requestsSeen).toBe(1300);
  });
});

describe('gate accounting: one limit per step, one comparison', () => {
  const bake = (maxQueryErrors?: number): Step => ({
    kind: 'bake',
    durationMinutes: 30,
    checkIntervalMinutes: 5,
    gates: ['g'],
    minRequests: 0,
    maxExtensionMinutes: 0,
    noDataOutcome: 'rollback',
    ...(maxQueryErrors === undefined ? {} : { maxQueryErrors }),
  });
  it.each<[string, Step, number]>([
    ['a bake with its own limit', bake(1), 1],
    ['a bake without one (hand-built plan)', bake(), DEFAULT_MAX_QUERY_ERRORS],
    [
      'a gate',
      { kind: 'gate', gates: ['g'], retryIntervalMinutes: 5, maxExtensionMinutes: 0, noDataOutcome: 'rollback', maxQueryErrors: 0 },
      0,
    ],
    [
      'an A/B decision (the same default as a bake, no longer its own 5 with >=)',
      { kind: 'decideWinner', gate: 'g', minRequestsPerArm: 10, maxWaitMinutes: 60, checkIntervalMinutes: 5 },
      DEFAULT_MAX_QUERY_ERRORS,
    ],
  ])('%s tolerates %#', (_name, step, limit) => {
    expect(queryErrorLimit(step)).toBe(limit);
  });

  it.each([0, 1, 3, 5])('with a limit of %i, the step gives up at the error after it, never before', (limit) => {
    const progress = emptyProgress();
    const verdicts = Array.from({ length: limit + 2 }, () => countQueryError(progress, limit));
    expect(verdicts).toEqual([...Array.from({ length: limit }, () => false), true, true]);
    expect(progress.queryErrors).toBe(limit + 2);
  });

  it('the policy default is the one in the policy schema', () => {
    expect(DEFAULT_MAX_QUERY_ERRORS).toBe(3);
  });
});

describe('noDataApproval', () => {
  const plan = (steps: Step[]): Plan => ({ steps, approvers: ['fallback@x.com'] }) as unknown as Plan;
  it('borrows the first approval’s patience and people, and always rolls back on timeout', () => {
    const approval: Step = {
      kind: 'approval',
      name: 'rm',
      timeoutMinutes: 240,
      onTimeout: 'promote',
      reminderIntervalMinutes: 30,
      approvers: ['rm@x.com'],
    };
    expect(noDataApproval(plan([{ kind: 'promote' }, approval]))).toEqual({
      name: 'no-data',
      timeoutMinutes: 240,
      onTimeout: 'rollback',
      reminderIntervalMinutes: 30,
      approvers: ['rm@x.com'],
    });
    expect(noDataApproval(plan([{ kind: 'promote' }]))).toEqual({
      name: 'no-data',
      timeoutMinutes: 60,
      onTimeout: 'rollback',
      reminderIntervalMinutes: 60,
      approvers: ['fallback@x.com'],
    });
  });
});

describe('failureOf', () => {
  it.each([
    ['[Conflict] createDeployment: busy', { code: 'Conflict', message: 'createDeployment: busy' }],
    [
      "Activity function 'setTraffic' failed: [InvariantViolation] unsafe \n AzureCallError: [InvariantViolation] unsafe\n    at x (y.ts:1:1)",
      { code: 'InvariantViolation', message: 'unsafe' },
    ],
    ['plain text', { code: 'Internal', message: 'plain text' }],
  ])('%s', (text, expected) => {
    expect(failureOf(new Error(text))).toEqual(expected);
  });
});
