/**
 * The chaos checker itself: each invariant fires on the state that breaks it and stays quiet on
 * the states next to it (tables), and the decision rule holds for any delay (property).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LeaseState } from '../../src/orchestration/endpoint-lease';
import { initialStatus } from '../../src/orchestration/engine-state';
import type { RolloutInput } from '../../src/orchestration/events';
import type { Phase, RolloutStatus } from '../../src/plan/types';
import {
  ChaosChecker,
  DECISION_REACTION_MINUTES,
  LOST_DEPLOYMENT_NOTICE_MINUTES,
  type EndpointObservation,
  type RolloutView,
} from './invariants';

const ORIGIN = Date.UTC(2026, 0, 5, 9);
const MIN = 60_000;
const EP = 'chaos-a';

const INPUT: RolloutInput = {
  rolloutId: 'r1',
  source: 'manual',
  requestedBy: 'test',
  workspace: { subscriptionId: 's', resourceGroup: 'g', workspace: 'w' },
  model: { name: 'model-a', version: '2', tags: {}, properties: {} },
  policyName: 'p',
  receivedAtMs: ORIGIN,
};

function status(over: Partial<RolloutStatus> & { phase: Phase }): RolloutStatus {
  return {
    ...initialStatus(INPUT, ORIGIN),
    endpoint: EP,
    baseline: 'blue',
    candidate: 'model-a-v2',
    step: { index: 3, count: 9, kind: 'bake', description: '' },
    ...over,
  };
}

function view(id: string, runtimeStatus: string, s: RolloutStatus | undefined): RolloutView {
  return { id, endpoint: EP, runtimeStatus, status: s };
}

function observation(
  atMinute: number,
  traffic: Record<string, number>,
  deployments = Object.keys(traffic),
  mirror: Record<string, number> = {},
): EndpointObservation {
  return {
    endpoint: EP,
    atMs: ORIGIN + atMinute * MIN,
    traffic,
    mirror,
    deployments: deployments.map((name) => ({ name, provisioningState: 'Succeeded' })),
  };
}

function lease(holder: string | undefined): Map<string, LeaseState | undefined> {
  return new Map([
    [
      EP,
      holder
        ? { holder: { rolloutId: holder, model: 'model-a', version: '2', concurrency: 'queue', atMs: ORIGIN }, queue: [], promoted: {} }
        : { queue: [], promoted: {} },
    ],
  ]);
}

function checker(): ChaosChecker {
  return new ChaosChecker(ORIGIN, [EP], 'blue');
}

const names = (c: ChaosChecker): string[] => c.violations.map((v) => v.invariant);

describe('endpoint safety (the simulator and controller rules) and promotions', () => {
  it.each([
    { what: 'a valid split', traffic: { blue: 80, 'model-a-v2': 20 }, smoke: true, expected: [] },
    { what: 'a split that sums to 90', traffic: { blue: 70, 'model-a-v2': 20 }, smoke: true, expected: ['endpoint-safety'] },
    {
      what: 'live traffic on a candidate before its smoke test',
      traffic: { blue: 80, 'model-a-v2': 20 },
      smoke: false,
      expected: ['endpoint-safety'],
    },
  ])('$what', ({ traffic, smoke, expected }) => {
    const c = checker();
    c.onEndpointState(observation(0, { blue: 100 }, ['blue', 'model-a-v2']));
    if (smoke)
      c.onStatus(
        view('r1', 'Running', status({ phase: 'Progressing', step: { index: 2, count: 9, kind: 'setTraffic', description: '' } })),
        ORIGIN,
      );
    c.onEndpointState(observation(1, traffic, ['blue', 'model-a-v2']));
    expect(names(c)).toEqual(expected);
  });

  it.each([
    {
      what: 'traffic back on the retired deployment after the cleanup step began',
      phase: 'Promoting' as Phase,
      kind: 'cleanup' as const,
      after: { blue: 100, 'model-a-v2': 0 },
      expected: ['promotion-kept'],
    },
    {
      what: 'traffic back on it after Promoted',
      phase: 'Promoted' as Phase,
      kind: 'none' as const,
      after: { blue: 10, 'model-a-v2': 90 },
      expected: ['promotion-kept'],
    },
    {
      what: 'a rollback during the post-promotion watch (before cleanup)',
      phase: 'Baking' as Phase,
      kind: 'bake' as const,
      after: { blue: 100, 'model-a-v2': 0 },
      expected: [],
    },
    {
      what: 'the promoted split kept',
      phase: 'Promoted' as Phase,
      kind: 'none' as const,
      after: { 'model-a-v2': 100 } as Record<string, number>,
      expected: [],
    },
  ])('$what', ({ phase, kind, after, expected }) => {
    const c = checker();
    c.onStatus(
      view('r1', 'Running', status({ phase: 'Progressing', step: { index: 2, count: 9, kind: 'setTraffic', description: '' } })),
      ORIGIN,
    );
    c.onEndpointState(observation(0, { blue: 0, 'model-a-v2': 100 }));
    c.onStatus(view('r1', 'Running', status({ phase, step: { index: 8, count: 9, kind, description: '' } })), ORIGIN + MIN);
    c.onEndpointState(observation(2, after, ['blue', 'model-a-v2']));
    expect(names(c)).toEqual(expected);
  });
});

describe('leases', () => {
  it.each([
    { what: 'the holder is running', runtime: 'Running', expected: [] },
    { what: 'the holder has completed', runtime: 'Completed', expected: ['lease-released'] },
    { what: 'the holder was terminated', runtime: 'Terminated', expected: ['lease-released'] },
  ])('$what', ({ runtime, expected }) => {
    const c = checker();
    c.check(ORIGIN, [view('r1', runtime, status({ phase: runtime === 'Running' ? 'Baking' : 'Aborted' }))], lease('r1'));
    expect(names(c)).toEqual(expected);
  });

  it.each([
    {
      what: 'two active rollouts at checks a minute apart',
      phases: ['Baking', 'Deploying'] as Phase[],
      second: 1,
      expected: ['single-lease-holder'],
    },
    {
      what: 'two active rollouts seen once (the hand-over instant)',
      phases: ['RollingBack', 'Deploying'] as Phase[],
      second: 0,
      expected: [],
    },
    { what: 'an active rollout and a queued one', phases: ['Baking', 'Pending'] as Phase[], second: 1, expected: [] },
  ])('$what', ({ phases, second, expected }) => {
    const c = checker();
    const rollouts = phases.map((phase, i) => view(`r${i}`, 'Running', status({ phase, rolloutId: `r${i}` })));
    c.check(ORIGIN, rollouts, lease('r0'));
    c.check(ORIGIN + second * MIN, rollouts, lease('r0'));
    expect(names(c)).toEqual(expected);
  });
});

describe('deployments the rollout relies on', () => {
  it.each([
    {
      what: 'baking on, its deployment gone for longer than the notice time',
      phase: 'Baking' as Phase,
      deployments: ['blue'],
      after: LOST_DEPLOYMENT_NOTICE_MINUTES + 1,
      expected: ['notices-lost-deployment'],
    },
    { what: 'gone only briefly', phase: 'Baking' as Phase, deployments: ['blue'], after: LOST_DEPLOYMENT_NOTICE_MINUTES - 1, expected: [] },
    { what: 'still deploying (nothing to rely on yet)', phase: 'Deploying' as Phase, deployments: ['blue'], after: 60, expected: [] },
    { what: 'rolling back after noticing', phase: 'RollingBack' as Phase, deployments: ['blue'], after: 60, expected: [] },
    { what: 'its deployment there', phase: 'Baking' as Phase, deployments: ['blue', 'model-a-v2'], after: 60, expected: [] },
  ])('$what', ({ phase, deployments, after, expected }) => {
    const c = checker();
    c.onEndpointState(observation(0, { blue: 100 }, deployments));
    const rollouts = [view('r1', 'Running', status({ phase }))];
    c.check(ORIGIN, rollouts, lease('r1'));
    c.check(ORIGIN + after * MIN, rollouts, lease('r1'));
    expect(names(c)).toEqual(expected);
  });
});

describe('decisions', () => {
  const sent = { rolloutId: 'r1', action: 'abort', by: 'ops@contoso.com', sentAtMs: ORIGIN };
  it.each([
    {
      what: 'recorded as an override',
      s: status({ phase: 'RollingBack', overrides: [{ action: 'abort', by: 'ops@contoso.com', atMs: ORIGIN, step: 3 }] }),
      expected: [],
    },
    {
      what: 'ignored with the identity in the journal',
      s: status({
        phase: 'Baking',
        journal: [{ atMs: ORIGIN, step: 3, phase: 'Baking', message: 'abort by ops@contoso.com ignored: already rolling back' }],
      }),
      expected: [],
    },
    {
      what: 'recorded under another identity',
      s: status({ phase: 'RollingBack', overrides: [{ action: 'abort', by: 'api-key', atMs: ORIGIN, step: 3 }] }),
      expected: ['decision-recorded'],
    },
    { what: 'not recorded (still deploying)', s: status({ phase: 'Deploying' }), expected: ['decision-recorded'] },
  ])('$what', ({ s, expected }) => {
    const c = checker();
    c.onDecision(sent);
    c.check(ORIGIN + (DECISION_REACTION_MINUTES + 1) * MIN, [view('r1', 'Running', s)], lease('r1'));
    expect(names(c)).toEqual(expected);
  });

  it.each([
    { what: 'an approval not yet recorded while the rollout runs', runtime: 'Running', expected: [] },
    { what: 'an approval never recorded by the end', runtime: 'Completed', expected: ['decision-recorded'] },
  ])('$what', ({ runtime, expected }) => {
    const c = checker();
    c.onDecision({ ...sent, action: 'approve', by: 'alice@contoso.com' });
    c.check(
      ORIGIN + 60 * MIN,
      [view('r1', runtime, status({ phase: runtime === 'Running' ? 'Baking' : 'Promoted', endedAtMs: ORIGIN + 30 * MIN }))],
      lease(runtime === 'Running' ? 'r1' : undefined),
    );
    expect(names(c)).toEqual(expected);
  });

  it('judges a missing record only once the reaction time is over, whatever the delay', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * MIN }), fc.boolean(), (delayMs, recorded) => {
        const c = checker();
        c.onDecision(sent);
        const s = status({
          phase: 'Baking',
          overrides: recorded ? [{ action: 'abort', by: 'ops@contoso.com', atMs: ORIGIN, step: 3 }] : [],
        });
        c.check(ORIGIN + delayMs, [view('r1', 'Running', s)], lease('r1'));
        const late = delayMs > DECISION_REACTION_MINUTES * MIN;
        expect(names(c)).toEqual(!recorded && late ? ['decision-recorded'] : []);
      }),
    );
  });
});

describe('ends', () => {
  it.each([
    {
      what: 'an internal error as the reason',
      reason: 'rollback failed: phase Pending cannot move to RollingBack',
      expected: ['clean-end'],
    },
    { what: 'an Azure cause', reason: 'deploy failed: [ServiceUnavailable] the service is unavailable', expected: [] },
    { what: 'a supersede', reason: 'aborted by system:supersede:chaos-a--model-a-v3', expected: [] },
  ])('$what', ({ reason, expected }) => {
    const c = checker();
    c.onStatus(view('r1', 'Running', status({ phase: 'Failed', reason })), ORIGIN);
    expect(names(c)).toEqual(expected);
  });

  it.each([
    {
      what: 'a candidate left without a word',
      s: status({ phase: 'RolledBack', reason: 'gate failed' }),
      expected: ['no-orphaned-deployment'],
    },
    {
      what: 'a candidate left with the reason naming it',
      s: status({ phase: 'RolledBack', reason: "cleanup failed: deployment 'model-a-v2' is left at 0%" }),
      expected: [],
    },
  ])('$what', ({ s, expected }) => {
    const c = checker();
    c.finalDeployments(ORIGIN, observation(0, { blue: 100, 'model-a-v2': 0 }), [view('r1', 'Completed', s)]);
    expect(names(c)).toEqual(expected);
  });

  it('reports an overdue rollout with its phase and what it waits for', () => {
    const c = checker();
    c.overdue(
      ORIGIN + 100 * MIN,
      view('r1', 'Running', status({ phase: 'Baking', waitingFor: { kind: 'data', detail: 'no requests' } })),
      90,
      ORIGIN,
    );
    expect(c.violations).toEqual([
      {
        invariant: 'ends-within-bound',
        minute: 100,
        message: expect.stringMatching(/has not ended 100 min after.*bound 90 min.*phase Baking.*waiting for data: no requests/),
      },
    ]);
  });
});
