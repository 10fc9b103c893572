/**
 * A valid answer of each rollout activity, at once and always the same (gate queries and A/B
 * looks pass, with data): the engine's benchmark and its table tests drive the engine with these.
 */
import { ACTIVITY } from '../../orchestration/activity-names';
import type { Plan } from '../../plan/types';

const deployment = { name: 'green', provisioningState: 'Succeeded', modelId: 'm2', instanceType: 'x', instanceCount: 1 };
const smoke = { requests: 3, failures: 0, misrouted: 0, latencyP50Ms: 1, latencyMaxMs: 2, statusCodes: { '200': 3 } };

/** A valid answer of each rollout activity (gate queries and A/B looks pass, with data). */
export function activityAnswer(name: string, input: unknown, o: { plan: Plan; smokePasses?: boolean }): unknown {
  const given = input as { traffic?: Record<string, number>; mirror?: Record<string, number> };
  const smokePasses = o.smokePasses ?? true;
  switch (name) {
    case ACTIVITY.resolveTarget:
      return { target: o.plan.target, concurrency: 'queue' };
    case ACTIVITY.planRollout:
      return o.plan;
    case ACTIVITY.getEndpointState:
      return { traffic: { blue: 100 }, mirror: {}, provisioningState: 'Succeeded', deployments: [] };
    case ACTIVITY.createDeployment:
    case ACTIVITY.replaceModel:
      return { deployment };
    case ACTIVITY.smokeTest:
      return { ...smoke, passed: smokePasses, reason: smokePasses ? 'ok' : 'errors' };
    case ACTIVITY.setTraffic:
      return { traffic: given.traffic ?? {}, mirror: given.mirror ?? {} };
    case ACTIVITY.deleteDeployment:
      return { deleted: true };
    case ACTIVITY.writeModelVerdict:
      return { tags: {} };
    case ACTIVITY.sendNotification:
      return { sent: false };
    case ACTIVITY.requestSupersede:
      return { raised: true, detail: 'raised' };
    default:
      throw new Error(`[Internal] unexpected activity ${name}`);
  }
}
