/**
 * PolicyResolver over a policy folder (POLICY_DIR): the files are loaded through src/policy-store
 * and matched by src/policy's selectPolicy (opt-out tag, `rollout-policy` tag, match rules).
 *
 * The folder is re-read when a cached copy is older than `maxAgeMs` (default 30 s), so a policy
 * edited on disk (or redeployed) is picked up without a restart, while a burst of 100 duplicate
 * deliveries reads it once.
 */
import { ValidationError } from '../errors';
import { selectPolicy, type Policy, type WorkspaceScope } from '../policy';
import { loadPolicies } from '../policy-store';
import type { PolicyAccess, PolicyResolver } from './ports';

function accessOf(policy: Policy): PolicyAccess {
  const approvers = [...new Set(Object.values(policy.approvals).flatMap((a) => a.approvers))];
  return { approvers, operators: [...policy.operators] };
}

export interface PolicyFolderResolverOptions {
  /** The subscription and resource group the app is configured with (bare `match.workspace` names match only there). */
  readonly home?: WorkspaceScope;
  readonly maxAgeMs?: number;
  /** Time source for the cache (not rollout time). */
  readonly now?: () => number;
}

/** A resolver over an already-loaded list (tests, the simulator). */
export function policyListResolver(load: () => Promise<readonly Policy[]>, home?: WorkspaceScope): PolicyResolver {
  return {
    async resolve(model, policyName) {
      const policies = await load();
      if (policyName !== undefined) {
        const policy = policies.find((p) => p.name === policyName);
        if (!policy) throw new ValidationError('policy', `no policy named "${policyName}" (known: ${policies.map((p) => p.name).join(', ') || 'none'})`);
        return { kind: 'matched', policyName: policy.name, endpoint: policy.target.endpoint, access: accessOf(policy) };
      }
      const { subscriptionId, resourceGroup, workspace } = model.workspace;
      const selection = selectPolicy(policies, { workspace, scope: { subscriptionId, resourceGroup }, ...(home ? { home } : {}), name: model.name, version: model.version, tags: model.tags });
      if (selection.kind === 'skipped') return { kind: 'skipped', reason: selection.reason };
      if (selection.kind === 'unmatched') return { kind: 'noMatch', reason: selection.reason };
      return { kind: 'matched', policyName: selection.policy.name, endpoint: selection.policy.target.endpoint, access: accessOf(selection.policy) };
    },
    async getAccess(policyName) {
      const policy = (await load()).find((p) => p.name === policyName);
      return policy ? accessOf(policy) : undefined;
    },
  };
}

export function policyFolderResolver(folder: string, options: PolicyFolderResolverOptions = {}): PolicyResolver {
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  const now = options.now ?? (() => Date.now());
  let cached: { atMs: number; policies: Promise<readonly Policy[]> } | undefined;
  const load = (): Promise<readonly Policy[]> => {
    if (!cached || now() - cached.atMs > maxAgeMs) {
      const policies = loadPolicies(folder).then((loaded) => loaded.map((l) => l.policy));
      // A failed load is not cached: the next event tries again (the folder may be fixed by then).
      policies.catch(() => {
        if (cached?.policies === policies) cached = undefined;
      });
      cached = { atMs: now(), policies };
    }
    return cached.policies;
  };
  return policyListResolver(load, options.home);
}
