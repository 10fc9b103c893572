/**
 * What became of a registration: the rollout it started (and what that rollout waits for, e.g.
 * "queued behind rollout ..."), or why none started. Event Grid deliveries are acknowledged whatever
 * the app decides, so the answer is read back from the API: the rollout list, else a dry-run start
 * that states the policy decision (opted out, no policy applies) without acting on it.
 */
import { dryRunResultSchema, rolloutListSchema } from '../api/schemas';
import type { ApiClient } from './api-client';

export interface RegistrationOutcome {
  readonly rolloutId?: string;
  /** One line for people. */
  readonly text: string;
}

export async function registrationOutcome(client: ApiClient, model: string, version: string): Promise<RegistrationOutcome> {
  try {
    const page = await client.request('GET', `/api/rollouts?model=${encodeURIComponent(model)}&top=500`, rolloutListSchema);
    const rollout = page.items.find((i) => i.version === version);
    if (rollout) {
      return {
        rolloutId: rollout.rolloutId,
        text: `rollout: ${rollout.rolloutId} (${rollout.phase}${rollout.waitingFor ? `, ${rollout.waitingFor}` : ''})  (watch it: aml-rollout watch ${rollout.rolloutId})`,
      };
    }
  } catch (error) {
    return { text: `could not look up the rollout of ${model}:${version}: ${error instanceof Error ? error.message : String(error)}` };
  }
  try {
    const dryRun = await client.request('POST', '/api/rollouts', dryRunResultSchema, { model, version, dryRun: true });
    if (!dryRun.wouldStart) return { text: `no rollout started: ${dryRun.reason}` };
    return { text: `no rollout yet: ${dryRun.reason}, but none is listed; the event may still be on its way (aml-rollout list)` };
  } catch (error) {
    // The refusal itself is the reason (e.g. the version is not registered: 404).
    return { text: `no rollout started: ${error instanceof Error ? error.message : String(error)}` };
  }
}
