import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import { policyResolver } from '../../src/ingest/policy-resolver';
import { createPolicyFolderRepository } from '../../src/policy-store/repository';

const DEMO = path.resolve(__dirname, '../../demo/policies');
const workspace = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'demo-workspace' };

describe('policyResolver over a real policy folder', () => {
  it('matches by model glob and workspace, and exposes the allow-lists', async () => {
    const resolver = policyResolver(createPolicyFolderRepository(DEMO));
    const matched = await resolver.resolve({ workspace, name: 'credit-model', version: '2', tags: {} });
    expect(matched).toMatchObject({
      kind: 'matched',
      policyName: 'credit-canary-demo',
      endpoint: 'credit-scoring',
      access: { approvers: ['demo@contoso.com'], operators: ['demo@contoso.com'] },
    });
    expect(
      (await resolver.resolve({ workspace: { ...workspace, workspace: 'other' }, name: 'credit-model', version: '2', tags: {} })).kind,
    ).toBe('noMatch');
    expect((await resolver.resolve({ workspace, name: 'fraud', version: '1', tags: {} })).kind).toBe('noMatch');
    expect((await resolver.resolve({ workspace, name: 'credit-model', version: '2', tags: { rollout: 'skip' } })).kind).toBe('skipped');
    expect(await resolver.getAccess('credit-canary-demo')).toEqual({ approvers: ['demo@contoso.com'], operators: ['demo@contoso.com'] });
    expect(await resolver.getAccess('nope')).toBeUndefined();
  });

  it('a named policy must exist (400 naming `policy`); a tag naming an unknown policy is a policy error', async () => {
    const resolver = policyResolver(createPolicyFolderRepository(DEMO));
    await expect(resolver.resolve({ workspace, name: 'credit-model', version: '2', tags: {} }, 'nope')).rejects.toMatchObject({
      path: 'policy',
      code: 'InvalidInput',
    });
    const tagged = resolver.resolve({ workspace, name: 'credit-model', version: '2', tags: { 'rollout-policy': 'nope' } });
    await expect(tagged).rejects.toBeInstanceOf(ValidationError);
    await expect(tagged).rejects.toMatchObject({ code: 'InvalidPolicy' });
  });
});
