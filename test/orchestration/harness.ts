/**
 * Runs the engine fixture app (real orchestrator + activities over fake ports) on the local
 * runtime with a virtual clock, and drives it through the Durable management API only.
 * Needs the compiled app (npm run build / npm test builds first).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startRuntime, type LocalRuntime } from '../../src/harness/local-runtime/runtime';
import { VirtualClock } from '../../src/harness/local-runtime/clock';
import { ORCHESTRATOR_NAME, type RolloutInput } from '../../src/orchestration/events';
import type { RolloutStatus } from '../../src/plan/types';
import { addEndpoint, getWorld, type EndpointSim } from '../fixtures/engine-app/world';

const APP = resolve(__dirname, '../../dist/test/fixtures/engine-app/index.js');
const BASE = 'runtime/webhooks/durabletask';

export async function startEngine(): Promise<LocalRuntime> {
  if (!existsSync(APP)) throw new Error(`compiled fixture app missing at ${APP}: run npm run build first`);
  return startRuntime({ app: APP, port: 0, clock: new VirtualClock(), store: ':memory:', log: () => undefined });
}

export interface PolicyOptions {
  endpoint: string;
  strategy: string;
  approvalTimeoutMinutes?: number;
  onTimeout?: 'rollback' | 'promote' | 'remind';
  noData?: 'extend' | 'requestApproval' | 'rollback';
  concurrency?: 'supersede' | 'queue';
  smokeRequests?: number;
}

/** A small policy for each strategy: short bakes so a rollout takes minutes of virtual time. */
export function policyYaml(name: string, o: PolicyOptions): string {
  return `
name: ${name}
match: { model: "*" }
target: { endpoint: ${o.endpoint} }
strategy:
${o.strategy}
smokeTest: { requests: ${o.smokeRequests ?? 3}, maxFailures: 0, payload: { data: [[1, 2, 3]] } }
gates:
  health:
    checks:
      - { metric: errorRate5xx, max: 0.05, maxRatioToBaseline: 2, critical: true }
      - { metric: latencyP95, max: 2000 }
    confidence: 0.95
    minRequestsPerDeployment: 50
    windowMinutes: 5
    checkIntervalMinutes: 5
    noData: { outcome: ${o.noData ?? 'rollback'}, maxExtensionMinutes: 10 }
approvals:
  release:
    approvers: [alice@contoso.com]
    timeoutMinutes: ${o.approvalTimeoutMinutes ?? 60}
    onTimeout: ${o.onTimeout ?? 'rollback'}
operators: [ops@contoso.com]
notifications: { channels: [webhook], events: [rolloutStarted, gateFailed, approvalRequested, promoted, rolledBack, failed, stepCompleted, cleanupFailed, cleanupDone] }
retentionMinutes: 30
concurrency: ${o.concurrency ?? 'queue'}
ingestionDelayMinutes: 1
`;
}

let counter = 0;

export interface Scenario {
  id: string;
  endpoint: EndpointSim;
  input: RolloutInput;
}

/** A fresh endpoint with a live blue deployment serving model v1, and model v2 registered. */
export function scenario(policy: (endpoint: string) => string, opts: { requestsPerMinute?: number; version?: string } = {}): Scenario {
  counter += 1;
  const endpointName = `ep-${counter}-${Math.floor(Math.random() * 1e6)}`;
  const world = getWorld();
  const model = `m${counter}`;
  const version = opts.version ?? '2';
  world.models.set(`${model}:1`, { id: `/models/${model}/versions/1`, tags: {} });
  world.models.set(`${model}:${version}`, { id: `/models/${model}/versions/${version}`, tags: {} });
  const endpoint = addEndpoint(
    endpointName,
    { deployment: 'blue', modelId: `/models/${model}/versions/1` },
    opts.requestsPerMinute ?? 1000,
  );
  const policyName = `policy-${endpointName}`;
  world.policies.set(policyName, policy(endpointName).replace(/^name: .*$/m, `name: ${policyName}`));
  const id = `rollout-${endpointName}-${version}`;
  return {
    id,
    endpoint,
    input: {
      rolloutId: id,
      source: 'manual',
      requestedBy: 'test',
      workspace: { subscriptionId: 'sub', resourceGroup: 'rg', workspace: 'ws' },
      model: { name: model, version, tags: {}, properties: {} },
      policyName,
      receivedAtMs: 0,
    },
  };
}

export async function startRollout(rt: LocalRuntime, s: Scenario): Promise<void> {
  const res = await fetch(`${rt.url}/${BASE}/orchestrators/${ORCHESTRATOR_NAME}/${encodeURIComponent(s.id)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(s.input),
  });
  if (res.status !== 202) throw new Error(`startNew answered ${res.status}: ${await res.text()}`);
}

export async function raise(rt: LocalRuntime, id: string, name: string, data: unknown): Promise<void> {
  const res = await fetch(`${rt.url}/${BASE}/instances/${encodeURIComponent(id)}/raiseEvent/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(data),
  });
  if (res.status !== 202) throw new Error(`raiseEvent answered ${res.status}: ${await res.text()}`);
}

export async function getStatus(rt: LocalRuntime, id: string): Promise<{ runtimeStatus: string; customStatus: RolloutStatus }> {
  const res = await fetch(`${rt.url}/${BASE}/instances/${encodeURIComponent(id)}`);
  return (await res.json()) as { runtimeStatus: string; customStatus: RolloutStatus };
}

/** Runs to the end; returns the final status (the orchestration's output). */
export async function finish(rt: LocalRuntime, id: string): Promise<RolloutStatus> {
  const done = await rt.waitForInstance(id);
  if (done.status !== 'Completed') {
    const s = await getStatus(rt, id);
    throw new Error(
      `rollout ${id} ended ${done.status}: ${JSON.stringify(done.output)} / ${JSON.stringify(s.customStatus?.journal?.slice(-5))}`,
    );
  }
  return done.output as RolloutStatus;
}

const notificationHooks = new Map<string, (n: import('../../src/ports').Notification) => Promise<void> | void>();
const trafficHooks = new Map<string, (traffic: Record<string, number>, mirror: Record<string, number>) => Promise<void> | void>();

/** Per-rollout hooks (tests in one file run one after another on one runtime). */
export function onNotification(id: string, fn: (n: import('../../src/ports').Notification) => Promise<void> | void): void {
  notificationHooks.set(id, fn);
  getWorld().hooks.onNotification = async (n) => {
    await notificationHooks.get(n.rolloutId)?.(n);
  };
}

export function onTraffic(
  endpoint: string,
  fn: (traffic: Record<string, number>, mirror: Record<string, number>) => Promise<void> | void,
): void {
  trafficHooks.set(endpoint, fn);
  getWorld().hooks.onTraffic = async (name, traffic, mirror) => {
    await trafficHooks.get(name)?.({ ...traffic }, { ...mirror });
  };
}

/** The plan index of the approval a notification asks for: its text says "(step N)", 1-based. */
export function approvalStep(n: import('../../src/ports').Notification): number {
  const step = Number(/\(step (\d+)\)/.exec(n.facts.Approval ?? '')?.[1]);
  if (!Number.isInteger(step) || step < 1) throw new Error(`approval notification without a step: ${JSON.stringify(n.facts)}`);
  return step - 1;
}

/** Approves (or rejects) every approval request of this rollout as `by`. */
export function autoDecide(rt: LocalRuntime, s: Scenario, decision: 'approve' | 'reject', by = 'alice@contoso.com'): void {
  onNotification(s.id, async (n) => {
    if (n.kind !== 'approvalRequested') return;
    await raise(rt, s.id, 'approval', { decision, by, comment: `${decision} from test`, step: approvalStep(n), rolloutId: s.id, atMs: 0 });
  });
}

export function notificationsOf(id: string): string[] {
  return getWorld()
    .notifications.filter((n) => n.rolloutId === id)
    .map((n) => n.kind);
}

export function modelTags(s: Scenario): Record<string, string> {
  return getWorld().models.get(`${s.input.model.name}:${s.input.model.version}`)?.tags ?? {};
}
