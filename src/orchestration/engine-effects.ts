/**
 * The engine's effects that every machine shares: carrying out the decider's commands (apply),
 * notifications, writing the traffic split, and what an outcome writes (the verdict).
 */
import { agreementHeadline } from '../analysis/describe';
import type { GateResult } from '../analysis/types';
import type { Outcome } from '../plan/types';
import { formatTraffic } from '../plan/describe';
import { ACTIVITY } from './activity-names';
import type * as contract from './activity-contracts';
import { decide, type DeciderInput, type Happened } from './decider';
import type { EngineState } from './engine-state';
import { endpointLeaseKey } from './endpoint-lease';
import { failureOf, type EngineIo, type Frame, type Program } from './engine-io';

type NotificationKind = contract.SendNotificationInput['kind'];
interface NotificationExtra {
  gate?: GateResult;
  approval?: contract.SendNotificationInput['approval'];
  cleanup?: contract.SendNotificationInput['cleanup'];
}

export interface NotifyFrame extends Frame {
  readonly machine: 'notify';
  readonly kind: NotificationKind;
  readonly extra: NotificationExtra;
}
export const notifyFrame = (kind: NotificationKind, extra: NotificationExtra = {}): NotifyFrame => ({
  machine: 'notify',
  at: 'start',
  kind,
  extra,
});

export interface WriteTrafficFrame extends Frame {
  readonly machine: 'writeTraffic';
  readonly traffic: Record<string, number>;
  readonly mirror: Record<string, number>;
}
export const writeTrafficFrame = (traffic: Record<string, number>, mirror: Record<string, number>): WriteTrafficFrame => ({
  machine: 'writeTraffic',
  at: 'start',
  traffic,
  mirror,
});

export interface ResolveFrame extends Frame {
  readonly machine: 'resolveUnit';
}
export const resolveFrame = (): ResolveFrame => ({ machine: 'resolveUnit', at: 'start' });

export interface ApplyFrame extends Frame {
  readonly machine: 'apply';
  readonly happened: Happened;
}
export const applyFrame = (happened: Happened): ApplyFrame => ({ machine: 'apply', at: 'start', happened });

export function* notify(
  io: EngineIo,
  state: EngineState,
  kind: contract.SendNotificationInput['kind'],
  extra: {
    gate?: GateResult;
    approval?: contract.SendNotificationInput['approval'];
    cleanup?: contract.SendNotificationInput['cleanup'];
  } = {},
): Program<void> {
  const wanted = state.plan.notifications.on;
  // An empty `on` list means every kind; failures are logged by the activity, never fatal.
  if (wanted.length > 0 && !wanted.includes(kind)) return;
  try {
    // The plan's channels and kinds go along: the sender never re-reads the policy mid-rollout.
    yield* io.callUnread(ACTIVITY.sendNotification, {
      kind,
      status: state.status,
      notifications: state.plan.notifications,
      ...extra,
    } satisfies contract.SendNotificationInput);
  } catch (error) {
    yield* io.note(state, `notification ${kind} failed: ${failureOf(error).message}`);
  }
}

/** The deployments known to have passed a smoke test (the baseline serves today, so it counts). */
export function trafficFacts(state: EngineState): contract.TrafficFacts {
  return { smokeTestPassed: [state.plan.baseline.deployment, ...state.facts.smokePassed] };
}

export function* writeTraffic(
  io: EngineIo,
  state: EngineState,
  traffic: Record<string, number>,
  mirror: Record<string, number>,
): Program<void> {
  const result = yield* io.call(ACTIVITY.setTraffic, { target: state.plan.target, traffic, mirror, facts: trafficFacts(state) });
  state.status.traffic = result.traffic;
  state.status.mirror = result.mirror;
  yield* io.note(state, `traffic set: ${formatTraffic(result.traffic, result.mirror)}`, result.traffic, result.mirror);
}

/** The effects of an outcome the decider reached: the verdict on the model version, the notification. */
function* finishEffects(io: EngineIo, state: EngineState, outcome: Outcome, reason: string): Program<void> {
  yield* io.log(`${outcome}: ${reason}`);
  yield* io.publish(state);
  try {
    const t = state.plan.target;
    yield* io.callWithRetry(ACTIVITY.writeModelVerdict, {
      model: {
        subscriptionId: t.subscriptionId,
        resourceGroup: t.resourceGroup,
        workspace: t.workspace,
        model: state.plan.model.name,
        version: state.plan.model.version,
      },
      rolloutId: state.plan.rolloutId,
      outcome,
      reason,
      atMs: io.now(),
      // Cost hook: the plan's estimate of the rollout's own extra cost (src/plan/rollout-cost.ts).
      ...(state.plan.rolloutCost === undefined ? {} : { rolloutCost: state.plan.rolloutCost.summary }),
      ...(state.status.predictionAgreement ? { predictionAgreement: agreementHeadline(state.status.predictionAgreement) } : {}),
    });
    state.facts.verdictWritten = true;
  } catch (error) {
    yield* io.note(state, `could not write the verdict onto the model version: ${failureOf(error).message}`);
  }
  yield* notify(io, state, outcome === 'promoted' ? 'promoted' : outcome === 'failed' ? 'failed' : 'rolledBack');
  yield* io.publish(state);
}

/** First: which endpoint this rollout needs (the lease key) and its concurrency rule. */
export function* resolveUnit(io: EngineIo, state: EngineState): Program<void> {
  let resolved: contract.ResolveTargetOutput;
  try {
    resolved = yield* io.call(ACTIVITY.resolveTarget, state.input);
  } catch (error) {
    yield* apply(io, state, { kind: 'resolveFailed', reason: failureOf(error).message });
    return;
  }
  yield* apply(io, state, { kind: 'resolved', target: resolved.target, concurrency: resolved.concurrency });
}

/**
 * The engine's one entry into the decider: the decided state replaces the current one, and the
 * decider's commands that need the outside world run here.
 */
export function* apply(io: EngineIo, state: EngineState, happened: Happened): Program<void> {
  const decision = decide(state, { ...happened, atMs: io.now() } as DeciderInput);
  Object.assign(state, decision.state);
  for (const command of decision.commands) {
    switch (command.kind) {
      case 'finish':
        yield* finishEffects(io, state, command.outcome, command.reason);
        break;
      case 'releaseLease':
        // Tells the endpoint's lease that this rollout is done with it (holder or queued).
        yield* io.signalRelease(endpointLeaseKey(state.plan.target), {
          rolloutId: state.plan.rolloutId,
          outcome: state.status.outcome,
          model: state.plan.model.name,
          version: state.plan.model.version,
        });
        break;
      case 'resolve':
        yield* resolveUnit(io, state);
        break;
      case 'notify':
        yield* notify(io, state, command.notification, { cleanup: { deployment: command.deployment } });
        break;
    }
  }
}
