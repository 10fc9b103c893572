/**
 * Policies from a folder (POLICY_DIR): every *.yaml, *.yml and *.json file is parsed and
 * validated (src/policy), indexed by the policy's name. Read once per process and cached; a bad
 * file fails the lookup with the file, the path inside it and what was expected.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RolloutError, ValidationError } from '../errors';
import { parsePolicy } from '../policy/parse';
import type { Policy } from '../policy/schema';
import type { PolicySource } from '../activities';

const POLICY_FILE = /\.(ya?ml|json)$/i;

export async function loadPolicyDir(dir: string): Promise<Map<string, { policy: Policy; file: string }>> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => POLICY_FILE.test(n)).sort();
  } catch (error) {
    throw new ValidationError('POLICY_DIR', `cannot read policy folder ${root}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const byName = new Map<string, { policy: Policy; file: string }>();
  for (const name of names) {
    const file = join(root, name);
    const policy = parsePolicy(await readFile(file, 'utf8'), file);
    const existing = byName.get(policy.name);
    if (existing) throw new ValidationError(file, `policy name '${policy.name}' is also used by ${existing.file}; names must be unique`);
    byName.set(policy.name, { policy, file });
  }
  return byName;
}

export function createPolicyDirSource(dir: string): PolicySource {
  let loading: Promise<Map<string, { policy: Policy; file: string }>> | undefined;
  return {
    async getPolicy(name) {
      loading ??= loadPolicyDir(dir).catch((error: unknown) => {
        loading = undefined; // a fixed file is picked up on the next call
        throw error;
      });
      const policies = await loading;
      const found = policies.get(name);
      if (!found) throw new RolloutError('NotFound', `no policy named '${name}' in ${resolve(dir)} (known: ${[...policies.keys()].join(', ') || 'none'})`);
      return found.policy;
    },
  };
}
