/**
 * Azure Resource Manager routes of Microsoft.MachineLearningServices, as the real SDK calls them:
 * request/response shapes, api-version checks, and asynchronous operations (201/202 with
 * Azure-AsyncOperation and Location headers, operation status resources).
 */
import { badRequest, notFound, ServiceError } from './arm-errors';
import type { ArmState, DeploymentRecord, EndpointRecord, ModelVersionRecord, OperationRecord } from './arm-state';

/** api-versions the emulator answers. The SDK (2.1.1) sends 2022-10-01; the adapter's mirror PUT sends 2024-04-01. */
export const SUPPORTED_API_VERSIONS = [
  '2022-10-01',
  '2022-12-01-preview',
  '2023-04-01',
  '2023-04-01-preview',
  '2023-06-01-preview',
  '2023-08-01-preview',
  '2023-10-01',
  '2024-01-01-preview',
  '2024-04-01',
  '2024-04-01-preview',
  '2024-10-01',
  '2025-01-01-preview',
] as const;

/** First api-version whose schema has properties.mirrorTraffic. */
const MIRROR_API_VERSION = '2023-04-01';

export interface ApiRequest {
  readonly method: string;
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** scheme://host of this request, for absolute URLs in headers. */
  readonly baseUrl: string;
  readonly nowMs: number;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

type ArmOperationName =
  | 'getWorkspace'
  | 'listEndpoints'
  | 'getEndpoint'
  | 'putEndpoint'
  | 'patchEndpoint'
  | 'deleteEndpoint'
  | 'listKeys'
  | 'listDeployments'
  | 'getDeployment'
  | 'getDeploymentLogs'
  | 'createDeployment'
  | 'updateDeployment'
  | 'deleteDeployment'
  | 'listModels'
  | 'getModel'
  | 'listModelVersions'
  | 'getModelVersion'
  | 'putModelVersion'
  | 'getOperationStatus';

/** What an ARM call is, known before it runs (for counters and fault injection). */
export interface ArmCall {
  readonly operation: ArmOperationName;
  readonly write: boolean;
  readonly run: () => ApiResponse;
}

const eq = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();
const iso = (ms: number): string => new Date(ms).toISOString();

function systemData(createdAtMs: number, modifiedAtMs: number): Record<string, string> {
  return {
    createdAt: iso(createdAtMs),
    createdBy: 'emulator@aml-rollout.local',
    createdByType: 'User',
    lastModifiedAt: iso(modifiedAtMs),
    lastModifiedBy: 'emulator@aml-rollout.local',
    lastModifiedByType: 'User',
  };
}

export class ArmApi {
  constructor(
    private readonly state: ArmState,
    private readonly scoringUriOf: (endpoint: string) => string,
    private readonly tenantId: string,
    /**
     * Retry-After (seconds) on the 202 answers of PATCH and DELETE; the 2024-04-01 spec allows
     * 10-600. The app's pollers wait it out on the injected clock (src/azure/lro.ts), so on the
     * virtual clock it costs no wall time; only callers polling with the SDK's own
     * pollUntilDone (a real setTimeout) wait it in wall time, and may set it lower.
     */
    private readonly retryAfterSeconds: number = 10,
  ) {}

  /** Headers of a 202 for a long-running PATCH or DELETE, as mfe.json 2024-04-01 declares them (plus Azure-AsyncOperation, which ARM also sends). */
  private acceptedHeaders(baseUrl: string, operation: OperationRecord, apiVersion: string): Record<string, string> {
    const urls = this.operationUrls(baseUrl, operation, apiVersion);
    return { 'Azure-AsyncOperation': urls.status, Location: urls.result, 'Retry-After': String(this.retryAfterSeconds) };
  }

  private withMirror(apiVersion: string): boolean {
    return apiVersion.slice(0, 10) >= MIRROR_API_VERSION;
  }

  renderEndpoint(e: EndpointRecord, apiVersion: string): Record<string, unknown> {
    return {
      id: this.state.endpointId(e.name),
      name: e.name,
      type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
      location: e.location,
      tags: e.tags,
      kind: 'Managed',
      identity: { ...e.identity, principalId: '11111111-1111-1111-1111-111111111111', tenantId: this.tenantId },
      properties: {
        publicNetworkAccess: 'Enabled',
        ...e.extraProperties,
        authMode: e.authMode,
        ...(e.description !== undefined ? { description: e.description } : {}),
        provisioningState: e.provisioningState,
        scoringUri: this.scoringUriOf(e.name),
        traffic: e.traffic,
        ...(this.withMirror(apiVersion) ? { mirrorTraffic: e.mirrorTraffic } : {}),
      },
      systemData: systemData(e.createdAtMs, e.modifiedAtMs),
    };
  }

  renderDeployment(d: DeploymentRecord): Record<string, unknown> {
    return {
      id: this.state.deploymentId(d.endpoint, d.name),
      name: d.name,
      type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
      location: d.location,
      tags: d.tags,
      kind: 'Managed',
      sku: d.sku,
      properties: {
        instanceType: 'Standard_DS3_v2',
        scaleSettings: { scaleType: 'Default' },
        appInsightsEnabled: false,
        ...d.properties,
        endpointComputeType: 'Managed',
        model: d.modelId,
        provisioningState: d.provisioningState,
      },
      systemData: systemData(d.createdAtMs, d.modifiedAtMs),
    };
  }

  renderModelVersion(m: ModelVersionRecord): Record<string, unknown> {
    return {
      id: this.state.modelVersionId(m.model, m.version),
      name: m.version,
      type: 'Microsoft.MachineLearningServices/workspaces/models/versions',
      properties: m.properties,
      systemData: systemData(m.createdAtMs, m.modifiedAtMs),
    };
  }

  private operationUrls(baseUrl: string, operation: OperationRecord, apiVersion: string): { status: string; result: string } {
    const c = this.state.coords;
    const prefix = `${baseUrl}/subscriptions/${c.subscriptionId}/providers/Microsoft.MachineLearningServices/locations/${c.location}`;
    return {
      status: `${prefix}/mfeOperationsStatus/${operation.id}?api-version=${apiVersion}`,
      result: `${prefix}/mfeOperationResults/${operation.id}?api-version=${apiVersion}`,
    };
  }

  private checkApiVersion(query: URLSearchParams): string {
    const apiVersion = query.get('api-version');
    if (!apiVersion) {
      throw new ServiceError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    if (!(SUPPORTED_API_VERSIONS as readonly string[]).includes(apiVersion)) {
      throw new ServiceError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location '${this.state.coords.location}' and API version '${apiVersion}' for type 'workspaces'. The supported api-versions are '${SUPPORTED_API_VERSIONS.join(', ')}'.`,
      );
    }
    return apiVersion;
  }

  private checkWorkspace(subscriptionId: string | undefined, resourceGroup: string | undefined, workspace: string | undefined): void {
    const c = this.state.coords;
    if (!eq(subscriptionId, c.subscriptionId))
      throw new ServiceError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
    if (!eq(resourceGroup, c.resourceGroup))
      throw new ServiceError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
    if (!eq(workspace, c.workspace)) {
      throw notFound(
        `The Resource 'Microsoft.MachineLearningServices/workspaces/${workspace}' under resource group '${resourceGroup}' was not found.`,
      );
    }
  }

  /** Classifies an ARM request; undefined when the path is not an ARM path this emulator knows. */
  resolve(request: ApiRequest): ArmCall | undefined {
    const s = request.segments;
    const method = request.method.toUpperCase();
    if (!eq(s[0], 'subscriptions')) return undefined;
    // Operation status: /subscriptions/{s}/providers/Microsoft.MachineLearningServices/locations/{l}/mfeOperations{Status|Results}/{id}
    if (
      eq(s[2], 'providers') &&
      eq(s[3], 'Microsoft.MachineLearningServices') &&
      eq(s[4], 'locations') &&
      s.length === 8 &&
      method === 'GET'
    ) {
      const kind = s[6] ?? '';
      const id = s[7] ?? '';
      if (!eq(kind, 'mfeOperationsStatus') && !eq(kind, 'mfeOperationResults')) return undefined;
      return {
        operation: 'getOperationStatus',
        write: false,
        run: () => this.operationStatus(request, id, eq(kind, 'mfeOperationResults')),
      };
    }
    if (
      !eq(s[2], 'resourceGroups') ||
      !eq(s[4], 'providers') ||
      !eq(s[5], 'Microsoft.MachineLearningServices') ||
      !eq(s[6], 'workspaces') ||
      s.length < 8
    ) {
      return undefined;
    }
    const guard = (fn: (apiVersion: string) => ApiResponse) => (): ApiResponse => {
      const apiVersion = this.checkApiVersion(request.query);
      this.checkWorkspace(s[1], s[3], s[7]);
      return fn(apiVersion);
    };
    const rest = s.slice(8);
    if (rest.length === 0 && method === 'GET') {
      return { operation: 'getWorkspace', write: false, run: guard(() => ({ status: 200, body: this.renderWorkspace() })) };
    }
    if (eq(rest[0], 'onlineEndpoints')) return this.resolveEndpoints(request, method, rest.slice(1), guard);
    if (eq(rest[0], 'models')) return this.resolveModels(request, method, rest.slice(1), guard);
    return undefined;
  }

  private renderWorkspace(): Record<string, unknown> {
    const c = this.state.coords;
    return {
      id: this.state.workspaceId(),
      name: c.workspace,
      type: 'Microsoft.MachineLearningServices/workspaces',
      location: c.location,
      tags: {},
      properties: { provisioningState: 'Succeeded', friendlyName: c.workspace },
    };
  }

  private resolveEndpoints(
    request: ApiRequest,
    method: string,
    rest: readonly string[],
    guard: (fn: (apiVersion: string) => ApiResponse) => () => ApiResponse,
  ): ArmCall | undefined {
    const endpoint = rest[0];
    if (endpoint === undefined) {
      if (method !== 'GET') return undefined;
      return {
        operation: 'listEndpoints',
        write: false,
        run: guard((v) => ({ status: 200, body: { value: [...this.state.endpoints.values()].map((e) => this.renderEndpoint(e, v)) } })),
      };
    }
    if (rest.length === 1) {
      switch (method) {
        case 'GET':
          return {
            operation: 'getEndpoint',
            write: false,
            run: guard((v) => ({ status: 200, body: this.renderEndpoint(this.state.getEndpoint(endpoint), v) })),
          };
        case 'PUT':
          return {
            operation: 'putEndpoint',
            write: true,
            run: guard((v) => {
              const { record, created, operation } = this.state.putEndpoint(request.nowMs, endpoint, request.body, this.withMirror(v));
              const urls = this.operationUrls(request.baseUrl, operation, v);
              return {
                status: created ? 201 : 200,
                headers: { 'Azure-AsyncOperation': urls.status },
                body: this.renderEndpoint(record, v),
              };
            }),
          };
        case 'PATCH':
          return {
            operation: 'patchEndpoint',
            write: true,
            run: guard((v) => {
              const { record, operation } = this.state.patchEndpoint(request.nowMs, endpoint, request.body);
              return { status: 202, headers: this.acceptedHeaders(request.baseUrl, operation, v), body: this.renderEndpoint(record, v) };
            }),
          };
        case 'DELETE':
          return {
            operation: 'deleteEndpoint',
            write: true,
            run: guard((v) => {
              const operation = this.state.deleteEndpoint(request.nowMs, endpoint);
              if (!operation) return { status: 204 };
              return { status: 202, headers: this.acceptedHeaders(request.baseUrl, operation, v) };
            }),
          };
        default:
          return undefined;
      }
    }
    if (rest.length === 2 && eq(rest[1], 'listKeys') && method === 'POST') {
      return {
        operation: 'listKeys',
        write: false,
        run: guard(() => {
          const record = this.state.getEndpoint(endpoint);
          return { status: 200, body: { primaryKey: record.keys.primaryKey, secondaryKey: record.keys.secondaryKey } };
        }),
      };
    }
    // Azure's path segment is `deployments` (resource type onlineEndpoints/deployments); the
    // longer `onlineDeployments` is accepted too.
    if (!eq(rest[1], 'deployments') && !eq(rest[1], 'onlineDeployments')) return undefined;
    const deployment = rest[2];
    if (deployment === undefined) {
      if (method !== 'GET') return undefined;
      return {
        operation: 'listDeployments',
        write: false,
        run: guard(() => ({ status: 200, body: { value: this.state.listDeployments(endpoint).map((d) => this.renderDeployment(d)) } })),
      };
    }
    if (rest.length === 4 && eq(rest[3], 'getLogs') && method === 'POST') {
      return {
        operation: 'getDeploymentLogs',
        write: false,
        run: guard(() => {
          const d = this.state.getDeployment(endpoint, deployment);
          const lines = [
            `${iso(d.createdAtMs)} Starting scoring container for ${d.effectiveModelKey}`,
            `${iso(d.createdAtMs)} Provisioning state: ${d.provisioningState}`,
          ];
          return { status: 200, body: { content: `${lines.join('\n')}\n` } };
        }),
      };
    }
    if (rest.length !== 3) return undefined;
    switch (method) {
      case 'GET':
        return {
          operation: 'getDeployment',
          write: false,
          run: guard(() => ({ status: 200, body: this.renderDeployment(this.state.getDeployment(endpoint, deployment)) })),
        };
      case 'PUT': {
        const exists = this.state.deployments.get(endpoint)?.has(deployment) ?? false;
        return {
          operation: exists ? 'updateDeployment' : 'createDeployment',
          write: true,
          run: guard((v) => {
            const { record, created, operation } = this.state.putDeployment(request.nowMs, endpoint, deployment, request.body);
            const urls = this.operationUrls(request.baseUrl, operation, v);
            return { status: created ? 201 : 200, headers: { 'Azure-AsyncOperation': urls.status }, body: this.renderDeployment(record) };
          }),
        };
      }
      case 'PATCH':
        return {
          operation: 'updateDeployment',
          write: true,
          run: guard((v) => {
            const { record, operation } = this.state.patchDeployment(request.nowMs, endpoint, deployment, request.body);
            if (!operation) return { status: 200, body: this.renderDeployment(record) };
            return { status: 202, headers: this.acceptedHeaders(request.baseUrl, operation, v), body: this.renderDeployment(record) };
          }),
        };
      case 'DELETE':
        return {
          operation: 'deleteDeployment',
          write: true,
          run: guard((v) => {
            const operation = this.state.deleteDeployment(request.nowMs, endpoint, deployment);
            if (!operation) return { status: 204 };
            return { status: 202, headers: this.acceptedHeaders(request.baseUrl, operation, v) };
          }),
        };
      default:
        return undefined;
    }
  }

  private resolveModels(
    request: ApiRequest,
    method: string,
    rest: readonly string[],
    guard: (fn: (apiVersion: string) => ApiResponse) => () => ApiResponse,
  ): ArmCall | undefined {
    const model = rest[0];
    const renderContainer = (name: string): Record<string, unknown> => {
      const versions = this.state.listModelVersions(name);
      const latest = versions
        .map((v) => v.version)
        .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
        .at(-1);
      return {
        id: `${this.state.workspaceId()}/models/${name}`,
        name,
        type: 'Microsoft.MachineLearningServices/workspaces/models',
        properties: {
          latestVersion: latest,
          nextVersion: latest !== undefined && /^\d+$/.test(latest) ? String(Number(latest) + 1) : undefined,
          isArchived: false,
          tags: {},
          properties: {},
        },
      };
    };
    if (model === undefined) {
      if (method !== 'GET') return undefined;
      return {
        operation: 'listModels',
        write: false,
        run: guard(() => ({ status: 200, body: { value: [...this.state.models.keys()].map(renderContainer) } })),
      };
    }
    if (rest.length === 1 && method === 'GET')
      return { operation: 'getModel', write: false, run: guard(() => ({ status: 200, body: renderContainer(model) })) };
    if (!eq(rest[1], 'versions')) return undefined;
    const version = rest[2];
    if (version === undefined) {
      if (method !== 'GET') return undefined;
      return {
        operation: 'listModelVersions',
        write: false,
        run: guard(() => ({ status: 200, body: { value: this.state.listModelVersions(model).map((m) => this.renderModelVersion(m)) } })),
      };
    }
    if (rest.length !== 3) return undefined;
    if (method === 'GET')
      return {
        operation: 'getModelVersion',
        write: false,
        run: guard(() => ({ status: 200, body: this.renderModelVersion(this.state.getModelVersion(model, version)) })),
      };
    if (method === 'PUT') {
      return {
        operation: 'putModelVersion',
        write: true,
        run: guard(() => {
          const { record, created } = this.state.putModelVersion(request.nowMs, model, version, request.body);
          return { status: created ? 201 : 200, body: this.renderModelVersion(record) };
        }),
      };
    }
    return undefined;
  }

  private operationStatus(request: ApiRequest, id: string, asResult: boolean): ApiResponse {
    const apiVersion = this.checkApiVersion(request.query);
    const operation = this.state.operations.get(id);
    if (!operation) throw notFound(`Operation '${id}' was not found.`);
    if (asResult) {
      // Location polling: 202 while running; then 200 (or the failure as an error).
      if (operation.status === 'InProgress') {
        return {
          status: 202,
          headers: {
            Location: this.operationUrls(request.baseUrl, operation, apiVersion).result,
            'Retry-After': String(this.retryAfterSeconds),
          },
        };
      }
      if (operation.status === 'Failed' && operation.error) throw badRequest(operation.error.message, undefined, operation.error.code);
      return { status: 200 };
    }
    const c = this.state.coords;
    return {
      status: 200,
      body: {
        id: `/subscriptions/${c.subscriptionId}/providers/Microsoft.MachineLearningServices/locations/${c.location}/mfeOperationsStatus/${operation.id}`,
        name: operation.id,
        status: operation.status,
        startTime: iso(operation.startMs),
        ...(operation.endMs !== undefined ? { endTime: iso(operation.endMs) } : {}),
        ...(operation.error ? { error: operation.error } : {}),
      },
    };
  }
}
