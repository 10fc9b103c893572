import { afterEach, describe, expect, it } from 'vitest';
import { createDemoWorld, createEmulator, type Emulator, type Fault } from '../../src/harness/emulator';
import { LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { ManualClock, RG, WS, armClient, armFetch, logsClient, workspacePath } from './helpers';

const started: Emulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((em) => em.stop()));
});

async function start(faults: Fault[], seed = 1): Promise<{ em: Emulator; clock: ManualClock }> {
  const clock = new ManualClock();
  const em = createEmulator({ clock, seed, faults, world: createDemoWorld({ requestsPerMinute: 0 }) });
  await em.start();
  started.push(em);
  return { em, clock };
}

const getEndpoint = (em: Emulator) => armFetch(em, 'GET', `${workspacePath(em)}/onlineEndpoints/credit-scoring`);
const logQuery = (em: Emulator) =>
  fetch(`${em.url}/v1/workspaces/${em.logAnalyticsWorkspaceId}/query`, {
    method: 'POST',
    headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: 'AmlOnlineEndpointTrafficLog | take 1', timespan: 'PT1H' }),
  });
const metricsQuery = (em: Emulator) =>
  fetch(
    `${em.url}/subscriptions/${em.coords.subscriptionId}/metrics:getBatch?metricnamespace=${encodeURIComponent('Microsoft.MachineLearningServices/workspaces/onlineEndpoints')}&metricnames=RequestsPerMinute&api-version=2024-02-01`,
    {
      method: 'POST',
      headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
      body: JSON.stringify({ resourceids: [em.state.endpointId('credit-scoring')] }),
    },
  );

describe('fault injection', () => {
  it('answers the next N matching ARM calls with 409, then recovers', async () => {
    const { em } = await start([{ target: 'arm', status: 409, count: 2 }]);
    const first = await getEndpoint(em);
    expect(first.status).toBe(409);
    expect(first.body.error.code).toBe('Conflict');
    expect((await getEndpoint(em)).status).toBe(409);
    expect((await getEndpoint(em)).status).toBe(200);
    expect(em.faultsFired()).toEqual([2]);
    expect(em.counters.armReads).toBe(3);
  });

  it('is seen by the real SDK client as a RestError with the status', async () => {
    const { em } = await start([{ target: 'arm', operation: 'getDeployment', status: 503, count: 1 }]);
    const arm = armClient(em);
    await expect(arm.onlineEndpoints.get(RG, WS, 'credit-scoring')).resolves.toBeDefined();
    await expect(arm.onlineDeployments.get(RG, WS, 'credit-scoring', 'blue')).rejects.toMatchObject({
      statusCode: 503,
      code: 'ServiceUnavailable',
    });
    await expect(arm.onlineDeployments.get(RG, WS, 'credit-scoring', 'blue')).resolves.toBeDefined();
  });

  it('sends Retry-After with 429', async () => {
    const { em } = await start([{ target: 'logs', status: 429, count: 1, retryAfterSeconds: 7 }]);
    const throttled = await logQuery(em);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(((await throttled.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');
    expect((await logQuery(em)).status).toBe(200);
  });

  it('answers 500 on the metrics API', async () => {
    const { em } = await start([{ target: 'metrics', status: 500, count: 1 }]);
    expect((await metricsQuery(em)).status).toBe(500);
    expect((await metricsQuery(em)).status).toBe(200);
    expect(em.counters.metricQueries).toBe(2);
  });

  it('emulates a timeout by dropping the connection without an answer', async () => {
    const { em } = await start([{ target: 'logs', status: 'timeout', count: 1 }]);
    await expect(logQuery(em)).rejects.toThrow();
    expect((await logQuery(em)).status).toBe(200);
  });

  it('matches only the named operation', async () => {
    const { em } = await start([{ target: 'arm', operation: 'putEndpoint', status: 500 }]);
    expect((await getEndpoint(em)).status).toBe(200);
    const current = await getEndpoint(em);
    expect((await armFetch(em, 'PUT', `${workspacePath(em)}/onlineEndpoints/credit-scoring`, current.body)).status).toBe(500);
    expect((await armFetch(em, 'PUT', `${workspacePath(em)}/onlineEndpoints/credit-scoring`, current.body)).status).toBe(500);
  });

  it('fires only inside its time window [fromMinute, toMinute)', async () => {
    const { em, clock } = await start([{ target: 'arm', status: 503, fromMinute: 10, toMinute: 20 }]);
    expect((await getEndpoint(em)).status).toBe(200);
    clock.advanceMinutes(10);
    expect((await getEndpoint(em)).status).toBe(503);
    clock.advanceMinutes(9.9);
    expect((await getEndpoint(em)).status).toBe(503);
    clock.advanceMinutes(0.1);
    expect((await getEndpoint(em)).status).toBe(200);
  });

  it('fires with a probability drawn from the seed: same seed, same calls fail', async () => {
    const pattern = async (seed: number): Promise<string> => {
      const { em } = await start([{ target: 'arm', status: 500, probability: 0.5 }], seed);
      let out = '';
      for (let i = 0; i < 60; i++) out += (await getEndpoint(em)).status === 500 ? 'x' : '.';
      return out;
    };
    const a = await pattern(21);
    expect(await pattern(21)).toBe(a);
    expect(await pattern(22)).not.toBe(a);
    const failures = [...a].filter((c) => c === 'x').length;
    expect(failures).toBeGreaterThan(15);
    expect(failures).toBeLessThan(45);
  });

  it("answers 'partial' log queries with half the rows and an error: PartialFailure in LogsQueryClient", async () => {
    const { em, clock } = await start([{ target: 'logs', status: 'partial', count: 1 }]);
    em.setTraffic('credit-scoring', { requestsPerMinute: 100 });
    clock.advanceMinutes(10);
    const client = logsClient(em);
    const kql = 'AmlOnlineEndpointTrafficLog | project TimeGenerated';
    const partial = await client.queryWorkspace(em.logAnalyticsWorkspaceId, kql, { duration: 'PT1H' });
    expect(partial.status).toBe(LogsQueryResultStatus.PartialFailure);
    if (partial.status !== LogsQueryResultStatus.PartialFailure) return;
    expect(partial.partialError.code).toBe('PartialError');
    const complete = await client.queryWorkspace(em.logAnalyticsWorkspaceId, kql, { duration: 'PT1H' });
    expect(complete.status).toBe(LogsQueryResultStatus.Success);
    if (complete.status !== LogsQueryResultStatus.Success) return;
    // Half the rows (rounded down) of what the same query answers in full.
    expect(complete.tables[0]?.rows.length).toBeGreaterThan(600);
    expect(partial.partialTables[0]?.rows).toHaveLength(Math.floor((complete.tables[0]?.rows.length ?? 0) / 2));
  });

  it('refuses an invalid fault with a message naming the problem', async () => {
    const { em } = await start([]);
    expect(() => em.addFault({ target: 'arm', status: 'partial' })).toThrow(/'partial' applies to target 'logs' only/);
    expect(() => em.addFault({ target: 'arm', operation: 'putEndpoints', status: 409 })).toThrow(
      /operation: unknown operation; known: arm: getEndpoint/,
    );
    expect(() => em.addFault({ target: 'arm', status: 500, fromMinute: 5, toMinute: 5 })).toThrow(/toMinute must be after fromMinute/);
    expect(() => em.addFault({ target: 'arm', status: 409, count: 1, probability: 0.5 })).toThrow(/either count or probability/);
    expect(() => em.addFault({ target: 'dns', status: 409 } as unknown as Fault)).toThrow(/target/);
    // The scenario format's shapes are strict: a misspelt field is an error, not silently ignored.
    expect(() => em.addFault({ target: 'arm', status: 409, cnt: 2 } as unknown as Fault)).toThrow(/cnt/);
  });
});
