import { describe, expect, it } from 'vitest';
import { globMatches, policyMatches, selectPolicy, validatePolicy, type ModelFacts, type Policy } from '../../src/policy';
import { ValidationError } from '../../src/errors';
import { canaryPolicy } from './fixtures';

function policy(name: string, match: Record<string, unknown>): Policy {
  return validatePolicy({ ...canaryPolicy(), name, match }, `${name}.yaml`);
}

const model = (over: Partial<ModelFacts> = {}): ModelFacts => ({ workspace: 'ml-prod-weu', name: 'credit-model', version: '7', tags: {}, ...over });

describe('globMatches', () => {
  it.each([
    ['credit-model*', 'credit-model', true],
    ['credit-model*', 'credit-model-xgb', true],
    ['credit-model*', 'fraud-model', false],
    ['credit-?', 'credit-a', true],
    ['credit-?', 'credit-ab', false],
    ['Credit-Model', 'credit-model', true],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
    ['*', '', true],
  ])('%s ~ %s = %s', (glob, value, expected) => {
    expect(globMatches(glob, value)).toBe(expected);
  });
});

describe('policyMatches', () => {
  it('applies workspace, model glob and every tag', () => {
    const p = policy('p', { workspace: 'ml-prod*', model: 'credit-*', tags: { stage: 'prod*', team: '*' } });
    expect(policyMatches(p, model({ tags: { stage: 'production', team: 'risk' } }))).toBe(true);
    expect(policyMatches(p, model({ tags: { STAGE: 'production', team: 'risk' } }))).toBe(true);
    expect(policyMatches(p, model({ tags: { stage: 'production' } }))).toBe(false);
    expect(policyMatches(p, model({ tags: { stage: 'dev', team: 'risk' } }))).toBe(false);
    expect(policyMatches(p, model({ workspace: 'ml-dev', tags: { stage: 'production', team: 'risk' } }))).toBe(false);
    expect(policyMatches(p, model({ name: 'fraud', tags: { stage: 'production', team: 'risk' } }))).toBe(false);
  });
});

describe('selectPolicy', () => {
  const general = policy('general', { model: 'credit-*' });
  const special = policy('special', { model: 'credit-*', tags: { flavor: 'special' }, priority: 5 });
  const dev = policy('dev-only', { model: 'credit-*', workspace: 'ml-dev*', priority: 9 });

  it('skips a model tagged rollout: skip', () => {
    const s = selectPolicy([general], model({ tags: { Rollout: 'SKIP' } }));
    expect(s).toMatchObject({ kind: 'skipped' });
  });

  it('picks the policy named by tag rollout-policy, over match and priority', () => {
    const s = selectPolicy([general, special], model({ tags: { 'rollout-policy': 'general', flavor: 'special' } }));
    expect(s.kind === 'selected' && s.policy.name).toBe('general');
  });

  it('refuses a tag naming an unknown policy', () => {
    expect(() => selectPolicy([general], model({ tags: { 'rollout-policy': 'nope' } }))).toThrow(/rollout-policy=nope names no loaded policy \(loaded: general\)/);
  });

  it('refuses a tag naming a policy of another workspace', () => {
    expect(() => selectPolicy([dev], model({ tags: { 'rollout-policy': 'dev-only' } }))).toThrow(/only applies to workspaces "ml-dev\*"/);
  });

  it('prefers the highest priority', () => {
    const s = selectPolicy([general, special], model({ tags: { flavor: 'special' } }));
    expect(s.kind === 'selected' && s.policy.name).toBe('special');
  });

  it('reports no match', () => {
    expect(selectPolicy([special], model())).toMatchObject({ kind: 'unmatched' });
  });

  it('refuses a tie instead of guessing', () => {
    const twin = policy('twin', { model: 'credit-m*' });
    expect(() => selectPolicy([general, twin], model())).toThrow(ValidationError);
    expect(() => selectPolicy([general, twin], model())).toThrow(/"general", "twin" all match with priority 0/);
  });
});
