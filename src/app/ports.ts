/**
 * The composition root: the real ports, built lazily from settings on first use (so loading the
 * app never touches Azure or the disk). The activity registrations in functions/ use this; tests
 * build activities over fakes with createActivities() directly.
 */
import { getSettings, type Settings } from '../config';
import { createRandom } from '../common/prng';
import { getAmbientClock } from '../ports';
import { createAzurePorts } from '../azure';
import { createChannelNotifier, notifyDepsFromSettings, policyNotificationsFromFolder, sendRolloutNotification } from '../notify';
import { createActivities, type ActivityDeps, type ActivityHandler } from '../activities';
import type { ActivityName } from '../orchestration/activity-names';
import { createPolicyDirSource } from './policy-dir';
import type { ModelRegistry } from '../ports/model-registry';

/**
 * The jitter source for the Azure adapters' back-off. In Azure: Math.random, because many rollouts
 * (one per endpoint, all in one subscription) share ARM's throttling, and equal waits would retry
 * in lockstep. Locally with RANDOM_SEED (the simulator sets the scenario seed): a seeded stream, so
 * a simulation on the virtual clock replays the same waits and gives the same result.
 */
export function retryJitterSource(settings: Pick<Settings, 'RANDOM_SEED'>): () => number {
  if (settings.RANDOM_SEED === undefined) return Math.random;
  return createRandom(settings.RANDOM_SEED, 'azure-retry-jitter').next;
}

let deps: ActivityDeps | undefined;
let activities: Record<ActivityName, ActivityHandler> | undefined;

function getActivityDeps(): ActivityDeps {
  if (!deps) {
    const settings = getSettings();
    const clock = getAmbientClock();
    const random = retryJitterSource(settings);
    const azure = createAzurePorts(settings, { clock, random });
    // Teams / Slack / webhook per the policy's notifications (src/notify); failures never block.
    const notify = notifyDepsFromSettings(settings, clock, { policyNotifications: policyNotificationsFromFolder(settings.POLICY_DIR) });
    deps = {
      endpointControl: azure.endpointControl,
      metricsSource: azure.metricsSource,
      modelRegistry: azure.modelRegistry,
      platformMetrics: azure.platformMetrics,
      prices: azure.prices,
      notifier: createChannelNotifier(notify),
      sendNotification: (input) => sendRolloutNotification(input, notify),
      policyStore: createPolicyDirSource(settings.POLICY_DIR),
      clock,
      // The Azure adapters already retry each SDK call; one more round here covers a read-back
      // that saw a resource still settling.
      retryPolicy: { maxAttempts: 2, baseDelayMs: 5_000, maxDelayMs: 30_000, random },
    };
  }
  return deps;
}

let ingestionRegistry: ModelRegistry | undefined;

/**
 * The registry the Event Grid trigger and the webhooks ask "is this version registered?" before a
 * rollout starts. One attempt, no back-off: a throttled or failing registry answers the delivery
 * with a failure and Event Grid redelivers with its own back-off (minutes, up to 24 h), instead of
 * the trigger waiting inside one HTTP request (and, on the virtual clock of a simulation, waiting
 * for a clock that does not move while a request is open).
 */
export function getIngestionModelRegistry(): ModelRegistry {
  if (!ingestionRegistry) {
    const settings = getSettings();
    ingestionRegistry = createAzurePorts(settings, { clock: getAmbientClock(), random: retryJitterSource(settings), maxAttempts: 1 }).modelRegistry;
  }
  return ingestionRegistry;
}

export function getActivities(): Record<ActivityName, ActivityHandler> {
  activities ??= createActivities(getActivityDeps());
  return activities;
}
