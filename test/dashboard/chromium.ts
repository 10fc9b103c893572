/** Headless Chromium for the page tests (Debian's package; .ci/run installs it), in a throwaway profile. */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Route } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of the tests (look at them when the page changes). */
export const RESULTS = path.resolve(__dirname, '../../test-results');
export const ORIGIN = 'http://dashboard.test';

export interface HeadlessChromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchHeadlessChromium(viewport: { width: number; height: number }): Promise<HeadlessChromium> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (Debian's package; .ci/run installs it)`,
    );
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'aml-rollout-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
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
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The dashboard tests' browser: requests to the fake origin answered by the file's own `serve`. */
export async function launchDashboardBrowser(
  serve: (route: Route) => Promise<void>,
  viewport: { width: number; height: number },
): Promise<HeadlessChromium> {
  const browser = await launchHeadlessChromium(viewport);
  await browser.context.route(`${ORIGIN}/**`, serve);
  mkdirSync(RESULTS, { recursive: true });
  return browser;
}
