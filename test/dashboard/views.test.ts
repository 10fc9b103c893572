/**
 * Each dashboard view in headless Chromium, fed by the API's real shaping code (summarize and
 * rolloutDetail) over statuses in each phase: the page is served from the
 * static folder and the API answers are fulfilled by playwright's request routing, so every phase
 * (Failed, Mirroring, RollingBack...) is shown without running an orchestration to it.
 * Screenshots go to test-results/ (look at them when the page changes).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { launchHeadlessChromium, ORIGIN, RESULTS, type HeadlessChromium } from './chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatic } from '../../src/dashboard/register';
import { summarize } from '../../src/api/status-view';
import { tickPhaseClock, type PhaseClock } from '../../src/plan/time-spent';
import type { InstanceSummary } from '../../src/ingest/ports';
import type { Phase, RolloutStatus } from '../../src/plan/types';
import { makeDeps, statusOf } from '../api/fakes';
import { showApprovalLink } from '../../src/api/approval-link-handler';
import { apiRequest } from '../../src/api/http';
import { handle, rolloutDetail } from '../../src/api/rollouts';
import { createApprovalLinks } from '../../src/approvals/approval-links';
import { PHASE_TABLE } from '../../src/plan/phases';

const T0 = Date.UTC(2026, 11, 4, 18, 0);
const MIN = 60_000;

let context: BrowserContext;
let browser: HeadlessChromium;

/** A status that went through `phases` one per 5 minutes (its phase clock ticked as the orchestrator does). */
function statusIn(id: string, phases: Phase[], over: Partial<RolloutStatus>): RolloutStatus {
  let clock: PhaseClock | undefined;
  phases.forEach((phase, i) => (clock = tickPhaseClock(clock, phase, false, T0 + i * 5 * MIN)));
  const updatedAtMs = T0 + (phases.length - 1) * 5 * MIN;
  return statusOf({
    rolloutId: id,
    endpoint: 'credit-scoring',
    model: 'credit-model',
    baseline: 'blue',
    candidate: 'green',
    startedAtMs: T0,
    updatedAtMs,
    phaseClock: clock,
    phase: phases.at(-1),
    ...over,
  });
}

const STATUSES: Record<string, RolloutStatus> = {
  failed: statusIn('r-failed', ['Pending', 'Deploying', 'Failed'], {
    step: { index: 0, count: 6, kind: 'deploy', description: 'deploy green' },
    traffic: { blue: 100 },
    outcome: 'failed',
    reason: 'step 1 (deploy) failed: quota exceeded',
    waitingFor: { kind: 'resume', untilMs: T0 + 24 * 60 * MIN, detail: 'failed: an operator may retry or abort' },
  }),
  mirroring: statusIn('r-mirror', ['Pending', 'Deploying', 'SmokeTesting', 'Mirroring'], {
    step: { index: 3, count: 9, kind: 'bake', description: 'bake 3 min' },
    traffic: { blue: 100 },
    mirror: { green: 20 },
    waitingFor: { kind: 'timer', untilMs: T0 + 18 * MIN, detail: 'baking' },
    journal: [
      {
        atMs: T0 + 10 * MIN,
        step: 2,
        phase: 'Mirroring',
        message: 'traffic set: blue 100%; mirrored: green 20%',
        traffic: { blue: 100 },
        mirror: { green: 20 },
      },
    ],
  }),
  rollingBack: statusIn('r-back', ['Pending', 'Deploying', 'Baking', 'RollingBack'], {
    step: { index: 4, count: 9, kind: 'bake', description: 'bake 5 min' },
    traffic: { blue: 90, green: 10 },
    // A stale wait the page must not show as "baking".
    waitingFor: { kind: 'timer', untilMs: T0 + 30 * MIN, detail: 'baking' },
    reason: 'gate errors failed',
  }),
  queued: statusIn('r-queued', ['Pending'], {
    step: { index: 0, count: 9, kind: 'deploy', description: 'deploy green' },
    traffic: { blue: 100 },
    endpoint: 'fraud-scoring',
    waitingFor: { kind: 'timer', detail: "queued behind rollout 'r-other' on endpoint 'fraud-scoring'" },
  }),
  promoted: statusIn('r-done', ['Pending', 'Deploying', 'Baking', 'AwaitingApproval', 'Promoting', 'Promoted'], {
    step: { index: 16, count: 16, kind: 'none', description: 'all steps done' },
    traffic: { green: 100 },
    outcome: 'promoted',
    endedAtMs: T0 + 25 * MIN,
  }),
};

/** Served by their detail URL only (the list test counts the rows of STATUSES): one per remaining action's phase. */
const DETAIL_ONLY: Record<string, RolloutStatus> = {
  paused: statusIn('r-paused', ['Pending', 'Deploying', 'Baking', 'Paused'], {
    step: { index: 4, count: 9, kind: 'bake', description: 'bake 5 min' },
    traffic: { blue: 90, green: 10 },
    paused: true,
    waitingFor: { kind: 'resume', detail: 'paused by dana@contoso.com' },
    // A long rollout: the size limit left the 12 oldest journal entries off the status.
    journal: [{ atMs: T0 + 14 * MIN, phase: 'Paused', step: 4, message: 'paused by dana@contoso.com' }],
    journalDropped: 12,
  }),
  awaiting: statusIn('r-awaiting', ['Pending', 'Deploying', 'Baking', 'AwaitingApproval'], {
    step: { index: 6, count: 9, kind: 'approval', description: 'approval release' },
    traffic: { blue: 50, green: 50 },
    waitingFor: { kind: 'approval', untilMs: T0 + 240 * MIN, detail: 'approval release' },
  }),
  // Rolled back, deleting the candidate keeps failing: the instance still runs, abort stops the retries.
  cleanupRetrying: statusIn('r-cleanup', ['Pending', 'Deploying', 'Baking', 'RollingBack', 'RolledBack'], {
    step: { index: 4, count: 9, kind: 'bake', description: 'bake 5 min' },
    traffic: { blue: 100 },
    outcome: 'rolledBack',
    endedAtMs: T0 + 20 * MIN,
    retrying: { step: 4, failures: 2, error: 'ARM 500', nextAttemptAtMs: T0 + 40 * MIN },
  }),
};

function instanceOf(status: RolloutStatus): InstanceSummary {
  return {
    instanceId: status.rolloutId,
    name: 'rolloutOrchestrator',
    runtimeStatus: status.outcome && status.outcome !== 'failed' && !status.retrying ? 'Completed' : 'Running',
    createdTimeMs: status.startedAtMs,
    lastUpdatedTimeMs: status.updatedAtMs,
    input: {},
    customStatus: status,
    output: null,
  };
}

const posted: { path: string; body: unknown }[] = [];

async function serve(route: Route): Promise<void> {
  const url = new URL(route.request().url());
  if (url.pathname.startsWith('/api/dashboard/')) {
    const file = await readStatic(url.pathname.slice('/api/dashboard'.length));
    return route.fulfill({ status: file.status, contentType: file.contentType, body: file.body });
  }
  if (route.request().method() === 'POST') {
    posted.push({ path: url.pathname, body: route.request().postDataJSON() });
    return route.fulfill({
      status: 202,
      contentType: 'application/json',
      body: JSON.stringify({
        rolloutId: 'r-failed',
        action: url.pathname.split('/').at(-1),
        by: 'dana@contoso.com',
        step: 0,
        accepted: true,
      }),
    });
  }
  const all = Object.values(STATUSES).sort((a, b) => b.updatedAtMs - a.updatedAtMs);
  // The page decides its actions and tones from the served phase table, as it does against the API.
  if (url.pathname === '/api/phases')
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ phases: PHASE_TABLE }) });
  if (url.pathname === '/api/rollouts')
    return route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ items: all.map((s) => summarize(instanceOf(s))) }),
    });
  const status = [...all, ...Object.values(DETAIL_ONLY)].find((s) => url.pathname === `/api/rollouts/${s.rolloutId}`);
  if (!status)
    return route.fulfill({
      status: 404,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'NotFound', message: 'no such rollout' } }),
    });
  // The API's own detail body (allowedActions included), as GET /api/rollouts/{id} answers it.
  return route.fulfill({
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify(rolloutDetail(instanceOf(status), status.updatedAtMs)),
  });
}

beforeAll(async () => {
  browser = await launchHeadlessChromium({ width: 1280, height: 900 });
  context = browser.context;
  await context.route(`${ORIGIN}/**`, serve);
  mkdirSync(RESULTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function open(hash: string): Promise<Page> {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(`${ORIGIN}/api/dashboard/`);
  await page.evaluate(() => {
    sessionStorage.setItem('aml-rollout.key', 'k');
    sessionStorage.setItem('aml-rollout.by', 'dana@contoso.com');
  });
  await page.goto(`${ORIGIN}/api/dashboard/${hash}`);
  await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
  return page;
}

async function enabledActions(page: Page): Promise<string[]> {
  return page.$$eval('[data-action]', (buttons) =>
    buttons.filter((b) => !(b as HTMLButtonElement).disabled).map((b) => (b as HTMLElement).dataset.action ?? ''),
  );
}

describe('dashboard views in Chromium', () => {
  it('list: newest activity first, traffic bars with mirror, waiting lines, grouped by endpoint', async () => {
    const page = await open('#/');
    await page.locator('#rollout-rows tr[data-id="r-failed"]').waitFor();
    const ids = await page.$$eval('#rollout-rows tr[data-id]', (rows) => rows.map((r) => r.getAttribute('data-id')));
    expect(ids).toEqual(
      Object.values(STATUSES)
        .sort((a, b) => b.updatedAtMs - a.updatedAtMs)
        .map((s) => s.rolloutId),
    );
    const mirrorRow = page.locator('#rollout-rows tr[data-id="r-mirror"]');
    expect(await mirrorRow.locator('.mini-mirror[data-deployment="green"]').count()).toBe(1);
    expect(await mirrorRow.innerText()).toContain('Baking until 18:18 UTC');
    // Elapsed: start to the last activity (15 min), not to the browser's clock.
    expect(await mirrorRow.innerText()).toMatch(/\b15 min\b/);
    expect(await page.locator('#rollout-rows tr[data-id="r-queued"]').innerText()).toContain("Queued behind rollout 'r-other'");
    // Rolling back and promoted rollouts wait for nothing; a promoted one says all steps are done.
    expect(await page.locator('#rollout-rows tr[data-id="r-back"] .waiting-cell').innerText()).toBe('-');
    expect(await page.locator('#rollout-rows tr[data-id="r-done"]').innerText()).toContain('all 16 steps done');
    await page.screenshot({ path: path.join(RESULTS, 'dashboard-list.png'), fullPage: true });

    await page.check('#group-endpoint');
    const groups = await page.$$eval('#rollout-rows tr.group', (rows) => rows.map((r) => r.getAttribute('data-endpoint')));
    expect(groups.sort()).toEqual(['credit-scoring', 'fraud-scoring']);
    await page.screenshot({ path: path.join(RESULTS, 'dashboard-list-grouped.png'), fullPage: true });
    await page.uncheck('#group-endpoint');
  });

  it.each<[string, string, string[]]>([
    ['failed', 'r-failed', ['abort', 'retry']],
    ['mirroring', 'r-mirror', ['pause', 'promote', 'abort']],
    ['rollingBack', 'r-back', []],
    ['queued', 'r-queued', ['abort']],
    ['promoted', 'r-done', []],
  ])('detail (%s): the actions that apply, the wait said once', async (name, id, actions) => {
    const page = await open(`#/rollouts/${id}`);
    await expect.poll(() => page.locator('#d-phase').innerText()).toBe(STATUSES[name]!.phase);
    expect((await enabledActions(page)).sort()).toEqual([...actions].sort());
    const waiting = (await page.locator('#d-waiting').isVisible()) ? await page.locator('#d-waiting').innerText() : '';
    expect(waiting.split(' until ').length).toBeLessThanOrEqual(2);
    if (name === 'rollingBack' || name === 'promoted') expect(waiting).toBe('');
    await page.screenshot({ path: path.join(RESULTS, `dashboard-detail-${name}.png`), fullPage: true });
  });

  it('detail: a rolled-back rollout still retrying the delete of its candidate offers abort only', async () => {
    const page = await open('#/rollouts/r-cleanup');
    await expect.poll(() => page.locator('#d-phase').innerText()).toBe('RolledBack');
    expect(await enabledActions(page)).toEqual(['abort']);
  });

  it('detail: mirrored traffic is drawn (bar strip and a dashed line), and where the time went', async () => {
    const page = await open('#/rollouts/r-mirror');
    await expect.poll(() => page.locator('#d-phase').innerText()).toBe('Mirroring');
    expect(await page.locator('#d-traffic .row[data-deployment="green"] .mirror-pct').innerText()).toBe('+20% mirrored');
    expect(await page.locator('#d-chart svg path[data-mirror="green"]').getAttribute('stroke-dasharray')).toBe('6 4');
    const time = await page.locator('#d-time').innerText();
    expect(time).toMatch(/deploying\s+5 min/);
    expect(time).toMatch(/smoke testing\s+5 min/);
  });

  it('detail: the history says how many older journal entries the size limit left off, after the oldest shown', async () => {
    const page = await open('#/rollouts/r-paused');
    await expect.poll(() => page.locator('#d-phase').innerText()).toBe('Paused');
    const items = await page.$$eval('#d-history li', (lis) => lis.map((li) => li.textContent ?? ''));
    expect(items.at(-1)).toBe('12 older entries not shown: the status is size-limited');
    expect(items.at(-2)).toContain('paused by dana@contoso.com');
    const whole = await open('#/rollouts/r-awaiting');
    await expect.poll(() => whole.locator('#d-phase').innerText()).toBe('AwaitingApproval');
    expect(await whole.locator('#d-history .journal-dropped').count()).toBe(0);
  });

  it('Retry on a failed rollout posts the retry with the comment and the name', async () => {
    posted.length = 0;
    const page = await open('#/rollouts/r-failed');
    await expect.poll(() => page.locator('[data-action=retry]').isEnabled()).toBe(true);
    await page.fill('#action-comment', 'quota raised');
    await page.click('[data-action=retry]');
    await expect.poll(() => posted.length).toBe(1);
    expect(posted[0]).toEqual({ path: '/api/rollouts/r-failed/retry', body: { by: 'dana@contoso.com', comment: 'quota raised' } });
    await expect.poll(() => page.locator('#action-result').innerText()).toContain('retry sent as dana@contoso.com');
  });
});

describe('dashboard actions in Chromium: each button posts its action with the comment and the name', () => {
  // approve, abort and retry against the real app: test/dashboard/dashboard.test.ts and the Retry test above.
  const cases = [
    { action: 'pause', rollout: 'r-mirror', confirm: false },
    { action: 'promote', rollout: 'r-mirror', confirm: false },
    { action: 'resume', rollout: 'r-paused', confirm: false },
    { action: 'reject', rollout: 'r-awaiting', confirm: true },
    { action: 'approve', rollout: 'r-awaiting', confirm: false },
    { action: 'abort', rollout: 'r-paused', confirm: true },
  ] as const;
  for (const { action, rollout, confirm } of cases) {
    it(`${action} on ${rollout}${confirm ? ' (after confirming)' : ''}`, async () => {
      posted.length = 0;
      const page = await open(`#/rollouts/${rollout}`);
      page.removeAllListeners('dialog');
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.accept();
      });
      await expect.poll(() => page.locator(`[data-action=${action}]`).isEnabled()).toBe(true);
      await page.fill('#action-comment', `${action} it`);
      await page.click(`[data-action=${action}]`);
      await expect.poll(() => posted.length).toBe(1);
      expect(posted[0]).toEqual({ path: `/api/rollouts/${rollout}/${action}`, body: { by: 'dana@contoso.com', comment: `${action} it` } });
      expect(dialogs).toEqual(confirm ? [`${action} rollout ${rollout}?`] : []);
      await expect.poll(() => page.locator('#action-result').innerText()).toContain(`${action} sent as dana@contoso.com`);
    });
  }

  it('a declined confirmation posts nothing', async () => {
    posted.length = 0;
    const page = await open('#/rollouts/r-awaiting');
    page.removeAllListeners('dialog');
    page.on('dialog', (dialog) => void dialog.dismiss());
    await expect.poll(() => page.locator('[data-action=reject]').isEnabled()).toBe(true);
    await page.click('[data-action=reject]');
    // The next action posts; the declined one never did.
    await page.click('[data-action=approve]');
    await expect.poll(() => posted.length).toBe(1);
    expect(posted.map((p) => p.path)).toEqual(['/api/rollouts/r-awaiting/approve']);
  });
});

describe('approval pages in Chromium (screenshots: test-results/approval-*.png, copied to docs/img)', () => {
  const deps = makeDeps({
    auth: { apiKey: 'k', trustClientPrincipal: false },
    links: { secret: 'views-test-link-secret-0123456789', ttlMinutes: 60, publicBaseUrl: ORIGIN },
  });
  deps.client.put('r-awaiting', 'Running', DETAIL_ONLY.awaiting!);

  async function pageFor(token: string): Promise<Page> {
    const page = await context.newPage();
    await page.route(`${ORIGIN}/api/approvals/**`, async (route) => {
      const url = route.request().url();
      const request = apiRequest({
        method: 'GET',
        url,
        params: { token: url.split('/api/approvals/')[1] },
        headers: { accept: 'text/html' },
      });
      const response = await handle(deps, 'approvalLink', () => showApprovalLink(request, deps));
      await route.fulfill({ status: response.status, contentType: 'text/html', body: response.body ?? '' });
    });
    await page.goto(`${ORIGIN}/api/approvals/${token}`);
    return page;
  }

  function token(expiresAtMs: number): string {
    const links = createApprovalLinks({ rolloutId: 'r-awaiting', step: 6, expiresAtMs, baseUrl: ORIGIN, secret: deps.links.secret! });
    return links.approveUrl.split('/api/approvals/')[1]!;
  }

  it("the confirmation page: the rollout, the evidence, and the approver's name marked as claimed", async () => {
    const page = await pageFor(token(deps.clock.now() + 3_600_000));
    expect(await page.locator('h1').innerText()).toBe('Approve rollout of credit-model version 2?');
    expect(await page.locator('.identity.claimed').innerText()).toMatch(/^Claimed, not verified:/);
    expect(await page.locator('select[name=by] option').allInnerTexts()).toEqual(['choose…', 'alice@contoso.com']);
    await page.screenshot({ path: path.join(RESULTS, 'approval-page.png'), fullPage: true });
    await page.close();
  });

  it('an expired link: what happened, what the rollout does now, what to do, who to ask', async () => {
    const page = await pageFor(token(deps.clock.now() - 1));
    expect(await page.locator('h1').innerText()).toBe('This approval link has expired');
    expect(await page.locator('h2').allInnerTexts()).toEqual(['Now', 'What you can do', 'Who to ask']);
    expect(await page.locator('a', { hasText: 'dashboard' }).getAttribute('href')).toBe(`${ORIGIN}/api/dashboard/#/rollouts/r-awaiting`);
    await page.screenshot({ path: path.join(RESULTS, 'approval-expired.png'), fullPage: true });
    await page.close();
  });
});
