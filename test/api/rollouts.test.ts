import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiRequest, type ApiResponse } from '../../src/api/http';
import { actOnRollout, getRollout, handle, listRollouts, startRolloutHandler } from '../../src/api/rollouts';
import { RolloutError } from '../../src/errors';
import { APPROVAL_EVENT, approvalEventSchema, CONTROL_EVENT, controlEventSchema } from '../../src/orchestration/events';
import type { ModelRegistry } from '../../src/ports/model-registry';
import { makeDeps, principalHeader, statusOf, WORKSPACE } from './fakes';

const KEY = { 'x-functions-key': 'test-key' };
type Deps = ReturnType<typeof makeDeps>;

function call(
  fn: typeof actOnRollout,
  deps: Deps,
  parts: { method?: string; path?: string; params?: Record<string, string>; headers?: Record<string, string>; body?: unknown },
): Promise<ApiResponse> {
  const request = apiRequest({
    method: parts.method ?? 'POST',
    url: `http://ctl.example/api/${parts.path ?? 'rollouts'}`,
    params: parts.params ?? {},
    headers: { ...KEY, ...(parts.headers ?? {}) },
    body: parts.body === undefined ? '' : typeof parts.body === 'string' ? parts.body : JSON.stringify(parts.body),
  });
  return handle(deps, 'test', () => fn(request, deps));
}

function act(deps: Deps, id: string, action: string, body?: unknown, headers?: Record<string, string>) {
  return call(actOnRollout, deps, { params: { id, action }, body, headers, path: `rollouts/${id}/${action}` });
}

function errorOf(response: ApiResponse): { code: string; message: string; field?: string } {
  return (response.jsonBody as { error: { code: string; message: string; field?: string } }).error;
}

const waiting = () =>
  statusOf({
    phase: 'AwaitingApproval',
    step: { index: 5, count: 8, kind: 'approval', description: 'approval before 100%' },
    waitingFor: { kind: 'approval', untilMs: 1_700_003_600_000, detail: 'approval "prod" by alice' },
  });

describe('authentication and authorization', () => {
  it('401 without a key, and with a wrong key', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waiting());
    const missing = await call(actOnRollout, deps, { params: { id: 'r1', action: 'approve' }, headers: { 'x-functions-key': '' } });
    expect(missing.status).toBe(401);
    expect(errorOf(missing).message).toMatch(/missing API key/);
    const wrong = await act(deps, 'r1', 'approve', undefined, { 'x-functions-key': 'nope' });
    expect(wrong.status).toBe(401);
    expect(deps.client.raised).toHaveLength(0);
  });

  it('accepts the key as the code query parameter', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waiting());
    const request = apiRequest({
      method: 'POST',
      url: 'http://ctl.example/api/rollouts/r1/approve?code=test-key',
      params: { id: 'r1', action: 'approve' },
    });
    expect((await handle(deps, 't', () => actOnRollout(request, deps))).status).toBe(202);
  });

  it('401 for a malformed x-ms-client-principal', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waiting());
    expect((await act(deps, 'r1', 'approve', undefined, { 'x-ms-client-principal': 'not base64 json' })).status).toBe(401);
    expect((await act(deps, 'r1', 'approve', undefined, { 'x-ms-client-principal': principalHeader({ roles: 'x' }) })).status).toBe(401);
  });

  it('403 for an authenticated principal not on the approvers list', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waiting());
    const response = await act(deps, 'r1', 'approve', undefined, {
      'x-ms-client-principal': principalHeader({ upn: 'mallory@contoso.com' }),
    });
    expect(response.status).toBe(403);
    expect(errorOf(response).message).toMatch(/mallory@contoso.com is not an allowed approver/);
    expect(deps.client.raised).toHaveLength(0);
  });

  it("records the authenticated identity, never the body's by", async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waiting());
    const response = await act(
      deps,
      'r1',
      'approve',
      { by: 'ceo@contoso.com', comment: 'ship it' },
      {
        'x-ms-client-principal': principalHeader({
          'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'Alice@Contoso.com',
          name: 'Alice',
        }),
      },
    );
    expect(response.status).toBe(202);
    const event = approvalEventSchema.parse(deps.client.raised[0]?.data);
    expect(event).toMatchObject({ decision: 'approve', by: 'Alice@Contoso.com', step: 5, rolloutId: 'r1', comment: 'ship it' });
  });

  it('admits a principal through a group', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waiting());
    const response = await act(deps, 'r1', 'reject', undefined, {
      'x-ms-client-principal': principalHeader({ preferred_username: 'bob@contoso.com', groups: ['ML-Approvers'] }),
    });
    expect(response.status).toBe(202);
    expect(deps.client.raised[0]).toMatchObject({ name: APPROVAL_EVENT, data: { decision: 'reject', by: 'bob@contoso.com' } });
  });

  it('ignores x-ms-client-principal when the host does not vouch for it', async () => {
    const deps = makeDeps({ auth: { apiKey: 'test-key', trustClientPrincipal: false } });
    deps.client.put('r1', 'Running', waiting());
    const response = await act(
      deps,
      'r1',
      'approve',
      { by: 'automation' },
      { 'x-ms-client-principal': principalHeader({ upn: 'mallory@contoso.com' }) },
    );
    expect(response.status).toBe(202);
    expect(deps.client.raised[0]?.data).toMatchObject({ by: 'automation' });
  });

  it('a forged x-ms-client-principal-name is a claim like any other when not trusted; trusted, it is the verified identity', async () => {
    const untrusted = makeDeps({ auth: { apiKey: 'test-key', trustClientPrincipal: false } });
    untrusted.client.put('r1', 'Running', waiting());
    const forged = await act(
      untrusted,
      'r1',
      'approve',
      { by: 'automation', comment: 'ok' },
      { 'x-ms-client-principal-name': 'alice@contoso.com' },
    );
    expect(forged.jsonBody).toMatchObject({ by: 'automation', identity: { name: 'automation', verified: false, source: 'apiKey' } });
    expect(untrusted.client.raised[0]?.data).toMatchObject({
      by: 'automation',
      comment: 'ok (name claimed by an API key holder, not verified)',
    });

    const trusted = makeDeps();
    trusted.client.put('r1', 'Running', waiting());
    const signedIn = await act(
      trusted,
      'r1',
      'approve',
      { by: 'ceo@contoso.com', comment: 'ok' },
      { 'x-ms-client-principal-name': 'alice@contoso.com' },
    );
    expect(signedIn.jsonBody).toMatchObject({
      by: 'alice@contoso.com',
      identity: { name: 'alice@contoso.com', verified: true, source: 'appServiceAuth' },
    });
    expect(trusted.client.raised[0]?.data).toMatchObject({ by: 'alice@contoso.com', comment: 'ok' });
    // The name header alone carries no groups: a stranger is still refused by the allow-list.
    trusted.client.put('r2', 'Running', waiting());
    expect((await act(trusted, 'r2', 'approve', {}, { 'x-ms-client-principal-name': 'mallory@contoso.com' })).status).toBe(403);
  });

  it('403 for a key-only caller whose by is not on a people-only list (the orchestrator would ignore it)', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', statusOf());
    const anonymous = await act(deps, 'r1', 'pause');
    expect(anonymous.status).toBe(403);
    expect(errorOf(anonymous).message).toMatch(/"api-key" is not an allowed operator .* pass by \(CLI --by\) with one of: ops@contoso.com/);
    expect((await act(deps, 'r1', 'pause', { by: 'OPS@contoso.com' })).status).toBe(202);
    // A list with a group admits any key holder (the orchestrator cannot check groups against `by`).
    deps.client.put('r2', 'Running', waiting());
    expect((await act(deps, 'r2', 'approve', { by: 'anyone' })).status).toBe(202);
    // ...and a key holder without by acts as api-key there, as docs/api.md says.
    deps.client.put('r3', 'Running', waiting());
    const keyOnly = await act(deps, 'r3', 'approve');
    expect(keyOnly.status).toBe(202);
    expect(keyOnly.jsonBody).toMatchObject({ by: 'api-key' });
  });

  it('403 for a principal not on the operators list', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', statusOf());
    expect(
      (await act(deps, 'r1', 'abort', undefined, { 'x-ms-client-principal': principalHeader({ upn: 'alice@contoso.com' }) })).status,
    ).toBe(403);
    expect(
      (await act(deps, 'r1', 'abort', undefined, { 'x-ms-client-principal': principalHeader({ upn: 'ops@contoso.com' }) })).status,
    ).toBe(202);
  });
});

describe('actions', () => {
  it('approve raises the approval event for the waiting step', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waiting());
    const response = await act(deps, 'r1', 'approve', { by: 'alice@contoso.com' });
    expect(response).toMatchObject({ status: 202, jsonBody: { rolloutId: 'r1', action: 'approve', step: 5, by: 'alice@contoso.com' } });
    expect(deps.client.raised).toEqual([
      { instanceId: 'r1', name: APPROVAL_EVENT, data: expect.objectContaining({ step: 5, decision: 'approve' }) },
    ]);
  });

  it('409 when nothing waits for approval, or the rollout ended', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', statusOf());
    const notWaiting = await act(deps, 'r1', 'approve');
    expect(notWaiting.status).toBe(409);
    expect(errorOf(notWaiting).message).toMatch(/not waiting for an approval \(phase Baking, step 4 of 8/);
    deps.client.put('r2', 'Completed', statusOf({ phase: 'Promoted', outcome: 'promoted' }));
    expect((await act(deps, 'r2', 'reject')).status).toBe(409);
    deps.client.put('r3', 'Pending', null);
    expect((await act(deps, 'r3', 'approve')).status).toBe(409);
    expect(deps.client.raised).toHaveLength(0);
  });

  it('control actions raise the control event when they fit the phase', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', statusOf());
    for (const action of ['pause', 'promote', 'abort'] as const) {
      expect((await act(deps, 'r1', action, { by: 'ops@contoso.com', comment: `c-${action}` })).status).toBe(202);
    }
    expect(deps.client.raised.map((r) => [r.name, controlEventSchema.parse(r.data).action])).toEqual([
      [CONTROL_EVENT, 'pause'],
      [CONTROL_EVENT, 'promote'],
      [CONTROL_EVENT, 'abort'],
    ]);
  });

  it('409 for actions that do not fit the phase', async () => {
    const deps = makeDeps();
    deps.client.put('run', 'Running', statusOf());
    deps.client.put('paused', 'Running', statusOf({ phase: 'Paused', paused: true }));
    deps.client.put('failed', 'Running', statusOf({ phase: 'Failed' }));
    deps.client.put('back', 'Running', statusOf({ phase: 'RollingBack' }));
    deps.client.put('done', 'Completed', statusOf({ phase: 'RolledBack', outcome: 'rolledBack' }));
    // Rolled back, deleting the candidate still retried: the instance runs on, abort stops the retries.
    const retrying = { step: 3, failures: 2, error: 'ARM 500', nextAttemptAtMs: 1_700_000_600_000 };
    deps.client.put('cleanup', 'Running', statusOf({ phase: 'RolledBack', outcome: 'rolledBack', retrying }));
    deps.client.put('over', 'Running', statusOf({ phase: 'Aborted', outcome: 'aborted' }));
    const cases: [string, string, number][] = [
      ['run', 'resume', 409],
      ['run', 'retry', 409],
      ['paused', 'pause', 409],
      ['paused', 'resume', 202],
      ['failed', 'retry', 202],
      ['failed', 'promote', 409],
      ['failed', 'abort', 202],
      ['back', 'abort', 409],
      ['back', 'promote', 409],
      ['done', 'abort', 409],
      ['done', 'retry', 409],
      ['cleanup', 'abort', 202],
      ['cleanup', 'retry', 409],
      ['cleanup', 'pause', 409],
      ['cleanup', 'resume', 409],
      ['cleanup', 'promote', 409],
      ['over', 'abort', 409],
    ];
    for (const [id, action, expected] of cases) {
      const response = await act(deps, id, action, { by: 'ops@contoso.com' });
      expect([id, action, response.status]).toEqual([id, action, expected]);
    }
    expect(errorOf(await act(deps, 'cleanup', 'retry', { by: 'ops@contoso.com' })).message).toBe(
      'rollout cleanup has ended (RolledBack); only abort is possible while a failed delete is retried; retry is not possible',
    );
    expect(errorOf(await act(deps, 'over', 'abort', { by: 'ops@contoso.com' })).message).toBe(
      'rollout over has ended (Aborted); abort is not possible',
    );
  });

  it('400 naming the field for bad bodies and actions; 404 for unknown ids', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', statusOf());
    const badJson = await act(deps, 'r1', 'pause', '{not json');
    expect([badJson.status, errorOf(badJson).field]).toEqual([400, 'body']);
    const badField = await act(deps, 'r1', 'pause', { comment: 42 });
    expect([badField.status, errorOf(badField).field]).toEqual([400, 'body.comment']);
    const extra = await act(deps, 'r1', 'pause', { reason: 'x' });
    expect([extra.status, errorOf(extra).field]).toEqual([400, 'body']);
    const badAction = await act(deps, 'r1', 'explode');
    expect([badAction.status, errorOf(badAction).field]).toEqual([400, 'action']);
    const unknown = await act(deps, 'nope', 'pause');
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).message).toMatch(/no rollout with id "nope"/);
  });

  it('hostile ids (percent signs, slashes, decoded garbage) are 400 naming the id on get and on every action, and reach no backend', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', statusOf());
    let lookups = 0;
    const getStatus = deps.client.getStatus.bind(deps.client);
    deps.client.getStatus = async (id) => {
      lookups += 1;
      return getStatus(id);
    };
    // What a router hands over for /api/rollouts/%25, %zz, %C0%AF, %2F, %00 ... (decoded or not).
    const hostile = [
      '%',
      '%zz',
      '%C0%AF',
      '\u00c0\u00af',
      'a/b',
      'a\\b',
      'a#b',
      'a?b',
      'a b',
      '\u0000',
      '..%2F..',
      '%25',
      'r1%',
      '\u{1F600}',
      'x'.repeat(257),
      '',
    ];
    for (const id of hostile) {
      for (const response of [await call(getRollout, deps, { method: 'GET', params: { id } }), await act(deps, id, 'abort')]) {
        expect([id, response.status, errorOf(response).field]).toEqual([id, 400, 'id']);
        expect(errorOf(response).message).toMatch(/letters, digits/);
      }
    }
    expect(lookups).toBe(0);
    expect(deps.client.raised).toHaveLength(0);
  });

  it('any string is a 400 or a 404 as an id, never a 500 (fast-check)', async () => {
    const deps = makeDeps();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (id) => {
        const response = await call(getRollout, deps, { method: 'GET', params: { id } });
        expect([400, 404]).toContain(response.status);
        expect(response.status === 404).toBe(/^[A-Za-z0-9._~-]{1,256}$/.test(id));
      }),
      { seed: 7, numRuns: 60 },
    );
  });

  it('a failing backend is a 500 without internals, and is logged', async () => {
    const deps = makeDeps();
    deps.client.getStatus = async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.1:443 secret-ish detail');
    };
    const response = await act(deps, 'r1', 'pause');
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.jsonBody)).not.toMatch(/ECONNREFUSED/);
    expect(deps.log.lines.some((l) => l.event === 'api.error')).toBe(true);
  });
});

describe('list and get', () => {
  it('filters by endpoint, model and status, and pages with continuation', async () => {
    const deps = makeDeps();
    for (let i = 0; i < 7; i += 1) {
      (deps.clock as unknown as { advance(ms: number): void }).advance(1000);
      deps.client.put(
        `a${i}`,
        i < 5 ? 'Running' : 'Completed',
        statusOf({
          rolloutId: `a${i}`,
          endpoint: i % 2 ? 'ep-odd' : 'ep-even',
          phase: i < 5 ? 'Baking' : 'Promoted',
          updatedAtMs: deps.clock.now(),
        }),
      );
    }
    deps.client.put('fresh', 'Pending', null, { model: { name: 'credit-model', version: '9' }, policyName: 'canary' });
    const list = async (query: string) => {
      const response = await call(listRollouts, deps, { method: 'GET', path: `rollouts${query}` });
      return response.jsonBody as { items: { rolloutId: string; phase: string }[]; continuation?: string };
    };
    expect((await list('?endpoint=ep-odd')).items.map((i) => i.rolloutId)).toEqual(['a5', 'a3', 'a1']);
    expect((await list('?status=promoted')).items.map((i) => i.rolloutId)).toEqual(['a6', 'a5']);
    expect((await list('?status=pending')).items.map((i) => i.rolloutId)).toEqual(['fresh']);
    expect((await list('?status=active&model=credit-model')).items).toHaveLength(6);
    const seen: string[] = [];
    let query = '?top=3';
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await list(query);
      seen.push(...page.items.map((i) => i.rolloutId));
      if (!page.continuation) break;
      query = `?top=3&continuation=${page.continuation}`;
    }
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    // Newest activity first, not newest created: a7, created last but quiet since before a1 moved, comes last.
    deps.client.put(
      'a7',
      'Running',
      statusOf({ rolloutId: 'a7', endpoint: 'ep-odd', phase: 'Baking', updatedAtMs: deps.clock.now() - 6500 }),
    );
    expect((await list('?endpoint=ep-odd')).items.map((i) => i.rolloutId)).toEqual(['a5', 'a3', 'a1', 'a7']);
    const unknownStatus = await call(listRollouts, deps, { method: 'GET', path: 'rollouts?status=promoted,finished' });
    expect(unknownStatus.status).toBe(400);
    expect(unknownStatus.jsonBody).toMatchObject({
      error: { message: expect.stringMatching(/status.*must be a comma-separated list of: active, ended/) },
    });
    const bad = await call(listRollouts, deps, { method: 'GET', path: 'rollouts?top=0' });
    expect([bad.status, errorOf(bad).field]).toEqual([400, 'query.top']);
    const badToken = await call(listRollouts, deps, { method: 'GET', path: 'rollouts?continuation=zzz' });
    expect([badToken.status, errorOf(badToken).field]).toEqual([400, 'continuation']);
  });

  it('returns the status and a readable history', async () => {
    const deps = makeDeps();
    deps.client.put(
      'r1',
      'Running',
      statusOf({
        journal: [{ atMs: 1000, step: 0, phase: 'Deploying', message: 'deploying credit-model-v2' }],
        gates: [
          {
            gate: 'errors',
            verdict: 'fail',
            look: 2,
            checkedAtMs: 3000,
            window: { fromMs: 0, toMs: 1 },
            candidate: 'g',
            baseline: 'b',
            reason: '5xx rate too high',
            evidence: [
              {
                metric: 'errorRate5xx',
                verdict: 'fail',
                candidate: 0.08,
                baseline: 0.01,
                samples: { candidate: 900, baseline: 8000 },
                threshold: '<= 1.5x baseline',
                test: 'two-proportion z',
                pValue: 0.0001,
                reason: 'higher',
              },
            ],
          },
        ],
        approvals: [{ step: 5, decision: 'approve', by: 'alice', atMs: 2000, accepted: false, note: 'wrong step' }],
        overrides: [{ action: 'pause', by: 'ops', atMs: 1500, step: 2 }],
      }),
    );
    const response = await call(getRollout, deps, { method: 'GET', params: { id: 'r1' }, path: 'rollouts/r1' });
    expect(response.status).toBe(200);
    const body = response.jsonBody as { status: { phase: string }; history: { kind: string; text: string }[] };
    expect(body.status.phase).toBe('Baking');
    expect(body.history.map((h) => h.kind)).toEqual(['journal', 'override', 'approval', 'gate']);
    expect(body.history[3]?.text).toMatch(/errorRate5xx fail: candidate 0.08 vs baseline 0.01 \(threshold <= 1.5x baseline; n=900\/8000/);
    expect(body.history[2]?.text).toMatch(/not acted upon: wrong step/);
    expect((await call(getRollout, deps, { method: 'GET', params: { id: 'x' } })).status).toBe(404);
    expect((await call(getRollout, deps, { method: 'GET', params: { id: 'a/b' } })).status).toBe(400);
  });
});

describe('manual start', () => {
  const registry = (tags: Record<string, string>): ModelRegistry => ({
    async getModelVersion(ref) {
      if (ref.version === '404') throw new RolloutError('NotFound', 'no such version');
      return { id: `/models/${ref.model}/versions/${ref.version}`, model: ref.model, version: ref.version, tags, properties: { p: '1' } };
    },
    async updateModelVersionTags() {
      throw new Error('unused');
    },
  });

  it('starts once (202), then reports the existing rollout (200)', async () => {
    const deps = makeDeps({ modelRegistry: registry({ team: 'risk' }) });
    const first = await call(startRolloutHandler, deps, { body: { model: 'credit-model', version: 3, by: 'ops@contoso.com' } });
    expect(first.status).toBe(202);
    expect(first.jsonBody).toMatchObject({ created: true, policy: 'canary', endpoint: 'credit-scoring' });
    expect(deps.client.started[0]?.input).toMatchObject({
      source: 'manual',
      requestedBy: 'ops@contoso.com',
      model: { version: '3', tags: { team: 'risk' }, properties: { p: '1' } },
    });
    const again = await call(startRolloutHandler, deps, { body: { model: 'credit-model', version: '3' } });
    expect(again.status).toBe(200);
    expect(again.jsonBody).toMatchObject({ created: false });
    expect(deps.client.started).toHaveLength(1);
  });

  it('retry of a Failed rollout whose version left the registry is 409 before anything is raised (it would supersede the running one)', async () => {
    const deps = makeDeps({ modelRegistry: registry({}) });
    const input = (version: string) => ({
      rolloutId: `old-v${version}`,
      workspace: WORKSPACE,
      model: { name: 'credit-model', version, tags: {}, properties: {} },
      policyName: 'canary',
    });
    deps.client.put('old-v404', 'Running', statusOf({ phase: 'Failed' }), input('404'));
    deps.client.put('old-v3', 'Running', statusOf({ phase: 'Failed' }), input('3'));
    const refused = await act(deps, 'old-v404', 'retry', { by: 'ops@contoso.com' });
    expect(refused.status).toBe(409);
    expect(errorOf(refused).message).toMatch(
      /old-v404 cannot be retried: model credit-model version 404 is not registered in workspace ws-prod/,
    );
    expect(deps.client.raised).toHaveLength(0);
    expect((await act(deps, 'old-v3', 'retry', { by: 'ops@contoso.com' })).status).toBe(202);
    expect(deps.client.raised.map((r) => r.instanceId)).toEqual(['old-v3']);
  });

  it('400 / 404 / 409 / 403 with clear messages', async () => {
    const deps = makeDeps({ modelRegistry: registry({}) });
    const missing = await call(startRolloutHandler, deps, { body: { version: '1' } });
    expect([missing.status, errorOf(missing).field]).toEqual([400, 'body.model']);
    const unknownPolicy = await call(startRolloutHandler, deps, { body: { model: 'credit-model', version: '1', policy: 'nope' } });
    expect([unknownPolicy.status, errorOf(unknownPolicy).field]).toEqual([400, 'policy']);
    expect((await call(startRolloutHandler, deps, { body: { model: 'credit-model', version: '404' } })).status).toBe(404);
    const noMatch = await call(startRolloutHandler, deps, { body: { model: 'fraud', version: '1' } });
    expect(noMatch.status).toBe(409);
    expect(errorOf(noMatch).message).toMatch(/no policy applies to model fraud:1/);
    const skipped = await call(startRolloutHandler, makeDeps({ modelRegistry: registry({ rollout: 'skip' }) }), {
      body: { model: 'credit-model', version: '1' },
    });
    expect(skipped.status).toBe(409);
    const forbidden = await call(startRolloutHandler, deps, {
      body: { model: 'credit-model', version: '1' },
      headers: { 'x-ms-client-principal': principalHeader({ upn: 'alice@contoso.com' }) },
    });
    expect(forbidden.status).toBe(403);
    expect(deps.client.started).toHaveLength(0);
  });
});
