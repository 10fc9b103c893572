/**
 * The safety check the activities run before every traffic write and delete. It delegates to the
 * pure invariant checker of src/plan (one set of rules for the whole product); this file only
 * gathers the facts the checker needs from what Azure holds right now.
 */
import { InvariantViolationError } from '../errors';
import type { DeploymentState, EndpointState, TrafficSplit } from '../ports';
import { nonZero } from './traffic';

export interface TrafficChangeFacts {
  readonly deployments: readonly DeploymentState[];
  /** Deployments known to have passed a smoke test (the baseline counts: it serves today). */
  readonly smokeTestPassed: readonly string[];
}

/** Violations of a proposed traffic write (empty when safe). */
export function trafficViolations(traffic: TrafficSplit, mirror: TrafficSplit, facts: TrafficChangeFacts): string[] {
  const problems: string[] = [];
  const live = nonZero(traffic);
  const mirrored = nonZero(mirror);
  const values = Object.values(traffic);
  const sum = values.reduce((a, b) => a + b, 0);
  if (values.some((v) => !Number.isInteger(v) || v < 0 || v > 100)) problems.push(`traffic values must be integers 0..100 (got ${JSON.stringify(traffic)})`);
  if (!(sum === 100 || values.every((v) => v === 0))) problems.push(`traffic must sum to 100 or be all 0 (sums to ${sum})`);
  const byName = new Map(facts.deployments.map((d) => [d.name, d]));
  for (const name of Object.keys(live)) {
    const deployment = byName.get(name);
    if (!deployment) problems.push(`live traffic on unknown deployment '${name}'`);
    else if (deployment.provisioningState !== 'Succeeded') problems.push(`live traffic on deployment '${name}' in state ${deployment.provisioningState}`);
    if (!facts.smokeTestPassed.includes(name)) problems.push(`live traffic on deployment '${name}' that has not passed its smoke test`);
  }
  const mirrorNames = Object.keys(mirrored);
  if (mirrorNames.length > 1) problems.push(`mirror traffic on more than one deployment (${mirrorNames.join(', ')})`);
  for (const [name, value] of Object.entries(mirrored)) {
    if (value > 50) problems.push(`mirror traffic on '${name}' is ${value}%, at most 50 allowed`);
    if ((live[name] ?? 0) > 0) problems.push(`mirror traffic on '${name}', which also takes live traffic`);
    const deployment = byName.get(name);
    if (!deployment) problems.push(`mirror traffic on unknown deployment '${name}'`);
    else if (deployment.provisioningState !== 'Succeeded') problems.push(`mirror traffic on deployment '${name}' in state ${deployment.provisioningState}`);
  }
  return problems;
}

export function assertSafeTrafficChange(traffic: TrafficSplit, mirror: TrafficSplit, facts: TrafficChangeFacts): void {
  const problems = trafficViolations(traffic, mirror, facts);
  if (problems.length > 0) throw new InvariantViolationError(problems);
}

export function assertSafeDelete(deployment: string, endpoint: EndpointState): void {
  const problems: string[] = [];
  if ((endpoint.traffic[deployment] ?? 0) > 0) problems.push(`deployment '${deployment}' still takes ${endpoint.traffic[deployment]}% of live traffic`);
  if ((endpoint.mirrorTraffic[deployment] ?? 0) > 0) problems.push(`deployment '${deployment}' still receives ${endpoint.mirrorTraffic[deployment]}% mirrored traffic`);
  if (problems.length > 0) throw new InvariantViolationError(problems);
}
