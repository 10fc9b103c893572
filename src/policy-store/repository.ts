/**
 * The one PolicyRepository over a policy folder, with the one cache rule:
 *
 *   the folder is read at most once per POLICY_CACHE_MAX_AGE_MS (30 s); a read older than that
 *   reads it again, and a failed read is not cached (the next caller tries again).
 *
 * So an edit (or a redeployment) reaches every reader within 30 s, without a restart, while a burst
 * of duplicate Event Grid deliveries reads the folder once. A rollout reads its policy exactly once,
 * when planRollout compiles the plan: the plan carries everything the rollout needs afterwards
 * (steps, gates, approvers, operators, notification channels and kinds), so an edit never changes
 * a rollout already planned.
 *
 * The cache age is measured on the real clock (`now`, injectable for tests), not on rollout time.
 */
import { resolve } from 'node:path';
import { RolloutError } from '../errors';
import type { Policy } from '../policy';
import type { PolicyRepository } from '../ports/policy-repository';
import { loadPolicies } from './index';

export const POLICY_CACHE_MAX_AGE_MS = 30_000;

export interface PolicyFolderRepositoryOptions {
  readonly maxAgeMs?: number;
  /** Time source for the cache age (not rollout time). */
  readonly now?: () => number;
}

export function createPolicyFolderRepository(folder: string, options: PolicyFolderRepositoryOptions = {}): PolicyRepository {
  const maxAgeMs = options.maxAgeMs ?? POLICY_CACHE_MAX_AGE_MS;
  const now = options.now ?? (() => Date.now());
  let cached: { readonly atMs: number; readonly policies: Promise<readonly Policy[]> } | undefined;

  const listPolicies = (): Promise<readonly Policy[]> => {
    if (!cached || now() - cached.atMs > maxAgeMs) {
      const policies = loadPolicies(folder).then((loaded) => loaded.map((l) => l.policy));
      // A failed read is not cached: the next caller reads again (the folder may be fixed by then).
      policies.catch(() => {
        if (cached?.policies === policies) cached = undefined;
      });
      cached = { atMs: now(), policies };
    }
    return cached.policies;
  };

  return {
    listPolicies,
    async getPolicy(name) {
      const policies = await listPolicies();
      const found = policies.find((p) => p.name === name);
      if (!found)
        throw new RolloutError(
          'NotFound',
          `no policy named '${name}' in ${resolve(folder)} (known: ${policies.map((p) => p.name).join(', ') || 'none'})`,
        );
      return found;
    },
  };
}

const repositories = new Map<string, PolicyRepository>();

/** The process' repository for a folder: every reader in one process shares one cache. */
export function policyRepositoryFor(folder: string): PolicyRepository {
  const key = resolve(folder);
  let repository = repositories.get(key);
  if (!repository) {
    repository = createPolicyFolderRepository(folder);
    repositories.set(key, repository);
  }
  return repository;
}
