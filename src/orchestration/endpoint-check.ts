/**
 * What a gate check relies on, verified at every look (issue 10, defect 10): the deployments the
 * rollout compares exist, and the endpoint's live and mirrored traffic are what the rollout set.
 * Without this a bake whose deployment was deleted (an Azure reset, a portal click) would read "no
 * data" and extend, although there is nothing left to judge. Pure: the checkGates activity reads
 * the endpoint, this module says what is wrong and what the rollout does about it.
 */
import { formatSplit } from '../plan/describe';
import type { Split } from '../plan/types';
import type { StepResult } from './decider';

export interface ExpectedEndpoint {
  /** The deployments the gates compare (baseline and candidate; the candidate alone after promotion). */
  readonly deployments: readonly string[];
  readonly traffic: Split;
  readonly mirror: Split;
}

export interface ObservedEndpoint {
  /** False when the endpoint itself is gone (404). */
  readonly exists: boolean;
  readonly deployments: readonly string[];
  readonly traffic: Split;
  readonly mirror: Split;
}

/** Keys sorted and zeros dropped, so two splits compare by value (Azure lists every deployment, at 0 too). */
function canonical(split: Split): string {
  return formatSplit(Object.fromEntries(Object.entries(split).sort(([a], [b]) => a.localeCompare(b))));
}

/** Every way the endpoint differs from what the rollout relies on, in words; empty when it holds. */
export function endpointProblems(expected: ExpectedEndpoint, observed: ObservedEndpoint): string[] {
  if (!observed.exists) return ['the endpoint no longer exists'];
  const problems: string[] = [];
  const present = new Set(observed.deployments.map((d) => d.toLowerCase()));
  const missing = [...new Set(expected.deployments)].filter((d) => !present.has(d.toLowerCase()));
  if (missing.length > 0)
    problems.push(
      `deployment${missing.length > 1 ? 's' : ''} ${missing.map((d) => `'${d}'`).join(' and ')} no longer exist${missing.length > 1 ? '' : 's'}`,
    );
  if (canonical(expected.traffic) !== canonical(observed.traffic))
    problems.push(`live traffic is ${formatSplit(observed.traffic)}, the rollout set ${formatSplit(expected.traffic)}`);
  if (canonical(expected.mirror) !== canonical(observed.mirror))
    problems.push(`mirrored traffic is ${formatSplit(observed.mirror)}, the rollout set ${formatSplit(expected.mirror)}`);
  return problems;
}

/**
 * The decider's rule for a lost endpoint state: the step cannot be judged and waiting will not
 * bring the data back, so the rollout rolls back (the rollback restores the baseline's traffic and
 * removes what is left of the candidate) with the reason, instead of extending on no data.
 */
export function lostEndpointResult(endpoint: string, problems: readonly string[]): StepResult {
  return { kind: 'rollback', outcome: 'rolledBack', reason: `endpoint '${endpoint}' changed outside the rollout: ${problems.join('; ')}` };
}
