/** A prediction-agreement dataset as a JSON Lines file beside the policy, read when the policy is loaded. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ValidationError } from '../../src/errors';
import { compilePlan } from '../../src/plan/compile';
import { validatePolicy, type PolicyInput } from '../../src/policy';
import { loadPolicyFile } from '../../src/policy-store';
import { compileInput } from '../plan/inputs';
import { canaryPolicy } from './fixtures';

const dir = mkdtempSync(join(tmpdir(), 'agreement-dataset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function policyWith(dataset: Record<string, unknown>, extra: Record<string, unknown> = {}): PolicyInput {
  return canaryPolicy({ predictionAgreement: { dataset, predictionPath: '$.label', minAgreement: 0.9, ...extra } } as Partial<PolicyInput>);
}

async function load(name: string, policy: PolicyInput, files: Record<string, string> = {}) {
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(policy));
  return loadPolicyFile(file);
}

async function problem(name: string, policy: PolicyInput, files: Record<string, string> = {}): Promise<string> {
  try {
    await load(name, policy, files);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('dataset.file', () => {
  it('is read as rows (blank lines skipped) and compiles like inline rows', async () => {
    const policy = await load('ok', policyWith({ file: 'rows.jsonl' }), { 'rows.jsonl': '{"income": 1}\n\n{"income": 2}\r\n[3]\n' });
    expect(policy.predictionAgreement?.dataset).toEqual({ rows: [{ income: 1 }, { income: 2 }, [3]] });
    const plan = compilePlan(policy, compileInput());
    expect(plan.gates['predictionAgreement']?.agreement?.rows).toHaveLength(3);
  });

  it.each([
    ['missing', { file: 'absent.jsonl' }, {}, 'predictionAgreement.dataset.file: no dataset file at'],
    ['bad-line', { file: 'bad.jsonl' }, { 'bad.jsonl': '{"a":1}\n{oops\n' }, 'bad.jsonl line 2: not a JSON value'],
    ['empty', { file: 'empty.jsonl' }, { 'empty.jsonl': '\n\n' }, 'empty.jsonl: expected at least one row'],
    ['absolute', { file: '/etc/rows.jsonl' }, {}, 'predictionAgreement.dataset.file: must be a .jsonl file inside the policy folder'],
    ['parent', { file: '../rows.jsonl' }, {}, 'predictionAgreement.dataset.file: must be a .jsonl file inside the policy folder'],
    ['both', { file: 'rows.jsonl', rows: [{}] }, {}, 'predictionAgreement.dataset: declare exactly one of rows (inline) or file'],
    ['neither', {}, {}, 'predictionAgreement.dataset: declare exactly one of rows (inline) or file'],
  ] as const)('%s: %s', async (name, dataset, files, message) => {
    expect(await problem(name, policyWith(dataset), files)).toContain(message);
  });

  it("minComparedRows above the file's rows is refused, naming the field", async () => {
    const message = await problem('too-few', policyWith({ file: 'two.jsonl' }, { minComparedRows: 3 }), { 'two.jsonl': '1\n2\n' });
    expect(message).toContain('predictionAgreement.minComparedRows');
  });

  it('a policy compiled from its text alone (file not read) is a clear error, not a plan without rows', () => {
    const policy = validatePolicy(policyWith({ file: 'rows.jsonl' }), 'p.yaml');
    expect(() => compilePlan(policy, compileInput())).toThrow(ValidationError);
    expect(() => compilePlan(policy, compileInput())).toThrow(/dataset.file "rows.jsonl" has not been read/);
  });
});
