/**
 * AmlOnlineEndpointTrafficLog rows, stored column by column in typed arrays.
 *
 * 600 requests a minute for 12 hours is 432,000 rows; as objects that is hundreds of MB and slow
 * to scan. Typed columns plus interned strings keep it to ~20 MB, and since rows are appended in
 * time order, a time window is two binary searches.
 */

export type RequestKind = 'live' | 'mirror' | 'pinned';
const KINDS: readonly RequestKind[] = ['live', 'mirror', 'pinned'];

export interface TrafficRowInput {
  readonly timeMs: number;
  readonly endpoint: string;
  readonly deployment: string;
  /** "model:version" that answered ('' when no deployment answered). */
  readonly modelKey: string;
  readonly responseCode: number;
  readonly modelStatusCode: number;
  readonly totalDurationMs: number;
  readonly requestDurationMs: number;
  readonly responseDurationMs: number;
  readonly requestPayloadSize: number;
  readonly responsePayloadSize: number;
  /** 64 random bits of the request id (the id is formatted from them and the row index on demand). */
  readonly requestIdHigh: number;
  readonly requestIdLow: number;
  readonly kind: RequestKind;
  readonly userAgent: string;
}

/** The columns Log Analytics exposes, with their Kusto types (as in Azure's table schema). */
export const TRAFFIC_LOG_COLUMNS = [
  { name: 'TenantId', type: 'string' },
  { name: 'TimeGenerated', type: 'datetime' },
  { name: 'Location', type: 'string' },
  { name: 'AuthType', type: 'string' },
  { name: 'AzureMLWorkspaceId', type: 'string' },
  { name: 'AzureMLWorkspaceName', type: 'string' },
  { name: 'IdentityData', type: 'string' },
  { name: 'OperationName', type: 'string' },
  { name: 'EndpointName', type: 'string' },
  { name: 'DeploymentName', type: 'string' },
  { name: 'Protocol', type: 'string' },
  { name: 'ResponseCode', type: 'int' },
  { name: 'ResponseCodeReason', type: 'string' },
  { name: 'ModelStatusCode', type: 'int' },
  { name: 'ModelStatusReason', type: 'string' },
  { name: 'RequestPayloadSize', type: 'int' },
  { name: 'ResponsePayloadSize', type: 'int' },
  { name: 'UserAgent', type: 'string' },
  { name: 'XRequestId', type: 'string' },
  { name: 'XMSClientRequestId', type: 'string' },
  { name: 'TotalDurationMs', type: 'int' },
  { name: 'RequestDurationMs', type: 'int' },
  { name: 'ResponseDurationMs', type: 'int' },
  { name: 'RequestThrottlingDelayMs', type: 'int' },
  { name: 'ResponseThrottlingDelayMs', type: 'int' },
  { name: 'Method', type: 'string' },
  { name: 'Path', type: 'string' },
  { name: 'SourceSystem', type: 'string' },
  { name: 'Type', type: 'string' },
  { name: '_ResourceId', type: 'string' },
  { name: '_SubscriptionId', type: 'string' },
] as const;

const COLUMN_NAMES: readonly string[] = TRAFFIC_LOG_COLUMNS.map((c) => c.name);

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  404: 'Not Found',
  408: 'Request Timeout',
  424: 'Failed Dependency',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export type Row = Record<string, string | number | null>;

class Interner {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [];
  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }
}

function grow<T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(array: T, capacity: number): T {
  const Ctor = array.constructor as new (n: number) => T;
  const next = new Ctor(capacity);
  next.set(array);
  return next;
}

export class TrafficLog {
  private capacity = 4096;
  private count = 0;
  /** Rows dropped by retention so far: row i here is request number `dropped + i` overall. */
  private dropped = 0;
  private time = new Float64Array(this.capacity);
  private endpoint = new Uint32Array(this.capacity);
  private deployment = new Uint32Array(this.capacity);
  private modelKey = new Uint32Array(this.capacity);
  private responseCode = new Uint16Array(this.capacity);
  private modelStatusCode = new Uint16Array(this.capacity);
  private totalDuration = new Uint32Array(this.capacity);
  private requestDuration = new Uint32Array(this.capacity);
  private responseDuration = new Uint32Array(this.capacity);
  private requestSize = new Uint32Array(this.capacity);
  private responseSize = new Uint32Array(this.capacity);
  private kind = new Uint8Array(this.capacity);
  private userAgent = new Uint32Array(this.capacity);
  private idHigh = new Uint32Array(this.capacity);
  private idLow = new Uint32Array(this.capacity);
  /** Per row: ms after TimeGenerated at which Log Analytics shows it (ingestion latency). */
  private ingestDelay = new Uint32Array(this.capacity);
  private readonly strings = new Interner();

  constructor(
    private readonly context: {
      readonly tenantId: string;
      readonly location: string;
      readonly resourceIdOf: (endpoint: string) => string;
      /** The Azure ML workspace the endpoints belong to (defaults: empty). */
      readonly workspace?: { readonly id: string; readonly name: string; readonly subscriptionId: string };
      /** Draws one row's ingestion delay (ms); none: rows are visible at once. */
      readonly ingestionDelayMs?: () => number;
    },
  ) {}

  get length(): number {
    return this.count;
  }

  append(row: TrafficRowInput): number {
    if (this.count > 0 && row.timeMs < (this.time[this.count - 1] ?? 0)) {
      throw new Error(`traffic log rows must be appended in time order (${row.timeMs} after ${this.time[this.count - 1]})`);
    }
    if (this.count === this.capacity) {
      this.capacity *= 2;
      this.time = grow(this.time, this.capacity);
      this.endpoint = grow(this.endpoint, this.capacity);
      this.deployment = grow(this.deployment, this.capacity);
      this.modelKey = grow(this.modelKey, this.capacity);
      this.responseCode = grow(this.responseCode, this.capacity);
      this.modelStatusCode = grow(this.modelStatusCode, this.capacity);
      this.totalDuration = grow(this.totalDuration, this.capacity);
      this.requestDuration = grow(this.requestDuration, this.capacity);
      this.responseDuration = grow(this.responseDuration, this.capacity);
      this.requestSize = grow(this.requestSize, this.capacity);
      this.responseSize = grow(this.responseSize, this.capacity);
      this.kind = grow(this.kind, this.capacity);
      this.userAgent = grow(this.userAgent, this.capacity);
      this.idHigh = grow(this.idHigh, this.capacity);
      this.idLow = grow(this.idLow, this.capacity);
      this.ingestDelay = grow(this.ingestDelay, this.capacity);
    }
    const i = this.count++;
    this.time[i] = row.timeMs;
    this.endpoint[i] = this.strings.id(row.endpoint);
    this.deployment[i] = this.strings.id(row.deployment);
    this.modelKey[i] = this.strings.id(row.modelKey);
    this.responseCode[i] = row.responseCode;
    this.modelStatusCode[i] = row.modelStatusCode;
    this.totalDuration[i] = row.totalDurationMs;
    this.requestDuration[i] = row.requestDurationMs;
    this.responseDuration[i] = row.responseDurationMs;
    this.requestSize[i] = row.requestPayloadSize;
    this.responseSize[i] = row.responsePayloadSize;
    this.kind[i] = KINDS.indexOf(row.kind);
    this.userAgent[i] = this.strings.id(row.userAgent);
    this.idHigh[i] = row.requestIdHigh >>> 0;
    this.idLow[i] = row.requestIdLow >>> 0;
    this.ingestDelay[i] = this.context.ingestionDelayMs?.() ?? 0;
    return i;
  }

  /**
   * Drops rows older than `timeMs` (retention), so a long accelerated run does not grow without
   * bound. Row indexes shift; request ids do not (they count dropped rows).
   */
  dropBefore(timeMs: number): number {
    const cut = this.lowerBound(timeMs);
    if (cut === 0) return 0;
    for (const column of [
      this.time,
      this.endpoint,
      this.deployment,
      this.modelKey,
      this.responseCode,
      this.modelStatusCode,
      this.totalDuration,
      this.requestDuration,
      this.responseDuration,
      this.requestSize,
      this.responseSize,
      this.kind,
      this.userAgent,
      this.idHigh,
      this.idLow,
      this.ingestDelay,
    ]) {
      column.copyWithin(0, cut, this.count);
    }
    this.count -= cut;
    this.dropped += cut;
    return cut;
  }

  /** First row index whose time is >= timeMs. */
  lowerBound(timeMs: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.time[mid] ?? 0) < timeMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The XRequestId of row i: GUID-shaped, from the row's 64 random bits and its index (so ids are
   * unique and reproducible without keeping 432,000 strings).
   */
  requestIdAt(i: number): string {
    const hex = (n: number, width: number): string => (n >>> 0).toString(16).padStart(width, '0').slice(-width);
    const high = this.idHigh[i] ?? 0;
    const low = this.idLow[i] ?? 0;
    const n = this.dropped + i;
    return `${hex(high, 8)}-${hex(low >>> 16, 4)}-4${hex(low, 3)}-a${hex(Math.floor(n / 16_777_216), 3)}-${hex(n, 6)}${hex(high ^ low, 6)}`;
  }

  /** First row index whose time is > timeMs. */
  upperBound(timeMs: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.time[mid] ?? 0) <= timeMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  timeAt(i: number): number {
    return this.time[i] ?? 0;
  }

  /** When row i becomes visible to log queries (TimeGenerated plus its ingestion delay). */
  visibleAtMs(i: number): number {
    return (this.time[i] ?? 0) + (this.ingestDelay[i] ?? 0);
  }

  /** The Log Analytics view of row i (the columns of TRAFFIC_LOG_COLUMNS). */
  row(i: number): Row {
    return this.rowColumns(i, COLUMN_NAMES);
  }

  /** Only the named columns of row i (queries that project or summarize read few columns). */
  rowColumns(i: number, names: readonly string[]): Row {
    const out: Row = {};
    for (const name of names) {
      const getter = this.getters[name];
      out[name] = getter ? getter(i) : null;
    }
    return out;
  }

  /** One reader per column: the single definition of what each column holds. */
  private readonly getters: Readonly<Record<string, (i: number) => string | number>> = {
    TenantId: () => this.context.tenantId,
    TimeGenerated: (i) => this.time[i] ?? 0,
    Location: () => this.context.location,
    AuthType: () => 'Key',
    // The table reference documents these columns but not their exact values (docs/azure-fidelity.md).
    AzureMLWorkspaceId: () => this.context.workspace?.id ?? '',
    AzureMLWorkspaceName: () => this.context.workspace?.name ?? '',
    IdentityData: () => '', // the caller's JWT OID; key-authenticated requests have none
    OperationName: () => 'Score',
    EndpointName: (i) => this.strings.values[this.endpoint[i] ?? 0] ?? '',
    DeploymentName: (i) => this.strings.values[this.deployment[i] ?? 0] ?? '',
    Protocol: () => 'HTTP/1.1',
    ResponseCode: (i) => this.responseCode[i] ?? 0,
    ResponseCodeReason: (i) => REASONS[this.responseCode[i] ?? 0] ?? '',
    ModelStatusCode: (i) => this.modelStatusCode[i] ?? 0,
    ModelStatusReason: (i) => (this.modelStatusCode[i] ? (REASONS[this.modelStatusCode[i] ?? 0] ?? '') : ''),
    RequestPayloadSize: (i) => this.requestSize[i] ?? 0,
    ResponsePayloadSize: (i) => this.responseSize[i] ?? 0,
    UserAgent: (i) => this.strings.values[this.userAgent[i] ?? 0] ?? '',
    XRequestId: (i) => this.requestIdAt(i),
    XMSClientRequestId: () => '',
    TotalDurationMs: (i) => this.totalDuration[i] ?? 0,
    RequestDurationMs: (i) => this.requestDuration[i] ?? 0,
    ResponseDurationMs: (i) => this.responseDuration[i] ?? 0,
    RequestThrottlingDelayMs: () => 0,
    ResponseThrottlingDelayMs: () => 0,
    Method: () => 'POST',
    Path: () => '/score',
    SourceSystem: () => 'Azure',
    Type: () => 'AmlOnlineEndpointTrafficLog',
    _ResourceId: (i) => this.context.resourceIdOf(this.strings.values[this.endpoint[i] ?? 0] ?? '').toLowerCase(),
    _SubscriptionId: () => this.context.workspace?.subscriptionId ?? '',
  };

  /** Internal fields the Log Analytics view does not have (for metrics and served counts). */
  detail(i: number): {
    modelKey: string;
    kind: RequestKind;
    endpoint: string;
    deployment: string;
    responseCode: number;
    totalDurationMs: number;
    modelStatusCode: number;
  } {
    return {
      modelKey: this.strings.values[this.modelKey[i] ?? 0] ?? '',
      kind: KINDS[this.kind[i] ?? 0] ?? 'live',
      endpoint: this.strings.values[this.endpoint[i] ?? 0] ?? '',
      deployment: this.strings.values[this.deployment[i] ?? 0] ?? '',
      responseCode: this.responseCode[i] ?? 0,
      totalDurationMs: this.totalDuration[i] ?? 0,
      modelStatusCode: this.modelStatusCode[i] ?? 0,
    };
  }
}
