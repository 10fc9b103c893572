/**
 * The HTML report in real headless Chromium (Debian's package, driven by playwright-core, as
 * test/dashboard does): the three plots render with their marks, nothing is fetched from the
 * network, no console errors; a screenshot goes to test-results/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../src/evaluate/evaluate';
import { renderHtml } from '../../src/evaluate/html';
import { DEFAULT_REGRESSIONS } from '../../src/evaluate/model';
import { parsePolicy } from '../../src/policy';

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = path.resolve(__dirname, '../../test-results');
const policyFile = path.join(__dirname, 'fixtures', 'agreement-canary.yaml');

let context: BrowserContext;
let dir: string;
const requests: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (.ci/run installs it)`,
    );
  dir = mkdtempSync(path.join(os.tmpdir(), 'aml-rollout-evaluate-html-'));
  context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  context.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the HTML report', () => {
  it('renders the power curve, the decision times and the blast radius offline', async () => {
    const policy = parsePolicy(readFileSync(policyFile, 'utf8'), policyFile);
    const report = evaluatePolicy({
      policy,
      live: { errorRate: 0.02, p50Ms: 40, p95Ms: 90, failsOutright: false },
      traffic: { kind: 'constant', requestsPerMinute: 300 },
      regressions: DEFAULT_REGRESSIONS,
      runs: 8,
      seed: 1,
      judges: ['aml-rollout'],
      schedules: ['fixed'],
    });
    const file = path.join(dir, 'report.html');
    writeFileSync(file, renderHtml(report));
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href);
    // One point per case on the power curve (healthy counted in both series), one box per case, one bar pair per regression.
    expect(await page.locator('#power-curve circle').count()).toBe(DEFAULT_REGRESSIONS.length - 1 + 2);
    expect(await page.locator('#decision-times rect').count()).toBe(DEFAULT_REGRESSIONS.length + 1);
    expect(await page.locator('#blast-radius rect').count()).toBe(DEFAULT_REGRESSIONS.length * 2);
    const box = await page.locator('#power-curve svg').boundingBox();
    expect(box?.width).toBeGreaterThan(400);
    expect(await page.locator('table tbody tr').count()).toBe(DEFAULT_REGRESSIONS.length + 1);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'evaluate-report.png'), fullPage: true });
    expect(requests).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 120_000);
});
