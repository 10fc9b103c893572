/**
 * The one transition table of rollout phases. The orchestrator asks `assertTransition` before it
 * changes phase, so an impossible move (e.g. Promoted -> Baking) is a loud bug, not a silent state.
 *
 * Shape of the table:
 *   - working phases (one per step kind, see STEP_PHASE) may follow each other in the orders
 *     compiled plans produce, and any of them may be paused, fail, or start rolling back;
 *   - promote-now (operator override) goes to Promoting from any working phase after the smoke test;
 *   - RollingBack ends in the terminal phase that says why (RolledBack, Rejected, Aborted,
 *     Superseded) or in Failed when the rollback itself could not finish;
 *   - Failed is not terminal: an operator may retry (back to a working phase or RollingBack);
 *   - staying in the same phase is not a transition (e.g. two setTraffic steps in a row) and is
 *     always allowed for non-terminal phases.
 */
import type { Phase, StepKind } from './types';
import { PHASES } from './types';
import { RolloutError } from '../errors';

/** Phases in which the rollout does its work (each step kind runs in one of them). */
export const WORKING_PHASES = [
  'Deploying',
  'SmokeTesting',
  'Mirroring',
  'Progressing',
  'Baking',
  'Analyzing',
  'AwaitingApproval',
  'Promoting',
] as const satisfies readonly Phase[];

/** Phases that end a rollout for good. */
export const TERMINAL_PHASES = ['Promoted', 'RolledBack', 'Rejected', 'Aborted', 'Superseded'] as const satisfies readonly Phase[];

/** Every phase a non-terminal phase may fall into whatever the plan says. */
const INTERRUPTIONS = ['Paused', 'RollingBack', 'Failed'] as const satisfies readonly Phase[];

export const TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  // Nothing changed on Azure yet: abort or supersede end it directly.
  Pending: ['Deploying', 'AwaitingApproval', 'Paused', 'Failed', 'Aborted', 'Superseded'],
  Deploying: ['SmokeTesting', ...INTERRUPTIONS],
  SmokeTesting: ['Mirroring', 'Progressing', 'Baking', 'Analyzing', 'AwaitingApproval', 'Promoting', 'Promoted', ...INTERRUPTIONS],
  Mirroring: ['Baking', 'Analyzing', 'Progressing', 'AwaitingApproval', 'Promoting', ...INTERRUPTIONS],
  Progressing: ['Baking', 'Analyzing', 'AwaitingApproval', 'Mirroring', 'Promoting', ...INTERRUPTIONS],
  Baking: ['Analyzing', 'Progressing', 'Mirroring', 'AwaitingApproval', 'Promoting', 'Promoted', ...INTERRUPTIONS],
  Analyzing: ['Progressing', 'Mirroring', 'Baking', 'AwaitingApproval', 'Promoting', 'Promoted', ...INTERRUPTIONS],
  // Baking / Analyzing: a no-data approval (policy noData: requestApproval) inside a bake or gate step, then the next one.
  AwaitingApproval: ['Deploying', 'Progressing', 'Mirroring', 'Baking', 'Analyzing', 'Promoting', ...INTERRUPTIONS],
  Promoting: ['Baking', 'Promoted', ...INTERRUPTIONS],
  // Resume returns to where it was; promote-now and abort work while paused too.
  Paused: ['Deploying', 'SmokeTesting', 'Mirroring', 'Progressing', 'Baking', 'Analyzing', 'AwaitingApproval', 'Promoting', 'RollingBack', 'Failed'],
  RollingBack: ['RolledBack', 'Rejected', 'Aborted', 'Superseded', 'Failed'],
  // Retry re-runs the failed step (or the failed rollback); abort rolls back.
  Failed: ['Deploying', 'SmokeTesting', 'Mirroring', 'Progressing', 'Baking', 'Analyzing', 'AwaitingApproval', 'Promoting', 'RollingBack'],
  Promoted: [],
  RolledBack: [],
  Rejected: [],
  Aborted: [],
  Superseded: [],
};

/** The phase a step runs in. */
export const STEP_PHASE: Readonly<Record<StepKind, Phase>> = {
  deploy: 'Deploying',
  replaceModel: 'Deploying',
  smokeTest: 'SmokeTesting',
  mirror: 'Mirroring',
  setTraffic: 'Progressing',
  bake: 'Baking',
  gate: 'Analyzing',
  decideWinner: 'Analyzing',
  approval: 'AwaitingApproval',
  promote: 'Promoting',
  cleanup: 'Promoting',
  rollback: 'RollingBack',
};

export function phaseOfStep(kind: StepKind): Phase {
  return STEP_PHASE[kind];
}

export function isTerminalPhase(phase: Phase): boolean {
  return (TERMINAL_PHASES as readonly Phase[]).includes(phase);
}

export function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}

export function canTransition(from: Phase, to: Phase): boolean {
  if (from === to) return !isTerminalPhase(from);
  return TRANSITIONS[from].includes(to);
}

/** Throws RolloutError('Internal') for a move the table does not allow (a controller bug). */
export function assertTransition(from: Phase, to: Phase): void {
  if (!canTransition(from, to)) {
    const allowed = TRANSITIONS[from];
    throw new RolloutError('Internal', `phase ${from} cannot move to ${to} (allowed: ${allowed.length ? allowed.join(', ') : 'none, it is terminal'})`);
  }
}
