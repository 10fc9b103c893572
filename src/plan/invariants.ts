/**
 * Safety invariants, checked before every traffic write and every deletion. Pure: the caller
 * passes what it knows about the deployments; the functions return every violation (empty = safe),
 * and the assert* helpers throw InvariantViolationError so an unsafe write never reaches Azure.
 *
 * Rules (docs/policy.md, "Safety rules"):
 *   1. live traffic: whole percents 0..100 that sum to 100, or are all 0;
 *   2. live traffic only on deployments that are Succeeded and passed their smoke test (the rollout's
 *      baseline, and any deployment already serving live traffic, count as passed);
 *   3. mirror traffic on one deployment at most, whole percents 1..50, on a Succeeded deployment
 *      that takes no live traffic;
 *   4. every named deployment exists;
 *   5. a deployment holding live or mirrored traffic is never deleted.
 */
import { InvariantViolationError } from '../errors';
import type { ProvisioningState } from '../ports/endpoint-control';
import type { Split } from './types';

import { MAX_MIRROR_PERCENT } from '../policy/schema';

export interface DeploymentFacts {
  readonly name: string;
  readonly provisioningState: ProvisioningState;
  /** Passed the rollout's smoke test (direct requests). */
  readonly smokeTestPassed: boolean;
}

export interface TrafficChange {
  readonly deployments: readonly DeploymentFacts[];
  /** The live split to write. */
  readonly traffic: Split;
  /** The mirror split to write ({} = no mirroring). */
  readonly mirror: Split;
  /** The live split Azure holds now: deployments serving live traffic count as smoke-tested. */
  readonly currentTraffic?: Split;
  /**
   * The deployment that served live traffic when the rollout started: it counts as smoke-tested
   * (rolling back to it after promotion must be allowed even though it now holds 0%).
   */
  readonly baseline?: string;
}

export interface Deletion {
  /** The deployment to delete. */
  readonly deployment: string;
  /** What Azure holds now. */
  readonly traffic: Split;
  readonly mirror: Split;
}

function findDeployment(deployments: readonly DeploymentFacts[], name: string): DeploymentFacts | undefined {
  const key = name.toLowerCase();
  return deployments.find((d) => d.name.toLowerCase() === key);
}

function share(split: Split, name: string): number {
  const key = name.toLowerCase();
  let total = 0;
  for (const [n, v] of Object.entries(split)) if (n.toLowerCase() === key) total += v;
  return total;
}

function isPercent(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

export function checkTrafficChange(change: TrafficChange): string[] {
  const violations: string[] = [];
  const live = Object.entries(change.traffic);
  const mirror = Object.entries(change.mirror);

  // 1. live split shape
  for (const [name, value] of live) {
    if (!isPercent(value, 100)) violations.push(`traffic for "${name}" must be a whole percent 0..100, got ${value}`);
  }
  const sum = live.reduce((acc, [, v]) => acc + v, 0);
  if (live.some(([, v]) => v !== 0) && sum !== 100) {
    violations.push(`live traffic must sum to 100 (or be all 0), got ${sum} (${live.map(([n, v]) => `${n}=${v}`).join(', ')})`);
  }

  // 4 + 2. existence and readiness of live targets
  for (const [name, value] of live) {
    const d = findDeployment(change.deployments, name);
    if (!d) {
      violations.push(`traffic names deployment "${name}", which does not exist`);
      continue;
    }
    if (value <= 0) continue;
    if (d.provisioningState !== 'Succeeded') {
      violations.push(`live traffic (${value}%) on "${name}", which is ${d.provisioningState}, not Succeeded`);
    }
    const alreadyLive = change.currentTraffic !== undefined && share(change.currentTraffic, name) > 0;
    const isBaseline = change.baseline !== undefined && change.baseline.toLowerCase() === name.toLowerCase();
    if (!d.smokeTestPassed && !alreadyLive && !isBaseline) {
      violations.push(`live traffic (${value}%) on "${name}", which has not passed its smoke test`);
    }
  }

  // 3. mirror rules
  const mirrored = mirror.filter(([, v]) => v !== 0);
  if (mirrored.length > 1) {
    violations.push(`mirror traffic may go to one deployment only, got ${mirrored.map(([n, v]) => `${n}=${v}`).join(', ')}`);
  }
  for (const [name, value] of mirror) {
    if (!isPercent(value, MAX_MIRROR_PERCENT)) {
      violations.push(`mirror traffic for "${name}" must be a whole percent 0..${MAX_MIRROR_PERCENT} (Azure's limit), got ${value}`);
    }
    const d = findDeployment(change.deployments, name);
    if (!d) {
      violations.push(`mirror names deployment "${name}", which does not exist`);
      continue;
    }
    if (value <= 0) continue;
    if (d.provisioningState !== 'Succeeded')
      violations.push(`mirror traffic (${value}%) on "${name}", which is ${d.provisioningState}, not Succeeded`);
    const liveShare = share(change.traffic, name);
    if (liveShare > 0)
      violations.push(`"${name}" would take live (${liveShare}%) and mirrored (${value}%) traffic; Azure allows one or the other`);
  }
  return violations;
}

export function checkDeletion(deletion: Deletion): string[] {
  const violations: string[] = [];
  const name = deletion.deployment;
  // A missing deployment is not a violation: deletes are idempotent (absent = done).
  const live = share(deletion.traffic, name);
  if (live > 0) violations.push(`cannot delete "${name}": it holds ${live}% of live traffic`);
  const mirrored = share(deletion.mirror, name);
  if (mirrored > 0) violations.push(`cannot delete "${name}": it receives ${mirrored}% mirrored traffic`);
  return violations;
}

/** Throws InvariantViolationError listing every violation. */
export function assertTrafficChange(change: TrafficChange): void {
  const violations = checkTrafficChange(change);
  if (violations.length > 0) throw new InvariantViolationError(violations);
}

export function assertDeletion(deletion: Deletion): void {
  const violations = checkDeletion(deletion);
  if (violations.length > 0) throw new InvariantViolationError(violations);
}
