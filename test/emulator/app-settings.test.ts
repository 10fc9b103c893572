import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzurePorts } from '../../src/azure';
import { loadSettings } from '../../src/config';
import { createDemoWorld, createEmulator, emulatorAppSettings, type Emulator } from '../../src/harness/emulator';
import { ManualClock } from './helpers';

const TOKEN = 'app-settings-token';
let em: Emulator;
let clock: ManualClock;

beforeAll(async () => {
  clock = new ManualClock();
  em = createEmulator({ clock, seed: 1, world: createDemoWorld({ requestsPerMinute: 0 }), token: TOKEN });
  await em.start();
});
afterAll(async () => {
  await em.stop();
});

describe('emulatorAppSettings', () => {
  it('gives settings the app config accepts, naming the emulator, its token and its workspace', async () => {
    const settings = loadSettings(emulatorAppSettings(em, TOKEN));
    expect(settings).toMatchObject({
      ARM_ENDPOINT: em.url,
      LOGS_ENDPOINT: em.url,
      METRICS_ENDPOINT: em.url,
      EMULATOR_TOKEN: TOKEN,
      AZURE_SUBSCRIPTION_ID: em.coords.subscriptionId,
      AZURE_RESOURCE_GROUP: em.coords.resourceGroup,
      AML_WORKSPACE_NAME: em.coords.workspace,
      LOG_ANALYTICS_WORKSPACE_ID: em.logAnalyticsWorkspaceId,
    });
    // The Azure adapters built from them reach the demo endpoint (the token is accepted).
    const ports = createAzurePorts(settings, { clock, random: () => 0.5, requestTimeoutMs: 5000 });
    const endpoint = await ports.endpointControl.getEndpoint({
      subscriptionId: settings.AZURE_SUBSCRIPTION_ID,
      resourceGroup: settings.AZURE_RESOURCE_GROUP,
      workspace: settings.AML_WORKSPACE_NAME,
      endpoint: 'credit-scoring',
    });
    expect(endpoint.traffic).toEqual({ blue: 100 });
  });
});
