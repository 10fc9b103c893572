/**
 * The Azure ML resources of one workspace (online endpoints, deployments, model versions) and
 * Azure's rules over them, independent of HTTP.
 *
 * Asynchronous operations never use timers: each accepted write records when it completes on the
 * shared clock, and `settle(now)` applies every completion that is due, in time order, before any
 * request is served. Routing follows the state that was effective at each instant, kept in a
 * short history, so lazily generated traffic is routed as it would have been in real time.
 */
import { badRequest, conflict, notFound, ServiceError } from './arm-errors';
import { parseIsoDuration } from './iso-duration';
import type { BehaviorBook } from './behavior';
import type { Random } from './prng';
import { randomGuid } from './prng';
import type { ProvisioningDurations } from './types';
import type { WorldEndpoint } from './world';

export type ProvisioningState = 'Creating' | 'Updating' | 'Scaling' | 'Deleting' | 'Succeeded' | 'Failed' | 'Canceled';
const TERMINAL: ReadonlySet<ProvisioningState> = new Set(['Succeeded', 'Failed', 'Canceled']);

const MAX_DEPLOYMENTS_PER_ENDPOINT = 20;
const MAX_MIRROR_PERCENT = 50;

export interface WorkspaceCoords {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly location: string;
}

export interface EndpointRecord {
  name: string;
  location: string;
  tags: Record<string, string>;
  description: string | undefined;
  authMode: string;
  /** As ARM shows it (the last accepted PUT). */
  traffic: Record<string, number>;
  mirrorTraffic: Record<string, number>;
  /** What routing uses: changes when the update operation completes. */
  effectiveTraffic: Record<string, number>;
  effectiveMirrorTraffic: Record<string, number>;
  provisioningState: ProvisioningState;
  /** Other properties the caller sent (publicNetworkAccess, compute...), echoed back. */
  extraProperties: Record<string, unknown>;
  identity: Record<string, unknown>;
  keys: { primaryKey: string; secondaryKey: string };
  createdAtMs: number;
  modifiedAtMs: number;
}

export interface DeploymentRecord {
  endpoint: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  sku: { name: string; tier?: string; capacity: number };
  /** The deployment's properties as sent (minus provisioningState), echoed back. */
  properties: Record<string, unknown>;
  /** ARM id of the model version (desired). */
  modelId: string;
  /** "name:version" of the model that answers requests (changes when an update completes). */
  effectiveModelKey: string;
  provisioningState: ProvisioningState;
  /** Has ever reached Succeeded: only then can it answer requests. */
  ready: boolean;
  createdAtMs: number;
  modifiedAtMs: number;
}

export interface ModelVersionRecord {
  model: string;
  version: string;
  /** properties as in Azure: description, tags, properties, modelUri, modelType, ... */
  properties: Record<string, unknown>;
  createdAtMs: number;
  modifiedAtMs: number;
}

export interface OperationRecord {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  startMs: number;
  endMs: number | undefined;
  error: { code: string; message: string } | undefined;
}

/** What the simulator's invariant checks see after every change. */
export interface StateSnapshot {
  readonly atMs: number;
  readonly cause: string;
  readonly endpoints: readonly {
    readonly name: string;
    readonly provisioningState: ProvisioningState;
    readonly traffic: Readonly<Record<string, number>>;
    readonly mirrorTraffic: Readonly<Record<string, number>>;
    readonly effectiveTraffic: Readonly<Record<string, number>>;
    readonly effectiveMirrorTraffic: Readonly<Record<string, number>>;
    readonly deployments: readonly {
      readonly name: string;
      readonly provisioningState: ProvisioningState;
      readonly modelKey: string;
      readonly ready: boolean;
    }[];
  }[];
}

/** What scoring needs to know of one deployment at one instant. */
interface ServingDeployment {
  readonly serving: boolean;
  readonly modelKey: string;
  /** requestSettings.requestTimeout in ms: a request running longer answers 408. */
  readonly requestTimeoutMs: number;
  /** Requests that may be pending at once (2 x maxConcurrentRequestsPerInstance x instances); beyond that, 429. */
  readonly maxPendingRequests: number;
}

/** Routing as effective at one instant, per endpoint. */
export interface RouteTable {
  readonly traffic: readonly (readonly [string, number])[];
  readonly mirror: { readonly deployment: string; readonly percent: number } | undefined;
  readonly deployments: ReadonlyMap<string, ServingDeployment>;
}

/**
 * OnlineRequestSettings defaults of the 2024-04-01 spec: requestTimeout PT5S,
 * maxConcurrentRequestsPerInstance 1 (docs/azure-fidelity.md).
 */
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE = 1;
/** Azure ML documents the requestTimeout range as up to 180 s. */
const MAX_REQUEST_TIMEOUT_MS = 180_000;

/**
 * A deployment's requestSettings as scoring uses them; bad values are a 400 naming the field
 * (checked at PUT, so routing never meets them).
 */
function requestLimits(properties: Record<string, unknown>, capacity: number): { requestTimeoutMs: number; maxPendingRequests: number } {
  const settings = properties['requestSettings'];
  if (settings !== undefined && settings !== null && !isRecord(settings))
    throw badRequest('properties.requestSettings must be an object.', 'properties.requestSettings');
  const timeout = settings?.['requestTimeout'];
  let requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  if (timeout !== undefined && timeout !== null) {
    const parsed = typeof timeout === 'string' ? parseIsoDuration(timeout) : undefined;
    if (parsed === undefined || parsed <= 0 || parsed > MAX_REQUEST_TIMEOUT_MS) {
      throw badRequest(
        `properties.requestSettings.requestTimeout must be an ISO 8601 duration above 0 and at most PT180S (got ${JSON.stringify(timeout)}).`,
        'properties.requestSettings.requestTimeout',
      );
    }
    requestTimeoutMs = parsed;
  }
  const concurrency = settings?.['maxConcurrentRequestsPerInstance'] ?? DEFAULT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1) {
    throw badRequest(
      `properties.requestSettings.maxConcurrentRequestsPerInstance must be a positive integer (got ${JSON.stringify(concurrency)}).`,
      'properties.requestSettings.maxConcurrentRequestsPerInstance',
    );
  }
  return { requestTimeoutMs, maxPendingRequests: 2 * concurrency * capacity };
}

interface Pending {
  readonly seq: number;
  readonly atMs: number;
  readonly operationId: string;
  readonly cause: string;
  readonly apply: () => { code: string; message: string } | void;
}

const NAME_PATTERN = /^[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/;

function checkResourceName(kind: string, name: string): void {
  if (name.length < 3 || name.length > 32 || !NAME_PATTERN.test(name)) {
    throw badRequest(
      `Invalid ${kind} name '${name}': names must be 3-32 characters, start with a letter, and contain only letters, digits and single dashes (not at the end).`,
      'name',
      'InvalidName',
    );
  }
}

/** Accepts an ARM model version id, with or without the `azureml:` prefix, or `azureml:name:version`. */
function parseModelReference(reference: string): { model: string; version: string } | undefined {
  const trimmed = reference.replace(/^azureml:/i, '');
  const byId = /\/models\/([^/]+)\/versions\/([^/]+)$/i.exec(trimmed);
  if (byId?.[1] && byId[2]) return { model: byId[1], version: byId[2] };
  const short = /^([^/:]+):([^/:]+)$/.exec(trimmed);
  if (short?.[1] && short[2]) return { model: short[1], version: short[2] };
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringRecord(value: unknown, path: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw badRequest(`${path} must be an object of strings.`, path);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw badRequest(`${path}.${k} must be a string.`, `${path}.${k}`);
    out[k] = v;
  }
  return out;
}

function percentRecord(value: unknown, path: string): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw badRequest(`${path} must be an object mapping deployment names to percentages.`, path);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) {
      throw badRequest(`${path}.${k} must be an integer between 0 and 100 (got ${JSON.stringify(v)}).`, `${path}.${k}`);
    }
    out[k] = v;
  }
  return out;
}

export interface ArmStateOptions {
  readonly coords: WorkspaceCoords;
  readonly durations: ProvisioningDurations;
  readonly behaviors: BehaviorBook;
  /** Seeded stream for provisioning durations, operation ids and keys. */
  readonly random: Random;
}

export class ArmState {
  readonly endpoints = new Map<string, EndpointRecord>();
  readonly deployments = new Map<string, Map<string, DeploymentRecord>>();
  readonly models = new Map<string, Map<string, ModelVersionRecord>>();
  readonly operations = new Map<string, OperationRecord>();
  private pending: Pending[] = [];
  private seq = 0;
  private readonly listeners = new Set<(snapshot: StateSnapshot) => void>();
  /** Routing history: entries in time order; the last one is current. */
  private history: { atMs: number; routes: Map<string, RouteTable> }[] = [];

  constructor(
    private readonly options: ArmStateOptions,
    startMs: number,
  ) {
    this.history.push({ atMs: startMs, routes: new Map() });
  }

  get coords(): WorkspaceCoords {
    return this.options.coords;
  }

  onChange(listener: (snapshot: StateSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---------------------------------------------------------------- time

  /** Applies every operation completion due at or before `nowMs`, in completion order. */
  settle(nowMs: number): void {
    while (this.pending.length > 0 && (this.pending[0]?.atMs ?? Infinity) <= nowMs) {
      const next = this.pending.shift();
      if (!next) break;
      const failure = next.apply();
      const operation = this.operations.get(next.operationId);
      if (operation) {
        operation.status = failure ? 'Failed' : 'Succeeded';
        operation.endMs = next.atMs;
        operation.error = failure ?? undefined;
      }
      this.changed(next.atMs, next.cause);
    }
  }

  /** When the next asynchronous operation completes (for hosts that want to wake up then). */
  nextCompletionMs(): number | undefined {
    return this.pending[0]?.atMs;
  }

  private schedule(nowMs: number, durationMs: number, cause: string, apply: Pending['apply']): OperationRecord {
    const operation: OperationRecord = {
      id: randomGuid(this.options.random),
      status: 'InProgress',
      startMs: nowMs,
      endMs: undefined,
      error: undefined,
    };
    this.operations.set(operation.id, operation);
    const entry: Pending = { seq: this.seq++, atMs: nowMs + durationMs, operationId: operation.id, cause, apply };
    this.pending.push(entry);
    this.pending.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
    return operation;
  }

  private changed(atMs: number, cause: string): void {
    const routes = new Map<string, RouteTable>();
    for (const endpoint of this.endpoints.values()) {
      const deployments = new Map<string, ServingDeployment>();
      for (const d of this.deployments.get(endpoint.name)?.values() ?? []) {
        deployments.set(d.name, {
          serving: d.ready && d.provisioningState !== 'Failed',
          modelKey: d.effectiveModelKey,
          ...requestLimits(d.properties, d.sku.capacity),
        });
      }
      const mirrorEntry = Object.entries(endpoint.effectiveMirrorTraffic).find(([, v]) => v > 0);
      routes.set(endpoint.name, {
        traffic: Object.entries(endpoint.effectiveTraffic).filter(([, v]) => v > 0),
        mirror: mirrorEntry ? { deployment: mirrorEntry[0], percent: mirrorEntry[1] } : undefined,
        deployments,
      });
    }
    const last = this.history[this.history.length - 1];
    if (last && last.atMs === atMs) last.routes = routes;
    else this.history.push({ atMs, routes });
    if (this.listeners.size > 0) {
      const snapshot = this.snapshot(atMs, cause);
      for (const listener of this.listeners) listener(snapshot);
    }
  }

  snapshot(atMs: number, cause: string): StateSnapshot {
    return {
      atMs,
      cause,
      endpoints: [...this.endpoints.values()].map((e) => ({
        name: e.name,
        provisioningState: e.provisioningState,
        traffic: { ...e.traffic },
        mirrorTraffic: { ...e.mirrorTraffic },
        effectiveTraffic: { ...e.effectiveTraffic },
        effectiveMirrorTraffic: { ...e.effectiveMirrorTraffic },
        deployments: [...(this.deployments.get(e.name)?.values() ?? [])].map((d) => ({
          name: d.name,
          provisioningState: d.provisioningState,
          modelKey: d.effectiveModelKey,
          ready: d.ready,
        })),
      })),
    };
  }

  /** Routing effective at `atMs` (callers ask in non-decreasing time order; older history is dropped). */
  routesAt(atMs: number): ReadonlyMap<string, RouteTable> {
    let index = this.history.length - 1;
    while (index > 0 && (this.history[index]?.atMs ?? 0) > atMs) index--;
    if (index > 0) this.history = this.history.slice(index);
    return this.history[0]?.routes ?? new Map();
  }

  // ---------------------------------------------------------------- ids

  workspaceId(): string {
    const c = this.options.coords;
    return `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${c.workspace}`;
  }
  endpointId(name: string): string {
    return `${this.workspaceId()}/onlineEndpoints/${name}`;
  }
  deploymentId(endpoint: string, name: string): string {
    return `${this.endpointId(endpoint)}/deployments/${name}`;
  }
  modelVersionId(model: string, version: string): string {
    return `${this.workspaceId()}/models/${model}/versions/${version}`;
  }

  // ---------------------------------------------------------------- endpoints

  getEndpoint(name: string): EndpointRecord {
    const endpoint = this.endpoints.get(name);
    if (!endpoint) {
      throw notFound(
        `The Resource 'Microsoft.MachineLearningServices/workspaces/${this.options.coords.workspace}/onlineEndpoints/${name}' under resource group '${this.options.coords.resourceGroup}' was not found.`,
      );
    }
    return endpoint;
  }

  /**
   * PUT of an endpoint: create, or replace (traffic changes are a PUT in Azure; PATCH takes only
   * tags). `honorsMirror` is false for api-versions older than 2023-04-01, which do not know
   * mirrorTraffic: the stored mirror is then kept as it is.
   */
  putEndpoint(
    nowMs: number,
    name: string,
    body: unknown,
    honorsMirror: boolean,
  ): { record: EndpointRecord; created: boolean; operation: OperationRecord } {
    checkResourceName('endpoint', name);
    if (!isRecord(body)) throw badRequest('The request body must be a JSON object.', 'body');
    const properties = body['properties'];
    if (!isRecord(properties)) throw badRequest("The request body must have a 'properties' object.", 'properties');
    const existing = this.endpoints.get(name);
    if (existing && !TERMINAL.has(existing.provisioningState)) {
      throw conflict(
        `Operation cannot be performed on online endpoint '${name}' because it is in ${existing.provisioningState} provisioning state. Please wait for the previous operation to complete and retry.`,
      );
    }
    const location = body['location'];
    if (!existing && (typeof location !== 'string' || location === '')) {
      throw new ServiceError(400, 'LocationRequired', 'The location property is required for this definition.');
    }
    const authMode = properties['authMode'] ?? existing?.authMode ?? 'Key';
    if (authMode !== 'Key' && authMode !== 'AMLToken' && authMode !== 'AADToken') {
      throw badRequest(
        `properties.authMode must be one of Key, AMLToken, AADToken (got ${JSON.stringify(authMode)}).`,
        'properties.authMode',
      );
    }
    const traffic = percentRecord(properties['traffic'], 'properties.traffic');
    // A PUT with an api-version that predates mirrorTraffic loses the stored mirror, as the safe-rollout article says of older clients.
    const mirrorTraffic = honorsMirror ? percentRecord(properties['mirrorTraffic'], 'properties.mirrorTraffic') : {};
    this.validateTraffic(name, traffic, mirrorTraffic);
    const tags = stringRecord(body['tags'], 'tags');
    const {
      traffic: _t,
      mirrorTraffic: _m,
      provisioningState: _p,
      scoringUri: _s,
      swaggerUri: _w,
      authMode: _a,
      description,
      ...extra
    } = properties;
    const record: EndpointRecord = {
      name,
      location: existing?.location ?? (location as string),
      tags,
      description: typeof description === 'string' ? description : undefined,
      authMode: authMode as string,
      traffic,
      mirrorTraffic,
      effectiveTraffic: existing?.effectiveTraffic ?? {},
      effectiveMirrorTraffic: existing?.effectiveMirrorTraffic ?? {},
      provisioningState: existing ? 'Updating' : 'Creating',
      extraProperties: extra,
      identity: isRecord(body['identity']) ? body['identity'] : (existing?.identity ?? { type: 'SystemAssigned' }),
      keys: existing?.keys ?? { primaryKey: this.options.random.hex(32), secondaryKey: this.options.random.hex(32) },
      createdAtMs: existing?.createdAtMs ?? nowMs,
      modifiedAtMs: nowMs,
    };
    this.endpoints.set(name, record);
    if (!existing) this.deployments.set(name, new Map());
    const durationMs = existing ? this.options.durations.endpointUpdateMs : this.options.durations.endpointCreateMs;
    const operation = this.schedule(nowMs, durationMs, `${existing ? 'update' : 'create'} endpoint ${name}`, () => {
      record.provisioningState = 'Succeeded';
      record.effectiveTraffic = { ...record.traffic };
      record.effectiveMirrorTraffic = { ...record.mirrorTraffic };
    });
    this.changed(nowMs, `${existing ? 'update' : 'create'} endpoint ${name} accepted`);
    return { record, created: !existing, operation };
  }

  private validateTraffic(endpoint: string, traffic: Record<string, number>, mirror: Record<string, number>): void {
    const deployments = this.deployments.get(endpoint) ?? new Map<string, DeploymentRecord>();
    for (const name of Object.keys(traffic)) {
      if (!deployments.has(name)) {
        throw badRequest(
          `Traffic is set for deployment '${name}', which does not exist on endpoint '${endpoint}'.`,
          `properties.traffic.${name}`,
          'DeploymentNotFound',
        );
      }
    }
    const values = Object.values(traffic);
    const sum = values.reduce((a, b) => a + b, 0);
    if (sum !== 100 && sum !== 0) {
      throw badRequest(
        `The traffic values of endpoint '${endpoint}' must sum to 100 (or all be 0); they sum to ${sum}.`,
        'properties.traffic',
        'InvalidTrafficSum',
      );
    }
    const mirrored = Object.entries(mirror).filter(([, v]) => v > 0);
    for (const name of Object.keys(mirror)) {
      if (!deployments.has(name)) {
        throw badRequest(
          `Mirror traffic is set for deployment '${name}', which does not exist on endpoint '${endpoint}'.`,
          `properties.mirrorTraffic.${name}`,
          'DeploymentNotFound',
        );
      }
    }
    if (mirrored.length > 1) {
      throw badRequest(
        `Mirror traffic can be set for one deployment only; it is set for ${mirrored.map(([n]) => `'${n}'`).join(', ')}.`,
        'properties.mirrorTraffic',
        'InvalidMirrorTraffic',
      );
    }
    for (const [name, percent] of mirrored) {
      if (percent > MAX_MIRROR_PERCENT) {
        throw badRequest(
          `Mirror traffic for deployment '${name}' is ${percent}%; at most ${MAX_MIRROR_PERCENT}% of traffic can be mirrored.`,
          `properties.mirrorTraffic.${name}`,
          'InvalidMirrorTraffic',
        );
      }
      if ((traffic[name] ?? 0) > 0) {
        throw badRequest(
          `Deployment '${name}' cannot receive live traffic and mirror traffic at the same time.`,
          `properties.mirrorTraffic.${name}`,
          'InvalidMirrorTraffic',
        );
      }
    }
  }

  /** Tags and identity apply at once; the 202's operation completes on the next poll. */
  patchEndpoint(nowMs: number, name: string, body: unknown): { record: EndpointRecord; operation: OperationRecord } {
    const endpoint = this.getEndpoint(name);
    if (!isRecord(body)) throw badRequest('The request body must be a JSON object.', 'body');
    const allowed = new Set(['tags', 'identity', 'kind', 'location', 'sku']);
    const unknown = Object.keys(body).filter((k) => !allowed.has(k));
    if (unknown.length > 0) {
      throw badRequest(`PATCH of an online endpoint accepts only tags and identity; change ${unknown.join(', ')} with a PUT.`, unknown[0]);
    }
    if (body['tags'] !== undefined) endpoint.tags = stringRecord(body['tags'], 'tags');
    if (isRecord(body['identity'])) endpoint.identity = body['identity'];
    endpoint.modifiedAtMs = nowMs;
    this.changed(nowMs, `patch endpoint ${name}`);
    return { record: endpoint, operation: this.schedule(nowMs, 0, `patch endpoint ${name}`, () => undefined) };
  }

  deleteEndpoint(nowMs: number, name: string): OperationRecord | undefined {
    const endpoint = this.endpoints.get(name);
    if (!endpoint) return undefined;
    if (!TERMINAL.has(endpoint.provisioningState)) {
      throw conflict(
        `Operation cannot be performed on online endpoint '${name}' because it is in ${endpoint.provisioningState} provisioning state. Please wait for the previous operation to complete and retry.`,
      );
    }
    endpoint.provisioningState = 'Deleting';
    const operation = this.schedule(nowMs, this.options.durations.endpointDeleteMs, `delete endpoint ${name}`, () => {
      this.endpoints.delete(name);
      this.deployments.delete(name);
    });
    this.changed(nowMs, `delete endpoint ${name} accepted`);
    return operation;
  }

  // ---------------------------------------------------------------- deployments

  getDeployment(endpoint: string, name: string): DeploymentRecord {
    this.getEndpoint(endpoint);
    const deployment = this.deployments.get(endpoint)?.get(name);
    if (!deployment) {
      throw notFound(
        `The Resource 'Microsoft.MachineLearningServices/workspaces/${this.options.coords.workspace}/onlineEndpoints/${endpoint}/deployments/${name}' under resource group '${this.options.coords.resourceGroup}' was not found.`,
      );
    }
    return deployment;
  }

  listDeployments(endpoint: string): DeploymentRecord[] {
    this.getEndpoint(endpoint);
    return [...(this.deployments.get(endpoint)?.values() ?? [])];
  }

  putDeployment(
    nowMs: number,
    endpointName: string,
    name: string,
    body: unknown,
  ): { record: DeploymentRecord; created: boolean; operation: OperationRecord } {
    const endpoint = this.getEndpoint(endpointName);
    checkResourceName('deployment', name);
    if (!isRecord(body)) throw badRequest('The request body must be a JSON object.', 'body');
    const properties = body['properties'];
    if (!isRecord(properties)) throw badRequest("The request body must have a 'properties' object.", 'properties');
    if (!TERMINAL.has(endpoint.provisioningState)) {
      throw conflict(
        `Operation cannot be performed on online endpoint '${endpointName}' because it is in ${endpoint.provisioningState} provisioning state. Please wait for the previous operation to complete and retry.`,
      );
    }
    const siblings = this.deployments.get(endpointName) ?? new Map<string, DeploymentRecord>();
    const existing = siblings.get(name);
    if (existing && !TERMINAL.has(existing.provisioningState)) {
      throw conflict(
        `Operation cannot be performed on online deployment '${name}' because it is in ${existing.provisioningState} provisioning state. Please wait for the previous operation to complete and retry.`,
      );
    }
    if (!existing && siblings.size >= MAX_DEPLOYMENTS_PER_ENDPOINT) {
      throw badRequest(
        `Endpoint '${endpointName}' already has ${siblings.size} deployments; an online endpoint can have at most ${MAX_DEPLOYMENTS_PER_ENDPOINT}.`,
        'name',
        'DeploymentLimitExceeded',
      );
    }
    const computeType = properties['endpointComputeType'];
    if (computeType !== 'Managed') {
      throw badRequest(
        `properties.endpointComputeType must be 'Managed' (got ${JSON.stringify(computeType)}); the emulator serves managed online endpoints only.`,
        'properties.endpointComputeType',
      );
    }
    const modelReference = properties['model'];
    if (typeof modelReference !== 'string') throw badRequest('properties.model must be the ARM id of a model version.', 'properties.model');
    const parsed = parseModelReference(modelReference);
    if (!parsed)
      throw badRequest(
        `properties.model '${modelReference}' is not a model version id (…/models/{name}/versions/{version}).`,
        'properties.model',
      );
    if (!this.models.get(parsed.model)?.get(parsed.version)) {
      throw badRequest(
        `Model version '${parsed.model}:${parsed.version}' was not found in workspace '${this.options.coords.workspace}'.`,
        'properties.model',
        'ModelNotFound',
      );
    }
    const sku = isRecord(body['sku']) ? body['sku'] : undefined;
    const capacity = sku?.['capacity'] ?? existing?.sku.capacity ?? 1;
    if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1) {
      throw badRequest(`sku.capacity must be a positive integer (got ${JSON.stringify(capacity)}).`, 'sku.capacity');
    }
    requestLimits(properties, capacity);
    const location =
      typeof body['location'] === 'string' && body['location'] !== '' ? body['location'] : (existing?.location ?? endpoint.location);
    const { provisioningState: _p, ...sentProperties } = properties;
    const modelKey = `${parsed.model}:${parsed.version}`;
    const record: DeploymentRecord = {
      endpoint: endpointName,
      name,
      location,
      tags: stringRecord(body['tags'], 'tags'),
      sku: { name: typeof sku?.['name'] === 'string' ? sku['name'] : 'Default', tier: 'Standard', capacity },
      properties: { ...sentProperties, model: this.modelVersionId(parsed.model, parsed.version) },
      modelId: this.modelVersionId(parsed.model, parsed.version),
      effectiveModelKey: existing?.effectiveModelKey ?? modelKey,
      provisioningState: existing ? 'Updating' : 'Creating',
      ready: existing?.ready ?? false,
      createdAtMs: existing?.createdAtMs ?? nowMs,
      modifiedAtMs: nowMs,
    };
    siblings.set(name, record);
    this.deployments.set(endpointName, siblings);
    const fails = this.options.behaviors.provisioningFails(modelKey);
    const [minMs, maxMs] = this.options.durations.deploymentCreateMs;
    const durationMs = existing
      ? this.options.durations.deploymentUpdateMs
      : Math.round(minMs + this.options.random.next() * (maxMs - minMs));
    const verb = existing ? 'update' : 'create';
    const operation = this.schedule(nowMs, durationMs, `${verb} deployment ${endpointName}/${name}`, () => {
      if (fails) {
        record.provisioningState = 'Failed';
        return {
          code: 'DeploymentFailed',
          message: `Deployment '${name}' of model '${modelKey}' failed: the container did not become ready (liveness probe failed: container exited with code 1). Check the deployment logs.`,
        };
      }
      record.provisioningState = 'Succeeded';
      record.ready = true;
      record.effectiveModelKey = modelKey;
      return undefined;
    });
    this.changed(nowMs, `${verb} deployment ${endpointName}/${name} accepted`);
    return { record, created: !existing, operation };
  }

  /** PATCH: tags (immediate) and sku/scale (an Updating operation). */
  patchDeployment(
    nowMs: number,
    endpointName: string,
    name: string,
    body: unknown,
  ): { record: DeploymentRecord; operation: OperationRecord | undefined } {
    const record = this.getDeployment(endpointName, name);
    if (!isRecord(body)) throw badRequest('The request body must be a JSON object.', 'body');
    if (!TERMINAL.has(record.provisioningState)) {
      throw conflict(
        `Operation cannot be performed on online deployment '${name}' because it is in ${record.provisioningState} provisioning state. Please wait for the previous operation to complete and retry.`,
      );
    }
    if (body['tags'] !== undefined) record.tags = stringRecord(body['tags'], 'tags');
    record.modifiedAtMs = nowMs;
    const sku = isRecord(body['sku']) ? body['sku'] : undefined;
    let operation: OperationRecord | undefined;
    if (sku?.['capacity'] !== undefined) {
      const capacity = sku['capacity'];
      if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1) {
        throw badRequest(`sku.capacity must be a positive integer (got ${JSON.stringify(capacity)}).`, 'sku.capacity');
      }
      record.provisioningState = 'Scaling';
      operation = this.schedule(nowMs, this.options.durations.deploymentUpdateMs, `scale deployment ${endpointName}/${name}`, () => {
        record.sku = { ...record.sku, capacity };
        record.provisioningState = 'Succeeded';
      });
    }
    this.changed(nowMs, `patch deployment ${endpointName}/${name}`);
    return { record, operation };
  }

  deleteDeployment(nowMs: number, endpointName: string, name: string): OperationRecord | undefined {
    const endpoint = this.getEndpoint(endpointName);
    const record = this.deployments.get(endpointName)?.get(name);
    if (!record) return undefined;
    const live = Math.max(endpoint.traffic[name] ?? 0, endpoint.effectiveTraffic[name] ?? 0);
    const mirrored = Math.max(endpoint.mirrorTraffic[name] ?? 0, endpoint.effectiveMirrorTraffic[name] ?? 0);
    if (live > 0 || mirrored > 0) {
      throw badRequest(
        `Deployment '${name}' cannot be deleted because it has ${live > 0 ? `${live}% live` : `${mirrored}% mirror`} traffic on endpoint '${endpointName}'. Set its traffic to 0 first.`,
        'name',
        'DeploymentHasTraffic',
      );
    }
    if (!TERMINAL.has(record.provisioningState)) {
      throw conflict(
        `Operation cannot be performed on online deployment '${name}' because it is in ${record.provisioningState} provisioning state. Please wait for the previous operation to complete and retry.`,
      );
    }
    record.provisioningState = 'Deleting';
    const operation = this.schedule(nowMs, this.options.durations.deploymentDeleteMs, `delete deployment ${endpointName}/${name}`, () => {
      this.deployments.get(endpointName)?.delete(name);
      // Its (zero) entries leave the endpoint's traffic maps too, as in Azure: a GET + PUT of the
      // endpoint afterwards must not name a deployment that no longer exists.
      const owner = this.endpoints.get(endpointName);
      if (owner) {
        for (const map of [owner.traffic, owner.mirrorTraffic, owner.effectiveTraffic, owner.effectiveMirrorTraffic]) delete map[name];
      }
    });
    this.changed(nowMs, `delete deployment ${endpointName}/${name} accepted`);
    return operation;
  }

  /** Creates the world's endpoints and deployments directly in Succeeded state (no operations). */
  seedWorld(nowMs: number, endpoints: readonly WorldEndpoint[]): void {
    for (const e of endpoints) {
      checkResourceName('endpoint', e.name);
      const deployments = new Map<string, DeploymentRecord>();
      for (const d of e.deployments) {
        checkResourceName('deployment', d.name);
        this.getModelVersion(d.model, d.version);
        deployments.set(d.name, {
          endpoint: e.name,
          name: d.name,
          location: this.options.coords.location,
          tags: {},
          sku: { name: 'Default', tier: 'Standard', capacity: d.capacity ?? 1 },
          properties: {
            endpointComputeType: 'Managed',
            instanceType: d.instanceType ?? 'Standard_DS3_v2',
            scaleSettings: { scaleType: 'Default' },
            requestSettings: { requestTimeout: 'PT5S', maxConcurrentRequestsPerInstance: 1 },
            appInsightsEnabled: false,
            model: this.modelVersionId(d.model, d.version),
          },
          modelId: this.modelVersionId(d.model, d.version),
          effectiveModelKey: `${d.model}:${d.version}`,
          provisioningState: 'Succeeded',
          ready: true,
          createdAtMs: nowMs,
          modifiedAtMs: nowMs,
        });
      }
      this.deployments.set(e.name, deployments);
      const traffic = { ...e.traffic };
      const mirrorTraffic = { ...(e.mirrorTraffic ?? {}) };
      this.validateTraffic(e.name, traffic, mirrorTraffic);
      this.endpoints.set(e.name, {
        name: e.name,
        location: this.options.coords.location,
        tags: {},
        description: undefined,
        authMode: 'Key',
        traffic,
        mirrorTraffic,
        effectiveTraffic: { ...traffic },
        effectiveMirrorTraffic: { ...mirrorTraffic },
        provisioningState: 'Succeeded',
        extraProperties: {},
        identity: { type: 'SystemAssigned' },
        keys: { primaryKey: this.options.random.hex(32), secondaryKey: this.options.random.hex(32) },
        createdAtMs: nowMs,
        modifiedAtMs: nowMs,
      });
    }
    this.changed(nowMs, 'world seeded');
  }

  // ---------------------------------------------------------------- model versions

  getModelVersion(model: string, version: string): ModelVersionRecord {
    const record = this.models.get(model)?.get(version);
    if (!record) {
      throw notFound(
        `The Resource 'Microsoft.MachineLearningServices/workspaces/${this.options.coords.workspace}/models/${model}/versions/${version}' under resource group '${this.options.coords.resourceGroup}' was not found.`,
      );
    }
    return record;
  }

  listModelVersions(model: string): ModelVersionRecord[] {
    const versions = this.models.get(model);
    if (!versions) {
      throw notFound(
        `The Resource 'Microsoft.MachineLearningServices/workspaces/${this.options.coords.workspace}/models/${model}' under resource group '${this.options.coords.resourceGroup}' was not found.`,
      );
    }
    return [...versions.values()];
  }

  /** Creates or replaces a model version (synchronous in Azure). */
  putModelVersion(nowMs: number, model: string, version: string, body: unknown): { record: ModelVersionRecord; created: boolean } {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(model)) throw badRequest(`Invalid model name '${model}'.`, 'name', 'InvalidName');
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,29}$/.test(version))
      throw badRequest(`Invalid model version '${version}'.`, 'version', 'InvalidName');
    if (!isRecord(body)) throw badRequest('The request body must be a JSON object.', 'body');
    const properties = body['properties'];
    if (!isRecord(properties)) throw badRequest("The request body must have a 'properties' object.", 'properties');
    const tags = stringRecord(properties['tags'], 'properties.tags');
    const props = stringRecord(properties['properties'], 'properties.properties');
    const versions = this.models.get(model) ?? new Map<string, ModelVersionRecord>();
    const existing = versions.get(version);
    const record: ModelVersionRecord = {
      model,
      version,
      properties: {
        modelType: 'custom_model',
        isArchived: false,
        isAnonymous: false,
        ...properties,
        tags,
        properties: props,
        modelUri:
          typeof properties['modelUri'] === 'string'
            ? properties['modelUri']
            : `azureml://registries/${this.options.coords.workspace}/models/${model}/versions/${version}`,
      },
      createdAtMs: existing?.createdAtMs ?? nowMs,
      modifiedAtMs: nowMs,
    };
    versions.set(version, record);
    this.models.set(model, versions);
    return { record, created: !existing };
  }
}
