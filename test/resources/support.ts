/** An emulator with blue (credit-model:1, 2 instances) and green (credit-model:2, 1 instance), and Azure ports on it. */
import { createAzurePorts, type AzurePorts } from '../../src/azure';
import { loadSettings } from '../../src/config';
import { createEmulator, DEMO_COORDS, type Emulator, type WorldEndpoint } from '../../src/harness/emulator';
import type { ModelBehaviorInput } from '../../src/harness/emulator';
import { TestClock } from '../azure/support/fake-azure';

const TOKEN = 'resources-token';

/** Load that varies over time, as real users do: the idle level can be fitted. */
export const VARYING_LOAD = [
  { fromMinute: 0, requestsPerMinute: 200 },
  { fromMinute: 4, requestsPerMinute: 400 },
  { fromMinute: 8, requestsPerMinute: 600 },
] as const;

export interface ResourceWorld {
  readonly clock: TestClock;
  readonly emulator: Emulator;
  readonly ports: AzurePorts;
  readonly endpointId: string;
}

export async function startResourceWorld(options: {
  readonly seed: number;
  readonly metricsDelaySeconds?: number;
  readonly traffic: Readonly<Record<string, number>>;
  readonly mirrorTraffic?: Readonly<Record<string, number>>;
  /** Instance type of both deployments (default Standard_DS3_v2). */
  readonly instanceType?: string;
  readonly requestsPerMinute: WorldEndpoint['requestsPerMinute'];
  readonly behavior: Readonly<Record<string, ModelBehaviorInput>>;
}): Promise<ResourceWorld> {
  const clock = new TestClock();
  const emulator = createEmulator({
    clock,
    seed: options.seed,
    token: TOKEN,
    metricsDelaySeconds: options.metricsDelaySeconds,
    world: {
      ...DEMO_COORDS,
      models: [
        { model: 'credit-model', version: '1' },
        { model: 'credit-model', version: '2' },
      ],
      endpoints: [
        {
          name: 'credit-scoring',
          deployments: [
            {
              name: 'blue',
              model: 'credit-model',
              version: '1',
              capacity: 2,
              ...(options.instanceType === undefined ? {} : { instanceType: options.instanceType }),
            },
            {
              name: 'green',
              model: 'credit-model',
              version: '2',
              capacity: 1,
              ...(options.instanceType === undefined ? {} : { instanceType: options.instanceType }),
            },
          ],
          traffic: options.traffic,
          ...(options.mirrorTraffic === undefined ? {} : { mirrorTraffic: options.mirrorTraffic }),
          requestsPerMinute: options.requestsPerMinute,
        },
      ],
      behavior: options.behavior,
    },
  });
  await emulator.start();
  const settings = loadSettings({
    ARM_ENDPOINT: emulator.httpsUrl,
    LOGS_ENDPOINT: emulator.httpsUrl,
    METRICS_ENDPOINT: emulator.httpsUrl,
    // The price list is public (no token, no custom CA): plain http on loopback, as npm start points at it.
    PRICES_ENDPOINT: emulator.url,
    EMULATOR_TOKEN: TOKEN,
  });
  const ports = createAzurePorts(settings, { clock, random: () => 0.5, trustedCaPem: emulator.certificatePem, requestTimeoutMs: 10_000 });
  const { subscriptionId, resourceGroup, workspace } = emulator.coords;
  const endpointId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}/onlineEndpoints/credit-scoring`;
  return { clock, emulator, ports, endpointId };
}
