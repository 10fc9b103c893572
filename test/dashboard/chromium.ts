/**
 * Headless Chromium for the dashboard tests: one persistent context per test file, its requests to
 * the fake origin answered by the file's own `serve` (static files and API answers).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Route } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of the tests (look at them when the page changes). */
export const RESULTS = path.resolve(__dirname, '../../test-results');
export const ORIGIN = 'http://dashboard.test';

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchDashboardBrowser(serve: (route: Route) => Promise<void>, viewport: { width: number; height: number }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\``);
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'aml-rollout-dashboard-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await context.route(`${ORIGIN}/**`, serve);
  mkdirSync(RESULTS, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
