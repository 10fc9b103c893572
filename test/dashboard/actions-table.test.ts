/**
 * One rule for "may this action happen now": for every phase, with and without an approval
 * waiting, with a step being retried, on a running and on an ended instance, the buttons the
 * dashboard enables are exactly the actions the API accepts (202) rather than refuses (409).
 * The page reads the API's real detail body (rolloutDetail); the API is asked through its real
 * handler (actOnRollout, its errors mapped by `handle`) with an allowed person acting, so 403
 * never hides a 409.
 */
import fc from 'fast-check';
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchDashboardBrowser, ORIGIN, type HeadlessChromium } from './chromium';
import { readStatic } from '../../src/dashboard/register';
import { actOnRollout, handle, rolloutDetail } from '../../src/api/rollouts';
import { apiRequest } from '../../src/api/http';
import { ROLLOUT_ACTIONS } from '../../src/api/schemas';
import type { InstanceSummary, RuntimeStatus } from '../../src/ingest/ports';
import { PHASE_TABLE } from '../../src/plan/phases';
import { PHASES, type Phase, type RolloutStatus } from '../../src/plan/types';
import { makeDeps, statusOf } from '../api/fakes';

type Variant = 'plain' | 'approval waiting' | 'retrying a step';

interface Case {
  readonly id: string;
  readonly phase: Phase | undefined;
  readonly variant: Variant;
  readonly runtimeStatus: RuntimeStatus;
  readonly status: RolloutStatus | undefined;
}

function statusFor(id: string, phase: Phase, variant: Variant, version: string): RolloutStatus {
  return statusOf({
    rolloutId: id,
    version,
    phase,
    paused: phase === 'Paused',
    ...(variant === 'approval waiting'
      ? { waitingFor: { kind: 'approval', untilMs: 1_700_000_600_000, detail: "waiting for approval 'release'" } }
      : {}),
    ...(variant === 'retrying a step'
      ? { retrying: { step: 3, failures: 2, error: 'delete failed: 409', nextAttemptAtMs: 1_700_000_600_000 } }
      : {}),
  });
}

const CASES: Case[] = [
  // Started, nothing published yet.
  { id: 'r-unpublished', phase: undefined, variant: 'plain', runtimeStatus: 'Running', status: undefined },
  ...PHASES.flatMap((phase, p) =>
    (['plain', 'approval waiting', 'retrying a step'] as const).flatMap((variant, v) =>
      (['Running', 'Completed'] as const)
        // An ended instance refuses everything whatever its status says: one variant is enough.
        .filter((runtimeStatus) => runtimeStatus === 'Running' || variant === 'plain')
        .map((runtimeStatus) => {
          const id = `r-${phase}-${v}-${runtimeStatus}`.toLowerCase();
          return { id, phase, variant, runtimeStatus, status: statusFor(id, phase, variant, `${p}.${v}.${runtimeStatus}`) };
        }),
    ),
  ),
];

function instanceOf(c: Case): InstanceSummary {
  return {
    instanceId: c.id,
    name: 'rolloutOrchestrator',
    runtimeStatus: c.runtimeStatus,
    createdTimeMs: 1_700_000_000_000,
    lastUpdatedTimeMs: 1_700_000_060_000,
    input: {},
    customStatus: c.status ?? null,
    output: null,
  };
}

/** What the API answers to each action on this rollout: accepted (202) or refused (409). */
async function apiAccepts(c: Case): Promise<string[]> {
  const deps = makeDeps();
  deps.client.instances.set(c.id, instanceOf(c));
  const accepted: string[] = [];
  for (const action of ROLLOUT_ACTIONS) {
    const request = apiRequest({
      method: 'POST',
      url: `http://ctl.example/api/rollouts/${c.id}/${action}`,
      params: { id: c.id, action },
      headers: { 'x-functions-key': 'test-key', 'content-type': 'application/json' },
      body: JSON.stringify({ by: action === 'approve' || action === 'reject' ? 'alice@contoso.com' : 'ops@contoso.com' }),
    });
    const { status } = await handle(deps, 'act', () => actOnRollout(request, deps));
    expect([202, 409], `${action} on ${c.id}`).toContain(status);
    if (status === 202) accepted.push(action);
  }
  return accepted;
}

async function serve(route: Route): Promise<void> {
  const url = new URL(route.request().url());
  if (url.pathname.startsWith('/api/dashboard/')) {
    const file = await readStatic(url.pathname.slice('/api/dashboard'.length));
    return route.fulfill({ status: file.status, contentType: file.contentType, body: file.body });
  }
  const json = (body: unknown) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
  if (url.pathname === '/api/phases') return json({ phases: PHASE_TABLE });
  if (url.pathname === '/api/rollouts') return json({ items: [] });
  const c = CASES.find((candidate) => url.pathname === `/api/rollouts/${candidate.id}`);
  if (!c) return route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"NotFound","message":"no"}}' });
  return json(rolloutDetail(instanceOf(c), 1_700_000_060_000));
}

let browser: HeadlessChromium;
let page: Page;
beforeAll(async () => {
  browser = await launchDashboardBrowser(serve, { width: 1280, height: 900 });
  page = await browser.context.newPage();
  await page.goto(`${ORIGIN}/api/dashboard/`);
  await page.evaluate(() => sessionStorage.setItem('aml-rollout.key', 'k'));
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** The dashboard's enabled action buttons once it shows rollout `c`. */
async function dashboardOffers(c: Case): Promise<string[]> {
  await page.evaluate((hash) => (location.hash = hash), `#/rollouts/${c.id}`);
  const title = c.status ? `${c.status.model} ${c.status.version} \u2192 ${c.status.endpoint}` : c.id;
  await expect.poll(() => page.locator('#d-title').innerText()).toBe(title);
  return page.$$eval('[data-action]', (buttons) =>
    buttons.filter((b) => !(b as HTMLButtonElement).disabled).map((b) => (b as HTMLElement).dataset.action ?? ''),
  );
}

describe('dashboard buttons = API acceptance, per phase x state x action', () => {
  it('covers every phase and every action at least once on each side', async () => {
    const offered = new Set<string>();
    for (const c of CASES) {
      const accepted = await apiAccepts(c);
      const offers = await dashboardOffers(c);
      expect(offers.sort(), `${c.id} (${c.phase ?? 'no status'}, ${c.variant}, ${c.runtimeStatus})`).toEqual([...accepted].sort());
      for (const action of accepted) offered.add(action);
    }
    // The table is not vacuous: each action is accepted somewhere (and refused on an ended rollout).
    expect([...offered].sort()).toEqual([...ROLLOUT_ACTIONS].sort());
    expect(CASES.filter((c) => c.phase !== undefined).map((c) => c.phase)).toEqual(expect.arrayContaining([...PHASES]));
  }, 120_000);
});

describe('allowedActions = what the API accepts, over random rollout states (fast-check, no browser)', () => {
  const RUNTIME: readonly RuntimeStatus[] = ['Pending', 'Running', 'Completed', 'Failed', 'Terminated', 'Suspended', 'ContinuedAsNew'];
  const waiting = fc.option(
    fc.constantFrom(
      { kind: 'approval' as const, untilMs: 1_700_000_600_000, detail: "waiting for approval 'release'" },
      { kind: 'resume' as const, detail: 'paused by an operator' },
      { kind: 'timer' as const, untilMs: 1_700_000_600_000, detail: 'baking' },
    ),
    { nil: undefined },
  );
  const state = fc.record({
    phase: fc.option(fc.constantFrom(...PHASES), { nil: undefined }),
    paused: fc.boolean(),
    waitingFor: waiting,
    retrying: fc.boolean(),
    runtimeStatus: fc.constantFrom(...RUNTIME),
  });

  it('each action is listed exactly when the API answers 202 (else 409)', async () => {
    await fc.assert(
      fc.asyncProperty(state, async ({ phase, paused, waitingFor, retrying, runtimeStatus }) => {
        const status =
          phase === undefined
            ? undefined
            : statusOf({
                rolloutId: 'r-random',
                phase,
                paused,
                ...(waitingFor ? { waitingFor } : {}),
                ...(retrying ? { retrying: { step: 3, failures: 1, error: 'x', nextAttemptAtMs: 1_700_000_600_000 } } : {}),
              });
        const c: Case = { id: 'r-random', phase, variant: 'plain', runtimeStatus, status };
        const listed = rolloutDetail(instanceOf(c), 1_700_000_060_000).allowedActions;
        expect([...listed].sort()).toEqual((await apiAccepts(c)).sort());
      }),
      { seed: 11, numRuns: 150 },
    );
  });
});
