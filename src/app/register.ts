/**
 * Registers the rollout activities with durable-functions. Shared by functions/rollout-activities.ts
 * (real ports) and test apps (fake ports): only the source of the handlers differs.
 */
import * as df from 'durable-functions';
import type { ActivityHandler, RaiseEvent } from '../activities';
import { withCodedErrors } from '../activities';
import { ENDPOINT_LEASE_ENTITY, type ActivityName } from '../orchestration/activity-names';
import { ACTIVITY_CONTRACTS } from '../orchestration/activity-registry';
import { ORCHESTRATOR_NAME } from '../orchestration/events';
import { rolloutOrchestrator } from '../orchestration/rollout-orchestrator';
import {
  acquireLease,
  emptyLease,
  releaseLease,
  supersedeRequest,
  type LeaseRelease,
  type LeaseRequest,
  type LeaseState,
} from '../orchestration/endpoint-lease';

export function registerRolloutActivities(getHandlers: () => Record<ActivityName, ActivityHandler>): void {
  const clientInput = df.input.durableClient();
  for (const { name, needsDurableClient } of Object.values(ACTIVITY_CONTRACTS)) {
    const needsClient = needsDurableClient === true;
    df.app.activity(name, {
      ...(needsClient ? { extraInputs: [clientInput] } : {}),
      handler: async (input: unknown, context) => {
        const extras: { raiseEvent?: RaiseEvent } = {};
        if (needsClient) {
          const client = df.getClient(context);
          extras.raiseEvent = (instanceId, eventName, data) => client.raiseEvent(instanceId, eventName, data);
        }
        return withCodedErrors(getHandlers()[name])(input, extras);
      },
    });
  }
}

/** Registers the orchestrator and the per-endpoint lease entity. */
export function registerRolloutOrchestrator(): void {
  df.app.orchestration(ORCHESTRATOR_NAME, rolloutOrchestrator);
  df.app.entity<LeaseState>(ENDPOINT_LEASE_ENTITY, (context) => {
    const state = context.df.getState(() => emptyLease()) ?? emptyLease();
    const input: unknown = context.df.getInput<unknown>();
    switch (context.df.operationName) {
      case 'acquire': {
        const { state: next, answer } = acquireLease(state, input as LeaseRequest);
        context.df.setState(next);
        context.df.return(answer);
        break;
      }
      case 'release':
        context.df.setState(releaseLease(state, input as LeaseRelease));
        break;
      case 'check':
        context.df.return(supersedeRequest(state, (input as { rolloutId: string }).rolloutId));
        break;
      case 'get':
        context.df.return(state);
        break;
      default:
        throw new Error(`endpointLease: unknown operation '${context.df.operationName ?? ''}' (acquire, release, check, get)`);
    }
  });
}
