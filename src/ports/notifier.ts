/** Notifier: tell people what a rollout did. A failing notifier never blocks or fails a rollout. */
import type { NotificationKind } from '../policy/schema';

/** Defined once, with the policy's notification events (src/policy/schema.ts). */
export type { NotificationKind };

export interface NotificationLink {
  readonly label: string;
  readonly url: string;
}

export interface Notification {
  readonly kind: NotificationKind;
  readonly rolloutId: string;
  readonly title: string;
  readonly summary: string;
  readonly severity: 'info' | 'warning' | 'critical';
  /** Key facts (model, version, endpoint, step, traffic, verdict numbers). */
  readonly facts: Readonly<Record<string, string>>;
  /** e.g. signed approve / reject links, the dashboard. */
  readonly links: readonly NotificationLink[];
}

export interface Notifier {
  send(notification: Notification): Promise<void>;
}
