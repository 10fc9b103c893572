/**
 * The policy's predictionAgreement section: validation errors that name the field, and where the
 * compiler puts the check (right after the candidate's smoke test, before any live or mirrored
 * traffic, in every strategy that has a second deployment).
 */
import { describe, expect, it } from 'vitest';
import { PREDICTION_AGREEMENT_GATE } from '../../src/analysis/agreement';
import { PolicyError, validatePolicy, type PolicyInput } from '../../src/policy';
import { compilePlan } from '../../src/plan/compile';
import { noDataApproval } from '../../src/orchestration/approval-decider';
import { canaryPolicy, policyFor } from '../policy/fixtures';
import { compileInput } from './inputs';

const rows = [{ income: 1 }, { income: 2 }, { income: 3 }];
const agreement = (extra: Record<string, unknown> = {}) => ({ dataset: { rows }, predictionPath: '$.label', minAgreement: 0.9, ...extra });

function problems(policy: PolicyInput): string {
  try {
    validatePolicy(policy, 'p.yaml');
  } catch (error) {
    if (error instanceof PolicyError) return error.message;
    throw error;
  }
  return '';
}

describe('predictionAgreement validation names the field', () => {
  it('a valid section is accepted', () => {
    expect(problems(canaryPolicy({ predictionAgreement: agreement() } as Partial<PolicyInput>))).toBe('');
  });

  it.each([
    [{ dataset: { rows: [] } }, 'predictionAgreement.dataset.rows'],
    [{ dataset: { rows: Array.from({ length: 501 }, () => ({})) } }, 'predictionAgreement.dataset.rows'],
    [{ dataset: { blob: 'https://x/rows.jsonl' } }, 'predictionAgreement.dataset'],
    [{ predictionPath: 'label' }, 'predictionAgreement.predictionPath'],
    [{ predictionPath: '$.predictions[*]' }, 'predictionAgreement.predictionPath'],
    [{ minAgreement: 1.2 }, 'predictionAgreement.minAgreement'],
    [{ minAgreement: undefined }, 'predictionAgreement.minAgreement'],
    [{ tolerance: { absolute: 0.1 } }, 'predictionAgreement.compare'],
    [{ compare: 'numeric', tolerance: { absolute: -1 } }, 'predictionAgreement.tolerance.absolute'],
    [{ minComparedRows: 4 }, 'predictionAgreement.minComparedRows'],
    [{ maxExamples: 21 }, 'predictionAgreement.maxExamples'],
    [{ onDisagreement: 'ignore' }, 'predictionAgreement.onDisagreement'],
    [{ threshold: 0.9 }, 'predictionAgreement'],
  ])('%j is refused at %s', (extra, field) => {
    expect(problems(canaryPolicy({ predictionAgreement: agreement(extra) } as Partial<PolicyInput>))).toContain(field);
  });

  it('a recreate policy is refused: there is no second deployment to compare with', () => {
    expect(problems({ ...policyFor('recreate'), predictionAgreement: agreement() } as PolicyInput)).toMatch(
      /predictionAgreement.*no second deployment/,
    );
  });

  it('a gate of the policy named predictionAgreement is refused (the name is taken)', () => {
    const policy = canaryPolicy({ predictionAgreement: agreement() } as Partial<PolicyInput>);
    policy.gates = { ...policy.gates, predictionAgreement: { checks: [{ metric: 'latencyP95', max: 900 }] } };
    expect(problems(policy)).toContain('gates.predictionAgreement');
  });
});

describe('the compiled plan', () => {
  it.each(['canary', 'blueGreen', 'shadow', 'abTest'] as const)(
    '%s: the agreement gate step follows the smoke test, before any traffic',
    (strategy) => {
      const plan = compilePlan(
        validatePolicy(
          { ...policyFor(strategy), predictionAgreement: agreement({ onDisagreement: 'requestApproval' }) } as PolicyInput,
          'p.yaml',
        ),
        compileInput(),
      );
      const smoke = plan.steps.findIndex((s) => s.kind === 'smokeTest');
      const check = plan.steps[smoke + 1];
      expect(check).toMatchObject({ kind: 'gate', gates: [PREDICTION_AGREEMENT_GATE], noDataOutcome: 'requestApproval' });
      const firstTraffic = plan.steps.findIndex((s) => s.kind === 'setTraffic' || s.kind === 'mirror' || s.kind === 'promote');
      expect(firstTraffic).toBeGreaterThan(smoke + 1);
      expect(plan.gates[PREDICTION_AGREEMENT_GATE]?.agreement).toMatchObject({
        rows,
        predictionPath: '$.label',
        minAgreement: 0.9,
        minComparedRows: Math.ceil(0.9 * rows.length),
        onDisagreement: 'requestApproval',
      });
      // Only the one decisive step checks it: no bake looks at it again.
      expect(
        plan.steps.filter((s) => (s.kind === 'bake' || s.kind === 'gate') && s.gates.includes(PREDICTION_AGREEMENT_GATE)),
      ).toHaveLength(1);
    },
  );

  it('without the section the plan has no agreement gate', () => {
    const plan = compilePlan(validatePolicy(canaryPolicy(), 'p.yaml'), compileInput());
    expect(plan.gates[PREDICTION_AGREEMENT_GATE]).toBeUndefined();
  });
});

describe('the approval a disagreement asks for (onDisagreement: requestApproval)', () => {
  it("is named 'prediction-agreement' in the agreement step, 'no-data' in any other step", () => {
    const plan = compilePlan(
      validatePolicy(
        {
          ...canaryPolicy({ approvals: { owner: { approvers: ['owner@contoso.com'], timeoutMinutes: 30 } } }),
          predictionAgreement: agreement({ onDisagreement: 'requestApproval' }),
        } as PolicyInput,
        'p.yaml',
      ),
      compileInput(),
    );
    const index = plan.steps.findIndex((s) => s.kind === 'gate' && s.gates.includes(PREDICTION_AGREEMENT_GATE));
    expect(noDataApproval(plan, index)).toMatchObject({
      name: 'prediction-agreement',
      onTimeout: 'rollback',
      approvers: ['owner@contoso.com'],
    });
    const laterGate = plan.steps.findIndex((s, i) => i > index && s.kind === 'gate');
    expect(noDataApproval(plan, laterGate).name).toBe('no-data');
    expect(noDataApproval(plan).name).toBe('no-data');
  });
});
