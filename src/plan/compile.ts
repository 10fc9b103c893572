/**
 * The plan compiler: policy + model version + live endpoint facts -> Plan (a list of steps).
 *
 * Pure and deterministic (the orchestrator may compile inside a replay). Every strategy becomes a
 * sequence of the step kinds of ./types.ts; the orchestrator only walks the list. Decisions made
 * here, documented in docs/policy.md:
 *   - a traffic step is `setTraffic`, then `bake` (periodic checks, a failure rolls back), then
 *     one decisive `gate` (a pass is required to go on);
 *   - once the candidate holds 100 percent, the baseline serves nothing, so checks relative to it
 *     cannot be judged: post-promotion watches use derived gates `<gate>.absolute` holding only the
 *     absolute checks, never extend for data, and only a definite failure rolls back;
 *   - a step checking several gates uses the shortest check interval, the longest extension, the
 *     highest minimum of requests, the smallest query-error budget and the strictest no-data outcome.
 */
import { PREDICTION_AGREEMENT_GATE } from '../analysis/agreement';
import type { AgreementSpec, CustomMetricSpec, GateSpec, MetricCheck, ResourceGateSpec, ResourceLimitSpec } from '../analysis/types';
import { RolloutError, ValidationError } from '../errors';
import { isRelativeCheck } from '../policy/cross-check';
import type { AdaptiveBakePolicy, ApprovalPolicy, GatePolicy, Policy, PredictionAgreementPolicy } from '../policy/schema';
import { strategyOf } from '../policy/strategy';
import { chooseCandidateName, renderDeploymentName, type ExistingDeploymentName } from './deployment-name';
import type { AdaptiveBakeStep, NoDataOutcome, Plan, Step } from './types';

/** A policy step's adaptive option on its bake: the minimum and maximum bake bracket the fixed one. */
function adaptiveStep(adaptive: AdaptiveBakePolicy, bakeMinutes: number): AdaptiveBakeStep {
  return {
    minBakeMinutes: Math.min(adaptive.minBakeMinutes, bakeMinutes),
    maxBakeMinutes: Math.max(adaptive.maxBakeMinutes, bakeMinutes),
    minRequests: adaptive.minRequests,
    confidence: adaptive.confidence,
    margins: { ...adaptive.margins },
  };
}

/** Azure ML's limit of deployments per endpoint. */
const MAX_DEPLOYMENTS_PER_ENDPOINT = 20;

/** Suffix of the derived gate that keeps only a gate's absolute checks. */
const ABSOLUTE_GATE_SUFFIX = '.absolute';
/**
 * Without minComparedRows, 90% of the rows must be answered by both deployments: a model's normal
 * error rate (a few failed requests) must not keep the check from deciding, a broken one must.
 */
const DEFAULT_COMPARED_SHARE = 0.9;
/** Minutes between two agreement looks when too few rows were answered by both deployments. */
const AGREEMENT_RETRY_MINUTES = 5;
/** Name of the synthesised gate an A/B test's decideWinner compares the arms with. */
export const AB_COMPARE_GATE = 'abTest.compare';

export interface CompilePlanInput {
  readonly rolloutId: string;
  /** The registered model version; `id` is its ARM id (the deployment's model). */
  readonly model: { readonly name: string; readonly version: string; readonly id: string };
  /** The workspace of the registration; `endpoint` overrides the policy's target endpoint (simulations). */
  readonly target: {
    readonly subscriptionId: string;
    readonly resourceGroup: string;
    readonly workspace: string;
    readonly endpoint?: string;
  };
  /** The deployment holding live traffic now, and the model it serves. */
  readonly baseline: { readonly deployment: string; readonly modelId: string };
  /** Every deployment on the endpoint now (the baseline included). */
  readonly existingDeployments: readonly ExistingDeploymentName[];
}

const NO_DATA_SEVERITY: Record<NoDataOutcome, number> = { extend: 0, requestApproval: 1, rollback: 2 };

function gateRequired(policy: Policy, name: string): GatePolicy {
  const gate = policy.gates[name];
  // Validation guarantees references; reaching this means an unvalidated policy was compiled.
  if (!gate)
    throw new ValidationError(`policy ${policy.name}`, `unknown gate "${name}"; validate the policy before compiling it`, {
      code: 'InvalidPolicy',
    });
  return gate;
}

function approvalRequired(policy: Policy, name: string): ApprovalPolicy {
  const approval = policy.approvals[name];
  if (!approval)
    throw new ValidationError(`policy ${policy.name}`, `unknown approval "${name}"; validate the policy before compiling it`, {
      code: 'InvalidPolicy',
    });
  return approval;
}

function resourceSpecOf(resources: NonNullable<GatePolicy['resources']>): ResourceGateSpec {
  const limit = (
    l: { maxPercent?: number | undefined; maxRatioToBaseline?: number | undefined } | undefined,
  ): ResourceLimitSpec | undefined =>
    l === undefined
      ? undefined
      : {
          ...(l.maxPercent === undefined ? {} : { maxPercent: l.maxPercent }),
          ...(l.maxRatioToBaseline === undefined ? {} : { maxRatioToBaseline: l.maxRatioToBaseline }),
        };
  const limits = {
    cpu: limit(resources.cpu),
    memory: limit(resources.memory),
    gpu: limit(resources.gpu),
    gpuMemory: limit(resources.gpuMemory),
  };
  return {
    minReportedMinutes: resources.minReportedMinutes,
    ...Object.fromEntries(Object.entries(limits).filter(([, l]) => l !== undefined)),
  };
}

function toMetricCheck(check: GatePolicy['checks'][number]): MetricCheck {
  const out: { -readonly [K in keyof MetricCheck]: MetricCheck[K] } = { metric: check.metric };
  if (check.max !== undefined) out.max = check.max;
  if (check.min !== undefined) out.min = check.min;
  if (check.maxRatioToBaseline !== undefined) out.maxRatioToBaseline = check.maxRatioToBaseline;
  if (check.maxIncreaseOverBaseline !== undefined) out.maxIncreaseOverBaseline = check.maxIncreaseOverBaseline;
  if (check.critical) out.critical = true;
  return out;
}

/** Builds the gate specs and the steps; counts the looks each gate will get. */
class PlanBuilder {
  readonly steps: Step[] = [];
  private readonly specs = new Map<string, Omit<GateSpec, 'plannedLooks'>>();
  private readonly looks = new Map<string, number>();

  constructor(private readonly policy: Policy) {}

  private customMetricsFor(checks: readonly MetricCheck[]): CustomMetricSpec[] {
    const names = [...new Set(checks.map((c) => c.metric))].filter((m) => m in this.policy.customMetrics);
    return names.map((name) => {
      const m = this.policy.customMetrics[name];
      if (!m) throw new Error('unreachable: custom metric vanished');
      return { name, kql: m.kql, higherIsWorse: m.higherIsWorse };
    });
  }

  /**
   * `compared`: the gate judges the candidate against a baseline that serves traffic, so it also
   * carries the gate's resource checks and the policy's cost check (both compare the two
   * deployments' platform metrics); derived absolute gates (after promotion) do not.
   */
  private register(name: string, gate: GatePolicy, checks: readonly MetricCheck[], compared: boolean): void {
    if (this.specs.has(name)) return;
    const cost = this.policy.cost;
    this.specs.set(name, {
      name,
      checks,
      customMetrics: this.customMetricsFor(checks),
      confidence: gate.confidence,
      minRequestsPerDeployment: gate.minRequestsPerDeployment,
      windowMinutes: gate.windowMinutes,
      ingestionDelayMinutes: gate.ingestionDelayMinutes ?? this.policy.ingestionDelayMinutes,
      ...(gate.spending === undefined ? {} : { spending: gate.spending }),
      ...(compared && gate.resources !== undefined ? { resources: resourceSpecOf(gate.resources) } : {}),
      ...(compared && cost !== undefined
        ? {
            cost: {
              maxCostIncreasePercent: cost.maxCostIncreasePercent,
              onExceeded: cost.onExceeded,
              currency: cost.currency,
              ...(cost.prices === undefined ? {} : { prices: { ...cost.prices } }),
            },
          }
        : {}),
    });
  }

  /** The policy gates, registered as specs. */
  gates(names: readonly string[]): string[] {
    for (const name of names)
      this.register(name, gateRequired(this.policy, name), gateRequired(this.policy, name).checks.map(toMetricCheck), true);
    return [...names];
  }

  /** Derived gates holding only the absolute checks (for when the baseline serves no traffic). */
  absoluteGates(names: readonly string[]): string[] {
    const out: string[] = [];
    for (const name of names) {
      const gate = gateRequired(this.policy, name);
      if (!gate.checks.some(isRelativeCheck) && gate.resources === undefined && this.policy.cost === undefined) {
        out.push(...this.gates([name]));
        continue;
      }
      // Keep each check's absolute bounds, drop its relative ones; checks left without a bound go.
      const absolute = gate.checks
        .filter((c) => c.max !== undefined || c.min !== undefined)
        .map((c) => toMetricCheck({ ...c, maxRatioToBaseline: undefined, maxIncreaseOverBaseline: undefined }));
      if (absolute.length === 0) continue;
      const derived = `${name}${ABSOLUTE_GATE_SUFFIX}`;
      this.register(derived, gate, absolute, false);
      out.push(derived);
    }
    return out;
  }

  /** The A/B comparison gate: the declared metrics, no thresholds (decideWinner compares the arms). */
  abCompareGate(metrics: readonly string[], confidence: number, minRequestsPerArm: number, windowMinutes: number): string {
    const checks = metrics.map((metric) => ({ metric }));
    this.specs.set(AB_COMPARE_GATE, {
      name: AB_COMPARE_GATE,
      checks,
      customMetrics: this.customMetricsFor(checks),
      confidence,
      minRequestsPerDeployment: minRequestsPerArm,
      windowMinutes,
      ingestionDelayMinutes: this.policy.ingestionDelayMinutes,
    });
    return AB_COMPARE_GATE;
  }

  private policyGateOf(name: string): GatePolicy {
    const base = name.endsWith(ABSOLUTE_GATE_SUFFIX) ? name.slice(0, -ABSOLUTE_GATE_SUFFIX.length) : name;
    return gateRequired(this.policy, base);
  }

  private countLooks(names: readonly string[], looks: number): void {
    for (const name of names) this.looks.set(name, (this.looks.get(name) ?? 0) + looks);
  }

  /** The settings of a step that checks these gates together (see the module comment). */
  combine(names: readonly string[]): {
    interval: number;
    extension: number;
    minRequests: number;
    noData: NoDataOutcome;
    maxQueryErrors: number;
    bound: { maxNoDataExtensions?: number };
  } {
    const gates = names.map((n) => this.policyGateOf(n));
    if (gates.length === 0) return { interval: 0, extension: 0, minRequests: 0, noData: 'rollback', maxQueryErrors: 3, bound: {} };
    // The strictest bound of the gates set one (absent everywhere: the decider's default).
    const extensions = gates.flatMap((g) => (g.noData.maxExtensions === undefined ? [] : [g.noData.maxExtensions]));
    let noData: NoDataOutcome = 'extend';
    for (const g of gates) if (NO_DATA_SEVERITY[g.noData.outcome] > NO_DATA_SEVERITY[noData]) noData = g.noData.outcome;
    return {
      interval: Math.min(...gates.map((g) => g.checkIntervalMinutes)),
      extension: Math.max(...gates.map((g) => g.noData.maxExtensionMinutes)),
      minRequests: Math.max(...gates.map((g) => g.minRequestsPerDeployment)),
      noData,
      maxQueryErrors: Math.min(...gates.map((g) => g.maxQueryErrors)),
      bound: extensions.length > 0 ? { maxNoDataExtensions: Math.min(...extensions) } : {},
    };
  }

  push(step: Step): void {
    this.steps.push(step);
  }

  /**
   * Bake, then (with gates) one decisive gate check. `watch` = after promotion: no waiting for
   * data, no decisive check, only a definite failure rolls back.
   */
  bakeAndGate(
    durationMinutes: number,
    gateNames: readonly string[],
    options: { minRequests?: number | undefined; watch?: boolean; adaptive?: AdaptiveBakePolicy | undefined } = {},
  ): void {
    const c = this.combine(gateNames);
    const watch = options.watch ?? false;
    if (durationMinutes > 0 || (!watch && (options.minRequests ?? 0) > 0)) {
      const interval = gateNames.length > 0 ? c.interval : Math.max(durationMinutes, 1);
      const extension = watch ? 0 : c.extension;
      this.push({
        kind: 'bake',
        durationMinutes,
        checkIntervalMinutes: interval,
        gates: [...gateNames],
        minRequests: watch ? 0 : (options.minRequests ?? c.minRequests),
        maxExtensionMinutes: extension,
        noDataOutcome: watch ? 'extend' : c.noData,
        ...(watch ? {} : c.bound),
        maxQueryErrors: c.maxQueryErrors,
        ...(watch ? { candidateOnly: true } : {}),
        ...(options.adaptive && !watch && gateNames.length > 0 ? { adaptive: adaptiveStep(options.adaptive, durationMinutes) } : {}),
      });
      if (gateNames.length > 0) this.countLooks(gateNames, Math.floor(durationMinutes / interval) + Math.floor(extension / interval));
    }
    if (gateNames.length > 0 && !watch) {
      this.push({
        kind: 'gate',
        gates: [...gateNames],
        retryIntervalMinutes: c.interval,
        maxExtensionMinutes: c.extension,
        noDataOutcome: c.noData,
        ...c.bound,
        maxQueryErrors: c.maxQueryErrors,
      });
      this.countLooks(gateNames, 1 + Math.floor(c.extension / c.interval));
    }
  }

  /**
   * The prediction-agreement gate (a synthesised gate, like the A/B comparison gate) and its one
   * decisive check. Too few rows answered is retried for a while, then ends as a disagreement would.
   */
  predictionAgreement(a: PredictionAgreementPolicy): void {
    const rows = a.dataset.rows;
    if (rows === undefined) {
      // The policy store reads a dataset file when it loads the policy; a policy compiled straight from its text has no rows yet.
      throw new ValidationError(
        `policy ${this.policy.name}`,
        `predictionAgreement.dataset.file "${a.dataset.file ?? ''}" has not been read; load the policy with the policy store (src/policy-store)`,
        { code: 'InvalidPolicy' },
      );
    }
    const agreement: AgreementSpec = {
      rows,
      predictionPath: a.predictionPath,
      compare:
        a.compare === 'label'
          ? { kind: 'label' }
          : { kind: 'numeric', absoluteTolerance: a.tolerance?.absolute ?? 0, relativeTolerance: a.tolerance?.relative ?? 0 },
      minAgreement: a.minAgreement,
      ...(a.maxMeanAbsoluteDifference === undefined ? {} : { maxMeanAbsoluteDifference: a.maxMeanAbsoluteDifference }),
      ...(a.maxMeanRelativeDifference === undefined ? {} : { maxMeanRelativeDifference: a.maxMeanRelativeDifference }),
      minComparedRows: a.minComparedRows ?? Math.ceil(DEFAULT_COMPARED_SHARE * rows.length),
      maxExamples: a.maxExamples,
      onDisagreement: a.onDisagreement,
    };
    this.specs.set(PREDICTION_AGREEMENT_GATE, {
      name: PREDICTION_AGREEMENT_GATE,
      checks: [],
      customMetrics: [],
      // Unused by an agreement look (it judges the dataset itself, see src/analysis/agreement.ts).
      confidence: 0.95,
      minRequestsPerDeployment: agreement.minComparedRows,
      windowMinutes: 1,
      ingestionDelayMinutes: 0,
      agreement,
    });
    const retry = AGREEMENT_RETRY_MINUTES;
    this.push({
      kind: 'gate',
      gates: [PREDICTION_AGREEMENT_GATE],
      retryIntervalMinutes: retry,
      maxExtensionMinutes: 2 * retry,
      noDataOutcome: a.onDisagreement,
      maxQueryErrors: 3,
    });
    this.countLooks([PREDICTION_AGREEMENT_GATE], 3);
  }

  approval(name: string | undefined): void {
    if (name === undefined) return;
    const a = approvalRequired(this.policy, name);
    this.push({
      kind: 'approval',
      name,
      timeoutMinutes: a.timeoutMinutes,
      onTimeout: a.onTimeout,
      reminderIntervalMinutes: a.reminderIntervalMinutes,
      ...(a.maxReminders === undefined ? {} : { maxReminders: a.maxReminders }),
      approvers: [...a.approvers],
    });
  }

  addLooks(name: string, looks: number): void {
    this.countLooks([name], looks);
  }

  gateSpecs(): Record<string, GateSpec> {
    const out: Record<string, GateSpec> = {};
    for (const [name, spec] of this.specs) {
      // At least one look: a spec nobody checks still gets a valid (full) alpha budget.
      out[name] = { ...spec, plannedLooks: Math.max(1, this.looks.get(name) ?? 0) };
    }
    return out;
  }
}

function assertInput(policy: Policy, input: CompilePlanInput): void {
  const where = `rollout ${input.rolloutId}`;
  const required: [string, string][] = [
    ['rolloutId', input.rolloutId],
    ['model.name', input.model.name],
    ['model.version', input.model.version],
    ['model.id', input.model.id],
    ['baseline.deployment', input.baseline.deployment],
    ['baseline.modelId', input.baseline.modelId],
  ];
  for (const [field, value] of required) {
    if (!value || value.trim() === '') throw new ValidationError(where, `${field} is required to compile policy "${policy.name}"`);
  }
  const names = input.existingDeployments.map((d) => d.name.toLowerCase());
  if (!names.includes(input.baseline.deployment.toLowerCase())) {
    throw new ValidationError(
      where,
      `baseline deployment "${input.baseline.deployment}" is not among the endpoint's deployments (${input.existingDeployments.map((d) => d.name).join(', ') || 'none'})`,
    );
  }
  const otherLive = input.existingDeployments.filter(
    (d) => d.name.toLowerCase() !== input.baseline.deployment.toLowerCase() && (d.liveTrafficPercent ?? 0) > 0,
  );
  if (otherLive.length > 0) {
    throw new RolloutError(
      'Conflict',
      `${where}: live traffic is split between "${input.baseline.deployment}" and ${otherLive.map((d) => `"${d.name}" (${d.liveTrafficPercent ?? 0}%)`).join(', ')}; a rollout starts from one live deployment: finish or undo the other split first`,
    );
  }
  if (input.model.id.toLowerCase() === input.baseline.modelId.toLowerCase()) {
    throw new RolloutError(
      'Conflict',
      `${where}: ${input.model.name}:${input.model.version} is already the live model of "${input.baseline.deployment}"`,
    );
  }
}

/**
 * Compiles a validated policy for one model version. Throws ValidationError for missing input and
 * RolloutError('Conflict') when the endpoint's state does not allow a rollout (split live traffic,
 * the model already live, no room for one more deployment).
 */
export function compilePlan(policy: Policy, input: CompilePlanInput): Plan {
  assertInput(policy, input);
  const strategy = strategyOf(policy);
  const b = new PlanBuilder(policy);
  const allGates = Object.keys(policy.gates);
  const baseline = input.baseline.deployment;
  const retention = policy.retentionMinutes;

  let candidate = baseline;
  if (strategy.kind !== 'recreate') {
    const reusable = input.existingDeployments.filter((d) => d.modelId?.toLowerCase() === input.model.id.toLowerCase());
    if (input.existingDeployments.length - Math.min(reusable.length, 1) >= MAX_DEPLOYMENTS_PER_ENDPOINT) {
      throw new RolloutError(
        'Conflict',
        `rollout ${input.rolloutId}: endpoint already has ${input.existingDeployments.length} deployments (Azure allows ${MAX_DEPLOYMENTS_PER_ENDPOINT}); delete unused ones first`,
      );
    }
    candidate = chooseCandidateName({
      preferred: renderDeploymentName(policy.target.deploymentName, {
        model: input.model.name,
        version: input.model.version,
        strategy: strategy.kind,
      }),
      baseline,
      candidateModelId: input.model.id,
      existing: input.existingDeployments,
    });
    const deploy: Step =
      policy.target.instanceCount === undefined
        ? { kind: 'deploy', deployment: candidate, cloneFrom: baseline, modelId: input.model.id }
        : {
            kind: 'deploy',
            deployment: candidate,
            cloneFrom: baseline,
            modelId: input.model.id,
            instanceCount: policy.target.instanceCount,
          };
    b.push(deploy);
    b.push(smokeTestStep(policy, candidate));
    // Before any live or mirrored traffic: do both deployments answer the same inputs alike?
    if (policy.predictionAgreement) b.predictionAgreement(policy.predictionAgreement);
  }

  /** Mirror on, bake + gate on the mirrored requests, mirror off. */
  const mirrorPhase = (percent: number, minutes: number, gates: readonly string[], adaptive?: AdaptiveBakePolicy): void => {
    b.push({ kind: 'mirror', deployment: candidate, percent });
    b.bakeAndGate(minutes, b.gates(gates), { adaptive });
    b.push({ kind: 'mirror', deployment: candidate, percent: 0 });
  };
  /** Switch everything to the candidate, watch it through the rollback window, then retire the baseline. */
  const switchAndRetire = (windowMinutes: number, gates: readonly string[]): void => {
    b.push({ kind: 'promote' });
    const watchGates = b.absoluteGates(gates);
    if (windowMinutes > 0 && watchGates.length > 0) {
      b.bakeAndGate(windowMinutes, watchGates, { watch: true });
      b.push({ kind: 'cleanup', deployment: baseline, afterMinutes: 0 });
    } else {
      b.push({ kind: 'cleanup', deployment: baseline, afterMinutes: windowMinutes });
    }
  };

  switch (strategy.kind) {
    case 'canary': {
      const spec = strategy.spec;
      const defaults = spec.gates ?? allGates;
      if (spec.mirror) mirrorPhase(spec.mirror.percent, spec.mirror.minutes, spec.mirror.gates ?? defaults, spec.mirror.adaptive);
      for (const step of spec.steps) {
        b.approval(step.approval);
        const gates = step.gates ?? defaults;
        if (step.percent < 100) {
          b.push({ kind: 'setTraffic', traffic: { [baseline]: 100 - step.percent, [candidate]: step.percent } });
          b.bakeAndGate(step.bakeMinutes, b.gates(gates), { minRequests: step.minRequests, adaptive: step.adaptive });
        } else {
          // The last step: promotion, then a watch on the absolute checks before the retention wait.
          b.push({ kind: 'promote' });
          b.bakeAndGate(step.bakeMinutes, b.absoluteGates(gates), { watch: true });
        }
      }
      b.push({ kind: 'cleanup', deployment: baseline, afterMinutes: retention });
      break;
    }
    case 'blueGreen': {
      const spec = strategy.spec;
      const gates = spec.gates ?? allGates;
      if (spec.mirror) mirrorPhase(spec.mirror.percent, spec.mirror.minutes, spec.mirror.gates ?? gates, spec.mirror.adaptive);
      b.approval(spec.approval);
      switchAndRetire(spec.rollbackWindowMinutes ?? retention, gates);
      break;
    }
    case 'shadow': {
      const spec = strategy.spec;
      const gates = spec.gates ?? allGates;
      mirrorPhase(spec.percent, spec.minutes, gates);
      b.approval(spec.approval);
      switchAndRetire(spec.rollbackWindowMinutes ?? retention, gates);
      break;
    }
    case 'abTest': {
      const spec = strategy.spec;
      const guardrails = b.gates(spec.guardrails ?? allGates);
      const duration = spec.durationMinutes ?? 0;
      const maxDuration = spec.maxDurationMinutes ?? duration;
      const minRequestsPerArm =
        spec.minRequestsPerArm ?? Math.max(100, ...guardrails.map((g) => gateRequired(policy, g).minRequestsPerDeployment));
      b.push({ kind: 'setTraffic', traffic: { [baseline]: spec.split.baseline, [candidate]: spec.split.candidate } });
      // The bake waits for the duration and the sample size (guardrails stay active meanwhile).
      const c = b.combine(guardrails);
      const interval = guardrails.length > 0 ? c.interval : spec.checkIntervalMinutes;
      const extension = Math.max(0, maxDuration - duration);
      b.push({
        kind: 'bake',
        durationMinutes: duration,
        checkIntervalMinutes: interval,
        gates: guardrails,
        minRequests: spec.minRequestsPerArm ?? 0,
        maxExtensionMinutes: extension,
        // Without guardrails, a test that never reaches its sample size keeps the baseline.
        noDataOutcome: guardrails.length > 0 ? c.noData : 'rollback',
        maxQueryErrors: c.maxQueryErrors,
      });
      for (const g of guardrails) b.addLooks(g, Math.floor(duration / interval) + Math.floor(extension / interval));
      // The comparison window covers the whole test; the grace lets the last requests reach the logs.
      const compare = b.abCompareGate(spec.metrics, spec.confidence, minRequestsPerArm, Math.max(maxDuration, spec.checkIntervalMinutes));
      const maxWaitMinutes = policy.ingestionDelayMinutes + spec.checkIntervalMinutes;
      b.push({ kind: 'decideWinner', gate: compare, minRequestsPerArm, maxWaitMinutes, checkIntervalMinutes: spec.checkIntervalMinutes });
      b.addLooks(compare, 1 + Math.floor(maxWaitMinutes / spec.checkIntervalMinutes));
      b.approval(spec.approval);
      b.push({ kind: 'promote' });
      b.push({ kind: 'cleanup', deployment: baseline, afterMinutes: retention });
      break;
    }
    case 'recreate': {
      const spec = strategy.spec;
      b.approval(spec.approval);
      b.push({ kind: 'replaceModel', deployment: baseline, modelId: input.model.id, previousModelId: input.baseline.modelId });
      b.push(smokeTestStep(policy, baseline));
      const watch = b.absoluteGates(spec.healthCheck.gates ?? allGates);
      if (spec.healthCheck.minutes > 0) b.bakeAndGate(spec.healthCheck.minutes, watch, { watch: true });
      break;
    }
  }

  const rollbackSteps: Step[] =
    strategy.kind === 'recreate'
      ? [
          { kind: 'replaceModel', deployment: baseline, modelId: input.baseline.modelId, previousModelId: input.model.id },
          smokeTestStep(policy, baseline),
        ]
      : [{ kind: 'rollback' }];

  const approvers = [...new Set(Object.values(policy.approvals).flatMap((a) => a.approvers))].sort();
  return {
    rolloutId: input.rolloutId,
    policyName: policy.name,
    strategy: strategy.kind,
    target: {
      subscriptionId: input.target.subscriptionId,
      resourceGroup: input.target.resourceGroup,
      workspace: input.target.workspace,
      endpoint: input.target.endpoint ?? policy.target.endpoint,
    },
    model: { name: input.model.name, version: input.model.version, id: input.model.id },
    baseline: { deployment: baseline, modelId: input.baseline.modelId },
    candidate: { deployment: candidate },
    steps: b.steps,
    gates: b.gateSpecs(),
    notifications: { channels: [...policy.notifications.channels], on: [...policy.notifications.events] },
    operators: [...policy.operators],
    approvers,
    concurrency: policy.concurrency,
    rollbackSteps,
    retentionMinutes: retention,
  };
}

function smokeTestStep(policy: Policy, deployment: string): Step {
  return {
    kind: 'smokeTest',
    deployment,
    requests: policy.smokeTest.requests,
    maxFailures: policy.smokeTest.maxFailures,
    payload: policy.smokeTest.payload,
  };
}
