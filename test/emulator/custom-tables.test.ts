/**
 * Custom log tables: declared per scenario, filled per answered request by each model version,
 * served to KQL through the Log Analytics API with the traffic log's ingestion latency.
 */
import { LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoWorld, createEmulator, type Emulator } from '../../src/harness/emulator';
import { customTablesSchema } from '../../src/harness/emulator/custom-tables';
import { parseScenario } from '../../src/harness/sim/scenario';
import { ManualClock, deployGreenAndSplit, logsClient } from './helpers';

const started: Emulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((em) => em.stop()));
});

const TABLES = {
  CreditDecisions_CL: {
    'credit-model:1': { Approved: { probability: 0.3 }, Score: { mean: 600, sd: 20 }, Team: { value: 'risk' } },
    'credit-model:2': { Approved: { probability: 0.7 }, Score: { mean: 650, sd: 20 }, Team: { value: 'risk' } },
  },
};

async function query(em: Emulator, kql: string, fromMs: number, toMs: number): Promise<Record<string, unknown>[]> {
  const result = await logsClient(em).queryWorkspace(em.logAnalyticsWorkspaceId, kql, {
    startTime: new Date(fromMs),
    endTime: new Date(toMs),
  });
  if (result.status !== LogsQueryResultStatus.Success) throw new Error(`query status ${result.status}`);
  const table = result.tables[0]!;
  return table.rows.map((row) => Object.fromEntries(table.columnDescriptors.map((c, i) => [c.name ?? '', row[i]])));
}

describe('custom log tables', () => {
  it("fills a row per 2xx answer with the answering version's values, served to KQL once ingested", async () => {
    const clock = new ManualClock();
    const em = createEmulator({
      clock,
      seed: 8,
      world: createDemoWorld({
        versions: ['1', '2'],
        requestsPerMinute: 600,
        behavior: { 'credit-model:1': { errorRate: 0.1 }, 'credit-model:2': { errorRate: 0.1 } },
      }),
      customTables: TABLES,
    });
    await em.start();
    started.push(em);
    await deployGreenAndSplit(em, clock, { blue: 50, green: 50 });
    clock.advanceMinutes(30);
    const fromMs = clock.now() - 25 * 60_000;
    const toMs = clock.now() - 10 * 60_000;
    const rows = await query(
      em,
      `CreditDecisions_CL
| where TimeGenerated >= datetime(${new Date(fromMs).toISOString()}) and TimeGenerated < datetime(${new Date(toMs).toISOString()})
| where Endpoint == "credit-scoring" and DeploymentName in ("blue", "green")
| summarize n = count(), approved = avg(todouble(Approved)), score = avg(Score), teams = dcount(Team), version = max(ModelVersion) by DeploymentName
| order by DeploymentName asc`,
      fromMs,
      toMs,
    );
    // One row per request answered 200 by that deployment in the window (errors write no row).
    const answered = (deployment: string) => {
      let n = 0;
      for (let i = 0; i < em.log.length; i++) {
        const d = em.log.detail(i);
        const t = em.log.timeAt(i);
        if (d.deployment === deployment && d.responseCode === 200 && t >= fromMs && t < toMs) n++;
      }
      return n;
    };
    expect(rows.map((r) => [r['DeploymentName'], r['n'], r['version'], r['teams']])).toEqual([
      ['blue', answered('blue'), '1', 1],
      ['green', answered('green'), '2', 1],
    ]);
    const [blue, green] = rows;
    expect(blue?.['approved'] as number).toBeGreaterThan(0.25);
    expect(blue?.['approved'] as number).toBeLessThan(0.35);
    expect(green?.['approved'] as number).toBeGreaterThan(0.65);
    expect(green?.['approved'] as number).toBeLessThan(0.75);
    expect(green?.['score'] as number).toBeGreaterThan(640);
    // The newest rows are still arriving, as in the traffic log.
    const recent = await query(em, 'CreditDecisions_CL | summarize n = count()', clock.now() - 60_000, clock.now());
    const recentAnswered = [...Array(em.log.length).keys()].filter(
      (i) => em.log.timeAt(i) >= clock.now() - 60_000 && em.log.detail(i).responseCode === 200,
    ).length;
    expect(recent[0]?.['n'] as number).toBeLessThan(recentAnswered);
  });

  it('answers an unknown table with the Log Analytics error', async () => {
    const em = createEmulator({ clock: new ManualClock(), world: createDemoWorld(), customTables: TABLES });
    await em.start();
    started.push(em);
    const result = await logsClient(em)
      .queryWorkspace(em.logAnalyticsWorkspaceId, 'Nope_CL | count', { duration: 'PT1H' })
      .catch((e: unknown) => e);
    expect(String((result as Error).message)).toMatch(/Failed to resolve table or column expression named 'Nope_CL'/);
  });

  it.each([
    ['a table name without _CL', { CreditDecisions: TABLES.CreditDecisions_CL }, /end in _CL/],
    ['a fixed column redefined', { T_CL: { 'm:1': { DeploymentName: { value: 'x' } } } }, /DeploymentName.*already/],
    [
      'versions filling different columns',
      { T_CL: { 'm:1': { A: { probability: 0.5 } }, 'm:2': { B: { probability: 0.5 } } } },
      /every version fills the same columns/,
    ],
    [
      'a column of two types',
      { T_CL: { 'm:1': { A: { probability: 0.5 } }, 'm:2': { A: { mean: 1, sd: 1 } } } },
      /is a real here but a bool/,
    ],
    ['a probability above 1', { T_CL: { 'm:1': { A: { probability: 1.5 } } } }, /A/],
    ['a bad model key', { T_CL: { 'credit-model': { A: { probability: 0.5 } } } }, /model:version/],
    ['no version', { T_CL: {} }, /at least one model version/],
  ])('refuses %s, naming what is wrong', (_name, tables, message) => {
    const parsed = customTablesSchema.safeParse(tables);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(message);
    expect(() => createEmulator({ clock: new ManualClock(), customTables: tables as never })).toThrow(/customTables/);
  });

  it('is an optional scenario field: files without it parse as before, a bad one names the field', () => {
    const scenario = {
      name: 's',
      endpoint: 'credit-scoring',
      policy: 'p.yaml',
      live: { deployment: 'blue', model: 'credit-model', version: '1' },
      register: { model: 'credit-model', version: '2' },
      traffic: { requestsPerMinute: 60 },
      behavior: { 'credit-model:1': {}, 'credit-model:2': {} },
    };
    expect(parseScenario(JSON.stringify(scenario), 's.json').customTables).toBeUndefined();
    expect(parseScenario(JSON.stringify({ ...scenario, customTables: TABLES }), 's.json').customTables).toEqual(TABLES);
    expect(() => parseScenario(JSON.stringify({ ...scenario, customTables: { Bad: {} } }), 's.json')).toThrow(/s\.json.*customTables\.Bad/);
  });
});
