/**
 * Channel payloads: Microsoft Teams (an Adaptive Card, accepted by both incoming webhooks and
 * Workflows "post to a channel when a webhook request is received"), Slack (incoming webhook with
 * Block Kit), and a generic JSON webhook (the notification as data, for anything else).
 */
import type { SendNotificationInput } from '../orchestration/activity-contracts';
import { evidenceLines, type RolloutNotification } from './message';

export type ChannelKind = 'teams' | 'slack' | 'webhook';

const TEAMS_COLOR = { info: 'Accent', warning: 'Warning', critical: 'Attention' } as const;

/** Teams: a message with one Adaptive Card attachment (schema 1.4, what Teams renders). */
export function teamsPayload(n: RolloutNotification): unknown {
  const evidence = evidenceLines(n.gates);
  const body: unknown[] = [
    { type: 'TextBlock', text: n.title, weight: 'Bolder', size: 'Medium', wrap: true, color: TEAMS_COLOR[n.severity] },
    { type: 'TextBlock', text: n.summary, wrap: true },
    { type: 'FactSet', facts: Object.entries(n.facts).map(([title, value]) => ({ title, value })) },
  ];
  if (evidence.length > 0) {
    body.push({ type: 'TextBlock', text: 'Evidence', weight: 'Bolder', spacing: 'Medium' });
    body.push(
      ...evidence.map((line) => ({ type: 'TextBlock', text: line, wrap: true, fontType: 'Monospace', size: 'Small', spacing: 'None' })),
    );
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
          actions: n.links.map((l) => ({
            type: 'Action.OpenUrl',
            title: l.label,
            url: l.url,
            ...(l.label === 'Approve' ? { style: 'positive' } : l.label === 'Reject' ? { style: 'destructive' } : {}),
          })),
        },
      },
    ],
  };
}

function slackText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack: Block Kit (header, summary, up to 10 facts, evidence, link buttons) with a text fallback. */
export function slackPayload(n: RolloutNotification): unknown {
  const icon = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' }[n.severity];
  const evidence = evidenceLines(n.gates);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: slackText(n.title, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: slackText(`${icon} ${n.summary}`, 3000) } },
    {
      type: 'section',
      fields: Object.entries(n.facts)
        .slice(0, 10)
        .map(([k, v]) => ({ type: 'mrkdwn', text: slackText(`*${k}*\n${v}`, 2000) })),
    },
  ];
  if (evidence.length > 0)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackText(`*Evidence*\n\`\`\`${evidence.join('\n')}\`\`\``, 3000) } });
  if (n.links.length > 0) {
    blocks.push({
      type: 'actions',
      elements: n.links.slice(0, 5).map((l, i) => ({
        type: 'button',
        action_id: `link-${i}`,
        text: { type: 'plain_text', text: l.label },
        url: l.url,
        ...(l.label === 'Approve' ? { style: 'primary' } : l.label === 'Reject' ? { style: 'danger' } : {}),
      })),
    });
  }
  return { text: `${n.title}: ${n.summary}`, blocks };
}

/** Generic webhook: the notification and the raw status, for automation. */
export function webhookPayload(n: RolloutNotification, input: SendNotificationInput): unknown {
  return {
    source: 'aml-rollout',
    kind: n.kind,
    rolloutId: n.rolloutId,
    severity: n.severity,
    title: n.title,
    summary: n.summary,
    facts: n.facts,
    links: n.links,
    ...(n.linksExpireAtMs !== undefined ? { linksExpireAt: new Date(n.linksExpireAtMs).toISOString() } : {}),
    gates: n.gates,
    status: input.status,
    ...(input.approval ? { approval: input.approval } : {}),
  };
}
