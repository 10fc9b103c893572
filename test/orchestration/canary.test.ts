import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/local-runtime/runtime';
import { APPROVAL_EVENT } from '../../src/orchestration/events';
import { getWorld } from '../fixtures/engine-app/world';
import { finish, policyYaml, raise, scenario, startEngine, startRollout } from './harness';

const CANARY = `  canary:
    steps:
      - { percent: 10, bakeMinutes: 10 }
      - { percent: 50, bakeMinutes: 10 }
      - { percent: 100, bakeMinutes: 5, approval: release }`;

let rt: LocalRuntime;
beforeAll(async () => {
  rt = await startEngine();
}, 60_000);
afterAll(async () => {
  await rt?.stop();
});

describe('canary on the local runtime', () => {
  it('promotes a healthy candidate after approval, deletes blue after retention, tags the model', async () => {
    const s = scenario((endpoint) => policyYaml('x', { endpoint, strategy: CANARY }));
    getWorld().hooks.onNotification = async (n) => {
      if (n.rolloutId === s.id && n.kind === 'approvalRequested') {
        const step = Number(/step (\d+)\)/.exec(n.facts.approval ?? '')?.[1]);
        await raise(rt, s.id, APPROVAL_EVENT, { decision: 'approve', by: 'alice@contoso.com', comment: 'ship it', step, rolloutId: s.id, atMs: 0 });
      }
    };
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect(status.outcome).toBe('promoted');
    expect(status.phase).toBe('Promoted');
    const candidate = status.candidate;
    expect(s.endpoint.traffic).toEqual({ [candidate]: 100 });
    expect([...s.endpoint.deployments.keys()]).toEqual([candidate]);
    expect(s.endpoint.trafficHistory.map((h) => h.traffic[candidate] ?? 0)).toEqual([10, 50, 100, 100].slice(0, s.endpoint.trafficHistory.length));
    expect(status.approvals.some((a) => a.accepted && a.by === 'alice@contoso.com' && a.comment === 'ship it')).toBe(true);
    expect(status.gates.length).toBeGreaterThan(0);
    expect(getWorld().models.get(`${s.input.model.name}:2`)?.tags['rollout-status']).toBe('promoted');
    expect(status.journal.length).toBeGreaterThan(0);
  }, 60_000);
});
