/** Test helpers: a manual virtual clock, a fixed-token credential, and SDK clients wired to an emulator. */
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { LogsQueryClient } from '@azure/monitor-query-logs';
import { MetricsClient } from '@azure/monitor-query-metrics';
import type { Clock } from '../../src/ports/clock';
import type { Emulator } from '../../src/harness/emulator';

const START_MS = Date.parse('2026-11-23T10:00:00Z');

/** A clock that moves only when the test says so; sleepers wake when their time is reached. */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: { untilMs: number; resolve: () => void }[] = [];
  constructor(startMs = START_MS) {
    this.current = startMs;
  }
  now(): number {
    return this.current;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepers.push({ untilMs: this.current + Math.max(0, ms), resolve });
      this.wake();
    });
  }
  advance(ms: number): void {
    this.current += ms;
    this.wake();
  }
  advanceMinutes(minutes: number): void {
    this.advance(minutes * 60_000);
  }
  private wake(): void {
    const due = this.sleepers.filter((s) => s.untilMs <= this.current);
    this.sleepers = this.sleepers.filter((s) => s.untilMs > this.current);
    for (const s of due) s.resolve();
  }
}

const fixedCredential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 'emulator-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/** SDK retry policies wait in wall time; tests turn retries off to see each answer. */
const noRetries = { retryOptions: { maxRetries: 0 } } as const;

export function armClient(emulator: Emulator, retries = false): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(fixedCredential, emulator.coords.subscriptionId, {
    endpoint: emulator.httpsUrl,
    tlsOptions: { ca: emulator.certificatePem },
    ...(retries ? {} : noRetries),
  });
}

export function logsClient(emulator: Emulator, retries = false): LogsQueryClient {
  return new LogsQueryClient(fixedCredential, {
    endpoint: emulator.logsEndpoint,
    tlsOptions: { ca: emulator.certificatePem },
    ...(retries ? {} : noRetries),
  });
}

export function metricsClient(emulator: Emulator): MetricsClient {
  return new MetricsClient(emulator.httpsUrl, fixedCredential, { tlsOptions: { ca: emulator.certificatePem }, ...noRetries });
}

/** Runs `work` while advancing the clock by `stepMs` every few wall milliseconds, until it settles. */
export async function whileAdvancing<T>(clock: ManualClock, stepMs: number, work: Promise<T>): Promise<T> {
  let done = false;
  const outcome = work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void outcome.then(() => (done = true));
  while (!done) {
    await new Promise((r) => setTimeout(r, 2));
    if (!done) clock.advance(stepMs);
  }
  const result = await outcome;
  if (!result.ok) throw result.error;
  return result.value;
}

export const RG = 'rg-aml-rollout';
export const WS = 'demo-workspace';

/** A raw ARM call over the emulator's plain-http listener (to test what the SDK never sends). */
export async function armFetch(
  emulator: Emulator,
  method: string,
  path: string,
  body?: unknown,
  apiVersion: string | null = '2022-10-01',
  token = 'emulator-token',
): Promise<{ status: number; headers: Headers; body: any }> {
  const url = new URL(`${emulator.url}${path}`);
  if (apiVersion !== null) url.searchParams.set('api-version', apiVersion);
  const response = await fetch(url, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

export function workspacePath(emulator: Emulator): string {
  const c = emulator.coords;
  return `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${c.workspace}`;
}

/** A deployment body as the adapter sends it: the live one cloned with another model. */
export function deploymentBody(emulator: Emulator, model: string, version: string): any {
  return {
    location: emulator.coords.location,
    sku: { name: 'Default', capacity: 1 },
    properties: { endpointComputeType: 'Managed', model: emulator.state.modelVersionId(model, version), instanceType: 'Standard_DS3_v2' },
  };
}

/**
 * Deploys green (credit-model:2) on the demo endpoint credit-scoring, lets it provision (10
 * virtual minutes), then sets the live traffic split.
 */
export async function deployGreenAndSplit(
  emulator: Emulator,
  clock: ManualClock,
  traffic: Readonly<Record<string, number>>,
): Promise<void> {
  const endpoint = `${workspacePath(emulator)}/onlineEndpoints/credit-scoring`;
  await armFetch(emulator, 'PUT', `${endpoint}/deployments/green`, deploymentBody(emulator, 'credit-model', '2'));
  clock.advanceMinutes(10);
  const current = await armFetch(emulator, 'GET', endpoint);
  await armFetch(emulator, 'PUT', endpoint, { ...current.body, properties: { ...current.body.properties, traffic } });
}
