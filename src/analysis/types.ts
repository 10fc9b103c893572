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
  /**
   * A prediction-agreement gate (./agreement.ts): instead of querying logs, the checkGates
   * activity sends these rows to both deployments and compares the answers. Such a gate has no
   * metric checks.
   */
  readonly agreement?: AgreementSpec;
}

/** How two predictions are compared: equal labels, or numbers within a tolerance. */
type AgreementComparison =
  | { readonly kind: 'label' }
  | {
      readonly kind: 'numeric';
      /** Two numbers agree when |candidate - baseline| <= absoluteTolerance ... */
      readonly absoluteTolerance: number;
      /** ... or when |candidate - baseline| <= relativeTolerance x |baseline|. */
      readonly relativeTolerance: number;
    };

/** What a prediction-agreement gate sends and how it judges the answers (docs/gates.md). */
export interface AgreementSpec {
  /** Request bodies, each sent once to the baseline and once to the candidate. */
  readonly rows: readonly unknown[];
  /** Where the prediction is in an answer: `$`, `$.label`, `$.predictions[0]`, `$["score"]`. */
  readonly predictionPath: string;
  readonly compare: AgreementComparison;
  /** Share of compared rows that must agree (0..1). */
  readonly minAgreement: number;
  /** Numeric comparisons only: upper bounds on the mean absolute / relative difference. */
  readonly maxMeanAbsoluteDifference?: number;
  readonly maxMeanRelativeDifference?: number;
  /** Fewer rows answered by both deployments than this is inconclusive. */
  readonly minComparedRows: number;
  /** How many disagreeing rows the evidence quotes. */
  readonly maxExamples: number;
  /** What a failing look leads to: roll back (absent), or ask a person with the evidence. */
  readonly onDisagreement?: 'rollback' | 'requestApproval';
}

/** One disagreeing row, quoted in the evidence (the input shortened). */
export interface DisagreementExample {
  /** 0-based index of the row in the dataset. */
  readonly row: number;
  readonly input: string;
  readonly baseline: string;
  readonly candidate: string;
}

/** The numbers behind a prediction-agreement verdict. */
export interface AgreementEvidence {
  readonly rows: number;
  /** Rows both deployments answered (2xx) with a readable baseline prediction. */
  readonly compared: number;
  readonly agreed: number;
  readonly disagreed: number;
  /** Rows one side did not answer with 2xx (or not at all): not compared. */
  readonly unanswered: number;
  /** Rows whose baseline answer has nothing at predictionPath: not compared. */
  readonly unreadable: number;
  /** agreed / compared; null when nothing was compared. */
  readonly agreementRate: number | null;
  readonly meanAbsoluteDifference?: number;
  readonly meanRelativeDifference?: number;
  readonly minAgreement: number;
  readonly comparison: string;
  readonly examples: readonly DisagreementExample[];
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
  /** A prediction-agreement gate's counts, rates and disagreeing examples. */
  readonly agreement?: AgreementEvidence;
  /** The sequential method's bookkeeping for this look. */
  readonly sequential?: {
    readonly method: string;
    readonly plannedLooks: number;
    readonly alphaTotal: number;
    readonly alphaThisLook: number;
    readonly alphaSpentThrough: number;
  };
}
