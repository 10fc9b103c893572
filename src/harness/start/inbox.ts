/**
 * The local notification inbox of `npm start`: the app's Teams, Slack and generic webhooks point
 * here (NOTIFY_*_WEBHOOK_URL), and /inbox/ shows every message as the channel would, with its
 * working signed Approve / Reject links. On a first run it starts with three examples (an approval
 * request, a failed gate, a promotion), so a new user sees the whole flow before a rollout sends
 * anything.
 *
 * Routes (mounted on the local runtime, same origin as the dashboard):
 *   POST /inbox/teams | /inbox/slack | /inbox/webhook   a channel's webhook (answers 200 like they do)
 *   GET  /inbox/                                        the page (refreshes itself every 5 s)
 *   GET  /inbox/messages.json                           the same as data (the dashboard's counter, tests)
 *
 * Rendering is hand-written on purpose: an Adaptive Card or Block Kit renderer would pull a UI
 * framework into a page that shows three block types each, and the page must work without script.
 */
import type http from 'node:http';
import { z } from 'zod';
import { escapeHtml } from '../../api/http';
import { slackPayload, teamsPayload, type ChannelKind } from '../../notify/channels';
import type { RolloutNotification } from '../../notify/message';

export interface InboxMessage {
  readonly id: number;
  readonly channel: ChannelKind;
  readonly receivedAtMs: number;
  readonly body: unknown;
  /** A demo message of the first run: its links lead nowhere, so the page shows them disabled. */
  readonly example: boolean;
}

/** Bounded: the newest messages stay, so a long local run does not grow without end. */
const MAX_MESSAGES = 200;
const MAX_BODY_BYTES = 256 * 1024;
const CHANNELS: readonly ChannelKind[] = ['teams', 'slack', 'webhook'];

export interface Inbox {
  readonly messages: () => readonly InboxMessage[];
  /** The runtime's hook: true when the request was the inbox's. */
  readonly handle: (req: http.IncomingMessage, res: http.ServerResponse, path: string) => Promise<boolean>;
}

// ---- what the channels send (only the parts rendered; anything else is shown as JSON) ----------

const teamsSchema = z.object({
  attachments: z
    .array(
      z.object({
        content: z.object({
          body: z.array(
            z.looseObject({
              type: z.string(),
              text: z.string().optional(),
              weight: z.string().optional(),
              fontType: z.string().optional(),
              facts: z.array(z.object({ title: z.string(), value: z.string() })).optional(),
            }),
          ),
          actions: z.array(z.looseObject({ title: z.string(), url: z.string() })).default([]),
        }),
      }),
    )
    .min(1),
});

const slackText = z.object({ text: z.string() });
const slackSchema = z.object({
  text: z.string().optional(),
  blocks: z.array(
    z.looseObject({
      type: z.string(),
      text: slackText.optional(),
      fields: z.array(slackText).optional(),
      elements: z.array(z.looseObject({ text: slackText, url: z.string().optional() })).optional(),
    }),
  ),
});

const webhookSchema = z.looseObject({
  title: z.string(),
  summary: z.string(),
  links: z.array(z.object({ label: z.string(), url: z.string() })).default([]),
});

function linkButton(label: string, url: string, example: boolean): string {
  const tone = label === 'Approve' ? ' approve' : label === 'Reject' ? ' reject' : '';
  if (example && tone !== '')
    return `<span class="btn disabled${tone}" title="an example: no rollout behind it">${escapeHtml(label)}</span>`;
  // Only http(s) links become clickable: the body came over an open local port.
  if (!/^https?:\/\//i.test(url)) return `<span class="btn disabled">${escapeHtml(label)}</span>`;
  return `<a class="btn${tone}" href="${escapeHtml(url)}">${escapeHtml(label)}</a>`;
}

function renderTeams(body: unknown, example: boolean): string | undefined {
  const parsed = teamsSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const card = parsed.data.attachments[0]!.content;
  const blocks = card.body.map((block) => {
    if (block.type === 'FactSet')
      return `<table class="facts">${(block.facts ?? []).map((f) => `<tr><th>${escapeHtml(f.title)}</th><td>${escapeHtml(f.value)}</td></tr>`).join('')}</table>`;
    const text = escapeHtml(block.text ?? '');
    if (block.fontType === 'Monospace') return `<code class="line">${text}</code>`;
    return block.weight === 'Bolder' ? `<p><strong>${text}</strong></p>` : `<p>${text}</p>`;
  });
  const actions = card.actions.map((a) => linkButton(a.title, a.url, example)).join(' ');
  return `${blocks.join('\n')}<div class="actions">${actions}</div>`;
}

/** The emoji codes the app's Slack messages use (src/notify/channels.ts). */
const SLACK_EMOJI: Readonly<Record<string, string>> = { ':information_source:': 'ℹ️', ':warning:': '⚠️', ':rotating_light:': '🚨' };

/** Slack mrkdwn, the little of it the app writes: emoji codes, *bold* and ```code```. */
function mrkdwn(text: string): string {
  return escapeHtml(text)
    .replace(/:[a-z_]+:/g, (code) => SLACK_EMOJI[code] ?? code)
    .replace(/```([\s\S]*?)```/g, '<pre>$1</pre>')
    .replace(/\*([^*\n]+)\*/g, '<strong>$1</strong>')
    .replace(/\n/g, '<br>');
}

function renderSlack(body: unknown, example: boolean): string | undefined {
  const parsed = slackSchema.safeParse(body);
  if (!parsed.success) return undefined;
  return parsed.data.blocks
    .map((block) => {
      if (block.type === 'header') return `<p><strong>${escapeHtml(block.text?.text ?? '')}</strong></p>`;
      if (block.type === 'actions')
        return `<div class="actions">${(block.elements ?? []).map((e) => linkButton(e.text.text, e.url ?? '', example)).join(' ')}</div>`;
      const fields = block.fields ? `<div class="fields">${block.fields.map((f) => `<div>${mrkdwn(f.text)}</div>`).join('')}</div>` : '';
      return `${block.text ? `<p>${mrkdwn(block.text.text)}</p>` : ''}${fields}`;
    })
    .join('\n');
}

function renderWebhook(body: unknown, example: boolean): string | undefined {
  const parsed = webhookSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { title, summary, links } = parsed.data;
  return `<p><strong>${escapeHtml(title)}</strong></p><p>${escapeHtml(summary)}</p><div class="actions">${links.map((l) => linkButton(l.label, l.url, example)).join(' ')}</div>
<details><summary>JSON body</summary><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre></details>`;
}

const RENDER: Readonly<Record<ChannelKind, (body: unknown, example: boolean) => string | undefined>> = {
  teams: renderTeams,
  slack: renderSlack,
  webhook: renderWebhook,
};
const CHANNEL_NAME: Readonly<Record<ChannelKind, string>> = { teams: 'Microsoft Teams', slack: 'Slack', webhook: 'Webhook' };

function renderMessage(message: InboxMessage): string {
  const inner = RENDER[message.channel](message.body, message.example) ?? `<pre>${escapeHtml(JSON.stringify(message.body, null, 2))}</pre>`;
  const when = new Date(message.receivedAtMs).toISOString().replace('T', ' ').slice(0, 19);
  return `<article class="message ${message.channel}${message.example ? ' example' : ''}"><div class="meta"><span class="channel">${CHANNEL_NAME[message.channel]}</span> <span class="muted">${message.example ? 'example' : `${when} UTC`}</span></div>${inner}</article>`;
}

function renderInboxPage(messages: readonly InboxMessage[], dashboardUrl: string): string {
  const real = messages.filter((m) => !m.example).reverse();
  const examples = messages.filter((m) => m.example);
  const sections = [
    real.length > 0
      ? real.map(renderMessage).join('\n')
      : '<p class="muted">Nothing sent yet. Register a model version (see the terminal where <code>npm start</code> runs) and the rollout\'s messages appear here.</p>',
  ];
  if (examples.length > 0) {
    sections.push(
      '<h2>Examples</h2><p class="muted">What a rollout sends, shown on a first run. Their Approve and Reject buttons are disabled: no rollout stands behind them.</p>',
      examples.map(renderMessage).join('\n'),
    );
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="5"><title>aml-rollout inbox</title><style>
body{font-family:system-ui,sans-serif;max-width:52rem;margin:1.5rem auto;padding:0 1rem;color:#1b1f24;background:#f6f8fa}
h1{font-size:1.4rem}.muted{color:#57606a}.message{background:#fff;border:1px solid #d0d7de;border-left:4px solid #6e7781;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}
.teams{border-left-color:#5b5fc7}.slack{border-left-color:#4a154b}.webhook{border-left-color:#0969da}.example{opacity:.85}
.meta{font-size:.85rem;margin-bottom:.3rem}.channel{font-weight:600}.facts th{text-align:left;padding-right:1rem;font-weight:600}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:.3rem 1rem}code.line{display:block;font-size:.85rem;white-space:pre-wrap}pre{white-space:pre-wrap;font-size:.85rem;background:#f6f8fa;padding:.4rem}
.actions{margin:.5rem 0}.btn{display:inline-block;padding:.3rem .9rem;border:1px solid #8c959f;border-radius:6px;text-decoration:none;color:#1b1f24;margin-right:.3rem}
.btn.approve{background:#1a7f37;color:#fff;border-color:#1a7f37}.btn.reject{background:#cf222e;color:#fff;border-color:#cf222e}.btn.disabled{opacity:.5;cursor:not-allowed}
</style></head><body><h1>Notification inbox</h1>
<p class="muted">Everything this local run sent to Teams, Slack and the webhook, as each would show it (newest first). Approve and Reject open the real signed approval page. <a href="${escapeHtml(dashboardUrl)}">Dashboard</a></p>
${sections.join('\n')}</body></html>`;
}

/** Answers, and says the request was the inbox's. */
function send(res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): true {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
  res.end(body);
  return true;
}

async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The three demo messages, written by the same channel code the app uses. */
function exampleMessages(publicBaseUrl: string, nowMs: number): Omit<InboxMessage, 'id'>[] {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const common = { rolloutId: 'credit-scoring--credit-model-v2--example', gates: [] };
  const facts = { Model: 'credit-model version 2', Endpoint: 'credit-scoring', Policy: 'credit-canary-demo (canary)' };
  const dashboard = { label: 'Open dashboard', url: `${base}/api/dashboard/` };
  const approval: RolloutNotification = {
    ...common,
    kind: 'approvalRequested',
    severity: 'warning',
    title: 'Approval requested: credit-model 2 on credit-scoring',
    summary: 'credit-model 2 on credit-scoring waits for approval "release". Review the evidence, then approve or reject.',
    facts: { ...facts, Phase: 'AwaitingApproval', Step: 'step 8 of 11: approval release', Traffic: 'blue 50%, credit-model-v2 50%' },
    links: [
      { label: 'Approve', url: `${base}/api/approvals/example` },
      { label: 'Reject', url: `${base}/api/approvals/example` },
      dashboard,
    ],
  };
  const gateFailed: RolloutNotification = {
    ...common,
    kind: 'gateFailed',
    severity: 'critical',
    title: 'Gate failed: credit-model 3 on credit-scoring',
    summary:
      'Gate "health" failed: failedRequestRate 0.31 is above 0.05 (candidate 0.31 vs baseline 0.01 over 240 requests); rolling back.',
    facts: { ...facts, Model: 'credit-model version 3', Phase: 'RollingBack', Traffic: 'blue 90%, credit-model-v3 10%' },
    links: [dashboard],
  };
  const promoted: RolloutNotification = {
    ...common,
    kind: 'promoted',
    severity: 'info',
    title: 'Promoted: credit-model 2 on credit-scoring',
    summary: 'credit-model 2 now serves all traffic on credit-scoring.',
    facts: { ...facts, Phase: 'Promoted', Traffic: 'credit-model-v2 100%' },
    links: [dashboard],
  };
  return [
    { channel: 'teams', receivedAtMs: nowMs, body: teamsPayload(approval), example: true },
    { channel: 'slack', receivedAtMs: nowMs, body: slackPayload(gateFailed), example: true },
    { channel: 'teams', receivedAtMs: nowMs, body: teamsPayload(promoted), example: true },
  ];
}

export interface InboxOptions {
  /** PUBLIC_BASE_URL of the app (the examples' and the page's dashboard links). */
  readonly publicBaseUrl: () => string;
  /** Start with the example messages (a first run). */
  readonly examples: boolean;
  /** Wall time for receipt stamps (the inbox is for people: it shows when a message arrived). */
  readonly now?: () => number;
}

export function createInbox(options: InboxOptions): Inbox {
  const now = options.now ?? Date.now;
  let nextId = 1;
  const stored: InboxMessage[] = options.examples
    ? exampleMessages(options.publicBaseUrl(), now()).map((m) => ({ ...m, id: nextId++ }))
    : [];

  return {
    messages: () => stored,
    async handle(req, res, path) {
      if (path !== '/inbox' && !path.startsWith('/inbox/')) return false;
      const rest = path.slice('/inbox'.length).replace(/^\/+/, '');
      if (req.method === 'POST') {
        const channel = CHANNELS.find((c) => c === rest);
        if (!channel)
          return send(
            res,
            404,
            'application/json',
            JSON.stringify({
              error: { code: 'NotFound', message: `no channel "${rest}": post to /inbox/teams, /inbox/slack or /inbox/webhook` },
            }),
          );
        const text = await readBody(req);
        if (text === undefined)
          return send(
            res,
            413,
            'application/json',
            JSON.stringify({ error: { code: 'InvalidInput', message: `body over ${MAX_BODY_BYTES} bytes` } }),
          );
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return send(res, 400, 'application/json', JSON.stringify({ error: { code: 'InvalidInput', message: 'body is not JSON' } }));
        }
        stored.push({ id: nextId++, channel, receivedAtMs: now(), body, example: false });
        const real = stored.filter((m) => !m.example);
        if (real.length > MAX_MESSAGES) stored.splice(stored.indexOf(real[0]!), 1);
        // Teams and Slack incoming webhooks answer 200 with a short text body.
        return send(res, 200, 'text/plain; charset=utf-8', channel === 'webhook' ? '' : '1');
      }
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(
          res,
          405,
          'application/json',
          JSON.stringify({ error: { code: 'InvalidInput', message: 'the inbox takes GET (the page) and POST (a channel)' } }),
        );
      if (rest === 'messages.json') return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ messages: stored }));
      if (rest === '' && !path.endsWith('/')) return send(res, 308, 'text/plain', '', { location: '/inbox/' });
      if (rest !== '') return send(res, 404, 'text/plain; charset=utf-8', 'not found');
      const page = renderInboxPage(stored, `${options.publicBaseUrl().replace(/\/+$/, '')}/api/dashboard/`);
      return send(res, 200, 'text/html; charset=utf-8', page, {
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      });
    },
  };
}
