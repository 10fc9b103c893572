/**
 * Initial worlds: what exists in the emulated workspace before anything happens.
 * `createDemoWorld()` matches the defaults of src/config (subscription, resource group,
 * workspace, Log Analytics workspace id), so `npm start` needs no settings.
 */
import type { ModelBehaviorInput } from './types';

export interface WorldDeployment {
  readonly name: string;
  readonly model: string;
  readonly version: string;
  readonly capacity?: number;
  readonly instanceType?: string;
}

export interface WorldEndpoint {
  readonly name: string;
  readonly deployments: readonly WorldDeployment[];
  readonly traffic: Readonly<Record<string, number>>;
  readonly mirrorTraffic?: Readonly<Record<string, number>>;
  /** Synthetic users of this endpoint: a constant rate or a schedule. */
  readonly requestsPerMinute?: number | readonly { readonly fromMinute: number; readonly requestsPerMinute: number }[];
}

export interface WorldModelVersion {
  readonly model: string;
  readonly version: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly properties?: Readonly<Record<string, string>>;
  readonly description?: string;
}

export interface WorldSpec {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly location: string;
  readonly tenantId: string;
  readonly logAnalyticsWorkspaceId: string;
  readonly models: readonly WorldModelVersion[];
  readonly endpoints: readonly WorldEndpoint[];
  /** Behaviour per "model:version" (the scenario format's `behavior`). */
  readonly behavior?: Readonly<Record<string, ModelBehaviorInput>>;
}

export const DEMO_COORDS = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'rg-aml-rollout',
  workspace: 'demo-workspace',
  location: 'westeurope',
  tenantId: '72f988bf-0000-0000-0000-000000000000',
  logAnalyticsWorkspaceId: '00000000-0000-0000-0000-00000000beef',
} as const;

export function emptyWorld(): WorldSpec {
  return { ...DEMO_COORDS, models: [], endpoints: [] };
}

export interface DemoWorldOptions {
  readonly requestsPerMinute?: number;
  /** Model versions registered up front (default ['1']). */
  readonly versions?: readonly string[];
  readonly behavior?: Readonly<Record<string, ModelBehaviorInput>>;
}

/** Endpoint credit-scoring, deployment blue on credit-model:1 with all traffic, steady users. */
export function createDemoWorld(options: DemoWorldOptions = {}): WorldSpec {
  const versions = options.versions ?? ['1'];
  return {
    ...DEMO_COORDS,
    models: versions.map((version) => ({
      model: 'credit-model',
      version,
      tags: { stage: 'production' },
      description: `credit-model version ${version}`,
    })),
    endpoints: [
      {
        name: 'credit-scoring',
        deployments: [{ name: 'blue', model: 'credit-model', version: versions[0] ?? '1', capacity: 2 }],
        traffic: { blue: 100 },
        requestsPerMinute: options.requestsPerMinute ?? 120,
      },
    ],
    behavior: options.behavior ?? { 'credit-model:1': { errorRate: 0.005, latencyMs: { p50: 40, p95: 90 } } },
  };
}
