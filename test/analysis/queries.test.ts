import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildCustomMetricQuery,
  buildGateQueries,
  buildTrafficQuery,
  isFailedResponse,
  workspaceResourceId,
} from '../../src/analysis/queries';
import { DateTimeValue, evaluate, type Row, type Table } from '../../src/harness/emulator/kql/evaluator';
import { parseQuery } from '../../src/harness/emulator/kql/parser';
import { TRAFFIC_LOG_COLUMNS, TrafficLog } from '../../src/harness/emulator/traffic-log';
import type { GateSpec } from '../../src/analysis/types';

const target = {
  workspace: { subscriptionId: 'sub-1', resourceGroup: 'rg-ml', workspace: 'ml-prod' },
  endpoint: 'credit-scoring',
  baseline: 'blue',
  candidate: 'green',
  window: { fromMs: Date.UTC(2026, 10, 23, 10, 0, 0), toMs: Date.UTC(2026, 10, 23, 10, 5, 0) },
};

// Golden text: a change to the generated KQL must show up here (and be checked against the
// emulator's subset in docs/gates.md).
const GOLDEN_TRAFFIC_QUERY = `AmlOnlineEndpointTrafficLog
| where TimeGenerated >= datetime(2026-11-23T10:00:00.000Z) and TimeGenerated < datetime(2026-11-23T10:05:00.000Z)
| where _ResourceId =~ "/subscriptions/sub-1/resourcegroups/rg-ml/providers/microsoft.machinelearningservices/workspaces/ml-prod" or _ResourceId startswith "/subscriptions/sub-1/resourcegroups/rg-ml/providers/microsoft.machinelearningservices/workspaces/ml-prod/"
| where EndpointName == "credit-scoring" and DeploymentName in ("blue", "green")
| summarize requests = count(), failed = countif(ResponseCode in (408, 424, 429) or ResponseCode >= 500), modelErrors = countif(ResponseCode == 424 or ModelStatusCode >= 500), p50 = percentile(TotalDurationMs, 50), p95 = percentile(TotalDurationMs, 95), p99 = percentile(TotalDurationMs, 99), latencies = make_list(TotalDurationMs, 5000) by DeploymentName`;

const spec: GateSpec = {
  name: 'health',
  checks: [
    { metric: 'errorRate5xx', max: 0.02, maxRatioToBaseline: 1.5, critical: true },
    { metric: 'latencyP95', maxRatioToBaseline: 1.2 },
    { metric: 'accuracy', maxIncreaseOverBaseline: 0.01 },
  ],
  customMetrics: [
    {
      name: 'accuracy',
      kql: 'Feedback | where TimeGenerated >= {from} and TimeGenerated < {to} and Endpoint == {endpoint} and DeploymentName in {deployments} | summarize value = avg(Correct) by DeploymentName',
      higherIsWorse: false,
    },
    { name: 'unused', kql: 'X | where E == {endpoint}', higherIsWorse: true },
  ],
  confidence: 0.95,
  minRequestsPerDeployment: 100,
  windowMinutes: 5,
  ingestionDelayMinutes: 5,
  plannedLooks: 5,
};

describe('buildTrafficQuery', () => {
  it('matches the golden query', () => {
    expect(buildTrafficQuery(target)).toBe(GOLDEN_TRAFFIC_QUERY);
  });

  it('lists one deployment when candidate and baseline are the same (recreate)', () => {
    expect(buildTrafficQuery({ ...target, candidate: 'blue' })).toContain('DeploymentName in ("blue")\n');
  });

  it('escapes hostile names', () => {
    const q = buildTrafficQuery({ ...target, endpoint: 'x" or 1==1 or "' });
    expect(q).toContain('EndpointName == "x\\" or 1==1 or \\""');
  });

  it.each([
    ['a newline in a deployment name', { ...target, candidate: 'green\n| union X' }, /deployments\[1\]/],
    ['an empty window', { ...target, window: { fromMs: 5, toMs: 5 } }, /fromMs < toMs/],
    ['a fractional window', { ...target, window: { fromMs: 1.5, toMs: 5 } }, /whole epoch/],
  ])('refuses %s', (_name, bad, message) => {
    expect(() => buildTrafficQuery(bad)).toThrow(message);
  });
});

describe('buildGateQueries', () => {
  it('returns the traffic query and one query per custom metric in use', () => {
    const queries = buildGateQueries(spec, target);
    expect(queries.map((q) => q.id)).toEqual(['traffic', 'custom:accuracy']);
    expect(queries[0]?.kql).toBe(GOLDEN_TRAFFIC_QUERY);
    expect(queries[1]?.kql).toBe(
      'Feedback | where TimeGenerated >= datetime(2026-11-23T10:00:00.000Z) and TimeGenerated < datetime(2026-11-23T10:05:00.000Z) and Endpoint == "credit-scoring" and DeploymentName in ("blue", "green") | summarize value = avg(Correct) by DeploymentName',
    );
    expect(queries.every((q) => q.fromMs === target.window.fromMs && q.toMs === target.window.toMs)).toBe(true);
  });

  it('refuses a check on an unknown metric, naming it', () => {
    expect(() => buildGateQueries({ ...spec, checks: [{ metric: 'latencyP90', max: 1 }] }, target)).toThrow(
      /checks\[0\]\.metric.*latencyP90/,
    );
  });

  it('names the custom metric whose template is bad', () => {
    expect(() => buildCustomMetricQuery({ name: 'm', kql: 'T | where x == "{endpoint}"', higherIsWorse: true }, target)).toThrow(
      /customMetrics\.m\.kql/,
    );
  });
});

describe('the built-in query is scoped to the workspace', () => {
  // Two Azure ML workspaces (prod and dev), each with an endpoint "credit-scoring", send their
  // traffic logs to one Log Analytics workspace: the rows of both sit in one table.
  // ml-prod2 shares ml-prod's id as a prefix: the scope must not take it for ml-prod.
  const prod = { subscriptionId: 'sub-1', resourceGroup: 'rg-ml', workspace: 'ml-prod' };
  const dev = { subscriptionId: 'sub-1', resourceGroup: 'rg-ml', workspace: 'ml-prod2' };
  const logOf = (ws: typeof prod) =>
    new TrafficLog({
      tenantId: 't',
      location: 'westeurope',
      resourceIdOf: (endpoint) => `${workspaceResourceId(ws)}/onlineendpoints/${endpoint}`,
    });

  function fill(log: TrafficLog, rows: readonly { deployment: string; responseCode: number }[]): void {
    rows.forEach((r, i) =>
      log.append({
        timeMs: target.window.fromMs + i * 1000,
        endpoint: 'credit-scoring',
        deployment: r.deployment,
        modelKey: 'm:1',
        responseCode: r.responseCode,
        modelStatusCode: r.responseCode === 424 ? 500 : r.responseCode === 200 ? 200 : 0,
        totalDurationMs: 40,
        requestDurationMs: 1,
        responseDurationMs: 1,
        requestPayloadSize: 10,
        responsePayloadSize: 10,
        requestIdHigh: i,
        requestIdLow: i,
        kind: 'live',
        userAgent: 'test',
      }),
    );
  }

  function table(...logs: TrafficLog[]): Table {
    const rows: Row[] = [];
    for (const log of logs) {
      for (let i = 0; i < log.length; i++) {
        const row = log.row(i);
        rows.push({ ...row, TimeGenerated: new DateTimeValue(row['TimeGenerated'] as number) } as Row);
      }
    }
    rows.sort((a, b) => (a['TimeGenerated'] as DateTimeValue).ms - (b['TimeGenerated'] as DateTimeValue).ms);
    return { columns: TRAFFIC_LOG_COLUMNS.map((c) => ({ name: c.name, type: c.type })), rows };
  }

  const code = fc.constantFrom(200, 200, 200, 408, 424, 429, 500, 503, 404);
  const rowsArb = fc.array(fc.record({ deployment: fc.constantFrom('blue', 'green'), responseCode: code }), { maxLength: 60 });

  it("never mixes two workspaces' endpoints of the same name (random rows)", () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, (prodRows, devRows) => {
        const prodLog = logOf(prod);
        const devLog = logOf(dev);
        fill(prodLog, prodRows);
        fill(devLog, devRows);
        const kql = buildTrafficQuery({ ...target, workspace: prod });
        const answer = evaluate(parseQuery(kql), table(prodLog, devLog), { nowMs: target.window.toMs });
        for (const deployment of ['blue', 'green']) {
          const mine = prodRows.filter((r) => r.deployment === deployment);
          const row = answer.rows.find((r) => r['DeploymentName'] === deployment);
          if (mine.length === 0) expect(row).toBeUndefined();
          else {
            expect(row?.['requests']).toBe(mine.length);
            expect(row?.['failed']).toBe(mine.filter((r) => isFailedResponse(r.responseCode)).length);
            expect(row?.['modelErrors']).toBe(mine.filter((r) => r.responseCode === 424).length);
          }
        }
      }),
      { numRuns: 60, seed: 4 },
    );
  });

  it('matches the resource id whatever its case (Azure Monitor lower-cases it)', () => {
    const kql = buildTrafficQuery({ ...target, workspace: { ...prod, resourceGroup: 'RG-ML' } });
    const log = logOf(prod);
    fill(log, [{ deployment: 'blue', responseCode: 200 }]);
    expect(evaluate(parseQuery(kql), table(log), { nowMs: target.window.toMs }).rows[0]?.['requests']).toBe(1);
  });
});

describe('isFailedResponse', () => {
  it.each([
    [200, false],
    [204, false],
    [400, false],
    [401, false],
    [404, false],
    [408, true],
    [424, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
  ])('%i -> %s', (code, failed) => {
    expect(isFailedResponse(code)).toBe(failed);
  });
});
