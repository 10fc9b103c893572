/**
 * The orchestrator's compact state and the pure decisions over it. The engine (engine.ts and its
 * machines) runs the steps and the interpreter (rollout-orchestrator.ts) does the yielding; the
 * small judgements over the state live here so they are unit-tested with plain tables.
 *
 * The state is what continueAsNew carries from one execution to the next, so it must stay small
 * (the journal is bounded) and JSON-serialisable.
 */
import type { ApprovalRecord, JournalEntry, Outcome, OverrideRecord, Phase, Plan, RolloutStatus, Split, Step } from '../plan/types';
import type { ApprovalEvent, ControlEvent, RolloutInput } from './events';
import { actionAllowedIn, PHASE_TABLE } from '../plan/phases';
import { stepStatus } from '../plan/describe';

/** The readable history on the status keeps the newest entries only. */
export const JOURNAL_LIMIT = 40;
/** Approvals / overrides kept on the status (oldest dropped first). */
export const RECORD_LIMIT = 20;
/**
 * Failed or partial gate queries (after the activity's retries) a step tolerates when its plan
 * does not say: the policy's default (gate `maxQueryErrors`, src/policy/schema.ts).
 */
export const DEFAULT_MAX_QUERY_ERRORS = 3;
/** How long a Failed rollout stays alive waiting for an operator's retry (or abort). */
export const FAILED_RETRY_WINDOW_MINUTES = 24 * 60;
/** How often a queued rollout asks the endpoint lease again. */
export const LEASE_POLL_MINUTES = 1;
/** Waits (checks, polls, reminders) per execution before continueAsNew trims the history. */
export const MAX_WAITS_PER_EXECUTION = 24;

/**
 * 'cleanup': the rollout has its outcome (rolled back or aborted, the candidate at 0%) but deleting
 * the candidate failed; the delete is retried with back-off (issue 10, defect 3).
 */
export type Mode = 'queued' | 'forward' | 'rollback' | 'failedWaiting' | 'cleanup' | 'done';

/** Progress inside the current step; reset by advance(). Carried across continueAsNew. */
export interface StepProgress {
  startedAtMs?: number;
  /** Sum of paused time inside this step: the step's clock stops while paused. */
  pausedMs: number;
  /** Set while paused (when the pause began). */
  pausedAtMs?: number | undefined;
  looks: Record<string, number>;
  queryErrors: number;
  /** For approvals: when it times out; for reminders: when the next reminder is due. */
  deadlineMs?: number;
  reminders: number;
  approvalRequested: boolean;
  /** Candidate requests counted since the step began (minRequests), and up to when. */
  requestsSeen?: number;
  countedToMs?: number;
  /** A bake or gate step: when its last look was judged (its next look is one interval later, in any execution). */
  lastLookAtMs?: number;
  /** An adaptive bake's last answer (action: reason), shown in the status while it bakes. */
  adaptiveNote?: string;
  /** A no-data outcome of 'requestApproval' turned this step into an approval wait. */
  awaitingDataApproval: boolean;
  /**
   * Why a person is asked (a no-data, cost or disagreement approval), and that approval's name:
   * only the execution that starts the wait knows them, and every later one shows and sends them.
   */
  approvalWhy?: string;
  approvalName?: string;
  /** After promotion: failed attempts of this step, and when the next one may run (back-off). */
  failures?: number;
  retryAtMs?: number;
  /** Times a no-data outcome of 'extend' restarted this step's window (bounded by the plan). */
  noDataExtensions?: number;
}

/** A deployment a finished rollback could not delete: retried with back-off (mode 'cleanup'). */
export interface PendingCleanup {
  readonly deployment: string;
  readonly failures: number;
  readonly retryAtMs: number;
  /** When the first delete failed: the retries stop FAILED_RETRY_WINDOW_MINUTES later. */
  readonly sinceMs: number;
  readonly error: string;
}

export interface EngineFacts {
  /** The candidate deployment may exist (create was attempted): rollback must remove it. */
  candidateCreated: boolean;
  /** Recreate: the live deployment's model may have been replaced: rollback must revert it. */
  modelReplaced: boolean;
  /** Deployments that passed a smoke test in this rollout (the baseline is trusted: it serves today). */
  smokePassed: string[];
  promoted: boolean;
  verdictWritten: boolean;
  /** When the current live split was set (A/B windows start there). */
  splitSetAtMs?: number;
  /** A person was asked to accept the candidate's higher serving cost (asked once per rollout). */
  costApprovalAsked?: boolean;
}

export interface EngineState {
  readonly version: 1;
  plan: Plan;
  mode: Mode;
  stepIndex: number;
  progress: StepProgress;
  facts: EngineFacts;
  status: MutableStatus;
  /** Set in mode 'cleanup': what is left to delete, and when to try again. */
  cleanup?: PendingCleanup;
  /** The end to record once a rollback finishes. */
  pending?: { outcome: Outcome; reason: string };
  /** Where a retry after Failed resumes. */
  failedFrom?: 'forward' | 'rollback' | 'plan';
  /** Deadline of the Failed-waiting window. */
  failedUntilMs?: number;
  leaseHeld: boolean;
  /** The RolloutInput, kept so a retry of a failed plan can plan again. */
  input: RolloutInput;
  executions: number;
  /** Approval events received by an earlier execution for the approval still pending (validated when used). */
  carriedApprovals: unknown[];
  /** The phase a pause interrupted (resume returns to it). */
  pausedFromPhase?: Phase | undefined;
  /** A supersede request from the lease was acted on (never twice). */
  supersedeHandled?: boolean;
  /** This rollout already asked the endpoint's holder to step aside. */
  supersedeRequested?: boolean;
}

export type MutableStatus = { -readonly [K in keyof RolloutStatus]: RolloutStatus[K] };

export function emptyProgress(): StepProgress {
  return { pausedMs: 0, looks: {}, queryErrors: 0, reminders: 0, approvalRequested: false, awaitingDataApproval: false };
}

/** The status before a plan exists (the first activity reads the policy and the endpoint). */
export function initialStatus(input: RolloutInput, nowMs: number): MutableStatus {
  return {
    rolloutId: input.rolloutId,
    policy: input.policyName,
    strategy: 'canary',
    endpoint: '',
    model: input.model.name,
    version: input.model.version,
    baseline: '',
    candidate: '',
    phase: 'Pending',
    step: { index: 0, count: 0, kind: 'none', description: 'planning' },
    traffic: {},
    mirror: {},
    gates: [],
    approvals: [],
    overrides: [],
    paused: false,
    startedAtMs: nowMs,
    updatedAtMs: nowMs,
    journal: [],
  };
}

export function statusFromPlan(status: MutableStatus, plan: Plan): void {
  status.policy = plan.policyName;
  status.strategy = plan.strategy;
  status.endpoint = plan.target.endpoint;
  status.baseline = plan.baseline.deployment;
  status.candidate = plan.candidate.deployment;
  status.step = stepStatus(plan, 0);
  if (plan.rolloutCost) status.rolloutCost = plan.rolloutCost;
}

export function journal(state: EngineState, nowMs: number, message: string, traffic?: Split, mirror?: Split): void {
  const entry: JournalEntry = {
    atMs: nowMs,
    step: state.stepIndex,
    phase: state.status.phase,
    message,
    ...(traffic === undefined ? {} : { traffic: { ...traffic } }),
    ...(mirror === undefined ? {} : { mirror: { ...mirror } }),
  };
  const next = [...state.status.journal, entry];
  state.status.journal = next.length > JOURNAL_LIMIT ? next.slice(next.length - JOURNAL_LIMIT) : next;
}

function bounded<T>(list: readonly T[], item: T): T[] {
  const next = [...list, item];
  return next.length > RECORD_LIMIT ? next.slice(next.length - RECORD_LIMIT) : next;
}

export function recordApproval(state: EngineState, record: ApprovalRecord): void {
  state.status.approvals = bounded(state.status.approvals, record);
}

export function recordOverride(state: EngineState, record: OverrideRecord): void {
  state.status.overrides = bounded(state.status.overrides, record);
}

/** Terminal phase for each outcome. */
export const OUTCOME_PHASE: Record<Outcome, Phase> = {
  promoted: 'Promoted',
  rolledBack: 'RolledBack',
  rejected: 'Rejected',
  aborted: 'Aborted',
  failed: 'Failed',
  superseded: 'Superseded',
};

// ---------- approvals ----------

/**
 * The API authenticates callers and resolves group membership before it raises an event. The
 * orchestrator double-checks only plain lists of people: with a `group:` entry it cannot know
 * who belongs, so it trusts the API's check.
 */
export function isPersonList(list: readonly string[]): boolean {
  return list.length > 0 && !list.some((entry) => entry.toLowerCase().startsWith('group:'));
}

export type ApprovalJudgement = { accepted: true } | { accepted: false; note: string };

/**
 * Whether an approval event counts for the approval the rollout waits for now. Decisions for
 * another rollout, another step, or from someone outside the approvers list are recorded, not acted on.
 */
export function judgeApproval(event: ApprovalEvent, rolloutId: string, stepIndex: number, approvers: readonly string[]): ApprovalJudgement {
  if (event.rolloutId !== rolloutId) return { accepted: false, note: `meant for rollout '${event.rolloutId}', not '${rolloutId}'` };
  if (event.step !== stepIndex)
    return { accepted: false, note: `meant for step ${event.step + 1}, the rollout waits at step ${stepIndex + 1}` };
  if (isPersonList(approvers) && !approvers.some((a) => a.toLowerCase() === event.by.toLowerCase())) {
    return { accepted: false, note: `'${event.by}' is not an approver (${approvers.join(', ')})` };
  }
  return { accepted: true };
}

// ---------- operator controls ----------

export type ControlDecision =
  | { kind: 'abort' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'promote'; toIndex: number }
  | { kind: 'retry' }
  | { kind: 'ignored'; note: string };

/** Index of the plan's promote step, if any. */
export function promoteIndex(plan: Plan): number {
  return plan.steps.findIndex((s) => s.kind === 'promote');
}

/**
 * What an operator's control event means right now. Operators (plan.operators, when not empty)
 * are the only ones allowed; the rest is recorded as ignored with the reason. Whether the action
 * may happen in the current phase is the phase table's answer (src/plan/phases.ts), the same
 * one the API gives; the checks below are what only the orchestrator knows.
 */
export function decideControl(state: EngineState, event: ControlEvent): ControlDecision {
  const operators = state.plan.operators;
  if (isPersonList(operators) && !operators.some((o) => o.toLowerCase() === event.by.toLowerCase()) && !event.by.startsWith('system:')) {
    return { kind: 'ignored', note: `'${event.by}' is not an operator of policy '${state.plan.policyName}'` };
  }
  const mode = state.mode;
  if (mode === 'done') return { kind: 'ignored', note: 'the rollout has ended' };
  if (mode === 'cleanup' && state.cleanup) {
    // Abort stops the delete retries (the phase table's terminal-phase-while-retrying rule).
    if (event.action === 'abort') return { kind: 'abort' };
    return {
      kind: 'ignored',
      note: `the rollout has ended; only the delete of '${state.cleanup.deployment}' is retried (abort stops the retries)`,
    };
  }
  if (mode === 'rollback') return { kind: 'ignored', note: 'already rolling back' };
  const phase = state.status.phase;
  if (!actionAllowedIn(phase, event.action)) {
    const possible = PHASE_TABLE[phase].actions;
    return {
      kind: 'ignored',
      note: `${event.action} is not possible in phase ${phase}${possible.length > 0 ? ` (possible: ${possible.join(', ')})` : ''}`,
    };
  }
  switch (event.action) {
    case 'abort':
      // After promotion an abort only stops a failing step's retries (traffic is never moved back).
      if (state.facts.promoted && !state.status.retrying)
        return { kind: 'ignored', note: 'already promoted; start a rollout of the previous version to go back' };
      return { kind: 'abort' };
    case 'pause':
      if (mode !== 'forward') return { kind: 'ignored', note: 'only a running rollout can be paused' };
      return { kind: 'pause' };
    case 'resume':
      return { kind: 'resume' };
    case 'promote': {
      if (mode !== 'forward') return { kind: 'ignored', note: 'only a running rollout can be promoted' };
      const target = promoteIndex(state.plan);
      if (target < 0) return { kind: 'ignored', note: `the ${state.plan.strategy} plan has no promote step` };
      if (state.stepIndex >= target) return { kind: 'ignored', note: 'already at or past the promote step' };
      const candidate = state.plan.candidate.deployment;
      if (!state.facts.smokePassed.includes(candidate))
        return { kind: 'ignored', note: `'${candidate}' has not passed its smoke test yet` };
      return { kind: 'promote', toIndex: target };
    }
    case 'retry':
      if (mode !== 'failedWaiting') return { kind: 'ignored', note: 'retry applies to a failed rollout only' };
      return { kind: 'retry' };
  }
}

// ---------- traffic ----------

/** Live split after a setTraffic step: mirroring onto a deployment that now takes live traffic stops. */
export function mirrorAfterLiveChange(traffic: Split, mirror: Split): Split {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(mirror)) if (value > 0 && !((traffic[name] ?? 0) > 0)) out[name] = value;
  return out;
}

/** The rollback split: the baseline takes everything back. */
export function rollbackSplit(plan: Plan): Split {
  return { [plan.baseline.deployment]: 100 };
}

export function promoteSplit(plan: Plan): Split {
  return { [plan.candidate.deployment]: 100 };
}

// ---------- gate accounting ----------

/** The query errors a step tolerates: its own limit (compiled from the policy's gates), else the default. */
export function queryErrorLimit(step: Step): number {
  return (step.kind === 'bake' || step.kind === 'gate') && step.maxQueryErrors !== undefined
    ? step.maxQueryErrors
    : DEFAULT_MAX_QUERY_ERRORS;
}

/**
 * Counts one look whose queries failed (an error is never a pass). Returns true once the step has
 * had more than it tolerates: the ONE comparison, for every step kind that queries.
 */
export function countQueryError(progress: StepProgress, limit: number): boolean {
  progress.queryErrors += 1;
  return progress.queryErrors > limit;
}

/**
 * Requests the candidate served since the step began, for a bake's `minRequests`. Each look
 * counts the requests of its window; windows of successive looks overlap (or leave gaps), so
 * only the part of a window after the last counted instant is added, pro rata (a uniform rate
 * within a window is assumed). Never needs a second query.
 */
export function countNewRequests(progress: StepProgress, requests: number, window: { fromMs: number; toMs: number }): void {
  const span = window.toMs - window.fromMs;
  if (span <= 0) return;
  const stepStart = progress.startedAtMs ?? window.fromMs;
  const from = Math.max(window.fromMs, progress.countedToMs ?? stepStart);
  if (window.toMs <= from) return;
  progress.requestsSeen = (progress.requestsSeen ?? 0) + Math.round((requests * (window.toMs - from)) / span);
  progress.countedToMs = window.toMs;
}

/**
 * The input of the next execution is written to the history of both executions, so it is kept
 * small (Durable Functions' guidance: keep orchestration inputs small, they are serialized into
 * the history and replayed): every list in it is bounded (journal, approvals, overrides, evidence,
 * carried decisions) and what no later execution reads is dropped. Once planned, the model's tags
 * and properties (the event's, as large as the registry allows) are never read again: the plan
 * carries what it needs, and only a retry of a failed plan (never planned) resolves and plans again.
 * test/orchestration/carried-state.test.ts holds a worst case under CARRIED_STATE_BUDGET_BYTES.
 */
export function carriedState(state: EngineState, atMs: number): EngineState {
  if (state.carriedApprovals.length > RECORD_LIMIT) {
    const dropped = state.carriedApprovals.splice(0, state.carriedApprovals.length - RECORD_LIMIT);
    journal(state, atMs, `${dropped.length} older approval events dropped: only the newest ${RECORD_LIMIT} are carried`);
  }
  if (state.mode !== 'queued' && state.failedFrom !== 'plan') {
    const model = state.input.model;
    if (Object.keys(model.tags).length > 0 || Object.keys(model.properties).length > 0)
      state.input = { ...state.input, model: { ...model, tags: {}, properties: {} } };
  }
  return state;
}
