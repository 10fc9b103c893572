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

  it("previews the rollout's own extra cost: planned minutes beside the live deployment, priced per instance from the policy table", () => {
    // Bakes 10 + 10 + 5 (the watch after promotion) and 60 min of retention: 85 min with two deployments (0.3 x 85 / 60 = 0.425).
    const priced = previewPlan(
      validatePolicy(
        { ...canaryPolicy(), cost: { maxCostIncreasePercent: 20, prices: { Standard_DS3_v2: 0.3, Standard_NC6s_v3: 3 }, currency: 'EUR' } },
        'p.yaml',
      ),
    );
    expect(priced).toContain('extra cost: the candidate runs beside the live deployment for the planned 85 min');
    expect(priced).toContain('per instance of Standard_DS3_v2: 0.42 EUR');
    expect(priced).toContain('per instance of Standard_NC6s_v3: 4.25 EUR');
    const retail = previewPlan(validatePolicy({ ...canaryPolicy(), cost: { maxCostIncreasePercent: 20 } }, 'p.yaml'));
    expect(retail).toContain("priced at rollout start from Azure Retail Prices in the endpoint's region");
    expect(previewPlan(validatePolicy(canaryPolicy(), 'p.yaml'))).toContain('add a cost section to price it');
    const recreate = previewPlan(validatePolicy({ ...canaryPolicy(), strategy: { recreate: { healthCheck: { minutes: 10 } } } }, 'p.yaml'));
    expect(recreate).toContain('extra cost: none');
  });

  it('fails with every problem of a bad folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-'));
    writeFileSync(join(dir, 'bad.yaml'), stringify({ ...canaryPolicy(), retentionMinutes: -1 }));
    await expect(checkPolicyFolder(dir)).rejects.toBeInstanceOf(PolicyFolderError);
  });
});
