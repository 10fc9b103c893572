/**
 * A tiny stand-in for the Azure endpoints the adapters call, for the adapters' unit tests: ARM
 * online endpoints / deployments / model versions with asynchronous operations on a test clock,
 * the Log Analytics query API and the metrics batch API (both answering what a test sets), scoring,
 * and a fault queue. It records every request so tests can assert what the SDK really sent.
 * The full emulator (src/harness/emulator) is exercised by the contract tests instead.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAzurePorts, type AzureAdapterOptions, type AzurePorts } from '../../../src/azure';
import { loadSettings } from '../../../src/config';
import type { Clock } from '../../../src/ports';

export class TestClock implements Clock {
  nowMs = Date.UTC(2026, 10, 23, 10, 0, 0);
  readonly sleeps: number[] = [];
  now(): number {
    return this.nowMs;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.nowMs += ms;
    return Promise.resolve();
  }
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string | null;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface Fault {
  readonly method?: string;
  /** Matches when the request path contains this text. */
  readonly pathIncludes: string;
  readonly status: number;
  readonly retryAfterSeconds?: number;
  readonly code?: string;
  /** How many matching requests fail (default 1). */
  count?: number;
}

interface Deployment {
  name: string;
  location: string;
  sku: Record<string, unknown>;
  tags: Record<string, string>;
  properties: Record<string, unknown>;
  readyAtMs: number;
  /** The state once readyAtMs passes. */
  finalState: 'Succeeded' | 'Failed';
  deletingAtMs?: number;
}

interface Endpoint {
  name: string;
  location: string;
  properties: Record<string, unknown> & { traffic: Record<string, number>; mirrorTraffic: Record<string, number> };
  readyAtMs: number;
}

export const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const RESOURCE_GROUP = 'rg-aml-rollout';
export const WORKSPACE = 'demo-workspace';
export const ENDPOINT = 'credit-scoring';
const WORKSPACE_PATH = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}`;
export const ENDPOINT_ID = `${WORKSPACE_PATH}/onlineEndpoints/${ENDPOINT}`;
export const modelId = (name: string, version: string): string => `${WORKSPACE_PATH}/models/${name}/versions/${version}`;
export const ENDPOINT_KEY = 'test-endpoint-key';

export interface FakeAzureOptions {
  /** How long a deployment write takes on the clock. */
  readonly provisioningMs?: number;
  /** How long an endpoint write takes on the clock. */
  readonly endpointUpdateMs?: number;
}

export class FakeAzure {
  readonly requests: RecordedRequest[] = [];
  readonly faults: Fault[] = [];
  readonly endpoints = new Map<string, Endpoint>();
  readonly deployments = new Map<string, Deployment>();
  readonly models = new Map<string, { tags: Record<string, string>; properties: Record<string, string>; description?: string }>();
  /** The endpoint key listKeys hands out and scoring accepts (tests rotate it). */
  endpointKey = ENDPOINT_KEY;
  /** Model versions whose deployments end Failed. */
  readonly failingModels = new Set<string>();
  /** What the Log Analytics query API answers (status, body). */
  logsAnswer: (body: { query: string; timespan: string }) => { status: number; body: unknown; headers?: Record<string, string> } = () => ({
    status: 200,
    body: { tables: [{ name: 'PrimaryResult', columns: [], rows: [] }] },
  });
  metricsAnswer: (query: URLSearchParams, body: unknown) => { status: number; body: unknown } = () => ({
    status: 200,
    body: { values: [] },
  });
  url = '';
  readonly #server = createServer((request, response) => {
    void this.#handle(request, response);
  });
  readonly #provisioningMs: number;
  readonly #endpointUpdateMs: number;
  #operationSeq = 0;
  readonly #operations = new Map<string, () => 'InProgress' | 'Succeeded' | 'Failed'>();

  constructor(
    private readonly clock: TestClock,
    options: FakeAzureOptions = {},
  ) {
    this.#provisioningMs = options.provisioningMs ?? 90_000;
    this.#endpointUpdateMs = options.endpointUpdateMs ?? 20_000;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    this.#seed();
    return this;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #seed(): void {
    this.endpoints.set(ENDPOINT, {
      name: ENDPOINT,
      location: 'westeurope',
      readyAtMs: 0,
      properties: { authMode: 'Key', scoringUri: `${this.url}/score/${ENDPOINT}`, traffic: { blue: 100 }, mirrorTraffic: {} },
    });
    this.deployments.set('blue', {
      name: 'blue',
      location: 'westeurope',
      sku: { name: 'Default', capacity: 2 },
      tags: { owner: 'team-a' },
      readyAtMs: 0,
      finalState: 'Succeeded',
      properties: {
        endpointComputeType: 'Managed',
        model: `azureml:${modelId('credit-model', '1')}`,
        instanceType: 'Standard_DS3_v2',
        scaleSettings: { scaleType: 'Default' },
        requestSettings: { requestTimeout: 'PT5S', maxConcurrentRequestsPerInstance: 2 },
        livenessProbe: { initialDelay: 'PT10M', period: 'PT10S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 30 },
        readinessProbe: { initialDelay: 'PT10S', period: 'PT10S', timeout: 'PT2S', successThreshold: 1, failureThreshold: 3 },
        environmentId: `${WORKSPACE_PATH}/environments/sklearn/versions/3`,
        codeConfiguration: { codeId: `${WORKSPACE_PATH}/codes/score/versions/1`, scoringScript: 'score.py' },
        environmentVariables: { WORKERS: '2' },
        appInsightsEnabled: true,
      },
    });
    for (const version of ['1', '2'])
      this.models.set(`credit-model:${version}`, {
        tags: { stage: 'candidate' },
        properties: { framework: 'sklearn' },
        description: 'credit model',
      });
  }

  /** Requests to ARM (not logs, metrics, scoring) matching method and path fragment. */
  armRequests(method: string, pathIncludes: string): RecordedRequest[] {
    return this.requests.filter(
      (request) =>
        request.method === method &&
        request.path.includes(pathIncludes) &&
        request.path.startsWith('/subscriptions/') &&
        !request.path.includes('metrics:getBatch'),
    );
  }

  #deploymentState(deployment: Deployment): string {
    if (deployment.deletingAtMs !== undefined) return 'Deleting';
    return this.clock.now() >= deployment.readyAtMs ? deployment.finalState : 'Creating';
  }

  #endpointBody(endpoint: Endpoint, apiVersion: string | null): unknown {
    const properties: Record<string, unknown> = {
      ...endpoint.properties,
      provisioningState: this.clock.now() >= endpoint.readyAtMs ? 'Succeeded' : 'Updating',
    };
    // Like Azure, an old api-version does not know mirrorTraffic.
    if (apiVersion === null || apiVersion < '2023-04-01') delete properties.mirrorTraffic;
    return {
      id: `${WORKSPACE_PATH}/onlineEndpoints/${endpoint.name}`,
      name: endpoint.name,
      type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
      location: endpoint.location,
      properties,
    };
  }

  #deploymentBody(deployment: Deployment): unknown {
    return {
      id: `${ENDPOINT_ID}/deployments/${deployment.name}`,
      name: deployment.name,
      type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
      location: deployment.location,
      sku: deployment.sku,
      tags: deployment.tags,
      properties: { ...deployment.properties, provisioningState: this.#deploymentState(deployment) },
    };
  }

  #newOperation(status: () => 'InProgress' | 'Succeeded' | 'Failed'): string {
    const id = `op-${++this.#operationSeq}`;
    this.#operations.set(id, status);
    return `${this.url}${WORKSPACE_PATH}/operations/${id}?api-version=2022-10-01`;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const url = new URL(request.url ?? '/', this.url);
    const method = request.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, apiVersion: url.searchParams.get('api-version'), headers: request.headers, body });
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    const fault = this.faults.find(
      (candidate) => (candidate.method ?? method) === method && url.pathname.includes(candidate.pathIncludes) && (candidate.count ?? 1) > 0,
    );
    if (fault) {
      fault.count = (fault.count ?? 1) - 1;
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      send(fault.status, { error: { code: fault.code ?? `Fault${fault.status}`, message: `injected ${fault.status}` } }, headers);
      return;
    }
    if (!url.pathname.startsWith('/score/') && request.headers.authorization !== 'Bearer test-token') {
      send(401, { error: { code: 'AuthenticationFailed', message: 'missing or wrong bearer token' } });
      return;
    }
    try {
      this.#route(method, url, body, send, request);
    } catch (error) {
      send(500, { error: { code: 'StubError', message: String(error) } });
    }
  }

  #route(
    method: string,
    url: URL,
    body: unknown,
    send: (status: number, payload?: unknown, headers?: Record<string, string>) => void,
    request: IncomingMessage,
  ): void {
    const path = url.pathname;
    const apiVersion = url.searchParams.get('api-version');
    let match: RegExpExecArray | null;
    if ((match = /\/operations\/(op-\d+)$/.exec(path))) {
      const status = this.#operations.get(match[1] ?? '');
      if (!status) return send(404, { error: { code: 'NotFound', message: 'no such operation' } });
      const now = status();
      if (url.searchParams.get('kind') === 'location')
        return now === 'InProgress' ? send(202, undefined, { location: url.toString(), 'retry-after': '5' }) : send(204);
      return send(
        200,
        { status: now, ...(now === 'Failed' ? { error: { code: 'DeploymentFailed', message: 'container crashed' } } : {}) },
        { 'retry-after': '5' },
      );
    }
    if (path.startsWith('/score/')) return this.#score(path.slice('/score/'.length), body, send, request);
    if ((match = /^\/v1\/workspaces\/([^/]+)\/query$/.exec(path)) && method === 'POST') {
      const answer = this.logsAnswer(body as { query: string; timespan: string });
      return send(answer.status, answer.body, answer.headers);
    }
    if (path.endsWith('/metrics:getBatch') && method === 'POST') {
      const answer = this.metricsAnswer(url.searchParams, body);
      return send(answer.status, answer.body);
    }
    if (!path.startsWith(WORKSPACE_PATH))
      return send(404, { error: { code: 'ResourceNotFound', message: `unknown workspace path ${path}` } });
    const rest = path.slice(WORKSPACE_PATH.length);
    if ((match = /^\/models\/([^/]+)\/versions\/([^/]+)$/.exec(rest))) return this.#model(`${match[1]}:${match[2]}`, method, body, send);
    if ((match = /^\/onlineEndpoints\/([^/]+)\/listKeys$/.exec(rest)) && method === 'POST')
      return send(200, { primaryKey: this.endpointKey, secondaryKey: 'other' });
    if ((match = /^\/onlineEndpoints\/([^/]+)\/deployments$/.exec(rest)) && method === 'GET') {
      return send(200, { value: [...this.deployments.values()].map((deployment) => this.#deploymentBody(deployment)) });
    }
    if ((match = /^\/onlineEndpoints\/([^/]+)\/deployments\/([^/]+)$/.exec(rest)))
      return this.#deployment(match[2] ?? '', method, body, send);
    if ((match = /^\/onlineEndpoints\/([^/]+)$/.exec(rest))) return this.#endpoint(match[1] ?? '', method, apiVersion, body, send);
    return send(404, { error: { code: 'NotFound', message: `no route ${method} ${path}` } });
  }

  #endpoint(
    name: string,
    method: string,
    apiVersion: string | null,
    body: unknown,
    send: (status: number, payload?: unknown, headers?: Record<string, string>) => void,
  ): void {
    const endpoint = this.endpoints.get(name);
    if (!endpoint) return send(404, { error: { code: 'ResourceNotFound', message: `endpoint ${name} not found` } });
    if (method === 'GET') return send(200, this.#endpointBody(endpoint, apiVersion));
    if (method !== 'PUT') return send(405, { error: { code: 'MethodNotAllowed', message: method } });
    if (this.clock.now() < endpoint.readyAtMs)
      return send(409, { error: { code: 'Conflict', message: `endpoint ${name} is in Updating provisioning state` } });
    const properties =
      (body as { properties?: { traffic?: Record<string, number>; mirrorTraffic?: Record<string, number> } }).properties ?? {};
    const traffic = properties.traffic ?? {};
    const sum = Object.values(traffic).reduce((a, b) => a + b, 0);
    if (sum !== 100 && sum !== 0) return send(400, { error: { code: 'BadRequest', message: `Traffic must sum to 100 (got ${sum})` } });
    for (const deployment of [...Object.keys(traffic), ...Object.keys(properties.mirrorTraffic ?? {})]) {
      if (!this.deployments.has(deployment))
        return send(400, { error: { code: 'BadRequest', message: `deployment ${deployment} does not exist` } });
    }
    endpoint.properties = {
      ...endpoint.properties,
      traffic: { ...traffic },
      mirrorTraffic:
        apiVersion !== null && apiVersion >= '2023-04-01' ? { ...(properties.mirrorTraffic ?? {}) } : endpoint.properties.mirrorTraffic,
    };
    endpoint.readyAtMs = this.clock.now() + this.#endpointUpdateMs;
    const operation = this.#newOperation(() => (this.clock.now() >= endpoint.readyAtMs ? 'Succeeded' : 'InProgress'));
    return send(201, this.#endpointBody(endpoint, apiVersion), { 'azure-asyncoperation': operation, 'retry-after': '5' });
  }

  #deployment(
    name: string,
    method: string,
    body: unknown,
    send: (status: number, payload?: unknown, headers?: Record<string, string>) => void,
  ): void {
    const existing = this.deployments.get(name);
    if (method === 'GET') {
      if (!existing) return send(404, { error: { code: 'ResourceNotFound', message: `deployment ${name} not found` } });
      return send(200, this.#deploymentBody(existing));
    }
    if (method === 'PUT') {
      if (existing && this.#deploymentState(existing) !== 'Succeeded' && this.#deploymentState(existing) !== 'Failed') {
        return send(409, {
          error: { code: 'Conflict', message: `deployment ${name} is in ${this.#deploymentState(existing)} provisioning state` },
        });
      }
      const input = body as {
        location: string;
        sku?: Record<string, unknown>;
        tags?: Record<string, string>;
        properties: Record<string, unknown>;
      };
      const model = String(input.properties.model ?? '');
      const deployment: Deployment = {
        name,
        location: input.location,
        sku: input.sku ?? {},
        tags: input.tags ?? {},
        properties: input.properties,
        readyAtMs: this.clock.now() + this.#provisioningMs,
        finalState: [...this.failingModels].some((failing) => model.includes(failing)) ? 'Failed' : 'Succeeded',
      };
      this.deployments.set(name, deployment);
      const operation = this.#newOperation(() => (this.clock.now() >= deployment.readyAtMs ? deployment.finalState : 'InProgress'));
      return send(existing ? 200 : 201, this.#deploymentBody(deployment), { 'azure-asyncoperation': operation, 'retry-after': '15' });
    }
    if (method === 'DELETE') {
      if (!existing) return send(204);
      const endpoint = this.endpoints.get(ENDPOINT);
      if ((endpoint?.properties.traffic[name] ?? 0) > 0)
        return send(400, { error: { code: 'BadRequest', message: `deployment ${name} has traffic` } });
      existing.deletingAtMs = this.clock.now() + 30_000;
      const operation = this.#newOperation(() => {
        if (this.clock.now() < (existing.deletingAtMs ?? 0)) return 'InProgress';
        this.deployments.delete(name);
        return 'Succeeded';
      });
      return send(202, undefined, { location: `${operation}&kind=location`, 'retry-after': '10' });
    }
    return send(405, { error: { code: 'MethodNotAllowed', message: method } });
  }

  #model(
    key: string,
    method: string,
    body: unknown,
    send: (status: number, payload?: unknown, headers?: Record<string, string>) => void,
  ): void {
    const model = this.models.get(key);
    const [name, version] = key.split(':');
    const render = (): unknown => ({
      id: `${WORKSPACE_PATH}/models/${name}/versions/${version}`,
      name: version,
      properties: { description: model?.description, tags: model?.tags, properties: model?.properties, isArchived: false },
    });
    if (!model) return send(404, { error: { code: 'UserError', message: `model ${key} not found` } });
    if (method === 'GET') return send(200, render());
    if (method === 'PUT') {
      const input = (body as { properties: { tags?: Record<string, string>; properties?: Record<string, string>; description?: string } })
        .properties;
      model.tags = input.tags ?? {};
      model.properties = input.properties ?? {};
      model.description = input.description;
      return send(200, render());
    }
    return send(405, { error: { code: 'MethodNotAllowed', message: method } });
  }

  #score(
    endpointName: string,
    body: unknown,
    send: (status: number, payload?: unknown, headers?: Record<string, string>) => void,
    request: IncomingMessage,
  ): void {
    if (request.headers.authorization !== `Bearer ${this.endpointKey}`) return send(401, { error: 'bad key' });
    const pinned = request.headers['azureml-model-deployment'];
    const deploymentName = typeof pinned === 'string' ? pinned : 'blue';
    const deployment = this.deployments.get(deploymentName);
    if (!deployment) return send(404, { error: `no deployment ${deploymentName}` });
    this.clock.nowMs += 40; // the model's latency, on the test clock
    return send(
      200,
      { endpoint: endpointName, echo: body, model: deployment.properties.model },
      { 'azureml-model-deployment': deploymentName },
    );
  }
}

/**
 * The app's Azure ports pointed at a fake, as the adapter tests use them: the test clock, a fixed
 * jitter draw and a short request timeout, unless `options` say otherwise.
 */
export function fakeAzurePorts(azure: FakeAzure, clock: TestClock, options: Partial<AzureAdapterOptions> = {}): AzurePorts {
  const settings = loadSettings({
    ARM_ENDPOINT: azure.url,
    LOGS_ENDPOINT: azure.url,
    METRICS_ENDPOINT: azure.url,
    EMULATOR_TOKEN: 'test-token',
  });
  return createAzurePorts(settings, { clock, random: () => 0.5, requestTimeoutMs: 5000, ...options });
}
