/**
 * The port contract against real Azure. vitest.config.mts excludes this file unless
 * AML_ROLLOUT_CONTRACT_AZURE=1; without it contract-emulator.test.ts prints that it was not run.
 *
 * Needs (see docs/azure-adapters.md): the app's settings AZURE_SUBSCRIPTION_ID,
 * AZURE_RESOURCE_GROUP, AML_WORKSPACE_NAME, LOG_ANALYTICS_WORKSPACE_ID; a credential
 * DefaultAzureCredential can use (az login); and
 *   AML_ROLLOUT_CONTRACT_ENDPOINT          an online endpoint with steady traffic and diagnostics to Log Analytics
 *   AML_ROLLOUT_CONTRACT_LIVE_DEPLOYMENT   its deployment holding 100% (default blue)
 *   AML_ROLLOUT_CONTRACT_MODEL             name:version of a registered model to deploy and tag (e.g. credit-model:2)
 *   AML_ROLLOUT_CONTRACT_CANDIDATE         name for the temporary deployment (default contract-green)
 *   AML_ROLLOUT_CONTRACT_REGION            the endpoint's Azure region (e.g. westeurope), which prices are quoted for
 */
import { systemClock } from '../../src/ports';
import { createAzurePorts } from '../../src/azure';
import { loadSettings } from '../../src/config';
import { describePortContract, type ContractTarget } from './contract/suite';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`${name} must be set for the Azure contract tests (AML_ROLLOUT_CONTRACT_AZURE=1); see docs/azure-adapters.md`);
  }
  return value.trim();
}

async function azureTarget(): Promise<ContractTarget> {
  if (process.env.AML_ROLLOUT_CONTRACT_AZURE !== '1')
    throw new Error('AML_ROLLOUT_CONTRACT_AZURE=1 is required to run the Azure contract tests');
  const settings = loadSettings(process.env);
  for (const name of ['ARM_ENDPOINT', 'LOGS_ENDPOINT', 'METRICS_ENDPOINT', 'PRICES_ENDPOINT', 'EMULATOR_TOKEN'] as const) {
    if (settings[name] !== undefined) throw new Error(`${name} is set: the Azure contract run must talk to Azure, not the emulator`);
  }
  const endpoint = required('AML_ROLLOUT_CONTRACT_ENDPOINT');
  const [model, version] = required('AML_ROLLOUT_CONTRACT_MODEL').split(':');
  if (!model || !version) throw new Error('AML_ROLLOUT_CONTRACT_MODEL must look like name:version');
  const ref = {
    subscriptionId: settings.AZURE_SUBSCRIPTION_ID,
    resourceGroup: settings.AZURE_RESOURCE_GROUP,
    workspace: settings.AML_WORKSPACE_NAME,
    endpoint,
  };
  const workspaceId = `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ref.workspace}`;
  return {
    ports: createAzurePorts(settings, { clock: systemClock }),
    clock: systemClock,
    ref,
    endpointResourceId: `${workspaceId}/onlineEndpoints/${endpoint}`,
    region: required('AML_ROLLOUT_CONTRACT_REGION'),
    live: process.env.AML_ROLLOUT_CONTRACT_LIVE_DEPLOYMENT ?? 'blue',
    candidate: process.env.AML_ROLLOUT_CONTRACT_CANDIDATE ?? 'contract-green',
    candidateModelId: `${workspaceId}/models/${model}/versions/${version}`,
    modelVersion: { subscriptionId: ref.subscriptionId, resourceGroup: ref.resourceGroup, workspace: ref.workspace, model, version },
    // Resource logs arrive 3-10 minutes late: look at the hour before that.
    trafficWindow: () => {
      const toMs = Math.floor((Date.now() - 15 * 60_000) / 60_000) * 60_000;
      return Promise.resolve({ fromMs: toMs - 60 * 60_000, toMs });
    },
    // Model versions whose scoring script fails every request / sleeps past the 5 s default timeout.
    failingModelId: `${workspaceId}/models/${required('AML_ROLLOUT_CONTRACT_FAILING_MODEL').replace(':', '/versions/')}`,
    slowModelId: `${workspaceId}/models/${required('AML_ROLLOUT_CONTRACT_SLOW_MODEL').replace(':', '/versions/')}`,
    // Resource logs typically arrive within minutes, with a tail: wait 15 minutes.
    logsSettled: async (sinceMs) => {
      await new Promise((resolve) => setTimeout(resolve, 15 * 60_000));
      return { fromMs: Math.floor(sinceMs / 60_000) * 60_000, toMs: Date.now() };
    },
    close: () => Promise.resolve(),
  };
}

// A managed deployment takes 10-20 minutes to create in Azure.
describePortContract('Azure', azureTarget, 60 * 60_000);
