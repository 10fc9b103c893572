/**
 * PolicyResolver over the policy repository (src/ports/policy-repository.ts): policies are matched
 * by src/policy's selectPolicy (opt-out tag, `rollout-policy` tag, match rules). How fresh they are
 * is the repository's one cache rule (docs/policy.md), not this module's.
 */
import { ValidationError } from '../errors';
import { selectPolicy, type Policy, type WorkspaceScope } from '../policy';
import type { PolicyRepository } from '../ports/policy-repository';
import type { PolicyAccess, PolicyResolver } from './ports';

function accessOf(policy: Policy): PolicyAccess {
  const approvers = [...new Set(Object.values(policy.approvals).flatMap((a) => a.approvers))];
  return { approvers, operators: [...policy.operators] };
}

/**
 * A resolver over the repository's policies. `home`: the subscription and resource group the app is
 * configured with (bare `match.workspace` names match only there).
 */
export function policyResolver(repository: Pick<PolicyRepository, 'listPolicies'>, home?: WorkspaceScope): PolicyResolver {
  return {
    async resolve(model, policyName) {
      const policies = await repository.listPolicies();
      if (policyName !== undefined) {
        const policy = policies.find((p) => p.name === policyName);
        if (!policy)
          throw new ValidationError(
            'policy',
            `no policy named "${policyName}" (known: ${policies.map((p) => p.name).join(', ') || 'none'})`,
          );
        return { kind: 'matched', policyName: policy.name, endpoint: policy.target.endpoint, access: accessOf(policy) };
      }
      const { subscriptionId, resourceGroup, workspace } = model.workspace;
      const selection = selectPolicy(policies, {
        workspace,
        scope: { subscriptionId, resourceGroup },
        ...(home ? { home } : {}),
        name: model.name,
        version: model.version,
        tags: model.tags,
      });
      if (selection.kind === 'skipped') return { kind: 'skipped', reason: selection.reason };
      if (selection.kind === 'unmatched') return { kind: 'noMatch', reason: selection.reason };
      return {
        kind: 'matched',
        policyName: selection.policy.name,
        endpoint: selection.policy.target.endpoint,
        access: accessOf(selection.policy),
      };
    },
    async getAccess(policyName) {
      const policy = (await repository.listPolicies()).find((p) => p.name === policyName);
      return policy ? accessOf(policy) : undefined;
    },
  };
}
