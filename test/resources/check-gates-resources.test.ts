/**
 * The checkGates activity with resource and cost checks, against the emulator through the real
 * adapters: Log Analytics (the gate's metric checks), Azure Monitor platform metrics (resources)
 * and the emulator's Azure Retail Prices list (cost), in the mirror phase's shape (the baseline
 * serves all live traffic, the candidate a mirrored share).
 */
import { describe, expect, it } from 'vitest';
import { checkGates } from '../../src/activities/check-gates';
import { createActivityContext } from '../../src/activities/context';
import type { GateSpec } from '../../src/analysis/types';
import { createRecordingNotifier } from '../fixtures/engine-app/world';
import { startResourceWorld, VARYING_LOAD } from './support';

const live = { cpuBasePercent: 2, cpuPercentPerRequest: 0.1, memoryBasePercent: 30, memoryPercentPerRequest: 0.02 };

const spec = (over: Partial<GateSpec>): GateSpec => ({
  name: 'health',
  checks: [{ metric: 'failedRequestRate', max: 0.5 }],
  customMetrics: [],
  confidence: 0.95,
  minRequestsPerDeployment: 10,
  windowMinutes: 10,
  ingestionDelayMinutes: 0,
  plannedLooks: 3,
  resources: { cpu: { maxRatioToBaseline: 1.5 }, memory: { maxPercent: 85 }, minReportedMinutes: 3 },
  cost: { maxCostIncreasePercent: 20, onExceeded: 'requestApproval', currency: 'USD' },
  ...over,
});

async function look(candidateCpuPerRequest: number, gate: GateSpec, atMinute = 14) {
  const { clock, emulator, ports } = await startResourceWorld({
    seed: 3,
    // green (1 instance) receives a 20% mirror of blue's (2 instances) live traffic.
    traffic: { blue: 100 },
    mirrorTraffic: { green: 20 },
    requestsPerMinute: VARYING_LOAD,
    behavior: {
      'credit-model:1': { resources: live },
      'credit-model:2': { resources: { ...live, cpuPercentPerRequest: candidateCpuPerRequest } },
    },
  });
  try {
    clock.nowMs = emulator.originMs + atMinute * 60_000;
    const ctx = createActivityContext({
      ...ports,
      notifier: createRecordingNotifier(),
      clock,
      retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const { subscriptionId, resourceGroup, workspace } = emulator.coords;
    const out = await checkGates(ctx, {
      target: { subscriptionId, resourceGroup, workspace, endpoint: 'credit-scoring' },
      gates: [gate],
      baseline: 'blue',
      candidate: 'green',
      nowMs: clock.nowMs,
      looks: { health: 1 },
    });
    const [outcome] = out.outcomes;
    if (!outcome) throw new Error('no outcome');
    return outcome;
  } finally {
    await emulator.stop();
  }
}

describe('checkGates with resources and cost (emulator)', () => {
  it('passes a candidate that uses what the live version uses per request, with the sizing and the price in the evidence', async () => {
    const outcome = await look(0.1, spec({}));
    expect(outcome.outcome).toBe('pass');
    expect(outcome.costApproval).toBeUndefined();
    const rows = outcome.result?.evidence ?? [];
    expect(rows.find((e) => e.metric === 'cpuUtilization')?.verdict).toBe('pass');
    const cost = rows.find((e) => e.metric === 'costPer1000Requests');
    expect(cost?.verdict).toBe('pass');
    // The emulator's westeurope Linux pay-as-you-go price of Standard_DS3_v2 (not the Spot or Windows meter).
    expect(cost?.reason).toMatch(/0\.342 USD\/h \(azureRetailPrices\)/);
    expect(outcome.result?.reason).toMatch(/at 100% \(\d+ requests\/min\) the candidate needs about \d+ instance\(s\) of Standard_DS3_v2/);
  }, 30_000);

  it('fails a candidate that needs twice the CPU per request while it serves only mirrored requests', async () => {
    const outcome = await look(0.2, spec({}));
    expect(outcome.outcome).toBe('fail');
    expect(outcome.result?.reason).toMatch(/cpu per request is 2\.0\dx the baseline's/);
  }, 30_000);

  it('asks for approval (verdict untouched) when only the cost limit is exceeded; with rollback the gate fails', async () => {
    // No resource limits: the CPU ratio decides nothing; the instances needed at 100% set the cost.
    const asking = await look(0.2, spec({ resources: undefined }));
    expect(asking.outcome).toBe('pass');
    expect(asking.costApproval).toMatch(/serving cost rises \d+\.\d% \(limit 20%\)/);
    const strict = await look(
      0.2,
      spec({ resources: undefined, cost: { maxCostIncreasePercent: 20, onExceeded: 'rollback', currency: 'USD' } }),
    );
    expect(strict.outcome).toBe('fail');
  }, 60_000);

  it('is inconclusive while the platform has not reported enough minutes', async () => {
    const outcome = await look(0.1, spec({}), 2);
    expect(outcome.outcome).toBe('inconclusive');
    expect(outcome.result?.evidence.find((e) => e.metric === 'resources')?.reason).toMatch(/reported by the platform, fewer than 3/);
  }, 30_000);

  it('prices from the policy table when the policy has one', async () => {
    const outcome = await look(
      0.1,
      spec({ cost: { maxCostIncreasePercent: 20, onExceeded: 'rollback', currency: 'EUR', prices: { Standard_DS3_v2: 0.5 } } }),
    );
    expect(outcome.result?.evidence.find((e) => e.metric === 'costPer1000Requests')?.reason).toMatch(/0\.5 EUR\/h \(policy\)/);
  }, 30_000);
});
