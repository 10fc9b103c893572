/**
 * The safety check the activities run before every traffic write and delete. The rules are the
 * pure invariant checker's (src/plan/invariants.ts, one set for the whole product); this file only
 * gathers the facts it needs from what Azure holds right now.
 */
import { assertDeletion, assertTrafficChange } from '../plan/invariants';
import type { DeploymentState, EndpointState, TrafficSplit } from '../ports';

export interface TrafficChangeFacts {
  readonly deployments: readonly DeploymentState[];
  /** Deployments known to have passed a smoke test in this rollout. */
  readonly smokeTestPassed: readonly string[];
  /** What the endpoint holds now: a deployment serving live traffic counts as tested (the baseline). */
  readonly currentTraffic: TrafficSplit;
}

export function assertSafeTrafficChange(traffic: TrafficSplit, mirror: TrafficSplit, facts: TrafficChangeFacts): void {
  const passed = new Set(facts.smokeTestPassed.map((n) => n.toLowerCase()));
  assertTrafficChange({
    deployments: facts.deployments.map((d) => ({
      name: d.name,
      provisioningState: d.provisioningState,
      smokeTestPassed: passed.has(d.name.toLowerCase()),
    })),
    traffic,
    mirror,
    currentTraffic: facts.currentTraffic,
  });
}

export function assertSafeDelete(deployment: string, endpoint: EndpointState): void {
  assertDeletion({ deployment, traffic: endpoint.traffic, mirror: endpoint.mirrorTraffic });
}
