/**
 * EndpointControl over @azure/arm-machinelearning 2.1.1.
 *
 * Deployments go through the SDK's typed operations (api-version 2022-10-01). The endpoint itself
 * is read and written through the same client's pipeline with api-version 2024-04-01, because the
 * 2.1.1 models have no `mirrorTraffic`: the SDK would drop it from a PUT and from a GET.
 * Every write is desired state: read, skip if already so, write, wait on the clock, read back and
 * verify.
 */
import type { AzureMachineLearningWorkspaces, OnlineDeployment, OnlineDeploymentPropertiesUnion, Sku } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/core-auth';
import { RestError, createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import { AzureCallError, RolloutError } from '../errors';
import { endpointArmUrlPath } from '../common/arm-resource-id';
import type {
  CreateDeploymentOptions,
  DeploymentState,
  EndpointControl,
  EndpointRef,
  EndpointState,
  InvokeDeploymentOptions,
  InvokeResult,
  ProvisioningState,
  TrafficSplit,
} from '../ports';
import { isLocalHttpUrl, type ResolvedEndpoints } from './clients';
import { formatSplit } from '../plan/describe';
import { callAzure, type AdapterContext } from './context';
import { parseRetryAfterMs, toAzureCallError } from './errors';
import { isOperationOutcomeError, pollOnClock, RetryAfterTracker, type ManualPoller } from './lro';

/** First api-version with `mirrorTraffic` was 2023-04-01; 2024-04-01 is the GA version the Azure REST API specs (machinelearningservices, stable) publish. */
const ENDPOINT_API_VERSION = '2024-04-01';

const PROVISIONING_STATES: readonly ProvisioningState[] = [
  'Creating',
  'Updating',
  'Scaling',
  'Deleting',
  'Succeeded',
  'Failed',
  'Canceled',
];
const TERMINAL_STATES = new Set<ProvisioningState>(['Succeeded', 'Failed', 'Canceled']);
/** Scope of an Entra token for scoring an endpoint whose authMode is AADToken. */
const AML_SCORING_SCOPE = 'https://ml.azure.com/.default';

/** Azure's casing is not always stable; an unknown or missing state is treated as still in progress. */
function toProvisioningState(value: string | undefined): ProvisioningState {
  const found = PROVISIONING_STATES.find((state) => state.toLowerCase() === (value ?? '').toLowerCase());
  return found ?? 'Updating';
}

/** Model ids may come back as `azureml:/subscriptions/...`; the port speaks plain ARM ids. */
function normalizeModelId(id: string): string {
  return id.trim().replace(/^azureml:/i, '');
}

function sameModel(a: string, b: string): boolean {
  return normalizeModelId(a).toLowerCase() === normalizeModelId(b).toLowerCase();
}

/** Two splits are the same when every deployment has the same percent (absent = 0). */
function sameSplit(a: TrafficSplit, b: TrafficSplit): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of names) if ((a[name] ?? 0) !== (b[name] ?? 0)) return false;
  return true;
}

const percentMap = z.record(z.string(), z.number());

/** The endpoint as ARM returns it at ENDPOINT_API_VERSION; unknown fields are kept for the PUT. */
const rawEndpointSchema = z.looseObject({
  name: z.string(),
  location: z.string().optional(),
  properties: z.looseObject({
    authMode: z.string(),
    provisioningState: z.string().optional(),
    scoringUri: z.string().nullish(),
    traffic: percentMap.nullish(),
    mirrorTraffic: percentMap.nullish(),
  }),
});
type RawEndpoint = z.infer<typeof rawEndpointSchema>;

function toAuthMode(value: string): EndpointState['authMode'] {
  const lower = value.toLowerCase();
  if (lower === 'key') return 'Key';
  if (lower === 'amltoken') return 'AMLToken';
  if (lower === 'aadtoken') return 'AADToken';
  throw new AzureCallError('Unsupported', 'getEndpoint', `unknown endpoint authMode "${value}" (expected Key, AMLToken or AADToken)`);
}

function toEndpointState(raw: RawEndpoint): EndpointState {
  return {
    name: raw.name,
    provisioningState: toProvisioningState(raw.properties.provisioningState),
    traffic: { ...(raw.properties.traffic ?? {}) },
    mirrorTraffic: { ...(raw.properties.mirrorTraffic ?? {}) },
    scoringUri: raw.properties.scoringUri ?? '',
    authMode: toAuthMode(raw.properties.authMode),
  };
}

/** Plain JSON copy (drops undefined and class instances) for the port's `properties`. */
function plain(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value ?? {})) as Record<string, unknown>;
}

function toDeploymentState(deployment: OnlineDeployment): DeploymentState {
  const properties = deployment.properties;
  return {
    name: deployment.name ?? '',
    provisioningState: toProvisioningState(properties.provisioningState),
    modelId: normalizeModelId(properties.model ?? ''),
    instanceType: properties.instanceType ?? '',
    // Managed deployments carry their instance count in sku.capacity; Azure's default count is 1.
    instanceCount: deployment.sku?.capacity ?? 1,
    properties: plain(properties),
    tags: { ...(deployment.tags ?? {}) },
  };
}

/**
 * The body of a new deployment copied from a live one: the same compute, scale, request
 * settings, probes, environment, code, variables and telemetry; a different model. Read-only
 * fields (provisioningState) and identity-like fields of the source (name, id, tags) are not copied.
 */
function cloneDeploymentBody(
  source: OnlineDeployment,
  change: { readonly modelId: string; readonly instanceCount?: number; readonly tags?: Readonly<Record<string, string>> },
): OnlineDeployment {
  const from = source.properties as OnlineDeploymentPropertiesUnion & { containerResourceRequirements?: unknown };
  const properties: Record<string, unknown> = {
    endpointComputeType: from.endpointComputeType,
    model: change.modelId,
    description: from.description,
    instanceType: from.instanceType,
    scaleSettings: from.scaleSettings,
    requestSettings: from.requestSettings,
    livenessProbe: from.livenessProbe,
    readinessProbe: from.readinessProbe,
    environmentId: from.environmentId,
    codeConfiguration: from.codeConfiguration,
    environmentVariables: from.environmentVariables,
    appInsightsEnabled: from.appInsightsEnabled,
    egressPublicNetworkAccess: from.egressPublicNetworkAccess,
    modelMountPath: from.modelMountPath,
    // Kubernetes deployments size their containers here instead of by instance type.
    containerResourceRequirements: from.containerResourceRequirements,
  };
  for (const key of Object.keys(properties)) if (properties[key] === undefined) delete properties[key];
  const sku: Sku | undefined = source.sku
    ? { ...source.sku, capacity: change.instanceCount ?? source.sku.capacity }
    : change.instanceCount !== undefined
      ? { name: 'Default', capacity: change.instanceCount }
      : undefined;
  const body: OnlineDeployment = {
    location: source.location,
    properties: properties as unknown as OnlineDeploymentPropertiesUnion,
    tags: { ...(change.tags ?? {}) },
  };
  if (sku) body.sku = sku;
  if (source.kind !== undefined) body.kind = source.kind;
  return body;
}

/** Turns a raw pipeline response with an error status into the SDK's RestError shape. */
function restErrorOf(response: PipelineResponse): RestError {
  let code: string | undefined;
  let message = `HTTP ${response.status}`;
  try {
    const parsed = JSON.parse(response.bodyAsText ?? '') as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    if (response.bodyAsText) message = `${message}: ${response.bodyAsText.slice(0, 500)}`;
  }
  return new RestError(message, { statusCode: response.status, code, request: response.request, response });
}

interface EndpointRead {
  readonly raw: RawEndpoint;
  readonly state: EndpointState;
}

export interface ArmEndpointControlDeps {
  readonly context: AdapterContext;
  readonly endpoints: ResolvedEndpoints;
  readonly credential: TokenCredential;
  /** One client per subscription (EndpointRef carries the subscription). */
  readonly armClient: (subscriptionId: string) => AzureMachineLearningWorkspaces;
  /** Scoring requests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

export class ArmEndpointControl implements EndpointControl {
  readonly #context: AdapterContext;
  readonly #deps: ArmEndpointControlDeps;
  /** Endpoint keys, per endpoint, so a smoke test does not list keys on every request. */
  readonly #keys = new Map<string, string>();

  constructor(deps: ArmEndpointControlDeps) {
    this.#deps = deps;
    this.#context = deps.context;
  }

  // ---------------------------------------------------------------- endpoint (raw, newer api-version)

  async #sendEndpointRequest(ref: EndpointRef, method: 'GET' | 'PUT', body?: unknown): Promise<{ response: PipelineResponse }> {
    const client = this.#deps.armClient(ref.subscriptionId);
    const request = createPipelineRequest({
      url: `${this.#deps.endpoints.arm}${endpointArmUrlPath(ref)}?api-version=${ENDPOINT_API_VERSION}`,
      method,
      timeout: this.#context.requestTimeoutMs,
      allowInsecureConnection: this.#deps.endpoints.armIsLocal,
      headers: createHttpHeaders(
        body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const response = await client.sendRequest(request);
    if (response.status >= 400) throw restErrorOf(response);
    return { response };
  }

  async #readEndpoint(ref: EndpointRef, operation: string): Promise<EndpointRead> {
    return callAzure(this.#context, operation, async () => {
      const { response } = await this.#sendEndpointRequest(ref, 'GET');
      let json: unknown;
      try {
        json = JSON.parse(response.bodyAsText ?? '');
      } catch {
        throw new AzureCallError('Transient', operation, `endpoint ${ref.endpoint}: response is not JSON`, {
          retryable: true,
          statusCode: response.status,
        });
      }
      const parsed = rawEndpointSchema.safeParse(json);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
        throw new AzureCallError('Internal', operation, `endpoint ${ref.endpoint}: unexpected response shape: ${problems}`);
      }
      return { raw: parsed.data, state: toEndpointState(parsed.data) };
    });
  }

  /** Reads until the endpoint is in a terminal provisioning state (waits on the clock). */
  async #waitForEndpoint(ref: EndpointRef, operation: string, firstDelayMs?: number): Promise<EndpointRead> {
    const startedMs = this.#context.clock.now();
    let delayMs = firstDelayMs;
    for (;;) {
      if (delayMs !== undefined) await this.#context.clock.sleep(delayMs);
      const read = await this.#readEndpoint(ref, operation);
      if (TERMINAL_STATES.has(read.state.provisioningState)) return read;
      const waitedMs = this.#context.clock.now() - startedMs;
      if (waitedMs >= this.#context.operationTimeoutMs) {
        throw new AzureCallError(
          'Timeout',
          operation,
          `endpoint ${ref.endpoint} still ${read.state.provisioningState} after ${waitedMs} ms`,
          { retryable: true },
        );
      }
      delayMs = this.#context.pollIntervalMs;
    }
  }

  /** The endpoint's Azure region (the metrics data plane is regional). */
  async getEndpointLocation(ref: EndpointRef): Promise<string> {
    const read = await this.#readEndpoint(ref, 'getEndpoint');
    if (!read.raw.location) throw new AzureCallError('Internal', 'getEndpoint', `endpoint ${ref.endpoint} has no location`);
    return read.raw.location;
  }

  async getEndpoint(ref: EndpointRef): Promise<EndpointState> {
    return (await this.#readEndpoint(ref, 'getEndpoint')).state;
  }

  async setTraffic(ref: EndpointRef, traffic: TrafficSplit, mirrorTraffic: TrafficSplit): Promise<EndpointState> {
    const operation = 'setTraffic';
    const wanted = `traffic ${formatSplit(traffic)}, mirror ${formatSplit(mirrorTraffic)}`;
    return callAzure(this.#context, operation, async () => {
      // Wait out an update in progress: a PUT now would only earn a 409.
      const current = await this.#waitForEndpoint(ref, operation);
      if (
        current.state.provisioningState === 'Succeeded' &&
        sameSplit(current.state.traffic, traffic) &&
        sameSplit(current.state.mirrorTraffic, mirrorTraffic)
      ) {
        return current.state;
      }
      // PUT the whole endpoint as read (PATCH accepts only tags and identity), minus read-only fields.
      const { id: _id, name: _name, type: _type, systemData: _systemData, ...rest } = current.raw as RawEndpoint & Record<string, unknown>;
      const {
        provisioningState: _state,
        scoringUri: _scoring,
        swaggerUri: _swagger,
        ...properties
      } = current.raw.properties as RawEndpoint['properties'] & Record<string, unknown>;
      const body = { ...rest, properties: { ...properties, traffic: { ...traffic }, mirrorTraffic: { ...mirrorTraffic } } };
      const { response } = await this.#sendEndpointRequest(ref, 'PUT', body);
      const after = await this.#waitForEndpoint(
        ref,
        operation,
        parseRetryAfterMs(response.headers, this.#context.clock.now()) ?? this.#context.pollIntervalMs,
      );
      if (after.state.provisioningState !== 'Succeeded') {
        throw new AzureCallError(
          'Transient',
          operation,
          `endpoint ${ref.endpoint} ended ${after.state.provisioningState} after writing ${wanted}`,
          {
            retryable: true,
          },
        );
      }
      if (!sameSplit(after.state.traffic, traffic) || !sameSplit(after.state.mirrorTraffic, mirrorTraffic)) {
        // Someone else wrote in between (or the service ignored a field): read-modify-write again.
        throw new AzureCallError(
          'Conflict',
          operation,
          `endpoint ${ref.endpoint} holds traffic ${formatSplit(after.state.traffic)}, mirror ${formatSplit(after.state.mirrorTraffic)} after writing ${wanted}`,
          { retryable: true },
        );
      }
      return after.state;
    });
  }

  // ---------------------------------------------------------------- deployments (typed SDK)

  #requestOptions(): { requestOptions: { timeout: number } } {
    return { requestOptions: { timeout: this.#context.requestTimeoutMs } };
  }

  async #getRawDeployment(ref: EndpointRef, name: string, operation: string): Promise<OnlineDeployment | undefined> {
    try {
      return await callAzure(this.#context, operation, () =>
        this.#deps
          .armClient(ref.subscriptionId)
          .onlineDeployments.get(ref.resourceGroup, ref.workspace, ref.endpoint, name, this.#requestOptions()),
      );
    } catch (error) {
      if (error instanceof RolloutError && error.code === 'NotFound') return undefined;
      throw error;
    }
  }

  async #requireDeployment(ref: EndpointRef, name: string, operation: string): Promise<OnlineDeployment> {
    const found = await this.#getRawDeployment(ref, name, operation);
    if (!found) {
      throw new AzureCallError('NotFound', operation, `deployment ${name} not found on endpoint ${ref.endpoint}`, { statusCode: 404 });
    }
    return found;
  }

  /** Reads until the deployment is terminal; undefined if it does not exist (or vanished while deleting). */
  async #waitForDeployment(ref: EndpointRef, name: string, operation: string): Promise<OnlineDeployment | undefined> {
    const startedMs = this.#context.clock.now();
    for (;;) {
      const found = await this.#getRawDeployment(ref, name, operation);
      if (!found) return undefined;
      const state = toProvisioningState(found.properties.provisioningState);
      if (TERMINAL_STATES.has(state)) return found;
      const waitedMs = this.#context.clock.now() - startedMs;
      if (waitedMs >= this.#context.operationTimeoutMs) {
        throw new AzureCallError('Timeout', operation, `deployment ${name} still ${state} after ${waitedMs} ms`, { retryable: true });
      }
      await this.#context.clock.sleep(this.#context.pollIntervalMs);
    }
  }

  async getDeployment(ref: EndpointRef, name: string): Promise<DeploymentState> {
    return toDeploymentState(await this.#requireDeployment(ref, name, 'getDeployment'));
  }

  async listDeployments(ref: EndpointRef): Promise<readonly DeploymentState[]> {
    return callAzure(this.#context, 'listDeployments', async () => {
      const result: DeploymentState[] = [];
      const pages = this.#deps
        .armClient(ref.subscriptionId)
        .onlineDeployments.list(ref.resourceGroup, ref.workspace, ref.endpoint, this.#requestOptions());
      for await (const deployment of pages) result.push(toDeploymentState(deployment));
      return result;
    });
  }

  /** PUT a deployment and poll on the clock; a Failed/Canceled outcome is left for the read-back. */
  async #putDeployment(ref: EndpointRef, name: string, body: OnlineDeployment, operation: string): Promise<void> {
    await callAzure(this.#context, operation, async () => {
      const retryAfter = new RetryAfterTracker(() => this.#context.clock.now());
      let poller: ManualPoller;
      try {
        poller = await this.#deps
          .armClient(ref.subscriptionId)
          .onlineDeployments.beginCreateOrUpdate(ref.resourceGroup, ref.workspace, ref.endpoint, name, body, {
            ...this.#requestOptions(),
            onResponse: retryAfter.onResponse,
          });
      } catch (error) {
        // begin* already polls once: an operation that failed at once is an outcome, not a failed call.
        if (isOperationOutcomeError(error)) return;
        throw error;
      }
      await pollOnClock(poller, this.#context, operation, retryAfter);
    });
  }

  async createDeployment(ref: EndpointRef, options: CreateDeploymentOptions): Promise<DeploymentState> {
    const operation = 'createDeployment';
    if (options.instanceCount !== undefined && (!Number.isInteger(options.instanceCount) || options.instanceCount < 1)) {
      throw new AzureCallError('InvalidInput', operation, `instanceCount must be an integer >= 1 (got ${options.instanceCount})`);
    }
    const existing = await this.#waitForDeployment(ref, options.name, operation);
    if (
      existing &&
      toProvisioningState(existing.properties.provisioningState) === 'Succeeded' &&
      sameModel(existing.properties.model ?? '', options.modelId) &&
      (options.instanceCount === undefined || existing.sku?.capacity === options.instanceCount)
    ) {
      return toDeploymentState(existing);
    }
    const source = await this.#requireDeployment(ref, options.cloneFrom, operation);
    const body = cloneDeploymentBody(source, { modelId: options.modelId, instanceCount: options.instanceCount, tags: options.tags });
    await this.#putDeployment(ref, options.name, body, operation);
    return this.#verifyModel(ref, options.name, options.modelId, operation);
  }

  async updateDeploymentModel(ref: EndpointRef, name: string, modelId: string): Promise<DeploymentState> {
    const operation = 'updateDeploymentModel';
    const existing = await this.#waitForDeployment(ref, name, operation);
    if (!existing)
      throw new AzureCallError('NotFound', operation, `deployment ${name} not found on endpoint ${ref.endpoint}`, { statusCode: 404 });
    if (toProvisioningState(existing.properties.provisioningState) === 'Succeeded' && sameModel(existing.properties.model ?? '', modelId)) {
      return toDeploymentState(existing);
    }
    const body = cloneDeploymentBody(existing, { modelId, tags: existing.tags });
    await this.#putDeployment(ref, name, body, operation);
    return this.#verifyModel(ref, name, modelId, operation);
  }

  /** Read back after a write: terminal, and serving the wanted model (a Failed state is returned, not thrown). */
  async #verifyModel(ref: EndpointRef, name: string, modelId: string, operation: string): Promise<DeploymentState> {
    const after = await this.#waitForDeployment(ref, name, operation);
    if (!after) throw new AzureCallError('Transient', operation, `deployment ${name} is absent after it was written`, { retryable: true });
    const state = toDeploymentState(after);
    if (!sameModel(state.modelId, modelId)) {
      throw new AzureCallError('Conflict', operation, `deployment ${name} serves ${state.modelId} after writing ${modelId}`, {
        retryable: true,
      });
    }
    return state;
  }

  async deleteDeployment(ref: EndpointRef, name: string): Promise<void> {
    const operation = 'deleteDeployment';
    await callAzure(this.#context, operation, async () => {
      const existing = await this.#waitForDeployment(ref, name, operation);
      if (!existing) return;
      const retryAfter = new RetryAfterTracker(() => this.#context.clock.now());
      try {
        const poller = await this.#deps
          .armClient(ref.subscriptionId)
          .onlineDeployments.beginDelete(ref.resourceGroup, ref.workspace, ref.endpoint, name, {
            ...this.#requestOptions(),
            onResponse: retryAfter.onResponse,
          });
        await pollOnClock(poller, this.#context, operation, retryAfter);
      } catch (error) {
        if (isOperationOutcomeError(error)) {
          // fall through to the read-back, which reports what is left
        } else {
          const mapped = toAzureCallError(error, operation, { nowMs: this.#context.clock.now() });
          if (mapped.code !== 'NotFound') throw mapped;
        }
      }
      const after = await this.#waitForDeployment(ref, name, operation);
      if (after) {
        throw new AzureCallError(
          'Conflict',
          operation,
          `deployment ${name} is still present (${toProvisioningState(after.properties.provisioningState)}) after delete`,
          {
            retryable: true,
          },
        );
      }
    });
  }

  // ---------------------------------------------------------------- scoring

  async #scoringAuthorization(ref: EndpointRef, endpoint: EndpointState, refresh: boolean): Promise<string> {
    const client = this.#deps.armClient(ref.subscriptionId);
    if (endpoint.authMode === 'Key') {
      const cacheKey = `${ref.subscriptionId}/${ref.resourceGroup}/${ref.workspace}/${ref.endpoint}`.toLowerCase();
      const cached = refresh ? undefined : this.#keys.get(cacheKey);
      if (cached) return `Bearer ${cached}`;
      const keys = await callAzure(this.#context, 'listKeys', () =>
        client.onlineEndpoints.listKeys(ref.resourceGroup, ref.workspace, ref.endpoint, this.#requestOptions()),
      );
      const key = keys.primaryKey ?? keys.secondaryKey;
      if (!key) throw new AzureCallError('Unauthorized', 'invokeDeployment', `endpoint ${ref.endpoint} returned no keys`);
      this.#keys.set(cacheKey, key);
      return `Bearer ${key}`;
    }
    if (endpoint.authMode === 'AMLToken') {
      const token = await callAzure(this.#context, 'getToken', () =>
        client.onlineEndpoints.getToken(ref.resourceGroup, ref.workspace, ref.endpoint, this.#requestOptions()),
      );
      if (!token.accessToken) throw new AzureCallError('Unauthorized', 'invokeDeployment', `endpoint ${ref.endpoint} returned no token`);
      return `Bearer ${token.accessToken}`;
    }
    const token = await this.#deps.credential.getToken(AML_SCORING_SCOPE);
    if (!token) throw new AzureCallError('Unauthorized', 'invokeDeployment', `no Entra token for ${AML_SCORING_SCOPE}`);
    return `Bearer ${token.token}`;
  }

  async invokeDeployment(ref: EndpointRef, options: InvokeDeploymentOptions): Promise<InvokeResult> {
    const operation = 'invokeDeployment';
    const timeoutInMs = options.timeoutInMs ?? this.#context.requestTimeoutMs;
    if (!(timeoutInMs > 0)) throw new AzureCallError('InvalidInput', operation, `timeoutInMs must be > 0 (got ${timeoutInMs})`);
    const endpoint = await this.getEndpoint(ref);
    if (!endpoint.scoringUri) throw new AzureCallError('NotFound', operation, `endpoint ${ref.endpoint} has no scoring URI yet`);
    const scoringUrl = new URL(endpoint.scoringUri);
    if (scoringUrl.protocol !== 'https:' && !(isLocalHttpUrl(endpoint.scoringUri) && this.#deps.endpoints.armIsLoopback)) {
      // A key or token must not travel over plain http; only the loopback emulator is exempt.
      throw new AzureCallError('Forbidden', operation, `refusing to send credentials to ${scoringUrl.origin}: scoring URI is not https`);
    }
    const send = async (authorization: string): Promise<InvokeResult> => {
      const fetchImpl = this.#deps.fetch ?? fetch;
      const startedMs = this.#context.clock.now();
      let response: Response;
      try {
        response = await fetchImpl(endpoint.scoringUri, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            authorization,
            'azureml-model-deployment': options.deployment,
          },
          body: JSON.stringify(options.body ?? null),
          // A real-time guard: a hung scoring request must not hold the activity forever.
          signal: AbortSignal.timeout(timeoutInMs),
        });
      } catch (error) {
        throw toAzureCallError(error, operation, { nowMs: this.#context.clock.now() });
      }
      const text = await response.text();
      let body: unknown = text;
      if (text !== '' && (response.headers.get('content-type') ?? '').includes('json')) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      return {
        statusCode: response.status,
        durationMs: this.#context.clock.now() - startedMs,
        body,
        answeredBy: response.headers.get('azureml-model-deployment') ?? undefined,
      };
    };
    const first = await send(await this.#scoringAuthorization(ref, endpoint, false));
    // A key rotated since we cached it: fetch it again once.
    if (first.statusCode === 401 && endpoint.authMode === 'Key') return send(await this.#scoringAuthorization(ref, endpoint, true));
    return first;
  }
}
