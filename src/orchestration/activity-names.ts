/**
 * Names of the rollout's activities and entity. The orchestrator calls them by these constants and
 * functions/rollout-activities.ts registers them under the same constants, so a typo cannot make
 * an orchestration wait forever for an activity that does not exist.
 */
export const ACTIVITY = {
  /** RolloutInput -> the policy's target endpoint and concurrency (before the endpoint lease). */
  resolveTarget: 'resolveTarget',
  planRollout: 'planRollout',
  getEndpointState: 'getEndpointState',
  createDeployment: 'createDeployment',
  replaceModel: 'replaceModel',
  deleteDeployment: 'deleteDeployment',
  setTraffic: 'setTraffic',
  smokeTest: 'smokeTest',
  checkGates: 'checkGates',
  decideWinner: 'decideWinner',
  writeModelVerdict: 'writeModelVerdict',
  sendNotification: 'sendNotification',
  /** Raises an abort on an older rollout of the same endpoint (needs a durableClient input). */
  requestSupersede: 'requestSupersede',
} as const;

export type ActivityName = (typeof ACTIVITY)[keyof typeof ACTIVITY];

/** The durable entity that serialises rollouts per endpoint (key: see endpointLeaseKey). */
export const ENDPOINT_LEASE_ENTITY = 'endpointLease';
