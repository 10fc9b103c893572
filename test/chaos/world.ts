/**
 * The chaos world: two endpoints in the emulated workspace, each with a live deployment `blue` on
 * version 1 of its own model and its own policy, so runs mix rollouts of one endpoint (queue,
 * supersede) with rollouts of another. And the bound on a rollout's life that its policy implies.
 */
import { DEFAULT_ACTIVITY_RETRY } from '../../src/activities/retry';
import { DEMO_COORDS, type WorldSpec } from '../../src/harness/emulator';
import { DEFAULT_DURATIONS } from '../../src/harness/emulator/types';
import { FAILED_RETRY_WINDOW_MINUTES } from '../../src/orchestration/engine-state';
import { compilePlan } from '../../src/plan/compile';
import type { Plan, Step } from '../../src/plan/types';
import { parsePolicy } from '../../src/policy';
import type { EndpointKey } from './commands';

export const APPROVER = 'alice@contoso.com';
export const OPERATOR = 'ops@contoso.com';
export const STRANGER = 'mallory@example.com';
export const BASELINE_DEPLOYMENT = 'blue';
const REQUESTS_PER_MINUTE = 120;
/** Every run starts at the same virtual instant, so results do not depend on the day they run. */
export const CHAOS_EPOCH_MS = Date.UTC(2026, 0, 5, 9, 0, 0);

export interface ChaosEndpoint {
  readonly key: EndpointKey;
  readonly endpoint: string;
  readonly model: string;
  readonly policyName: string;
  readonly policyYaml: string;
}

function policyYaml(name: string, endpoint: string, model: string, body: string): string {
  return `name: ${name}
match:
  workspace: ${DEMO_COORDS.workspace}
  model: ${model}
target:
  endpoint: ${endpoint}
  deploymentName: "{model}-v{version}"
smokeTest:
  requests: 3
  maxFailures: 0
  payload: { data: [[1, 2, 3]] }
gates:
  health:
    checks:
      - { metric: errorRate5xx, max: 0.05, maxRatioToBaseline: 2, critical: true }
      - { metric: latencyP95, max: 800 }
    confidence: 0.95
    minRequestsPerDeployment: 20
    windowMinutes: 5
    checkIntervalMinutes: 5
    noData: { outcome: extend, maxExtensionMinutes: 10 }
    maxQueryErrors: 3
approvals:
  release:
    approvers: [${APPROVER}]
    timeoutMinutes: 30
    onTimeout: rollback
operators: [${OPERATOR}]
notifications: { channels: [], events: [rolloutStarted, gateFailed, approvalRequested, promoted, rolledBack, failed] }
ingestionDelayMinutes: 1
${body}`;
}

/**
 * Endpoint a: a canary with an approval before 100%, newer versions supersede. Endpoint b: a
 * blue-green switch after mirroring and approval, newer versions queue.
 */
export const CHAOS_ENDPOINTS: Readonly<Record<EndpointKey, ChaosEndpoint>> = {
  a: {
    key: 'a',
    endpoint: 'chaos-a',
    model: 'model-a',
    policyName: 'chaos-canary',
    policyYaml: policyYaml(
      'chaos-canary',
      'chaos-a',
      'model-a',
      `strategy:
  canary:
    steps:
      - { percent: 20, bakeMinutes: 10 }
      - { percent: 100, bakeMinutes: 5, approval: release }
retentionMinutes: 5
concurrency: supersede
`,
    ),
  },
  b: {
    key: 'b',
    endpoint: 'chaos-b',
    model: 'model-b',
    policyName: 'chaos-blue-green',
    policyYaml: policyYaml(
      'chaos-blue-green',
      'chaos-b',
      'model-b',
      `strategy:
  blueGreen:
    mirror: { percent: 20, minutes: 10 }
    approval: release
    rollbackWindowMinutes: 10
retentionMinutes: 5
concurrency: queue
`,
    ),
  },
};

export function endpointOfModel(model: string): ChaosEndpoint | undefined {
  return Object.values(CHAOS_ENDPOINTS).find((e) => e.model === model);
}

export function chaosWorld(): WorldSpec {
  const endpoints = Object.values(CHAOS_ENDPOINTS);
  return {
    ...DEMO_COORDS,
    models: endpoints.map((e) => ({ model: e.model, version: '1' })),
    endpoints: endpoints.map((e) => ({
      name: e.endpoint,
      deployments: [{ name: BASELINE_DEPLOYMENT, model: e.model, version: '1' }],
      traffic: { [BASELINE_DEPLOYMENT]: 100 },
      requestsPerMinute: REQUESTS_PER_MINUTE,
    })),
  };
}

/** The plan the app compiles for a version of this endpoint's model, on the endpoint as seeded. */
export function chaosPlan(endpoint: ChaosEndpoint, version: string): Plan {
  const policy = parsePolicy(endpoint.policyYaml, `${endpoint.policyName}.yaml`);
  const modelId = (v: string): string =>
    `/subscriptions/${DEMO_COORDS.subscriptionId}/resourceGroups/${DEMO_COORDS.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${DEMO_COORDS.workspace}/models/${endpoint.model}/versions/${v}`;
  return compilePlan(policy, {
    rolloutId: `chaos-${endpoint.key}-${version}`,
    model: { name: endpoint.model, version, id: modelId(version) },
    target: { subscriptionId: DEMO_COORDS.subscriptionId, resourceGroup: DEMO_COORDS.resourceGroup, workspace: DEMO_COORDS.workspace },
    baseline: { deployment: BASELINE_DEPLOYMENT, modelId: modelId('1') },
    existingDeployments: [{ name: BASELINE_DEPLOYMENT, modelId: modelId('1'), liveTrafficPercent: 100 }],
  });
}

/**
 * The longest one Azure step may take when every call fails as long as the retries allow: the
 * orchestrator's Durable retry (3 attempts, src/orchestration/rollout-orchestrator.ts) around the
 * activity's own retries (DEFAULT_ACTIVITY_RETRY), each attempt waiting out the longest emulated
 * operation (a deployment create) and the longest back-off.
 */
const DURABLE_ATTEMPTS = 3;
const LONGEST_OPERATION_MINUTES = DEFAULT_DURATIONS.deploymentCreateMs[1] / 60_000;
const AZURE_STEP_BOUND_MINUTES =
  DURABLE_ATTEMPTS * DEFAULT_ACTIVITY_RETRY.maxAttempts * (LONGEST_OPERATION_MINUTES + DEFAULT_ACTIVITY_RETRY.maxDelayMs / 60_000 + 1);

/**
 * How long waiting may take in one step, by the plan: bakes their duration plus the bounded
 * extension (the spec: no setting lets a rollout wait for data forever, so `extend` counts once
 * up to maxExtensionMinutes), approvals their timeout (onTimeout rollback in both policies), a
 * no-data approval its 60 minutes, cleanup its retention.
 */
function stepWaitMinutes(step: Step): number {
  switch (step.kind) {
    case 'bake':
      return (
        step.durationMinutes + step.maxExtensionMinutes + step.checkIntervalMinutes + (step.noDataOutcome === 'requestApproval' ? 60 : 0)
      );
    case 'gate':
      return step.maxExtensionMinutes + step.retryIntervalMinutes + (step.noDataOutcome === 'requestApproval' ? 60 : 0);
    case 'decideWinner':
      return step.maxWaitMinutes + step.checkIntervalMinutes;
    case 'approval':
      return step.timeoutMinutes;
    case 'cleanup':
      return step.afterMinutes;
    default:
      return 0;
  }
}

/**
 * The most a rollout may live once it holds its endpoint: every step (and the rollback) waits as
 * long as the plan lets it and takes the longest Azure retries, then, if it failed, it stays
 * Failed for the retry window (FAILED_RETRY_WINDOW_MINUTES) waking every 15 minutes to re-read
 * the lease. A failed rollback is retried automatically inside that window, so its last attempt may
 * start just before the window ends: the rollback's Azure bound counts once more. Pauses are added
 * by the checker (paused time does not count).
 */
export function rolloutBoundMinutes(plan: Plan): number {
  const rollback = plan.rollbackSteps ?? [{ kind: 'rollback' as const }];
  const steps = [...plan.steps, ...rollback];
  const waiting = steps.reduce((sum, step) => sum + stepWaitMinutes(step), 0);
  const azure = (steps.length + rollback.length) * AZURE_STEP_BOUND_MINUTES;
  return waiting + azure + FAILED_RETRY_WINDOW_MINUTES + 15;
}
