import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, isTerminalPhase, phaseOfStep, STEP_PHASE, TERMINAL_PHASES, TRANSITIONS, WORKING_PHASES } from '../../src/plan/phases';
import { PHASES, type Phase } from '../../src/plan/types';
import { RolloutError } from '../../src/errors';

describe('transition table', () => {
  it('has a row for every phase and names only known phases', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...PHASES].sort());
    for (const targets of Object.values(TRANSITIONS)) for (const t of targets) expect(PHASES).toContain(t);
  });

  it('terminal phases lead nowhere; every other phase can still end', () => {
    for (const p of TERMINAL_PHASES) expect(TRANSITIONS[p]).toEqual([]);
    for (const p of PHASES) {
      if (isTerminalPhase(p)) continue;
      // From any non-terminal phase some terminal phase is reachable.
      const seen = new Set<Phase>([p]);
      const queue: Phase[] = [p];
      while (queue.length > 0) {
        for (const next of TRANSITIONS[queue.shift() as Phase]) {
          if (seen.has(next)) continue;
          seen.add(next);
          queue.push(next);
        }
      }
      expect([...seen].some(isTerminalPhase), p).toBe(true);
    }
  });

  it('every working phase can pause, fail and roll back', () => {
    for (const p of WORKING_PHASES) for (const t of ['Paused', 'Failed', 'RollingBack'] as const) expect(canTransition(p, t), `${p} -> ${t}`).toBe(true);
  });

  it.each<[Phase, Phase, boolean]>([
    ['Pending', 'Deploying', true],
    ['Pending', 'AwaitingApproval', true],
    ['Pending', 'Aborted', true],
    ['Pending', 'Superseded', true],
    ['Pending', 'Promoted', false],
    ['Deploying', 'SmokeTesting', true],
    ['Deploying', 'Progressing', false], // no live traffic before the smoke test
    ['Deploying', 'Promoting', false],
    ['SmokeTesting', 'Progressing', true],
    ['SmokeTesting', 'Promoted', true], // recreate without health check
    ['Progressing', 'Baking', true],
    ['Baking', 'Analyzing', true],
    ['Analyzing', 'Progressing', true],
    ['AwaitingApproval', 'Promoting', true],
    ['AwaitingApproval', 'Promoted', false],
    ['Promoting', 'Baking', true],
    ['Promoting', 'Promoted', true],
    ['Promoting', 'Progressing', false],
    ['Paused', 'Baking', true],
    ['Paused', 'Promoted', false],
    ['RollingBack', 'RolledBack', true],
    ['RollingBack', 'Rejected', true],
    ['RollingBack', 'Aborted', true],
    ['RollingBack', 'Superseded', true],
    ['RollingBack', 'Failed', true],
    ['RollingBack', 'Promoting', false],
    ['Failed', 'Baking', true], // retry
    ['Failed', 'RollingBack', true],
    ['Failed', 'Promoted', false],
    ['Promoted', 'RollingBack', false],
    ['RolledBack', 'Deploying', false],
    ['Baking', 'Baking', true], // staying is not a transition
    ['Promoted', 'Promoted', false],
  ])('%s -> %s: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) expect(() => assertTransition(from, to)).not.toThrow();
    else expect(() => assertTransition(from, to)).toThrow(RolloutError);
  });

  it('explains a refused transition', () => {
    expect(() => assertTransition('Promoted', 'Baking')).toThrow('phase Promoted cannot move to Baking (allowed: none, it is terminal)');
  });
});

describe('step phases', () => {
  it.each(Object.entries(STEP_PHASE))('%s runs in %s', (kind, phase) => {
    expect(phaseOfStep(kind as keyof typeof STEP_PHASE)).toBe(phase);
    expect(kind === 'rollback' || (WORKING_PHASES as readonly string[]).includes(phase)).toBe(true);
  });
});
