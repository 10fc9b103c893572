/** A small canary plan and its rollout input, shared by the engine's table tests. */
import type { RolloutInput } from '../../src/orchestration/events';
import { emptyProgress, initialStatus, type EngineState } from '../../src/orchestration/engine-state';
import type { InstanceSummary } from '../../src/ingest/ports';
import type { Plan, RolloutStatus, Step } from '../../src/plan/types';

export const testInput: RolloutInput = {
  rolloutId: 'r1',
  source: 'manual',
  workspace: { subscriptionId: 's', resourceGroup: 'g', workspace: 'w' },
  model: { name: 'm', version: '2', tags: {}, properties: {} },
  policyName: 'p',
  receivedAtMs: 0,
};

/** deploy, smoke test, 10%, promote, cleanup: in Deploying, SmokeTesting, Progressing, Promoting, Promoting. */
export const testSteps: readonly Step[] = [
  { kind: 'deploy', deployment: 'green', cloneFrom: 'blue', modelId: 'm2' },
  { kind: 'smokeTest', deployment: 'green', requests: 3, maxFailures: 0, payload: {} },
  { kind: 'setTraffic', traffic: { blue: 90, green: 10 } },
  { kind: 'promote' },
  { kind: 'cleanup', deployment: 'blue', afterMinutes: 60 },
];

export function testPlan(over: Partial<Plan> = {}): Plan {
  return {
    rolloutId: 'r1',
    policyName: 'p',
    strategy: 'canary',
    target: { subscriptionId: 's', resourceGroup: 'g', workspace: 'w', endpoint: 'e' },
    model: { name: 'm', version: '2', id: 'm2' },
    baseline: { deployment: 'blue', modelId: 'm1' },
    candidate: { deployment: 'green' },
    steps: testSteps,
    gates: {},
    notifications: { channels: [], on: [] },
    operators: [],
    approvers: [],
    concurrency: 'queue',
    ...over,
  };
}

/** The state a rollout continues with after its lease execution: planned, still Pending, nothing deployed. */
export function plannedState(plan: Plan = testPlan()): EngineState {
  return {
    version: 1,
    plan,
    mode: 'forward',
    stepIndex: 0,
    progress: emptyProgress(),
    facts: { candidateCreated: false, modelReplaced: false, smokePassed: [], promoted: false, verdictWritten: false },
    status: { ...initialStatus(testInput, 0), endpoint: 'e', phase: 'Pending' },
    leaseHeld: true,
    input: testInput,
    executions: 1,
    carriedApprovals: [],
  };
}

export { activityAnswer } from '../../src/harness/bench/activity-answers';

/** The running orchestration instance the API sees for a status (checkControlFits' input). */
export const runningInstance = (status: RolloutStatus): InstanceSummary => ({
  instanceId: 'r1',
  name: 'rolloutOrchestrator',
  runtimeStatus: 'Running',
  createdTimeMs: 0,
  lastUpdatedTimeMs: 0,
  input: {},
  customStatus: status,
  output: null,
});

/**
 * A canary with every kind of wait (advance-table.test.ts): deploy, smoke test, 10%, a bake, an
 * approval, promote, cleanup. Step i runs in phase [Deploying, SmokeTesting, Progressing, Baking,
 * AwaitingApproval, Promoting, Promoting][i]. Only alice may control it, only bob may approve.
 */
export const waitingSteps: readonly Step[] = [
  { kind: 'deploy', deployment: 'green', cloneFrom: 'blue', modelId: 'm2' },
  { kind: 'smokeTest', deployment: 'green', requests: 3, maxFailures: 0, payload: {} },
  { kind: 'setTraffic', traffic: { blue: 90, green: 10 } },
  {
    kind: 'bake',
    durationMinutes: 30,
    checkIntervalMinutes: 10,
    gates: ['errors'],
    minRequests: 0,
    maxExtensionMinutes: 0,
    noDataOutcome: 'rollback',
  },
  { kind: 'approval', name: 'go', timeoutMinutes: 60, onTimeout: 'rollback', reminderIntervalMinutes: 30, approvers: ['bob@x.com'] },
  { kind: 'promote' },
  { kind: 'cleanup', deployment: 'blue', afterMinutes: 60 },
];

export const waitingPlan = (over: Partial<Plan> = {}): Plan =>
  testPlan({ steps: waitingSteps, operators: ['alice@x.com'], approvers: ['bob@x.com'], ...over });

/**
 * The state of a rollout of `plan` that has run up to step `stepIndex` (started at `startedAtMs`)
 * and now is in `phase`: what the steps before it did is in the facts and the live split.
 */
export function stateAtStep(plan: Plan, stepIndex: number, phase: RolloutStatus['phase'], startedAtMs: number): EngineState {
  const state = plannedState(plan);
  const before = plan.steps.slice(0, stepIndex);
  state.stepIndex = stepIndex;
  state.status.phase = phase;
  state.progress.startedAtMs = startedAtMs;
  state.facts.candidateCreated = stepIndex > 0;
  state.facts.smokePassed = before.some((s) => s.kind === 'smokeTest') ? [plan.candidate.deployment] : [];
  state.facts.promoted = before.some((s) => s.kind === 'promote');
  state.status.traffic = state.facts.promoted
    ? { [plan.candidate.deployment]: 100 }
    : before.some((s) => s.kind === 'setTraffic')
      ? { blue: 90, green: 10 }
      : { blue: 100 };
  return state;
}
