import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkPolicyFolder, previewPlan } from '../../src/policy-store/check-policies';
import { PolicyFolderError } from '../../src/policy-store';
import { validatePolicy } from '../../src/policy';
import { canaryPolicy } from './fixtures';

describe('policies:check', () => {
  it('reports every example as valid, with its plan preview', async () => {
    const report = await checkPolicyFolder(join(__dirname, '..', '..', 'policies'));
    expect(report).toMatch(/canary\.yaml: ok \(canary\)\ncanary rollout of credit-model:2 to credit-scoring \(blue -> credit-model-v2\)/);
    expect(report).toMatch(/recreate\.yaml: ok \(recreate\)\nrecreate rollout/);
    expect(report).toMatch(/5 valid policy file\(s\)/);
  });

  it('previews a policy whose model glob is a bare *', () => {
    const preview = previewPlan(validatePolicy({ ...canaryPolicy(), match: { model: '*' } }, 'p.yaml'));
    expect(preview).toContain('(blue -> example-model-v2)');
    expect(preview).toContain('11. delete blue after 60 min');
  });

  it('fails with every problem of a bad folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-'));
    writeFileSync(join(dir, 'bad.yaml'), stringify({ ...canaryPolicy(), retentionMinutes: -1 }));
    await expect(checkPolicyFolder(dir)).rejects.toBeInstanceOf(PolicyFolderError);
  });
});
