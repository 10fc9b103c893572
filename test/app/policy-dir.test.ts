/**
 * createPolicyDirSource is a thin caller of src/policy-store's loadPolicies (which owns folder
 * reading and validation); what it adds is the per-process cache and the not-cached failure.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPolicyDirSource } from '../../src/app/policy-dir';
import { RolloutError } from '../../src/errors';

const EXAMPLES = join(__dirname, '../../policies');
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'policy-dir-'));
  dirs.push(dir);
  return dir;
}

/** The example canary policy under another name. */
function renamedCanary(name: string): string {
  return readFileSync(join(EXAMPLES, 'canary.yaml'), 'utf8').replace(/^name: credit-canary$/m, `name: ${name}`);
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('createPolicyDirSource', () => {
  it('finds a policy by name among the folder files', async () => {
    const dir = tempDir();
    copyFileSync(join(EXAMPLES, 'canary.yaml'), join(dir, 'canary.yaml'));
    writeFileSync(join(dir, 'other.yaml'), renamedCanary('other-canary'));
    const source = createPolicyDirSource(dir);
    expect((await source.getPolicy('other-canary')).name).toBe('other-canary');
    expect((await source.getPolicy('credit-canary')).name).toBe('credit-canary');
  });

  it('names the missing policy, the folder and the known ones', async () => {
    const dir = tempDir();
    copyFileSync(join(EXAMPLES, 'canary.yaml'), join(dir, 'canary.yaml'));
    const error = await createPolicyDirSource(dir).getPolicy('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RolloutError);
    expect((error as RolloutError).code).toBe('NotFound');
    expect((error as Error).message).toContain(`no policy named 'nope' in ${dir} (known: credit-canary)`);
  });

  it('reads the folder once per source (policies change with a deployment)', async () => {
    const dir = tempDir();
    copyFileSync(join(EXAMPLES, 'canary.yaml'), join(dir, 'canary.yaml'));
    const source = createPolicyDirSource(dir);
    await source.getPolicy('credit-canary');
    writeFileSync(join(dir, 'late.yaml'), renamedCanary('late-canary'));
    await expect(source.getPolicy('late-canary')).rejects.toThrow(/no policy named 'late-canary'/);
    expect((await createPolicyDirSource(dir).getPolicy('late-canary')).name).toBe('late-canary');
  });

  it('names every bad file, and does not cache the failure: a fixed folder is picked up', async () => {
    const dir = tempDir();
    copyFileSync(join(EXAMPLES, 'canary.yaml'), join(dir, 'canary.yaml'));
    writeFileSync(join(dir, 'bad-one.yaml'), 'name: bad-one\ntarget: { endpoint: x }\n');
    writeFileSync(join(dir, 'bad-two.json'), '{ "name": ');
    writeFileSync(join(dir, 'duplicate.yaml'), renamedCanary('credit-canary'));
    const source = createPolicyDirSource(dir);
    const error = (await source.getPolicy('credit-canary').catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('bad-one.yaml');
    expect(error.message).toContain('bad-two.json');
    expect(error.message).toMatch(/duplicate\.yaml: name: "credit-canary" is already used/);
    for (const file of ['bad-one.yaml', 'bad-two.json', 'duplicate.yaml']) rmSync(join(dir, file));
    expect((await source.getPolicy('credit-canary')).name).toBe('credit-canary');
  });

  it('names a folder that does not exist', async () => {
    const dir = join(tempDir(), 'missing');
    await expect(createPolicyDirSource(dir).getPolicy('x')).rejects.toThrow(/missing.*policy folder does not exist/);
  });
});
