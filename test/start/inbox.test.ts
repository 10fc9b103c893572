/**
 * npm start's notification inbox: the app's real channel payloads (sendRolloutNotification) posted
 * to it, served as data and as a page, and the page read in headless Chromium (a screenshot goes to
 * test-results/inbox.png; docs/img/inbox.png is a copy of it).
 */
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyApprovalToken } from '../../src/approvals/approval-links';
import { sendRolloutNotification } from '../../src/notify';
import type { SendNotificationInput } from '../../src/orchestration/activity-contracts';
import { createInbox, type Inbox, type InboxMessage } from '../../src/harness/start/inbox';
import { statusOf } from '../api/fakes';
import { launchHeadlessChromium, type HeadlessChromium } from '../dashboard/chromium';

const RESULTS = path.resolve(__dirname, '../../test-results');
const SECRET = 'inbox-test-secret-0123456789abcdef';
const NOW = Date.UTC(2026, 11, 4, 18, 0);

async function serve(inbox: Inbox): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    void inbox.handle(req, res, new URL(req.url ?? '/', 'http://x').pathname).then((served) => {
      if (!served) res.writeHead(404).end('not the inbox');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, close: () => new Promise((r) => server.close(() => r())) };
}

function notifyDeps(base: string) {
  return {
    channels: { teams: `${base}/inbox/teams`, slack: `${base}/inbox/slack`, webhook: `${base}/inbox/webhook` },
    publicBaseUrl: 'http://localhost:7071',
    linkSecret: SECRET,
    linkTtlMinutes: 60,
    clock: { now: () => NOW, sleep: async () => undefined },
  };
}

const approvalRequest: SendNotificationInput = {
  kind: 'approvalRequested',
  status: statusOf({ phase: 'AwaitingApproval', step: { index: 5, count: 8, kind: 'approval', description: 'approval release' } }),
  approval: { step: 5, name: 'release', timeoutAtMs: NOW + 30 * 60_000 },
};

async function messages(url: string): Promise<InboxMessage[]> {
  return ((await (await fetch(`${url}/inbox/messages.json`)).json()) as { messages: InboxMessage[] }).messages;
}

describe('notification inbox', () => {
  it('keeps what each channel was sent, renders it as the channel would, with working signed links', async () => {
    const inbox = createInbox({ publicBaseUrl: () => 'http://localhost:7071', examples: false, now: () => NOW });
    const server = await serve(inbox);
    try {
      const result = await sendRolloutNotification(approvalRequest, notifyDeps(server.url));
      expect(result).toMatchObject({ sent: true, detail: 'sent to teams, slack, webhook' });
      const stored = await messages(server.url);
      // The channels are posted in parallel: the order of arrival is not fixed.
      expect(stored.map((m) => `${m.channel}${m.example ? ' (example)' : ''}`).sort()).toEqual(['slack', 'teams', 'webhook']);
      const page = await (await fetch(`${server.url}/inbox/`)).text();
      const approveLinks = [...page.matchAll(/<a class="btn approve" href="([^"]+)">Approve<\/a>/g)].map((m) => m[1]!);
      // One Approve button per channel, each a valid signed link for the rollout's approval step.
      expect(approveLinks).toHaveLength(3);
      for (const link of approveLinks) {
        const claims = verifyApprovalToken(link.split('/api/approvals/')[1]!, SECRET, NOW);
        expect(claims).toMatchObject({ rolloutId: approvalRequest.status.rolloutId, step: 5, decision: 'approve' });
      }
      expect(page).toMatch(/Microsoft Teams/);
      expect(page).toMatch(/Approval requested: credit-model 2 on credit-scoring/);
      expect(page).not.toMatch(/<h2>Examples<\/h2>/);
    } finally {
      await server.close();
    }
  });

  it('refuses what is not a channel message with a clear error, and shows odd bodies as escaped JSON', async () => {
    const inbox = createInbox({ publicBaseUrl: () => 'http://localhost:7071', examples: false });
    const server = await serve(inbox);
    try {
      const post = (channel: string, body: string) => fetch(`${server.url}/inbox/${channel}`, { method: 'POST', body });
      const notJson = await post('teams', '{');
      expect([notJson.status, ((await notJson.json()) as { error: { code: string } }).error.code]).toEqual([400, 'InvalidInput']);
      const unknown = await post('email', '{}');
      expect([unknown.status, ((await unknown.json()) as { error: { message: string } }).error.message]).toEqual([
        404,
        'no channel "email": post to /inbox/teams, /inbox/slack or /inbox/webhook',
      ]);
      expect((await post('slack', JSON.stringify({ x: 'y'.repeat(300 * 1024) }))).status).toBe(413);
      expect((await fetch(`${server.url}/inbox/`, { method: 'DELETE' })).status).toBe(405);
      expect(await messages(server.url)).toEqual([]);
      // A body of an unexpected shape is kept and shown as JSON, escaped; a script link is not clickable.
      expect((await post('teams', JSON.stringify({ text: '<script>alert(1)</script>' }))).status).toBe(200);
      expect(
        (await post('webhook', JSON.stringify({ title: 't', summary: 's', links: [{ label: 'Approve', url: 'javascript:alert(1)' }] })))
          .status,
      ).toBe(200);
      const page = await (await fetch(`${server.url}/inbox/`)).text();
      expect(page).toMatch(/&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      expect(page).not.toMatch(/<script>/);
      expect(page).not.toMatch(/href="javascript:/);
    } finally {
      await server.close();
    }
  });

  it('a first run starts with examples of each kind, their buttons disabled; later runs do not', () => {
    const first = createInbox({ publicBaseUrl: () => 'http://localhost:7071', examples: true });
    const kinds = first.messages().map((m) => [m.channel, JSON.stringify(m.body).match(/(Approval requested|Gate failed|Promoted)/)?.[1]]);
    expect(kinds).toEqual([
      ['teams', 'Approval requested'],
      ['slack', 'Gate failed'],
      ['teams', 'Promoted'],
    ]);
    expect(first.messages().every((m) => m.example)).toBe(true);
    expect(createInbox({ publicBaseUrl: () => 'http://localhost:7071', examples: false }).messages()).toEqual([]);
  });
});

describe('notification inbox in Chromium', () => {
  let browser: HeadlessChromium;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    const inbox = createInbox({ publicBaseUrl: () => 'http://localhost:7071', examples: true, now: () => NOW });
    server = await serve(inbox);
    await sendRolloutNotification(approvalRequest, notifyDeps(server.url));
    browser = await launchHeadlessChromium({ width: 1000, height: 900 });
    mkdirSync(RESULTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the sent messages first, then the examples with their Approve and Reject disabled', async () => {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(`${server.url}/inbox/`);
    const channels = await page.$$eval('article.message', (articles) =>
      articles.map((a) => `${a.querySelector('.channel')?.textContent}${a.classList.contains('example') ? ' (example)' : ''}`),
    );
    // The three sent ones (posted in parallel, so in any order) come before the examples.
    expect(channels.slice(0, 3).sort()).toEqual(['Microsoft Teams', 'Slack', 'Webhook']);
    expect(channels.slice(3)).toEqual(['Microsoft Teams (example)', 'Slack (example)', 'Microsoft Teams (example)']);
    // Real messages carry clickable Approve / Reject links; the examples' buttons are not links.
    expect(await page.locator('article.message:not(.example) a.btn.approve').count()).toBe(3);
    expect(await page.locator('article.example a.btn', { hasText: /Approve|Reject/ }).count()).toBe(0);
    expect(await page.locator('article.example span.btn.disabled', { hasText: 'Approve' }).count()).toBe(1);
    await page.screenshot({ path: path.join(RESULTS, 'inbox.png'), fullPage: true });
  });
});
