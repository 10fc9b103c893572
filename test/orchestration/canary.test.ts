/**
 * Canary, end to end on the local runtime (virtual clock): every ending, with the final fake
 * endpoint state, the status fields, the journal and the verdict tags asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/harness/local-runtime/runtime';
import { APPROVAL_EVENT, CONTROL_EVENT } from '../../src/orchestration/events';
import { rolloutStatusSchema } from '../../src/plan/types';
import { getWorld } from '../fixtures/engine-app/world';
import {
  approvalStep,
  autoDecide,
  finish,
  getStatus,
  modelTags,
  notificationsOf,
  onNotification,
  onTraffic,
  policyYaml,
  raise,
  scenario,
  startEngine,
  startRollout,
  type PolicyOptions,
} from './harness';

const CANARY = `  canary:
    steps:
      - { percent: 10, bakeMinutes: 10 }
      - { percent: 50, bakeMinutes: 10 }
      - { percent: 100, bakeMinutes: 5, approval: release }`;

/**
 * What a rollout does is fixed when it is planned: the policy rewritten mid-rollout (one step, no
 * approval, other approvers, one notification kind) must change nothing of it.
 */
const REWRITTEN = `  canary:
    steps:
      - { percent: 30, bakeMinutes: 5 }
      - { percent: 100, bakeMinutes: 5 }`;

const canary =
  (extra: Partial<PolicyOptions> = {}) =>
  (endpoint: string) =>
    policyYaml('x', { endpoint, strategy: CANARY, ...extra });

let rt: LocalRuntime;
beforeAll(async () => {
  rt = await startEngine();
}, 60_000);
afterAll(async () => {
  await rt?.stop();
});

function expectRolledBackEndpoint(s: ReturnType<typeof scenario>): void {
  expect(s.endpoint.traffic).toEqual({ blue: 100 });
  expect(s.endpoint.mirror).toEqual({});
  expect([...s.endpoint.deployments.keys()]).toEqual(['blue']);
}

describe('canary on the local runtime', () => {
  it('always publishes a status while running, across every continueAsNew', async () => {
    const s = scenario(canary());
    autoDecide(rt, s, 'approve');
    const seen: { status: string; hasCustomStatus: boolean }[] = [];
    const stop = rt.onInstanceChange((id) => {
      if (id !== s.id) return;
      const row = rt.getInstance(id);
      if (row) seen.push({ status: row.status, hasCustomStatus: row.customStatus !== null });
    });
    try {
      await startRollout(rt, s);
      await finish(rt, s.id);
    } finally {
      stop();
    }
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.filter((r) => r.status === 'Running' && !r.hasCustomStatus)).toEqual([]);
  });

  it('promotes a healthy candidate after approval, deletes blue after retention, tags the model', async () => {
    const s = scenario(canary());
    autoDecide(rt, s, 'approve');
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(status.phase).toBe('Promoted');
    const candidate = status.candidate;
    expect(candidate).not.toBe('blue');
    expect(s.endpoint.traffic).toEqual({ [candidate]: 100 });
    expect([...s.endpoint.deployments.keys()]).toEqual([candidate]);
    expect(s.endpoint.trafficHistory.map((h) => h.traffic[candidate] ?? 0)).toEqual([10, 50, 100]);
    expect(status.approvals).toEqual([
      expect.objectContaining({ decision: 'approve', by: 'alice@contoso.com', accepted: true, comment: 'approve from test' }),
    ]);
    expect(status.gates.length).toBeGreaterThan(0);
    expect(status.step.index).toBe(status.step.count);
    expect(status.journal.some((j) => j.message.includes(`deleted 'blue'`))).toBe(true);
    expect(status.journal.filter((j) => j.traffic !== undefined).map((j) => j.traffic?.[candidate])).toEqual([10, 50, 100]);
    expect(modelTags(s)).toMatchObject({ 'rollout-status': 'promoted', 'rollout-id': s.id });
    expect(notificationsOf(s.id)).toEqual(expect.arrayContaining(['rolloutStarted', 'approvalRequested', 'promoted']));
  }, 30_000);

  it('rolls back when the candidate fails its gate, with the evidence on the status', async () => {
    const s = scenario(canary());
    s.endpoint.behaviourByModel['/versions/2'] = { errorRate: 0.3, latencyMs: 100 };
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('rolledBack');
    expect(status.phase).toBe('RolledBack');
    expect(status.reason).toMatch(/gate 'health' failed/);
    expect(status.gates[0]?.verdict).toBe('fail');
    expect(status.gates[0]?.evidence.some((e) => e.metric === 'errorRate5xx' && e.verdict === 'fail')).toBe(true);
    expectRolledBackEndpoint(s);
    expect(modelTags(s)['rollout-status']).toBe('rolledBack');
    expect(notificationsOf(s.id)).toEqual(expect.arrayContaining(['gateFailed', 'rolledBack']));
  }, 30_000);

  it('ends Rejected when the approver rejects', async () => {
    const s = scenario(canary());
    autoDecide(rt, s, 'reject');
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('rejected');
    expect(status.phase).toBe('Rejected');
    expect(status.reason).toMatch(/rejected by alice@contoso.com/);
    expect(status.approvals[0]).toMatchObject({ decision: 'reject', accepted: true });
    expectRolledBackEndpoint(s);
  }, 30_000);

  it('rolls back when the approval times out (onTimeout: rollback)', async () => {
    const s = scenario(canary({ approvalTimeoutMinutes: 45 }));
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('rolledBack');
    expect(status.reason).toMatch(/approval 'release' timed out after 45 min/);
    expect(status.approvals).toEqual([]);
    expectRolledBackEndpoint(s);
  }, 30_000);

  it('goes on when the approval times out with onTimeout: promote', async () => {
    const s = scenario(canary({ onTimeout: 'promote' }));
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(status.journal.some((j) => j.message.includes('timed out; the policy says go on'))).toBe(true);
  }, 30_000);

  it('sends reminders and keeps waiting with onTimeout: remind, until someone approves', async () => {
    const s = scenario(canary({ onTimeout: 'remind', approvalTimeoutMinutes: 30 }));
    let requests = 0;
    onNotification(s.id, async (n) => {
      if (n.kind !== 'approvalRequested') return;
      requests += 1;
      if (requests === 3)
        await raise(rt, s.id, 'approval', {
          decision: 'approve',
          by: 'alice@contoso.com',
          step: approvalStep(n),
          rolloutId: s.id,
          atMs: 0,
        });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(requests).toBe(3);
    expect(status.journal.some((j) => j.message.includes('reminder 2 sent'))).toBe(true);
  }, 30_000);

  it('reminders are bounded: nobody answering 5 reminders (the default) rolls back with the reason', async () => {
    const s = scenario(canary({ onTimeout: 'remind', approvalTimeoutMinutes: 30 }));
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('rolledBack');
    expect(status.reason).toBe("approval 'release' got no decision after 5 reminders");
    expect(notificationsOf(s.id).filter((k) => k === 'approvalRequested')).toHaveLength(6);
    expectRolledBackEndpoint(s);
  }, 30_000);

  it('records and ignores decisions for another step or another rollout', async () => {
    const s = scenario(canary());
    onNotification(s.id, async (n) => {
      if (n.kind !== 'approvalRequested') return;
      const step = approvalStep(n);
      await raise(rt, s.id, 'approval', { decision: 'reject', by: 'alice@contoso.com', step: step - 1, rolloutId: s.id, atMs: 1 });
      await raise(rt, s.id, 'approval', { decision: 'reject', by: 'alice@contoso.com', step, rolloutId: 'some-older-rollout', atMs: 2 });
      await raise(rt, s.id, 'approval', { decision: 'approve', by: 'mallory@contoso.com', step, rolloutId: s.id, atMs: 3 });
      await raise(rt, s.id, 'approval', { decision: 'approve', by: 'alice@contoso.com', step, rolloutId: s.id, atMs: 4 });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(status.approvals.map((a) => [a.decision, a.accepted])).toEqual([
      ['reject', false],
      ['reject', false],
      ['approve', false],
      ['approve', true],
    ]);
    expect(status.approvals[0]?.note).toMatch(/meant for step/);
    expect(status.approvals[1]?.note).toMatch(/meant for rollout 'some-older-rollout'/);
    expect(status.approvals[2]?.note).toMatch(/not an approver/);
  }, 30_000);

  it('aborts on the operator’s request mid-rollout and rolls back', async () => {
    const s = scenario(canary());
    onTraffic(s.endpoint.name, async (traffic) => {
      if ((traffic.blue ?? 0) === 50)
        await raise(rt, s.id, CONTROL_EVENT, { action: 'abort', by: 'ops@contoso.com', comment: 'customer complaints', atMs: 0 });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('aborted');
    expect(status.phase).toBe('Aborted');
    expect(status.reason).toBe('aborted by ops@contoso.com');
    expect(status.overrides).toEqual([expect.objectContaining({ action: 'abort', by: 'ops@contoso.com', comment: 'customer complaints' })]);
    expectRolledBackEndpoint(s);
    expect(modelTags(s)['rollout-status']).toBe('aborted');
  }, 30_000);

  it('ignores controls from someone who is not an operator', async () => {
    const s = scenario(canary());
    autoDecide(rt, s, 'approve');
    onTraffic(s.endpoint.name, async (traffic) => {
      if ((traffic.blue ?? 0) === 90) await raise(rt, s.id, CONTROL_EVENT, { action: 'abort', by: 'mallory@contoso.com', atMs: 0 });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(status.overrides).toEqual([]);
    expect(status.journal.some((j) => /abort by mallory@contoso.com ignored: .*not an operator/.test(j.message))).toBe(true);
  }, 30_000);

  it('promote now skips the remaining steps and records the override', async () => {
    const s = scenario(canary());
    onTraffic(s.endpoint.name, async (traffic) => {
      if ((traffic.blue ?? 0) === 90)
        await raise(rt, s.id, CONTROL_EVENT, { action: 'promote', by: 'ops@contoso.com', comment: 'hotfix', atMs: 0 });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(status.overrides).toEqual([expect.objectContaining({ action: 'promote', by: 'ops@contoso.com', comment: 'hotfix' })]);
    // 10% then straight to 100%: the 50% step and the approval were skipped.
    expect(s.endpoint.trafficHistory.map((h) => h.traffic[status.candidate] ?? 0)).toEqual([10, 100]);
    expect(status.approvals).toEqual([]);
  }, 30_000);

  it('pause holds traffic where it is until resume', async () => {
    const s = scenario(canary());
    autoDecide(rt, s, 'approve');
    onTraffic(s.endpoint.name, async (traffic) => {
      if ((traffic.blue ?? 0) === 90) await raise(rt, s.id, CONTROL_EVENT, { action: 'pause', by: 'ops@contoso.com', atMs: 0 });
    });
    await startRollout(rt, s);
    await rt.waitForIdle();
    const paused = await getStatus(rt, s.id);
    expect(paused.runtimeStatus).toBe('Running');
    expect(paused.customStatus.paused).toBe(true);
    expect(paused.customStatus.waitingFor?.kind).toBe('resume');
    expect(s.endpoint.traffic).toMatchObject({ blue: 90 });
    await raise(rt, s.id, CONTROL_EVENT, { action: 'resume', by: 'ops@contoso.com', atMs: 1 });
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(status.paused).toBe(false);
    expect(status.overrides.map((o) => o.action)).toEqual(['pause', 'resume']);
  }, 30_000);

  it('rolls back on no data (too little traffic), per the policy’s no-data outcome', async () => {
    const s = scenario(canary({ noData: 'rollback' }), { requestsPerMinute: 2 });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('rolledBack');
    expect(status.reason).toMatch(/^no data: /);
    expect(status.gates[0]?.verdict).toBe('inconclusive');
    expectRolledBackEndpoint(s);
  }, 30_000);

  it('noData extend is bounded: the step starts over at most 3 times (the default), then rolls back with the reason', async () => {
    const s = scenario(canary({ noData: 'extend' }), { requestsPerMinute: 2 });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('rolledBack');
    expect(status.reason).toMatch(/^no data after 3 extensions \(/);
    const extensions = status.journal
      .filter((j) => /the policy says keep extending \(extension \d\)/.test(j.message))
      .map((j) => /extension (\d)\)/.exec(j.message)?.[1]);
    expect(extensions).toEqual(['1', '2', '3']);
    expectRolledBackEndpoint(s);
  }, 30_000);

  it('asks a person when data stays missing (noData: requestApproval), and goes on when approved', async () => {
    const s = scenario(canary({ noData: 'requestApproval', approvalTimeoutMinutes: 90 }), { requestsPerMinute: 2 });
    const asked: string[] = [];
    onNotification(s.id, async (n) => {
      if (n.kind !== 'approvalRequested') return;
      asked.push(n.facts.Approval ?? '');
      await raise(rt, s.id, 'approval', {
        decision: 'approve',
        by: 'alice@contoso.com',
        comment: 'low traffic is expected',
        step: approvalStep(n),
        rolloutId: s.id,
        atMs: 0,
      });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(asked.some((a) => a.startsWith('no-data'))).toBe(true);
    expect(status.journal.some((j) => /waiting for approval 'no-data'/.test(j.message))).toBe(true);
  }, 30_000);

  it('rolls back when nobody answers the no-data approval (its timeout is the policy approval’s)', async () => {
    const s = scenario(canary({ noData: 'requestApproval', approvalTimeoutMinutes: 90, onTimeout: 'promote' }), { requestsPerMinute: 2 });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('rolledBack');
    expect(status.reason).toBe("approval 'no-data' timed out after 90 min");
    expectRolledBackEndpoint(s);
  }, 30_000);

  it('rolls back when Azure keeps answering 409 to the deployment create', async () => {
    const s = scenario(canary());
    s.endpoint.faults.createDeployment = { status: 409, remaining: Infinity };
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('rolledBack');
    expect(status.reason).toMatch(/step 1 \(deploy\) failed: .*409/);
    expectRolledBackEndpoint(s);
    // Retried with back-off before giving up.
    expect(s.endpoint.calls.filter((c) => c === 'createDeployment').length).toBeGreaterThan(1);
  }, 30_000);

  it('ends Failed when persistent 5xx make even the rollback impossible, and retry after the fault clears rolls back', async () => {
    const s = scenario(canary());
    onTraffic(s.endpoint.name, (traffic) => {
      if ((traffic.blue ?? 0) === 90) s.endpoint.faults.setTraffic = { status: 500, remaining: Infinity };
    });
    onNotification(s.id, async (n) => {
      if (n.kind !== 'failed') return;
      s.endpoint.faults.setTraffic = undefined;
      await raise(rt, s.id, CONTROL_EVENT, { action: 'retry', by: 'ops@contoso.com', atMs: 0 });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.journal.some((j) => /rollback failed: .*500/.test(j.message))).toBe(true);
    expect(status.overrides.map((o) => o.action)).toEqual(['retry']);
    expect(status.outcome).toBe('rolledBack');
    expectRolledBackEndpoint(s);
  }, 30_000);

  it('after promotion a cleanup that keeps failing never moves traffic back: retried with back-off until it succeeds', async () => {
    const s = scenario(canary());
    autoDecide(rt, s, 'approve');
    // Enough persistent 500s to exhaust more than one cleanup attempt (each with its own retries).
    s.endpoint.faults.deleteDeployment = { status: 500, remaining: 40 };
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    const candidate = status.candidate;
    expect(status.outcome).toBe('promoted');
    expect(s.endpoint.traffic).toEqual({ [candidate]: 100 });
    // The promotion's 100% was the last traffic write: nothing went back to blue.
    expect(s.endpoint.trafficHistory.map((h) => h.traffic[candidate] ?? 0)).toEqual([10, 50, 100]);
    expect([...s.endpoint.deployments.keys()]).toEqual([candidate]);
    expect(status.journal.some((j) => /promoted, traffic stays; retry 2/.test(j.message))).toBe(true);
    expect(status.retrying).toBeUndefined();
    // Told at the first failure and when it finally succeeded, not at every attempt.
    expect(notificationsOf(s.id).filter((k) => k.startsWith('cleanup'))).toEqual(['cleanupFailed', 'cleanupDone']);
  }, 60_000);

  it('a rollback whose delete keeps failing ends RolledBack with the candidate at 0%, retries until the fault heals, and notifies both', async () => {
    const s = scenario(canary());
    onTraffic(s.endpoint.name, async (traffic) => {
      if ((traffic.blue ?? 0) !== 90) return;
      // Every attempt's own retries fail (4 each in the fixture app): the rollback's delete and two
      // retries fail, the third retry succeeds.
      s.endpoint.faults.deleteDeployment = { status: 500, remaining: 12 };
      await raise(rt, s.id, CONTROL_EVENT, { action: 'abort', by: 'ops@contoso.com', atMs: 0 });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect({ outcome: status.outcome, phase: status.phase, retrying: status.retrying }).toEqual({
      outcome: 'aborted',
      phase: 'Aborted',
      retrying: undefined,
    });
    expect(status.reason).toMatch(
      new RegExp(`^aborted by ops@contoso.com; '${status.candidate}' is left at 0% \\(delete failed: .*500.*\\), retrying$`),
    );
    expectRolledBackEndpoint(s);
    // Traffic went back to blue once and never moved again.
    expect(s.endpoint.trafficHistory.at(-1)?.traffic).toEqual({ blue: 100 });
    const messages = status.journal.map((j) => j.message);
    expect(messages.some((m) => m.startsWith(`could not delete '${status.candidate}'`) && /retry 2 at/.test(m))).toBe(true);
    expect(messages.some((m) => /retry 3 at/.test(m))).toBe(true);
    expect(messages, messages.join('\n')).toContain(`removed '${status.candidate}' after 3 failed attempt(s)`);
    expect(notificationsOf(s.id).filter((k) => k.startsWith('cleanup'))).toEqual(['cleanupFailed', 'cleanupDone']);
    expect(modelTags(s)['rollout-status']).toBe('aborted');
  }, 60_000);

  it("records a stranger's raw approval that arrives while the rollout rolls back to its end (chaos: decision-recorded)", async () => {
    const s = scenario(canary());
    onTraffic(s.endpoint.name, async (traffic) => {
      if ((traffic.blue ?? 0) === 90) await raise(rt, s.id, CONTROL_EVENT, { action: 'abort', by: 'ops@contoso.com', atMs: 0 });
      // The rollback's own traffic write: the last execution is running, nothing waits for approvals.
      if ((traffic.blue ?? 0) === 100)
        await raise(rt, s.id, APPROVAL_EVENT, { decision: 'approve', by: 'mallory@example.com', step: 3, rolloutId: s.id, atMs: 0 });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('aborted');
    expect(status.approvals.map((a) => ({ by: a.by, decision: a.decision, accepted: a.accepted, note: a.note }))).toEqual([
      { by: 'mallory@example.com', decision: 'approve', accepted: false, note: 'no approval was pending' },
    ]);
  }, 30_000);

  it('rolls back with the reason when its deployment disappears during a bake, instead of extending on no data', async () => {
    const s = scenario(canary({ noData: 'extend' }));
    onNotification(s.id, (n) => {
      if (n.kind !== 'stepCompleted' || s.endpoint.traffic.blue !== 90) return;
      // An Azure reset: all traffic back to blue, the candidate deleted, outside the rollout.
      const candidate = Object.keys(s.endpoint.traffic).find((d) => d !== 'blue') ?? '';
      s.endpoint.traffic = { blue: 100 };
      s.endpoint.deployments.delete(candidate);
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('rolledBack');
    expect(status.reason).toBe(
      `endpoint '${s.endpoint.name}' changed outside the rollout: deployment '${status.candidate}' no longer exists; live traffic is blue 100%, the rollout set blue 90%, ${status.candidate} 10%`,
    );
    expectRolledBackEndpoint(s);
    // Noticed at the first look of the bake, without a single "extending" round.
    expect(status.journal.some((j) => /extend/.test(j.message))).toBe(false);
  }, 30_000);

  it('stays Failed with the reason when nobody retries within the window', async () => {
    const s = scenario(canary());
    onTraffic(s.endpoint.name, (traffic) => {
      if ((traffic.blue ?? 0) === 90) s.endpoint.faults.setTraffic = { status: 503, remaining: Infinity };
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('failed');
    expect(status.phase).toBe('Failed');
    expect(status.reason).toMatch(/rollback failed: .*503/);
    expect(modelTags(s)['rollout-status']).toBe('failed');
    // Traffic stays where Azure left it; nothing was written blindly.
    expect(s.endpoint.traffic).toMatchObject({ blue: 90 });
  }, 30_000);
});

describe('bad input', () => {
  it('records a malformed control event and goes on', async () => {
    const s = scenario(canary({ onTimeout: 'promote' }));
    onTraffic(s.endpoint.name, async (traffic) => {
      if ((traffic.blue ?? 0) === 90) await raise(rt, s.id, CONTROL_EVENT, { action: 'explode', by: 'ops@contoso.com', atMs: 0 });
    });
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(status.journal.some((j) => /ignored a malformed control event: action: /.test(j.message))).toBe(true);
  }, 30_000);

  it('fails an orchestration started with an invalid input, naming the field', async () => {
    const s = scenario(canary());
    const { model: _model, ...withoutModel } = s.input;
    await startRollout(rt, { ...s, input: withoutModel as typeof s.input });
    const done = await rt.waitForInstance(s.id);
    expect(done.status).toBe('Failed');
    expect(JSON.stringify(done.output)).toMatch(/input: contract violated: model/);
    expect(s.endpoint.calls).toEqual([]);
  }, 30_000);
});

describe('the verdict on the model version', () => {
  it('is retried at the orchestration level when the registry keeps failing for a while', async () => {
    const s = scenario(canary({ onTimeout: 'promote' }));
    // More failures than one activity's own attempts (4): the durable retry gets it through.
    getWorld().tagWriteFailures.set(`${s.input.model.name}:2`, 6);
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(modelTags(s)['rollout-status']).toBe('promoted');
    expect(status.journal.some((j) => j.message.includes('could not write the verdict'))).toBe(false);
  }, 30_000);

  it('never changes the outcome when it cannot be written', async () => {
    const s = scenario(canary({ onTimeout: 'promote' }));
    getWorld().tagWriteFailures.set(`${s.input.model.name}:2`, Number.POSITIVE_INFINITY);
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(modelTags(s)['rollout-status']).toBeUndefined();
    expect(status.journal.some((j) => /could not write the verdict onto the model version: .*503/.test(j.message))).toBe(true);
  }, 30_000);
});

describe('bounded history', () => {
  async function maxHistory(percents: number[]): Promise<{ max: number; writes: number }> {
    const steps = percents.map((p) => `      - { percent: ${p}, bakeMinutes: 30 }`).join('\n');
    const s = scenario((endpoint) => policyYaml('x', { endpoint, strategy: `  canary:\n    steps:\n${steps}` }));
    let max = 0;
    let writes = 0;
    const sample = async (): Promise<void> => {
      const res = await fetch(`${rt.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(s.id)}?showHistory=true`);
      const body = (await res.json()) as { historyEvents?: unknown[] };
      max = Math.max(max, body.historyEvents?.length ?? 0);
    };
    onTraffic(s.endpoint.name, async () => {
      writes += 1;
      await sample();
    });
    // stepCompleted is sent at the end of a step: the execution's history is at its longest then.
    onNotification(s.id, sample);
    await startRollout(rt, s);
    expect((await finish(rt, s.id)).outcome).toBe('promoted');
    return { max, writes };
  }

  it('keeps each execution’s history the same size however many steps the rollout has', async () => {
    const short = await maxHistory([50, 100]);
    const long = await maxHistory([5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(long.writes).toBeGreaterThan(short.writes * 4);
    expect(short.max).toBeGreaterThan(10);
    // One step (plus the drain) per execution: the longest rollout replays no more than the shortest.
    expect(long.max).toBeLessThanOrEqual(short.max + 5);
    expect(long.max).toBeLessThan(150);
  }, 60_000);
});

describe('a policy edit during a canary rollout', () => {
  it('never changes that rollout; every published status parses with the one status schema', async () => {
    const s = scenario(canary());
    const policyName = s.input.policyName;
    const rewritten = policyYaml(policyName, { endpoint: s.endpoint.name, strategy: REWRITTEN })
      .replace('approvers: [alice@contoso.com]', 'approvers: [mallory@contoso.com]')
      .replace(/^notifications: .*$/m, 'notifications: { channels: [], events: [failed] }');
    // Rewrite the policy as soon as the candidate takes its first live traffic.
    onTraffic(s.endpoint.name, (traffic) => {
      if (Object.keys(traffic).length > 1) getWorld().policies.set(policyName, rewritten);
    });
    autoDecide(rt, s, 'approve', 'alice@contoso.com');
    // Every status the orchestrator publishes parses with the one status schema (src/plan/types.ts)
    // and equals itself after parsing: the schema describes exactly what is published.
    const published: unknown[] = [];
    const stop = rt.onInstanceChange((id) => {
      if (id !== s.id) return;
      const status = rt.getInstance(id)?.customStatus;
      if (status !== null && status !== undefined) published.push(typeof status === 'string' ? JSON.parse(status) : status);
    });
    try {
      await startRollout(rt, s);
      const status = await finish(rt, s.id);
      expect(getWorld().policies.get(policyName)).toBe(rewritten);
      expect(status.outcome).toBe('promoted');
      expect(s.endpoint.trafficHistory.map((h) => h.traffic[status.candidate] ?? 0)).toEqual([10, 50, 100]);
      expect(status.approvals).toEqual([expect.objectContaining({ by: 'alice@contoso.com', accepted: true })]);
      expect(notificationsOf(s.id)).toEqual(expect.arrayContaining(['rolloutStarted', 'approvalRequested', 'promoted']));
    } finally {
      stop();
    }
    expect(published.length).toBeGreaterThan(5);
    for (const status of published) expect(rolloutStatusSchema.parse(status)).toEqual(status);
  });
});
