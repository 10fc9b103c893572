/**
 * Activities that change deployments and traffic. Each one writes the desired state, reads it
 * back and verifies it, so a retry after a crash (activities run at least once) is harmless.
 */
import { AzureCallError, RolloutError } from '../errors';
import type { DeploymentState, EndpointControl, EndpointRef } from '../ports';
import type {
  CreateDeploymentInput,
  DeleteDeploymentInput,
  DeleteDeploymentOutput,
  DeploymentOutput,
  GetEndpointStateOutput,
  ReplaceModelInput,
  SetTrafficInput,
  SetTrafficOutput,
} from '../orchestration/activity-contracts';
import type { ActivityContext } from './context';
import { assertSafeDelete, assertSafeTrafficChange } from './safety';
import { nonZero, sameSplit } from './traffic';
import { formatSplit } from '../plan/describe';

/** The tag naming the rollout that created a deployment. */
const ROLLOUT_ID_TAG = 'rollout-id';

function summary(deployment: DeploymentState): DeploymentOutput['deployment'] {
  return {
    name: deployment.name,
    provisioningState: deployment.provisioningState,
    modelId: deployment.modelId,
    instanceType: deployment.instanceType,
    instanceCount: deployment.instanceCount,
  };
}

/** The model id as Azure compares it: without the `azureml:` prefix, case-insensitive. */
function sameModel(a: string, b: string): boolean {
  const strip = (id: string): string => id.replace(/^azureml:/i, '').toLowerCase();
  return strip(a) === strip(b);
}

async function findDeployment(control: EndpointControl, ref: EndpointRef, name: string): Promise<DeploymentState | undefined> {
  try {
    return await control.getDeployment(ref, name);
  } catch (error) {
    if (error instanceof RolloutError && error.code === 'NotFound') return undefined;
    throw error;
  }
}

export async function getEndpointState(ctx: ActivityContext, target: EndpointRef): Promise<GetEndpointStateOutput> {
  const endpoint = await ctx.retry('getEndpoint', () => ctx.endpointControl.getEndpoint(target));
  const deployments = await ctx.retry('listDeployments', () => ctx.endpointControl.listDeployments(target));
  return {
    traffic: { ...endpoint.traffic },
    mirror: { ...endpoint.mirrorTraffic },
    provisioningState: endpoint.provisioningState,
    deployments: deployments.map(summary),
  };
}

export async function createDeployment(ctx: ActivityContext, input: CreateDeploymentInput): Promise<DeploymentOutput> {
  const { target } = input;
  const existing = await ctx.retry('getDeployment', () => findDeployment(ctx.endpointControl, target, input.deployment));
  if (existing && existing.provisioningState === 'Succeeded' && sameModel(existing.modelId, input.modelId)) {
    // Already there (a retried activity, or a replayed rollout): the desired state holds.
    return { deployment: summary(existing) };
  }
  if (existing && existing.provisioningState === 'Succeeded' && !sameModel(existing.modelId, input.modelId)) {
    throw new AzureCallError(
      'Conflict',
      'createDeployment',
      `deployment '${input.deployment}' already exists and serves ${existing.modelId}, not ${input.modelId}; refusing to overwrite it`,
      {
        retryable: false,
      },
    );
  }
  await ctx.retry('createDeployment', () =>
    ctx.endpointControl.createDeployment(target, {
      cloneFrom: input.cloneFrom,
      name: input.deployment,
      modelId: input.modelId,
      ...(input.instanceCount === undefined ? {} : { instanceCount: input.instanceCount }),
      tags: { [ROLLOUT_ID_TAG]: input.rolloutId },
    }),
  );
  const readBack = await ctx.retry('getDeployment', () => ctx.endpointControl.getDeployment(target, input.deployment));
  if (readBack.provisioningState !== 'Succeeded') {
    throw new AzureCallError(
      'Internal',
      'createDeployment',
      `deployment '${input.deployment}' ended in state ${readBack.provisioningState}`,
      { retryable: false },
    );
  }
  if (!sameModel(readBack.modelId, input.modelId)) {
    throw new AzureCallError(
      'Internal',
      'createDeployment',
      `deployment '${input.deployment}' serves ${readBack.modelId} after creation, expected ${input.modelId}`,
      { retryable: false },
    );
  }
  return { deployment: summary(readBack) };
}

export async function replaceModel(ctx: ActivityContext, input: ReplaceModelInput): Promise<DeploymentOutput> {
  const { target } = input;
  const current = await ctx.retry('getDeployment', () => ctx.endpointControl.getDeployment(target, input.deployment));
  if (!(current.provisioningState === 'Succeeded' && sameModel(current.modelId, input.modelId))) {
    await ctx.retry('updateDeploymentModel', () => ctx.endpointControl.updateDeploymentModel(target, input.deployment, input.modelId));
  }
  const readBack = await ctx.retry('getDeployment', () => ctx.endpointControl.getDeployment(target, input.deployment));
  if (readBack.provisioningState !== 'Succeeded' || !sameModel(readBack.modelId, input.modelId)) {
    throw new AzureCallError(
      'Internal',
      'replaceModel',
      `deployment '${input.deployment}' is ${readBack.provisioningState} serving ${readBack.modelId} after the update, expected Succeeded serving ${input.modelId}`,
      { retryable: false },
    );
  }
  return { deployment: summary(readBack) };
}

export async function deleteDeployment(ctx: ActivityContext, input: DeleteDeploymentInput): Promise<DeleteDeploymentOutput> {
  const { target } = input;
  const existing = await ctx.retry('getDeployment', () => findDeployment(ctx.endpointControl, target, input.deployment));
  if (!existing) return { deleted: false };
  const owner = existing.tags[ROLLOUT_ID_TAG];
  if (input.createdBy !== undefined && owner !== input.createdBy) {
    // A late retry must not remove a deployment of the same name that another rollout made since.
    return {
      deleted: false,
      kept: `'${input.deployment}' was created by ${owner ? `rollout '${owner}'` : 'someone else'}, not by '${input.createdBy}'`,
    };
  }
  const endpoint = await ctx.retry('getEndpoint', () => ctx.endpointControl.getEndpoint(target));
  assertSafeDelete(input.deployment, endpoint);
  await ctx.retry('deleteDeployment', () => ctx.endpointControl.deleteDeployment(target, input.deployment));
  const after = await ctx.retry('getDeployment', () => findDeployment(ctx.endpointControl, target, input.deployment));
  if (after && after.provisioningState !== 'Deleting') {
    throw new AzureCallError(
      'Internal',
      'deleteDeployment',
      `deployment '${input.deployment}' still exists (${after.provisioningState}) after delete`,
      { retryable: true },
    );
  }
  return { deleted: true };
}

export async function setTraffic(ctx: ActivityContext, input: SetTrafficInput): Promise<SetTrafficOutput> {
  const { target } = input;
  const endpoint = await ctx.retry('getEndpoint', () => ctx.endpointControl.getEndpoint(target));
  if (sameSplit(endpoint.traffic, input.traffic) && sameSplit(endpoint.mirrorTraffic, input.mirror)) {
    return { traffic: nonZero(endpoint.traffic), mirror: nonZero(endpoint.mirrorTraffic) };
  }
  const deployments = await ctx.retry('listDeployments', () => ctx.endpointControl.listDeployments(target));
  // Checked before every write: a violation throws and never reaches Azure.
  assertSafeTrafficChange(input.traffic, input.mirror, {
    deployments,
    smokeTestPassed: input.facts.smokeTestPassed,
    currentTraffic: endpoint.traffic,
  });
  await ctx.retry('setTraffic', () => ctx.endpointControl.setTraffic(target, input.traffic, input.mirror));
  const readBack = await ctx.retry('getEndpoint', () => ctx.endpointControl.getEndpoint(target));
  if (!sameSplit(readBack.traffic, input.traffic) || !sameSplit(readBack.mirrorTraffic, input.mirror)) {
    throw new AzureCallError(
      'Conflict',
      'setTraffic',
      `endpoint '${target.endpoint}' holds traffic ${formatSplit(readBack.traffic)} / mirror ${formatSplit(readBack.mirrorTraffic)} after writing ${formatSplit(input.traffic)} / ${formatSplit(input.mirror)}`,
      { retryable: true },
    );
  }
  return { traffic: nonZero(readBack.traffic), mirror: nonZero(readBack.mirrorTraffic) };
}
