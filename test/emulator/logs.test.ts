import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogsQueryResultStatus, type LogsTable } from '@azure/monitor-query-logs';
import { buildTrafficQuery } from '../../src/analysis/queries';
import { createDemoWorld, createEmulator, DEMO_COORDS, type Emulator } from '../../src/harness/emulator';
import { nearestRank } from '../../src/harness/emulator/kql/evaluator';
import { TRAFFIC_LOG_COLUMNS } from '../../src/harness/emulator/traffic-log';
import { ManualClock, deployGreenAndSplit, logsClient } from './helpers';

type LogRow = Record<string, string | number | null>;

let em: Emulator;
let clock: ManualClock;
const MINUTE = 60_000;

/** Every row the emulator has made, visible or not (the direct computation reads these). */
function allRows(): LogRow[] {
  const rows: LogRow[] = [];
  for (let i = 0; i < em.log.length; i++) rows.push(em.log.row(i));
  return rows;
}

function visibleRows(fromMs: number, toMs: number, nowMs = clock.now()): LogRow[] {
  const rows: LogRow[] = [];
  for (let i = 0; i < em.log.length; i++) {
    const t = em.log.timeAt(i);
    if (t >= fromMs && t < toMs && em.log.visibleAtMs(i) <= nowMs) rows.push(em.log.row(i));
  }
  return rows;
}

function byDeployment(rows: LogRow[]): Map<string, LogRow[]> {
  const groups = new Map<string, LogRow[]>();
  for (const r of rows) {
    const key = r['DeploymentName'] as string;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return groups;
}

const sortedDurations = (rows: LogRow[]): number[] => rows.map((r) => r['TotalDurationMs'] as number).sort((a, b) => a - b);

function tableObjects(table: LogsTable | undefined): Record<string, unknown>[] {
  if (!table) throw new Error('no table');
  return table.rows.map((row) => Object.fromEntries(table.columnDescriptors.map((c, i) => [c.name ?? '', row[i]])));
}

async function query(kql: string, fromMs: number, toMs: number): Promise<Record<string, unknown>[]> {
  const result = await logsClient(em).queryWorkspace(em.logAnalyticsWorkspaceId, kql, {
    startTime: new Date(fromMs),
    endTime: new Date(toMs),
  });
  if (result.status !== LogsQueryResultStatus.Success) throw new Error(`query status ${result.status}`);
  return tableObjects(result.tables[0]);
}

beforeAll(async () => {
  clock = new ManualClock();
  em = createEmulator({
    clock,
    seed: 11,
    world: createDemoWorld({
      versions: ['1', '2'],
      requestsPerMinute: 300,
      behavior: {
        'credit-model:1': { errorRate: 0.02, latencyMs: { p50: 40, p95: 90 } },
        'credit-model:2': { errorRate: 0.1, latencyMs: { p50: 60, p95: 200 } },
      },
    }),
  });
  await em.start();
  await deployGreenAndSplit(em, clock, { blue: 70, green: 30 });
  clock.advanceMinutes(30);
});
afterAll(async () => {
  await em.stop();
});

describe('Log Analytics query API through LogsQueryClient', () => {
  it('answers the built-in gate query exactly as a direct computation over the rows', async () => {
    const fromMs = em.originMs + 15 * MINUTE;
    const toMs = em.originMs + 25 * MINUTE;
    const kql = buildTrafficQuery({
      workspace: DEMO_COORDS,
      endpoint: 'credit-scoring',
      baseline: 'blue',
      candidate: 'green',
      window: { fromMs, toMs },
    });
    const answer = await query(kql, fromMs, toMs);
    const expected = byDeployment(visibleRows(fromMs, toMs));
    expect(answer.map((r) => r['DeploymentName']).sort()).toEqual(['blue', 'green']);
    for (const row of answer) {
      const rows = expected.get(row['DeploymentName'] as string) ?? [];
      const durations = sortedDurations(rows);
      expect(row['requests']).toBe(rows.length);
      const code = (r: Record<string, unknown>) => r['ResponseCode'] as number;
      expect(row['failed']).toBe(rows.filter((r) => [408, 424, 429].includes(code(r)) || code(r) >= 500).length);
      expect(row['modelErrors']).toBe(rows.filter((r) => code(r) === 424 || (r['ModelStatusCode'] as number) >= 500).length);
      expect(row['failed']).toBeGreaterThan(0);
      expect(row['p50']).toBe(nearestRank(durations, 50));
      expect(row['p95']).toBe(nearestRank(durations, 95));
      expect(row['p99']).toBe(nearestRank(durations, 99));
      expect(row['latencies']).toEqual(rows.map((r) => r['TotalDurationMs']));
    }
    // The split shows in the data: about 70/30, and green's higher error rate.
    const blue = answer.find((r) => r['DeploymentName'] === 'blue');
    const green = answer.find((r) => r['DeploymentName'] === 'green');
    const share = (green?.['requests'] as number) / ((blue?.['requests'] as number) + (green?.['requests'] as number));
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    expect((green?.['failed'] as number) / (green?.['requests'] as number)).toBeGreaterThan(0.05);
  });

  it('answers a typical gate query (between, percentile) exactly', async () => {
    const from = new Date(em.originMs + 12 * MINUTE).toISOString();
    const to = new Date(em.originMs + 17 * MINUTE).toISOString();
    const kql = `AmlOnlineEndpointTrafficLog
| where TimeGenerated between (datetime(${from}) .. datetime(${to}))
| where EndpointName == "credit-scoring"
| summarize requests = count(), failed = countif(ResponseCode == 424),
            p50 = percentile(TotalDurationMs, 50), p95 = percentile(TotalDurationMs, 95)
          by DeploymentName`;
    const answer = await query(kql, em.originMs, clock.now());
    // between is inclusive at both ends
    const rows = allRows().filter(
      (r) => (r['TimeGenerated'] as number) >= Date.parse(from) && (r['TimeGenerated'] as number) <= Date.parse(to),
    );
    const expected = byDeployment(rows);
    expect(answer).toHaveLength(expected.size);
    for (const row of answer) {
      const group = expected.get(row['DeploymentName'] as string) ?? [];
      expect(row).toEqual({
        DeploymentName: row['DeploymentName'],
        requests: group.length,
        failed: group.filter((r) => (r['ResponseCode'] as number) === 424).length,
        p50: nearestRank(sortedDurations(group), 50),
        p95: nearestRank(sortedDurations(group), 95),
      });
    }
  });

  it('answers per-minute series, percentiles(), expressions over aggregates, order and take', async () => {
    const fromMs = em.originMs + 20 * MINUTE;
    const toMs = em.originMs + 26 * MINUTE;
    const kql = `AmlOnlineEndpointTrafficLog
| where TimeGenerated >= datetime(${new Date(fromMs).toISOString()}) and TimeGenerated < datetime(${new Date(toMs).toISOString()})
| where DeploymentName in ("blue", "green") and Method == "POST"
| extend failed = iff(ResponseCode >= 500, 1, 0)
| summarize n = count(), errorPct = 100.0 * sum(failed) / count(), percentiles(TotalDurationMs, 90, 99) by DeploymentName, minute = bin(TimeGenerated, 1m)
| order by minute asc, DeploymentName asc
| take 100`;
    const answer = await query(kql, fromMs, toMs);
    const rows = visibleRows(fromMs, toMs);
    const groups = new Map<string, LogRow[]>();
    for (const r of rows) {
      const minute = Math.floor((r['TimeGenerated'] as number) / MINUTE) * MINUTE;
      const key = `${minute}|${r['DeploymentName']}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const expected = [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, group]) => {
        const [minute, deployment] = key.split('|');
        const failed = group.filter((r) => (r['ResponseCode'] as number) >= 500).length;
        return {
          DeploymentName: deployment,
          minute: new Date(Number(minute)),
          n: group.length,
          errorPct: (100 * failed) / group.length,
          percentile_TotalDurationMs_90: nearestRank(sortedDurations(group), 90),
          percentile_TotalDurationMs_99: nearestRank(sortedDurations(group), 99),
        };
      });
    expect(answer).toEqual(expected);
    expect(answer.length).toBe(6 * 2); // 6 minutes in the window, 2 deployments
  });

  it('shows each request after its own ingestion delay (seeded: 20 s to 9 min, median 1 min, 95% within 3 min)', async () => {
    const fromMs = clock.now() - 12 * MINUTE;
    const toMs = clock.now();
    const kql = 'AmlOnlineEndpointTrafficLog | summarize n = count()';
    const before = await query(kql, fromMs, toMs);
    const generated = allRows().filter((r) => (r['TimeGenerated'] as number) >= fromMs && (r['TimeGenerated'] as number) < toMs).length;
    expect(before[0]?.['n']).toBe(visibleRows(fromMs, toMs).length);
    expect(before[0]?.['n']).toBeLessThan(generated);
    // The delays themselves: Azure Monitor's documented typical range, with a tail.
    const delays = [...Array(em.log.length).keys()].map((i) => em.log.visibleAtMs(i) - em.log.timeAt(i)).sort((a, b) => a - b);
    expect(delays[0]).toBeGreaterThanOrEqual(20_000);
    expect(delays[delays.length - 1]).toBeLessThanOrEqual(9 * MINUTE);
    expect(nearestRank(delays, 50)).toBeGreaterThan(0.8 * MINUTE);
    expect(nearestRank(delays, 50)).toBeLessThan(1.2 * MINUTE);
    expect(nearestRank(delays, 95)).toBeGreaterThan(2.7 * MINUTE);
    expect(nearestRank(delays, 95)).toBeLessThan(3.3 * MINUTE);
    // The newest minutes fill in gradually: some of the last minute is visible, not all of minute -4.
    const minuteAgo = visibleRows(toMs - MINUTE, toMs).length;
    expect(minuteAgo).toBeLessThan(300);
    const fourMinutesAgo = visibleRows(toMs - 5 * MINUTE, toMs - 4 * MINUTE).length;
    expect(fourMinutesAgo).toBeGreaterThan(minuteAgo);
    clock.advanceMinutes(9);
    const after = await query(kql, fromMs, toMs);
    expect(after[0]?.['n']).toBe(generated);
  });

  it('restricts rows to the request timespan', async () => {
    const fromMs = em.originMs + 5 * MINUTE;
    const toMs = em.originMs + 7 * MINUTE;
    const answer = await query(
      'AmlOnlineEndpointTrafficLog | summarize n = count(), first = min(TimeGenerated), last = max(TimeGenerated)',
      fromMs,
      toMs,
    );
    const rows = visibleRows(fromMs, toMs);
    expect(answer[0]?.['n']).toBe(rows.length);
    expect((answer[0]?.['first'] as Date).getTime()).toBeGreaterThanOrEqual(fromMs);
    expect((answer[0]?.['last'] as Date).getTime()).toBeLessThan(toMs);
  });

  it('answers an unsupported operator with BadArgumentError naming it', async () => {
    const client = logsClient(em);
    const error = await client
      .queryWorkspace(em.logAnalyticsWorkspaceId, 'AmlOnlineEndpointTrafficLog | join (AmlOnlineEndpointEventLog) on DeploymentName', {
        duration: 'PT1H',
      })
      .then(
        () => undefined,
        (e: unknown) => e as { statusCode?: number; code?: string; message?: string },
      );
    expect(error?.statusCode).toBe(400);
    expect(error?.code).toBe('BadArgumentError');
    expect(error?.message).toContain("Unsupported operator 'join'");
    const fn = await client
      .queryWorkspace(em.logAnalyticsWorkspaceId, 'AmlOnlineEndpointTrafficLog | summarize stdev(TotalDurationMs)', { duration: 'PT1H' })
      .then(
        () => undefined,
        (e: unknown) => e as { message?: string },
      );
    expect(fn?.message).toContain("'stdev'");
  });

  it('returns every column of the table alike whether a query projects them or not, with unique request ids', async () => {
    const fromMs = em.originMs + 30 * MINUTE;
    const toMs = em.originMs + 31 * MINUTE;
    const whole = await query('AmlOnlineEndpointTrafficLog | order by TimeGenerated asc | take 5', fromMs, toMs);
    const names = TRAFFIC_LOG_COLUMNS.map((c) => c.name);
    expect(Object.keys(whole[0] ?? {})).toEqual(names);
    const projected = await query(
      `AmlOnlineEndpointTrafficLog | order by TimeGenerated asc | take 5 | project ${names.join(', ')}`,
      fromMs,
      toMs,
    );
    expect(projected).toEqual(whole);
    expect(whole[0]?.['TimeGenerated']).toBeInstanceOf(Date);
    // The documented columns a custom metric may use (Azure Monitor's table reference).
    for (const name of ['AzureMLWorkspaceId', 'AzureMLWorkspaceName', 'IdentityData', 'OperationName', '_ResourceId', '_SubscriptionId'])
      expect(names).toContain(name);
    expect(whole[0]).toMatchObject({ AzureMLWorkspaceName: DEMO_COORDS.workspace, _SubscriptionId: DEMO_COORDS.subscriptionId });
    expect(String(whole[0]?.['_ResourceId'])).toBe(
      `${String(whole[0]?.['AzureMLWorkspaceId']).toLowerCase()}/onlineendpoints/credit-scoring`,
    );
    const ids = await query('AmlOnlineEndpointTrafficLog | summarize n = count(), ids = dcount(XRequestId)', fromMs, toMs);
    expect(ids[0]?.['ids']).toBe(ids[0]?.['n']);
    expect(ids[0]?.['n']).toBe(300);
  });

  it('answers 404 for an unknown workspace and counts queries', async () => {
    const before = em.counters.logQueries;
    const error = await logsClient(em)
      .queryWorkspace('11111111-2222-3333-4444-555555555555', 'AmlOnlineEndpointTrafficLog | take 1', { duration: 'PT1H' })
      .then(
        () => undefined,
        (e: unknown) => e as { statusCode?: number },
      );
    expect(error?.statusCode).toBe(404);
    expect(em.counters.logQueries).toBe(before + 1);
  });
});
