/**
 * What a notification says: built once from the sendNotification activity's input (the rollout
 * status, the gate verdict, the approval being requested), then rendered per channel. Approval
 * requests carry the evidence and signed, single-use approve / reject links.
 */
import type { GateResult } from '../analysis/types';
import { createApprovalLinks, dashboardUrl } from '../approvals/approval-links';
import { agreementHeadline, describeAgreement, describeEvidence, evidenceDetail } from '../analysis/describe';
import type { SendNotificationInput } from '../orchestration/activity-contracts';
import type { Notification, NotificationKind, NotificationLink } from '../ports/notifier';
import { describeStepStatus, formatTraffic } from '../plan/describe';
import type { RolloutStatus } from '../plan/types';

/** How loud each kind is. */
const NOTIFICATION_SEVERITY: Readonly<Record<NotificationKind, Notification['severity']>> = {
  rolloutStarted: 'info',
  stepCompleted: 'info',
  gateFailed: 'critical',
  approvalRequested: 'warning',
  promoted: 'info',
  rolledBack: 'warning',
  failed: 'critical',
  cleanupFailed: 'warning',
  cleanupDone: 'info',
};

const HEADLINE: Readonly<Record<NotificationKind, string>> = {
  rolloutStarted: 'Rollout started',
  stepCompleted: 'Step completed',
  gateFailed: 'Gate failed',
  approvalRequested: 'Approval requested',
  promoted: 'Promoted',
  rolledBack: 'Rolled back',
  failed: 'Rollout failed',
  cleanupFailed: 'Cleanup failed',
  cleanupDone: 'Cleanup done',
};

/** What a cleanup notification says about the deployment: still retrying (when next), or done. */
function cleanupLine(kind: 'cleanupFailed' | 'cleanupDone', deployment: string, retrying: RolloutStatus['retrying']): string {
  if (kind === 'cleanupDone') return `'${deployment}' is deleted after earlier failed attempts`;
  if (!retrying) return `'${deployment}' takes no traffic but could not be deleted, and the retries have stopped: delete it by hand.`;
  return `'${deployment}' takes no traffic but could not be deleted (${retrying.failures} failed attempt(s): ${retrying.error}); next attempt ${new Date(retrying.nextAttemptAtMs).toISOString()}. Delete it by hand to stop the retries.`;
}

/**
 * A failed rollback is not left for a person: the orchestrator retries it with back-off inside the
 * failed window (docs/orchestration.md, "retry"), and only then ends Failed. The status carries
 * both times: `retrying.nextAttemptAtMs` and the window's end (`waitingFor.untilMs`).
 */
function rollbackRetry(s: RolloutStatus): { fact: string; windowEnd: string } | undefined {
  if (s.phase !== 'Failed' || !s.retrying) return undefined;
  const { failures, nextAttemptAtMs } = s.retrying;
  const windowEndMs = s.waitingFor?.untilMs;
  const windowEnd = windowEndMs === undefined ? 'the end of the failed window' : new Date(windowEndMs).toISOString();
  const next =
    windowEndMs === undefined || nextAttemptAtMs < windowEndMs
      ? `attempt ${failures + 1} at ${new Date(nextAttemptAtMs).toISOString()}`
      : 'no attempt is left before the window ends';
  return {
    fact: `the rollback, automatically (${failures} failed attempt(s)): ${next}; retries stop at ${windowEnd}, then the rollout ends Failed`,
    windowEnd,
  };
}

/** A Notification plus the gate verdicts it is about (rendered as an evidence section). */
export interface RolloutNotification extends Notification {
  readonly gates: readonly GateResult[];
  /** When the approve / reject links stop working (approval requests only). */
  readonly linksExpireAtMs?: number;
}

export interface MessageOptions {
  /**
   * PUBLIC_BASE_URL (the dashboard and approval links point here). Undefined: the message carries
   * no links at all (a plain Notifier without a configured app address, see plainNotification).
   */
  readonly publicBaseUrl: string | undefined;
  /** APPROVAL_LINK_SECRET; without it (or without publicBaseUrl) approval requests carry no signed links. */
  readonly linkSecret: string | undefined;
  readonly linkTtlMinutes: number;
  readonly nowMs: number;
}

export function evidenceLines(gates: readonly GateResult[]): string[] {
  return gates.flatMap((g) => [
    `${g.gate} (look ${g.look}): ${g.verdict.toUpperCase()} - ${g.reason}`,
    ...g.evidence.flatMap((e) => {
      const detail = evidenceDetail(e);
      return detail === undefined ? [`  ${describeEvidence(e)}`] : [`  ${describeEvidence(e)}`, `    ${detail}`];
    }),
    ...(g.agreement ? describeAgreement(g.agreement).map((line) => `  ${line}`) : []),
  ]);
}

export function buildRolloutNotification(input: SendNotificationInput, options: MessageOptions): RolloutNotification {
  const s = input.status;
  const facts: Record<string, string> = {
    Model: `${s.model} version ${s.version}`,
    Endpoint: s.endpoint,
    Policy: `${s.policy} (${s.strategy})`,
    Phase: s.phase,
    Step: describeStepStatus(s.step),
    Traffic: formatTraffic(s.traffic, s.mirror ?? {}),
  };
  if (s.reason) facts.Reason = s.reason;
  if (s.winner) facts.Winner = `${s.winner.deployment}: ${s.winner.reason}`;
  if (s.rolloutCost) facts['Rollout cost'] = s.rolloutCost.summary;
  // An approval a rule asks for (the cost limit, no data) rather than a policy step says why, with the numbers.
  if (input.kind === 'approvalRequested' && input.approval?.why) facts['Why'] = input.approval.why;
  if (s.predictionAgreement) facts['Prediction agreement'] = agreementHeadline(s.predictionAgreement);

  const links: NotificationLink[] = [];
  let linksExpireAtMs: number | undefined;
  let summary: string;
  switch (input.kind) {
    case 'approvalRequested': {
      const approval = input.approval;
      const name = approval?.name ?? 'approval';
      summary = `${s.model} ${s.version} on ${s.endpoint} waits for approval "${name}"${approval?.reminder ? ' (reminder)' : ''}. Review the evidence, then approve or reject.`;
      // Which step is asked for: an answer names it (the approval event's `step`, 1-based here).
      if (approval) facts['Approval'] = `${approval.name} (step ${approval.step + 1})${approval.reminder ? ' (reminder)' : ''}`;
      if (approval) facts['Decide by'] = new Date(approval.timeoutAtMs).toISOString();
      if (approval && options.linkSecret && options.publicBaseUrl !== undefined) {
        const ttlEnd = options.nowMs + options.linkTtlMinutes * 60_000;
        // Links live until the approval times out (or the configured TTL, whichever is first);
        // a reminder after the timeout gets fresh links for the TTL.
        linksExpireAtMs = approval.timeoutAtMs > options.nowMs ? Math.min(ttlEnd, approval.timeoutAtMs) : ttlEnd;
        const signed = createApprovalLinks({
          rolloutId: s.rolloutId,
          step: approval.step,
          expiresAtMs: linksExpireAtMs,
          baseUrl: options.publicBaseUrl,
          secret: options.linkSecret,
        });
        links.push({ label: 'Approve', url: signed.approveUrl }, { label: 'Reject', url: signed.rejectUrl });
        facts['Links expire'] = new Date(linksExpireAtMs).toISOString();
      }
      break;
    }
    case 'gateFailed':
      summary = input.gate ? `Gate "${input.gate.gate}" failed: ${input.gate.reason}` : `A gate failed for ${s.model} ${s.version}.`;
      break;
    case 'rolledBack':
      summary = `${s.model} ${s.version} was rolled back on ${s.endpoint}${s.reason ? `: ${s.reason}` : ''}. ${s.baseline} serves all traffic.`;
      break;
    case 'promoted':
      summary = `${s.model} ${s.version} now serves all traffic on ${s.endpoint}.`;
      break;
    case 'failed': {
      const retry = rollbackRetry(s);
      if (retry) facts['Retrying'] = retry.fact;
      const next = retry
        ? `The rollback is retried automatically until ${retry.windowEnd}; an operator can retry it now or abort.`
        : 'An operator can retry or abort it.';
      summary = `The rollout of ${s.model} ${s.version} failed${s.reason ? `: ${s.reason}` : ''}. ${next}`;
      break;
    }
    case 'cleanupFailed':
    case 'cleanupDone':
      // The outcome stands (the rollout is promoted, or rolled back with the candidate at 0%).
      summary = `${s.model} ${s.version} on ${s.endpoint} is ${s.phase}; ${cleanupLine(input.kind, input.cleanup?.deployment ?? 'a deployment', s.retrying)}`;
      break;
    case 'rolloutStarted':
      summary = `Rolling out ${s.model} ${s.version} to ${s.endpoint} with policy ${s.policy} (${s.strategy}).`;
      break;
    case 'stepCompleted':
      // Sent before the status moves on: its step is the one just completed.
      summary = `Done: ${describeStepStatus(s.step)}.`;
      break;
  }
  if (options.publicBaseUrl !== undefined) links.push({ label: 'Open dashboard', url: dashboardUrl(options.publicBaseUrl, s.rolloutId) });

  const gates = input.gate
    ? [input.gate]
    : input.kind === 'approvalRequested' || input.kind === 'rolledBack'
      ? (s.gates ?? []).slice(-3)
      : [];
  return {
    kind: input.kind,
    rolloutId: s.rolloutId,
    title: `${HEADLINE[input.kind]}: ${s.model} ${s.version} on ${s.endpoint}`,
    summary,
    severity: NOTIFICATION_SEVERITY[input.kind],
    facts,
    links,
    gates,
    ...(linksExpireAtMs !== undefined ? { linksExpireAtMs } : {}),
  };
}

/**
 * What a plain Notifier gets when no channel sender is plugged in (src/activities' fallback): the
 * same message, title, summary, severity and facts, without signed links (no secret) and without a
 * dashboard link (no app address is known there). The gate verdicts stay out: the Notifier port
 * carries no evidence section, and the summary already names a failed gate's reason.
 */
export function plainNotification(input: SendNotificationInput, nowMs: number): Notification {
  const message = buildRolloutNotification(input, { publicBaseUrl: undefined, linkSecret: undefined, linkTtlMinutes: 0, nowMs });
  const { kind, rolloutId, title, summary, severity, facts, links } = message;
  return { kind, rolloutId, title, summary, severity, facts, links };
}
