/**
 * Policies for planRollout: the POLICY_DIR folder, loaded and validated by src/policy-store.
 * Read once per process and cached (policies change with a deployment); a failed load is not
 * cached, so a fixed folder is picked up on the next rollout.
 */
import { resolve } from 'node:path';
import { RolloutError } from '../errors';
import { loadPolicies, type LoadedPolicy } from '../policy-store';
import type { PolicySource } from '../activities';

export function createPolicyDirSource(dir: string): PolicySource {
  let loading: Promise<LoadedPolicy[]> | undefined;
  return {
    async getPolicy(name) {
      loading ??= loadPolicies(dir).catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      const policies = await loading;
      const found = policies.find((p) => p.policy.name === name);
      if (!found) throw new RolloutError('NotFound', `no policy named '${name}' in ${resolve(dir)} (known: ${policies.map((p) => p.policy.name).join(', ') || 'none'})`);
      return found.policy;
    },
  };
}
