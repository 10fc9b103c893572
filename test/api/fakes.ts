/** In-memory stand-ins for the Durable client and the policy store (handler-level tests). */
import { ledgerOperation, type LedgerState } from '../../src/api/approval-ledger';
import type { ApiDeps } from '../../src/api/deps';
import type {
  InstanceSummary,
  PolicyAccess,
  PolicyResolution,
  PolicyResolver,
  RolloutClient,
  RuntimeStatus,
  StructuredLogger,
} from '../../src/ingest/ports';
import { ORCHESTRATOR_NAME, type RolloutInput } from '../../src/orchestration/events';
import type { RolloutStatus } from '../../src/plan/types';
import type { GateResult } from '../../src/analysis/types';
import { ValidationError } from '../../src/errors';
import type { Clock } from '../../src/ports/clock';

export interface RaisedEvent {
  readonly instanceId: string;
  readonly name: string;
  readonly data: unknown;
}

export class FakeRolloutClient implements RolloutClient {
  readonly instances = new Map<string, InstanceSummary>();
  readonly raised: RaisedEvent[] = [];
  readonly started: { instanceId: string; input: RolloutInput }[] = [];
  readonly entities = new Map<string, unknown>();
  /** Simulated backend latency (ms) for each call, so concurrent callers interleave. */
  latencyMs = 0;
  /** Entity signals are applied after this many reads of the entity (tests the polling path). */
  entityLagReads = 0;
  private readonly pendingSignals: { key: string; op: string; input: unknown; readsLeft: number }[] = [];
  constructor(private readonly now: () => number = () => 1_700_000_000_000) {}

  private async pause(): Promise<void> {
    await new Promise((r) => setTimeout(r, this.latencyMs));
  }

  put(instanceId: string, runtimeStatus: RuntimeStatus, customStatus: unknown, input: unknown = {}): void {
    this.instances.set(instanceId, {
      instanceId,
      name: ORCHESTRATOR_NAME,
      runtimeStatus,
      createdTimeMs: this.now(),
      lastUpdatedTimeMs: this.now(),
      input,
      customStatus,
      output: null,
    });
  }

  async getStatus(instanceId: string) {
    await this.pause();
    return this.instances.get(instanceId);
  }
  async listInstances(name: string) {
    await this.pause();
    return [...this.instances.values()].filter((i) => i.name === name);
  }
  async startNew(name: string, instanceId: string, input: RolloutInput) {
    await this.pause();
    this.started.push({ instanceId, input });
    this.instances.set(instanceId, {
      instanceId,
      name,
      runtimeStatus: 'Pending',
      createdTimeMs: this.now(),
      lastUpdatedTimeMs: this.now(),
      input,
      customStatus: null,
      output: null,
    });
  }
  async raiseEvent(instanceId: string, name: string, data: unknown) {
    await this.pause();
    this.raised.push({ instanceId, name, data });
  }
  async signalEntity(entityName: string, key: string, operation: string, input: unknown) {
    await this.pause();
    this.pendingSignals.push({ key: `${entityName}@${key}`, op: operation, input, readsLeft: this.entityLagReads });
  }
  async readEntityState<T>(entityName: string, key: string): Promise<T | undefined> {
    await this.pause();
    const id = `${entityName}@${key}`;
    for (const signal of [...this.pendingSignals]) {
      if (signal.key !== id) continue;
      if (signal.readsLeft > 0) {
        signal.readsLeft -= 1;
        continue;
      }
      this.pendingSignals.splice(this.pendingSignals.indexOf(signal), 1);
      this.entities.set(id, ledgerOperation(this.entities.get(id) as LedgerState | undefined, signal.op, signal.input));
    }
    return this.entities.get(id) as T | undefined;
  }
}

export interface FakePolicy {
  readonly name: string;
  readonly modelGlob: string;
  readonly endpoint: string;
  readonly access?: PolicyAccess;
}

export class FakePolicyResolver implements PolicyResolver {
  constructor(readonly policies: readonly FakePolicy[]) {}
  async resolve(
    model: { name: string; version: string; tags: Readonly<Record<string, string>> },
    policyName?: string,
  ): Promise<PolicyResolution> {
    if (model.tags.rollout === 'skip') return { kind: 'skipped', reason: 'tag rollout=skip' };
    const wanted = policyName ?? model.tags['rollout-policy'];
    const access = (p: FakePolicy): PolicyAccess => p.access ?? { approvers: [], operators: [] };
    if (wanted) {
      const p = this.policies.find((x) => x.name === wanted);
      if (!p) throw new ValidationError('policy', `no policy named "${wanted}"`);
      return { kind: 'matched', policyName: p.name, endpoint: p.endpoint, access: access(p) };
    }
    const p = this.policies.find((x) => new RegExp(`^${x.modelGlob.replace(/\*/g, '.*')}$`).test(model.name));
    return p
      ? { kind: 'matched', policyName: p.name, endpoint: p.endpoint, access: access(p) }
      : { kind: 'noMatch', reason: `no policy matches ${model.name}` };
  }
  async getAccess(policyName: string) {
    const p = this.policies.find((x) => x.name === policyName);
    return p ? (p.access ?? { approvers: [], operators: [] }) : undefined;
  }
}

export interface LogLine {
  readonly level: string;
  readonly event: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export function captureLogger(): StructuredLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (event: string, fields: Readonly<Record<string, unknown>> = {}) =>
      void lines.push({ level, event, fields });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

function fixedClock(startMs = 1_700_000_000_000): Clock & { advance(ms: number): void } {
  let now = startMs;
  return { now: () => now, sleep: async (ms) => void (now += ms), advance: (ms) => void (now += ms) };
}

export const WORKSPACE = { subscriptionId: '11111111-2222-3333-4444-555555555555', resourceGroup: 'rg-ml', workspace: 'ws-prod' };

export function makeDeps(overrides: Partial<ApiDeps> = {}): ApiDeps & { client: FakeRolloutClient; log: ReturnType<typeof captureLogger> } {
  const clock = fixedClock();
  const client = new FakeRolloutClient(() => clock.now());
  return {
    client,
    policies: new FakePolicyResolver([
      {
        name: 'canary',
        modelGlob: 'credit-*',
        endpoint: 'credit-scoring',
        access: { approvers: ['alice@contoso.com', 'group:ml-approvers'], operators: ['ops@contoso.com'] },
      },
      { name: 'open', modelGlob: 'open-*', endpoint: 'open-endpoint' },
    ]),
    clock,
    log: captureLogger(),
    auth: { apiKey: 'test-key', trustClientPrincipal: true },
    workspace: WORKSPACE,
    links: { secret: 'a-very-secret-signing-key-0123456789', ttlMinutes: 60, publicBaseUrl: 'http://ctl.example' },
    ledgerTimeoutMs: 2_000,
    ...overrides,
  } as ApiDeps & { client: FakeRolloutClient; log: ReturnType<typeof captureLogger> };
}

/** A failed error-rate gate look, checked at `nowMs` (the notifications' evidence). */
export function failedErrorsGate(nowMs: number): GateResult {
  return {
    gate: 'errors',
    verdict: 'fail',
    look: 3,
    checkedAtMs: nowMs,
    window: { fromMs: nowMs - 600_000, toMs: nowMs - 300_000 },
    candidate: 'credit-model-v2',
    baseline: 'blue',
    reason: '5xx rate above 1.5x baseline',
    evidence: [
      {
        metric: 'errorRate5xx',
        verdict: 'fail',
        candidate: 0.08,
        baseline: 0.01,
        samples: { candidate: 900, baseline: 8100 },
        threshold: '<= 1.5x baseline',
        test: 'two-proportion z (one-sided)',
        pValue: 0.00001,
        reason: 'higher',
      },
    ],
  };
}

/** A RolloutStatus as the orchestrator would publish it. */
export function statusOf(overrides: Partial<RolloutStatus> = {}): RolloutStatus {
  return {
    rolloutId: 'r1',
    policy: 'canary',
    strategy: 'canary',
    endpoint: 'credit-scoring',
    model: 'credit-model',
    version: '2',
    baseline: 'blue',
    candidate: 'credit-model-v2',
    phase: 'Baking',
    step: { index: 3, count: 8, kind: 'bake', description: 'bake 10 minutes at 10%' },
    traffic: { blue: 90, 'credit-model-v2': 10 },
    mirror: {},
    gates: [],
    approvals: [],
    overrides: [],
    paused: false,
    startedAtMs: 1_700_000_000_000,
    updatedAtMs: 1_700_000_060_000,
    journal: [],
    ...overrides,
  };
}

export function principalHeader(claims: Record<string, string | string[]>): string {
  const list = Object.entries(claims).flatMap(([typ, v]) => (Array.isArray(v) ? v : [v]).map((val) => ({ typ, val })));
  return Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: list }), 'utf8').toString('base64');
}
