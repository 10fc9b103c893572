/**
 * sendNotification. What a notification says is built in src/notify, once: with a channel sender
 * plugged in (`send` in createActivities' deps) src/notify builds and delivers it; without one,
 * the same message (src/notify's plainNotification) goes to the Notifier port. A failing notifier
 * never fails a rollout: the failure is logged and reported as `sent: false`.
 */
import { plainNotification } from '../notify/message';
import type { SendNotificationInput, SendNotificationOutput } from '../orchestration/activity-contracts';
import type { ActivityContext } from './context';

export type NotificationSender = (input: SendNotificationInput) => Promise<SendNotificationOutput>;

export async function sendNotification(
  ctx: ActivityContext,
  input: SendNotificationInput,
  sender: NotificationSender | undefined,
): Promise<SendNotificationOutput> {
  try {
    if (sender) return await sender(input);
    await ctx.notifier.send(plainNotification(input, ctx.clock.now()));
    return { sent: true };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    console.warn(`[sendNotification] ${input.kind} for ${input.status.rolloutId} not sent: ${detail}`);
    return { sent: false, detail };
  }
}
