import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyApprovalToken } from '../../src/approvals/approval-links';
import { notificationCounters, sendRolloutNotification, type NotifyDeps } from '../../src/notify';
import type { SendNotificationInput } from '../../src/orchestration/activity-contracts';
import type { GateResult } from '../../src/analysis/types';
import { captureLogger, failedErrorsGate, statusOf } from '../api/fakes';

const SECRET = 'notify-test-secret-0123456789abcdef';
const NOW = 1_700_000_000_000;

interface Captured {
  readonly path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- captured JSON, checked field by field by the assertions
  readonly body: any;
}

/** A local capture server: records every POST, answers with the scripted statuses (then 200). */
async function captureServer(
  script: Record<string, number[]> = {},
): Promise<{ url: string; requests: Captured[]; close(): Promise<void> }> {
  const requests: Captured[] = [];
  const remaining = Object.fromEntries(Object.entries(script).map(([k, v]) => [k, [...v]]));
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({ path, body: JSON.parse(text) });
      const status = remaining[path]?.shift() ?? 200;
      res.writeHead(status, status === 429 ? { 'retry-after': '0' } : {}).end(status === 200 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

let servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const gate: GateResult = failedErrorsGate(NOW);

function deps(base: string, overrides: Partial<NotifyDeps> = {}): NotifyDeps & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    channels: { teams: `${base}/teams`, slack: `${base}/slack`, webhook: `${base}/hook` },
    publicBaseUrl: 'https://ctl.example',
    linkSecret: SECRET,
    linkTtlMinutes: 60,
    clock: { now: () => NOW, sleep: async (ms: number) => void sleeps.push(ms) },
    log: captureLogger(),
    retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 30_000 },
    sleeps,
    ...overrides,
  };
}

const approvalInput: SendNotificationInput = {
  kind: 'approvalRequested',
  status: statusOf({
    phase: 'AwaitingApproval',
    gates: [{ ...gate, verdict: 'pass', reason: 'every check passed' }],
    step: { index: 5, count: 8, kind: 'approval', description: 'approval release-manager' },
  }),
  approval: { step: 5, name: 'release-manager', timeoutAtMs: NOW + 30 * 60_000 },
};

describe('notifications to a local capture server', () => {
  it('approval requested: Teams card, Slack blocks and generic JSON carry the evidence and signed, working links', async () => {
    const server = await captureServer();
    servers.push(server);
    const result = await sendRolloutNotification(approvalInput, deps(server.url));
    expect(result).toEqual({ sent: true, detail: 'sent to teams, slack, webhook' });
    const byPath = Object.fromEntries(server.requests.map((r) => [r.path, r.body]));

    const card = byPath['/teams'].attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(JSON.stringify(card.content.body)).toContain(
      'errorRate5xx fail: candidate 0.08 vs baseline 0.01 (threshold <= 1.5x baseline; n=900/8100',
    );
    const actions = card.content.actions as { title: string; url: string }[];
    expect(actions.map((a) => a.title)).toEqual(['Approve', 'Reject', 'Open dashboard']);
    const approve = verifyApprovalToken(actions[0]!.url.split('/api/approvals/')[1]!, SECRET, NOW);
    const reject = verifyApprovalToken(actions[1]!.url.split('/api/approvals/')[1]!, SECRET, NOW);
    expect([approve.decision, approve.step, approve.rolloutId, reject.decision]).toEqual(['approve', 5, 'r1', 'reject']);
    // Links end with the approval's timeout (30 min), before the 60 min TTL.
    expect(approve.expiresAtMs).toBe(NOW + 30 * 60_000);
    expect(actions[2]!.url).toBe('https://ctl.example/api/dashboard/#/rollouts/r1');

    const slack = byPath['/slack'];
    expect(slack.text).toMatch(/^Approval requested: credit-model 2 on credit-scoring/);
    const buttons = slack.blocks.find((b: { type: string }) => b.type === 'actions').elements;
    expect(buttons.map((b: { text: { text: string }; style?: string }) => [b.text.text, b.style])).toEqual([
      ['Approve', 'primary'],
      ['Reject', 'danger'],
      ['Open dashboard', undefined],
    ]);
    expect(JSON.stringify(slack.blocks)).toContain('*Evidence*');

    const hook = byPath['/hook'];
    expect(hook).toMatchObject({
      source: 'aml-rollout',
      kind: 'approvalRequested',
      rolloutId: 'r1',
      severity: 'warning',
      approval: { step: 5 },
      status: { phase: 'AwaitingApproval' },
    });
    expect(hook.links).toHaveLength(3);
  });

  it('every event kind produces a message', async () => {
    const server = await captureServer();
    servers.push(server);
    const kinds = ['rolloutStarted', 'stepCompleted', 'gateFailed', 'promoted', 'rolledBack', 'failed'] as const;
    for (const kind of kinds) {
      const result = await sendRolloutNotification(
        { kind, status: statusOf({ reason: kind === 'failed' ? 'ARM said 500' : undefined }), ...(kind === 'gateFailed' ? { gate } : {}) },
        deps(server.url, { channels: { webhook: `${server.url}/hook` } }),
      );
      expect(result.sent).toBe(true);
    }
    const titles = server.requests.map((r) => r.body.title as string);
    expect(titles).toEqual([
      'Rollout started: credit-model 2 on credit-scoring',
      'Step completed: credit-model 2 on credit-scoring',
      'Gate failed: credit-model 2 on credit-scoring',
      'Promoted: credit-model 2 on credit-scoring',
      'Rolled back: credit-model 2 on credit-scoring',
      'Rollout failed: credit-model 2 on credit-scoring',
    ]);
    expect(server.requests[2]!.body.summary).toBe('Gate "errors" failed: 5xx rate above 1.5x baseline');
    expect(server.requests[2]!.body.severity).toBe('critical');
    expect(server.requests[5]!.body.summary).toContain('ARM said 500');
  });

  it('retries 5xx and 429 with back-off, then succeeds', async () => {
    const server = await captureServer({ '/teams': [503, 429], '/slack': [500] });
    servers.push(server);
    const before = { ...notificationCounters.teams };
    const d = deps(server.url, { channels: { teams: `${server.url}/teams`, slack: `${server.url}/slack` } });
    const result = await sendRolloutNotification(approvalInput, d);
    expect(result.sent).toBe(true);
    expect(server.requests.filter((r) => r.path === '/teams')).toHaveLength(3);
    expect(server.requests.filter((r) => r.path === '/slack')).toHaveLength(2);
    expect(d.sleeps.sort((a, b) => a - b)).toEqual([0, 1000, 1000]);
    expect(notificationCounters.teams.retries - before.retries).toBe(2);
  });

  it('a failing channel never fails the send: logged, counted, others still delivered', async () => {
    const server = await captureServer({ '/slack': [500, 500, 500], '/hook': [400] });
    servers.push(server);
    const before = notificationCounters.slack.failed;
    const d = deps(server.url);
    const result = await sendRolloutNotification(approvalInput, d);
    expect(result.sent).toBe(true);
    expect(result.detail).toMatch(/slack: HTTP 500: nope \(after 3 attempts\)/);
    expect(result.detail).toMatch(/webhook: HTTP 400: nope \(after 1 attempt\)/);
    expect(server.requests.filter((r) => r.path === '/hook')).toHaveLength(1);
    expect(notificationCounters.slack.failed - before).toBe(1);
    const log = (d.log as ReturnType<typeof captureLogger>).lines.filter((l) => l.event === 'notify.failed');
    expect(log.map((l) => l.fields.channel).sort()).toEqual(['slack', 'webhook']);
    // The webhook URL's secret path never reaches the log.
    expect(JSON.stringify(log)).not.toContain('/slack');
  });

  it('an unreachable channel resolves with sent:false and never throws', async () => {
    const server = await captureServer();
    const url = server.url;
    await server.close();
    const result = await sendRolloutNotification(
      approvalInput,
      deps(url, { channels: { teams: `${url}/teams` }, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }),
    );
    expect(result.sent).toBe(false);
    expect(result.detail).toMatch(/teams: network error/);
    const invalid = await sendRolloutNotification({ kind: 'nope' } as unknown as SendNotificationInput, deps(url));
    expect(invalid.sent).toBe(false);
  });

  it('follows the plan: only the channels and kinds it carries; none configured means not sent', async () => {
    const server = await captureServer();
    servers.push(server);
    // What the policy said when the rollout was planned; the sender has no way to read policies.
    const notifications = { channels: ['slack' as const], on: ['promoted' as const] };
    expect(await sendRolloutNotification({ kind: 'stepCompleted', status: statusOf(), notifications }, deps(server.url))).toEqual({
      sent: false,
      detail: 'policy canary does not subscribe to stepCompleted',
    });
    expect((await sendRolloutNotification({ kind: 'promoted', status: statusOf(), notifications }, deps(server.url))).sent).toBe(true);
    expect(server.requests.map((r) => r.path)).toEqual(['/slack']);
    expect(
      await sendRolloutNotification(
        { kind: 'promoted', status: statusOf(), notifications: { channels: [], on: ['promoted'] } },
        deps(server.url),
      ),
    ).toEqual({ sent: false, detail: 'no notification channel configured for this rollout' });
    expect(await sendRolloutNotification({ kind: 'promoted', status: statusOf() }, deps(server.url, { channels: {} }))).toEqual({
      sent: false,
      detail: 'no notification channel configured for this rollout',
    });
  });

  it('an input without notifications from the plan (scheduled by an older version) goes to every configured channel', async () => {
    const server = await captureServer();
    servers.push(server);
    expect((await sendRolloutNotification({ kind: 'stepCompleted', status: statusOf() }, deps(server.url))).sent).toBe(true);
    expect(server.requests.map((r) => r.path).sort()).toEqual(['/hook', '/slack', '/teams']);
  });

  it('without a link secret, approval requests carry only the dashboard link', async () => {
    const server = await captureServer();
    servers.push(server);
    await sendRolloutNotification(approvalInput, deps(server.url, { linkSecret: undefined, channels: { webhook: `${server.url}/hook` } }));
    expect(server.requests[0]!.body.links.map((l: { label: string }) => l.label)).toEqual(['Open dashboard']);
  });
});
