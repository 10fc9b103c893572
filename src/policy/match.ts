/**
 * Which policy rolls out a newly registered model version.
 *
 * Order of precedence:
 *   1. tag `rollout: skip` on the model version: no rollout at all;
 *   2. tag `rollout-policy: <name>`: that policy, whatever its model/tag match says (its workspace
 *      glob still applies, so a tag cannot aim a dev model at a prod-only policy);
 *   3. otherwise every policy whose `match` selects the model; the highest `match.priority` wins,
 *      and a tie between several policies is an error (silently picking one would be a guess).
 */
import { ValidationError } from '../errors';
import { globMatches } from './glob';
import type { Policy } from './schema';

/**
 * The model version cannot be matched to one policy (its tag names an unknown or inapplicable
 * policy, or several policies tie). It is about this model version, not about the policy folder
 * being unreadable: redelivering the same event cannot help, so ingestion acknowledges it.
 */
export class PolicySelectionError extends ValidationError {
  constructor(subject: string, message: string) {
    super(subject, message, { code: 'InvalidPolicy' });
  }
}

export const SKIP_TAG = 'rollout';
export const SKIP_TAG_VALUE = 'skip';
export const POLICY_TAG = 'rollout-policy';

export interface ModelFacts {
  readonly workspace: string;
  readonly name: string;
  readonly version: string;
  readonly tags: Readonly<Record<string, string>>;
}

export type PolicySelection =
  | { readonly kind: 'selected'; readonly policy: Policy; readonly reason: string }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'unmatched'; readonly reason: string };

/** Tag lookup ignoring the key's case (Azure ML keeps tag keys as typed). */
function tagValue(tags: Readonly<Record<string, string>>, key: string): string | undefined {
  const found = Object.keys(tags).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : tags[found];
}

function workspaceMatches(policy: Policy, workspace: string): boolean {
  return policy.match.workspace === undefined || globMatches(policy.match.workspace, workspace);
}

/** Does the policy's `match` select this model version? */
export function policyMatches(policy: Policy, model: ModelFacts): boolean {
  if (!workspaceMatches(policy, model.workspace)) return false;
  if (!globMatches(policy.match.model, model.name)) return false;
  return Object.entries(policy.match.tags).every(([key, pattern]) => {
    const value = tagValue(model.tags, key);
    return value !== undefined && globMatches(pattern, value);
  });
}

/**
 * Picks the policy for a model version. Throws PolicySelectionError (code InvalidPolicy) when the
 * model names an unknown or inapplicable policy, or when several policies tie.
 */
export function selectPolicy(policies: readonly Policy[], model: ModelFacts): PolicySelection {
  const subject = `model ${model.name}:${model.version}`;
  const skip = tagValue(model.tags, SKIP_TAG);
  if (skip !== undefined && skip.trim().toLowerCase() === SKIP_TAG_VALUE) {
    return { kind: 'skipped', reason: `${subject} has tag ${SKIP_TAG}=${SKIP_TAG_VALUE}` };
  }

  const wanted = tagValue(model.tags, POLICY_TAG)?.trim();
  if (wanted) {
    const policy = policies.find((p) => p.name === wanted);
    if (!policy) {
      throw new PolicySelectionError(subject, `tag ${POLICY_TAG}=${wanted} names no loaded policy (loaded: ${policies.map((p) => p.name).join(', ') || 'none'})`);
    }
    if (!workspaceMatches(policy, model.workspace)) {
      throw new PolicySelectionError(subject, `tag ${POLICY_TAG}=${wanted}: that policy only applies to workspaces "${policy.match.workspace ?? ''}", not "${model.workspace}"`);
    }
    return { kind: 'selected', policy, reason: `${subject} picks policy "${wanted}" by tag ${POLICY_TAG}` };
  }

  const matching = policies.filter((p) => policyMatches(p, model));
  if (matching.length === 0) {
    return { kind: 'unmatched', reason: `no policy matches ${subject} in workspace ${model.workspace}` };
  }
  const top = Math.max(...matching.map((p) => p.match.priority));
  const best = matching.filter((p) => p.match.priority === top);
  const [first, ...rest] = best;
  if (!first) throw new Error('unreachable: no best policy');
  if (rest.length > 0) {
    throw new PolicySelectionError(
      subject,
      `policies ${best.map((p) => `"${p.name}"`).join(', ')} all match with priority ${top}; raise one's match.priority or tag the model ${POLICY_TAG}=<name>`,
    );
  }
  return { kind: 'selected', policy: first, reason: `${subject} matches policy "${first.name}" (model glob "${first.match.model}")` };
}
