/**
 * "Is this model version in the registry?", asked before anything can start or restart a rollout
 * (an event, a manual start, a retry). Asking first matters: a rollout of a version the registry
 * does not have fails only at planning, after it has already asked the running rollout on its
 * endpoint to step aside.
 */
import { RolloutError } from '../errors';
import type { ModelRegistry, ModelVersion } from '../ports/model-registry';
import type { WorkspaceCoordinates } from './model-registered';

/** The version as the registry has it; RolloutError 'NotFound' naming the version and workspace when absent. */
export async function registeredVersion(
  registry: ModelRegistry,
  workspace: WorkspaceCoordinates,
  model: string,
  version: string,
): Promise<ModelVersion> {
  try {
    return await registry.getModelVersion({ ...workspace, model, version });
  } catch (error) {
    if (error instanceof RolloutError && error.code === 'NotFound') {
      throw new RolloutError(
        'NotFound',
        `model ${model} version ${version} is not registered in workspace ${workspace.workspace} (resource group ${workspace.resourceGroup}, subscription ${workspace.subscriptionId})`,
        { cause: error },
      );
    }
    throw error;
  }
}
