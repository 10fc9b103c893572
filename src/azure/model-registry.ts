/** ModelRegistry over @azure/arm-machinelearning modelVersions.get / createOrUpdate. */
import type { AzureMachineLearningWorkspaces, ModelVersion as ArmModelVersion } from '@azure/arm-machinelearning';
import { AzureCallError, ValidationError } from '../errors';
import type { ModelRegistry, ModelVersion, ModelVersionRef } from '../ports';
import { callAzure, type AdapterContext } from './context';

/** Azure allows null values in these maps; the port does not. */
function stringsOnly(map: Readonly<Record<string, string | null>> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(map ?? {})) if (typeof value === 'string') result[key] = value;
  return result;
}

function toModelVersion(ref: ModelVersionRef, version: ArmModelVersion): ModelVersion {
  return {
    id: version.id ?? '',
    model: ref.model,
    version: ref.version,
    tags: stringsOnly(version.properties.tags),
    properties: stringsOnly(version.properties.properties),
  };
}

export class ArmModelRegistry implements ModelRegistry {
  constructor(
    private readonly context: AdapterContext,
    private readonly armClient: (subscriptionId: string) => AzureMachineLearningWorkspaces,
  ) {}

  #requestOptions(): { requestOptions: { timeout: number } } {
    return { requestOptions: { timeout: this.context.requestTimeoutMs } };
  }

  async #get(ref: ModelVersionRef, operation: string): Promise<ArmModelVersion> {
    try {
      return await callAzure(this.context, operation, () =>
        this.armClient(ref.subscriptionId).modelVersions.get(
          ref.resourceGroup,
          ref.workspace,
          ref.model,
          ref.version,
          this.#requestOptions(),
        ),
      );
    } catch (error) {
      if (error instanceof AzureCallError && error.code === 'NotFound') {
        throw new AzureCallError(
          'NotFound',
          operation,
          `model version ${ref.model}:${ref.version} not found in workspace ${ref.workspace}`,
          {
            statusCode: 404,
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  async getModelVersion(ref: ModelVersionRef): Promise<ModelVersion> {
    return toModelVersion(ref, await this.#get(ref, 'getModelVersion'));
  }

  async updateModelVersionTags(ref: ModelVersionRef, tags: Readonly<Record<string, string>>): Promise<ModelVersion> {
    const operation = 'updateModelVersionTags';
    for (const [key, value] of Object.entries(tags)) {
      if (key.trim() === '') throw new ValidationError('tags', 'tag names must not be empty');
      if (typeof value !== 'string') throw new ValidationError(`tags.${key}`, 'tag values must be strings');
    }
    return callAzure(this.context, operation, async () => {
      const current = await this.#get(ref, operation);
      const currentTags = stringsOnly(current.properties.tags);
      const missing = Object.entries(tags).some(([key, value]) => currentTags[key] !== value);
      if (!missing) return toModelVersion(ref, current);
      // PUT the version as read with the tags merged: everything else of the body is kept.
      const body: ArmModelVersion = { ...current, properties: { ...current.properties, tags: { ...current.properties.tags, ...tags } } };
      await this.armClient(ref.subscriptionId).modelVersions.createOrUpdate(
        ref.resourceGroup,
        ref.workspace,
        ref.model,
        ref.version,
        body,
        this.#requestOptions(),
      );
      const after = await this.#get(ref, operation);
      const afterTags = stringsOnly(after.properties.tags);
      const lost = Object.entries(tags)
        .filter(([key, value]) => afterTags[key] !== value)
        .map(([key]) => key);
      if (lost.length > 0) {
        throw new AzureCallError(
          'Conflict',
          operation,
          `model version ${ref.model}:${ref.version} lacks tags ${lost.join(', ')} after the write`,
          { retryable: true },
        );
      }
      return toModelVersion(ref, after);
    });
  }
}
