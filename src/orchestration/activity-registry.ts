/**
 * The activity registry's contract half: for every rollout activity, its name and the schemas of
 * what goes in and what comes out. One table, read by both sides of the boundary:
 *   - the engine calls an activity by its name (`call` in engine-io.ts) and validates the answer
 *     with the entry's output schema;
 *   - src/activities pairs each entry with its implementation (`createActivities`, typed
 *     `Record<ActivityName, ...>` so a missing implementation does not compile, and a test checks
 *     the map at run time), validating input and output with the same schemas;
 *   - src/app/register.ts registers one durable activity per entry.
 *
 * The implementations live in src/activities because they reach Azure through the ports: the
 * layering (.dependency-cruiser.cjs, pure-imports-only-pure) forbids this folder from importing
 * them, so the registry is split into this pure half and the implementation map.
 */
import type { z } from 'zod';
import type { Immutable } from '../analysis/immutable';
import { ACTIVITY, type ActivityName } from './activity-names';
import * as contract from './activity-contracts';
import { rolloutInputSchema } from './events';

export interface ActivityContract<I, O> {
  readonly name: ActivityName;
  readonly input: z.ZodType<I>;
  readonly output: z.ZodType<O>;
  /** The activity raises events on other orchestrations: its registration binds a durable client. */
  readonly needsDurableClient?: true;
}

function entry<I, O>(
  name: ActivityName,
  input: z.ZodType<I>,
  output: z.ZodType<O>,
  extra: { needsDurableClient?: true } = {},
): ActivityContract<I, O> {
  return { name, input, output, ...extra };
}

export const ACTIVITY_CONTRACTS = {
  [ACTIVITY.resolveTarget]: entry(ACTIVITY.resolveTarget, rolloutInputSchema, contract.resolveTargetOutputSchema),
  [ACTIVITY.planRollout]: entry(ACTIVITY.planRollout, rolloutInputSchema, contract.planSchema),
  [ACTIVITY.getEndpointState]: entry(
    ACTIVITY.getEndpointState,
    contract.getEndpointStateInputSchema,
    contract.getEndpointStateOutputSchema,
  ),
  [ACTIVITY.createDeployment]: entry(ACTIVITY.createDeployment, contract.createDeploymentInputSchema, contract.deploymentOutputSchema),
  [ACTIVITY.replaceModel]: entry(ACTIVITY.replaceModel, contract.replaceModelInputSchema, contract.deploymentOutputSchema),
  [ACTIVITY.deleteDeployment]: entry(
    ACTIVITY.deleteDeployment,
    contract.deleteDeploymentInputSchema,
    contract.deleteDeploymentOutputSchema,
  ),
  [ACTIVITY.setTraffic]: entry(ACTIVITY.setTraffic, contract.setTrafficInputSchema, contract.setTrafficOutputSchema),
  [ACTIVITY.smokeTest]: entry(ACTIVITY.smokeTest, contract.smokeTestInputSchema, contract.smokeTestOutputSchema),
  [ACTIVITY.checkGates]: entry(ACTIVITY.checkGates, contract.checkGatesInputSchema, contract.checkGatesOutputSchema),
  [ACTIVITY.decideWinner]: entry(ACTIVITY.decideWinner, contract.decideWinnerInputSchema, contract.decideWinnerOutputSchema),
  [ACTIVITY.writeModelVerdict]: entry(
    ACTIVITY.writeModelVerdict,
    contract.writeModelVerdictInputSchema,
    contract.writeModelVerdictOutputSchema,
  ),
  [ACTIVITY.sendNotification]: entry(
    ACTIVITY.sendNotification,
    contract.sendNotificationInputSchema,
    contract.sendNotificationOutputSchema,
  ),
  [ACTIVITY.requestSupersede]: entry(
    ACTIVITY.requestSupersede,
    contract.requestSupersedeInputSchema,
    contract.requestSupersedeOutputSchema,
    { needsDurableClient: true },
  ),
} satisfies Record<ActivityName, ActivityContract<unknown, unknown>>;

export type ActivityContracts = typeof ACTIVITY_CONTRACTS;
/** What activity N takes, and what it answers (from its schemas, never written twice). */
// Read-only like every type inferred from the concept schemas (src/analysis/immutable.ts).
export type ActivityInput<N extends ActivityName> = ActivityContracts[N] extends ActivityContract<infer I, unknown> ? Immutable<I> : never;
export type ActivityOutput<N extends ActivityName> = ActivityContracts[N] extends ActivityContract<unknown, infer O> ? Immutable<O> : never;

/** The entry of an activity, by name (a name outside the table is a compile error). */
export function activityContract<N extends ActivityName>(name: N): ActivityContracts[N] {
  return ACTIVITY_CONTRACTS[name];
}
