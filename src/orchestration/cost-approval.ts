/**
 * The cost outcome `requestApproval` (docs/gates.md "Cost check"): when a look finds the serving
 * cost over the policy's limit, the rollout asks a person once, at the point where the step would
 * otherwise go on (the end of a bake, a decisive gate), with the numbers. An approval lets the
 * rollout continue and is not asked again for later steps; a rejection or a timeout rolls back.
 * Asking mid-bake would let an approval end the bake early, skipping the rest of its checks.
 */
import type { GateOutcome } from './activity-contracts';

/** The reason to ask for a cost approval now, or undefined (no excess, or already asked once). */
export function costApprovalDue(
  outcomes: readonly Pick<GateOutcome, 'gate' | 'costApproval'>[],
  alreadyAsked: boolean,
): string | undefined {
  if (alreadyAsked) return undefined;
  const first = outcomes.find((o) => o.costApproval !== undefined);
  return first ? `gate '${first.gate}': ${first.costApproval ?? ''}` : undefined;
}
