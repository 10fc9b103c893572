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
import { WORKSPACE_ID_PATTERN, type Policy } from './schema';

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

const SKIP_TAG = 'rollout';
const SKIP_TAG_VALUE = 'skip';
const POLICY_TAG = 'rollout-policy';

/** A subscription and resource group (where a workspace lives). */
export interface WorkspaceScope {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
}

export interface ModelFacts {
  /** The workspace name. */
  readonly workspace: string;
  /** Where the workspace lives (from the event's topic); needed to match a full workspace id. */
  readonly scope?: WorkspaceScope;
  /**
   * The subscription and resource group the app is configured with. A `match.workspace` that is a
   * bare name matches only there, so a same-named workspace elsewhere starts nothing. Absent
   * (tools that only preview a policy) = the name alone decides.
   */
  readonly home?: WorkspaceScope;
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

function sameScope(a: WorkspaceScope, b: WorkspaceScope): boolean {
  return (
    a.subscriptionId.toLowerCase() === b.subscriptionId.toLowerCase() && a.resourceGroup.toLowerCase() === b.resourceGroup.toLowerCase()
  );
}

/**
 * `match.workspace` against the model's workspace: a full id compares subscription, resource group
 * and name (each a glob); a bare name compares the name, in the app's own subscription and
 * resource group only (policies written before full ids keep working, and stay inside the scope
 * the app was deployed for).
 */
function workspaceMatches(policy: Policy, model: ModelFacts): boolean {
  const wanted = policy.match.workspace;
  if (wanted === undefined) return true;
  const full = WORKSPACE_ID_PATTERN.exec(wanted);
  if (full) {
    const [, subscription, resourceGroup, name] = full as unknown as [string, string, string, string];
    return (
      model.scope !== undefined &&
      globMatches(subscription, model.scope.subscriptionId) &&
      globMatches(resourceGroup, model.scope.resourceGroup) &&
      globMatches(name, model.workspace)
    );
  }
  if (!globMatches(wanted, model.workspace)) return false;
  return model.home === undefined || (model.scope !== undefined && sameScope(model.scope, model.home));
}

function describeWorkspace(model: ModelFacts): string {
  return model.scope
    ? `${model.workspace} (resource group ${model.scope.resourceGroup}, subscription ${model.scope.subscriptionId})`
    : model.workspace;
}

/** Does the policy's `match` select this model version? */
export function policyMatches(policy: Policy, model: ModelFacts): boolean {
  if (!workspaceMatches(policy, model)) return false;
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
      throw new PolicySelectionError(
        subject,
        `tag ${POLICY_TAG}=${wanted} names no loaded policy (loaded: ${policies.map((p) => p.name).join(', ') || 'none'})`,
      );
    }
    if (!workspaceMatches(policy, model)) {
      throw new PolicySelectionError(
        subject,
        `tag ${POLICY_TAG}=${wanted}: that policy only applies to workspaces "${policy.match.workspace ?? ''}", not "${describeWorkspace(model)}"`,
      );
    }
    return { kind: 'selected', policy, reason: `${subject} picks policy "${wanted}" by tag ${POLICY_TAG}` };
  }

  const matching = policies.filter((p) => policyMatches(p, model));
  if (matching.length === 0) {
    return { kind: 'unmatched', reason: `no policy matches ${subject} in workspace ${describeWorkspace(model)}` };
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
