import { describe, expect, it } from 'vitest';
import { buildCustomMetricQuery, buildGateQueries, buildTrafficQuery } from '../../src/analysis/queries';
import type { GateSpec } from '../../src/analysis/types';

const target = {
  endpoint: 'credit-scoring',
  baseline: 'blue',
  candidate: 'green',
  window: { fromMs: Date.UTC(2026, 10, 23, 10, 0, 0), toMs: Date.UTC(2026, 10, 23, 10, 5, 0) },
};

// Golden text: a change to the generated KQL must show up here (and be checked against the
// emulator's subset in docs/gates.md).
const GOLDEN_TRAFFIC_QUERY = `AmlOnlineEndpointTrafficLog
| where TimeGenerated >= datetime(2026-11-23T10:00:00.000Z) and TimeGenerated < datetime(2026-11-23T10:05:00.000Z)
| where EndpointName == "credit-scoring" and DeploymentName in ("blue", "green")
| summarize requests = count(), errors5xx = countif(ResponseCode >= 500), modelErrors = countif(ModelStatusCode >= 500), p50 = percentile(TotalDurationMs, 50), p95 = percentile(TotalDurationMs, 95), p99 = percentile(TotalDurationMs, 99), latencies = make_list(TotalDurationMs, 5000) by DeploymentName`;

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
    expect(() => buildGateQueries({ ...spec, checks: [{ metric: 'latencyP90', max: 1 }] }, target)).toThrow(/checks\[0\]\.metric.*latencyP90/);
  });

  it('names the custom metric whose template is bad', () => {
    expect(() => buildCustomMetricQuery({ name: 'm', kql: 'T | where x == "{endpoint}"', higherIsWorse: true }, target)).toThrow(/customMetrics\.m\.kql/);
  });
});
