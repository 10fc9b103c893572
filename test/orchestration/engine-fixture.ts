/** A small canary plan and its rollout input, shared by the engine's table tests. */
import type { RolloutInput } from '../../src/orchestration/events';
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
