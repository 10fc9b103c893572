/**
 * "Does an approval wait?" has one answer (src/api/approval-wait.ts): the API's approve / reject,
 * the detail's allowedActions and the signed link handler agree on it, for every (runtime status,
 * published status, link step), by a table and by random combinations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { showApprovalLink } from '../../src/api/approval-link-handler';
import { apiRequest, type ApiResponse } from '../../src/api/http';
import { actOnRollout, handle, rolloutDetail } from '../../src/api/rollouts';
import { createApprovalLinks } from '../../src/approvals/approval-links';
import type { RuntimeStatus } from '../../src/ingest/ports';
import type { RolloutStatus } from '../../src/plan/types';
import { makeDeps, statusOf } from './fakes';

type Deps = ReturnType<typeof makeDeps>;

const PUBLISHED = {
  none: null,
  approvalAt5: statusOf({
    phase: 'AwaitingApproval',
    step: { index: 5, count: 8, kind: 'approval', description: 'approval before 100%' },
    waitingFor: { kind: 'approval', untilMs: 1_700_003_600_000, detail: 'approval "prod"' },
  }),
  baking: statusOf(),
  pausedAt5: statusOf({
    phase: 'Paused',
    paused: true,
    step: { index: 5, count: 8, kind: 'approval', description: 'approval before 100%' },
    waitingFor: { kind: 'resume', detail: 'paused by ops' },
  }),
  failedWaiting: statusOf({
    phase: 'Failed',
    outcome: 'failed',
    reason: 'createDeployment failed',
    waitingFor: { kind: 'resume', detail: 'retry' },
  }),
  rolledBackRetryingDelete: statusOf({
    phase: 'RolledBack',
    outcome: 'rolledBack',
    reason: 'gate errors failed',
    retrying: { step: 7, failures: 1, error: 'HTTP 409', nextAttemptAtMs: 1_700_000_300_000 },
  }),
  promoted: statusOf({ phase: 'Promoted', outcome: 'promoted', reason: 'all steps passed' }),
} satisfies Record<string, RolloutStatus | null>;
type Published = keyof typeof PUBLISHED;

const RUNTIME: readonly RuntimeStatus[] = [
  'Pending',
  'Running',
  'Suspended',
  'ContinuedAsNew',
  'Completed',
  'Failed',
  'Terminated',
  'Canceled',
];

/** What each side answers, in the terms they share. */
interface Answers {
  /** POST /api/rollouts/{id}/approve: the step raised (202), or 409 with its message. */
  readonly api: { status: number; step?: number; message?: string };
  /** GET /api/rollouts/{id}: whether approve and reject are offered. */
  readonly offered: boolean;
  /** GET /api/approvals/{token} (JSON): 200, or the refusal's problem. */
  readonly link: 'shown' | 'ended' | 'wrongStep';
}

async function answers(runtime: RuntimeStatus, published: Published, linkStep: number): Promise<Answers> {
  const deps: Deps = makeDeps();
  deps.client.put('r1', runtime, PUBLISHED[published]);
  const instance = (await deps.client.getStatus('r1'))!;
  const offered = rolloutDetail(instance, deps.clock.now()).allowedActions;
  expect(offered.includes('approve')).toBe(offered.includes('reject'));

  const { approveUrl } = createApprovalLinks({
    rolloutId: 'r1',
    step: linkStep,
    expiresAtMs: deps.clock.now() + 60_000,
    baseUrl: 'http://ctl.example',
    secret: deps.links.secret!,
  });
  const token = approveUrl.split('/api/approvals/')[1]!;
  const linkResponse = await handle(deps, 't', () =>
    showApprovalLink(apiRequest({ method: 'GET', url: approveUrl, params: { token }, headers: { accept: 'application/json' } }), deps),
  );
  // Asked after the link (which only reads), so the approval raised is the API's own.
  const apiResponse: ApiResponse = await handle(deps, 't', () =>
    actOnRollout(
      apiRequest({
        method: 'POST',
        url: 'http://ctl.example/api/rollouts/r1/approve',
        params: { id: 'r1', action: 'approve' },
        headers: { 'x-functions-key': 'test-key' },
        body: JSON.stringify({ by: 'alice@contoso.com' }),
      }),
      deps,
    ),
  );
  const apiBody = apiResponse.jsonBody as { step?: number; error?: { message: string } };
  const linkBody = linkResponse.jsonBody as { step?: number; error?: { problem: 'ended' | 'wrongStep' } };
  if (linkResponse.status === 200) expect(linkBody.step).toBe(linkStep);
  return {
    api: {
      status: apiResponse.status,
      ...(apiResponse.status === 202 ? { step: apiBody.step } : { message: apiBody.error?.message }),
    },
    offered: offered.includes('approve'),
    link: linkResponse.status === 200 ? 'shown' : linkBody.error!.problem,
  };
}

/** Running, nothing to decide: 409 with the API's words, approve not offered, the link out of date. */
const NOTHING_WAITS = (message: string): Answers => ({
  api: { status: 409, message: `rollout r1 ${message}` },
  offered: false,
  link: 'wrongStep',
});
const ENDED = (phase: string) => ({ status: 409, message: `rollout r1 has ended (${phase}); nothing waits for approval` });

describe('does an approval wait? one answer for the API, the detail and the signed link', () => {
  it.each<[RuntimeStatus, Published, number, Answers]>([
    ['Running', 'approvalAt5', 5, { api: { status: 202, step: 5 }, offered: true, link: 'shown' }],
    ['Suspended', 'approvalAt5', 5, { api: { status: 202, step: 5 }, offered: true, link: 'shown' }],
    ['Running', 'approvalAt5', 3, { api: { status: 202, step: 5 }, offered: true, link: 'wrongStep' }],
    ['Running', 'baking', 3, NOTHING_WAITS('is not waiting for an approval (phase Baking, step 4 of 8 (bake))')],
    ['Running', 'pausedAt5', 5, NOTHING_WAITS('is not waiting for an approval (phase Paused, step 6 of 8 (approval))')],
    ['Pending', 'none', 0, NOTHING_WAITS('has not published its status yet; nothing waits for approval')],
    ['Running', 'failedWaiting', 3, NOTHING_WAITS('is not waiting for an approval (phase Failed, step 4 of 8 (bake))')],
    ['Running', 'rolledBackRetryingDelete', 3, { api: ENDED('RolledBack'), offered: false, link: 'ended' }],
    ['Completed', 'promoted', 5, { api: ENDED('Promoted'), offered: false, link: 'ended' }],
    // A published status that still says "waits" is not believed once the orchestration has ended.
    ['Terminated', 'approvalAt5', 5, { api: ENDED('AwaitingApproval'), offered: false, link: 'ended' }],
    ['Failed', 'none', 5, { api: ENDED('Failed'), offered: false, link: 'ended' }],
    ['Terminated', 'none', 5, { api: ENDED('Aborted'), offered: false, link: 'ended' }],
  ])('%s, published %s, link for step %i', async (runtime, published, linkStep, expected) => {
    expect(await answers(runtime, published, linkStep)).toEqual(expected);
  });

  it('agree for any runtime status, published status and link step', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...RUNTIME),
        fc.constantFrom(...(Object.keys(PUBLISHED) as Published[])),
        fc.integer({ min: 0, max: 7 }),
        async (runtime, published, linkStep) => {
          const { api, offered, link } = await answers(runtime, published, linkStep);
          // The detail offers approve exactly when the API takes it.
          expect(offered).toBe(api.status === 202);
          // The link works exactly when the API would raise the approval of the link's step.
          expect(link === 'shown').toBe(api.status === 202 && api.step === linkStep);
          // Both say "ended" for the same rollouts.
          expect(link === 'ended').toBe(api.message?.includes('has ended') === true);
        },
      ),
      { numRuns: 150, seed: 11 },
    );
  });
});
