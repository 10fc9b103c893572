/**
 * The port contract against the local emulator (src/harness/emulator), through the real SDK clients.
 * The same suite runs against real Azure in contract-azure.test.ts when AML_ROLLOUT_CONTRACT_AZURE=1.
 */
import { describe, expect, it } from 'vitest';
import { createAzurePorts, type AzureAdapterOptions } from '../../src/azure';
import { loadSettings } from '../../src/config';
import { createDemoWorld, createEmulator, type Emulator } from '../../src/harness/emulator';
import type { Fault } from '../../src/harness/emulator';
import { describePortContract, type ContractTarget } from './contract/suite';
import { TestClock } from './support/fake-azure';

if (process.env.AML_ROLLOUT_CONTRACT_AZURE !== '1') {
  console.log(
    'Azure contract tests not run: set AML_ROLLOUT_CONTRACT_AZURE=1 with the real Azure settings (see docs/azure-adapters.md, "Contract tests against Azure") to run them.',
  );
}

const TOKEN = 'contract-token';

interface EmulatorTarget extends ContractTarget {
  readonly emulator: Emulator;
  readonly testClock: TestClock;
}

async function emulatorTarget(
  options: { faults?: readonly Fault[]; transport?: 'https' | 'http'; adapter?: Partial<AzureAdapterOptions> } = {},
): Promise<EmulatorTarget> {
  const clock = new TestClock();
  const emulator = createEmulator({
    clock,
    seed: 11,
    world: createDemoWorld({
      versions: ['1', '2', '3', '4'],
      requestsPerMinute: 120,
      behavior: {
        'credit-model:1': { errorRate: 0.005, latencyMs: { p50: 40, p95: 90 } },
        'credit-model:3': { errorRate: 1 },
        'credit-model:4': { latencyMs: { p50: 8000, p95: 9000 } },
      },
    }),
    token: TOKEN,
    faults: options.faults,
  });
  await emulator.start();
  const base = options.transport === 'http' ? emulator.url : emulator.httpsUrl;
  // The prices client is plain fetch (a public API, no SDK, no custom CA): the plain-http listener.
  const settings = loadSettings({
    ARM_ENDPOINT: base,
    LOGS_ENDPOINT: base,
    METRICS_ENDPOINT: base,
    PRICES_ENDPOINT: emulator.url,
    EMULATOR_TOKEN: TOKEN,
  });
  const ports = createAzurePorts(settings, {
    clock,
    random: () => 0.5,
    trustedCaPem: options.transport === 'http' ? undefined : emulator.certificatePem,
    requestTimeoutMs: 10_000,
    ...options.adapter,
  });
  const { subscriptionId, resourceGroup, workspace } = emulator.coords;
  const workspaceId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`;
  return {
    emulator,
    testClock: clock,
    ports,
    clock,
    ref: { subscriptionId, resourceGroup, workspace, endpoint: 'credit-scoring' },
    endpointResourceId: `${workspaceId}/onlineEndpoints/credit-scoring`,
    region: emulator.coords.location,
    live: 'blue',
    candidate: 'green',
    candidateModelId: `${workspaceId}/models/credit-model/versions/2`,
    modelVersion: { subscriptionId, resourceGroup, workspace, model: 'credit-model', version: '2' },
    async trafficWindow() {
      // 20 virtual minutes of steady users, then a window well past the 3-minute ingestion delay.
      const origin = emulator.originMs;
      if (clock.nowMs < origin + 20 * 60_000) clock.nowMs = origin + 20 * 60_000;
      return { fromMs: origin, toMs: origin + 10 * 60_000 };
    },
    failingModelId: `${workspaceId}/models/credit-model/versions/3`,
    slowModelId: `${workspaceId}/models/credit-model/versions/4`,
    logsSettled(sinceMs) {
      // Every row is visible 9 virtual minutes after its request (3 x the 3-minute ingestion p95).
      clock.nowMs = Math.max(clock.nowMs, sinceMs + 10 * 60_000);
      return Promise.resolve({ fromMs: sinceMs, toMs: sinceMs + 5 * 60_000 });
    },
    close: () => emulator.stop(),
  };
}

describePortContract('emulator over https', () => emulatorTarget(), 30_000);

describe('Azure adapters against the emulator: faults and transports', () => {
  const run = (options: Parameters<typeof emulatorTarget>[0], fn: (t: EmulatorTarget) => Promise<void>) => async (): Promise<void> => {
    const target = await emulatorTarget(options);
    try {
      await fn(target);
    } finally {
      await target.close();
    }
  };

  it(
    'works over the plain-http loopback listener too (no certificate)',
    run({ transport: 'http' }, async (t) => {
      const endpoint = await t.ports.endpointControl.getEndpoint(t.ref);
      expect(endpoint.traffic).toEqual({ blue: 100 });
      const window = await t.trafficWindow();
      const result = await t.ports.metricsSource.query({
        kql: 'AmlOnlineEndpointTrafficLog | summarize requests = count() by DeploymentName',
        ...window,
      });
      expect(result.rows[0]).toMatchObject({ DeploymentName: 'blue' });
    }),
  );

  it(
    'explains an untrusted emulator certificate instead of retrying',
    run({ adapter: { trustedCaPem: undefined } }, async (t) => {
      const error = await t.ports.endpointControl.getEndpoint(t.ref).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'Internal', retryable: false });
      expect((error as Error).message).toContain('trustedCaPem');
    }),
  );

  it(
    'retries two 409s on the endpoint PUT and lands the traffic',
    run({ faults: [{ target: 'arm', operation: 'putEndpoint', status: 409, count: 2 }] }, async (t) => {
      await t.ports.endpointControl.createDeployment(t.ref, { cloneFrom: 'blue', name: 'green', modelId: t.candidateModelId });
      const state = await t.ports.endpointControl.setTraffic(t.ref, { blue: 90, green: 10 }, {});
      expect(state.traffic).toMatchObject({ blue: 90, green: 10 });
      expect(t.emulator.faultsFired()).toEqual([2]);
    }),
  );

  it(
    'waits out a throttled log query for its Retry-After, on the clock',
    run({ faults: [{ target: 'logs', operation: 'query', status: 429, count: 1, retryAfterSeconds: 4 }] }, async (t) => {
      const window = await t.trafficWindow();
      const result = await t.ports.metricsSource.query({
        kql: 'AmlOnlineEndpointTrafficLog | summarize requests = count() by DeploymentName',
        ...window,
      });
      expect(result.rows.length).toBeGreaterThan(0);
      expect(t.testClock.sleeps).toContain(4000);
    }),
  );

  it(
    'throws a retryable Transient error, never rows, when the log service keeps failing',
    run({ faults: [{ target: 'logs', operation: 'query', status: 503 }], adapter: { maxAttempts: 3 } }, async (t) => {
      const window = await t.trafficWindow();
      const error = await t.ports.metricsSource
        .query({ kql: 'AmlOnlineEndpointTrafficLog | count', ...window })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'Transient', retryable: true, statusCode: 503 });
      expect(t.emulator.faultsFired()).toEqual([3]);
    }),
  );

  it(
    'recovers from a dropped connection (timeout fault) on a read',
    run({ faults: [{ target: 'arm', operation: 'getDeployment', status: 'timeout', count: 1 }] }, async (t) => {
      const blue = await t.ports.endpointControl.getDeployment(t.ref, 'blue');
      expect(blue.provisioningState).toBe('Succeeded');
      expect(t.emulator.faultsFired()).toEqual([1]);
    }),
  );

  it(
    'reports a deployment whose provisioning fails as Failed',
    run({}, async (t) => {
      t.emulator.setBehavior('credit-model:2', { provisioningFails: true });
      const green = await t.ports.endpointControl.createDeployment(t.ref, {
        cloneFrom: 'blue',
        name: 'green',
        modelId: t.candidateModelId,
      });
      expect(green.provisioningState).toBe('Failed');
    }),
  );
});
