/**
 * Policy evaluation: many seeded fast-path rollouts per case (a healthy candidate, then each
 * regression), summarised into the numbers a policy author needs: how often a healthy version is
 * promoted (with a confidence interval), how often each regression is caught, how long decisions
 * take, how many users' requests a bad version served before it was stopped, and how many Log
 * Analytics queries it all costs.
 */
import { clopperPearsonLower, clopperPearsonUpper } from '../analysis/statistics';
import { ValidationError } from '../errors';
import { compilePlan } from '../plan/compile';
import type { Plan } from '../plan/types';
import type { AdaptiveBakePolicy, Policy } from '../policy/schema';
import { runFastPath, type RunResult } from './fast-path';
import { createJudge, type ArgoSettings, type JudgeName, type KayentaSettings } from './judges';
import { candidateBehaviour, regressionName, type Regression, type TrafficProfile, type VersionBehaviour } from './model';

/** Which bake schedule to evaluate: the policy's fixed bakes, its adaptive bakes, or both side by side. */
export type Schedule = 'fixed' | 'adaptive';

export interface EvaluationInput {
  readonly policy: Policy;
  readonly live: VersionBehaviour;
  readonly traffic: TrafficProfile;
  readonly regressions: readonly Regression[];
  readonly runs: number;
  readonly seed: number;
  readonly judges: readonly JudgeName[];
  readonly schedules: readonly Schedule[];
  /** Adaptive settings applied to every canary traffic step that declares none (`--adaptive`). */
  readonly adaptiveDefault?: AdaptiveBakePolicy;
  readonly approvalMinutes?: number;
  readonly maxMinutes?: number;
  readonly argo?: ArgoSettings;
  readonly kayenta?: KayentaSettings;
  /** Called after every run (progress). */
  readonly onRun?: (done: number, total: number) => void;
}

export interface Rate {
  readonly value: number;
  /** Two-sided 95% Clopper-Pearson interval. */
  readonly low: number;
  readonly high: number;
  readonly count: number;
  readonly runs: number;
}

export interface Spread {
  readonly median: number;
  readonly p90: number;
}

export interface CaseResult {
  /** 'healthy' or the regression's name. */
  readonly case: string;
  readonly regression?: Regression;
  readonly judge: JudgeName;
  readonly schedule: Schedule;
  readonly runs: number;
  readonly outcomes: Readonly<Record<RunResult['outcome'], number>>;
  /** Promoted share (healthy: the promote rate; a regression: the miss rate). */
  readonly promoted: Rate;
  /** Rolled-back share (healthy: the false rollback rate; a regression: the detection rate). */
  readonly rolledBack: Rate;
  /** Minutes until the outcome was final, over all runs. */
  readonly timeToDecision: Spread;
  /** Minutes until the candidate took all traffic, over promoted runs (null when none). */
  readonly timeToPromote: Spread | null;
  /** Users' requests / failures the candidate served before the decision, over all runs. */
  readonly blastRequests: Spread;
  readonly blastFailures: Spread;
  readonly queriesPerRun: number;
  /** Per run decision minutes (the HTML report's distribution plot). */
  readonly decisionMinutes: readonly number[];
  /** Where the rolled-back runs were stopped, with counts. */
  readonly stoppedAt: Readonly<Record<string, number>>;
}

export interface EvaluationReport {
  readonly policy: string;
  readonly strategy: string;
  readonly traffic: TrafficProfile;
  readonly live: VersionBehaviour;
  readonly runs: number;
  readonly seed: number;
  readonly cases: readonly CaseResult[];
}

/** Nearest-rank quantile (of a copy; 0 for no values). */
export function quantileOf(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

function spread(values: readonly number[]): Spread {
  return { median: quantileOf(values, 0.5), p90: quantileOf(values, 0.9) };
}

function rate(count: number, runs: number): Rate {
  return {
    value: runs === 0 ? 0 : count / runs,
    low: runs === 0 ? 0 : clopperPearsonLower(count, runs, 0.975),
    high: runs === 0 ? 1 : clopperPearsonUpper(count, runs, 0.975),
    count,
    runs,
  };
}

/** The plan the production compiler makes for this policy on a one-deployment endpoint. */
export function planFor(policy: Policy): Plan {
  for (const [name, gate] of Object.entries(policy.gates)) {
    const custom = gate.checks.map((c) => c.metric).find((m) => m in policy.customMetrics);
    if (custom !== undefined) {
      throw new ValidationError(
        `gates.${name}`,
        `uses the custom metric '${custom}', which the evaluator cannot simulate (it draws only the built-in traffic numbers); evaluate a copy of the policy without it`,
      );
    }
  }
  const modelId = (version: string) => `azureml://registries/evaluate/models/model/versions/${version}`;
  return compilePlan(policy, {
    rolloutId: 'evaluate',
    model: { name: 'model', version: '2', id: modelId('2') },
    target: { subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'evaluate', workspace: 'evaluate' },
    baseline: { deployment: 'live', modelId: modelId('1') },
    existingDeployments: [{ name: 'live', modelId: modelId('1'), liveTrafficPercent: 100 }],
  });
}

/**
 * The policy with `fallback` (the --adaptive option) as the adaptive option of every canary
 * traffic step and mirror phase that declares none; the production compiler then puts it on their
 * bakes, as it would for a policy that declared it.
 */
function withAdaptiveDefault(policy: Policy, fallback: AdaptiveBakePolicy | undefined): Policy {
  if (!fallback) return policy;
  const phase = <T extends { adaptive?: AdaptiveBakePolicy | undefined }>(p: T): T => ({ ...p, adaptive: p.adaptive ?? fallback });
  const { canary, blueGreen } = policy.strategy;
  return {
    ...policy,
    strategy: {
      ...policy.strategy,
      ...(canary
        ? { canary: { ...canary, steps: canary.steps.map(phase), ...(canary.mirror ? { mirror: phase(canary.mirror) } : {}) } }
        : {}),
      ...(blueGreen?.mirror ? { blueGreen: { ...blueGreen, mirror: phase(blueGreen.mirror) } } : {}),
    },
  };
}

/** The fixed schedule: the same plan with every bake's adaptive option left out. */
function withoutAdaptive(plan: Plan): Plan {
  return {
    ...plan,
    steps: plan.steps.map((step) => {
      if (step.kind !== 'bake' || !step.adaptive) return step;
      const { adaptive: _adaptive, ...fixed } = step;
      return fixed;
    }),
  };
}

function summarise(
  base: Omit<
    CaseResult,
    | 'runs'
    | 'outcomes'
    | 'promoted'
    | 'rolledBack'
    | 'timeToDecision'
    | 'timeToPromote'
    | 'blastRequests'
    | 'blastFailures'
    | 'queriesPerRun'
    | 'decisionMinutes'
    | 'stoppedAt'
  >,
  results: readonly RunResult[],
): CaseResult {
  const outcomes = { promoted: 0, rolledBack: 0, escalated: 0, timedOut: 0 };
  const stoppedAt: Record<string, number> = {};
  for (const r of results) {
    outcomes[r.outcome]++;
    if (r.outcome === 'rolledBack') stoppedAt[r.stage] = (stoppedAt[r.stage] ?? 0) + 1;
  }
  const promotedTimes = results
    .filter((r) => r.outcome === 'promoted' && r.promotedMinute !== undefined)
    .map((r) => r.promotedMinute as number);
  return {
    ...base,
    runs: results.length,
    outcomes,
    promoted: rate(outcomes.promoted, results.length),
    rolledBack: rate(outcomes.rolledBack, results.length),
    timeToDecision: spread(results.map((r) => r.decisionMinute)),
    timeToPromote: promotedTimes.length > 0 ? spread(promotedTimes) : null,
    blastRequests: spread(results.map((r) => r.blast.requests)),
    blastFailures: spread(results.map((r) => r.blast.failures)),
    queriesPerRun: results.reduce((s, r) => s + r.queries, 0) / Math.max(1, results.length),
    decisionMinutes: results.map((r) => r.decisionMinute),
    stoppedAt,
  };
}

export function evaluatePolicy(input: EvaluationInput): EvaluationReport {
  if (!(Number.isInteger(input.runs) && input.runs >= 1))
    throw new ValidationError('--runs', `expected a whole number >= 1, got ${input.runs}`);
  const adaptivePlan = planFor(withAdaptiveDefault(input.policy, input.adaptiveDefault));
  const plans: Record<Schedule, Plan> = { fixed: withoutAdaptive(adaptivePlan), adaptive: adaptivePlan };
  if (input.schedules.includes('adaptive') && !adaptivePlan.steps.some((s) => s.kind === 'bake' && s.adaptive)) {
    throw new ValidationError(
      '--schedule',
      `policy ${input.policy.name} declares no adaptive bake (a canary step's \`adaptive\` option); add one, or pass --adaptive to apply settings to every canary step`,
    );
  }
  const cases: { name: string; regression?: Regression }[] = [
    { name: 'healthy' },
    ...input.regressions.map((r) => ({ name: regressionName(r), regression: r })),
  ];
  const total = cases.length * input.judges.length * input.schedules.length * input.runs;
  let done = 0;
  const results: CaseResult[] = [];
  for (const schedule of input.schedules) {
    for (const judgeName of input.judges) {
      for (const c of cases) {
        const world = {
          plan: plans[schedule],
          live: input.live,
          candidate: candidateBehaviour(input.live, c.regression),
          traffic: input.traffic,
        };
        const runs: RunResult[] = [];
        for (let i = 0; i < input.runs; i++) {
          // The same seeds for every case, judge and schedule: differences come from the policy, not the draw.
          runs.push(
            runFastPath(world, {
              seed: input.seed + i,
              judge: createJudge(judgeName, {
                ...(input.argo ? { argo: input.argo } : {}),
                ...(input.kayenta ? { kayenta: input.kayenta } : {}),
              }),
              ...(input.approvalMinutes !== undefined ? { approvalMinutes: input.approvalMinutes } : {}),
              ...(input.maxMinutes !== undefined ? { maxMinutes: input.maxMinutes } : {}),
            }),
          );
          done++;
          input.onRun?.(done, total);
        }
        results.push(summarise({ case: c.name, ...(c.regression ? { regression: c.regression } : {}), judge: judgeName, schedule }, runs));
      }
    }
  }
  return {
    policy: input.policy.name,
    strategy: Object.keys(input.policy.strategy)[0] ?? 'unknown',
    traffic: input.traffic,
    live: input.live,
    runs: input.runs,
    seed: input.seed,
    cases: results,
  };
}
