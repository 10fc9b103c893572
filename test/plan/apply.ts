/**
 * A tiny model of the endpoint for tests: applies a plan's steps in order, the way the engine
 * would, and runs the safety invariants before every traffic write and deletion.
 */
import { checkDeletion, checkTrafficChange, type DeploymentFacts } from '../../src/plan/invariants';
import type { Plan, Split, Step } from '../../src/plan/types';

export interface EndpointModel {
  deployments: Map<string, DeploymentFacts & { modelId: string }>;
  traffic: Record<string, number>;
  mirror: Record<string, number>;
}

export interface AppliedStep {
  readonly index: number;
  readonly step: Step;
  readonly violations: readonly string[];
  readonly traffic: Split;
  readonly mirror: Split;
}

function initialEndpoint(plan: Plan): EndpointModel {
  return {
    deployments: new Map([
      [
        plan.baseline.deployment,
        { name: plan.baseline.deployment, provisioningState: 'Succeeded', smokeTestPassed: false, modelId: plan.baseline.modelId },
      ],
    ]),
    traffic: { [plan.baseline.deployment]: 100 },
    mirror: {},
  };
}

function write(state: EndpointModel, baseline: string, traffic: Record<string, number>, mirror: Record<string, number>): string[] {
  const violations = checkTrafficChange({
    deployments: [...state.deployments.values()],
    traffic,
    mirror,
    currentTraffic: state.traffic,
    baseline,
  });
  if (violations.length === 0) {
    state.traffic = traffic;
    state.mirror = mirror;
  }
  return violations;
}

export function applyStep(state: EndpointModel, plan: Plan, step: Step): string[] {
  switch (step.kind) {
    case 'deploy':
      state.deployments.set(step.deployment, {
        name: step.deployment,
        provisioningState: 'Succeeded',
        smokeTestPassed: false,
        modelId: step.modelId,
      });
      return [];
    case 'replaceModel': {
      const d = state.deployments.get(step.deployment);
      if (!d) return [`replaceModel: no deployment ${step.deployment}`];
      state.deployments.set(step.deployment, { ...d, modelId: step.modelId, smokeTestPassed: false });
      return [];
    }
    case 'smokeTest': {
      const d = state.deployments.get(step.deployment);
      if (!d) return [`smokeTest: no deployment ${step.deployment}`];
      state.deployments.set(step.deployment, { ...d, smokeTestPassed: true });
      return [];
    }
    case 'mirror':
      return write(state, plan.baseline.deployment, { ...state.traffic }, step.percent === 0 ? {} : { [step.deployment]: step.percent });
    case 'setTraffic':
      return write(state, plan.baseline.deployment, { ...step.traffic }, { ...state.mirror });
    case 'promote':
      return write(
        state,
        plan.baseline.deployment,
        Object.fromEntries([...state.deployments.keys()].map((n) => [n, n === plan.candidate.deployment ? 100 : 0])),
        {},
      );
    case 'rollback':
      return write(
        state,
        plan.baseline.deployment,
        Object.fromEntries([...state.deployments.keys()].map((n) => [n, n === plan.baseline.deployment ? 100 : 0])),
        {},
      );
    case 'cleanup': {
      const violations = checkDeletion({ deployment: step.deployment, traffic: state.traffic, mirror: state.mirror });
      if (violations.length === 0) {
        state.deployments.delete(step.deployment);
        delete state.traffic[step.deployment];
      }
      return violations;
    }
    case 'bake':
    case 'gate':
    case 'decideWinner':
    case 'approval':
      return [];
  }
}

/** Applies every step; returns each step's violations and the split after it. */
export function applyPlan(plan: Plan, steps: readonly Step[] = plan.steps): { state: EndpointModel; applied: AppliedStep[] } {
  const state = initialEndpoint(plan);
  const applied = steps.map((step, index) => {
    const violations = applyStep(state, plan, step);
    return { index, step, violations, traffic: { ...state.traffic }, mirror: { ...state.mirror } };
  });
  return { state, applied };
}
