/**
 * The one policy repository (src/policy-store/repository.ts): finding policies in a folder, and
 * its one cache rule (read at most once per max age; a failed read is not cached), including the
 * rule's edge exactly at the max age. Folder reading and validation belong to loadPolicies
 * (policy-store.test.ts).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { RolloutError } from '../../src/errors';
import { createPolicyFolderRepository, POLICY_CACHE_MAX_AGE_MS, policyRepositoryFor } from '../../src/policy-store/repository';

const EXAMPLES = join(__dirname, '../../policies');
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'policy-repo-'));
  dirs.push(dir);
  return dir;
}

/** The example canary policy under another name, with its first canary step at `percent` (below the second's 25). */
function canaryText(name: string, percent?: number): string {
  const text = readFileSync(join(EXAMPLES, 'canary.yaml'), 'utf8').replace(/^name: credit-canary$/m, `name: ${name}`);
  return percent === undefined ? text : text.replace('{ percent: 10, bakeMinutes: 15 }', `{ percent: ${percent}, bakeMinutes: 15 }`);
}

function firstPercent(policy: { strategy: unknown }): number {
  return (policy.strategy as { canary: { steps: { percent: number }[] } }).canary.steps[0]!.percent;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('createPolicyFolderRepository', () => {
  it('finds a policy by name among the folder files, and lists them all', async () => {
    const dir = tempDir();
    copyFileSync(join(EXAMPLES, 'canary.yaml'), join(dir, 'canary.yaml'));
    writeFileSync(join(dir, 'other.yaml'), canaryText('other-canary'));
    const repository = createPolicyFolderRepository(dir);
    expect((await repository.getPolicy('other-canary')).name).toBe('other-canary');
    expect((await repository.getPolicy('credit-canary')).name).toBe('credit-canary');
    expect((await repository.listPolicies()).map((p) => p.name)).toEqual(['credit-canary', 'other-canary']);
  });

  it('names the missing policy, the folder and the known ones', async () => {
    const dir = tempDir();
    copyFileSync(join(EXAMPLES, 'canary.yaml'), join(dir, 'canary.yaml'));
    const error = await createPolicyFolderRepository(dir)
      .getPolicy('nope')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RolloutError);
    expect((error as RolloutError).code).toBe('NotFound');
    expect((error as Error).message).toContain(`no policy named 'nope' in ${dir} (known: credit-canary)`);
  });

  it('names every bad file, and does not cache the failure: a fixed folder is picked up at once', async () => {
    const dir = tempDir();
    copyFileSync(join(EXAMPLES, 'canary.yaml'), join(dir, 'canary.yaml'));
    writeFileSync(join(dir, 'bad-one.yaml'), 'name: bad-one\ntarget: { endpoint: x }\n');
    writeFileSync(join(dir, 'bad-two.json'), '{ "name": ');
    writeFileSync(join(dir, 'duplicate.yaml'), canaryText('credit-canary'));
    const repository = createPolicyFolderRepository(dir, { now: () => 0 });
    const error = (await repository.getPolicy('credit-canary').catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('bad-one.yaml');
    expect(error.message).toContain('bad-two.json');
    expect(error.message).toMatch(/duplicate\.yaml: name: "credit-canary" is already used/);
    for (const file of ['bad-one.yaml', 'bad-two.json', 'duplicate.yaml']) rmSync(join(dir, file));
    expect((await repository.getPolicy('credit-canary')).name).toBe('credit-canary');
  });

  it('names a folder that does not exist', async () => {
    const dir = join(tempDir(), 'missing');
    await expect(createPolicyFolderRepository(dir).getPolicy('x')).rejects.toThrow(/missing.*policy folder does not exist/);
  });

  it('the cache rule: an edit is seen once the cached read is older than the max age (30 s by default), never before', async () => {
    expect(POLICY_CACHE_MAX_AGE_MS).toBe(30_000);
    // Random sequences of edits and reads at random times, against a model of the rule: a read
    // refreshes the cache when the cached read is older than the max age, else answers from it.
    const action = fc.oneof(
      fc.record({ kind: fc.constant('edit' as const), percent: fc.integer({ min: 1, max: 24 }) }),
      fc.record({
        kind: fc.constant('read' as const),
        afterMs: fc.oneof(fc.integer({ min: 0, max: 45_000 }), fc.constantFrom(POLICY_CACHE_MAX_AGE_MS, POLICY_CACHE_MAX_AGE_MS + 1)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 8 }), async (actions) => {
        const dir = tempDir();
        let onDisk = 10;
        writeFileSync(join(dir, 'p.yaml'), canaryText('p', onDisk));
        let now = 0;
        const repository = createPolicyFolderRepository(dir, { now: () => now });
        expect(firstPercent(await repository.getPolicy('p'))).toBe(10);
        let cache = { atMs: 0, percent: 10 };
        for (const step of actions) {
          if (step.kind === 'edit') {
            onDisk = step.percent;
            writeFileSync(join(dir, 'p.yaml'), canaryText('p', onDisk));
            continue;
          }
          now += step.afterMs;
          if (now - cache.atMs > POLICY_CACHE_MAX_AGE_MS) cache = { atMs: now, percent: onDisk };
          expect(firstPercent(await repository.getPolicy('p'))).toBe(cache.percent);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('one repository per folder in a process: every reader shares one cache', () => {
    const dir = tempDir();
    expect(policyRepositoryFor(dir)).toBe(policyRepositoryFor(join(dir, '.')));
    expect(policyRepositoryFor(dir)).not.toBe(policyRepositoryFor(tempDir()));
  });
});
