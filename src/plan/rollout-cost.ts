/**
 * What a rollout itself costs (pure): the candidate's instances running beside the baseline for
 * the plan's timed steps. The mirror phase is included (mirrored requests load the candidate's
 * instances, they add none); so are the bakes of every traffic step, the watch after promotion and
 * the retention before the old deployment is deleted (both run then). Approvals, extensions for
 * thin traffic and Azure's provisioning time are not in the plan's clock, so the figure is the
 * planned minimum, and says so.
 */
import { rolloutExtraCost, type HourlyPrice } from '../analysis/cost';
import type { RolloutCostEstimate, Step } from './types';

/** Minutes both deployments run under the plan's timers (strategies with a separate candidate only). */
export function plannedOverlapMinutes(steps: readonly Step[]): number {
  if (!steps.some((s) => s.kind === 'deploy')) return 0;
  return steps.reduce((sum, step) => {
    if (step.kind === 'bake') return sum + step.durationMinutes;
    if (step.kind === 'cleanup') return sum + step.afterMinutes;
    if (step.kind === 'decideWinner') return sum + step.maxWaitMinutes;
    return sum;
  }, 0);
}

/** Recreate: no second deployment, nothing extra to pay. */
export const IN_PLACE_ROLLOUT_COST: RolloutCostEstimate = {
  summary: 'no extra cost: the new version replaces the live one in place',
  amount: 0,
};

export function estimateRolloutCost(
  steps: readonly Step[],
  candidate: { readonly price: HourlyPrice; readonly instances: number },
): RolloutCostEstimate {
  const minutes = plannedOverlapMinutes(steps);
  if (minutes === 0) return IN_PLACE_ROLLOUT_COST;
  const extra = rolloutExtraCost(candidate.price, candidate.instances, minutes);
  return {
    summary: `extra cost of the rollout: ${extra.summary} (${candidate.price.pricePerHour} ${candidate.price.currency}/h each; the candidate beside the live deployment for the planned ${minutes} min, mirror phase included; approvals and extensions add to it)`,
    amount: extra.amount,
    currency: extra.currency,
  };
}
