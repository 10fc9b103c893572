/**
 * Approval steps (and the approval a no-data outcome asks for), decided purely: what a decision
 * that arrived means, and what the timeout does. The approval machine (step-machine.ts) waits for
 * the event or the deadline and carries out the answer (journal notes, the reminder notification); every rule of
 * the step lives here, tested by tables (test/orchestration/approval-decider.test.ts).
 */
import { reminderLimit } from './step-bounds';
import { AGREEMENT_APPROVAL, checksAgreement } from '../analysis/agreement';
import type { Plan, Step } from '../plan/types';
import type { StepResult } from './decider';
import { judgeApproval, recordApproval, type EngineState } from './engine-state';
import type { ApprovalEvent } from './events';

const MINUTE_MS = 60_000;

/** What an approval wait needs of its step: an approval step, or the no-data approval. */
export interface ApprovalWaitStep {
  readonly name: string;
  readonly timeoutMinutes: number;
  readonly onTimeout: 'rollback' | 'promote' | 'remind';
  readonly reminderIntervalMinutes: number;
  /** onTimeout remind: reminders sent before the step rolls back (absent: step-bounds.ts's default). */
  readonly maxReminders?: number | undefined;
  readonly approvers: readonly string[];
}

/**
 * The approval a no-data outcome of 'requestApproval' asks for: the timeout, reminders and
 * approvers of the plan's first approval (the policy's people and patience), but a timeout always
 * rolls back: without data and without a person, the rollout does not go on.
 */
export function noDataApproval(plan: Plan, stepIndex?: number): ApprovalWaitStep {
  const first = plan.steps.find((s): s is Extract<Step, { kind: 'approval' }> => s.kind === 'approval');
  return {
    // A prediction-agreement step asks about its disagreement (or its missing answers) by that name.
    name: stepIndex !== undefined && checksAgreement(plan, plan.steps[stepIndex]) ? AGREEMENT_APPROVAL : 'no-data',
    timeoutMinutes: first?.timeoutMinutes ?? 60,
    onTimeout: 'rollback',
    reminderIntervalMinutes: first?.reminderIntervalMinutes ?? 60,
    approvers: first?.approvers ?? plan.approvers,
  };
}

/** The answer to one event or timeout: the step's result (none = keep waiting) and the journal's notes. */
export interface ApprovalDecision {
  readonly result?: StepResult;
  readonly notes: readonly string[];
  /** A reminder is due: notify the approvers again. */
  readonly remind?: true;
}

/** A decision arrived: judged (rollout, step, approver), recorded on the status either way. */
export function onApprovalEvent(state: EngineState, step: ApprovalWaitStep, event: ApprovalEvent, atMs: number): ApprovalDecision {
  const judged = judgeApproval(event, state.plan.rolloutId, state.stepIndex, step.approvers);
  recordApproval(state, {
    step: event.step,
    decision: event.decision,
    by: event.by,
    atMs,
    accepted: judged.accepted,
    ...(event.comment === undefined ? {} : { comment: event.comment }),
    ...(judged.accepted ? {} : { note: judged.note }),
  });
  if (!judged.accepted) return { notes: [`${event.decision} by ${event.by} ignored: ${judged.note}`] };
  state.status.waitingFor = undefined;
  const said = `${event.by}${event.comment ? `: ${event.comment}` : ''}`;
  if (event.decision === 'approve') return { result: { kind: 'advance' }, notes: [`approved by ${said}`] };
  return { result: { kind: 'rollback', outcome: 'rejected', reason: `rejected by ${said}` }, notes: [`rejected by ${said}`] };
}

/** The deadline passed without an accepted decision: the step's onTimeout. */
export function onApprovalTimeout(state: EngineState, step: ApprovalWaitStep, nowMs: number): ApprovalDecision {
  state.status.waitingFor = undefined;
  if (step.onTimeout === 'rollback')
    return {
      result: { kind: 'rollback', outcome: 'rolledBack', reason: `approval '${step.name}' timed out after ${step.timeoutMinutes} min` },
      notes: [],
    };
  if (step.onTimeout === 'promote')
    return { result: { kind: 'advance' }, notes: [`approval '${step.name}' timed out; the policy says go on`] };
  // remind: keep waiting, one reminder per interval (a bounded number); a new execution keeps history bounded.
  const bound = reminderLimit(state.progress.reminders, step);
  if (bound) return { result: bound, notes: [] };
  state.progress.reminders += 1;
  state.progress.deadlineMs = nowMs + step.reminderIntervalMinutes * MINUTE_MS - state.progress.pausedMs;
  return {
    result: { kind: 'stay' },
    notes: [`approval '${step.name}' still pending; reminder ${state.progress.reminders} sent`],
    remind: true,
  };
}
