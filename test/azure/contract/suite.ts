/**
 * The port contract: one suite of behaviour every Azure-facing port must show, run against the
 * local emulator (contract-emulator.test.ts) and against real Azure (contract-azure.test.ts, only
 * with AML_ROLLOUT_CONTRACT_AZURE=1). Both runs go through createAzurePorts and the real SDK
 * clients; only the target (endpoints, credential, clock) differs.
 */
import { describe, expect, it } from 'vitest';
import type { AzurePorts } from '../../../src/azure';
import { kqlString } from '../../../src/analysis/kql';
import { buildTrafficQuery, TRAFFIC_COLUMNS } from '../../../src/analysis/queries';
import { readDeploymentUsage } from '../../../src/activities/resource-usage';
import { RolloutError } from '../../../src/errors';
import type { Clock, EndpointRef, ModelVersionRef } from '../../../src/ports';

export interface ContractTarget {
  readonly ports: AzurePorts;
  readonly clock: Clock;
  readonly ref: EndpointRef;
  readonly endpointResourceId: string;
  /** The endpoint's Azure region as ARM names it (e.g. westeurope): where its instances are priced. */
  readonly region: string;
  /** The deployment that holds all live traffic. */
  readonly live: string;
  /** A name free for a new deployment (deleted again by the test). */
  readonly candidate: string;
  /** ARM id of a model version to deploy as the candidate. */
  readonly candidateModelId: string;
  /** A model version whose tags the test may write (it writes a `contract-test` tag). */
  readonly modelVersion: ModelVersionRef;
  /** A past window in which the live deployment served requests that are already in the logs. */
  trafficWindow(): Promise<{ fromMs: number; toMs: number }>;
  /** ARM id of a model version whose scoring script fails every request (answers 500). */
  readonly failingModelId: string;
  /** ARM id of a model version that takes longer than the 5 s default request timeout. */
  readonly slowModelId: string;
  /** Waits until requests made since `sinceMs` are in the logs; returns a window holding them. */
  logsSettled(sinceMs: number): Promise<{ fromMs: number; toMs: number }>;
  /** Releases what the target started. */
  close(): Promise<void>;
}

/** Registers the contract tests; `setup` makes a fresh target for each test (no shared state). */
export function describePortContract(name: string, setup: () => Promise<ContractTarget>, timeoutMs: number): void {
  const withTarget = (fn: (target: ContractTarget) => Promise<void>) => async (): Promise<void> => {
    const target = await setup();
    try {
      await fn(target);
    } finally {
      await target.close();
    }
  };

  describe(`EndpointControl contract (${name})`, () => {
    it(
      'deployment lifecycle: clone, Succeeded, traffic 90/10, mirror 20, direct invoke, delete, NotFound',
      withTarget(async (t) => {
        const control = t.ports.endpointControl;
        const live = await control.getDeployment(t.ref, t.live);
        try {
          const created = await control.createDeployment(t.ref, {
            cloneFrom: t.live,
            name: t.candidate,
            modelId: t.candidateModelId,
            tags: { purpose: 'contract-test' },
          });
          expect(created.provisioningState).toBe('Succeeded');
          expect(created.modelId.toLowerCase()).toBe(t.candidateModelId.toLowerCase());
          expect(created.instanceType).toBe(live.instanceType);
          expect(created.instanceCount).toBe(live.instanceCount);
          expect((await control.listDeployments(t.ref)).map((d) => d.name).sort()).toEqual(expect.arrayContaining([t.live, t.candidate]));

          const split = await control.setTraffic(t.ref, { [t.live]: 90, [t.candidate]: 10 }, {});
          expect(split.traffic).toMatchObject({ [t.live]: 90, [t.candidate]: 10 });
          const readBack = await control.getEndpoint(t.ref);
          expect(readBack.traffic).toMatchObject({ [t.live]: 90, [t.candidate]: 10 });
          expect(readBack.mirrorTraffic[t.candidate] ?? 0).toBe(0);

          // A deployment takes live or mirrored traffic, never both: mirror onto the candidate once it has no live share.
          const mirrored = await control.setTraffic(t.ref, { [t.live]: 100, [t.candidate]: 0 }, { [t.candidate]: 20 });
          expect(mirrored.mirrorTraffic).toMatchObject({ [t.candidate]: 20 });
          expect((await control.getEndpoint(t.ref)).mirrorTraffic).toMatchObject({ [t.candidate]: 20 });

          const answer = await control.invokeDeployment(t.ref, {
            deployment: t.candidate,
            body: { input_data: { data: [[0.1, 0.2, 0.3]] } },
            timeoutInMs: 30_000,
          });
          expect(answer.answeredBy).toBe(t.candidate);
          expect(answer.statusCode).toBeGreaterThanOrEqual(200);
          expect(answer.durationMs).toBeGreaterThanOrEqual(0);

          await control.setTraffic(t.ref, { [t.live]: 100, [t.candidate]: 0 }, {});
          await control.deleteDeployment(t.ref, t.candidate);
          await expect(control.getDeployment(t.ref, t.candidate)).rejects.toMatchObject({ code: 'NotFound' });
          // deleting what is gone is success
          await control.deleteDeployment(t.ref, t.candidate);
        } finally {
          // leave the endpoint as found, even when an assertion failed half-way
          await control.setTraffic(t.ref, { [t.live]: 100 }, {}).catch(() => undefined);
          await control.deleteDeployment(t.ref, t.candidate).catch(() => undefined);
        }
      }),
      timeoutMs,
    );

    it(
      'getDeployment of an unknown name throws NotFound, not retryable',
      withTarget(async (t) => {
        const error = await t.ports.endpointControl.getDeployment(t.ref, 'no-such-deployment').catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(RolloutError);
        expect(error).toMatchObject({ code: 'NotFound', retryable: false });
      }),
      timeoutMs,
    );

    it(
      "rejects a traffic split that does not sum to 100 with Azure's message, without retrying",
      withTarget(async (t) => {
        const error = await t.ports.endpointControl.setTraffic(t.ref, { [t.live]: 40 }, {}).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: 'InvalidInput', retryable: false, statusCode: 400 });
        expect((await t.ports.endpointControl.getEndpoint(t.ref)).traffic).toMatchObject({ [t.live]: 100 });
      }),
      timeoutMs,
    );
  });

  /**
   * Azure's status codes for a model that fails or is too slow (troubleshooting online endpoints,
   * status codes; docs/azure-fidelity.md): what callers get, and what the traffic log records.
   */
  const modelAnswers = (
    what: string,
    modelIdOf: (t: ContractTarget) => string,
    expectedStatus: number,
    expectedModelStatus: (code: number) => boolean,
  ) =>
    it(
      what,
      withTarget(async (t) => {
        const control = t.ports.endpointControl;
        try {
          await control.createDeployment(t.ref, {
            cloneFrom: t.live,
            name: t.candidate,
            modelId: modelIdOf(t),
            tags: { purpose: 'contract-test' },
          });
          const sinceMs = t.clock.now();
          for (let i = 0; i < 3; i++) {
            const answer = await control.invokeDeployment(t.ref, {
              deployment: t.candidate,
              body: { input_data: { data: [[0.1, 0.2, 0.3]] } },
              timeoutInMs: 30_000,
            });
            expect(answer.statusCode).toBe(expectedStatus);
          }
          const window = await t.logsSettled(sinceMs);
          const kql = [
            'AmlOnlineEndpointTrafficLog',
            `| where _ResourceId =~ ${kqlString(t.endpointResourceId.toLowerCase())} and DeploymentName == ${kqlString(t.candidate)}`,
            '| project ResponseCode, ModelStatusCode',
          ].join('\n');
          const rows = (await t.ports.metricsSource.query({ kql, ...window })).rows;
          expect(rows.length).toBeGreaterThanOrEqual(3);
          for (const row of rows) {
            expect(row['ResponseCode']).toBe(expectedStatus);
            expect(expectedModelStatus(row['ModelStatusCode'] as number), `ModelStatusCode ${String(row['ModelStatusCode'])}`).toBe(true);
          }
        } finally {
          await control.deleteDeployment(t.ref, t.candidate).catch(() => undefined);
        }
      }),
      timeoutMs,
    );

  describe(`Scoring status codes (${name})`, () => {
    modelAnswers(
      "a failing model answers 424, logged with the container's own code in ModelStatusCode",
      (t) => t.failingModelId,
      424,
      (code) => code >= 400,
    );
    modelAnswers(
      'a slow model answers 408 (requestSettings.requestTimeout, default 5 s), logged as 408',
      (t) => t.slowModelId,
      408,
      (code) => code !== 200,
    );
  });

  describe(`MetricsSource contract (${name})`, () => {
    it(
      'answers the built-in gate query with one row per deployment',
      withTarget(async (t) => {
        const window = await t.trafficWindow();
        const kql = buildTrafficQuery({ workspace: t.ref, endpoint: t.ref.endpoint, baseline: t.live, candidate: t.live, window });
        const result = await t.ports.metricsSource.query({ kql, ...window });
        expect(result.rows).toHaveLength(1);
        const row = result.rows[0]!;
        expect(row[TRAFFIC_COLUMNS.deployment]).toBe(t.live);
        expect(row[TRAFFIC_COLUMNS.requests]).toEqual(expect.any(Number));
        expect(row[TRAFFIC_COLUMNS.requests] as number).toBeGreaterThan(0);
        expect(row[TRAFFIC_COLUMNS.p95]).toEqual(expect.any(Number));
        // make_list comes back as a dynamic column: an array of numbers
        expect(Array.isArray(row[TRAFFIC_COLUMNS.latencies])).toBe(true);
      }),
      timeoutMs,
    );

    it(
      'calls a query the service cannot run Unsupported, not retryable',
      withTarget(async (t) => {
        const window = await t.trafficWindow();
        const error = await t.ports.metricsSource
          .query({ kql: 'AmlOnlineEndpointTrafficLog | frobnicate x', ...window })
          .catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: 'Unsupported', retryable: false });
      }),
      timeoutMs,
    );
  });

  describe(`PlatformMetricsSource contract (${name})`, () => {
    it(
      'returns requests per minute split by deployment',
      withTarget(async (t) => {
        const window = await t.trafficWindow();
        const rows = await t.ports.platformMetrics.queryEndpointMetrics(t.endpointResourceId, {
          metricNames: ['RequestsPerMinute'],
          ...window,
          granularity: 'PT1M',
          aggregation: 'Total',
          byDeployment: true,
        });
        const live = rows.filter((row) => row.deployment === t.live && typeof row.value === 'number');
        expect(live.length).toBeGreaterThan(0);
        expect(live.every((row) => row.metric === 'RequestsPerMinute')).toBe(true);
        expect(live.reduce((sum, row) => sum + (row.value as number), 0)).toBeGreaterThan(0);
      }),
      timeoutMs,
    );
  });

  describe(`DeploymentMetricsSource contract (${name})`, () => {
    const percentOrNull = (value: number | null | undefined): boolean =>
      value === null || value === undefined || (value >= 0 && value <= 100);

    it(
      'returns CPU and memory utilization of the live deployment per minute, as percentages',
      withTarget(async (t) => {
        const window = await t.trafficWindow();
        const metricNames = ['CpuUtilizationPercentage', 'CpuMemoryUtilizationPercentage'];
        const points = await t.ports.platformMetrics.queryDeploymentMetrics(`${t.endpointResourceId}/deployments/${t.live}`, {
          metricNames,
          ...window,
          granularity: 'PT1M',
          aggregation: 'Average',
        });
        for (const metric of metricNames) {
          const series = points.filter((point) => point.metric === metric);
          const minutes = series.map((point) => Date.parse(point.timestamp));
          // one point per minute: on a minute boundary, inside the window, no minute twice
          expect(
            minutes.every((ms) => Number.isFinite(ms) && ms % 60_000 === 0 && ms >= window.fromMs && ms < window.toMs),
            metric,
          ).toBe(true);
          expect(new Set(minutes).size, metric).toBe(minutes.length);
          // a deployment that served traffic all window has reported some minutes (a late minute may still be null)
          const reported = series.filter((point) => point.value !== null);
          expect(reported.length, metric).toBeGreaterThan(0);
          expect(
            series.every((point) => percentOrNull(point.value)),
            metric,
          ).toBe(true);
        }
        expect(points.every((point) => metricNames.includes(point.metric))).toBe(true);
      }),
      timeoutMs,
    );

    it(
      'feeds the resource gate: readDeploymentUsage gives the live deployment minutes with requests and utilization',
      withTarget(async (t) => {
        const live = await t.ports.endpointControl.getDeployment(t.ref, t.live);
        const window = await t.trafficWindow();
        const usage = await readDeploymentUsage(
          t.ports.platformMetrics,
          t.endpointResourceId,
          { name: live.name, instanceType: live.instanceType },
          window,
        );
        expect(usage.deployment).toBe(t.live);
        expect(usage.instanceType).toBe(live.instanceType);
        expect(usage.minutes.length).toBeGreaterThan(0);
        for (const minute of usage.minutes) {
          expect(minute.requests).toBeGreaterThanOrEqual(0);
          expect(percentOrNull(minute.cpuPercent) && percentOrNull(minute.memoryPercent)).toBe(true);
          expect(percentOrNull(minute.gpuPercent) && percentOrNull(minute.gpuMemoryPercent)).toBe(true);
          expect(minute.instances === null || minute.instances > 0).toBe(true);
        }
        // the minutes the deployment served requests in carry its CPU and memory readings
        expect(usage.minutes.some((minute) => minute.requests > 0 && minute.cpuPercent !== null && minute.memoryPercent !== null)).toBe(
          true,
        );
      }),
      timeoutMs,
    );
  });

  describe(`EndpointPrices contract (${name})`, () => {
    // No policy price table: the public Azure Retail Prices API answers (PRICES_ENDPOINT locally).
    const noPolicyTable = { currency: 'USD' };

    it(
      "prices the live deployment's instance type per hour in the endpoint's region",
      withTarget(async (t) => {
        const live = await t.ports.endpointControl.getDeployment(t.ref, t.live);
        const quote = await t.ports.prices.hourlyPrice(live.instanceType, t.ref, noPolicyTable);
        expect(quote.source).toBe('azureRetailPrices');
        expect(quote.instanceType).toBe(live.instanceType);
        expect(quote.region).toBe(t.region.replace(/\s+/g, '').toLowerCase());
        expect(quote.pricePerHour).toBeGreaterThan(0);
        expect(quote.currency).toBe('USD');
      }),
      timeoutMs,
    );

    it(
      'refuses an instance type with no price with a NotFound naming it and the region, never a price of 0',
      withTarget(async (t) => {
        const error = await t.ports.prices.hourlyPrice('Standard_NoSuchSize_v9', t.ref, noPolicyTable).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(RolloutError);
        expect(error).toMatchObject({ code: 'NotFound' });
        expect((error as Error).message).toContain('Standard_NoSuchSize_v9');
        expect((error as Error).message).toContain(t.region.replace(/\s+/g, '').toLowerCase());
      }),
      timeoutMs,
    );
  });

  describe(`ModelRegistry contract (${name})`, () => {
    it(
      'round-trips tags: merged in, the others kept',
      withTarget(async (t) => {
        const before = await t.ports.modelRegistry.getModelVersion(t.modelVersion);
        const stamp = String(t.clock.now());
        const after = await t.ports.modelRegistry.updateModelVersionTags(t.modelVersion, { 'contract-test': stamp });
        expect(after.tags).toEqual({ ...before.tags, 'contract-test': stamp });
        expect(after.properties).toEqual(before.properties);
        expect((await t.ports.modelRegistry.getModelVersion(t.modelVersion)).tags['contract-test']).toBe(stamp);
      }),
      timeoutMs,
    );

    it(
      'throws NotFound for an unknown version',
      withTarget(async (t) => {
        await expect(t.ports.modelRegistry.getModelVersion({ ...t.modelVersion, version: '987654' })).rejects.toMatchObject({
          code: 'NotFound',
        });
      }),
      timeoutMs,
    );
  });
}
