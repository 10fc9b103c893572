/**
 * planRollout: RolloutInput -> Plan. Loads the named policy, reads the endpoint to find the live
 * (baseline) deployment and the model it serves, resolves the new version's ARM id in the
 * registry, and compiles. Runs as the orchestration's first activity so ingestion stays fast and
 * the plan is recorded in history (a replay never recompiles against a changed policy).
 */
import { RolloutError, ValidationError } from '../errors';
import { compilePlan } from '../plan/compile';
import { estimateRolloutCost, IN_PLACE_ROLLOUT_COST, plannedOverlapMinutes } from '../plan/rollout-cost';
import type { Plan, RolloutCostEstimate } from '../plan/types';
import type { Policy } from '../policy/schema';
import type { PolicyRepository } from '../ports/policy-repository';
import type { RolloutInput } from '../orchestration/events';
import type { ResolveTargetOutput } from '../orchestration/activity-contracts';
import type { ActivityContext } from './context';

/**
 * What these activities need of the policy repository (POLICY_DIR in the app; an in-memory map in
 * tests). They are the only readers of a policy during a rollout: the plan carries the rest.
 */
export type PolicySource = Pick<PolicyRepository, 'getPolicy'>;

/** The endpoint a rollout will hold (its lease key) and how it treats a newer version. */
export async function resolveTarget(policies: PolicySource, input: RolloutInput): Promise<ResolveTargetOutput> {
  const policy = await policies.getPolicy(input.policyName);
  return {
    target: {
      subscriptionId: input.workspace.subscriptionId,
      resourceGroup: input.workspace.resourceGroup,
      workspace: input.workspace.workspace,
      endpoint: policy.target.endpoint,
    },
    concurrency: policy.concurrency,
  };
}

export async function planRollout(ctx: ActivityContext, policies: PolicySource, input: RolloutInput): Promise<Plan> {
  const policy = await policies.getPolicy(input.policyName);
  const target = {
    subscriptionId: input.workspace.subscriptionId,
    resourceGroup: input.workspace.resourceGroup,
    workspace: input.workspace.workspace,
    endpoint: policy.target.endpoint,
  };
  const endpoint = await ctx.retry('getEndpoint', () => ctx.endpointControl.getEndpoint(target));
  const deployments = await ctx.retry('listDeployments', () => ctx.endpointControl.listDeployments(target));
  const live = Object.entries(endpoint.traffic)
    .filter(([, percent]) => percent > 0)
    .sort((a, b) => b[1] - a[1]);
  const baselineName = live[0]?.[0];
  if (baselineName === undefined) {
    throw new RolloutError(
      'Conflict',
      `endpoint '${target.endpoint}' has no deployment with live traffic; a rollout needs a live deployment to compare with and clone from`,
    );
  }
  const baseline = deployments.find((d) => d.name.toLowerCase() === baselineName.toLowerCase());
  if (!baseline)
    throw new RolloutError(
      'Conflict',
      `endpoint '${target.endpoint}' routes traffic to '${baselineName}', which is not among its deployments`,
    );
  const version = await ctx.retry('getModelVersion', () =>
    ctx.modelRegistry.getModelVersion({ ...input.workspace, model: input.model.name, version: input.model.version }),
  );
  if (!version.id) throw new ValidationError('model.id', `model ${input.model.name}:${input.model.version} has no ARM id in the registry`);
  const plan = compilePlan(policy, {
    rolloutId: input.rolloutId,
    model: { name: input.model.name, version: input.model.version, id: version.id },
    target: input.workspace,
    baseline: { deployment: baseline.name, modelId: baseline.modelId },
    existingDeployments: deployments.map((d) => ({
      name: d.name,
      modelId: d.modelId,
      liveTrafficPercent: endpoint.traffic[d.name] ?? 0,
      mirrorTrafficPercent: endpoint.mirrorTraffic[d.name] ?? 0,
    })),
  });
  if (policy.cost === undefined) return plan;
  const rolloutCost = await priceRollout(ctx, plan, policy.cost, {
    instanceType: baseline.instanceType,
    instances: policy.target.instanceCount ?? baseline.instanceCount,
  });
  return { ...plan, rolloutCost };
}

/**
 * The rollout's own extra cost, priced once at the start (the candidate is a clone of the live
 * deployment: its instance type, and the policy's instanceCount or the live count). Only policies
 * with a cost section are priced: the Retail Prices API is a call to the internet the policy opts
 * into. A price that cannot be had is said, never a zero and never a failed rollout.
 */
async function priceRollout(
  ctx: ActivityContext,
  plan: Plan,
  cost: NonNullable<Policy['cost']>,
  candidate: { instanceType: string; instances: number },
): Promise<RolloutCostEstimate> {
  const pricing = ctx.prices;
  if (plannedOverlapMinutes(plan.steps) === 0) return IN_PLACE_ROLLOUT_COST;
  if (!pricing) return { summary: 'extra cost not priced: this app was started without a price source' };
  try {
    const price = await ctx.retry('price (rollout)', () => pricing.hourlyPrice(candidate.instanceType, plan.target, cost));
    return estimateRolloutCost(plan.steps, { price, instances: candidate.instances });
  } catch (error) {
    return { summary: `extra cost not priced: ${error instanceof Error ? error.message : String(error)}` };
  }
}
