import { describe, expect, it } from 'vitest';
import { globMatches, policyMatches, selectPolicy, validatePolicy, type ModelFacts, type Policy } from '../../src/policy';
import { ValidationError } from '../../src/errors';
import { canaryPolicy } from './fixtures';

function policy(name: string, match: Record<string, unknown>): Policy {
  return validatePolicy({ ...canaryPolicy(), name, match }, `${name}.yaml`);
}

const model = (over: Partial<ModelFacts> = {}): ModelFacts => ({
  workspace: 'ml-prod-weu',
  name: 'credit-model',
  version: '7',
  tags: {},
  ...over,
});

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
    expect(() => selectPolicy([general], model({ tags: { 'rollout-policy': 'nope' } }))).toThrow(
      /rollout-policy=nope names no loaded policy \(loaded: general\)/,
    );
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

describe('match.workspace: the full workspace id, or a name inside the configured scope', () => {
  const home = { subscriptionId: 'sub-home', resourceGroup: 'rg-ml' };
  const at = (subscriptionId: string, resourceGroup: string, workspace = 'ml-prod-weu'): ModelFacts =>
    model({ workspace, scope: { subscriptionId, resourceGroup }, home });
  const fullId = (sub: string, rg: string, name: string) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.MachineLearningServices/workspaces/${name}`;

  it.each([
    ['bare name, home scope', 'ml-prod*', at('sub-home', 'rg-ml'), true],
    ['bare name, home scope in other casing', 'ml-prod*', at('SUB-HOME', 'RG-ML'), true],
    ['bare name, same workspace name in another subscription', 'ml-prod*', at('sub-other', 'rg-ml'), false],
    ['bare name, same workspace name in another resource group', 'ml-prod*', at('sub-home', 'rg-other'), false],
    ['full id, exact', fullId('sub-home', 'rg-ml', 'ml-prod-weu'), at('sub-home', 'rg-ml'), true],
    ['full id, another subscription', fullId('sub-home', 'rg-ml', 'ml-prod-weu'), at('sub-other', 'rg-ml'), false],
    ['full id, another resource group', fullId('sub-home', 'rg-ml', 'ml-prod-weu'), at('sub-home', 'rg-dev'), false],
    ['full id, another name', fullId('sub-home', 'rg-ml', 'ml-prod-weu'), at('sub-home', 'rg-ml', 'ml-prod-neu'), false],
    ['full id with globs, outside the home scope on purpose', fullId('*', 'rg-*', 'ml-prod*'), at('sub-other', 'rg-x'), true],
    ['a * for the subscription does not swallow the resource group', fullId('*', 'rg-ml', 'ml-prod-weu'), at('sub-x', 'rg-other'), false],
  ])('%s', (_what, workspace, facts, expected) => {
    expect(policyMatches(policy('p', { workspace, model: 'credit-*' }), facts)).toBe(expected);
  });

  it('a rollout-policy tag cannot aim an event from another subscription at a home-only policy', () => {
    const homeOnly = policy('home-only', { workspace: 'ml-prod*', model: 'other-*' });
    expect(() => selectPolicy([homeOnly], { ...at('sub-other', 'rg-ml'), tags: { 'rollout-policy': 'home-only' } })).toThrow(
      /only applies to workspaces "ml-prod\*", not "ml-prod-weu \(resource group rg-ml, subscription sub-other\)"/,
    );
    expect(selectPolicy([homeOnly], { ...at('sub-home', 'rg-ml'), tags: { 'rollout-policy': 'home-only' } })).toMatchObject({
      kind: 'selected',
    });
  });

  it('a workspace value with a slash that is not a workspace id is a policy error saying both accepted forms', () => {
    for (const bad of ['rg-ml/ml-prod', '/subscriptions/x/resourceGroups/y/workspaces/z', fullId('a', 'b', 'c/d')]) {
      expect(() => policy('p', { workspace: bad, model: '*' })).toThrow(
        /match\.workspace.*must be the workspace's full id \/subscriptions\/\{subscription\}.*or a workspace name glob/s,
      );
    }
  });
});
