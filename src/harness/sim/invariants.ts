/**
 * Safety rules checked on every state the emulator reports during a simulation. The per-write
 * rules (who may take live traffic, mirror limits) reuse the controller's own checker from
 * src/plan/invariants.ts, so the simulator and the controller cannot disagree on what is safe;
 * deleting a deployment that still held traffic is checked here, across two observed states.
 */
import { checkTrafficChange } from '../../plan/invariants';
import type { ProvisioningState } from '../../ports/endpoint-control';

interface ObservedDeployment {
  readonly name: string;
  readonly provisioningState: string;
}

export interface ObservedState {
  readonly minute: number;
  readonly traffic: Readonly<Record<string, number>>;
  readonly mirror: Readonly<Record<string, number>>;
  readonly deployments: readonly ObservedDeployment[];
}

function splitChanged(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a[key] ?? 0) !== (b[key] ?? 0)) return true;
  return false;
}

/**
 * Returns the violations of `state`, given the state before it and the deployments known to have
 * passed their smoke test (the live deployment of the scenario always counts as passed).
 */
export function observedViolations(
  previous: ObservedState | undefined,
  state: ObservedState,
  context: { readonly baseline: string; readonly smokeTested: ReadonlySet<string> },
): string[] {
  const at = `minute ${state.minute.toFixed(2)}`;
  const violations: string[] = [];
  if (previous) {
    const names = new Set(state.deployments.map((d) => d.name));
    for (const gone of previous.deployments.filter((d) => !names.has(d.name))) {
      const live = previous.traffic[gone.name] ?? 0;
      const mirrored = previous.mirror[gone.name] ?? 0;
      if (live > 0 || mirrored > 0)
        violations.push(`${at}: deployment ${gone.name} was deleted while holding ${live}% live and ${mirrored}% mirrored traffic`);
    }
  }
  // Who holds traffic is judged when traffic changes: a deployment already holding traffic may
  // legitimately be updated in place (the recreate strategy accepts that downtime).
  if (!previous || splitChanged(previous.traffic, state.traffic) || splitChanged(previous.mirror, state.mirror)) {
    const facts = state.deployments.map((d) => ({
      name: d.name,
      provisioningState: d.provisioningState as ProvisioningState,
      smokeTestPassed: context.smokeTested.has(d.name),
    }));
    const change = {
      deployments: facts,
      traffic: state.traffic,
      mirror: state.mirror,
      baseline: context.baseline,
      ...(previous ? { currentTraffic: previous.traffic } : {}),
    };
    for (const violation of checkTrafficChange(change)) {
      violations.push(`${at}: ${violation}`);
    }
  }
  return violations;
}
