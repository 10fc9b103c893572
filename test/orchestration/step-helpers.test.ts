import { describe, expect, it } from 'vitest';
import { countNewRequests, failureOf, noDataApproval } from '../../src/orchestration/rollout-orchestrator';
import { emptyProgress, type EngineState } from '../../src/orchestration/engine-state';
import type { Plan, Step } from '../../src/plan/types';

const MIN = 60_000;

function stateAt(startedAtMs: number): EngineState {
  const progress = emptyProgress();
  progress.startedAtMs = startedAtMs;
  return { progress } as unknown as EngineState;
}

describe('countNewRequests (a bake’s minRequests)', () => {
  it('counts only the part of each look window after the step began and after the last look', () => {
    const s = stateAt(10 * MIN);
    // Window 5..15 min, 1000 requests: only 10..15 (half) is inside the step.
    countNewRequests(s, 1000, { fromMs: 5 * MIN, toMs: 15 * MIN });
    expect(s.progress.requestsSeen).toBe(500);
    // Overlapping next look 10..20: only 15..20 is new.
    countNewRequests(s, 1000, { fromMs: 10 * MIN, toMs: 20 * MIN });
    expect(s.progress.requestsSeen).toBe(1000);
    // A look entirely before what was counted adds nothing.
    countNewRequests(s, 1000, { fromMs: 10 * MIN, toMs: 20 * MIN });
    expect(s.progress.requestsSeen).toBe(1000);
    // Disjoint later window: all of it.
    countNewRequests(s, 300, { fromMs: 25 * MIN, toMs: 30 * MIN });
    expect(s.progress.requestsSeen).toBe(1300);
  });
});

describe('noDataApproval', () => {
  const plan = (steps: Step[]): Plan => ({ steps, approvers: ['fallback@x.com'] }) as unknown as Plan;
  it('borrows the first approval’s patience and people, and always rolls back on timeout', () => {
    const approval: Step = { kind: 'approval', name: 'rm', timeoutMinutes: 240, onTimeout: 'promote', reminderIntervalMinutes: 30, approvers: ['rm@x.com'] };
    expect(noDataApproval(plan([{ kind: 'promote' }, approval]))).toEqual({ name: 'no-data', timeoutMinutes: 240, onTimeout: 'rollback', reminderIntervalMinutes: 30, approvers: ['rm@x.com'] });
    expect(noDataApproval(plan([{ kind: 'promote' }]))).toEqual({ name: 'no-data', timeoutMinutes: 60, onTimeout: 'rollback', reminderIntervalMinutes: 60, approvers: ['fallback@x.com'] });
  });
});

describe('failureOf', () => {
  it.each([
    ['[Conflict] createDeployment: busy', { code: 'Conflict', message: 'createDeployment: busy' }],
    ["Activity function 'setTraffic' failed: [InvariantViolation] unsafe \n AzureCallError: [InvariantViolation] unsafe\n    at x (y.ts:1:1)", { code: 'InvariantViolation', message: 'unsafe' }],
    ['plain text', { code: 'Internal', message: 'plain text' }],
  ])('%s', (text, expected) => {
    expect(failureOf(new Error(text))).toEqual(expected);
  });
});
