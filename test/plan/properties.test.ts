/**
 * Property tests: for arbitrary valid policies of every strategy and arbitrary endpoint states,
 * compiled plans are safe to run step by step, keep their promises, and can always be undone.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BUILT_IN_METRICS } from '../../src/analysis/types';
import { validatePolicy, type PolicyInput } from '../../src/policy';
import { gateSpecProblems } from '../../src/analysis/spec';
import { AB_COMPARE_GATE, compilePlan } from '../../src/plan/compile';
import { isValidDeploymentName } from '../../src/plan/deployment-name';
import { canTransition, phaseOfStep } from '../../src/plan/phases';
import { planSchema, type Phase, type Plan, type Step } from '../../src/plan/types';
import { applyPlan, applyStep } from './apply';
import { compileInput } from './inputs';

const RUNS = 300;

const check = fc
  .record({
    metric: fc.constantFrom(...BUILT_IN_METRICS),
    max: fc.option(fc.double({ min: 0.001, max: 1, noNaN: true }), { nil: undefined }),
    maxRatioToBaseline: fc.option(fc.double({ min: 1, max: 3, noNaN: true }), { nil: undefined }),
    critical: fc.boolean(),
  })
  .map(({ metric, max, maxRatioToBaseline, critical }) => {
    // At least one threshold; an absolute one whenever no ratio was drawn.
    const c: { metric: string; critical: boolean; max?: number; maxRatioToBaseline?: number } = { metric, critical };
    if (max !== undefined || maxRatioToBaseline === undefined) c.max = max ?? 0.05;
    if (maxRatioToBaseline !== undefined) c.maxRatioToBaseline = maxRatioToBaseline;
    return c;
  });

const gate = fc.record({
  checks: fc.array(check, { minLength: 1, maxLength: 3 }),
  windowMinutes: fc.integer({ min: 5, max: 30 }),
  checkIntervalMinutes: fc.integer({ min: 1, max: 5 }),
  minRequestsPerDeployment: fc.integer({ min: 1, max: 1000 }),
  noData: fc.record({ outcome: fc.constantFrom('extend', 'rollback'), maxExtensionMinutes: fc.integer({ min: 0, max: 60 }) }),
  spending: fc.constantFrom('pocock', 'obrienFleming'),
});

const gates = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), gate, { maxKeys: 3 });
const approvals = { owner: { approvers: ['owner@contoso.com'], timeoutMinutes: 30 } };
const maybeApproval = fc.option(fc.constant('owner'), { nil: undefined });
const mirror = fc.option(fc.record({ percent: fc.integer({ min: 1, max: 50 }), minutes: fc.integer({ min: 1, max: 60 }) }), {
  nil: undefined,
});

const canary = fc
  .record({
    percents: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 6 }),
    bakes: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 7, maxLength: 7 }),
    approvalAt: fc.option(fc.nat(6), { nil: undefined }),
    mirror,
  })
  .map(({ percents, bakes, approvalAt, mirror }) => {
    const sorted = [...[...percents].sort((a, b) => a - b), 100];
    const steps = sorted.map((percent, i) => ({ percent, bakeMinutes: bakes[i] ?? 0, ...(approvalAt === i ? { approval: 'owner' } : {}) }));
    return { canary: { steps, ...(mirror ? { mirror } : {}) } };
  });

const strategy = fc.oneof(
  canary,
  fc
    .record({ mirror, approval: maybeApproval, rollbackWindowMinutes: fc.integer({ min: 0, max: 120 }) })
    .map((b) => ({ blueGreen: strip(b) })),
  fc
    .record({ percent: fc.integer({ min: 1, max: 50 }), minutes: fc.integer({ min: 1, max: 240 }), approval: maybeApproval })
    .map((s) => ({ shadow: strip(s) })),
  fc
    .record({
      candidate: fc.integer({ min: 1, max: 99 }),
      durationMinutes: fc.integer({ min: 1, max: 600 }),
      minRequestsPerArm: fc.option(fc.integer({ min: 1, max: 10000 }), { nil: undefined }),
      approval: maybeApproval,
    })
    .map(({ candidate, ...rest }) => ({
      abTest: strip({ split: { baseline: 100 - candidate, candidate }, metrics: ['errorRate5xx', 'latencyP95'], ...rest }),
    })),
  fc
    .record({ minutes: fc.integer({ min: 0, max: 60 }), approval: maybeApproval })
    .map(({ minutes, approval }) => ({ recreate: strip({ healthCheck: { minutes }, approval }) })),
);

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const policyArb = fc
  .record({ gates, strategy, retentionMinutes: fc.integer({ min: 0, max: 240 }) })
  .map(({ gates, strategy, retentionMinutes }): PolicyInput => ({
    name: 'prop',
    match: { model: 'credit-model*' },
    target: { endpoint: 'credit-scoring' },
    strategy,
    smokeTest: { payload: { x: 1 } },
    gates,
    approvals,
    retentionMinutes,
  }));

const baselineName = fc.constantFrom('blue', 'green', 'credit-model-v2', 'prod');
const otherDeployments = fc.uniqueArray(fc.constantFrom('green', 'blue', 'credit-model-v2', 'old-1', 'old-2', 'credit-model-v2-2'), {
  maxLength: 4,
});

const planArb = fc.tuple(policyArb, baselineName, otherDeployments).map(([policyInput, baseline, others]) => {
  const policy = validatePolicy(policyInput, 'prop.yaml');
  const existing = [
    { name: baseline, liveTrafficPercent: 100 },
    ...others.filter((n) => n !== baseline).map((name) => ({ name, modelId: 'some-other-model' })),
  ];
  return compilePlan(policy, compileInput({ baseline: { deployment: baseline, modelId: 'model-1' }, existingDeployments: existing }));
});

function candidateShare(traffic: Readonly<Record<string, number>>, plan: Plan): number {
  return traffic[plan.candidate.deployment] ?? 0;
}

describe('compiled plans (properties)', () => {
  it('every traffic write and deletion passes the safety invariants when applied in order', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const { applied } = applyPlan(plan);
        for (const a of applied) expect(a.violations, `step ${a.index} ${a.step.kind}`).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('the candidate is a valid, new deployment name (or the baseline itself for recreate)', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        if (plan.strategy === 'recreate') expect(plan.candidate.deployment).toBe(plan.baseline.deployment);
        else {
          expect(isValidDeploymentName(plan.candidate.deployment)).toBe(true);
          expect(plan.candidate.deployment).not.toBe(plan.baseline.deployment);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("the candidate's live share never decreases, and mirroring is off when it takes live traffic", () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const { applied } = applyPlan(plan);
        let last = 0;
        for (const a of applied) {
          const now = candidateShare(a.traffic, plan);
          if (plan.strategy !== 'recreate') expect(now).toBeGreaterThanOrEqual(last);
          last = now;
          if (now > 0 && plan.strategy !== 'recreate') expect(a.mirror[plan.candidate.deployment] ?? 0).toBe(0);
        }
        // The happy path ends with the new model serving everything.
        expect(plan.strategy === 'recreate' ? applied.at(-1)?.traffic[plan.baseline.deployment] : last).toBe(100);
      }),
      { numRuns: RUNS },
    );
  });

  it('ends in promote + cleanup of the baseline (recreate: has a revert path)', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const kinds = plan.steps.map((s) => s.kind);
        if (plan.strategy === 'recreate') {
          expect(plan.rollbackSteps?.[0]).toMatchObject({ kind: 'replaceModel', modelId: plan.baseline.modelId });
        } else {
          expect(kinds.at(-1)).toBe('cleanup');
          expect(plan.steps.at(-1)).toMatchObject({ deployment: plan.baseline.deployment });
          expect(kinds.filter((k) => k === 'promote')).toHaveLength(1);
          expect(plan.rollbackSteps).toEqual([{ kind: 'rollback' }]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('rolling back after any step is safe and restores the baseline alone', () => {
    fc.assert(
      fc.property(planArb, fc.nat(), (plan, at) => {
        // Cleanup deletes the baseline: after it, there is nothing to roll back to (the rollout ended).
        const lastUndoable = plan.steps.findIndex((s) => s.kind === 'cleanup');
        const cut = at % (lastUndoable === -1 ? plan.steps.length + 1 : lastUndoable + 1);
        const { state } = applyPlan(plan, plan.steps.slice(0, cut));
        for (const step of plan.rollbackSteps ?? []) expect(applyStep(state, plan, step)).toEqual([]);
        const live = Object.entries(state.traffic).filter(([, v]) => v > 0);
        expect(live).toEqual([[plan.baseline.deployment, 100]]);
        expect(state.deployments.get(plan.baseline.deployment)?.modelId).toBe(plan.baseline.modelId);
      }),
      { numRuns: RUNS },
    );
  });

  it('the phases of the steps follow the transition table from Pending to Promoted', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const phases: Phase[] = ['Pending', ...plan.steps.map((s) => phaseOfStep(s.kind)), 'Promoted'];
        for (let i = 1; i < phases.length; i++) {
          expect(canTransition(phases[i - 1] as Phase, phases[i] as Phase), `${phases[i - 1]} -> ${phases[i]}`).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('every gate a step names is in plan.gates, with enough planned looks for its checks', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const uses = new Map<string, number>();
        const note = (name: string): void => void uses.set(name, (uses.get(name) ?? 0) + 1);
        for (const s of plan.steps as Step[]) {
          if (s.kind === 'bake' || s.kind === 'gate') s.gates.forEach(note);
          if (s.kind === 'decideWinner') note(s.gate);
          if (s.kind === 'bake') expect(s.checkIntervalMinutes).toBeGreaterThan(0);
        }
        for (const [name, count] of uses) {
          const spec = plan.gates[name];
          expect(spec, name).toBeDefined();
          expect(spec?.plannedLooks).toBeGreaterThanOrEqual(Math.min(count, 1));
          expect(spec?.checks.length).toBeGreaterThan(0);
        }
        // Candidate-only bakes judge only absolute thresholds.
        for (const s of plan.steps) {
          if (s.kind === 'bake' && s.candidateOnly) {
            for (const g of s.gates)
              for (const c of plan.gates[g]?.checks ?? []) expect(c.maxRatioToBaseline ?? c.maxIncreaseOverBaseline).toBeUndefined();
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("every gate spec is accepted by the analysis' own validation", () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        for (const [name, spec] of Object.entries(plan.gates)) {
          expect(spec.name).toBe(name);
          expect(gateSpecProblems(spec, { allowComparisonOnly: name === AB_COMPARE_GATE })).toEqual([]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('the one plan schema accepts every compiled plan and parses it, after JSON, to itself', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const carried: unknown = JSON.parse(JSON.stringify(plan));
        expect(planSchema.parse(carried)).toEqual(plan);
      }),
      { numRuns: RUNS },
    );
  });

  it('is deterministic and JSON-serialisable (a plan is orchestration input)', () => {
    fc.assert(
      fc.property(policyArb, (input) => {
        const policy = validatePolicy(input, 'p.yaml');
        const a = compilePlan(policy, compileInput({ baseline: { deployment: 'blue', modelId: 'm1' } }));
        const b = compilePlan(policy, compileInput({ baseline: { deployment: 'blue', modelId: 'm1' } }));
        expect(JSON.parse(JSON.stringify(a))).toEqual(b);
      }),
      { numRuns: 100 },
    );
  });
});
