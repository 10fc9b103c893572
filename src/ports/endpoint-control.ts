/**
 * EndpointControl: what the controller needs from an Azure ML managed online endpoint.
 * Implemented over @azure/arm-machinelearning in src/azure, and by fakes in tests.
 * Writes are desired-state: callers may repeat them safely.
 */

/** Azure's provisioning states for endpoints and deployments. */
export type ProvisioningState = 'Creating' | 'Updating' | 'Scaling' | 'Deleting' | 'Succeeded' | 'Failed' | 'Canceled';

/** Percent of live traffic per deployment name; sums to 100, or every value is 0. */
export type TrafficSplit = Readonly<Record<string, number>>;

export interface EndpointRef {
  /** The ML workspace, by ARM coordinates. */
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly endpoint: string;
}

export interface EndpointState {
  readonly name: string;
  readonly provisioningState: ProvisioningState;
  readonly traffic: TrafficSplit;
  readonly mirrorTraffic: TrafficSplit;
  readonly scoringUri: string;
  readonly authMode: 'Key' | 'AMLToken' | 'AADToken';
}

export interface DeploymentState {
  readonly name: string;
  readonly provisioningState: ProvisioningState;
  /** ARM id of the model version (`/subscriptions/.../models/{name}/versions/{v}`), `azureml:` prefix stripped. */
  readonly modelId: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  /** Everything else of the deployment's body, kept so a clone keeps the live settings. */
  readonly properties: Readonly<Record<string, unknown>>;
  readonly tags: Readonly<Record<string, string>>;
}

export interface CreateDeploymentOptions {
  /** Deployment to copy settings from (instance type, scale, probes, environment, code). */
  readonly cloneFrom: string;
  /** New deployment's name. */
  readonly name: string;
  /** ARM id of the model version to serve. */
  readonly modelId: string;
  /** Overrides the clone's instance count. */
  readonly instanceCount?: number;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface InvokeDeploymentOptions {
  readonly deployment: string;
  readonly body: unknown;
  /** Abort after this long (ms). */
  readonly timeoutInMs?: number;
}

export interface InvokeResult {
  readonly statusCode: number;
  readonly durationMs: number;
  readonly body: unknown;
  /** The deployment that answered (from the `azureml-model-deployment` response header). */
  readonly answeredBy: string | undefined;
}

export interface EndpointControl {
  getEndpoint(ref: EndpointRef): Promise<EndpointState>;
  listDeployments(ref: EndpointRef): Promise<readonly DeploymentState[]>;
  /** Throws RolloutError code 'NotFound' when absent. */
  getDeployment(ref: EndpointRef, name: string): Promise<DeploymentState>;
  /** Creates (or re-creates idempotently) and waits until a terminal provisioning state. */
  createDeployment(ref: EndpointRef, options: CreateDeploymentOptions): Promise<DeploymentState>;
  /** Replaces the model of an existing deployment in place (recreate strategy); waits until terminal. */
  updateDeploymentModel(ref: EndpointRef, name: string, modelId: string): Promise<DeploymentState>;
  /** Deletes and waits; absent is success. */
  deleteDeployment(ref: EndpointRef, name: string): Promise<void>;
  /** Writes live and mirror traffic together (one endpoint PUT) and waits; returns what Azure now holds. */
  setTraffic(ref: EndpointRef, traffic: TrafficSplit, mirrorTraffic: TrafficSplit): Promise<EndpointState>;
  /** One scoring request pinned to one deployment (header `azureml-model-deployment`). */
  invokeDeployment(ref: EndpointRef, options: InvokeDeploymentOptions): Promise<InvokeResult>;
}
