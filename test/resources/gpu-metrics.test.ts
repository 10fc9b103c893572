/**
 * GPU platform metrics (GpuUtilizationPercentage, GpuMemoryUtilizationPercentage) from the emulator
 * through AzureMonitorPlatformMetrics and readDeploymentUsage into the resource check: values on a
 * GPU instance type (N-series), none on a CPU one, and a GPU limit that judges only where there are GPUs.
 */
import { describe, expect, it } from 'vitest';
import { readDeploymentUsage } from '../../src/activities/resource-usage';
import { checkResources } from '../../src/analysis/resources';
import { startResourceWorld, VARYING_LOAD } from './support';

const live = { gpuBasePercent: 10, gpuPercentPerRequest: 0.1, gpuMemoryBasePercent: 40, gpuMemoryPercentPerRequest: 0.02 };

async function usage(instanceType: string, candidateGpuPerRequest: number) {
  const { clock, emulator, ports, endpointId } = await startResourceWorld({
    seed: 11,
    instanceType,
    traffic: { blue: 90, green: 10 },
    requestsPerMinute: VARYING_LOAD,
    behavior: {
      'credit-model:1': { resources: live },
      'credit-model:2': { resources: { ...live, gpuPercentPerRequest: candidateGpuPerRequest } },
    },
  });
  try {
    clock.nowMs = emulator.originMs + 13 * 60_000;
    const window = { fromMs: emulator.originMs, toMs: emulator.originMs + 12 * 60_000 };
    const [candidate, baseline] = await Promise.all([
      readDeploymentUsage(ports.platformMetrics, endpointId, { name: 'green', instanceType }, window),
      readDeploymentUsage(ports.platformMetrics, endpointId, { name: 'blue', instanceType }, window),
    ]);
    return { candidate, baseline };
  } finally {
    await emulator.stop();
  }
}

const limits = { cpu: { maxPercent: 95 }, gpu: { maxRatioToBaseline: 1.5 }, gpuMemory: { maxPercent: 90 } };

describe('GPU metrics (emulator + adapter + resource check)', () => {
  it('a GPU instance type reports GPU and GPU memory utilization = base + per-request share; twice the GPU per request fails', async () => {
    const { candidate, baseline } = await usage('Standard_NC6s_v3', 0.2);
    const loaded = candidate.minutes.filter((m) => m.requests > 0 && m.cpuPercent !== null);
    expect(loaded.length).toBeGreaterThan(5);
    for (const m of loaded) {
      expect(m.gpuPercent).toBeCloseTo(10 + (0.2 * m.requests) / 1, 6);
      expect(m.gpuMemoryPercent).toBeCloseTo(40 + (0.02 * m.requests) / 1, 6);
    }
    const result = checkResources({ candidate, baseline, fullTrafficRequestsPerMinute: 600, candidateInstancesAtFullTraffic: 2, limits });
    expect(result.verdict).toBe('fail');
    if (result.verdict === 'inconclusive') return;
    expect(result.findings.find((f) => f.resource === 'gpu')?.ratioToBaseline).toBeCloseTo(2, 1);
    expect(result.reasons.join(' ')).toMatch(/gpu per request is 2\.0\dx the baseline's/);
    expect(result.candidate.use.gpuMemory?.perRequest).toBeCloseTo(0.02, 3);
  }, 30_000);

  it('a CPU instance type reports the GPU metrics without values: GPU limits judge nothing, CPU still does', async () => {
    const { candidate, baseline } = await usage('Standard_DS3_v2', 0.2);
    expect(candidate.minutes.every((m) => m.gpuPercent === null && m.gpuMemoryPercent === null)).toBe(true);
    const result = checkResources({ candidate, baseline, fullTrafficRequestsPerMinute: 600, candidateInstancesAtFullTraffic: 2, limits });
    expect(result.verdict).toBe('pass');
    if (result.verdict === 'inconclusive') return;
    expect(result.findings.map((f) => f.resource)).toEqual(['cpu']);
    expect(result.candidate.use.gpu).toBeUndefined();
  }, 30_000);
});
