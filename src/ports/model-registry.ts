/** ModelRegistry: read a model version, and write the rollout's verdict back as tags. */
export interface ModelVersionRef {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly model: string;
  readonly version: string;
}

export interface ModelVersion {
  /** ARM id of the version, usable as a deployment's model. */
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, string>>;
}

export interface ModelRegistry {
  /** Throws RolloutError code 'NotFound' for an unknown version. */
  getModelVersion(ref: ModelVersionRef): Promise<ModelVersion>;
  /** Merges these tags into the version's tags (other tags are kept). */
  updateModelVersionTags(ref: ModelVersionRef, tags: Readonly<Record<string, string>>): Promise<ModelVersion>;
}
