/**
 * Contract of the deployment platform metrics (CpuUtilizationPercentage,
 * CpuMemoryUtilizationPercentage, DeploymentCapacity) between the emulator and the
 * AzureMonitorPlatformMetrics adapter, through the real MetricsClient.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzurePorts } from '../../src/azure';
import type { Emulator } from '../../src/harness/emulator';
import type { TestClock } from '../azure/support/fake-azure';
import { startResourceWorld } from './support';

const DELAY_SECONDS = 45;
const profiles = {
  'credit-model:1': { resources: { cpuBasePercent: 5, cpuPercentPerRequest: 0.1, memoryBasePercent: 30, memoryPercentPerRequest: 0.05 } },
  'credit-model:2': { resources: { cpuBasePercent: 5, cpuPercentPerRequest: 0.2, memoryBasePercent: 40, memoryPercentPerRequest: 0.05 } },
};

let clock: TestClock;
let emulator: Emulator;
let ports: AzurePorts;
let endpointId: string;

beforeAll(async () => {
  ({ clock, emulator, ports, endpointId } = await startResourceWorld({
    seed: 5,
    metricsDelaySeconds: DELAY_SECONDS,
    traffic: { blue: 80, green: 20 },
    requestsPerMinute: 300,
    behavior: profiles,
  }));
  // 12 minutes and 30 seconds in: minute 11 ended 30 s ago, less than the 45 s delay.
  clock.nowMs = emulator.originMs + 12.5 * 60_000;
});

afterAll(async () => {
  await emulator.stop();
});

const window = () => ({
  fromMs: emulator.originMs,
  toMs: emulator.originMs + 12 * 60_000,
  granularity: 'PT1M',
  aggregation: 'Average' as const,
});

describe('deployment platform metrics (emulator + AzureMonitorPlatformMetrics)', () => {
  it('reports each minute utilization = base + per-request share x requests per instance, from the requests the deployment served', async () => {
    const requests = await ports.platformMetrics.queryEndpointMetrics(endpointId, {
      ...window(),
      metricNames: ['RequestsPerMinute'],
      aggregation: 'Total',
      byDeployment: true,
    });
    for (const [deployment, capacity, model] of [
      ['blue', 2, 'credit-model:1'],
      ['green', 1, 'credit-model:2'],
    ] as const) {
      const points = await ports.platformMetrics.queryDeploymentMetrics(`${endpointId}/deployments/${deployment}`, {
        ...window(),
        metricNames: ['CpuUtilizationPercentage', 'CpuMemoryUtilizationPercentage', 'DeploymentCapacity'],
      });
      const profile = profiles[model].resources;
      const reported = points.filter((p) => p.metric === 'CpuUtilizationPercentage' && p.value !== null);
      expect(reported.length).toBe(11);
      for (const point of reported) {
        const served = requests.find((r) => r.deployment === deployment && r.timestamp === point.timestamp)?.value ?? 0;
        expect(served).toBeGreaterThan(0);
        expect(point.value).toBeCloseTo(profile.cpuBasePercent + (profile.cpuPercentPerRequest * Number(served)) / capacity, 6);
        const memory = points.find((p) => p.metric === 'CpuMemoryUtilizationPercentage' && p.timestamp === point.timestamp);
        expect(memory?.value).toBeCloseTo(profile.memoryBasePercent + (profile.memoryPercentPerRequest * Number(served)) / capacity, 6);
        expect(points.find((p) => p.metric === 'DeploymentCapacity' && p.timestamp === point.timestamp)?.value).toBe(capacity);
      }
    }
  });

  it('reports a minute only once it has ended and the platform delay has passed', async () => {
    const points = await ports.platformMetrics.queryDeploymentMetrics(`${endpointId}/deployments/green`, {
      ...window(),
      metricNames: ['CpuUtilizationPercentage'],
    });
    const last = points.at(-1);
    expect(last?.timestamp).toBe(new Date(emulator.originMs + 11 * 60_000).toISOString());
    expect(last?.value).toBeNull();
    clock.nowMs = emulator.originMs + 12 * 60_000 + DELAY_SECONDS * 1000;
    const later = await ports.platformMetrics.queryDeploymentMetrics(`${endpointId}/deployments/green`, {
      ...window(),
      metricNames: ['CpuUtilizationPercentage'],
    });
    expect(later.at(-1)?.value).not.toBeNull();
  });

  it('answers an unknown metric or deployment with an error that names it', async () => {
    await expect(
      ports.platformMetrics.queryDeploymentMetrics(`${endpointId}/deployments/green`, {
        ...window(),
        metricNames: ['GpuUtilizationPercentagee'],
      }),
    ).rejects.toThrow(/GpuUtilizationPercentagee/);
    await expect(
      ports.platformMetrics.queryDeploymentMetrics(`${endpointId}/deployments/purple`, {
        ...window(),
        metricNames: ['CpuUtilizationPercentage'],
      }),
    ).rejects.toThrow(/purple/);
    await expect(
      ports.platformMetrics.queryDeploymentMetrics(endpointId, { ...window(), metricNames: ['CpuUtilizationPercentage'] }),
    ).rejects.toThrow(/not an online deployment id/);
  });
});
