/**
 * The plan: what a rollout will do, as data, and the status a rollout publishes. The policy
 * compiler (src/plan/compile.ts) turns a policy + a model version into a Plan; the orchestrator
 * walks its steps with an index and publishes a RolloutStatus after every change.
 *
 * The zod schemas below are the only definition of these concepts: every TypeScript type here is
 * inferred from its schema (z.output), the orchestrator validates the plan and activity results
 * with them (src/orchestration/activity-contracts.ts), the HTTP API documents and reads the status
 * with the same schema (src/api/schemas.ts), and the CLI and dashboard receive what it describes.
 * Everything here is JSON-serialisable: a plan is the orchestration's input.
 */
import { z } from 'zod';
import type { Immutable } from '../analysis/immutable';
import { gateResultSchema, gateSpecSchema } from '../analysis/types';
import { CONCURRENCY_MODES, MAX_MIRROR_PERCENT, NOTIFICATION_CHANNELS, NOTIFICATION_EVENTS, STRATEGY_KEYS } from '../policy/schema';
import { evidenceHistorySchema } from './evidence-history';

const nonEmpty = z.string().min(1);
const percent = z.number().min(0).max(100);

const strategySchema = z.enum(STRATEGY_KEYS);
export type Strategy = z.output<typeof strategySchema>;

/** Percent of live traffic per deployment. */
export const splitSchema = z.record(z.string(), percent).meta({ description: 'Percent per deployment.' });
export type Split = Immutable<z.output<typeof splitSchema>>;

/** The managed online endpoint a rollout changes. */
export const endpointRefSchema = z.object({
  subscriptionId: nonEmpty,
  resourceGroup: nonEmpty,
  workspace: nonEmpty,
  endpoint: nonEmpty,
});

/** What happens when a gate stays inconclusive (too little data) past its extension limit. */
const noDataOutcomeSchema = z.enum(['extend', 'requestApproval', 'rollback']);
export type NoDataOutcome = z.output<typeof noDataOutcomeSchema>;
/** What happens when an approval times out. */
const approvalTimeoutOutcomeSchema = z.enum(['rollback', 'promote', 'remind']);

/** Failed or partial gate queries tolerated in a step (never a pass); one more rolls back. Absent = 3. */
const maxQueryErrors = z.number().int().nonnegative().optional();

/** A bake's adaptive settings: minBakeMinutes <= durationMinutes <= maxBakeMinutes. */
const adaptiveBakeStepSchema = z.object({
  minBakeMinutes: z.number().nonnegative(),
  maxBakeMinutes: z.number().nonnegative(),
  minRequests: z.number().int().positive(),
  confidence: z.number().gt(0).lt(1),
  margins: z.object({ failureRate: z.number().optional(), latencyP50Ratio: z.number().optional(), latencyP95Ratio: z.number().optional() }),
});
export type AdaptiveBakeStep = Immutable<z.output<typeof adaptiveBakeStepSchema>>;

export const stepSchema = z.discriminatedUnion('kind', [
  /** Create the candidate deployment, cloned from the live one, serving the new model. */
  z.object({
    kind: z.literal('deploy'),
    deployment: nonEmpty,
    cloneFrom: nonEmpty,
    modelId: nonEmpty,
    instanceCount: z.number().int().positive().optional(),
  }),
  /** Recreate: replace the model of the live deployment in place (downtime accepted). */
  z.object({ kind: z.literal('replaceModel'), deployment: nonEmpty, modelId: nonEmpty, previousModelId: nonEmpty }),
  /** Direct requests to one deployment (header azureml-model-deployment); all must answer < 500. */
  z.object({
    kind: z.literal('smokeTest'),
    deployment: nonEmpty,
    requests: z.number().int().positive(),
    maxFailures: z.number().int().nonnegative(),
    payload: z.unknown(),
  }),
  /** Mirror a share of live traffic to a deployment (0 turns mirroring off; Azure ML caps mirroring). */
  z.object({ kind: z.literal('mirror'), deployment: nonEmpty, percent: z.number().min(0).max(MAX_MIRROR_PERCENT) }),
  /** Set the live split. */
  z.object({ kind: z.literal('setTraffic'), traffic: splitSchema }),
  /**
   * Hold for a while, checking gates every interval. A failed check ends the step (rollback);
   * the step ends when the duration is over and, if `minRequests` is set, the candidate saw that many.
   */
  z.object({
    kind: z.literal('bake'),
    durationMinutes: z.number().nonnegative(),
    checkIntervalMinutes: z.number().positive(),
    gates: z.array(nonEmpty),
    /** Keep baking (up to maxExtensionMinutes) until the candidate has served this many requests. */
    minRequests: z.number().int().nonnegative(),
    maxExtensionMinutes: z.number().nonnegative(),
    noDataOutcome: noDataOutcomeSchema,
    /** noDataOutcome extend: how often the window restarts before the step rolls back. Absent = 3 (src/orchestration/step-bounds.ts). */
    maxNoDataExtensions: z.number().int().nonnegative().optional(),
    maxQueryErrors,
    /**
     * The baseline serves no live traffic during this bake (after promotion, recreate): judge the
     * gates on the candidate alone (pass the candidate as the analysis' baseline too), so the
     * absolute thresholds decide. The compiler gives such bakes only absolute gates.
     */
    candidateOnly: z.boolean().optional(),
    /**
     * Adaptive bake (the policy step's `adaptive`, docs/gates.md "Adaptive bakes"): at each look
     * the bake may end early once the candidate is shown no worse than live within the margins,
     * or extend on thin traffic up to maxBakeMinutes (src/analysis/adaptive-bake.ts decides).
     */
    adaptive: adaptiveBakeStepSchema.optional(),
  }),
  /** One decisive check of the named gates: pass to go on, fail to roll back, inconclusive per noDataOutcome. */
  z.object({
    kind: z.literal('gate'),
    gates: z.array(nonEmpty),
    retryIntervalMinutes: z.number().positive(),
    maxExtensionMinutes: z.number().nonnegative(),
    noDataOutcome: noDataOutcomeSchema,
    /** noDataOutcome extend: how often the window restarts before the step rolls back. Absent = 3 (src/orchestration/step-bounds.ts). */
    maxNoDataExtensions: z.number().int().nonnegative().optional(),
    maxQueryErrors,
  }),
  /** A/B test: compare the arms on the declared metrics and keep the winner (ties keep the baseline). */
  z.object({
    kind: z.literal('decideWinner'),
    gate: nonEmpty,
    minRequestsPerArm: z.number().int().nonnegative(),
    maxWaitMinutes: z.number().nonnegative(),
    checkIntervalMinutes: z.number().positive(),
  }),
  /** Wait for a person's approve / reject. */
  z.object({
    kind: z.literal('approval'),
    name: nonEmpty,
    timeoutMinutes: z.number().positive(),
    onTimeout: approvalTimeoutOutcomeSchema,
    reminderIntervalMinutes: z.number().positive(),
    /** onTimeout remind: reminders sent before the step rolls back. Absent = 5 (src/orchestration/step-bounds.ts). */
    maxReminders: z.number().int().nonnegative().optional(),
    approvers: z.array(nonEmpty),
  }),
  /** Candidate takes 100% (mirror off). */
  z.object({ kind: z.literal('promote') }),
  /** Baseline takes 100% again, candidate removed. */
  z.object({ kind: z.literal('rollback') }),
  /** After the retention window, delete the old deployment (never one holding traffic). */
  z.object({ kind: z.literal('cleanup'), deployment: nonEmpty, afterMinutes: z.number().nonnegative() }),
]);
export type Step = Immutable<z.output<typeof stepSchema>>;
export type StepKind = Step['kind'];

/** What a rollout itself costs (src/plan/rollout-cost.ts): the amount when priced, else why not. */
const rolloutCostEstimateSchema = z.object({ summary: z.string(), amount: z.number().optional(), currency: z.string().optional() });
export type RolloutCostEstimate = Immutable<z.output<typeof rolloutCostEstimateSchema>>;

/** The policy's notifications, copied into the plan so a rollout never re-reads its policy to notify. */
export const notificationSpecSchema = z.object({
  channels: z.array(z.enum(NOTIFICATION_CHANNELS)),
  /** The notification kinds the policy subscribed its channels to. */
  on: z.array(z.enum(NOTIFICATION_EVENTS)),
});
export type NotificationSpec = Immutable<z.output<typeof notificationSpecSchema>>;

export const planSchema = z.object({
  /** Deterministic rollout id (also the orchestration instance id). */
  rolloutId: nonEmpty,
  policyName: nonEmpty,
  strategy: strategySchema,
  target: endpointRefSchema,
  model: z.object({ name: nonEmpty, version: nonEmpty, id: nonEmpty }),
  /** The deployment serving live traffic when the rollout started, and its model id. */
  baseline: z.object({ deployment: nonEmpty, modelId: nonEmpty }),
  /** The deployment the new version runs on (equal to baseline for recreate). */
  candidate: z.object({ deployment: nonEmpty }),
  steps: z.array(stepSchema).min(1),
  gates: z.record(z.string(), gateSpecSchema),
  notifications: notificationSpecSchema,
  operators: z.array(z.string()),
  approvers: z.array(z.string()),
  concurrency: z.enum(CONCURRENCY_MODES),
  /**
   * What undoing the rollout does, as steps (added by the compiler): `[{ kind: 'rollback' }]` for
   * strategies with a separate candidate; for recreate, a replaceModel back to the previous model
   * followed by a smoke test. Absent in hand-built plans: the orchestrator's default rollback applies.
   */
  rollbackSteps: z.array(stepSchema).optional(),
  /** How long the old deployment is kept after promotion (the policy's retentionMinutes). */
  retentionMinutes: z.number().nonnegative().optional(),
  /** The rollout's own extra cost (src/plan/rollout-cost.ts), when the policy has a cost section. */
  rolloutCost: rolloutCostEstimateSchema.optional(),
});
export type Plan = Immutable<z.output<typeof planSchema>>;

/** Phases of a rollout; src/plan/phases.ts holds the one transition table. */
export const PHASES = [
  'Pending',
  'Deploying',
  'SmokeTesting',
  'Mirroring',
  'Progressing',
  'Baking',
  'Analyzing',
  'AwaitingApproval',
  'Paused',
  'Promoting',
  'Promoted',
  'RollingBack',
  'RolledBack',
  'Rejected',
  'Aborted',
  'Failed',
  'Superseded',
] as const;
const phaseSchema = z.enum(PHASES);
export type Phase = z.output<typeof phaseSchema>;

const OUTCOMES = ['promoted', 'rolledBack', 'rejected', 'aborted', 'failed', 'superseded'] as const;
export const outcomeSchema = z.enum(OUTCOMES);
export type Outcome = z.output<typeof outcomeSchema>;

const approvalRecordSchema = z.object({
  step: z.number(),
  decision: z.enum(['approve', 'reject']),
  by: z.string(),
  atMs: z.number(),
  comment: z.string().optional(),
  /** Decisions meant for another step or rollout are recorded, not acted upon. */
  accepted: z.boolean(),
  note: z.string().optional(),
});
export type ApprovalRecord = Immutable<z.output<typeof approvalRecordSchema>>;

const overrideRecordSchema = z.object({
  action: z.enum(['abort', 'pause', 'resume', 'promote', 'retry']),
  by: z.string(),
  atMs: z.number(),
  comment: z.string().optional(),
  step: z.number(),
});
export type OverrideRecord = Immutable<z.output<typeof overrideRecordSchema>>;

const journalEntrySchema = z.object({
  atMs: z.number(),
  step: z.number(),
  phase: phaseSchema,
  message: z.string(),
  /** The live split after this entry, when it changed (the dashboard charts traffic over time from it). */
  traffic: splitSchema.optional(),
  /** The mirrored split after this entry, recorded with every traffic write (empty: mirroring off). */
  mirror: splitSchema.optional(),
});
export type JournalEntry = Immutable<z.output<typeof journalEntrySchema>>;

/** The kinds of work a rollout's time is counted as (src/plan/time-spent.ts keeps the clock). */
export const TIME_CATEGORIES = [
  'queued',
  'deploying',
  'smokeTesting',
  'mirroring',
  'progressing',
  'baking',
  'analyzing',
  'awaitingApproval',
  'promoting',
  'paused',
  'failed',
  'rollingBack',
] as const;
const timeCategorySchema = z.enum(TIME_CATEGORIES);
export type TimeCategory = z.output<typeof timeCategorySchema>;

/** Carried on the status: the totals so far and what the time since `sinceMs` counts as. */
const phaseClockSchema = z.object({
  counting: timeCategorySchema.optional(),
  sinceMs: z.number(),
  spentMs: z.partialRecord(timeCategorySchema, z.number()),
});
export type PhaseClock = Immutable<z.output<typeof phaseClockSchema>>;

/** What the orchestrator publishes with setCustomStatus after every change. */
export const rolloutStatusSchema = z
  .object({
    rolloutId: nonEmpty,
    policy: z.string(),
    strategy: strategySchema,
    endpoint: z.string(),
    model: z.string(),
    version: z.string(),
    baseline: z.string(),
    candidate: z.string(),
    phase: phaseSchema,
    step: z.object({
      index: z.number().meta({ description: '0-based plan index (approval events carry it); equals count when the plan is done.' }),
      count: z.number(),
      kind: z.union([z.enum(stepSchema.options.map((option) => option.shape.kind.value) as [StepKind, ...StepKind[]]), z.literal('none')]),
      description: z.string(),
    }),
    traffic: splitSchema,
    mirror: splitSchema,
    gates: z.array(gateResultSchema),
    waitingFor: z
      .object({ kind: z.enum(['timer', 'approval', 'resume', 'data', 'azure']), untilMs: z.number().optional(), detail: z.string() })
      .optional(),
    approvals: z.array(approvalRecordSchema),
    overrides: z.array(overrideRecordSchema),
    paused: z.boolean(),
    startedAtMs: z.number(),
    updatedAtMs: z.number(),
    endedAtMs: z.number().optional(),
    outcome: outcomeSchema.optional(),
    reason: z.string().optional(),
    /**
     * The latest look of the prediction-agreement gate (docs/gates.md): kept here because the gate
     * rows above are replaced by every later gate check, and a person wants this one to the end.
     */
    predictionAgreement: gateResultSchema.optional(),
    /** A/B test: the winner and why. */
    winner: z.object({ deployment: z.string(), reason: z.string() }).optional(),
    /**
     * A step that failed after promotion (e.g. deleting the old deployment) and is being retried
     * with back-off; traffic stays where the promotion put it. Absent once the step succeeds.
     */
    retrying: z.object({ step: z.number(), failures: z.number(), error: z.string(), nextAttemptAtMs: z.number() }).optional().meta({
      description:
        'Something failed and is retried with back-off: a step after promotion (traffic is not moved back), a rollback (the rollout is Failed meanwhile), or deleting the candidate after a rollback (the outcome stands; abort stops the retries).',
    }),
    /** The most recent entries of the readable history (bounded). */
    journal: z.array(journalEntrySchema),
    /** What the rollout itself costs (the plan's estimate), when the policy has a cost section. */
    rolloutCost: rolloutCostEstimateSchema.optional().meta({
      description:
        "The rollout's own extra cost (the candidate beside the live deployment for the planned minutes), when the policy has a cost section.",
    }),
    /**
     * How many of the oldest journal entries this published copy leaves out to stay under the
     * custom status size limit (src/plan/status-budget.ts); absent when none were left out.
     */
    journalDropped: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: 'Oldest journal entries left off this status to keep it under the 16 KB custom status limit.' }),
    /** Time spent per kind of work so far (src/plan/time-spent.ts); absent in statuses of older versions. */
    phaseClock: phaseClockSchema
      .optional()
      .meta({ description: 'Milliseconds spent per kind of work so far; the detail view adds them up as timeSpent.' }),
    /** Per-look numbers of every gate check, bounded (src/plan/evidence-history.ts); absent before the first look. */
    evidenceHistory: evidenceHistorySchema
      .optional()
      .meta({ description: 'Per-look numbers of every gate check in compact form; GET /api/rollouts/{id}/evidence serves them readable.' }),
  })
  .meta({ id: 'RolloutStatus', description: 'What the orchestrator publishes after every change (its custom status).' });
export type RolloutStatus = Immutable<z.output<typeof rolloutStatusSchema>>;
