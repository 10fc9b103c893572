/** Fresh, minimal valid policies for tests (a new object on every call: tests share no state). */
import type { PolicyInput } from '../../src/policy';

export function canaryPolicy(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    name: 'test-canary',
    match: { model: 'credit-model*' },
    target: { endpoint: 'credit-scoring' },
    strategy: {
      canary: {
        steps: [
          { percent: 10, bakeMinutes: 10 },
          { percent: 50, bakeMinutes: 10 },
          { percent: 100, bakeMinutes: 5 },
        ],
      },
    },
    smokeTest: { payload: { data: [[1, 2, 3]] } },
    gates: {
      health: {
        checks: [
          { metric: 'errorRate5xx', max: 0.02, maxRatioToBaseline: 1.5 },
          { metric: 'latencyP95', maxRatioToBaseline: 1.2 },
        ],
      },
    },
    ...overrides,
  };
}

/** One valid policy per strategy (block + anything it needs). */
export function policyFor(strategy: 'canary' | 'blueGreen' | 'shadow' | 'abTest' | 'recreate'): PolicyInput {
  const approvals = { owner: { approvers: ['owner@contoso.com'], timeoutMinutes: 60 } };
  switch (strategy) {
    case 'canary':
      return canaryPolicy({ approvals });
    case 'blueGreen':
      return canaryPolicy({
        name: 'test-bg',
        approvals,
        strategy: { blueGreen: { mirror: { percent: 20, minutes: 30 }, approval: 'owner', rollbackWindowMinutes: 30 } },
      });
    case 'shadow':
      return canaryPolicy({ name: 'test-shadow', approvals, strategy: { shadow: { percent: 30, minutes: 60, approval: 'owner' } } });
    case 'abTest':
      return canaryPolicy({
        name: 'test-ab',
        strategy: {
          abTest: {
            split: { baseline: 50, candidate: 50 },
            durationMinutes: 120,
            minRequestsPerArm: 1000,
            metrics: ['errorRate5xx', 'latencyP95'],
          },
        },
      });
    case 'recreate':
      return canaryPolicy({ name: 'test-recreate', strategy: { recreate: { healthCheck: { minutes: 10 } } } });
  }
}
