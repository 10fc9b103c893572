import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoWorld, createEmulator, ENDPOINT_METRICS_NAMESPACE, type Emulator } from '../../src/emulator';
import { nearestRank } from '../../src/emulator/kql/evaluator';
import { ManualClock, deployGreenAndSplit, metricsClient } from './helpers';

let em: Emulator;
let clock: ManualClock;
const MINUTE = 60_000;

beforeAll(async () => {
  clock = new ManualClock();
  em = createEmulator({
    clock,
    seed: 4,
    world: createDemoWorld({ versions: ['1', '2'], requestsPerMinute: 240, behavior: { 'credit-model:2': { errorRate: 0.2, latencyMs: { p50: 80, p95: 300 } } } }),
  });
  await em.start();
  await deployGreenAndSplit(em, clock, { blue: 50, green: 50 });
  clock.advanceMinutes(10);
});
afterAll(async () => {
  await em.stop();
});

/** Direct computation: the log's rows of one deployment in one minute. */
function minuteRows(deployment: string | undefined, minuteStartMs: number): { durations: number[]; count: number } {
  const durations: number[] = [];
  for (let i = 0; i < em.log.length; i++) {
    const t = em.log.timeAt(i);
    const d = em.log.detail(i);
    if (t < minuteStartMs || t >= minuteStartMs + MINUTE) continue;
    if (deployment !== undefined && d.deployment !== deployment) continue;
    durations.push(d.totalDurationMs);
  }
  durations.sort((a, b) => a - b);
  return { durations, count: durations.length };
}

describe('platform metrics through MetricsClient.queryResources', () => {
  it('returns RequestsPerMinute and latency percentiles per deployment at PT1M from the same requests', async () => {
    const startTime = new Date(em.originMs + 12 * MINUTE);
    const endTime = new Date(em.originMs + 18 * MINUTE);
    const [result] = await metricsClient(em).queryResources(
      [em.state.endpointId('credit-scoring')],
      ['RequestsPerMinute', 'RequestLatency_P50', 'RequestLatency_P95', 'RequestLatency_P99'],
      ENDPOINT_METRICS_NAMESPACE,
      { startTime, endTime, interval: 'PT1M', aggregation: 'Average', filter: "deployment eq '*'" },
    );
    expect(result?.granularity).toBe('PT1M');
    const rpm = result?.getMetricByName('RequestsPerMinute');
    expect(rpm?.timeseries.map((s) => s.metadatavalues?.[0]?.value).sort()).toEqual(['blue', 'green']);
    for (const series of rpm?.timeseries ?? []) {
      const deployment = series.metadatavalues?.[0]?.value ?? '';
      expect(series.data).toHaveLength(6);
      for (const point of series.data ?? []) expect(point.total).toBe(minuteRows(deployment, point.timeStamp.getTime()).count);
      expect((series.data ?? []).reduce((sum, p) => sum + (p.total ?? 0), 0)).toBeGreaterThan(6 * 100);
    }
    for (const [name, p] of [['RequestLatency_P50', 50], ['RequestLatency_P95', 95], ['RequestLatency_P99', 99]] as const) {
      for (const series of result?.getMetricByName(name)?.timeseries ?? []) {
        const deployment = series.metadatavalues?.[0]?.value ?? '';
        for (const point of series.data ?? []) expect(point.average).toBe(nearestRank(minuteRows(deployment, point.timeStamp.getTime()).durations, p));
      }
    }
  });

  it('aggregates across deployments without a split, filters to one deployment', async () => {
    const startTime = new Date(em.originMs + 14 * MINUTE);
    const endTime = new Date(em.originMs + 15 * MINUTE);
    const client = metricsClient(em);
    const [all] = await client.queryResources([em.state.endpointId('credit-scoring')], ['RequestsPerMinute'], ENDPOINT_METRICS_NAMESPACE, { startTime, endTime });
    expect(all?.metrics[0]?.timeseries).toHaveLength(1);
    expect(all?.metrics[0]?.timeseries[0]?.data?.[0]?.total).toBe(240);
    const [green] = await client.queryResources([em.state.endpointId('credit-scoring')], ['RequestsPerMinute'], ENDPOINT_METRICS_NAMESPACE, {
      startTime,
      endTime,
      filter: "deployment eq 'green'",
    });
    expect(green?.metrics[0]?.timeseries[0]?.data?.[0]?.total).toBe(minuteRows('green', startTime.getTime()).count);
  });

  it('shows requests after under a minute, long before the logs do', async () => {
    const minuteStart = clock.now() - 2 * MINUTE;
    const [result] = await metricsClient(em).queryResources([em.state.endpointId('credit-scoring')], ['RequestsPerMinute'], ENDPOINT_METRICS_NAMESPACE, {
      startTime: new Date(minuteStart),
      endTime: new Date(minuteStart + MINUTE),
    });
    // Two minutes ago is complete in metrics (delay 30 s), while logs (3 min delay) do not have it yet.
    expect(result?.metrics[0]?.timeseries[0]?.data?.[0]?.total).toBe(240);
  });

  it('refuses unknown metric names with a message naming them', async () => {
    await expect(
      metricsClient(em).queryResources([em.state.endpointId('credit-scoring')], ['CpuUtilizationPercentage'], ENDPOINT_METRICS_NAMESPACE, {}),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining("Metric 'CpuUtilizationPercentage' is not supported") });
  });
});
