/**
 * An approval notification says why a person is asked when a rule asks (the cost limit, missing
 * data, prediction disagreement): the orchestrator passes the reason as `approval.why`, and the
 * message shows it as is. Nothing is inferred from the approval's name any more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/harness/local-runtime/runtime';
import { buildRolloutNotification } from '../../src/notify/message';
import { sendNotificationInputSchema } from '../../src/orchestration/activity-contracts';
import type { Notification } from '../../src/ports';
import { approvalStep, finish, onNotification, policyYaml, raise, scenario, startEngine, startRollout } from '../orchestration/harness';
import { statusOf } from '../api/fakes';

const NOW = 1_700_000_000_000;
const OPTIONS = { publicBaseUrl: 'https://ctl.example', linkSecret: undefined, linkTtlMinutes: 60, nowMs: NOW };

describe('the "Why" line of an approval request', () => {
  const names = ['cost', 'no-data', 'prediction-agreement', 'release'];
  const cases = names.flatMap((name) => [
    { name, why: `reason for ${name}: 3 of 5 minutes without requests` },
    { name, why: undefined },
  ]);
  it.each(cases)('approval $name, why $why', ({ name, why }) => {
    // The wait detail names the rule too: the old name matching would have shown it for the rule names.
    const status = statusOf({
      phase: 'AwaitingApproval',
      waitingFor: { kind: 'approval', untilMs: NOW + 60_000, detail: `waiting for approval '${name}' (something)` },
    });
    const input = sendNotificationInputSchema.parse({
      kind: 'approvalRequested',
      status,
      approval: { step: 2, name, timeoutAtMs: NOW + 60_000, ...(why === undefined ? {} : { why }) },
    });
    expect(input.approval?.why, 'the activity contract keeps the field').toBe(why);
    expect(buildRolloutNotification(input, OPTIONS).facts['Why']).toBe(why);
  });

  it('is shown for approvalRequested only', () => {
    const status = statusOf({ phase: 'Baking' });
    const input = sendNotificationInputSchema.parse({
      kind: 'stepCompleted',
      status,
      approval: { step: 2, name: 'cost', timeoutAtMs: NOW, why: 'cost up 30%' },
    });
    expect(buildRolloutNotification(input, OPTIONS).facts['Why']).toBeUndefined();
  });
});

describe('end to end: the orchestrator passes why with a rule-made approval, and not with a policy step', () => {
  // One local runtime (virtual clock) with the engine fixture app: real orchestrator and activities over fake ports.
  const engine: { rt?: LocalRuntime } = {};
  beforeAll(async () => void (engine.rt = await startEngine()), 60_000);
  afterAll(() => engine.rt?.stop());

  it('no data (noData: requestApproval) then the policy approval "release"', async () => {
    const strategy = `  canary:
    steps:
      - { percent: 10, bakeMinutes: 10 }
      - { percent: 100, bakeMinutes: 5, approval: release }`;
    const s = scenario((endpoint) => policyYaml('x', { endpoint, strategy, noData: 'requestApproval', approvalTimeoutMinutes: 90 }), {
      requestsPerMinute: 2,
    });
    const rt = engine.rt!;
    const asked: Notification[] = [];
    onNotification(s.id, async (n) => {
      if (n.kind !== 'approvalRequested') return;
      asked.push(n);
      await raise(rt, s.id, 'approval', { decision: 'approve', by: 'alice@contoso.com', step: approvalStep(n), rolloutId: s.id, atMs: 0 });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    const noData = asked.filter((n) => n.facts.Approval?.startsWith('no-data'));
    const release = asked.filter((n) => n.facts.Approval?.startsWith('release'));
    expect(noData.length).toBeGreaterThan(0);
    expect(release.length).toBeGreaterThan(0);
    // The no-data reason (how long the gates stayed inconclusive, or how few requests the candidate served).
    for (const n of noData)
      expect(n.facts.Why).toMatch(/^(gates stayed inconclusive for \d+ min|the candidate served \d+ requests, \d+ needed)/);
    for (const n of release) expect(n.facts.Why).toBeUndefined();
  }, 30_000);
});
