/**
 * The dashboard in real headless Chromium (Debian's package, driven by playwright-core; no browser
 * download) against the local runtime running the fixture app. Takes a screenshot of a live
 * rollout into test-results/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, startFixtureRuntime, type FixtureRuntime } from '../api/runtime-harness';

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = path.resolve(__dirname, '../../test-results');

let runtime: FixtureRuntime;
let context: BrowserContext;
let userDataDir: string;
const externalRequests: string[] = [];
const consoleErrors: string[] = [];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked field by field by the assertions
async function api(method: string, p: string, body?: unknown): Promise<any> {
  const response = await fetch(`${runtime.url}${p}`, {
    method,
    headers: { 'x-functions-key': API_KEY, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return response.json();
}

async function startWaiting(version: string): Promise<string> {
  const { rolloutId } = await api('POST', '/api/rollouts', { model: 'credit-model', version });
  for (let i = 0; i < 200; i += 1) {
    await runtime.waitForIdle();
    if ((await api('GET', `/api/rollouts/${rolloutId}`)).phase === 'AwaitingApproval') return rolloutId as string;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('rollout never waited for approval');
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (Debian's package; .ci/run installs it)`,
    );
  }
  runtime = await startFixtureRuntime();
  userDataDir = mkdtempSync(path.join(os.tmpdir(), 'aml-rollout-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1100 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.on('request', (request) => {
    if (!request.url().startsWith(runtime.url)) externalRequests.push(request.url());
  });
  context.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await runtime?.stop();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function openWithKey(key: string): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  page.removeAllListeners('dialog');
  await page.goto(`${runtime.url}/api/dashboard/`);
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(`${runtime.url}/api/dashboard/#/`);
  await page.locator('#key-view').waitFor({ state: 'visible' });
  await page.fill('#key-input', key);
  await page.fill('#by-input', 'dana@contoso.com');
  await page.click('#key-form button[type=submit]');
  return page;
}

describe('dashboard in Chromium', () => {
  it('lists rollouts, shows a live one (traffic chart, gate numbers vs thresholds), and approves it', async () => {
    const id = await startWaiting('201');
    const page = await openWithKey(API_KEY);

    const row = page.locator(`#rollout-rows tr[data-id="${id}"]`);
    await row.waitFor();
    await expect.poll(() => row.innerText()).toContain('AwaitingApproval');
    await row.click();

    await page.locator('#detail-view').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('#d-phase').innerText()).toBe('AwaitingApproval');
    expect(await page.locator('#d-title').innerText()).toBe('credit-model 201 \u2192 credit-scoring');
    expect(await page.locator('#d-waiting').innerText()).toMatch(/^Approval release-manager .* until (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC$/);
    expect(await page.locator('#d-traffic .row[data-deployment="blue"] .pct').innerText()).toBe('90%');
    expect(await page.locator('#d-traffic .row[data-deployment="credit-model-v201"] .pct').innerText()).toBe('10%');
    // The chart has one line per deployment, and the candidate's line rises from 0 to 10%.
    const paths = page.locator('#d-chart svg path');
    expect(await paths.count()).toBe(2);
    const candidateLine = (await page.locator('#d-chart svg path[data-deployment="credit-model-v201"]').getAttribute('d')) ?? '';
    expect(new Set(candidateLine.match(/V[\d.]+/g)).size).toBeGreaterThan(1);
    const gateRows = await page.locator('#d-gates tr').allInnerTexts();
    // The number that decided the pass is the within-threshold test's p, not the harm test's p=1.
    expect(gateRows.join('\n')).toMatch(/errorRate5xx\s+0\.004 vs 0\.005\s+<= 1\.5x baseline\s+p\(within\)=0\.0021\s+1200 \/ 10800/);
    expect(gateRows.join('\n')).not.toMatch(/p=1\b/);
    expect(gateRows.join('\n')).toMatch(/latencyP95\s+92 vs 90\s+<= 150 ms\s+absolute/);
    expect(await page.locator('[data-action=approve]').isEnabled()).toBe(true);
    expect(await page.locator('[data-action=resume]').isEnabled()).toBe(false);

    mkdirSync(RESULTS, { recursive: true });
    const shot = path.join(RESULTS, 'dashboard-live-rollout.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);

    await page.fill('#action-comment', 'gates look good');
    await page.click('[data-action=approve]');
    await expect.poll(() => page.locator('#action-result').innerText()).toContain('approve sent as dana@contoso.com');
    await runtime.waitForIdle();
    await expect.poll(() => page.locator('#d-phase').innerText(), { timeout: 15_000 }).toBe('Promoted');
    expect(await page.locator('#d-decisions').innerText()).toContain('approve by dana@contoso.com at step 4');
    expect(await page.locator('[data-action=approve]').isEnabled()).toBe(false);
    expect(await page.locator('#d-traffic .row[data-deployment="credit-model-v201"] .pct').innerText()).toBe('100%');
  });

  it('aborts through the button (after confirming)', async () => {
    const id = await startWaiting('202');
    const page = await openWithKey(API_KEY);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${runtime.url}/api/dashboard/#/rollouts/${id}`);
    await expect.poll(() => page.locator('#d-phase').innerText()).toBe('AwaitingApproval');
    await page.click('[data-action=abort]');
    await runtime.waitForIdle();
    await expect.poll(() => page.locator('#d-phase').innerText(), { timeout: 15_000 }).toBe('Aborted');
    expect(await page.locator('#d-decisions').innerText()).toContain('abort by dana@contoso.com');
  });

  it('asks for the key again when the API refuses it', async () => {
    const page = await openWithKey('not-the-key');
    await page.locator('#key-view').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('#banner').innerText()).toContain('401');
  });

  it('loaded nothing from outside the app and hit no script or CSP errors', () => {
    expect(externalRequests).toEqual([]);
    // The only expected console errors: the refused key of the previous test (HTTP 401), and the
    // probe for npm start's inbox, which this runtime (like Azure) does not serve (404: the link stays hidden).
    expect(consoleErrors.filter((e) => !e.includes('401') && !/404.*\/inbox\/messages\.json/.test(e))).toEqual([]);
  });
});
