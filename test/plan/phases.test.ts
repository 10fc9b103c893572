import { describe, expect, it } from 'vitest';
import {
  actionAllowedIn,
  assertTransition,
  canTransition,
  isTerminalPhase,
  OPERATOR_ACTIONS,
  PHASE_TABLE,
  phaseOfStep,
  STEP_PHASE,
  TERMINAL_PHASES,
  TRANSITIONS,
  WORKING_PHASES,
  type OperatorAction,
} from '../../src/plan/phases';
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
    for (const p of WORKING_PHASES)
      for (const t of ['Paused', 'Failed', 'RollingBack'] as const) expect(canTransition(p, t), `${p} -> ${t}`).toBe(true);
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

describe('the phase table (terminal flag, tone, operator actions)', () => {
  it('terminal phases allow no action and lead nowhere; every other phase allows abort or is rolling back', () => {
    for (const phase of PHASES) {
      const info = PHASE_TABLE[phase];
      expect(isTerminalPhase(phase)).toBe(info.terminal);
      if (info.terminal) {
        expect(info.actions, phase).toEqual([]);
        expect(info.mode).toBe('ended');
      } else if (phase !== 'RollingBack') expect(info.actions, phase).toContain('abort');
    }
    expect([...TERMINAL_PHASES].sort()).toEqual(['Aborted', 'Promoted', 'Rejected', 'RolledBack', 'Superseded']);
  });

  it.each<[Phase, OperatorAction, boolean]>([
    ['Pending', 'abort', true],
    ['Pending', 'pause', false], // queued: nothing runs that a pause could hold
    ['Pending', 'promote', false],
    ['Baking', 'pause', true],
    ['Baking', 'promote', true],
    ['Baking', 'retry', false],
    ['Promoting', 'pause', false], // the API and the orchestrator used to disagree here
    ['Promoting', 'promote', false],
    ['Promoting', 'abort', true],
    ['Paused', 'resume', true],
    ['Paused', 'pause', false],
    ['RollingBack', 'abort', false],
    ['Failed', 'retry', true],
    ['Failed', 'abort', true],
    ['Failed', 'pause', false],
    ['Promoted', 'abort', false],
  ])('%s allows %s: %s', (phase, action, allowed) => {
    expect(actionAllowedIn(phase, action)).toBe(allowed);
  });

  it('every working phase is walked forward, and resume is allowed only while paused', () => {
    for (const phase of WORKING_PHASES) expect(PHASE_TABLE[phase].mode).toBe('forward');
    for (const phase of PHASES) expect(actionAllowedIn(phase, 'resume')).toBe(phase === 'Paused');
    for (const phase of PHASES) expect(actionAllowedIn(phase, 'retry')).toBe(phase === 'Failed');
    for (const action of OPERATOR_ACTIONS)
      expect(
        PHASES.some((p) => actionAllowedIn(p, action)),
        action,
      ).toBe(true);
  });
});
