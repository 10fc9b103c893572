/**
 * The zod contracts of every rollout activity: what the orchestrator sends and what comes back.
 * Both sides validate (the activity parses its input, the orchestrator parses the result), so a
 * drifting shape fails loudly at the boundary with the field that is wrong, instead of deep
 * inside a replay. Everything here is JSON-serialisable because it is recorded in history.
 */
import { z } from 'zod';
import type { Immutable } from '../analysis/immutable';
import { gateResultSchema, gateSpecSchema } from '../analysis/types';
import { endpointRefSchema, notificationSpecSchema, outcomeSchema, planSchema, rolloutStatusSchema, splitSchema } from '../plan/types';
import { CONCURRENCY_MODES, NOTIFICATION_EVENTS } from '../policy/schema';
import { ValidationError } from '../errors';

// The plan, gate specs, gate results and the status are defined once, as schemas, in src/plan and
// src/analysis; the contracts below compose them. The plan is named here too because it is an
// activity's output (planRollout) and the orchestration's carried state.
export { planSchema };

const nonEmpty = z.string().min(1);

// ---- activities ----

/** resolveTarget: input is RolloutInput (events.ts). */
export const resolveTargetOutputSchema = z.object({
  target: endpointRefSchema,
  concurrency: z.enum(CONCURRENCY_MODES),
});
export type ResolveTargetOutput = Immutable<z.output<typeof resolveTargetOutputSchema>>;

export const deploymentStateSchema = z.object({
  name: z.string(),
  provisioningState: z.enum(['Creating', 'Updating', 'Scaling', 'Deleting', 'Succeeded', 'Failed', 'Canceled']),
  modelId: z.string(),
  instanceType: z.string(),
  instanceCount: z.number(),
});

export const getEndpointStateInputSchema = z.object({ target: endpointRefSchema });
export const getEndpointStateOutputSchema = z.object({
  traffic: splitSchema,
  mirror: splitSchema,
  provisioningState: z.string(),
  deployments: z.array(deploymentStateSchema),
});

export const createDeploymentInputSchema = z.object({
  target: endpointRefSchema,
  deployment: nonEmpty,
  cloneFrom: nonEmpty,
  modelId: nonEmpty,
  instanceCount: z.number().int().positive().optional(),
  rolloutId: nonEmpty,
});
export const deploymentOutputSchema = z.object({ deployment: deploymentStateSchema });

export const replaceModelInputSchema = z.object({ target: endpointRefSchema, deployment: nonEmpty, modelId: nonEmpty });

/** The facts the invariant checker needs about the deployments a traffic change touches. */
export const trafficFactsSchema = z.object({
  /** Deployments that passed their smoke test in this rollout (the baseline counts as passed: it serves today). */
  smokeTestPassed: z.array(nonEmpty),
});

export const deleteDeploymentInputSchema = z.object({
  target: endpointRefSchema,
  deployment: nonEmpty,
  facts: trafficFactsSchema,
  /** Delete only a deployment this rollout created (its `rollout-id` tag): a later retry must never remove another rollout's deployment of the same name. */
  createdBy: nonEmpty.optional(),
});
export const deleteDeploymentOutputSchema = z.object({ deleted: z.boolean(), kept: z.string().optional() });

export const setTrafficInputSchema = z.object({
  target: endpointRefSchema,
  traffic: splitSchema,
  mirror: splitSchema,
  facts: trafficFactsSchema,
});
export const setTrafficOutputSchema = z.object({ traffic: splitSchema, mirror: splitSchema });

export const smokeTestInputSchema = z.object({
  target: endpointRefSchema,
  deployment: nonEmpty,
  requests: z.number().int().positive(),
  maxFailures: z.number().int().nonnegative(),
  payload: z.unknown(),
});
export const smokeTestOutputSchema = z.object({
  passed: z.boolean(),
  requests: z.number().int(),
  failures: z.number().int(),
  /** Requests answered by another deployment than the one asked for (routing broken). */
  misrouted: z.number().int(),
  latencyP50Ms: z.number(),
  latencyMaxMs: z.number(),
  statusCodes: z.record(z.string(), z.number()),
  reason: z.string(),
});

export const checkGatesInputSchema = z.object({
  target: endpointRefSchema,
  gates: z.array(gateSpecSchema).min(1),
  baseline: nonEmpty,
  candidate: nonEmpty,
  /** The orchestration's time (context.df.currentUtcDateTime), never the activity's wall clock. */
  nowMs: z.number(),
  /** Look number (1-based) per gate, for the sequential method. */
  looks: z.record(z.string(), z.number().int().positive()),
  /** Adaptive bakes: also count each arm's requests, failures and latencies from this time (the step's start) on. */
  armsSinceMs: z.number().optional(),
  /** What the look relies on (src/orchestration/endpoint-check.ts): verified before any query. */
  expect: z
    .object({ deployments: z.array(nonEmpty), traffic: z.record(z.string(), z.number()), mirror: z.record(z.string(), z.number()) })
    .optional(),
});
const armCountsSchema = z.object({
  requests: z.number().nonnegative(),
  failures: z.number().nonnegative(),
  latenciesSorted: z.array(z.number()),
});
/** A query that failed after retries is an 'error' outcome with its reason: never a pass. */
export const gateOutcomeSchema = z.object({
  gate: z.string(),
  outcome: z.enum(['pass', 'fail', 'inconclusive', 'error']),
  result: gateResultSchema.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Requests the candidate served in the window (from the result's evidence), when known. */
  candidateRequests: z.number().optional(),
  /** The cost limit is exceeded and the policy asks a person: why, with the numbers. */
  costApproval: z.string().optional(),
});
export const checkGatesOutputSchema = z.object({
  outcomes: z.array(gateOutcomeSchema),
  /** With armsSinceMs: each arm's data since then (up to the first gate's window end), when the query answered. */
  arms: z.object({ candidate: armCountsSchema, baseline: armCountsSchema }).optional(),
  /** Set when the endpoint is not what the look relies on: nothing was queried, the reasons are here. */
  endpointProblems: z.array(z.string()).min(1).optional(),
});

export const decideWinnerInputSchema = z.object({
  target: endpointRefSchema,
  gate: gateSpecSchema,
  baseline: nonEmpty,
  candidate: nonEmpty,
  nowMs: z.number(),
  /** The A/B window starts when the split was set. */
  sinceMs: z.number(),
  minRequestsPerArm: z.number().int().nonnegative(),
  look: z.number().int().positive(),
  /** The test's time is up: a tie is decided for the baseline. */
  final: z.boolean().optional(),
});
export const decideWinnerOutputSchema = z.object({
  /** 'undecided': not enough samples or no significant difference yet. */
  winner: z.enum(['baseline', 'candidate', 'undecided']),
  reason: z.string(),
  result: gateResultSchema.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export const writeModelVerdictInputSchema = z.object({
  model: z.object({ subscriptionId: nonEmpty, resourceGroup: nonEmpty, workspace: nonEmpty, model: nonEmpty, version: nonEmpty }),
  rolloutId: nonEmpty,
  outcome: outcomeSchema,
  reason: z.string(),
  atMs: z.number(),
  /** The rollout's own extra cost (the plan's estimate), written beside the verdict. */
  rolloutCost: z.string().optional(),
  /** The prediction-agreement result in one line, when the plan checked it (tag rollout-prediction-agreement). */
  predictionAgreement: z.string().optional(),
});
export const writeModelVerdictOutputSchema = z.object({ tags: z.record(z.string(), z.string()) });

const notificationKindSchema = z.enum(NOTIFICATION_EVENTS);

export const sendNotificationInputSchema = z.object({
  kind: notificationKindSchema,
  status: rolloutStatusSchema,
  /** The plan's notifications (channels and kinds); absent in inputs scheduled by an older version. */
  notifications: notificationSpecSchema.optional(),
  gate: gateResultSchema.optional(),
  approval: z
    .object({
      step: z.number().int().nonnegative(),
      name: z.string(),
      timeoutAtMs: z.number(),
      reminder: z.boolean().optional(),
      /**
       * Why a person is asked, when a rule rather than a policy step asks (the cost limit, no data,
       * prediction disagreement), with its numbers; the notification's "Why" line. Absent for a
       * policy's own approval step, whose reason is the policy itself.
       */
      why: z.string().optional(),
    })
    .optional(),
  /** cleanupFailed / cleanupDone: the deployment whose delete failed (status.retrying says when the next attempt is). */
  cleanup: z.object({ deployment: nonEmpty }).optional(),
});
export const sendNotificationOutputSchema = z.object({ sent: z.boolean(), detail: z.string().optional() });

export const requestSupersedeInputSchema = z.object({
  /** The older rollout to abort. */
  instanceId: nonEmpty,
  by: nonEmpty,
  reason: z.string(),
  atMs: z.number(),
});
export const requestSupersedeOutputSchema = z.object({ raised: z.boolean(), detail: z.string() });

export type EndpointRefInput = Immutable<z.output<typeof endpointRefSchema>>;
export type GetEndpointStateOutput = Immutable<z.output<typeof getEndpointStateOutputSchema>>;
export type CreateDeploymentInput = Immutable<z.output<typeof createDeploymentInputSchema>>;
export type DeploymentOutput = Immutable<z.output<typeof deploymentOutputSchema>>;
export type ReplaceModelInput = Immutable<z.output<typeof replaceModelInputSchema>>;
export type TrafficFacts = Immutable<z.output<typeof trafficFactsSchema>>;
export type DeleteDeploymentInput = Immutable<z.output<typeof deleteDeploymentInputSchema>>;
export type DeleteDeploymentOutput = Immutable<z.output<typeof deleteDeploymentOutputSchema>>;
export type SetTrafficInput = Immutable<z.output<typeof setTrafficInputSchema>>;
export type SetTrafficOutput = Immutable<z.output<typeof setTrafficOutputSchema>>;
export type SmokeTestInput = Immutable<z.output<typeof smokeTestInputSchema>>;
export type SmokeTestOutput = Immutable<z.output<typeof smokeTestOutputSchema>>;
export type CheckGatesInput = Immutable<z.output<typeof checkGatesInputSchema>>;
export type GateOutcome = Immutable<z.output<typeof gateOutcomeSchema>>;
export type CheckGatesOutput = Immutable<z.output<typeof checkGatesOutputSchema>>;
export type DecideWinnerInput = Immutable<z.output<typeof decideWinnerInputSchema>>;
export type DecideWinnerOutput = Immutable<z.output<typeof decideWinnerOutputSchema>>;
export type WriteModelVerdictInput = Immutable<z.output<typeof writeModelVerdictInputSchema>>;
export type WriteModelVerdictOutput = Immutable<z.output<typeof writeModelVerdictOutputSchema>>;
export type SendNotificationInput = Immutable<z.output<typeof sendNotificationInputSchema>>;
export type SendNotificationOutput = Immutable<z.output<typeof sendNotificationOutputSchema>>;
export type RequestSupersedeInput = Immutable<z.output<typeof requestSupersedeInputSchema>>;
export type RequestSupersedeOutput = Immutable<z.output<typeof requestSupersedeOutputSchema>>;

/**
 * Parses a value against a contract; a mismatch throws a ValidationError naming the activity and
 * the fields that are wrong.
 */
export function parseContract<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  throw new ValidationError(where, `contract violated: ${problems}`);
}
