/**
 * The sendNotification activity without a channel sender (the plain fallback through the Notifier
 * port) says what src/notify delivers to a channel, for every kind: one builder of the message.
 */
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { sendRolloutNotification } from '../../src/notify';
import { ACTIVITY } from '../../src/orchestration/activity-names';
import type { SendNotificationInput } from '../../src/orchestration/activity-contracts';
import { NOTIFICATION_EVENTS } from '../../src/policy/schema';
import type { Notification, NotificationKind, Notifier } from '../../src/ports';
import { createFakeEndpointControl, createFakeMetricsSource, createFakeModelRegistry } from '../fixtures/engine-app/world';
import { failedErrorsGate, statusOf } from '../api/fakes';

const NOW = 1_700_000_000_000;

const failedGate = failedErrorsGate(NOW);

const retrying = { step: 7, failures: 1, error: 'HTTP 409 Conflict', nextAttemptAtMs: NOW + 5 * 60_000 };

/** One input per kind, with what that kind carries (the type makes the table exhaustive). */
const INPUTS: Record<NotificationKind, SendNotificationInput> = {
  rolloutStarted: {
    kind: 'rolloutStarted',
    status: statusOf({ phase: 'Deploying', step: { index: 0, count: 8, kind: 'deploy', description: 'deploy' } }),
  },
  stepCompleted: { kind: 'stepCompleted', status: statusOf() },
  gateFailed: { kind: 'gateFailed', status: statusOf({ gates: [failedGate] }), gate: failedGate },
  approvalRequested: {
    kind: 'approvalRequested',
    status: statusOf({ phase: 'AwaitingApproval', step: { index: 5, count: 8, kind: 'approval', description: 'approval release' } }),
    approval: { step: 5, name: 'release', timeoutAtMs: NOW + 30 * 60_000, reminder: true, why: 'the cost limit is exceeded' },
  },
  promoted: { kind: 'promoted', status: statusOf({ phase: 'Promoted', outcome: 'promoted', traffic: { 'credit-model-v2': 100 } }) },
  rolledBack: {
    kind: 'rolledBack',
    status: statusOf({
      phase: 'RolledBack',
      outcome: 'rolledBack',
      reason: 'gate errors failed',
      gates: [failedGate],
      traffic: { blue: 100 },
    }),
  },
  failed: {
    kind: 'failed',
    status: statusOf({
      phase: 'Failed',
      outcome: 'failed',
      reason: 'rollback failed: HTTP 409 Conflict',
      retrying,
      waitingFor: { kind: 'resume', untilMs: NOW + 24 * 60 * 60_000, detail: 'failed rollback: retried automatically with back-off' },
    }),
  },
  cleanupFailed: {
    kind: 'cleanupFailed',
    status: statusOf({ phase: 'RolledBack', outcome: 'rolledBack', retrying }),
    cleanup: { deployment: 'credit-model-v2' },
  },
  cleanupDone: {
    kind: 'cleanupDone',
    status: statusOf({ phase: 'RolledBack', outcome: 'rolledBack' }),
    cleanup: { deployment: 'credit-model-v2' },
  },
};

function activitiesWith(notifier: Notifier) {
  return createActivities({
    endpointControl: createFakeEndpointControl(),
    metricsSource: createFakeMetricsSource(),
    modelRegistry: createFakeModelRegistry(),
    notifier,
    policyStore: { getPolicy: () => Promise.reject(new Error('not used')) },
    clock: { now: () => NOW, sleep: async () => undefined },
  });
}

/** What the plain fallback hands the Notifier port. */
async function fallbackSends(input: SendNotificationInput): Promise<{ sent: Notification[]; answer: unknown }> {
  const sent: Notification[] = [];
  const answer = await activitiesWith({ send: async (n) => void sent.push(n) })[ACTIVITY.sendNotification](input);
  return { sent, answer };
}

/** What src/notify delivers to a generic webhook for the same input (links configured). */
async function webhookReceives(input: SendNotificationInput): Promise<Record<string, unknown>> {
  const bodies: Record<string, unknown>[] = [];
  const answer = await sendRolloutNotification(input, {
    channels: { webhook: 'https://hooks.example/rollouts' },
    publicBaseUrl: 'https://ctl.example',
    linkSecret: 'fallback-test-secret-0123456789abcdef',
    linkTtlMinutes: 60,
    clock: { now: () => NOW, sleep: async () => undefined },
    fetch: async (_url, init) => {
      bodies.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
      return new Response('ok', { status: 200 });
    },
  });
  expect(answer.sent).toBe(true);
  expect(bodies).toHaveLength(1);
  return bodies[0]!;
}

describe('sendNotification without a channel sender (the Notifier port)', () => {
  it('has an input for every notification kind', () => {
    expect(Object.keys(INPUTS).sort()).toEqual([...NOTIFICATION_EVENTS].sort());
  });

  it.each(NOTIFICATION_EVENTS)('%s: title, summary, severity and facts are what src/notify delivers to a channel', async (kind) => {
    const input = INPUTS[kind];
    const { sent, answer } = await fallbackSends(input);
    expect(answer).toEqual({ sent: true });
    expect(sent).toHaveLength(1);
    const plain = sent[0]!;
    const delivered = await webhookReceives(input);
    expect({ kind: plain.kind, rolloutId: plain.rolloutId, title: plain.title, summary: plain.summary, severity: plain.severity }).toEqual({
      kind: delivered.kind,
      rolloutId: delivered.rolloutId,
      title: delivered.title,
      summary: delivered.summary,
      severity: delivered.severity,
    });
    // The only fact the channel message has beyond the plain one is when its signed links expire.
    const { ['Links expire']: linksExpire, ...deliveredFacts } = delivered.facts as Record<string, string>;
    expect(plain.facts).toEqual(deliveredFacts);
    expect(linksExpire === undefined).toBe(kind !== 'approvalRequested');
    // No secret and no app address on this path: no approve / reject links, no dashboard link.
    expect(plain.links).toEqual([]);
    expect((delivered.links as unknown[]).length).toBe(kind === 'approvalRequested' ? 3 : 1);
  });

  it('names the step an approval request is for, so an answer can say it', async () => {
    const { sent } = await fallbackSends(INPUTS.approvalRequested);
    expect(sent[0]?.facts['Approval']).toBe('release (step 6) (reminder)');
    expect(sent[0]?.facts['Why']).toBe('the cost limit is exceeded');
  });

  it.each(NOTIFICATION_EVENTS)('%s: a failing notifier answers sent: false with its error, and never throws', async (kind) => {
    const answer = await activitiesWith({
      send: () => Promise.reject(new Error(`webhook down for ${kind}`)),
    })[ACTIVITY.sendNotification](INPUTS[kind]);
    expect(answer).toEqual({ sent: false, detail: `webhook down for ${kind}` });
  });
});
