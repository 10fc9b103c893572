/**
 * The metric charts of the rollout detail view in headless Chromium, over a passing and a failing
 * canary. The page's API calls are answered by the API's real handlers (getRollout,
 * getRolloutEvidence) over statuses whose evidence history the real reducer built from gate
 * results, so what is drawn is what a rollout publishes. Screenshots go to test-results/
 * (docs/img/metric-chart.png is one of them).
 */
import path from 'node:path';
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatic } from '../../src/dashboard/register';
import { apiRequest } from '../../src/api/http';
import { getRollout, getRolloutEvidence, handle } from '../../src/api/rollouts';
import type { GateResult, GateSpec, MetricEvidence, Verdict } from '../../src/analysis/types';
import { recordLooks, type EvidenceHistory } from '../../src/plan/evidence-history';
import type { RolloutStatus } from '../../src/plan/types';
import { PHASE_TABLE } from '../../src/plan/phases';
import { makeDeps, statusOf } from '../api/fakes';
import { launchDashboardBrowser, ORIGIN, RESULTS, type HeadlessChromium } from './chromium';

const T0 = Date.UTC(2026, 11, 4, 18, 0);
const MIN = 60_000;

const HEALTH: GateSpec = {
  name: 'health',
  checks: [
    { metric: 'failedRequestRate', max: 0.02, maxRatioToBaseline: 1.5, critical: true },
    { metric: 'latencyP95', max: 800, maxRatioToBaseline: 1.25 },
  ],
  customMetrics: [],
  confidence: 0.95,
  minRequestsPerDeployment: 200,
  windowMinutes: 10,
  ingestionDelayMinutes: 5,
  plannedLooks: 12,
};
const PLAN = { gates: { health: HEALTH }, candidate: { deployment: 'green' }, baseline: { deployment: 'blue' } };

interface LookInput {
  readonly percent: number;
  readonly mirror?: number;
  readonly rate: number;
  readonly latency: number;
  readonly verdicts: readonly [Verdict, Verdict];
}

function evidenceOf(
  metric: string,
  verdict: Verdict,
  candidate: number,
  baseline: number,
  requests: number,
  bound: number,
): MetricEvidence {
  return {
    metric,
    verdict,
    candidate,
    baseline,
    samples: { candidate: requests, baseline: 6000 - requests },
    threshold: metric === 'latencyP95' ? '<= 800 and <= 1.25x baseline' : '<= 0.02 and <= 1.5x baseline',
    test: 'exact',
    // A pass also carries the harm test's p (1 here): the number that decided it is the "within" test's.
    ...(verdict === 'fail'
      ? { pValue: 0.0004, alpha: 0.004 }
      : { pValue: 1, alpha: 0.004, passPValue: verdict === 'pass' ? 0.003 : 0.2, passAlpha: 0.05 }),
    parts: [{ kind: 'max', verdict, threshold: '', test: '', bound, reason: '' }],
    reason: verdict,
  };
}

/** A canary's looks, every 5 minutes, through the reducer the orchestrator calls. */
function historyOf(looks: readonly LookInput[]): { history: EvidenceHistory; last: GateResult } {
  let history: EvidenceHistory = [];
  let last: GateResult | undefined;
  looks.forEach((l, i) => {
    const requests = l.percent > 0 ? Math.round(60 * l.percent) : Math.round(60 * (l.mirror ?? 0));
    const evidence = [
      evidenceOf('failedRequestRate', l.verdicts[0], l.rate, 0.01, requests, l.rate * 1.35),
      evidenceOf('latencyP95', l.verdicts[1], l.latency, 90, requests, l.latency * 1.08),
    ];
    const verdict: Verdict = l.verdicts.includes('fail') ? 'fail' : l.verdicts.every((v) => v === 'pass') ? 'pass' : 'inconclusive';
    last = {
      gate: 'health',
      verdict,
      look: i + 1,
      checkedAtMs: T0 + (i + 1) * 5 * MIN,
      window: { fromMs: 0, toMs: 1 },
      candidate: 'green',
      baseline: 'blue',
      evidence,
      reason: verdict,
    };
    history = recordLooks(
      history,
      PLAN,
      [last],
      { blue: 100 - l.percent, ...(l.percent > 0 ? { green: l.percent } : {}) },
      l.mirror ? { green: l.mirror } : {},
    );
  });
  return { history, last: last as GateResult };
}

const P: [Verdict, Verdict] = ['pass', 'pass'];
const PASSING: LookInput[] = [
  { percent: 0, mirror: 20, rate: 0.011, latency: 88, verdicts: ['inconclusive', 'inconclusive'] },
  { percent: 0, mirror: 20, rate: 0.0105, latency: 91, verdicts: ['pass', 'inconclusive'] },
  { percent: 0, mirror: 20, rate: 0.0098, latency: 90, verdicts: P },
  ...[10, 10, 10, 25, 25, 25, 50, 50, 50, 50, 50].map((percent, i) => ({
    percent,
    rate: 0.0095 + (i % 3) * 0.0006,
    latency: 89 + (i % 4),
    verdicts: P,
  })),
];
const FAILING: LookInput[] = [
  { percent: 0, mirror: 20, rate: 0.011, latency: 92, verdicts: ['inconclusive', 'inconclusive'] },
  { percent: 0, mirror: 20, rate: 0.0102, latency: 93, verdicts: P },
  { percent: 10, rate: 0.012, latency: 95, verdicts: P },
  { percent: 10, rate: 0.019, latency: 97, verdicts: ['inconclusive', 'pass'] },
  { percent: 10, rate: 0.046, latency: 99, verdicts: ['fail', 'pass'] },
];

function rolloutStatus(id: string, looks: readonly LookInput[], over: Partial<RolloutStatus>): RolloutStatus {
  const { history, last } = historyOf(looks);
  return statusOf({
    rolloutId: id,
    baseline: 'blue',
    candidate: 'green',
    startedAtMs: T0,
    updatedAtMs: last.checkedAtMs,
    gates: [last],
    evidenceHistory: history,
    ...over,
  });
}

const deps = makeDeps();
deps.client.put(
  'r-pass',
  'Running',
  rolloutStatus('r-pass', PASSING, {
    phase: 'AwaitingApproval',
    traffic: { blue: 50, green: 50 },
    step: { index: 14, count: 16, kind: 'approval', description: 'approval' },
  }),
);
deps.client.put(
  'r-fail',
  'Completed',
  rolloutStatus('r-fail', FAILING, {
    phase: 'RolledBack',
    traffic: { blue: 100 },
    outcome: 'rolledBack',
    reason: "gate 'health' failed",
    step: { index: 7, count: 16, kind: 'bake', description: 'bake' },
  }),
);
deps.client.put('r-none', 'Running', statusOf({ rolloutId: 'r-none', phase: 'Deploying', baseline: 'blue', candidate: 'green' }));
// A long history: 40 journal lines (the status keeps no more), 20 approvals and 20 overrides, and the last gate look.
deps.client.put(
  'r-long',
  'Running',
  rolloutStatus('r-long', PASSING, {
    phase: 'Baking',
    journal: Array.from({ length: 40 }, (_, i) => ({
      atMs: T0 + i * MIN,
      step: 3,
      phase: 'Baking' as const,
      message: `gates checked: health=pass (${i + 1})`,
    })),
    approvals: Array.from({ length: 20 }, (_, i) => ({
      step: 3,
      decision: 'approve' as const,
      by: 'mallory@contoso.com',
      atMs: T0 + i * MIN,
      accepted: false,
      note: 'not an approver',
    })),
    overrides: Array.from({ length: 20 }, (_, i) => ({ action: 'pause' as const, by: 'ops@contoso.com', atMs: T0 + i * MIN, step: 3 })),
  }),
);

async function serve(route: Route): Promise<void> {
  const url = new URL(route.request().url());
  if (url.pathname.startsWith('/api/dashboard/')) {
    const file = await readStatic(url.pathname.slice('/api/dashboard'.length));
    return route.fulfill({ status: file.status, contentType: file.contentType, body: file.body });
  }
  if (url.pathname === '/api/phases')
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ phases: PHASE_TABLE }) });
  const match = /^\/api\/rollouts\/([^/]+)(\/evidence)?$/.exec(url.pathname);
  const headers = route.request().headers();
  const request = apiRequest({
    method: 'GET',
    url: url.toString(),
    params: { id: decodeURIComponent(match?.[1] ?? '') },
    headers: { 'x-functions-key': headers['x-functions-key'] ?? '' },
  });
  const response = await handle(deps, 'test', () => (match?.[2] ? getRolloutEvidence(request, deps) : getRollout(request, deps)));
  return route.fulfill({ status: response.status, contentType: 'application/json', body: JSON.stringify(response.jsonBody) });
}

let browser: HeadlessChromium;

beforeAll(async () => {
  browser = await launchDashboardBrowser(serve, { width: 1100, height: 900 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function openDetail(id: string): Promise<Page> {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(`${ORIGIN}/api/dashboard/`);
  await page.evaluate(() => sessionStorage.setItem('aml-rollout.key', 'test-key'));
  await page.goto(`${ORIGIN}/api/dashboard/#/rollouts/${id}`);
  await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
  return page;
}

const verdictsOf = (page: Page, metric: string) =>
  page.$$eval(`figure[data-metric="${metric}"] g.look`, (marks) => marks.map((m) => m.getAttribute('data-verdict')));

describe('metric charts in Chromium', () => {
  it('a passing canary: a chart per check, every kept look marked with its verdict, the band, the bounds and the split underneath', async () => {
    const page = await openDetail('r-pass');
    await page.locator('figure[data-metric="latencyP95"]').waitFor();
    expect(await page.$$eval('#d-metrics figure', (figures) => figures.map((f) => f.getAttribute('data-metric')))).toEqual([
      'failedRequestRate',
      'latencyP95',
    ]);
    // 14 looks taken, 10 kept: the first and the latest stay.
    expect(await page.locator('#d-metrics h3.gate-title').innerText()).toBe(
      'Gate health \u2014 10 of 14 looks kept (first, latest and spread between)',
    );
    const verdicts = await verdictsOf(page, 'failedRequestRate');
    expect(verdicts).toHaveLength(10);
    expect(verdicts[0]).toBe('inconclusive');
    expect(verdicts.slice(1)).toEqual(Array(9).fill('pass'));
    // Evenly spaced looks thin from the oldest interior ones: looks 2, 4, 6 and 8 went.
    expect(
      await page.$$eval('figure[data-metric="latencyP95"] g.look', (marks) => marks.map((m) => Number(m.getAttribute('data-look')))),
    ).toEqual([1, 3, 5, 7, 9, 10, 11, 12, 13, 14]);
    expect((await verdictsOf(page, 'latencyP95')).slice(0, 2)).toEqual(['inconclusive', 'pass']);

    const chart = page.locator('figure[data-metric="failedRequestRate"] svg');
    // Accessible: a title and a description the image is labelled by, a legend, a readable title per look.
    expect(await chart.getAttribute('role')).toBe('img');
    expect(await chart.locator('title').first().textContent()).toBe(
      'Gate health, failedRequestRate: candidate against baseline at each look (threshold <= 0.02 and <= 1.5x baseline)',
    );
    expect(await chart.locator('desc').textContent()).toBe(
      '10 looks; latest look 14 at 19:10 UTC: PASS; failedRequestRate: candidate 0.0101 vs baseline 0.01; allowed ≤ 0.015; confidence bounds ..0.0136; deciding p = 0.003; requests 3000 / 3000; traffic candidate 50%, baseline 50%',
    );
    expect(await chart.locator('g.legend-item text').allTextContents()).toEqual([
      'candidate',
      'baseline',
      'outside threshold',
      'confidence bound',
      'pass',
      'fail',
      'inconclusive',
    ]);
    expect(await chart.locator('g.look').first().locator('title').textContent()).toContain(
      'traffic candidate 0%, baseline 100%, mirrored to candidate 20%',
    );
    // The threshold as a band (its upper edge), a confidence whisker per look, candidate and baseline lines.
    expect(await chart.locator('[data-band] path[data-edge="max"]').count()).toBe(1);
    expect(await chart.locator('g.ci').count()).toBe(10);
    expect(await chart.locator('path[data-series="candidate"]').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){9}$/);
    expect(await chart.locator('path[data-series="baseline"]').count()).toBe(1);
    // The split underneath: mirrored while the candidate took no live traffic, then 10, 25, 50%.
    const live = await chart
      .locator('[data-traffic] rect[data-candidate-percent]')
      .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-candidate-percent'))));
    expect([...new Set(live)]).toEqual([10, 25, 50]);
    expect(await chart.locator('[data-traffic] line[data-mirror-percent="20"]').count()).toBeGreaterThan(0);
    await page.locator('#d-metrics').screenshot({ path: path.join(RESULTS, 'dashboard-metric-charts-passing.png') });
  });

  it('a failing canary: the failing look is marked as failed above the band, the caption says fail', async () => {
    const page = await openDetail('r-fail');
    await page.locator('figure[data-metric="failedRequestRate"]').waitFor();
    const figure = page.locator('figure[data-metric="failedRequestRate"]');
    expect(await verdictsOf(page, 'failedRequestRate')).toEqual(['inconclusive', 'pass', 'pass', 'inconclusive', 'fail']);
    expect(await figure.locator('figcaption').innerText()).toBe(
      'failedRequestRate threshold <= 0.02 and <= 1.5x baseline · latest look 5: FAIL, candidate 0.046 vs baseline 0.01, p = 0.0004',
    );
    const failMark = figure.locator('g.look[data-verdict="fail"]');
    expect(await failMark.locator('title').textContent()).toBe(
      'look 5 at 18:25 UTC: FAIL; failedRequestRate: candidate 0.046 vs baseline 0.01; allowed ≤ 0.015; confidence bounds ..0.0621; deciding p = 0.0004; requests 600 / 5400; traffic candidate 10%, baseline 90%',
    );
    // Drawn where it is: above the band's upper edge at that look (SVG y grows downwards).
    const markY = await failMark
      .locator('path')
      .evaluate((p) => (p as SVGGraphicsElement).getBBox().y + (p as SVGGraphicsElement).getBBox().height / 2);
    const edgeTop = await figure
      .locator('[data-band] path[data-edge="max"]')
      .evaluate((p) => (p as SVGGraphicsElement).getBBox().y + (p as SVGGraphicsElement).getBBox().height);
    expect(markY).toBeLessThan(edgeTop);
    expect(await page.locator('#d-metrics-empty').isVisible()).toBe(false);
    // The gate rows above the charts, at a glance: verdict, metric, candidate vs baseline, threshold, the deciding number.
    const rows = await page.$$eval('#d-gates tr', (trs) =>
      trs.map((tr) =>
        Array.from(tr.querySelectorAll('td'))
          .slice(1, 6)
          .map((td) => (td.textContent ?? '').trim()),
      ),
    );
    expect(rows).toEqual([
      ['fail', 'failedRequestRate', '0.046 vs 0.01', '<= 0.02 and <= 1.5x baseline', 'p(violates)=0.0004'],
      ['pass', 'latencyP95', '99 vs 90', '<= 800 and <= 1.25x baseline', 'p(within)=0.003'],
    ]);
    await page.locator('#d-metrics').screenshot({ path: path.join(RESULTS, 'dashboard-metric-charts-failing.png') });
  });

  it('a rollout before its first look says so instead of drawing empty charts', async () => {
    const page = await openDetail('r-none');
    await expect.poll(() => page.locator('#d-metrics-empty').isVisible()).toBe(true);
    expect(await page.locator('#d-metrics figure').count()).toBe(0);
  });

  it('history numbering beyond 9 (and beyond 99) is not clipped: the list leaves room for its widest number', async () => {
    const page = await openDetail('r-long');
    await expect.poll(() => page.locator('#d-history li').count()).toBe(81);
    const room = await page.$eval('#d-history', (list) => {
      const items = list.querySelectorAll('li');
      const last = items[items.length - 1] as HTMLElement;
      const style = getComputedStyle(last);
      const context = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
      context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      // The marker of item n reads "n. ": it sits in the list's left padding, which clips it when narrower.
      return {
        padding: parseFloat(getComputedStyle(list).paddingLeft),
        marker: context.measureText(`${items.length}. `).width,
        markerOf100: context.measureText('100. ').width,
      };
    });
    expect(room.marker).toBeLessThanOrEqual(room.padding);
    expect(room.markerOf100).toBeLessThanOrEqual(room.padding);
  });
});
