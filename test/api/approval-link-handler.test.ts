import { describe, expect, it } from 'vitest';
import { showApprovalLink, useApprovalLink } from '../../src/api/approval-link-handler';
import { createApprovalLinks } from '../../src/approvals/approval-links';
import { apiRequest, type ApiResponse } from '../../src/api/http';
import { handle } from '../../src/api/rollouts';
import { APPROVAL_EVENT, approvalEventSchema } from '../../src/orchestration/events';
import { FakePolicyResolver, makeDeps, principalHeader, statusOf } from './fakes';

type Deps = ReturnType<typeof makeDeps>;
const SECRET = 'a-very-secret-signing-key-0123456789';

function waitingAt(step: number) {
  return statusOf({
    phase: 'AwaitingApproval',
    step: { index: step, count: 8, kind: 'approval', description: 'approval' },
    waitingFor: { kind: 'approval', detail: 'prod approval' },
  });
}

function links(deps: Deps, step = 5, expiresInMs = 60_000, rolloutId = 'r1') {
  const l = createApprovalLinks({
    rolloutId,
    step,
    expiresAtMs: deps.clock.now() + expiresInMs,
    baseUrl: 'http://ctl.example',
    secret: SECRET,
  });
  return { approve: l.approveUrl.split('/api/approvals/')[1]!, reject: l.rejectUrl.split('/api/approvals/')[1]! };
}

function get(deps: Deps, token: string, accept = 'text/html'): Promise<ApiResponse> {
  const request = apiRequest({ method: 'GET', url: `http://ctl.example/api/approvals/${token}`, params: { token }, headers: { accept } });
  return handle(deps, 't', () => showApprovalLink(request, deps));
}

function getWith(deps: Deps, token: string, headers: Record<string, string>): Promise<ApiResponse> {
  const request = apiRequest({
    method: 'GET',
    url: `http://ctl.example/api/approvals/${token}`,
    params: { token },
    headers: { accept: 'text/html', ...headers },
  });
  return handle(deps, 't', () => showApprovalLink(request, deps));
}

function post(deps: Deps, token: string, form = 'by=Alice&comment=looks+good', headers: Record<string, string> = {}): Promise<ApiResponse> {
  const request = apiRequest({
    method: 'POST',
    url: `http://ctl.example/api/approvals/${token}`,
    params: { token },
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form,
  });
  return handle(deps, 't', () => useApprovalLink(request, deps));
}

describe('signed approval links over HTTP', () => {
  it('GET shows a confirmation page and acts on nothing; POST decides once', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waitingAt(5));
    const { approve } = links(deps);
    const page = await get(deps, approve);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/Approve rollout of credit-model version 2\?/);
    expect(page.body).toMatch(/<form method="post">/);
    expect(deps.client.raised).toHaveLength(0);

    const used = await post(deps, approve);
    expect(used.status).toBe(200);
    expect(used.body).toMatch(/approved/);
    const event = approvalEventSchema.parse(deps.client.raised[0]?.data);
    expect(deps.client.raised[0]?.name).toBe(APPROVAL_EVENT);
    expect(event).toMatchObject({
      decision: 'approve',
      step: 5,
      rolloutId: 'r1',
      by: 'Alice',
      comment: 'looks good (via signed link; name claimed, not verified)',
    });
  });

  it('refuses a replayed link, and the twin link of the same request (409)', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waitingAt(5));
    const { approve, reject } = links(deps);
    expect((await post(deps, approve)).status).toBe(200);
    const replay = await post(deps, approve);
    expect(replay.status).toBe(409);
    expect(replay.body).toMatch(/already answered \(approve by Alice at /);
    expect((await post(deps, reject)).status).toBe(409);
    expect((await get(deps, approve)).status).toBe(409);
    expect(deps.client.raised).toHaveLength(1);
  });

  it('lets exactly one of many simultaneous uses through (the ledger entity decides, even when it lags)', async () => {
    const deps = makeDeps();
    deps.client.entityLagReads = 3;
    deps.client.put('r1', 'Running', waitingAt(5));
    const { approve, reject } = links(deps);
    const responses = await Promise.all([
      ...Array.from({ length: 5 }, () => post(deps, approve)),
      ...Array.from({ length: 5 }, () => post(deps, reject)),
    ]);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(9);
    expect(deps.client.raised).toHaveLength(1);
  });

  it('refuses an expired link (410)', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waitingAt(5));
    const { approve } = links(deps, 5, 1000);
    (deps.clock as unknown as { advance(ms: number): void }).advance(1000);
    const response = await post(deps, approve);
    expect(response.status).toBe(410);
    expect(response.body).toMatch(/expired at/);
    expect(deps.client.raised).toHaveLength(0);
  });

  it('an expired link gets a page for a person: what happened, what the rollout does now, what to do, who to ask', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waitingAt(5));
    const { approve } = links(deps, 5, 1000);
    (deps.clock as unknown as { advance(ms: number): void }).advance(1000);
    const page = await get(deps, approve);
    expect(page.status).toBe(410);
    expect(page.headers?.['content-type']).toMatch(/text\/html/);
    expect(page.body).toMatch(/<h1 class="bad">This approval link has expired<\/h1>/);
    expect(page.body).toMatch(/Rollout r1 still waits for this approval \(step 6 of 8/);
    expect(page.body).toMatch(/<code>aml-rollout approve r1<\/code>/);
    expect(page.body).toMatch(/href="http:\/\/ctl.example\/api\/dashboard\/#\/rollouts\/r1"/);
    expect(page.body).toMatch(/Who to ask.*alice@contoso.com, group:ml-approvers, ops@contoso.com/s);

    // The same link once the rollout has ended says so, and offers nothing to decide.
    deps.client.put('r1', 'Completed', statusOf({ phase: 'RolledBack', outcome: 'rolledBack', reason: 'approval timed out' }));
    const ended = await get(deps, approve);
    expect(ended.body).toMatch(/Rollout r1 has ended: RolledBack \(approval timed out\)/);
    expect(ended.body).toMatch(/nothing to decide through this link/);
    expect(ended.body).not.toMatch(/aml-rollout approve/);
  });

  it('an already-used link says by whom and when, and what the rollout does now', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waitingAt(5));
    const { approve, reject } = links(deps);
    expect((await post(deps, approve)).status).toBe(200);
    const page = await get(deps, reject);
    expect(page.status).toBe(409);
    expect(page.body).toMatch(/This approval request was already answered/);
    expect(page.body).toMatch(/approve by Alice at /);
    expect(page.body).toMatch(/<h2>Now<\/h2>/);
  });

  it('the page shows a typed name as claimed, and a trusted signed-in approver as verified', async () => {
    const untrusted = makeDeps({ auth: { apiKey: 'test-key', trustClientPrincipal: false } });
    untrusted.client.put('r1', 'Running', waitingAt(5));
    const forgedHeader = { 'x-ms-client-principal': principalHeader({ upn: 'alice@contoso.com' }) };
    const claimedPage = await getWith(untrusted, links(untrusted).approve, forgedHeader);
    expect(claimedPage.body).toMatch(/Claimed, not verified/);
    expect(claimedPage.body).not.toMatch(/signed in as/);
    const used = await post(untrusted, links(untrusted).approve, 'by=Alice', forgedHeader);
    expect(used.body).toMatch(/a claimed name/);
    expect(untrusted.client.raised[0]?.data).toMatchObject({ by: 'Alice', comment: '(via signed link; name claimed, not verified)' });

    const trusted = makeDeps();
    trusted.client.put('r1', 'Running', waitingAt(5));
    const verifiedPage = await getWith(trusted, links(trusted).approve, forgedHeader);
    expect(verifiedPage.body).toMatch(/You are signed in as <b>alice@contoso.com<\/b> \(verified/);
    expect(verifiedPage.body).not.toMatch(/Claimed, not verified/);
  });

  it('refuses a tampered link (403)', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waitingAt(5));
    const { approve, reject } = links(deps);
    const forged = `${reject.split('.')[0]}.${approve.split('.')[1]}`;
    const response = await post(deps, forged);
    expect(response.status).toBe(403);
    expect(response.body).toMatch(/signature does not match/);
    expect((await get(deps, 'garbage')).status).toBe(400);
    expect(deps.client.raised).toHaveLength(0);
  });

  it('refuses a link for another step (409), and one whose rollout ended', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waitingAt(6));
    const response = await post(deps, links(deps, 5).approve, 'by=x', { accept: 'application/json' });
    expect(response.status).toBe(409);
    expect(response.jsonBody).toMatchObject({ error: { problem: 'wrongStep' } });
    expect((response.jsonBody as { error: { message: string } }).error.message).toMatch(
      /for the approval at step 6 .* now waits for the approval at step 7/,
    );
    deps.client.put('r2', 'Completed', statusOf({ rolloutId: 'r2', phase: 'Promoted' }));
    expect((await post(deps, links(deps, 5, 60_000, 'r2').approve)).status).toBe(409);
    expect(deps.client.raised).toHaveLength(0);
  });

  it('records the App Service identity over the form name', async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waitingAt(5));
    const response = await post(deps, links(deps).reject, 'by=Someone', {
      'x-ms-client-principal': principalHeader({ upn: 'alice@contoso.com' }),
      accept: 'application/json',
    });
    expect(response.status).toBe(202);
    expect(deps.client.raised[0]?.data).toMatchObject({ decision: 'reject', by: 'alice@contoso.com' });
  });

  it("a signed-in stranger (forwarded link) gets 403 and spends nothing: the approver's link still works", async () => {
    const deps = makeDeps();
    deps.client.put('r1', 'Running', waitingAt(5));
    const { approve, reject } = links(deps);
    const mallory = { 'x-ms-client-principal': principalHeader({ upn: 'mallory@contoso.com' }), accept: 'application/json' };
    for (const token of [approve, reject]) {
      const refused = await post(deps, token, 'by=alice@contoso.com', mallory);
      expect(refused.status).toBe(403);
      expect(JSON.stringify(refused.jsonBody)).toMatch(/mallory@contoso.com is not an approver of this rollout .*still works/);
    }
    expect(deps.client.raised).toHaveLength(0);
    expect(await deps.client.readEntityState('approvalLinks', 'r1')).toBeUndefined();
    // alice is on the list by name; a member of group ml-approvers through the group claim.
    const alice = await post(deps, approve, '', {
      'x-ms-client-principal': principalHeader({ upn: 'alice@contoso.com' }),
      accept: 'application/json',
    });
    expect(alice.status).toBe(202);
    expect(deps.client.raised.map((r) => (r.data as { by: string }).by)).toEqual(['alice@contoso.com']);
  });

  it('who may spend a link, by caller (table): principals are checked against the approvers before the ledger', async () => {
    const cases: [string, Record<string, string>, string, number][] = [
      ['approver by upn', { upn: 'Alice@Contoso.com' }, '', 202],
      ['approver by group', { upn: 'dave@contoso.com', groups: 'ML-Approvers' }, '', 202],
      ['other group', { upn: 'dave@contoso.com', groups: 'finance' }, '', 403],
      ['stranger naming an approver', { upn: 'eve@contoso.com' }, 'by=alice@contoso.com', 403],
    ];
    for (const [what, claims, form, expected] of cases) {
      const deps = makeDeps();
      deps.client.put('r1', 'Running', waitingAt(5));
      const response = await post(deps, links(deps).approve, form, {
        'x-ms-client-principal': principalHeader(claims),
        accept: 'application/json',
      });
      expect([what, response.status]).toEqual([what, expected]);
      expect([what, deps.client.raised.length]).toEqual([what, expected === 202 ? 1 : 0]);
    }
  });

  it("a principal is refused when the rollout's policy is no longer loaded (nobody to check against)", async () => {
    const deps = makeDeps({ policies: new FakePolicyResolver([]) });
    deps.client.put('r1', 'Running', waitingAt(5));
    const response = await post(deps, links(deps).approve, '', {
      'x-ms-client-principal': principalHeader({ upn: 'alice@contoso.com' }),
      accept: 'application/json',
    });
    expect(response.status).toBe(403);
    expect(JSON.stringify(response.jsonBody)).toMatch(/no longer loaded/);
    expect(deps.client.raised).toHaveLength(0);
  });

  it('with a people-only approver list, the page offers those names and a name off the list is refused without using the link', async () => {
    const deps = makeDeps({
      policies: new FakePolicyResolver([
        {
          name: 'canary',
          modelGlob: 'credit-*',
          endpoint: 'credit-scoring',
          access: { approvers: ['bob@contoso.com', 'carol@contoso.com'], operators: [] },
        },
      ]),
    });
    deps.client.put('r1', 'Running', waitingAt(5));
    const { approve } = links(deps);
    const page = await get(deps, approve);
    expect(page.body).toContain('<option value="bob@contoso.com">');
    const stranger = await post(deps, approve, 'by=mallory@contoso.com');
    expect(stranger.status).toBe(400);
    expect(stranger.body).toMatch(/mallory@contoso.com is not an approver of this rollout/);
    expect((await post(deps, approve, '')).status).toBe(400);
    const ok = await post(deps, approve, 'by=Bob@Contoso.com');
    expect(ok.status).toBe(200);
    expect(deps.client.raised).toHaveLength(1);
    expect(deps.client.raised[0]?.data).toMatchObject({ by: 'Bob@Contoso.com' });
  });

  it('404 when links are not configured', async () => {
    const deps = makeDeps({ links: { secret: undefined, ttlMinutes: 60, publicBaseUrl: 'http://x' } });
    expect((await get(deps, 'a.b')).status).toBe(404);
  });
});
