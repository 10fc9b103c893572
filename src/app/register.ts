/**
 * Registers the rollout activities with durable-functions. Shared by functions/rollout-activities.ts
 * (real ports) and test apps (fake ports): only the source of the handlers differs.
 */
import * as df from 'durable-functions';
import type { ActivityHandler, RaiseEvent } from '../activities';
import { withCodedErrors } from '../activities';
import { ACTIVITY, type ActivityName } from '../orchestration/activity-names';

export function registerRolloutActivities(getHandlers: () => Record<ActivityName, ActivityHandler>): void {
  const clientInput = df.input.durableClient();
  for (const name of Object.values(ACTIVITY)) {
    const needsClient = name === ACTIVITY.requestSupersede;
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
