/**
 * The zod contracts of every rollout activity: what the orchestrator sends and what comes back.
 * Both sides validate (the activity parses its input, the orchestrator parses the result), so a
 * drifting shape fails loudly at the boundary with the field that is wrong, instead of deep
 * inside a replay. Everything here is JSON-serialisable because it is recorded in history.
 */
import { z } from 'zod';
import type { GateResult, GateSpec } from '../analysis/types';
import type { Plan, RolloutStatus } from '../plan/types';
import { PHASES } from '../plan/types';
import { ValidationError } from '../errors';

const nonEmpty = z.string().min(1);
const percent = z.number().min(0).max(100);

export const splitSchema = z.record(z.string(), percent);

export const endpointRefSchema = z.object({
  subscriptionId: nonEmpty,
  resourceGroup: nonEmpty,
  workspace: nonEmpty,
  endpoint: nonEmpty,
});

// ---- plan (the orchestration carries it across continueAsNew) ----

const metricCheckSchema = z.object({
  metric: nonEmpty,
  max: z.number().optional(),
  min: z.number().optional(),
  maxRatioToBaseline: z.number().optional(),
  maxIncreaseOverBaseline: z.number().optional(),
  critical: z.boolean().optional(),
});

export const gateSpecSchema = z.object({
  name: nonEmpty,
  checks: z.array(metricCheckSchema),
  customMetrics: z.array(z.object({ name: nonEmpty, kql: nonEmpty, higherIsWorse: z.boolean() })),
  confidence: z.number().gt(0).lt(1),
  minRequestsPerDeployment: z.number().int().nonnegative(),
  windowMinutes: z.number().positive(),
  ingestionDelayMinutes: z.number().nonnegative(),
  plannedLooks: z.number().int().positive(),
  spending: z.enum(['pocock', 'obrienFleming']).optional(),
})
  // Unknown fields pass through: src/analysis may add options the orchestrator need not know.
  .loose()
  .transform((value) => value as unknown as GateSpec);

const noDataOutcome = z.enum(['extend', 'requestApproval', 'rollback']);

export const stepSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('deploy'), deployment: nonEmpty, cloneFrom: nonEmpty, modelId: nonEmpty, instanceCount: z.number().int().positive().optional() }),
  z.object({ kind: z.literal('replaceModel'), deployment: nonEmpty, modelId: nonEmpty, previousModelId: nonEmpty }),
  z.object({ kind: z.literal('smokeTest'), deployment: nonEmpty, requests: z.number().int().positive(), maxFailures: z.number().int().nonnegative(), payload: z.unknown() }),
  z.object({ kind: z.literal('mirror'), deployment: nonEmpty, percent: z.number().min(0).max(50) }),
  z.object({ kind: z.literal('setTraffic'), traffic: splitSchema }),
  z.object({
    kind: z.literal('bake'),
    durationMinutes: z.number().nonnegative(),
    checkIntervalMinutes: z.number().positive(),
    gates: z.array(nonEmpty),
    minRequests: z.number().int().nonnegative(),
    maxExtensionMinutes: z.number().nonnegative(),
    noDataOutcome,
    maxQueryErrors: z.number().int().nonnegative().optional(),
    candidateOnly: z.boolean().optional(),
    adaptive: z
      .object({
        minBakeMinutes: z.number().nonnegative(),
        maxBakeMinutes: z.number().nonnegative(),
        minRequests: z.number().int().positive(),
        confidence: z.number().gt(0).lt(1),
        margins: z.object({ failureRate: z.number().optional(), latencyP50Ratio: z.number().optional(), latencyP95Ratio: z.number().optional() }),
      })
      .optional(),
  }),
  z.object({
    kind: z.literal('gate'),
    gates: z.array(nonEmpty),
    retryIntervalMinutes: z.number().positive(),
    maxExtensionMinutes: z.number().nonnegative(),
    noDataOutcome,
    maxQueryErrors: z.number().int().nonnegative().optional(),
  }),
  z.object({ kind: z.literal('decideWinner'), gate: nonEmpty, minRequestsPerArm: z.number().int().nonnegative(), maxWaitMinutes: z.number().nonnegative(), checkIntervalMinutes: z.number().positive() }),
  z.object({
    kind: z.literal('approval'),
    name: nonEmpty,
    timeoutMinutes: z.number().positive(),
    onTimeout: z.enum(['rollback', 'promote', 'remind']),
    reminderIntervalMinutes: z.number().positive(),
    approvers: z.array(nonEmpty),
  }),
  z.object({ kind: z.literal('promote') }),
  z.object({ kind: z.literal('rollback') }),
  z.object({ kind: z.literal('cleanup'), deployment: nonEmpty, afterMinutes: z.number().nonnegative() }),
]);

const planObjectSchema = z.object({
  rolloutId: nonEmpty,
  policyName: nonEmpty,
  strategy: z.enum(['canary', 'blueGreen', 'shadow', 'abTest', 'recreate']),
  target: endpointRefSchema,
  model: z.object({ name: nonEmpty, version: nonEmpty, id: nonEmpty }),
  baseline: z.object({ deployment: nonEmpty, modelId: nonEmpty }),
  candidate: z.object({ deployment: nonEmpty }),
  steps: z.array(stepSchema).min(1),
  gates: z.record(z.string(), gateSpecSchema),
  notifications: z.object({ channels: z.array(z.enum(['teams', 'slack', 'webhook'])), on: z.array(z.string()) }),
  operators: z.array(z.string()),
  approvers: z.array(z.string()),
  concurrency: z.enum(['supersede', 'queue']),
  rollbackSteps: z.array(stepSchema).optional(),
  retentionMinutes: z.number().nonnegative().optional(),
})
  // Fields added to the plan later pass through untouched (the plan is carried, not rebuilt).
  .loose() satisfies z.ZodType<Plan>;

/** A Plan, validated, typed as src/plan's (readonly) Plan. */
export const planSchema = planObjectSchema.transform((value): Plan => value as unknown as Plan);

// ---- gate results ----

const verdictSchema = z.enum(['pass', 'fail', 'inconclusive']);

export const metricEvidenceSchema = z.object({
  metric: z.string(),
  verdict: verdictSchema,
  candidate: z.number().nullable(),
  baseline: z.number().nullable(),
  samples: z.object({ candidate: z.number(), baseline: z.number() }),
  threshold: z.string(),
  test: z.string(),
  pValue: z.number().optional(),
  alpha: z.number().optional(),
  bound: z.number().optional(),
  reason: z.string(),
})
  // Evidence carries more detail than the orchestrator reads (threshold parts, pass p-values): keep it all.
  .loose();

/**
 * The GateResult's fields, before the type cast below; the HTTP API documents gate results with
 * this same object (src/api/schemas.ts).
 */
export const gateResultObjectSchema = z.object({
  gate: z.string(),
  verdict: verdictSchema,
  look: z.number().int(),
  checkedAtMs: z.number(),
  window: z.object({ fromMs: z.number(), toMs: z.number() }),
  candidate: z.string(),
  baseline: z.string(),
  evidence: z.array(metricEvidenceSchema),
  reason: z.string(),
})
  .loose();

export const gateResultSchema = gateResultObjectSchema
  // Typed as the analysis module's GateResult (which has no index signature) once validated.
  .transform((value) => value as unknown as GateResult);

// ---- activities ----

/** resolveTarget: input is RolloutInput (events.ts). */
export const resolveTargetOutputSchema = z.object({
  target: endpointRefSchema,
  concurrency: z.enum(['supersede', 'queue']),
});
export type ResolveTargetOutput = z.infer<typeof resolveTargetOutputSchema>;

/** planRollout: input is RolloutInput (events.ts), output a Plan. */
export const planRolloutOutputSchema = planSchema;

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

export const deleteDeploymentInputSchema = z.object({ target: endpointRefSchema, deployment: nonEmpty, facts: trafficFactsSchema });
export const deleteDeploymentOutputSchema = z.object({ deleted: z.boolean() });

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
});
const armCountsSchema = z.object({ requests: z.number().nonnegative(), failures: z.number().nonnegative(), latenciesSorted: z.array(z.number()) });
/** A query that failed after retries is an 'error' outcome with its reason: never a pass. */
export const gateOutcomeSchema = z.object({
  gate: z.string(),
  outcome: z.enum(['pass', 'fail', 'inconclusive', 'error']),
  result: gateResultSchema.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Requests the candidate served in the window (from the result's evidence), when known. */
  candidateRequests: z.number().optional(),
});
export const checkGatesOutputSchema = z.object({
  outcomes: z.array(gateOutcomeSchema),
  /** With armsSinceMs: each arm's data since then (up to the first gate's window end), when the query answered. */
  arms: z.object({ candidate: armCountsSchema, baseline: armCountsSchema }).optional(),
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
  outcome: z.enum(['promoted', 'rolledBack', 'rejected', 'aborted', 'failed', 'superseded']),
  reason: z.string(),
  atMs: z.number(),
});
export const writeModelVerdictOutputSchema = z.object({ tags: z.record(z.string(), z.string()) });

export const notificationKindSchema = z.enum(['rolloutStarted', 'stepCompleted', 'gateFailed', 'approvalRequested', 'promoted', 'rolledBack', 'failed']);

/** A RolloutStatus, validated loosely (it is produced by the orchestrator itself). */
export const rolloutStatusSchema = z
  .object({ rolloutId: nonEmpty, phase: z.enum(PHASES), strategy: z.string(), endpoint: z.string() })
  .loose()
  .transform((value) => value as unknown as RolloutStatus);

export const sendNotificationInputSchema = z.object({
  kind: notificationKindSchema,
  status: rolloutStatusSchema,
  gate: gateResultSchema.optional(),
  approval: z.object({ step: z.number().int().nonnegative(), name: z.string(), timeoutAtMs: z.number(), reminder: z.boolean().optional() }).optional(),
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

export type EndpointRefInput = z.infer<typeof endpointRefSchema>;
export type GetEndpointStateOutput = z.infer<typeof getEndpointStateOutputSchema>;
export type CreateDeploymentInput = z.infer<typeof createDeploymentInputSchema>;
export type DeploymentOutput = z.infer<typeof deploymentOutputSchema>;
export type ReplaceModelInput = z.infer<typeof replaceModelInputSchema>;
export type TrafficFacts = z.infer<typeof trafficFactsSchema>;
export type DeleteDeploymentInput = z.infer<typeof deleteDeploymentInputSchema>;
export type DeleteDeploymentOutput = z.infer<typeof deleteDeploymentOutputSchema>;
export type SetTrafficInput = z.infer<typeof setTrafficInputSchema>;
export type SetTrafficOutput = z.infer<typeof setTrafficOutputSchema>;
export type SmokeTestInput = z.infer<typeof smokeTestInputSchema>;
export type SmokeTestOutput = z.infer<typeof smokeTestOutputSchema>;
export type CheckGatesInput = z.infer<typeof checkGatesInputSchema>;
export type GateOutcome = z.infer<typeof gateOutcomeSchema>;
export type CheckGatesOutput = z.infer<typeof checkGatesOutputSchema>;
export type DecideWinnerInput = z.infer<typeof decideWinnerInputSchema>;
export type DecideWinnerOutput = z.infer<typeof decideWinnerOutputSchema>;
export type WriteModelVerdictInput = z.infer<typeof writeModelVerdictInputSchema>;
export type WriteModelVerdictOutput = z.infer<typeof writeModelVerdictOutputSchema>;
export type SendNotificationInput = z.infer<typeof sendNotificationInputSchema>;
export type SendNotificationOutput = z.infer<typeof sendNotificationOutputSchema>;
export type RequestSupersedeInput = z.infer<typeof requestSupersedeInputSchema>;
export type RequestSupersedeOutput = z.infer<typeof requestSupersedeOutputSchema>;

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
