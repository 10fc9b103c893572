/**
 * Every strategy to each of its ends on the local runtime (virtual clock), table-driven. Each
 * case asserts the outcome, the terminal phase, the reason, the final fake endpoint and the
 * verdict written onto the model version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../src/harness/local-runtime/runtime';
import { CONTROL_EVENT } from '../../src/orchestration/events';
import type { Outcome, Phase } from '../../src/plan/types';
import { autoDecide, finish, modelTags, onTraffic, policyYaml, raise, scenario, startEngine, startRollout, type Scenario } from './harness';

const STRATEGIES = {
  blueGreen: `  blueGreen:
    mirror: { percent: 25, minutes: 10 }
    approval: release
    rollbackWindowMinutes: 20`,
  shadow: `  shadow:
    percent: 30
    minutes: 20
    approval: release
    rollbackWindowMinutes: 10`,
  abTest: `  abTest:
    split: { baseline: 50, candidate: 50 }
    durationMinutes: 30
    minRequestsPerArm: 200
    maxDurationMinutes: 60
    metrics: [errorRate5xx, latencyP95]
    confidence: 0.95
    checkIntervalMinutes: 10
    guardrails: [health]
    approval: release`,
  recreate: `  recreate:
    approval: release
    healthCheck:
      minutes: 10`,
} as const;

type StrategyName = keyof typeof STRATEGIES;
type Ending = 'promoted' | 'gateFailed' | 'rejected' | 'approvalTimedOut' | 'aborted' | 'noData' | 'azureErrors' | 'tie';

interface Case {
  strategy: StrategyName;
  ending: Ending;
  outcome: Outcome;
  phase: Phase;
  reason: RegExp;
}

const withApproval: StrategyName[] = ['blueGreen', 'shadow', 'abTest', 'recreate'];
const cases: Case[] = [];
for (const strategy of Object.keys(STRATEGIES) as StrategyName[]) {
  cases.push({ strategy, ending: 'promoted', outcome: 'promoted', phase: 'Promoted', reason: /./ });
  cases.push({
    strategy,
    ending: 'gateFailed',
    outcome: 'rolledBack',
    phase: 'RolledBack',
    reason: strategy === 'abTest' ? /gate '.*' failed|baseline wins/ : /gate '.*' failed/,
  });
  if (withApproval.includes(strategy)) {
    cases.push({ strategy, ending: 'rejected', outcome: 'rejected', phase: 'Rejected', reason: /rejected by alice@contoso.com/ });
    cases.push({
      strategy,
      ending: 'approvalTimedOut',
      outcome: 'rolledBack',
      phase: 'RolledBack',
      reason: /approval 'release' timed out/,
    });
  }
  if (strategy === 'abTest')
    cases.push({ strategy, ending: 'tie', outcome: 'rolledBack', phase: 'RolledBack', reason: /baseline (is kept|wins)/ });
  cases.push({ strategy, ending: 'aborted', outcome: 'aborted', phase: 'Aborted', reason: /aborted by ops@contoso.com/ });
  // Recreate's health check is a watch on the only deployment (the compiler's rule: only a definite
  // failure reverts); with no data it keeps the new model.
  if (strategy === 'recreate')
    cases.push({ strategy, ending: 'noData', outcome: 'promoted', phase: 'Promoted', reason: /all \d+ steps passed/ });
  else
    cases.push({ strategy, ending: 'noData', outcome: 'rolledBack', phase: 'RolledBack', reason: /no data|undecided|not enough samples/ });
  cases.push({ strategy, ending: 'azureErrors', outcome: 'rolledBack', phase: 'RolledBack', reason: /failed: .*(409|500)/ });
}

let rt: LocalRuntime;
beforeAll(async () => {
  rt = await startEngine();
}, 60_000);
afterAll(async () => {
  await rt?.stop();
});

function setUp(c: Case): Scenario {
  const s = scenario((endpoint) => policyYaml('x', { endpoint, strategy: STRATEGIES[c.strategy], approvalTimeoutMinutes: 40 }), {
    requestsPerMinute: c.ending === 'noData' ? 2 : 1000,
  });
  if (c.ending === 'promoted' || c.ending === 'aborted' || c.ending === 'noData' || c.ending === 'gateFailed' || c.ending === 'azureErrors')
    autoDecide(rt, s, 'approve');
  if (c.ending === 'rejected') autoDecide(rt, s, 'reject');
  // An A/B test promotes only a candidate shown better (faster here, same errors).
  // (The approval comes after the winner is known, so the approval endings need a winner too.)
  if (c.strategy === 'abTest' && ['promoted', 'rejected', 'approvalTimedOut'].includes(c.ending))
    s.endpoint.behaviourByModel['/versions/2'] = { errorRate: 0.001, latencyMs: 60 };
  if (c.ending === 'gateFailed') s.endpoint.behaviourByModel['/versions/2'] = { errorRate: 0.3, latencyMs: 100 };
  if (c.ending === 'azureErrors') {
    if (c.strategy === 'recreate') s.endpoint.faults.updateDeploymentModel = { status: 500, remaining: Infinity };
    else s.endpoint.faults.createDeployment = { status: 409, remaining: Infinity };
  }
  if (c.ending === 'aborted') {
    let raised = false;
    const abort = async (): Promise<void> => {
      if (raised) return;
      raised = true;
      await raise(rt, s.id, CONTROL_EVENT, { action: 'abort', by: 'ops@contoso.com', atMs: 0 });
    };
    if (c.strategy === 'recreate') {
      // Recreate writes no traffic: abort once the model has been replaced (first gate look).
      s.endpoint.faults = {};
      const original = s.endpoint.behaviourByModel;
      s.endpoint.behaviourByModel = original;
      onTraffic(s.endpoint.name, abort);
      const timer = setInterval(() => {
        if (s.endpoint.calls.includes('updateDeploymentModel')) {
          clearInterval(timer);
          void abort();
        }
      }, 1);
    } else onTraffic(s.endpoint.name, abort);
  }
  return s;
}

describe.each(cases)('$strategy -> $ending', (c) => {
  it(`ends ${c.outcome}`, async () => {
    const s = setUp(c);
    await startRollout(rt, s);
    const status = await finish(rt, s.id);
    expect({ outcome: status.outcome, phase: status.phase }).toEqual({ outcome: c.outcome, phase: c.phase });
    expect(status.reason).toMatch(c.reason);
    expect(status.strategy).toBe(c.strategy);
    expect(status.journal.length).toBeGreaterThan(0);
    expect(status.journal.at(-1)?.message).toContain(c.outcome);
    expect(modelTags(s)['rollout-status']).toBe(c.outcome);
    const v1 = `/models/${s.input.model.name}/versions/1`;
    const v2 = `/models/${s.input.model.name}/versions/2`;
    if (c.strategy === 'recreate') {
      expect(s.endpoint.traffic).toEqual({ blue: 100 });
      expect([...s.endpoint.deployments.keys()]).toEqual(['blue']);
      expect(s.endpoint.deployments.get('blue')?.modelId).toBe(c.outcome === 'promoted' ? v2 : v1);
    } else if (c.outcome === 'promoted') {
      expect(s.endpoint.traffic).toEqual({ [status.candidate]: 100 });
      expect(s.endpoint.mirror).toEqual({});
      expect([...s.endpoint.deployments.keys()]).toEqual([status.candidate]);
      expect(s.endpoint.deployments.get(status.candidate)?.modelId).toBe(v2);
    } else {
      expect(s.endpoint.traffic).toEqual({ blue: 100 });
      expect(s.endpoint.mirror).toEqual({});
      expect([...s.endpoint.deployments.keys()]).toEqual(['blue']);
    }
    if (c.strategy === 'shadow' || c.strategy === 'blueGreen') {
      // The mirror phase ran before any live traffic moved (unless the create itself failed).
      if (c.ending !== 'azureErrors') expect(Object.keys(s.endpoint.trafficHistory[0]?.mirror ?? {})).toEqual([status.candidate]);
    }
    if (c.strategy === 'abTest' && c.ending === 'promoted') expect(status.winner?.deployment).toBe(status.candidate);
    if (c.strategy === 'abTest' && c.ending === 'tie') expect(status.winner?.deployment).toBe('blue');
  }, 30_000);
});
