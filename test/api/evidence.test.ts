import { describe, expect, it } from 'vitest';
import { apiRequest, type ApiResponse } from '../../src/api/http';
import { getRolloutEvidence, handle } from '../../src/api/rollouts';
import { rolloutEvidenceSchema } from '../../src/api/schemas';
import { buildOpenApiDocument } from '../../src/api/openapi';
import type { GateResult, GateSpec } from '../../src/analysis/types';
import { recordLooks, type EvidenceHistory } from '../../src/plan/evidence-history';
import { makeDeps, statusOf } from './fakes';

const MIN = 60_000;
type Deps = ReturnType<typeof makeDeps>;

function get(deps: Deps, id: string, key = 'test-key'): Promise<ApiResponse> {
  const request = apiRequest({
    method: 'GET',
    url: `http://ctl.example/api/rollouts/${id}/evidence`,
    params: { id },
    headers: { 'x-functions-key': key },
  });
  return handle(deps, 'test', () => getRolloutEvidence(request, deps));
}

const spec: GateSpec = {
  name: 'health',
  checks: [{ metric: 'failedRequestRate', max: 0.02, maxRatioToBaseline: 1.5 }],
  customMetrics: [],
  confidence: 0.95,
  minRequestsPerDeployment: 200,
  windowMinutes: 10,
  ingestionDelayMinutes: 5,
  plannedLooks: 10,
};

function look(n: number, candidate: number, verdict: GateResult['verdict']): GateResult {
  const atMs = 1_700_000_000_000 + n * 5 * MIN;
  return {
    gate: 'health',
    verdict,
    look: n,
    checkedAtMs: atMs,
    window: { fromMs: atMs - 10 * MIN, toMs: atMs },
    candidate: 'credit-model-v2',
    baseline: 'blue',
    reason: verdict,
    evidence: [
      {
        metric: 'failedRequestRate',
        verdict,
        candidate,
        baseline: 0.01,
        samples: { candidate: 600, baseline: 5400 },
        threshold: '<= 0.02 and <= 1.5x baseline',
        test: 'exact binomial',
        pValue: 0.001,
        passPValue: 0.2,
        parts: [{ kind: 'max', verdict, threshold: '<= 0.02', test: 'exact binomial', bound: candidate * 1.3, reason: '' }],
        reason: verdict,
      },
    ],
  };
}

describe('GET /api/rollouts/{id}/evidence', () => {
  it('serves every kept look of every check in named fields, valid against its OpenAPI schema', async () => {
    const deps = makeDeps();
    const plan = { gates: { health: spec }, candidate: { deployment: 'credit-model-v2' }, baseline: { deployment: 'blue' } };
    let history: EvidenceHistory = [];
    history = recordLooks(history, plan, [look(1, 0.011, 'inconclusive')], { blue: 90, 'credit-model-v2': 10 }, {});
    history = recordLooks(history, plan, [look(2, 0.03, 'fail')], { blue: 75, 'credit-model-v2': 25 }, {});
    deps.client.put('r1', 'Running', statusOf({ evidenceHistory: history }));
    const response = await get(deps, 'r1');
    expect(response.status).toBe(200);
    const body = rolloutEvidenceSchema.parse(response.jsonBody);
    expect(body).toMatchObject({ rolloutId: 'r1', candidate: 'credit-model-v2', baseline: 'blue', looksPerGate: 10 });
    const [gate] = body.gates;
    expect([gate?.gate, gate?.recorded, gate?.kept]).toEqual(['health', 2, 2]);
    const points = gate?.checks[0]?.points ?? [];
    expect(points.map((p) => [p.look, p.verdict, p.candidate, p.traffic.candidate, p.allowed.max])).toEqual([
      [1, 'inconclusive', 0.011, 10, 0.015],
      [2, 'fail', 0.03, 25, 0.015],
    ]);
    // A fail is decided by the "violates" test; an inconclusive look shows how far the "within" test got.
    expect(points.map((p) => p.pValue)).toEqual([0.2, 0.001]);
    expect(points[1]?.confidence).toEqual({ upper: 0.039 });
  });

  it('a rollout before its first look has no gates; a status without history (older versions) too', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', statusOf());
    const body = rolloutEvidenceSchema.parse((await get(deps, 'r1')).jsonBody);
    expect(body.gates).toEqual([]);
  });

  it('refuses what is wrong with a clear error: unknown id 404, malformed id 400, missing key 401', async () => {
    const deps = makeDeps();
    expect((await get(deps, 'nope')).status).toBe(404);
    expect((await get(deps, 'a b')).status).toBe(400);
    deps.client.put('r1', 'Running', statusOf());
    expect((await get(deps, 'r1', 'wrong')).status).toBe(401);
  });

  it('is documented in the OpenAPI document', () => {
    const doc = buildOpenApiDocument('http://localhost/api');
    expect(Object.keys(doc.paths ?? {})).toContain('/rollouts/{id}/evidence');
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(expect.arrayContaining(['RolloutEvidence', 'EvidencePoint']));
  });
});
