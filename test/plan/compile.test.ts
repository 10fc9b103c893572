import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy, validatePolicy, type PolicyInput } from '../../src/policy';
import { AB_COMPARE_GATE, compilePlan } from '../../src/plan/compile';
import type { Step } from '../../src/plan/types';
import { RolloutError, ValidationError } from '../../src/errors';
import { canaryPolicy, policyFor } from '../policy/fixtures';
import { compileInput } from './inputs';

const kinds = (steps: readonly Step[]): string => steps.map((s) => (s.kind === 'mirror' ? `mirror${s.percent}` : s.kind)).join(' ');

function compile(policy: PolicyInput, over: Parameters<typeof compileInput>[0] = {}): ReturnType<typeof compilePlan> {
  return compilePlan(validatePolicy(policy, 'p.yaml'), compileInput(over));
}

function example(file: string): ReturnType<typeof compilePlan> {
  return compilePlan(parsePolicy(readFileSync(join(__dirname, '..', '..', 'policies', file), 'utf8'), file), compileInput());
}

describe('compilePlan: step sequence per strategy', () => {
  it.each([
    [
      'canary.yaml',
      'deploy smokeTest mirror20 bake gate mirror0 setTraffic bake gate setTraffic bake gate setTraffic bake gate approval promote bake cleanup',
    ],
    ['blue-green.yaml', 'deploy smokeTest mirror25 bake gate mirror0 approval promote bake cleanup'],
    ['shadow.yaml', 'deploy smokeTest mirror30 bake gate mirror0 approval promote bake cleanup'],
    ['ab-test.yaml', 'deploy smokeTest setTraffic bake decideWinner promote cleanup'],
    ['recreate.yaml', 'replaceModel smokeTest bake'],
  ])('%s', (file, expected) => {
    expect(kinds(example(file).steps)).toBe(expected);
  });

  it('canary: traffic steps follow the policy, the candidate is named by the pattern', () => {
    const plan = example('canary.yaml');
    expect(plan.candidate.deployment).toBe('credit-model-v2');
    const splits = plan.steps.filter((s) => s.kind === 'setTraffic').map((s) => s.traffic);
    expect(splits).toEqual([
      { blue: 90, 'credit-model-v2': 10 },
      { blue: 75, 'credit-model-v2': 25 },
      { blue: 50, 'credit-model-v2': 50 },
    ]);
    expect(plan.steps[0]).toEqual({ kind: 'deploy', deployment: 'credit-model-v2', cloneFrom: 'blue', modelId: compileInput().model.id });
    expect(plan.steps.at(-1)).toEqual({ kind: 'cleanup', deployment: 'blue', afterMinutes: 120 });
    expect(plan.rollbackSteps).toEqual([{ kind: 'rollback' }]);
  });

  /** The canary example's shape, kept here so the numbers below do not move when the example is tuned. */
  const detailedCanary = (): PolicyInput =>
    canaryPolicy({
      strategy: {
        canary: {
          mirror: { percent: 20, minutes: 30 },
          steps: [
            { percent: 10, bakeMinutes: 15 },
            { percent: 25, bakeMinutes: 15 },
            { percent: 50, bakeMinutes: 30 },
            { percent: 100, bakeMinutes: 15 },
          ],
        },
      },
      gates: {
        health: {
          checks: [
            { metric: 'errorRate5xx', max: 0.02, maxRatioToBaseline: 1.5, critical: true },
            { metric: 'modelErrorRate', max: 0.01 },
            { metric: 'latencyP95', maxRatioToBaseline: 1.25 },
          ],
          minRequestsPerDeployment: 200,
          windowMinutes: 10,
          checkIntervalMinutes: 5,
          noData: { outcome: 'extend', maxExtensionMinutes: 30 },
        },
      },
    });

  it('canary: bakes carry the gate settings; after promotion only absolute checks, on the candidate alone', () => {
    const plan = compile(detailedCanary());
    const bakes = plan.steps.filter((s): s is Extract<Step, { kind: 'bake' }> => s.kind === 'bake');
    expect(bakes[1]).toEqual({
      kind: 'bake',
      durationMinutes: 15,
      checkIntervalMinutes: 5,
      gates: ['health'],
      minRequests: 200,
      maxExtensionMinutes: 30,
      noDataOutcome: 'extend',
      maxQueryErrors: 3,
    });
    const watch = bakes.at(-1);
    expect(watch).toMatchObject({ gates: ['health.absolute'], minRequests: 0, maxExtensionMinutes: 0, candidateOnly: true });
    // Relative thresholds dropped; a check left without any bound (latencyP95 here) goes.
    expect(plan.gates['health.absolute']?.checks).toEqual([
      { metric: 'errorRate5xx', max: 0.02, critical: true },
      { metric: 'modelErrorRate', max: 0.01 },
    ]);
  });

  it('canary: gate specs come from the policy, with plannedLooks counting every possible look', () => {
    const plan = compile(detailedCanary());
    expect(plan.gates.health).toEqual({
      name: 'health',
      checks: [
        { metric: 'errorRate5xx', max: 0.02, maxRatioToBaseline: 1.5, critical: true },
        { metric: 'modelErrorRate', max: 0.01 },
        { metric: 'latencyP95', maxRatioToBaseline: 1.25 },
      ],
      customMetrics: [],
      confidence: 0.95,
      minRequestsPerDeployment: 200,
      windowMinutes: 10,
      ingestionDelayMinutes: 5,
      // mirror 30 min + steps 15, 15, 30 min, every 5 min, each with up to 30 min extension (6 looks)
      // and a decisive gate with up to 6 retries: (6+6+7) + (3+6+7) + (3+6+7) + (6+6+7) = 70
      plannedLooks: 70,
    });
    // The watch at 100% makes 15 / 5 = 3 looks at the derived gate.
    expect(plan.gates['health.absolute']?.plannedLooks).toBe(3);
  });

  it('canary: an approval on a step comes before its traffic change', () => {
    const plan = example('canary.yaml');
    const i = plan.steps.findIndex((s) => s.kind === 'approval');
    expect(plan.steps[i]).toEqual({
      kind: 'approval',
      name: 'release-manager',
      timeoutMinutes: 240,
      onTimeout: 'rollback',
      reminderIntervalMinutes: 60,
      approvers: ['ml-release@contoso.com', 'group:ml-platform-approvers'],
    });
    expect(plan.steps[i + 1]?.kind).toBe('promote');
    expect(plan.approvers).toEqual(['group:ml-platform-approvers', 'ml-release@contoso.com']);
  });

  it('canary without gates: timed steps only, no decisive checks', () => {
    const plan = compile(canaryPolicy({ gates: {} }));
    expect(kinds(plan.steps)).toBe('deploy smokeTest setTraffic bake setTraffic bake promote bake cleanup');
    expect(plan.gates).toEqual({});
  });

  it("canary: a traffic step's adaptive option rides on its bake (not on the watch after promotion)", () => {
    const adaptive = { minBakeMinutes: 5, maxBakeMinutes: 30, minRequests: 400, margins: { failureRate: 0.01 } };
    const plan = compile(
      canaryPolicy({
        strategy: {
          canary: {
            steps: [
              { percent: 10, bakeMinutes: 10, adaptive },
              { percent: 50, bakeMinutes: 10 },
              { percent: 100, bakeMinutes: 5 },
            ],
          },
        },
      }),
    );
    const bakes = plan.steps.filter((s): s is Extract<Step, { kind: 'bake' }> => s.kind === 'bake');
    expect(bakes.map((b) => b.adaptive)).toEqual([
      { minBakeMinutes: 5, maxBakeMinutes: 30, minRequests: 400, confidence: 0.95, margins: { failureRate: 0.01 } },
      undefined,
      undefined,
    ]);
  });

  it.each(['canary', 'blueGreen'] as const)("%s: the mirror phase's adaptive option rides on its bake", (kind) => {
    const adaptive = { minBakeMinutes: 5, maxBakeMinutes: 30, minRequests: 400, margins: { failureRate: 0.01 } };
    const mirror = { percent: 20, minutes: 10, adaptive };
    const strategy =
      kind === 'canary'
        ? { canary: { mirror, steps: [{ percent: 100, bakeMinutes: 5 }] } }
        : { blueGreen: { mirror, rollbackWindowMinutes: 5 } };
    const plan = compile(canaryPolicy({ strategy }));
    const mirrorBake = plan.steps.find((s): s is Extract<Step, { kind: 'bake' }> => s.kind === 'bake' && !s.candidateOnly);
    expect(mirrorBake?.durationMinutes).toBe(10);
    expect(mirrorBake?.adaptive).toEqual({ ...adaptive, confidence: 0.95 });
  });

  it('canary: a step with bakeMinutes 0 gets one decisive gate check', () => {
    const plan = compile(
      canaryPolicy({
        strategy: {
          canary: {
            steps: [
              { percent: 50, bakeMinutes: 0 },
              { percent: 100, bakeMinutes: 0 },
            ],
          },
        },
      }),
    );
    expect(kinds(plan.steps)).toBe('deploy smokeTest setTraffic gate promote cleanup');
  });

  it('blue-green: no watch gates -> blue kept for the whole window before deletion', () => {
    const plan = compile(canaryPolicy({ gates: {}, strategy: { blueGreen: { rollbackWindowMinutes: 45 } } }));
    expect(kinds(plan.steps)).toBe('deploy smokeTest promote cleanup');
    expect(plan.steps.at(-1)).toEqual({ kind: 'cleanup', deployment: 'blue', afterMinutes: 45 });
  });

  it('blue-green: the rollback window defaults to retentionMinutes and is watched', () => {
    const plan = compile(canaryPolicy({ retentionMinutes: 30, strategy: { blueGreen: {} } }));
    expect(kinds(plan.steps)).toBe('deploy smokeTest promote bake cleanup');
    expect(plan.steps[3]).toMatchObject({ kind: 'bake', durationMinutes: 30, gates: ['health.absolute'], candidateOnly: true });
  });

  it('A/B test: split, sample size, a synthesised comparison gate, winner kept', () => {
    const plan = example('ab-test.yaml');
    expect(plan.steps[2]).toEqual({ kind: 'setTraffic', traffic: { blue: 50, 'credit-model-abtest-v2': 50 } });
    expect(plan.steps[3]).toMatchObject({
      kind: 'bake',
      durationMinutes: 1440,
      minRequests: 5000,
      maxExtensionMinutes: 1440,
      gates: ['guardrail'],
      noDataOutcome: 'extend',
    });
    expect(plan.steps[4]).toEqual({
      kind: 'decideWinner',
      gate: AB_COMPARE_GATE,
      minRequestsPerArm: 5000,
      maxWaitMinutes: 35,
      checkIntervalMinutes: 30,
    });
    expect(plan.gates[AB_COMPARE_GATE]).toMatchObject({
      checks: [{ metric: 'failedRequestRate' }, { metric: 'latencyP95' }],
      minRequestsPerDeployment: 5000,
      confidence: 0.95,
    });
    expect(plan.concurrency).toBe('queue');
  });

  it('shadow: custom metrics travel with the gates that use them', () => {
    const plan = example('shadow.yaml');
    expect(plan.gates['shadow-health']?.customMetrics).toEqual([expect.objectContaining({ name: 'approvalRate', higherIsWorse: false })]);
    expect(plan.gates['shadow-health']?.ingestionDelayMinutes).toBe(5);
  });

  it('recreate: in place, with a revert path and no candidate deployment', () => {
    const plan = example('recreate.yaml');
    const input = compileInput();
    expect(plan.candidate.deployment).toBe('blue');
    expect(plan.steps[0]).toEqual({
      kind: 'replaceModel',
      deployment: 'blue',
      modelId: input.model.id,
      previousModelId: input.baseline.modelId,
    });
    expect(plan.rollbackSteps?.[0]).toEqual({
      kind: 'replaceModel',
      deployment: 'blue',
      modelId: input.baseline.modelId,
      previousModelId: input.model.id,
    });
    expect(plan.rollbackSteps?.[1]?.kind).toBe('smokeTest');
  });

  it('recreate: an approval comes before the replacement', () => {
    const plan = compile({
      ...policyFor('recreate'),
      approvals: { go: { approvers: ['a@b.com'], timeoutMinutes: 10 } },
      strategy: { recreate: { approval: 'go' } },
    });
    expect(kinds(plan.steps)).toBe('approval replaceModel smokeTest bake');
  });

  it('carries target, model, notifications, operators and retention', () => {
    const plan = compile(canaryPolicy({ operators: ['ops@contoso.com'], notifications: { channels: ['slack'], events: ['promoted'] } }), {
      target: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', endpoint: 'other-endpoint' },
    });
    expect(plan.target).toEqual({ subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', endpoint: 'other-endpoint' });
    expect(plan.notifications).toEqual({ channels: ['slack'], on: ['promoted'] });
    expect(plan.operators).toEqual(['ops@contoso.com']);
    expect(plan.retentionMinutes).toBe(60);
    expect(plan.policyName).toBe('test-canary');
    expect(plan.strategy).toBe('canary');
  });

  it('passes the gate spending function through', () => {
    const plan = compile(canaryPolicy({ gates: { g: { checks: [{ metric: 'latencyP50', max: 100 }], spending: 'obrienFleming' } } }));
    expect(plan.gates.g?.spending).toBe('obrienFleming');
    expect(compile(canaryPolicy()).gates.health).not.toHaveProperty('spending');
  });

  it('is deterministic', () => {
    expect(compile(policyFor('canary'))).toEqual(compile(policyFor('canary')));
  });
});

describe('compilePlan: candidate name', () => {
  it('avoids the live deployment: blue/green alternate', () => {
    const plan = compile(canaryPolicy({ target: { endpoint: 'credit-scoring', deploymentName: 'green' } }), {
      baseline: { deployment: 'green', modelId: 'm1' },
      existingDeployments: [{ name: 'green', liveTrafficPercent: 100 }],
    });
    expect(plan.candidate.deployment).toBe('blue');
  });

  it('avoids other existing deployments with a suffix', () => {
    const plan = compile(canaryPolicy(), {
      existingDeployments: [
        { name: 'blue', liveTrafficPercent: 100 },
        { name: 'credit-model-v2', modelId: 'something-else' },
      ],
    });
    expect(plan.candidate.deployment).toBe('credit-model-v2-2');
  });

  it('reuses a leftover deployment of this very model that holds no traffic (a retried rollout)', () => {
    const input = compileInput();
    const plan = compile(canaryPolicy(), {
      existingDeployments: [
        { name: 'blue', liveTrafficPercent: 100 },
        { name: 'credit-model-v2', modelId: input.model.id },
      ],
    });
    expect(plan.candidate.deployment).toBe('credit-model-v2');
  });

  it('sanitises model names and versions to Azure rules', () => {
    const plan = compile(canaryPolicy(), { model: { name: '2024_Credit.Model', version: '1.0.3', id: 'm-new' } });
    expect(plan.candidate.deployment).toBe('credit-model-v1-0-3');
  });
});

describe('compilePlan: refuses what it cannot do safely', () => {
  it('a baseline that is not on the endpoint', () => {
    expect(() => compile(canaryPolicy(), { existingDeployments: [{ name: 'other' }] })).toThrow(ValidationError);
    expect(() => compile(canaryPolicy(), { existingDeployments: [{ name: 'other' }] })).toThrow(
      /baseline deployment "blue" is not among the endpoint's deployments \(other\)/,
    );
  });

  it('live traffic split over several deployments', () => {
    const run = (): unknown =>
      compile(canaryPolicy(), {
        existingDeployments: [
          { name: 'blue', liveTrafficPercent: 90 },
          { name: 'old', liveTrafficPercent: 10 },
        ],
      });
    expect(run).toThrow(RolloutError);
    expect(run).toThrow(/live traffic is split between "blue" and "old" \(10%\)/);
  });

  it('a model that is already live', () => {
    const input = compileInput();
    expect(() => compile(canaryPolicy(), { baseline: { deployment: 'blue', modelId: input.model.id } })).toThrow(
      /already the live model of "blue"/,
    );
  });

  it('a full endpoint (20 deployments)', () => {
    const existing = [{ name: 'blue', liveTrafficPercent: 100 }, ...Array.from({ length: 19 }, (_, i) => ({ name: `old-${i}` }))];
    expect(() => compile(canaryPolicy(), { existingDeployments: existing })).toThrow(/already has 20 deployments/);
  });

  it('missing input', () => {
    expect(() => compile(canaryPolicy(), { rolloutId: '' })).toThrow(/rolloutId is required/);
  });
});

describe('compilePlan: resource and cost checks', () => {
  const withChecks = (): PolicyInput =>
    canaryPolicy({
      gates: {
        health: {
          checks: [{ metric: 'failedRequestRate', max: 0.02, maxRatioToBaseline: 1.5 }],
          resources: { cpu: { maxRatioToBaseline: 1.5 }, memory: { maxPercent: 85 } },
        },
      },
      cost: { maxCostIncreasePercent: 20, onExceeded: 'rollback', prices: { Standard_DS3_v2: 0.3 }, currency: 'EUR' },
    });

  it('gates that compare with the baseline carry the resource limits and the policy cost check', () => {
    const plan = compile(withChecks());
    expect(plan.gates['health']?.resources).toEqual({
      cpu: { maxRatioToBaseline: 1.5 },
      memory: { maxPercent: 85 },
      minReportedMinutes: 3,
    });
    expect(plan.gates['health']?.cost).toEqual({
      maxCostIncreasePercent: 20,
      onExceeded: 'rollback',
      prices: { Standard_DS3_v2: 0.3 },
      currency: 'EUR',
    });
  });

  it('the watch after promotion (baseline serves nothing) uses a derived gate without them', () => {
    const plan = compile(withChecks());
    const watch = plan.gates['health.absolute'];
    expect(watch?.checks).toEqual([{ metric: 'failedRequestRate', max: 0.02 }]);
    expect(watch?.resources).toBeUndefined();
    expect(watch?.cost).toBeUndefined();
  });

  it('a policy without them compiles gates without them', () => {
    const plan = compile(canaryPolicy());
    expect(plan.gates['health']?.resources).toBeUndefined();
    expect(plan.gates['health']?.cost).toBeUndefined();
  });
});
