/**
 * Contracts of the analysis module: what a gate declares, and the verdict it produces with its
 * evidence. Pure data (JSON-serialisable): gate specs travel inside the plan (orchestration
 * input) and verdicts inside the rollout status.
 *
 * The zod schemas are the only definition: the TypeScript types are inferred from them, the
 * orchestrator validates activity results with them and the HTTP API documents them (the
 * `.meta({ id })` names the OpenAPI component).
 */
import { z } from 'zod';
import type { Immutable } from './immutable';

/**
 * Built-in metrics, computed per deployment from AmlOnlineEndpointTrafficLog.
 * `errorRate5xx` is the accepted old name of `failedRequestRate`, with its meaning (ResponseCode
 * 408, 424, 429 or >= 500; docs/gates.md says why the name was kept as an alias).
 */
export const BUILT_IN_METRICS = [
  'requestCount',
  'failedRequestRate',
  'errorRate5xx',
  'modelErrorRate',
  'latencyP50',
  'latencyP95',
  'latencyP99',
] as const;
export type BuiltInMetric = (typeof BUILT_IN_METRICS)[number];

const nonEmpty = z.string().min(1);

/** A custom metric: KQL that returns one number per deployment (placeholders filled by the escaping helper). */
const customMetricSpecSchema = z.object({
  name: nonEmpty,
  /**
   * KQL text with placeholders {endpoint}, {deployments}, {baseline}, {candidate}, {from}, {to};
   * must return columns DeploymentName and value.
   */
  kql: nonEmpty,
  /** Direction: is a higher value worse (errors, latency) or better (accuracy)? */
  higherIsWorse: z.boolean(),
});
export type CustomMetricSpec = Immutable<z.output<typeof customMetricSpecSchema>>;

const metricCheckSchema = z.object({
  /** A BuiltInMetric or the name of a CustomMetricSpec of the gate. */
  metric: nonEmpty,
  /** Absolute bounds on the candidate's value. */
  max: z.number().optional(),
  min: z.number().optional(),
  /** Relative to the live (baseline) deployment: candidate <= ratio x baseline (e.g. 1.5). */
  maxRatioToBaseline: z.number().optional(),
  /** Relative, additive: candidate <= baseline + this (same unit as the metric). */
  maxIncreaseOverBaseline: z.number().optional(),
  /** A failing critical check fails the gate at once, whatever the others say. */
  critical: z.boolean().optional(),
});
export type MetricCheck = Immutable<z.output<typeof metricCheckSchema>>;

/** Limits on one platform-metrics resource of the candidate (docs/gates.md "Resource checks"). */
const resourceLimitSpecSchema = z.object({
  maxPercent: z.number().optional(),
  maxRatioToBaseline: z.number().optional(),
});
export type ResourceLimitSpec = Immutable<z.output<typeof resourceLimitSpecSchema>>;

/** A gate's resource checks, from the policy's `gates.<name>.resources`. */
const resourceGateSpecSchema = z.object({
  cpu: resourceLimitSpecSchema.optional(),
  memory: resourceLimitSpecSchema.optional(),
  /** GPU limits: judged where the candidate's instance type has GPUs (it reports the GPU metrics). */
  gpu: resourceLimitSpecSchema.optional(),
  gpuMemory: resourceLimitSpecSchema.optional(),
  /** Platform-metric minutes with requests needed on each side; fewer = inconclusive. */
  minReportedMinutes: z.number(),
});
export type ResourceGateSpec = Immutable<z.output<typeof resourceGateSpecSchema>>;

/** The policy's cost check, carried by every gate that compares candidate and baseline. */
const costGateSpecSchema = z.object({
  maxCostIncreasePercent: z.number(),
  onExceeded: z.enum(['rollback', 'requestApproval']),
  /** Price per instance-hour by instance type; absent = Azure Retail Prices in the endpoint's region. */
  prices: z.record(z.string(), z.number()).optional(),
  currency: z.string(),
});
export type CostGateSpec = Immutable<z.output<typeof costGateSpecSchema>>;

/** How two predictions are compared: equal labels, or numbers within a tolerance. */
const agreementComparisonSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('label') }),
  z.object({
    kind: z.literal('numeric'),
    /** Two numbers agree when |candidate - baseline| <= absoluteTolerance ... */
    absoluteTolerance: z.number(),
    /** ... or when |candidate - baseline| <= relativeTolerance x |baseline|. */
    relativeTolerance: z.number(),
  }),
]);

/** What a prediction-agreement gate sends and how it judges the answers (docs/gates.md). */
const agreementSpecSchema = z.object({
  /** Request bodies, each sent once to the baseline and once to the candidate. */
  rows: z.array(z.unknown()),
  /** Where the prediction is in an answer: `$`, `$.label`, `$.predictions[0]`, `$["score"]`. */
  predictionPath: z.string(),
  compare: agreementComparisonSchema,
  /** Share of compared rows that must agree (0..1). */
  minAgreement: z.number(),
  /** Numeric comparisons only: upper bounds on the mean absolute / relative difference. */
  maxMeanAbsoluteDifference: z.number().optional(),
  maxMeanRelativeDifference: z.number().optional(),
  /** Fewer rows answered by both deployments than this is inconclusive. */
  minComparedRows: z.number(),
  /** How many disagreeing rows the evidence quotes. */
  maxExamples: z.number(),
  /** What a failing look leads to: roll back (absent), or ask a person with the evidence. */
  onDisagreement: z.enum(['rollback', 'requestApproval']).optional(),
});
export type AgreementSpec = Immutable<z.output<typeof agreementSpecSchema>>;

/** One disagreeing row, quoted in the evidence (the input shortened). */
const disagreementExampleSchema = z.object({
  /** 0-based index of the row in the dataset. */
  row: z.number(),
  input: z.string(),
  baseline: z.string(),
  candidate: z.string(),
});
export type DisagreementExample = Immutable<z.output<typeof disagreementExampleSchema>>;

/** The numbers behind a prediction-agreement verdict. */
const agreementEvidenceSchema = z.object({
  rows: z.number(),
  /** Rows both deployments answered (2xx) with a readable baseline prediction. */
  compared: z.number(),
  agreed: z.number(),
  disagreed: z.number(),
  /** Rows one side did not answer with 2xx (or not at all): not compared. */
  unanswered: z.number(),
  /** Rows whose baseline answer has nothing at predictionPath: not compared. */
  unreadable: z.number(),
  /** agreed / compared; null when nothing was compared. */
  agreementRate: z.number().nullable(),
  meanAbsoluteDifference: z.number().optional(),
  meanRelativeDifference: z.number().optional(),
  minAgreement: z.number(),
  comparison: z.string(),
  examples: z.array(disagreementExampleSchema),
});
export type AgreementEvidence = Immutable<z.output<typeof agreementEvidenceSchema>>;

export const gateSpecSchema = z
  .object({
    name: nonEmpty,
    checks: z.array(metricCheckSchema),
    customMetrics: z.array(customMetricSpecSchema),
    /** e.g. 0.95: the confidence of each statistical comparison (over all looks, see the sequential method). */
    confidence: z.number().gt(0).lt(1),
    /** Fewer requests than this on either side makes a check inconclusive. */
    minRequestsPerDeployment: z.number().int().nonnegative(),
    /** Each check looks back this far from its window end. */
    windowMinutes: z.number().positive(),
    /** The window ends at now minus this (logs arrive late). */
    ingestionDelayMinutes: z.number().nonnegative(),
    /** How many looks the sequential method budgets for (alpha spending). */
    plannedLooks: z.number().int().positive(),
    /**
     * Alpha-spending function of the sequential method (docs/gates.md). Default 'pocock':
     * spreads the false-failure budget evenly, so a bad candidate is caught at an early look.
     */
    spending: z.enum(['pocock', 'obrienFleming']).optional(),
    /** Resource checks on Azure Monitor platform metrics (absent = none). */
    resources: resourceGateSpecSchema.optional(),
    /** The cost check (absent = none). */
    cost: costGateSpecSchema.optional(),
    /**
     * A prediction-agreement gate (./agreement.ts): instead of querying logs, the checkGates
     * activity sends these rows to both deployments and compares the answers. Such a gate has no
     * metric checks.
     */
    agreement: agreementSpecSchema.optional(),
  })
  .meta({ id: 'GateSpec' });
export type GateSpec = Immutable<z.output<typeof gateSpecSchema>>;

const verdictSchema = z.enum(['pass', 'fail', 'inconclusive']);
export type Verdict = z.output<typeof verdictSchema>;

/** The verdict of one threshold of a check. */
const thresholdEvidenceSchema = z.object({
  kind: z.enum(['max', 'min', 'ratio', 'increase']),
  verdict: verdictSchema,
  /** e.g. "<= 0.02", ">= 100", "<= 1.5x baseline", "<= baseline + 50". */
  threshold: z.string(),
  test: z.string(),
  /** p-value of "the candidate violates the threshold" (compared with alpha). */
  pValue: z.number().optional(),
  alpha: z.number().optional(),
  /** p-value of "the candidate is within the threshold" (compared with passAlpha). */
  passPValue: z.number().optional(),
  passAlpha: z.number().optional(),
  /** A confidence bound at the declared confidence (upper bound for upper thresholds). */
  bound: z.number().optional(),
  /** The compared quantity: the candidate's value, or candidate/baseline, or candidate - baseline. */
  estimate: z.number().optional(),
  reason: z.string(),
});
export type ThresholdEvidence = Immutable<z.output<typeof thresholdEvidenceSchema>>;

/** The numbers behind one metric's verdict. */
const metricEvidenceSchema = z
  .object({
    metric: z.string(),
    verdict: verdictSchema,
    candidate: z.number().nullable(),
    baseline: z.number().nullable(),
    samples: z.object({ candidate: z.number(), baseline: z.number() }),
    /** Human-readable threshold, e.g. "<= 1.5x baseline" or "<= 0.02". */
    threshold: z.string(),
    /** The statistical test used, e.g. "two-proportion z (one-sided)", "Mann-Whitney U", "none (absolute)". */
    test: z.string(),
    pValue: z.number().optional(),
    /** The significance level this look spent (alpha spending). */
    alpha: z.number().optional(),
    /** A confidence bound on the candidate (or the difference), when one was computed. */
    bound: z.number().optional(),
    reason: z.string(),
    /** Whether the check is critical (a failure fails the gate alone). */
    critical: z.boolean().optional(),
    /** p-value of the "candidate is within the threshold" test, compared with passAlpha. */
    passPValue: z.number().optional(),
    /** Level a pass must reach: 1 - confidence, per look. */
    passAlpha: z.number().optional(),
    /** One entry per threshold of the check (max, min, ratio, increase), each with its own test. */
    parts: z.array(thresholdEvidenceSchema).optional(),
  })
  .meta({ id: 'MetricEvidence' });
export type MetricEvidence = Immutable<z.output<typeof metricEvidenceSchema>>;

export const gateResultSchema = z
  .object({
    gate: z.string(),
    verdict: verdictSchema,
    /** Which look of the sequential plan this was (1-based). */
    look: z.number().int(),
    checkedAtMs: z.number(),
    window: z.object({ fromMs: z.number(), toMs: z.number() }),
    candidate: z.string(),
    baseline: z.string(),
    evidence: z.array(metricEvidenceSchema),
    reason: z.string(),
    /** A prediction-agreement gate's counts, rates and disagreeing examples. */
    agreement: agreementEvidenceSchema.optional(),
    /** The sequential method's bookkeeping for this look. */
    sequential: z
      .object({
        method: z.string(),
        plannedLooks: z.number(),
        alphaTotal: z.number(),
        alphaThisLook: z.number(),
        alphaSpentThrough: z.number(),
      })
      .optional(),
  })
  .meta({ id: 'GateResult' });
export type GateResult = Immutable<z.output<typeof gateResultSchema>>;
