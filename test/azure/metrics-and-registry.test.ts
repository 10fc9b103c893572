import type { MetricsClient } from '@azure/monitor-query-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAzurePorts, type AzurePorts } from '../../src/azure';
import { createAdapterContext } from '../../src/azure/context';
import { AzureMonitorPlatformMetrics } from '../../src/azure/platform-metrics';
import { ConfigurationError, loadSettings } from '../../src/config';
import { AzureCallError, ValidationError } from '../../src/errors';
import { ENDPOINT_ID, FakeAzure, fakeAzurePorts, RESOURCE_GROUP, SUBSCRIPTION, TestClock, WORKSPACE } from './support/fake-azure';

let clock: TestClock;
let azure: FakeAzure;
let ports: AzurePorts;

beforeEach(async () => {
  clock = new TestClock();
  azure = await new FakeAzure(clock).start();
  ports = fakeAzurePorts(azure, clock, { maxAttempts: 3 });
});

afterEach(async () => {
  await azure.close();
});

const fromMs = Date.UTC(2026, 10, 23, 10, 0, 0);
const toMs = fromMs + 5 * 60_000;
const kql = 'AmlOnlineEndpointTrafficLog | summarize requests = count() by DeploymentName';

const table = {
  name: 'PrimaryResult',
  columns: [
    { name: 'DeploymentName', type: 'string' },
    { name: 'requests', type: 'long' },
    { name: 'p95', type: 'real' },
    { name: 'latencies', type: 'dynamic' },
    { name: 'firstSeen', type: 'datetime' },
  ],
  rows: [
    ['blue', 1200, 88.5, '[40,41,90]', '2026-11-23T10:00:03Z'],
    ['green', 0, 'NaN', '[]', null],
  ],
};

describe('LogAnalyticsMetricsSource', () => {
  it('sends the KQL and the window, and turns the table into rows by column name', async () => {
    let seen: { query: string; timespan: string } | undefined;
    azure.logsAnswer = (body) => {
      seen = body;
      return { status: 200, body: { tables: [table] } };
    };
    const result = await ports.metricsSource.query({ kql, fromMs, toMs });
    expect(seen?.query).toBe(kql);
    expect(seen?.timespan).toBe(`${new Date(fromMs).toISOString()}/${new Date(toMs).toISOString()}`);
    expect(result.rows).toEqual([
      { DeploymentName: 'blue', requests: 1200, p95: 88.5, latencies: [40, 41, 90], firstSeen: '2026-11-23T10:00:03.000Z' },
      { DeploymentName: 'green', requests: 0, p95: null, latencies: [], firstSeen: null },
    ]);
    const request = azure.requests.find((candidate) => candidate.path.endsWith('/query'));
    expect(request?.path).toBe('/v1/workspaces/00000000-0000-0000-0000-00000000beef/query');
  });

  it('never returns a partial result: PartialFailure is a retryable Transient error', async () => {
    azure.logsAnswer = () => ({ status: 200, body: { tables: [table], error: { code: 'PartialError', message: 'a shard timed out' } } });
    const error = await ports.metricsSource.query({ kql, fromMs, toMs }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AzureCallError);
    expect(error).toMatchObject({ code: 'Transient', retryable: true });
    expect((error as Error).message).toContain('a shard timed out');
    // retried up to maxAttempts (3), on the clock
    expect(azure.requests.filter((request) => request.path.endsWith('/query'))).toHaveLength(3);
  });

  it('passes a later complete answer after a partial one', async () => {
    let calls = 0;
    azure.logsAnswer = () => {
      calls += 1;
      return calls === 1 ? { status: 200, body: { tables: [table], error: { code: 'PartialError', message: 'x' } } } : { status: 200, body: { tables: [table] } };
    };
    const result = await ports.metricsSource.query({ kql, fromMs, toMs });
    expect(result.rows).toHaveLength(2);
  });

  it('maps a query the service cannot run to Unsupported, not retried', async () => {
    azure.logsAnswer = () => ({ status: 400, body: { error: { code: 'BadArgumentError', message: "operator 'mv-apply' is not supported" } } });
    const error = await ports.metricsSource.query({ kql, fromMs, toMs }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'Unsupported', retryable: false, statusCode: 400 });
    expect((error as Error).message).toContain('mv-apply');
    expect(azure.requests.filter((request) => request.path.endsWith('/query'))).toHaveLength(1);
  });

  it('waits out throttling for the time the service asks', async () => {
    let calls = 0;
    azure.logsAnswer = () => {
      calls += 1;
      return calls === 1 ? { status: 429, body: { error: { code: 'ThrottledError', message: 'too many' } }, headers: { 'retry-after': '9' } } : { status: 200, body: { tables: [table] } };
    };
    await ports.metricsSource.query({ kql, fromMs, toMs });
    expect(clock.sleeps).toEqual([9000]);
  });

  it('rejects an empty query or an inverted window, naming the field', async () => {
    await expect(ports.metricsSource.query({ kql: ' ', fromMs, toMs })).rejects.toThrow(ValidationError);
    await expect(ports.metricsSource.query({ kql, fromMs: toMs, toMs: fromMs })).rejects.toThrow(/query\.toMs/);
  });
});

describe('ArmModelRegistry', () => {
  const version = { subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, workspace: WORKSPACE, model: 'credit-model', version: '2' };

  it('reads tags and properties', async () => {
    const model = await ports.modelRegistry.getModelVersion(version);
    expect(model).toMatchObject({ model: 'credit-model', version: '2', tags: { stage: 'candidate' }, properties: { framework: 'sklearn' } });
    expect(model.id).toContain('/models/credit-model/versions/2');
  });

  it('merges tags and keeps the rest of the body', async () => {
    const model = await ports.modelRegistry.updateModelVersionTags(version, { 'rollout.verdict': 'promoted' });
    expect(model.tags).toEqual({ stage: 'candidate', 'rollout.verdict': 'promoted' });
    expect(azure.models.get('credit-model:2')).toMatchObject({ properties: { framework: 'sklearn' }, description: 'credit model' });
    const before = azure.requests.length;
    await ports.modelRegistry.updateModelVersionTags(version, { 'rollout.verdict': 'promoted' });
    expect(azure.requests.slice(before).filter((request) => request.method === 'PUT')).toHaveLength(0);
  });

  it('throws NotFound for an unknown version', async () => {
    await expect(ports.modelRegistry.getModelVersion({ ...version, version: '9' })).rejects.toMatchObject({ code: 'NotFound' });
  });
});

describe('AzureMonitorPlatformMetrics', () => {
  it('queries the endpoint namespace split by deployment and returns one row per point', async () => {
    let params: URLSearchParams | undefined;
    let body: unknown;
    azure.metricsAnswer = (query, sent) => {
      params = query;
      body = sent;
      return {
        status: 200,
        body: {
          values: [
            {
              starttime: new Date(fromMs).toISOString(),
              endtime: new Date(toMs).toISOString(),
              interval: 'PT1M',
              namespace: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
              resourceid: ENDPOINT_ID,
              value: [
                {
                  id: `${ENDPOINT_ID}/providers/Microsoft.Insights/metrics/RequestLatency_P95`,
                  type: 'Microsoft.Insights/metrics',
                  name: { value: 'RequestLatency_P95', localizedValue: 'Request latency P95' },
                  unit: 'MilliSeconds',
                  timeseries: [
                    { metadatavalues: [{ name: { value: 'deployment' }, value: 'blue' }], data: [{ timeStamp: new Date(fromMs).toISOString(), average: 88 }] },
                    { metadatavalues: [{ name: { value: 'deployment' }, value: 'green' }], data: [{ timeStamp: new Date(fromMs).toISOString() }] },
                  ],
                },
              ],
            },
          ],
        },
      };
    };
    const rows = await ports.platformMetrics.queryEndpointMetrics(ENDPOINT_ID, {
      metricNames: ['RequestLatency_P95'],
      fromMs,
      toMs,
      granularity: 'PT1M',
      aggregation: 'Average',
      byDeployment: true,
    });
    expect(params?.get('metricnamespace')).toBe('Microsoft.MachineLearningServices/workspaces/onlineEndpoints');
    expect(params?.get('filter')).toBe("deployment eq '*'");
    expect(params?.get('aggregation')).toBe('average');
    expect(body).toEqual({ resourceids: [ENDPOINT_ID] });
    expect(rows).toEqual([
      { metric: 'RequestLatency_P95', timestamp: new Date(fromMs).toISOString(), deployment: 'blue', value: 88 },
      { metric: 'RequestLatency_P95', timestamp: new Date(fromMs).toISOString(), deployment: 'green', value: null },
    ]);
  });

  it('without METRICS_ENDPOINT, asks the regional data plane of the endpoint, looked up once', async () => {
    const asked: string[] = [];
    let lookups = 0;
    const source = new AzureMonitorPlatformMetrics({
      context: createAdapterContext({ clock }),
      metricsEndpoint: undefined,
      endpointLocation: () => {
        lookups += 1;
        return Promise.resolve('West Europe');
      },
      metricsClient: (endpoint) => {
        asked.push(endpoint);
        return { queryResources: () => Promise.resolve([]) } as unknown as MetricsClient;
      },
    });
    const query = { metricNames: ['RequestsPerMinute'], fromMs, toMs, granularity: 'PT1M', aggregation: 'Total', byDeployment: false } as const;
    await source.queryEndpointMetrics(ENDPOINT_ID, query);
    await source.queryEndpointMetrics(ENDPOINT_ID, query);
    expect(asked).toEqual(['https://westeurope.metrics.monitor.azure.com', 'https://westeurope.metrics.monitor.azure.com']);
    expect(lookups).toBe(1);
  });

  it('rejects an id that is not an online endpoint', async () => {
    await expect(
      ports.platformMetrics.queryEndpointMetrics('/subscriptions/x/resourceGroups/y', { metricNames: ['x'], fromMs, toMs, granularity: 'PT1M', aggregation: 'Average', byDeployment: false }),
    ).rejects.toThrow(/endpointResourceId/);
  });
});

describe('createAzurePorts configuration', () => {
  it('refuses plain http to a host that is not the loopback', () => {
    expect(() => createAzurePorts(loadSettings({ ARM_ENDPOINT: 'http://example.com', EMULATOR_TOKEN: 't' }), { clock })).toThrow(ConfigurationError);
  });

  it('requires EMULATOR_TOKEN for a local http emulator (no real token over http)', () => {
    expect(() => createAzurePorts(loadSettings({ ARM_ENDPOINT: 'http://127.0.0.1:1' }), { clock })).toThrow(/EMULATOR_TOKEN/);
  });

  it('builds real-Azure ports from defaults without network access', () => {
    const real = createAzurePorts(loadSettings({}), { clock });
    expect(Object.keys(real).sort()).toEqual(['endpointControl', 'ingestionModelRegistry', 'metricsSource', 'modelRegistry', 'platformMetrics', 'prices']);
  });
});
