/**
 * Delivery: POST each channel's payload with a bounded retry (network errors, 408, 429 with
 * Retry-After, 5xx), in parallel across channels. A failing channel is logged and counted and
 * never fails the caller: sendRolloutNotification resolves, always, with what was delivered.
 */
import { RolloutError } from '../errors';
import type { Clock } from '../ports/clock';
import { withRetries } from '../common/retry';
import type { StructuredLogger } from '../ingest/ports';
import { sendNotificationInputSchema, type SendNotificationInput, type SendNotificationOutput } from '../orchestration/activity-contracts';
import { slackPayload, teamsPayload, webhookPayload, type ChannelKind } from './channels';
import { buildRolloutNotification, type RolloutNotification } from './message';

interface NotifyRetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * Jitter source of the back-off (src/common/retry.ts). Absent: 1, the full exponential wait
   * (1 s, 2 s, 4 s...) with no jitter, which is what a webhook that throttled us expects.
   */
  readonly random?: () => number;
}

const DEFAULT_NOTIFY_RETRY: NotifyRetryPolicy = { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 30_000 };

export interface NotifyDeps {
  /** Channel URLs (NOTIFY_TEAMS_WEBHOOK_URL, NOTIFY_SLACK_WEBHOOK_URL, NOTIFY_GENERIC_WEBHOOK_URL). */
  readonly channels: Readonly<Partial<Record<ChannelKind, string>>>;
  readonly publicBaseUrl: string;
  readonly linkSecret: string | undefined;
  readonly linkTtlMinutes: number;
  /** Timestamps and back-off waits (the ambient clock: virtual in simulations). */
  readonly clock: Clock;
  readonly log?: StructuredLogger;
  readonly retry?: NotifyRetryPolicy;
  /** Per-request timeout (real time: it bounds a network call). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** Process-wide delivery counts, per channel (for logs, tests and a health view). */
export const notificationCounters: Record<ChannelKind, { sent: number; failed: number; retries: number }> = {
  teams: { sent: 0, failed: 0, retries: 0 },
  slack: { sent: 0, failed: 0, retries: 0 },
  webhook: { sent: 0, failed: 0, retries: 0 },
};

/** A failed POST: retryable for network errors, 408, 429 and 5xx (what src/common/retry.ts retries). */
class DeliveryError extends RolloutError {
  constructor(message: string, retryable: boolean, retryAfterMs?: number) {
    super(retryable ? 'Transient' : 'Internal', message, { retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
}

/** Retry-After in seconds or as an HTTP date (read on the injected clock). */
function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

async function postOnce(url: string, payload: unknown, deps: NotifyDeps): Promise<void> {
  const doFetch = deps.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'aml-rollout' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
    });
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new DeliveryError(`network error: ${cause}`, true);
  }
  if (response.ok) return;
  const text = (await response.text().catch(() => '')).slice(0, 200);
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  throw new DeliveryError(
    `HTTP ${response.status}${text ? `: ${text}` : ''}`,
    retryable,
    retryAfterMs(response.headers.get('retry-after'), deps.clock.now()),
  );
}

/** Redacts a webhook URL for logs: its path and query are the secret. */
function redactUrl(url: string): string {
  try {
    return `${new URL(url).origin}/...`;
  } catch {
    return '(invalid url)';
  }
}

async function deliver(
  channel: ChannelKind,
  url: string,
  payload: unknown,
  deps: NotifyDeps,
  rolloutId: string,
): Promise<string | undefined> {
  const policy = deps.retry ?? DEFAULT_NOTIFY_RETRY;
  let attempts = 0;
  try {
    await withRetries(
      (attempt) => {
        attempts = attempt;
        return postOnce(url, payload, deps);
      },
      {
        clock: deps.clock,
        operation: `notify ${channel}`,
        maxAttempts: policy.maxAttempts,
        baseDelayMs: policy.baseDelayMs,
        maxDelayMs: policy.maxDelayMs,
        random: policy.random ?? (() => 1),
        onRetry: () => void (notificationCounters[channel].retries += 1),
      },
    );
    notificationCounters[channel].sent += 1;
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    notificationCounters[channel].failed += 1;
    deps.log?.warn('notify.failed', { channel, rolloutId, target: redactUrl(url), attempts, error: message });
    return `${channel}: ${message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
  }
}

function payloadFor(channel: ChannelKind, notification: RolloutNotification, input: SendNotificationInput): unknown {
  if (channel === 'teams') return teamsPayload(notification);
  if (channel === 'slack') return slackPayload(notification);
  return webhookPayload(notification, input);
}

/**
 * The 'sendNotification' activity's implementation (src/activities calls it as its sender).
 * Never throws: a rollout must not wait on, or fail because of, a chat webhook.
 */
export async function sendRolloutNotification(rawInput: SendNotificationInput, deps: NotifyDeps): Promise<SendNotificationOutput> {
  try {
    const input = sendNotificationInputSchema.parse(rawInput);
    let wanted = (Object.keys(deps.channels) as ChannelKind[]).filter((c) => Boolean(deps.channels[c]));
    // The policy's choice, as the plan carries it (read once, when the rollout was planned). Absent
    // only in inputs scheduled by an older version: every configured channel, every kind.
    const chosen = input.notifications;
    if (chosen) {
      if (!chosen.on.includes(input.kind))
        return { sent: false, detail: `policy ${input.status.policy} does not subscribe to ${input.kind}` };
      wanted = wanted.filter((c) => chosen.channels.includes(c));
    }
    if (wanted.length === 0) return { sent: false, detail: 'no notification channel configured for this rollout' };
    const notification = buildRolloutNotification(input, {
      publicBaseUrl: deps.publicBaseUrl,
      linkSecret: deps.linkSecret,
      linkTtlMinutes: deps.linkTtlMinutes,
      nowMs: deps.clock.now(),
    });
    const failures = await Promise.all(
      wanted.map((channel) =>
        deliver(channel, deps.channels[channel]!, payloadFor(channel, notification, input), deps, input.status.rolloutId),
      ),
    );
    const failed = failures.filter((f): f is string => f !== undefined);
    const sentTo = wanted.filter((_, i) => failures[i] === undefined);
    deps.log?.info('notify.sent', { kind: input.kind, rolloutId: input.status.rolloutId, sentTo, failed: failed.length });
    return { sent: sentTo.length > 0, ...(failed.length > 0 ? { detail: failed.join('; ') } : { detail: `sent to ${sentTo.join(', ')}` }) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    deps.log?.error('notify.error', { error: detail });
    return { sent: false, detail };
  }
}
