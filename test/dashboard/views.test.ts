/**
 * Each dashboard view in headless Chromium, fed by the API's real shaping code (summarize,
 * displayOf, timeSpentOf, buildHistory) over statuses in each phase: the page is served from the
 * static folder and the API answers are fulfilled by playwright's request routing, so every phase
 * (Failed, Mirroring, RollingBack...) is shown without running an orchestration to it.
 * Screenshots go to test-results/ (look at them when the page changes).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { launchHeadlessChromium, type HeadlessChromium } from './chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatic } from '../../src/dashboard/register';
import { buildHistory, displayOf, summarize, timeSpentOf } from '../../src/api/status-view';
import { tickPhaseClock, type PhaseClock } from '../../src/plan/time-spent';
import type { InstanceSummary } from '../../src/ingest/ports';
import type { Phase, RolloutStatus } from '../../src/plan/types';
import { statusOf } from '../api/fakes';
import { PHASE_TABLE } from '../../src/plan/phases';

const RESULTS = path.resolve(__dirname, '../../test-results');
const ORIGIN = 'http://dashboard.test';
const T0 = Date.UTC(2026, 11, 4, 18, 0);
const MIN = 60_000;

let context: BrowserContext;
let browser: HeadlessChromium;

/** A status that went through `phases` one per 5 minutes (its phase clock ticked as the orchestrator does). */
function statusIn(id: string, phases: Phase[], over: Partial<RolloutStatus>): RolloutStatus {
  let clock: PhaseClock | undefined;
  phases.forEach((phase, i) => (clock = tickPhaseClock(clock, phase, false, T0 + i * 5 * MIN)));
  const updatedAtMs = T0 + (phases.length - 1) * 5 * MIN;
  return statusOf({ rolloutId: id, endpoint: 'credit-scoring', model: 'credit-model', baseline: 'blue', candidate: 'green', startedAtMs: T0, updatedAtMs, phaseClock: clock, phase: phases.at(-1), ...over });
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
      { atMs: T0 + 10 * MIN, step: 2, phase: 'Mirroring', message: 'traffic set: blue 100%; mirrored: green 20%', traffic: { blue: 100 }, mirror: { green: 20 } },
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

function instanceOf(status: RolloutStatus): InstanceSummary {
  return { instanceId: status.rolloutId, name: 'rolloutOrchestrator', runtimeStatus: status.outcome && status.outcome !== 'failed' ? 'Completed' : 'Running', createdTimeMs: status.startedAtMs, lastUpdatedTimeMs: status.updatedAtMs, input: {}, customStatus: status, output: null };
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
    return route.fulfill({ status: 202, contentType: 'application/json', body: JSON.stringify({ rolloutId: 'r-failed', action: url.pathname.split('/').at(-1), by: 'dana@contoso.com', step: 0, accepted: true }) });
  }
  const all = Object.values(STATUSES).sort((a, b) => b.updatedAtMs - a.updatedAtMs);
  // The page decides its actions and tones from the served phase table, as it does against the API.
  if (url.pathname === '/api/phases') return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ phases: PHASE_TABLE }) });
  if (url.pathname === '/api/rollouts') return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ items: all.map((s) => summarize(instanceOf(s))) }) });
  const status = all.find((s) => url.pathname === `/api/rollouts/${s.rolloutId}`);
  if (!status) return route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'NotFound', message: 'no such rollout' } }) });
  const summary = summarize(instanceOf(status));
  return route.fulfill({
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({ ...summary, input: {}, status, history: buildHistory(status), display: displayOf(status), timeSpent: timeSpentOf(status, status.updatedAtMs) }),
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
  const page = context.pages()[0] ?? (await context.newPage());
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
  return page.$$eval('[data-action]', (buttons) => buttons.filter((b) => !(b as HTMLButtonElement).disabled).map((b) => (b as HTMLElement).dataset.action ?? ''));
}

describe('dashboard views in Chromium', () => {
  it('list: newest activity first, traffic bars with mirror, waiting lines, grouped by endpoint', async () => {
    const page = await open('#/');
    await page.locator('#rollout-rows tr[data-id="r-failed"]').waitFor();
    const ids = await page.$$eval('#rollout-rows tr[data-id]', (rows) => rows.map((r) => r.getAttribute('data-id')));
    expect(ids).toEqual(Object.values(STATUSES).sort((a, b) => b.updatedAtMs - a.updatedAtMs).map((s) => s.rolloutId));
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

  it('detail: mirrored traffic is drawn (bar strip and a dashed line), and where the time went', async () => {
    const page = await open('#/rollouts/r-mirror');
    await expect.poll(() => page.locator('#d-phase').innerText()).toBe('Mirroring');
    expect(await page.locator('#d-traffic .row[data-deployment="green"] .mirror-pct').innerText()).toBe('+20% mirrored');
    expect(await page.locator('#d-chart svg path[data-mirror="green"]').getAttribute('stroke-dasharray')).toBe('6 4');
    const time = await page.locator('#d-time').innerText();
    expect(time).toMatch(/deploying\s+5 min/);
    expect(time).toMatch(/smoke testing\s+5 min/);
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
