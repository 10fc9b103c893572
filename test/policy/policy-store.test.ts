import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadPolicies, loadPolicyFile, PolicyFolderError } from '../../src/policy-store';
import { canaryPolicy } from './fixtures';

const EXAMPLES = join(__dirname, '..', '..', 'policies');

function tempFolder(): string {
  return mkdtempSync(join(tmpdir(), 'policies-'));
}

describe('loadPolicies', () => {
  it('loads every example policy, sorted by file', async () => {
    const loaded = await loadPolicies(EXAMPLES);
    expect(loaded.map((l) => l.file)).toEqual(
      readdirSync(EXAMPLES)
        .filter((f) => f.endsWith('.yaml'))
        .sort()
        .map((f) => join(EXAMPLES, f)),
    );
  });

  it('ignores other files and reads .yml and .json', async () => {
    const dir = tempFolder();
    writeFileSync(join(dir, 'README.md'), '# not a policy');
    writeFileSync(join(dir, 'a.yml'), stringify(canaryPolicy({ name: 'a' })));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(canaryPolicy({ name: 'b' })));
    const loaded = await loadPolicies(dir);
    expect(loaded.map((l) => l.policy.name)).toEqual(['a', 'b']);
  });

  it('reports every bad file and duplicate names together', async () => {
    const dir = tempFolder();
    copyFileSync(join(EXAMPLES, 'canary.yaml'), join(dir, 'one.yaml'));
    copyFileSync(join(EXAMPLES, 'canary.yaml'), join(dir, 'two.yaml'));
    writeFileSync(join(dir, 'bad1.yaml'), 'name: [');
    writeFileSync(join(dir, 'bad2.yaml'), stringify({ ...canaryPolicy(), retentionMinutes: -1 }));
    const error = await loadPolicies(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyFolderError);
    const message = (error as PolicyFolderError).message;
    expect(message).toContain(`${join(dir, 'bad1.yaml')}:1:`);
    expect(message).toContain(`${join(dir, 'bad2.yaml')}:`);
    expect(message).toContain('retentionMinutes:');
    expect(message).toContain(`${join(dir, 'two.yaml')}: name: "credit-canary" is already used by ${join(dir, 'one.yaml')}`);
    expect((error as PolicyFolderError).errors).toHaveLength(2);
  });

  it('refuses a missing folder clearly', async () => {
    await expect(loadPolicies(join(tempFolder(), 'absent'))).rejects.toThrow(/policy folder does not exist/);
  });

  it('returns nothing for an empty folder', async () => {
    await expect(loadPolicies(tempFolder())).resolves.toEqual([]);
  });

  it('reports an entry that cannot be read as a file', async () => {
    const dir = tempFolder();
    mkdirSync(join(dir, 'sub.yaml')); // a folder with a policy-like name is not a file
    await expect(loadPolicies(dir)).rejects.toThrow(/sub\.yaml: cannot read the policy file/);
  });
});

describe('loadPolicyFile', () => {
  it('names a missing file', async () => {
    await expect(loadPolicyFile(join(tempFolder(), 'x.yaml'))).rejects.toThrow(/x\.yaml: no such policy file/);
  });
});
