import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { createPolicyFolderRepository, POLICY_CACHE_MAX_AGE_MS } from '../../src/policy-store/repository';
import type { PolicySource } from '../../src/activities/plan-rollout';
import { ACTIVITY } from '../../src/orchestration/activity-names';
import { systemClock } from '../../src/ports';
import type { Plan } from '../../src/plan/types';
import {
  addEndpoint,
  createFakeEndpointControl,
  createFakeMetricsSource,
  createFakeModelRegistry,
  createRecordingNotifier,
  getWorld,
} from '../fixtures/engine-app/world';

const policies = createPolicyFolderRepository(join(__dirname, '../../policies'));

function activities(policyStore: PolicySource = policies) {
  return createActivities({
    endpointControl: createFakeEndpointControl(),
    metricsSource: createFakeMetricsSource(),
    modelRegistry: createFakeModelRegistry(),
    notifier: createRecordingNotifier(),
    policyStore,
    clock: systemClock,
  });
}

const input = (policyName: string) => ({
  rolloutId: `plan-${policyName}`,
  source: 'manual',
  workspace: { subscriptionId: 's', resourceGroup: 'g', workspace: 'ml-prod-1' },
  model: { name: 'credit-model', version: '8', tags: {}, properties: {} },
  policyName,
  receivedAtMs: 0,
});

describe('planRollout over the example policies', () => {
  it('finds the live deployment and the model id, and compiles the policy', async () => {
    getWorld().models.set('credit-model:8', { id: '/models/credit-model/versions/8', tags: {} });
    const sim = addEndpoint('credit-scoring', { deployment: 'blue', modelId: '/models/credit-model/versions/7' });
    const plan = (await activities()[ACTIVITY.planRollout](input('credit-canary'))) as Plan;
    expect(plan).toMatchObject({
      rolloutId: 'plan-credit-canary',
      strategy: 'canary',
      target: { endpoint: 'credit-scoring', workspace: 'ml-prod-1' },
      baseline: { deployment: 'blue', modelId: '/models/credit-model/versions/7' },
      model: { id: '/models/credit-model/versions/8' },
    });
    expect(plan.steps[0]).toMatchObject({ kind: 'deploy', cloneFrom: 'blue', modelId: '/models/credit-model/versions/8' });
    expect(sim.calls).toEqual(['getEndpoint', 'listDeployments']);
    const resolved = await activities()[ACTIVITY.resolveTarget](input('credit-canary'));
    expect(resolved).toEqual({
      target: { subscriptionId: 's', resourceGroup: 'g', workspace: 'ml-prod-1', endpoint: 'credit-scoring' },
      concurrency: 'supersede',
    });
  });

  it('names the missing policy and the ones it knows', async () => {
    await expect(activities()[ACTIVITY.planRollout](input('nope'))).rejects.toThrow(
      /no policy named 'nope' in .*policies \(known: .*credit-canary/,
    );
  });

  it('reports a broken policy folder with the file and the path inside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policies-'));
    writeFileSync(join(dir, 'bad.yaml'), 'name: bad\ntarget: { endpoint: x }\n');
    await expect(createPolicyFolderRepository(dir).getPolicy('bad')).rejects.toThrow(/bad\.yaml/);
  });

  it('a policy edit reaches the next plan by the repository rule: not within the max age, at once after it', async () => {
    getWorld().models.set('credit-model:8', { id: '/models/credit-model/versions/8', tags: {} });
    addEndpoint('credit-scoring', { deployment: 'blue', modelId: '/models/credit-model/versions/7' });
    const dir = mkdtempSync(join(tmpdir(), 'policies-'));
    const original = readFileSync(join(__dirname, '../../policies/canary.yaml'), 'utf8');
    writeFileSync(join(dir, 'canary.yaml'), original);
    let now = 0;
    const planned = activities(createPolicyFolderRepository(dir, { now: () => now }))[ACTIVITY.planRollout];
    const firstTraffic = async () => ((await planned(input('credit-canary'))) as Plan).steps.find((step) => step.kind === 'setTraffic');
    expect(await firstTraffic()).toMatchObject({ traffic: { blue: 90 } });
    writeFileSync(join(dir, 'canary.yaml'), original.replace('{ percent: 10, bakeMinutes: 15 }', '{ percent: 5, bakeMinutes: 15 }'));
    now = POLICY_CACHE_MAX_AGE_MS;
    expect(await firstTraffic()).toMatchObject({ traffic: { blue: 90 } });
    now = POLICY_CACHE_MAX_AGE_MS + 1;
    expect(await firstTraffic()).toMatchObject({ traffic: { blue: 95 } });
  });
});

describe("planRollout: the rollout's own extra cost", () => {
  const costPolicy = (
    cost: Record<string, unknown> | undefined,
    strategy: Record<string, unknown> = { blueGreen: { mirror: { percent: 20, minutes: 30 }, rollbackWindowMinutes: 30 } },
  ) => {
    const dir = mkdtempSync(join(tmpdir(), 'cost-policy-'));
    const policy = {
      name: 'priced',
      match: { model: 'credit-model*' },
      target: { endpoint: 'credit-scoring' },
      strategy,
      smokeTest: { payload: {} },
      gates: { health: { checks: [{ metric: 'failedRequestRate', max: 0.05 }], checkIntervalMinutes: 10 } },
      retentionMinutes: 60,
      ...(cost === undefined ? {} : { cost }),
    };
    writeFileSync(join(dir, 'priced.json'), JSON.stringify(policy));
    return createPolicyFolderRepository(dir);
  };
  const asked: string[] = [];
  const run = (
    policyStore: ReturnType<typeof costPolicy>,
    prices?: {
      hourlyPrice: (
        t: string,
      ) => Promise<{ instanceType: string; region: string; pricePerHour: number; currency: string; source: 'policy' }>;
    },
  ) =>
    createActivities({
      endpointControl: createFakeEndpointControl(),
      metricsSource: createFakeMetricsSource(),
      modelRegistry: createFakeModelRegistry(),
      notifier: createRecordingNotifier(),
      policyStore,
      clock: systemClock,
      ...(prices === undefined ? {} : { prices }),
    })[ACTIVITY.planRollout](input('priced')) as Promise<Plan>;
  const fixedPrice = {
    hourlyPrice: (instanceType: string) => {
      asked.push(instanceType);
      return Promise.resolve({ instanceType, region: 'westeurope', pricePerHour: 0.6, currency: 'USD', source: 'policy' as const });
    },
  };

  it('prices the candidate (a clone of the live deployment) for the planned minutes beside it', async () => {
    getWorld().models.set('credit-model:8', { id: '/models/credit-model/versions/8', tags: {} });
    addEndpoint('credit-scoring', { deployment: 'blue', modelId: '/models/credit-model/versions/7' });
    asked.length = 0;
    const plan = await run(costPolicy({ maxCostIncreasePercent: 20 }), fixedPrice);
    // Mirror bake 30 + rollback-window watch 30 (the cleanup follows the watch at once) = 60 min: 1 h x 0.6 x instances.
    expect(asked).toHaveLength(1);
    expect(plan.rolloutCost?.summary).toMatch(/^extra cost of the rollout: 2 x Standard_DS3_v2 for about 1\.0 h: 1\.20 USD/);
    expect(plan.rolloutCost?.amount).toBeCloseTo(1.2, 9);
    expect(plan.rolloutCost?.currency).toBe('USD');
  });

  it('says why when there is no price, and leaves policies without a cost section unpriced', async () => {
    getWorld().models.set('credit-model:8', { id: '/models/credit-model/versions/8', tags: {} });
    addEndpoint('credit-scoring', { deployment: 'blue', modelId: '/models/credit-model/versions/7' });
    const failing = { hourlyPrice: () => Promise.reject(new Error('no price for it')) };
    expect((await run(costPolicy({ maxCostIncreasePercent: 20 }), failing)).rolloutCost).toEqual({
      summary: 'extra cost not priced: no price for it',
    });
    expect((await run(costPolicy(undefined), fixedPrice)).rolloutCost).toBeUndefined();
    const recreate = await run(costPolicy({ maxCostIncreasePercent: 20 }, { recreate: { healthCheck: { minutes: 10 } } }), fixedPrice);
    expect(recreate.rolloutCost?.summary).toMatch(/no extra cost/);
  });
});
