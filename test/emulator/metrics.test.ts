import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoWorld, createEmulator, ENDPOINT_METRICS_NAMESPACE, type Emulator } from '../../src/harness/emulator';
import { nearestRank } from '../../src/harness/emulator/kql/evaluator';
import { ManualClock, deployGreenAndSplit, metricsClient } from './helpers';

let em: Emulator;
let clock: ManualClock;
const MINUTE = 60_000;

beforeAll(async () => {
  clock = new ManualClock();
  em = createEmulator({
    clock,
    seed: 4,
    world: createDemoWorld({
      versions: ['1', '2'],
      requestsPerMinute: 240,
      behavior: { 'credit-model:2': { errorRate: 0.2, latencyMs: { p50: 80, p95: 300 } } },
    }),
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
      { startTime, endTime, interval: 'PT1M', aggregation: 'Average,Total', filter: "deployment eq '*'" },
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
    for (const [name, p] of [
      ['RequestLatency_P50', 50],
      ['RequestLatency_P95', 95],
      ['RequestLatency_P99', 99],
    ] as const) {
      for (const series of result?.getMetricByName(name)?.timeseries ?? []) {
        const deployment = series.metadatavalues?.[0]?.value ?? '';
        for (const point of series.data ?? [])
          expect(point.average).toBe(nearestRank(minuteRows(deployment, point.timeStamp.getTime()).durations, p));
      }
    }
  });

  it('aggregates across deployments without a split, filters to one deployment', async () => {
    const startTime = new Date(em.originMs + 14 * MINUTE);
    const endTime = new Date(em.originMs + 15 * MINUTE);
    const client = metricsClient(em);
    const [all] = await client.queryResources([em.state.endpointId('credit-scoring')], ['RequestsPerMinute'], ENDPOINT_METRICS_NAMESPACE, {
      startTime,
      endTime,
      aggregation: 'Total',
    });
    expect(all?.metrics[0]?.timeseries).toHaveLength(1);
    expect(all?.metrics[0]?.timeseries[0]?.data?.[0]?.total).toBe(240);
    const [green] = await client.queryResources(
      [em.state.endpointId('credit-scoring')],
      ['RequestsPerMinute'],
      ENDPOINT_METRICS_NAMESPACE,
      {
        startTime,
        endTime,
        aggregation: 'Total',
        filter: "deployment eq 'green'",
      },
    );
    expect(green?.metrics[0]?.timeseries[0]?.data?.[0]?.total).toBe(minuteRows('green', startTime.getTime()).count);
  });

  it('shows requests after under a minute, long before the logs do', async () => {
    const minuteStart = clock.now() - 2 * MINUTE;
    const [result] = await metricsClient(em).queryResources(
      [em.state.endpointId('credit-scoring')],
      ['RequestsPerMinute'],
      ENDPOINT_METRICS_NAMESPACE,
      {
        startTime: new Date(minuteStart),
        endTime: new Date(minuteStart + MINUTE),
        aggregation: 'Total',
      },
    );
    // Two minutes ago is complete in metrics (delay 30 s), while logs (3 min delay) do not have it yet.
    expect(result?.metrics[0]?.timeseries[0]?.data?.[0]?.total).toBe(240);
  });

  it('refuses unknown metric names with a message naming them', async () => {
    await expect(
      metricsClient(em).queryResources(
        [em.state.endpointId('credit-scoring')],
        ['CpuUtilizationPercentage'],
        ENDPOINT_METRICS_NAMESPACE,
        {},
      ),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining("Metric 'CpuUtilizationPercentage' is not supported") });
  });

  /** The rows of one minute, optionally of one deployment and matching `keep`. */
  function rowsOf(minuteStartMs: number, keep: (d: ReturnType<typeof em.log.detail>) => boolean): number[] {
    const durations: number[] = [];
    for (let i = 0; i < em.log.length; i++) {
      const t = em.log.timeAt(i);
      const d = em.log.detail(i);
      if (t >= minuteStartMs && t < minuteStartMs + MINUTE && d.endpoint === 'credit-scoring' && keep(d)) durations.push(d.totalDurationMs);
    }
    return durations.sort((a, b) => a - b);
  }
  const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
  /** The fields a data point carries (the SDK lists absent aggregations as undefined). */
  const fieldsOf = (point: object | undefined) =>
    Object.entries(point ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k)
      .sort();

  it('honours aggregation: per-minute samples aggregated over the interval (Average, Minimum, Maximum, Total, Count)', async () => {
    // Intervals align to their length, as in Azure: start on a 5-minute boundary.
    const startTime = new Date(Math.ceil((em.originMs + 8 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE);
    const endTime = new Date(startTime.getTime() + 5 * MINUTE);
    const [result] = await metricsClient(em).queryResources(
      [em.state.endpointId('credit-scoring')],
      ['RequestsPerMinute', 'RequestLatency', 'RequestLatency_P95'],
      ENDPOINT_METRICS_NAMESPACE,
      { startTime, endTime, interval: 'PT5M', aggregation: 'Average,Minimum,Maximum,Total,Count', filter: "deployment eq 'green'" },
    );
    const minutes = [0, 1, 2, 3, 4].map((k) => rowsOf(startTime.getTime() + k * MINUTE, (d) => d.deployment === 'green'));
    const expected = {
      // one sample per minute: that minute's count
      RequestsPerMinute: minutes.map((m) => m.length),
      // one sample per request: its latency
      RequestLatency: minutes.flat(),
      // one sample per minute that had requests: that minute's percentile
      RequestLatency_P95: minutes.filter((m) => m.length > 0).map((m) => nearestRank(m, 95) ?? 0),
    };
    for (const [name, samples] of Object.entries(expected)) {
      const [point, ...rest] = result?.getMetricByName(name)?.timeseries[0]?.data ?? [];
      expect(rest).toHaveLength(0);
      expect(point?.timeStamp.getTime()).toBe(startTime.getTime());
      expect({ name, count: point?.count }).toEqual({ name, count: samples.length });
      expect(point?.total).toBeCloseTo(sum(samples), 6);
      expect(point?.average).toBeCloseTo(sum(samples) / samples.length, 6);
      expect(point?.minimum).toBe(Math.min(...samples));
      expect(point?.maximum).toBe(Math.max(...samples));
    }
    expect(expected.RequestLatency.length).toBeGreaterThan(expected.RequestsPerMinute.length);
  });

  it('answers only the aggregations asked for, Average when none is', async () => {
    const startTime = new Date(em.originMs + 13 * MINUTE);
    const endTime = new Date(em.originMs + 14 * MINUTE);
    const client = metricsClient(em);
    const [asked] = await client.queryResources([em.state.endpointId('credit-scoring')], ['RequestLatency'], ENDPOINT_METRICS_NAMESPACE, {
      startTime,
      endTime,
      aggregation: 'Maximum',
    });
    expect(fieldsOf(asked?.metrics[0]?.timeseries[0]?.data?.[0])).toEqual(['maximum', 'timeStamp']);
    const [unasked] = await client.queryResources([em.state.endpointId('credit-scoring')], ['RequestLatency'], ENDPOINT_METRICS_NAMESPACE, {
      startTime,
      endTime,
    });
    const rows = rowsOf(startTime.getTime(), () => true);
    expect(fieldsOf(unasked?.metrics[0]?.timeseries[0]?.data?.[0])).toEqual(['average', 'timeStamp']);
    expect(unasked?.metrics[0]?.timeseries[0]?.data?.[0]?.average).toBeCloseTo(sum(rows) / rows.length, 6);
  });

  it('splits RequestsPerMinute by statusCode, statusCodeClass and modelStatusCode', async () => {
    const startTime = new Date(em.originMs + 15 * MINUTE);
    const endTime = new Date(em.originMs + 16 * MINUTE);
    const [result] = await metricsClient(em).queryResources(
      [em.state.endpointId('credit-scoring')],
      ['RequestsPerMinute'],
      ENDPOINT_METRICS_NAMESPACE,
      {
        startTime,
        endTime,
        aggregation: 'Total',
        filter: "deployment eq 'green' and statusCode eq '*' and statusCodeClass eq '*' and modelStatusCode eq '*'",
      },
    );
    const series = result?.metrics[0]?.timeseries ?? [];
    const dim = (s: (typeof series)[number], name: string) => s.metadatavalues?.find((m) => m.name === name)?.value ?? '';
    // green fails 20% of requests: the caller gets 424, the container answered 500.
    expect(series.map((s) => `${dim(s, 'statusCode')}/${dim(s, 'statusCodeClass')}/${dim(s, 'modelStatusCode')}`).sort()).toEqual([
      '200/2xx/200',
      '424/4xx/500',
    ]);
    for (const s of series) {
      const expected = rowsOf(
        startTime.getTime(),
        (d) =>
          d.deployment === 'green' &&
          String(d.responseCode) === dim(s, 'statusCode') &&
          String(d.modelStatusCode) === dim(s, 'modelStatusCode'),
      ).length;
      expect(s.data?.[0]?.total).toBe(expected);
      expect(expected).toBeGreaterThan(0);
    }
  });

  it.each([
    [{ aggregation: 'Median' }, "Invalid aggregation 'Median'"],
    [{ aggregation: 'Total', filter: "statusCode eq '*'" }, "has no dimension 'statusCode'"],
    [{ aggregation: 'Total', interval: 'PT90S' }, "Invalid interval 'PT90S'"],
  ])('refuses %o with a message naming what is wrong', async (options, message) => {
    await expect(
      metricsClient(em).queryResources([em.state.endpointId('credit-scoring')], ['RequestLatency'], ENDPOINT_METRICS_NAMESPACE, options),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining(message) });
  });
});
