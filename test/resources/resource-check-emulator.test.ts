/**
 * The resource check end to end on the emulator: the model versions' resource profiles -> platform
 * metrics -> AzureMonitorPlatformMetrics (real MetricsClient) -> readDeploymentUsage -> checkResources.
 */
import { describe, expect, it } from 'vitest';
import { checkResources } from '../../src/analysis/resources';
import { readDeploymentUsage } from '../../src/activities/resource-usage';
import { startResourceWorld } from './support';

const live = { cpuBasePercent: 5, cpuPercentPerRequest: 0.1, memoryBasePercent: 30, memoryPercentPerRequest: 0.05 };

async function check(candidateProfile: typeof live) {
  const { clock, emulator, ports, endpointId } = await startResourceWorld({
    seed: 9,
    traffic: { blue: 90, green: 10 },
    // Load that varies over time, as real users do: the idle level can be fitted.
    requestsPerMinute: [
      { fromMinute: 0, requestsPerMinute: 200 },
      { fromMinute: 4, requestsPerMinute: 400 },
      { fromMinute: 8, requestsPerMinute: 600 },
    ],
    behavior: { 'credit-model:1': { resources: live }, 'credit-model:2': { resources: candidateProfile } },
  });
  try {
    clock.nowMs = emulator.originMs + 13 * 60_000;
    const window = { fromMs: emulator.originMs, toMs: emulator.originMs + 12 * 60_000 };
    const [candidate, baseline] = await Promise.all([
      readDeploymentUsage(ports.platformMetrics, endpointId, { name: 'green', instanceType: 'Standard_DS3_v2' }, window),
      readDeploymentUsage(ports.platformMetrics, endpointId, { name: 'blue', instanceType: 'Standard_DS3_v2' }, window),
    ]);
    return checkResources({
      candidate,
      baseline,
      fullTrafficRequestsPerMinute: 600,
      candidateInstancesAtFullTraffic: 2,
      limits: { cpu: { maxRatioToBaseline: 1.5, maxPercent: 80 }, memory: { maxPercent: 85 } },
    });
  } finally {
    await emulator.stop();
  }
}

describe('resource check on the emulator', () => {
  it('passes a candidate that uses what the live version uses per request, though it serves a tenth of the traffic', async () => {
    const result = await check(live);
    expect(result.verdict).toBe('pass');
    if (result.verdict === 'inconclusive') return;
    expect(result.findings.find((f) => f.resource === 'cpu')?.ratioToBaseline).toBeCloseTo(1, 1);
    // No idle minutes on either side: the idle level is fitted over the varying load.
    expect([result.candidate.use.cpu.idleSource, result.baseline.use.cpu.idleSource]).toEqual(['fit', 'fit']);
  }, 30_000);

  it('stops a candidate that needs twice the CPU per request, and sizes it for full traffic', async () => {
    const result = await check({ ...live, cpuPercentPerRequest: 0.2 });
    expect(result.verdict).toBe('fail');
    if (result.verdict === 'inconclusive') return;
    expect(result.findings.find((f) => f.resource === 'cpu')?.ratioToBaseline).toBeCloseTo(2, 1);
    // 0.2 x 600 / (80 - 5) = 1.6 -> 2 instances; the live version needs 1.
    expect(result.candidate.instancesAtFullTraffic).toBe(2);
    expect(result.baseline.instancesAtFullTraffic).toBe(1);
  }, 30_000);
});
