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

/** What an operator may ask of a running rollout (POST /api/rollouts/{id}/{action}). */
export const OPERATOR_ACTIONS = ['abort', 'pause', 'resume', 'promote', 'retry'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** How people see a phase (the dashboard's colour, the CLI's emphasis). */
export type PhaseTone = 'good' | 'bad' | 'warn' | 'info';

/**
 * What the engine does in a phase: waits for the endpoint lease (queued), walks the plan
 * (forward), undoes it (rollback), waits for an operator after a failure (failed), or nothing
 * more (ended). This is the orchestrator's control mode, written here once beside the phase.
 */
export type PhaseMode = 'queued' | 'forward' | 'rollback' | 'failed' | 'ended';

export interface PhaseInfo {
  readonly mode: PhaseMode;
  /** The rollout is over for good (Failed is not: an operator may still retry it). */
  readonly terminal: boolean;
  readonly tone: PhaseTone;
  /**
   * Operator actions that may happen in this phase. The API answers 409 for any other, and the
   * orchestrator ignores any other (recorded in the journal), so the two never disagree. The
   * orchestrator may still refuse an allowed action for a reason only it knows (e.g. promote
   * before the smoke test passed); it records why.
   */
  readonly actions: readonly OperatorAction[];
  /**
   * Terminal phases only: operator actions while a delete the rollout could not finish is still
   * retried after its outcome (status.retrying is set). Abort stops those retries.
   */
  readonly cleanupActions?: readonly OperatorAction[];
  /** The phases it may move to (staying is allowed for non-terminal phases, see canTransition). */
  readonly next: readonly Phase[];
}

/** Every phase a working phase may fall into whatever the plan says. */
const INTERRUPTIONS = ['Paused', 'RollingBack', 'Failed'] as const satisfies readonly Phase[];
/** What an operator may do while the plan is being walked. */
const RUNNING_ACTIONS = ['abort', 'pause', 'promote'] as const satisfies readonly OperatorAction[];

const working = (next: readonly Phase[], tone: PhaseTone = 'info'): PhaseInfo => ({
  mode: 'forward',
  terminal: false,
  tone,
  actions: RUNNING_ACTIONS,
  next: [...next, ...INTERRUPTIONS],
});
const ended = (tone: PhaseTone): PhaseInfo => ({ mode: 'ended', terminal: true, tone, actions: [], cleanupActions: ['abort'], next: [] });

/**
 * THE phase table: one row per phase. The orchestrator, the API, the CLI and the dashboard
 * (served as JSON at GET /api/phases) all read it; nothing else lists phases' properties.
 */
export const PHASE_TABLE: Readonly<Record<Phase, PhaseInfo>> = {
  // Queued for the endpoint lease, or planning: nothing changed on Azure yet, so abort or
  // supersede end it directly; there is nothing to pause or promote.
  Pending: {
    mode: 'queued',
    terminal: false,
    tone: 'info',
    actions: ['abort'],
    next: ['Deploying', 'AwaitingApproval', 'Paused', 'Failed', 'Aborted', 'Superseded'],
  },
  Deploying: working(['SmokeTesting']),
  SmokeTesting: working(['Mirroring', 'Progressing', 'Baking', 'Analyzing', 'AwaitingApproval', 'Promoting', 'Promoted']),
  Mirroring: working(['Baking', 'Analyzing', 'Progressing', 'AwaitingApproval', 'Promoting']),
  Progressing: working(['Baking', 'Analyzing', 'AwaitingApproval', 'Mirroring', 'Promoting']),
  Baking: working(['Analyzing', 'Progressing', 'Mirroring', 'AwaitingApproval', 'Promoting', 'Promoted']),
  Analyzing: working(['Progressing', 'Mirroring', 'Baking', 'AwaitingApproval', 'Promoting', 'Promoted']),
  // Deploying / Baking / Analyzing: a no-data approval (policy noData: requestApproval) inside a
  // bake or gate step, then the next one; or an approval before the deploy.
  AwaitingApproval: working(['Deploying', 'Progressing', 'Mirroring', 'Baking', 'Analyzing', 'Promoting'], 'warn'),
  // The candidate takes 100% and the old deployment is deleted after the retention window: there
  // is nothing left to pause or promote; abort works until the candidate holds 100%.
  Promoting: { mode: 'forward', terminal: false, tone: 'info', actions: ['abort'], next: ['Baking', 'Promoted', ...INTERRUPTIONS] },
  // Resume returns to where it was; promote-now and abort work while paused too.
  Paused: {
    mode: 'forward',
    terminal: false,
    tone: 'warn',
    actions: ['resume', 'abort', 'promote'],
    next: [
      'Deploying',
      'SmokeTesting',
      'Mirroring',
      'Progressing',
      'Baking',
      'Analyzing',
      'AwaitingApproval',
      'Promoting',
      'RollingBack',
      'Failed',
    ],
  },
  // Ends in the terminal phase that says why, or in Failed when the rollback cannot finish.
  RollingBack: {
    mode: 'rollback',
    terminal: false,
    tone: 'bad',
    actions: [],
    next: ['RolledBack', 'Rejected', 'Aborted', 'Superseded', 'Failed'],
  },
  // Retry re-runs the failed step (or the failed rollback, or the planning); abort rolls back
  // what was done, or ends it at once when nothing was.
  Failed: {
    mode: 'failed',
    terminal: false,
    tone: 'bad',
    actions: ['retry', 'abort'],
    next: [
      'Pending',
      'Deploying',
      'SmokeTesting',
      'Mirroring',
      'Progressing',
      'Baking',
      'Analyzing',
      'AwaitingApproval',
      'Promoting',
      'RollingBack',
      'Aborted',
      'Superseded',
    ],
  },
  Promoted: ended('good'),
  RolledBack: ended('bad'),
  Rejected: ended('bad'),
  Aborted: ended('bad'),
  Superseded: ended('info'),
};

export const TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = Object.fromEntries(
  PHASES.map((p) => [p, PHASE_TABLE[p].next]),
) as Record<Phase, readonly Phase[]>;

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
export const TERMINAL_PHASES: readonly Phase[] = PHASES.filter((p) => PHASE_TABLE[p].terminal);

/**
 * The operator actions a rollout accepts now: its phase's, or, once it has ended while a failed
 * delete is still retried (status.retrying on a terminal phase), the phase's cleanupActions.
 */
export function actionsNow(status: { readonly phase: Phase; readonly retrying?: unknown }): readonly OperatorAction[] {
  const info = PHASE_TABLE[status.phase];
  if (!info.terminal) return info.actions;
  return status.retrying !== undefined ? (info.cleanupActions ?? []) : [];
}

/** Whether an operator action may happen in a phase (the API's 409 and the orchestrator's refusal). */
export function actionAllowedIn(phase: Phase, action: OperatorAction): boolean {
  return PHASE_TABLE[phase].actions.includes(action);
}

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
  return PHASE_TABLE[phase].terminal;
}

export function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}

export function canTransition(from: Phase, to: Phase): boolean {
  if (from === to) return !isTerminalPhase(from);
  return PHASE_TABLE[from].next.includes(to);
}

/** Throws RolloutError('Internal') for a move the table does not allow (a controller bug). */
export function assertTransition(from: Phase, to: Phase): void {
  if (!canTransition(from, to)) {
    const allowed = PHASE_TABLE[from].next;
    throw new RolloutError(
      'Internal',
      `phase ${from} cannot move to ${to} (allowed: ${allowed.length ? allowed.join(', ') : 'none, it is terminal'})`,
    );
  }
}
