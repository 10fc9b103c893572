/**
 * Contracts of the analysis module: what a gate declares, and the verdict it produces with its
 * evidence. Pure data (JSON-serialisable): gate specs travel inside the plan (orchestration
 * input) and verdicts inside the rollout status.
 */

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

/** A custom metric: KQL that returns one number per deployment (placeholders filled by the escaping helper). */
export interface CustomMetricSpec {
  readonly name: string;
  /**
   * KQL text with placeholders {endpoint}, {deployments}, {baseline}, {candidate}, {from}, {to};
   * must return columns DeploymentName and value.
   */
  readonly kql: string;
  /** Direction: is a higher value worse (errors, latency) or better (accuracy)? */
  readonly higherIsWorse: boolean;
}

export interface MetricCheck {
  /** A BuiltInMetric or the name of a CustomMetricSpec of the gate. */
  readonly metric: string;
  /** Absolute bounds on the candidate's value. */
  readonly max?: number;
  readonly min?: number;
  /** Relative to the live (baseline) deployment: candidate <= ratio x baseline (e.g. 1.5). */
  readonly maxRatioToBaseline?: number;
  /** Relative, additive: candidate <= baseline + this (same unit as the metric). */
  readonly maxIncreaseOverBaseline?: number;
  /** A failing critical check fails the gate at once, whatever the others say. */
  readonly critical?: boolean;
}

/** Limits on one platform-metrics resource of the candidate (docs/gates.md "Resource checks"). */
export interface ResourceLimitSpec {
  readonly maxPercent?: number;
  readonly maxRatioToBaseline?: number;
}

/** A gate's resource checks, from the policy's `gates.<name>.resources`. */
export interface ResourceGateSpec {
  readonly cpu?: ResourceLimitSpec;
  readonly memory?: ResourceLimitSpec;
  /** GPU limits: judged where the candidate's instance type has GPUs (it reports the GPU metrics). */
  readonly gpu?: ResourceLimitSpec;
  readonly gpuMemory?: ResourceLimitSpec;
  /** Platform-metric minutes with requests needed on each side; fewer = inconclusive. */
  readonly minReportedMinutes: number;
}

/** The policy's cost check, carried by every gate that compares candidate and baseline. */
export interface CostGateSpec {
  readonly maxCostIncreasePercent: number;
  readonly onExceeded: 'rollback' | 'requestApproval';
  /** Price per instance-hour by instance type; absent = Azure Retail Prices in the endpoint's region. */
  readonly prices?: Readonly<Record<string, number>>;
  readonly currency: string;
}

export interface GateSpec {
  readonly name: string;
  readonly checks: readonly MetricCheck[];
  readonly customMetrics: readonly CustomMetricSpec[];
  /** e.g. 0.95: the confidence of each statistical comparison (over all looks, see the sequential method). */
  readonly confidence: number;
  /** Fewer requests than this on either side makes a check inconclusive. */
  readonly minRequestsPerDeployment: number;
  /** Each check looks back this far from its window end. */
  readonly windowMinutes: number;
  /** The window ends at now minus this (logs arrive late). */
  readonly ingestionDelayMinutes: number;
  /** How many looks the sequential method budgets for (alpha spending). */
  readonly plannedLooks: number;
  /**
   * Alpha-spending function of the sequential method (docs/gates.md). Default 'pocock':
   * spreads the false-failure budget evenly, so a bad candidate is caught at an early look.
   */
  readonly spending?: 'pocock' | 'obrienFleming';
  /** Resource checks on Azure Monitor platform metrics (absent = none). */
  readonly resources?: ResourceGateSpec;
  /** The cost check (absent = none). */
  readonly cost?: CostGateSpec;
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** The numbers behind one metric's verdict. */
export interface MetricEvidence {
  readonly metric: string;
  readonly verdict: Verdict;
  readonly candidate: number | null;
  readonly baseline: number | null;
  readonly samples: { readonly candidate: number; readonly baseline: number };
  /** Human-readable threshold, e.g. "<= 1.5x baseline" or "<= 0.02". */
  readonly threshold: string;
  /** The statistical test used, e.g. "two-proportion z (one-sided)", "Mann-Whitney U", "none (absolute)". */
  readonly test: string;
  readonly pValue?: number;
  /** The significance level this look spent (alpha spending). */
  readonly alpha?: number;
  /** A confidence bound on the candidate (or the difference), when one was computed. */
  readonly bound?: number;
  readonly reason: string;
  /** Whether the check is critical (a failure fails the gate alone). */
  readonly critical?: boolean;
  /** p-value of the "candidate is within the threshold" test, compared with passAlpha. */
  readonly passPValue?: number;
  /** Level a pass must reach: 1 - confidence, per look. */
  readonly passAlpha?: number;
  /** One entry per threshold of the check (max, min, ratio, increase), each with its own test. */
  readonly parts?: readonly ThresholdEvidence[];
}

/** The verdict of one threshold of a check. */
export interface ThresholdEvidence {
  readonly kind: 'max' | 'min' | 'ratio' | 'increase';
  readonly verdict: Verdict;
  /** e.g. "<= 0.02", ">= 100", "<= 1.5x baseline", "<= baseline + 50". */
  readonly threshold: string;
  readonly test: string;
  /** p-value of "the candidate violates the threshold" (compared with alpha). */
  readonly pValue?: number;
  readonly alpha?: number;
  /** p-value of "the candidate is within the threshold" (compared with passAlpha). */
  readonly passPValue?: number;
  readonly passAlpha?: number;
  /** A confidence bound at the declared confidence (upper bound for upper thresholds). */
  readonly bound?: number;
  /** The compared quantity: the candidate's value, or candidate/baseline, or candidate - baseline. */
  readonly estimate?: number;
  readonly reason: string;
}

export interface GateResult {
  readonly gate: string;
  readonly verdict: Verdict;
  /** Which look of the sequential plan this was (1-based). */
  readonly look: number;
  readonly checkedAtMs: number;
  readonly window: { readonly fromMs: number; readonly toMs: number };
  readonly candidate: string;
  readonly baseline: string;
  readonly evidence: readonly MetricEvidence[];
  readonly reason: string;
  /** The sequential method's bookkeeping for this look. */
  readonly sequential?: {
    readonly method: string;
    readonly plannedLooks: number;
    readonly alphaTotal: number;
    readonly alphaThisLook: number;
    readonly alphaSpentThrough: number;
  };
}
