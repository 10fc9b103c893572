/**
 * sendNotification. The message format and channels belong to src/notify; until a richer sender
 * is plugged in (`send` in createActivities' deps), this builds a plain Notification from the
 * rollout status and hands it to the Notifier port. A failing notifier never fails a rollout:
 * the failure is logged and reported as `sent: false`.
 */
import { evidenceText, pValueText } from '../analysis/number-format';
import { cleanupLine, NOTIFICATION_SEVERITY } from '../notify/message';
import { describeStepStatus, formatTraffic, stepPosition } from '../plan/describe';
import type { Notification, NotificationKind } from '../ports';
import type { SendNotificationInput, SendNotificationOutput } from '../orchestration/activity-contracts';
import type { ActivityContext } from './context';

const TITLE: Record<NotificationKind, string> = {
  rolloutStarted: 'Rollout started',
  stepCompleted: 'Rollout step completed',
  gateFailed: 'Gate failed',
  approvalRequested: 'Approval requested',
  promoted: 'Rollout promoted',
  rolledBack: 'Rollout rolled back',
  failed: 'Rollout failed',
  cleanupFailed: 'Cleanup failed',
  cleanupDone: 'Cleanup done',
};

function toNotification(input: SendNotificationInput): Notification {
  const status = input.status;
  const facts: Record<string, string> = {
    model: `${status.model}:${status.version}`,
    endpoint: status.endpoint,
    strategy: status.strategy,
    phase: status.phase,
    step: describeStepStatus(status.step),
    traffic: formatTraffic(status.traffic ?? {}, status.mirror ?? {}),
  };
  if (status.reason) facts.reason = status.reason;
  if (input.gate) {
    facts.gate = `${input.gate.gate}: ${input.gate.verdict} (${input.gate.reason})`;
    for (const evidence of input.gate.evidence) {
      facts[`metric ${evidence.metric}`] =
        `${evidence.verdict}: candidate ${evidenceText(evidence.candidate)} vs baseline ${evidenceText(evidence.baseline)} (${evidence.threshold}; ${evidence.test}${evidence.pValue === undefined ? '' : `, p=${pValueText(evidence.pValue)}`})`;
    }
  }
  if (input.cleanup && (input.kind === 'cleanupFailed' || input.kind === 'cleanupDone'))
    facts.cleanup = cleanupLine(input.kind, input.cleanup.deployment, status.retrying);
  if (input.approval) {
    facts.approval = `${input.approval.name} (step ${input.approval.step + 1}) until ${new Date(input.approval.timeoutAtMs).toISOString()}${input.approval.reminder ? ' (reminder)' : ''}`;
    if (input.approval.why) facts.why = input.approval.why;
  }
  const summary =
    input.kind === 'approvalRequested'
      ? `Waiting for approval '${input.approval?.name ?? ''}'`
      : (status.reason ?? `${status.phase}, ${stepPosition(status.step)}`);
  return {
    kind: input.kind,
    rolloutId: status.rolloutId,
    title: `${TITLE[input.kind]}: ${status.model} v${status.version} on ${status.endpoint}`,
    summary,
    severity: NOTIFICATION_SEVERITY[input.kind],
    facts,
    links: [],
  };
}

export type NotificationSender = (input: SendNotificationInput) => Promise<SendNotificationOutput>;

export async function sendNotification(
  ctx: ActivityContext,
  input: SendNotificationInput,
  sender: NotificationSender | undefined,
): Promise<SendNotificationOutput> {
  try {
    if (sender) return await sender(input);
    await ctx.notifier.send(toNotification(input));
    return { sent: true };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    console.warn(`[sendNotification] ${input.kind} for ${input.status.rolloutId} not sent: ${detail}`);
    return { sent: false, detail };
  }
}
