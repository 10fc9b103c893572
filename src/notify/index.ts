/**
 * Notifications: Teams, Slack and generic webhooks (docs/notifications.md).
 *
 * Wiring: the composition root passes
 *   (input) => sendRolloutNotification(input, notifyDepsFromSettings(getSettings(), clock))
 * as the sendNotification activity's sender.
 */
import type { Settings } from '../config';
import type { StructuredLogger } from '../ingest/ports';
import type { Clock } from '../ports/clock';
import type { Notification, Notifier } from '../ports/notifier';
import type { NotifyDeps } from './send';
import { slackPayload, teamsPayload, type ChannelKind } from './channels';

export { sendRolloutNotification } from './send';
export { notificationCounters, type NotifyDeps } from './send';

export function notifyDepsFromSettings(
  settings: Pick<
    Settings,
    | 'NOTIFY_TEAMS_WEBHOOK_URL'
    | 'NOTIFY_SLACK_WEBHOOK_URL'
    | 'NOTIFY_GENERIC_WEBHOOK_URL'
    | 'PUBLIC_BASE_URL'
    | 'APPROVAL_LINK_SECRET'
    | 'APPROVAL_LINK_TTL_MINUTES'
  >,
  clock: Clock,
  extra: { log?: StructuredLogger } = {},
): NotifyDeps {
  const channels: Partial<Record<ChannelKind, string>> = {};
  if (settings.NOTIFY_TEAMS_WEBHOOK_URL) channels.teams = settings.NOTIFY_TEAMS_WEBHOOK_URL;
  if (settings.NOTIFY_SLACK_WEBHOOK_URL) channels.slack = settings.NOTIFY_SLACK_WEBHOOK_URL;
  if (settings.NOTIFY_GENERIC_WEBHOOK_URL) channels.webhook = settings.NOTIFY_GENERIC_WEBHOOK_URL;
  return {
    channels,
    publicBaseUrl: settings.PUBLIC_BASE_URL,
    linkSecret: settings.APPROVAL_LINK_SECRET,
    linkTtlMinutes: settings.APPROVAL_LINK_TTL_MINUTES,
    clock,
    ...extra,
  };
}

/**
 * The Notifier port over the configured channels, for callers that have a plain Notification
 * (no rollout status): Teams and Slack get their cards, the generic webhook the notification.
 * Failures are swallowed after logging, like sendRolloutNotification.
 */
export function createChannelNotifier(deps: NotifyDeps): Notifier {
  return {
    async send(notification: Notification) {
      const rich = { ...notification, gates: [] };
      const doFetch = deps.fetch ?? fetch;
      await Promise.all(
        (Object.entries(deps.channels) as [ChannelKind, string][]).map(async ([channel, url]) => {
          const payload =
            channel === 'teams'
              ? teamsPayload(rich)
              : channel === 'slack'
                ? slackPayload(rich)
                : { source: 'aml-rollout', ...notification };
          try {
            const response = await doFetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(payload),
              signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
            });
            if (!response.ok) throw new Error(`HTTP ${response.status}`);
          } catch (error) {
            deps.log?.warn('notify.failed', {
              channel,
              rolloutId: notification.rolloutId,
              error: error instanceof Error ? error.message : String(error),
            });
          }
        }),
      );
    },
  };
}
