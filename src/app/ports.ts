/**
 * The composition root: the real ports, built lazily from settings on first use (so loading the
 * app never touches Azure or the disk). The activity registrations in functions/ use this; tests
 * build activities over fakes with createActivities() directly.
 */
import { getSettings } from '../config';
import { getAmbientClock } from '../ports';
import { createAzurePorts } from '../azure';
import { createChannelNotifier, notifyDepsFromSettings, policyNotificationsFromFolder, sendRolloutNotification } from '../notify';
import { createActivities, type ActivityDeps, type ActivityHandler } from '../activities';
import type { ActivityName } from '../orchestration/activity-names';
import { createPolicyDirSource } from './policy-dir';

let deps: ActivityDeps | undefined;
let activities: Record<ActivityName, ActivityHandler> | undefined;

export function getActivityDeps(): ActivityDeps {
  if (!deps) {
    const settings = getSettings();
    const clock = getAmbientClock();
    // Fixed jitter: with one controller per endpoint there is no herd to spread, and a seeded
    // simulation on the virtual clock must replay the same back-off waits to give the same result.
    const azure = createAzurePorts(settings, { clock, random: () => 0.5 });
    // Teams / Slack / webhook per the policy's notifications (src/notify); failures never block.
    const notify = notifyDepsFromSettings(settings, clock, { policyNotifications: policyNotificationsFromFolder(settings.POLICY_DIR) });
    deps = {
      endpointControl: azure.endpointControl,
      metricsSource: azure.metricsSource,
      modelRegistry: azure.modelRegistry,
      notifier: createChannelNotifier(notify),
      sendNotification: (input) => sendRolloutNotification(input, notify),
      policyStore: createPolicyDirSource(settings.POLICY_DIR),
      clock,
      // The Azure adapters already retry each SDK call; one more round here covers a read-back
      // that saw a resource still settling.
      retryPolicy: { maxAttempts: 2, baseDelayMs: 5_000, maxDelayMs: 30_000 },
    };
  }
  return deps;
}

export function getActivities(): Record<ActivityName, ActivityHandler> {
  activities ??= createActivities(getActivityDeps());
  return activities;
}

/** For hosts that change settings between runs (the simulator): forget the built ports. */
export function resetAppPorts(): void {
  deps = undefined;
  activities = undefined;
}
