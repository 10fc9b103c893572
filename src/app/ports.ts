/**
 * The composition root: the real ports, built lazily from settings on first use (so loading the
 * app never touches Azure or the disk). The activity registrations in functions/ use this; tests
 * build activities over fakes with createActivities() directly.
 */
import { getSettings, type Settings } from '../config';
import { createRandom } from '../common/prng';
import { getAmbientClock } from '../ports';
import { createAzurePorts, type AzurePorts } from '../azure';
import { createChannelNotifier, notifyDepsFromSettings, sendRolloutNotification } from '../notify';
import { createActivities, type ActivityDeps, type ActivityHandler } from '../activities';
import type { ActivityName } from '../orchestration/activity-names';
import { policyRepositoryFor } from '../policy-store/repository';
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

let azure: { ports: AzurePorts; random: () => number } | undefined;
let deps: ActivityDeps | undefined;
let activities: Record<ActivityName, ActivityHandler> | undefined;

/**
 * One set of Azure clients (one credential, one ARM and one Logs client) for the whole app, and the
 * one jitter stream their back-off and the activities' retry policy draw from (one stream, so a
 * seeded simulation draws the same sequence whichever caller retries first).
 */
function getAzure(): { ports: AzurePorts; random: () => number } {
  if (!azure) {
    const settings = getSettings();
    const random = retryJitterSource(settings);
    azure = { ports: createAzurePorts(settings, { clock: getAmbientClock(), random }), random };
  }
  return azure;
}

function getActivityDeps(): ActivityDeps {
  if (!deps) {
    const settings = getSettings();
    const clock = getAmbientClock();
    const { ports, random } = getAzure();
    // Teams / Slack / webhook per the plan's notifications (src/notify); failures never block.
    const notify = notifyDepsFromSettings(settings, clock);
    deps = {
      endpointControl: ports.endpointControl,
      metricsSource: ports.metricsSource,
      modelRegistry: ports.modelRegistry,
      platformMetrics: ports.platformMetrics,
      prices: ports.prices,
      notifier: createChannelNotifier(notify),
      sendNotification: (input) => sendRolloutNotification(input, notify),
      policyStore: policyRepositoryFor(settings.POLICY_DIR),
      clock,
      // The Azure adapters already retry each SDK call; one more round here covers a read-back
      // that saw a resource still settling.
      retryPolicy: { maxAttempts: 2, baseDelayMs: 5_000, maxDelayMs: 30_000, random },
    };
  }
  return deps;
}

/**
 * The registry the Event Grid trigger and the webhooks ask "is this version registered?" before a
 * rollout starts: one attempt, no back-off (AzurePorts.ingestionModelRegistry says why: back-off
 * inside an open HTTP request would deadlock the virtual clock of a simulation).
 */
export function getIngestionModelRegistry(): ModelRegistry {
  return getAzure().ports.ingestionModelRegistry;
}

export function getActivities(): Record<ActivityName, ActivityHandler> {
  activities ??= createActivities(getActivityDeps());
  return activities;
}
