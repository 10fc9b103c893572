/**
 * The plan: what a rollout will do, as data. The policy compiler (src/plan/compile.ts) turns a
 * policy + a model version into a Plan; the orchestrator walks its steps with an index.
 * Everything here is JSON-serialisable: a plan is the orchestration's input.
 */
import type { GateResult, GateSpec } from '../analysis/types';

export type Strategy = 'canary' | 'blueGreen' | 'shadow' | 'abTest' | 'recreate';

/** Percent of live traffic per deployment. */
export type Split = Readonly<Record<string, number>>;

/** What happens when a gate stays inconclusive (too little data) past its extension limit. */
export type NoDataOutcome = 'extend' | 'requestApproval' | 'rollback';
/** What happens when an approval times out. */
export type ApprovalTimeoutOutcome = 'rollback' | 'promote' | 'remind';

/** A bake's adaptive settings: minBakeMinutes <= durationMinutes <= maxBakeMinutes. */
export interface AdaptiveBakeStep {
  readonly minBakeMinutes: number;
  readonly maxBakeMinutes: number;
  readonly minRequests: number;
  readonly confidence: number;
  readonly margins: { readonly failureRate?: number; readonly latencyP50Ratio?: number; readonly latencyP95Ratio?: number };
}

export type Step =
  /** Create the candidate deployment, cloned from the live one, serving the new model. */
  | { readonly kind: 'deploy'; readonly deployment: string; readonly cloneFrom: string; readonly modelId: string; readonly instanceCount?: number }
  /** Recreate: replace the model of the live deployment in place (downtime accepted). */
  | { readonly kind: 'replaceModel'; readonly deployment: string; readonly modelId: string; readonly previousModelId: string }
  /** Direct requests to one deployment (header azureml-model-deployment); all must answer < 500. */
  | { readonly kind: 'smokeTest'; readonly deployment: string; readonly requests: number; readonly maxFailures: number; readonly payload: unknown }
  /** Mirror a share of live traffic to a deployment (0 turns mirroring off). */
  | { readonly kind: 'mirror'; readonly deployment: string; readonly percent: number }
  /** Set the live split. */
  | { readonly kind: 'setTraffic'; readonly traffic: Split }
  /**
   * Hold for a while, checking gates every interval. A failed check ends the step (rollback);
   * the step ends when the duration is over and, if `minRequests` is set, the candidate saw that many.
   */
  | {
      readonly kind: 'bake';
      readonly durationMinutes: number;
      readonly checkIntervalMinutes: number;
      readonly gates: readonly string[];
      /** Keep baking (up to maxExtensionMinutes) until the candidate has served this many requests. */
      readonly minRequests: number;
      readonly maxExtensionMinutes: number;
      readonly noDataOutcome: NoDataOutcome;
      /** Failed or partial gate queries tolerated in this step (never a pass); one more rolls back. Absent = 3. */
      readonly maxQueryErrors?: number;
      /**
       * The baseline serves no live traffic during this bake (after promotion, recreate): judge the
       * gates on the candidate alone (pass the candidate as the analysis' baseline too), so the
       * absolute thresholds decide. The compiler gives such bakes only absolute gates.
       */
      readonly candidateOnly?: boolean;
      /**
       * Adaptive bake (the policy step's `adaptive`, docs/gates.md "Adaptive bakes"): at each look
       * the bake may end early once the candidate is shown no worse than live within the margins,
       * or extend on thin traffic up to maxBakeMinutes (src/analysis/adaptive-bake.ts decides).
       */
      readonly adaptive?: AdaptiveBakeStep;
    }
  /** One decisive check of the named gates: pass to go on, fail to roll back, inconclusive per noDataOutcome. */
  | {
      readonly kind: 'gate';
      readonly gates: readonly string[];
      readonly retryIntervalMinutes: number;
      readonly maxExtensionMinutes: number;
      readonly noDataOutcome: NoDataOutcome;
      /** Failed or partial gate queries tolerated in this step (never a pass); one more rolls back. Absent = 3. */
      readonly maxQueryErrors?: number;
    }
  /** A/B test: compare the arms on the declared metrics and keep the winner (ties keep the baseline). */
  | { readonly kind: 'decideWinner'; readonly gate: string; readonly minRequestsPerArm: number; readonly maxWaitMinutes: number; readonly checkIntervalMinutes: number }
  /** Wait for a person's approve / reject. */
  | {
      readonly kind: 'approval';
      readonly name: string;
      readonly timeoutMinutes: number;
      readonly onTimeout: ApprovalTimeoutOutcome;
      readonly reminderIntervalMinutes: number;
      readonly approvers: readonly string[];
    }
  /** Candidate takes 100% (mirror off). */
  | { readonly kind: 'promote' }
  /** Baseline takes 100% again, candidate removed. */
  | { readonly kind: 'rollback' }
  /** After the retention window, delete the old deployment (never one holding traffic). */
  | { readonly kind: 'cleanup'; readonly deployment: string; readonly afterMinutes: number };

export type StepKind = Step['kind'];

export interface NotificationSpec {
  readonly channels: readonly ('teams' | 'slack' | 'webhook')[];
  readonly on: readonly string[];
}

export interface Plan {
  /** Deterministic rollout id (also the orchestration instance id). */
  readonly rolloutId: string;
  readonly policyName: string;
  readonly strategy: Strategy;
  readonly target: {
    readonly subscriptionId: string;
    readonly resourceGroup: string;
    readonly workspace: string;
    readonly endpoint: string;
  };
  readonly model: { readonly name: string; readonly version: string; readonly id: string };
  /** The deployment serving live traffic when the rollout started, and its model id. */
  readonly baseline: { readonly deployment: string; readonly modelId: string };
  /** The deployment the new version runs on (equal to baseline for recreate). */
  readonly candidate: { readonly deployment: string };
  readonly steps: readonly Step[];
  readonly gates: Readonly<Record<string, GateSpec>>;
  readonly notifications: NotificationSpec;
  readonly operators: readonly string[];
  readonly approvers: readonly string[];
  readonly concurrency: 'supersede' | 'queue';
  /**
   * What undoing the rollout does, as steps (added by the compiler): `[{ kind: 'rollback' }]` for
   * strategies with a separate candidate; for recreate, a replaceModel back to the previous model
   * followed by a smoke test. Absent in hand-built plans: the orchestrator's default rollback applies.
   */
  readonly rollbackSteps?: readonly Step[];
  /** How long the old deployment is kept after promotion (the policy's retentionMinutes). */
  readonly retentionMinutes?: number;
}

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
export type Phase = (typeof PHASES)[number];

export type Outcome = 'promoted' | 'rolledBack' | 'rejected' | 'aborted' | 'failed' | 'superseded';

export interface ApprovalRecord {
  readonly step: number;
  readonly decision: 'approve' | 'reject';
  readonly by: string;
  readonly atMs: number;
  readonly comment?: string;
  /** Decisions meant for another step or rollout are recorded, not acted upon. */
  readonly accepted: boolean;
  readonly note?: string;
}

export interface OverrideRecord {
  readonly action: 'abort' | 'pause' | 'resume' | 'promote' | 'retry';
  readonly by: string;
  readonly atMs: number;
  readonly comment?: string;
  readonly step: number;
}

export interface JournalEntry {
  readonly atMs: number;
  readonly step: number;
  readonly phase: Phase;
  readonly message: string;
  /** The live split after this entry, when it changed (the dashboard charts traffic over time from it). */
  readonly traffic?: Split;
  /** The mirrored split after this entry, recorded with every traffic write (empty: mirroring off). */
  readonly mirror?: Split;
}

/** What the orchestrator publishes with setCustomStatus after every change. */
export interface RolloutStatus {
  readonly rolloutId: string;
  readonly policy: string;
  readonly strategy: Strategy;
  readonly endpoint: string;
  readonly model: string;
  readonly version: string;
  readonly baseline: string;
  readonly candidate: string;
  readonly phase: Phase;
  readonly step: { readonly index: number; readonly count: number; readonly kind: StepKind | 'none'; readonly description: string };
  readonly traffic: Split;
  readonly mirror: Split;
  readonly gates: readonly GateResult[];
  readonly waitingFor?: { readonly kind: 'timer' | 'approval' | 'resume' | 'data' | 'azure'; readonly untilMs?: number; readonly detail: string };
  readonly approvals: readonly ApprovalRecord[];
  readonly overrides: readonly OverrideRecord[];
  readonly paused: boolean;
  readonly startedAtMs: number;
  readonly updatedAtMs: number;
  readonly endedAtMs?: number;
  readonly outcome?: Outcome;
  readonly reason?: string;
  /** A/B test: the winner and why. */
  readonly winner?: { readonly deployment: string; readonly reason: string };
  /**
   * A step that failed after promotion (e.g. deleting the old deployment) and is being retried
   * with back-off; traffic stays where the promotion put it. Absent once the step succeeds.
   */
  readonly retrying?: { readonly step: number; readonly failures: number; readonly error: string; readonly nextAttemptAtMs: number };
  /** The most recent entries of the readable history (bounded). */
  readonly journal: readonly JournalEntry[];
  /** Time spent per kind of work so far (src/plan/time-spent.ts); absent in statuses of older versions. */
  readonly phaseClock?: PhaseClock;
}

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
export type TimeCategory = (typeof TIME_CATEGORIES)[number];

/** Carried on the status: the totals so far and what the time since `sinceMs` counts as. */
export interface PhaseClock {
  readonly counting?: TimeCategory;
  readonly sinceMs: number;
  readonly spentMs: Partial<Record<TimeCategory, number>>;
}
