/**
 * The activity factory: every rollout activity, built over the ports. Each handler validates its
 * input against the contract (src/orchestration/activity-contracts.ts), does its work, and
 * validates what it returns, so both sides of the boundary agree or fail naming the field.
 *
 * Errors are thrown, typed (RolloutError with code and retryable); activityFailureMessage() puts
 * the code in the message so the orchestrator, which only sees the text, can tell them apart.
 */
import { RolloutError } from '../errors';
import { CONTROL_EVENT, type ControlEvent } from '../orchestration/events';
import { ACTIVITY, type ActivityName } from '../orchestration/activity-names';
import * as contract from '../orchestration/activity-contracts';
import { activityContract, type ActivityContract, type ActivityInput, type ActivityOutput } from '../orchestration/activity-registry';
import type {
  Clock,
  DeploymentMetricsSource,
  EndpointControl,
  EndpointPrices,
  MetricsSource,
  ModelRegistry,
  Notifier,
  PlatformMetricsSource,
} from '../ports';
import { checkGates, decideWinner } from './check-gates';
import { createActivityContext, type ActivityContext } from './context';
import { createDeployment, deleteDeployment, getEndpointState, replaceModel, setTraffic } from './deployments';
import { writeModelVerdict } from './model-verdict';
import { sendNotification, type NotificationSender } from './notification';
import { planRollout, resolveTarget, type PolicySource } from './plan-rollout';
import type { ActivityRetryPolicy } from './retry';
import { smokeTest } from './smoke-test';

export interface ActivityDeps {
  readonly endpointControl: EndpointControl;
  readonly metricsSource: MetricsSource;
  readonly modelRegistry: ModelRegistry;
  readonly notifier: Notifier;
  /** Platform metrics and prices: the resource and cost checks (absent: gates with them report an error). */
  readonly platformMetrics?: PlatformMetricsSource & DeploymentMetricsSource;
  readonly prices?: EndpointPrices;
  readonly policyStore: PolicySource;
  readonly clock: Clock;
  /** The channel sender (src/notify); absent = src/notify's message, without links, through `notifier`. */
  readonly sendNotification?: NotificationSender;
  readonly retryPolicy?: ActivityRetryPolicy;
}

/** Raises an external event on another orchestration (a DurableClient, bound at registration). */
export type RaiseEvent = (instanceId: string, eventName: string, data: unknown) => Promise<void>;

export type ActivityHandler = (input: unknown, extras?: { raiseEvent?: RaiseEvent }) => Promise<unknown>;

/**
 * One activity's implementation behind its registry entry (src/orchestration/activity-registry.ts):
 * the input is parsed with the entry's input schema, the result with its output schema.
 */
function implement<N extends ActivityName>(
  name: N,
  run: (value: ActivityInput<N>, extras: { raiseEvent?: RaiseEvent }) => Promise<ActivityOutput<N>>,
): ActivityHandler {
  const entry = activityContract(name) as ActivityContract<ActivityInput<N>, ActivityOutput<N>>;
  return async (raw, extras = {}) => {
    const value = contract.parseContract(entry.input, raw, `${name} input`);
    const result = await run(value, extras);
    return contract.parseContract(entry.output, result, `${name} output`);
  };
}

/** The implementation half of the activity registry: one handler per contract (the type requires every name). */
export function createActivities(deps: ActivityDeps): Record<ActivityName, ActivityHandler> {
  const ctx: ActivityContext = createActivityContext(deps);
  return {
    [ACTIVITY.resolveTarget]: implement(ACTIVITY.resolveTarget, (input) => resolveTarget(deps.policyStore, input)),
    [ACTIVITY.planRollout]: implement(ACTIVITY.planRollout, (input) => planRollout(ctx, deps.policyStore, input)),
    [ACTIVITY.getEndpointState]: implement(ACTIVITY.getEndpointState, (input) => getEndpointState(ctx, input.target)),
    [ACTIVITY.createDeployment]: implement(ACTIVITY.createDeployment, (input) => createDeployment(ctx, input)),
    [ACTIVITY.replaceModel]: implement(ACTIVITY.replaceModel, (input) => replaceModel(ctx, input)),
    [ACTIVITY.deleteDeployment]: implement(ACTIVITY.deleteDeployment, (input) => deleteDeployment(ctx, input)),
    [ACTIVITY.setTraffic]: implement(ACTIVITY.setTraffic, (input) => setTraffic(ctx, input)),
    [ACTIVITY.smokeTest]: implement(ACTIVITY.smokeTest, (input) => smokeTest(ctx, input)),
    [ACTIVITY.checkGates]: implement(ACTIVITY.checkGates, (input) => checkGates(ctx, input)),
    [ACTIVITY.decideWinner]: implement(ACTIVITY.decideWinner, (input) => decideWinner(ctx, input)),
    [ACTIVITY.writeModelVerdict]: implement(ACTIVITY.writeModelVerdict, (input) => writeModelVerdict(ctx, input)),
    [ACTIVITY.sendNotification]: implement(ACTIVITY.sendNotification, (input) => sendNotification(ctx, input, deps.sendNotification)),
    [ACTIVITY.requestSupersede]: implement(ACTIVITY.requestSupersede, async (input, extras) => {
      if (!extras.raiseEvent)
        throw new RolloutError('Internal', 'requestSupersede needs a durable client (register it with a durableClient input)');
      const event: ControlEvent = { action: 'abort', by: input.by, comment: input.reason, atMs: input.atMs };
      try {
        await extras.raiseEvent(input.instanceId, CONTROL_EVENT, event);
        return { raised: true, detail: `abort raised on '${input.instanceId}'` };
      } catch (error) {
        // The older rollout may have ended meanwhile (410 Gone / 404): nothing left to abort.
        const message = error instanceof Error ? error.message : String(error);
        if (/\b(404|410)\b|not found|gone|completed|terminated/i.test(message))
          return { raised: false, detail: `'${input.instanceId}' is not running: ${message}` };
        throw error;
      }
    }),
  };
}

/**
 * The text an activity failure carries to the orchestrator: `[Code] message`. The durable
 * library passes only the message across, so the code rides in it.
 */
export function activityFailureMessage(error: unknown): string {
  if (error instanceof RolloutError) return `[${error.code}] ${error.message}`;
  if (error instanceof Error) return `[Internal] ${error.message}`;
  return `[Internal] ${String(error)}`;
}

/** Wraps a handler so a thrown error reaches the orchestrator with its code in the message. */
export function withCodedErrors(run: ActivityHandler): ActivityHandler {
  return async (input, extras) => {
    try {
      return await run(input, extras);
    } catch (error) {
      const wrapped = new Error(activityFailureMessage(error), { cause: error });
      wrapped.name = error instanceof Error ? error.name : 'Error';
      throw wrapped;
    }
  };
}
