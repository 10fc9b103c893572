/**
 * The engine's effects that every machine shares: carrying out the decider's commands (apply),
 * notifications, writing the traffic split, and what an outcome writes (the verdict).
 */
import { agreementHeadline } from '../analysis/describe';
import type { GateResult } from '../analysis/types';
import type { Outcome, Step } from '../plan/types';
import { formatTraffic } from '../plan/describe';
import { ACTIVITY } from './activity-names';
import type * as contract from './activity-contracts';
import { decide, type Command, type DeciderInput, type Happened } from './decider';
import type { EngineState } from './engine-state';
import { endpointLeaseKey } from './endpoint-lease';
import {
  answerOf,
  ask,
  call,
  callActivity,
  done,
  failureOf,
  note,
  outputOf,
  publish,
  returnedOf,
  unreadOf,
  type AskCommand,
  type Frame,
  type Machine,
  type MachineContext,
  type Next,
} from './engine-io';

type NotificationKind = contract.SendNotificationInput['kind'];
interface NotificationExtra {
  gate?: GateResult;
  approval?: contract.SendNotificationInput['approval'];
  cleanup?: contract.SendNotificationInput['cleanup'];
}

/** One notification: `sent` once the activity answered. */
export interface NotifyFrame extends Frame {
  readonly machine: 'notify';
  readonly at: 'start' | 'sent';
  readonly kind: NotificationKind;
  readonly extra: NotificationExtra;
}
export const notifyFrame = (kind: NotificationKind, extra: NotificationExtra = {}): NotifyFrame => ({
  machine: 'notify',
  at: 'start',
  kind,
  extra,
});

/** One write of the split: `set` once setTraffic answered. */
export interface WriteTrafficFrame extends Frame {
  readonly machine: 'writeTraffic';
  readonly at: 'start' | 'set';
  readonly traffic: Record<string, number>;
  readonly mirror: Record<string, number>;
}
export const writeTrafficFrame = (traffic: Record<string, number>, mirror: Record<string, number>): WriteTrafficFrame => ({
  machine: 'writeTraffic',
  at: 'start',
  traffic,
  mirror,
});

/** Resolving the target: `resolved` once resolveTarget answered, `applied` once the decider took the answer. */
export interface ResolveFrame extends Frame {
  readonly machine: 'resolveUnit';
  readonly at: 'start' | 'resolved' | 'applied';
}
export const resolveFrame = (): ResolveFrame => ({ machine: 'resolveUnit', at: 'start' });

/**
 * One decision and its commands: `commands` is the decider's list (set when entered), `index` the
 * command under way; each stop is named after the command that has just run.
 */
export interface ApplyFrame extends Frame {
  readonly machine: 'apply';
  readonly at: 'start' | 'finished' | 'resolved' | 'notified';
  readonly happened: Happened;
  readonly commands: readonly Command[];
  readonly index: number;
}
export const applyFrame = (happened: Happened): ApplyFrame => ({ machine: 'apply', at: 'start', happened, commands: [], index: 0 });

/** The effects of an outcome: `verdictWritten` once writeModelVerdict answered, `notified` once its notification went. */
interface FinishFrame extends Frame {
  readonly machine: 'finishEffects';
  readonly at: 'start' | 'verdictWritten' | 'notified';
  readonly outcome: Outcome;
  readonly reason: string;
}
const finishFrame = (outcome: Outcome, reason: string): FinishFrame => ({ machine: 'finishEffects', at: 'start', outcome, reason });

const notifyMachine: Machine<NotifyFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  switch (frame.at) {
    case 'start': {
      const wanted = state.plan.notifications.on;
      // An empty `on` list means every kind; failures are logged by the activity, never fatal.
      if (wanted.length > 0 && !wanted.includes(frame.kind)) return done(undefined);
      // The plan's channels and kinds go along: the sender never re-reads the policy mid-rollout.
      const input = {
        kind: frame.kind,
        status: state.status,
        notifications: state.plan.notifications,
        ...frame.extra,
      } satisfies contract.SendNotificationInput;
      return ask({ ...frame, at: 'sent' }, callActivity(ACTIVITY.sendNotification, input));
    }
    case 'sent':
      try {
        unreadOf(answerOf(resume));
      } catch (error) {
        note(ctx, `notification ${frame.kind} failed: ${failureOf(error).message}`);
      }
      return done(undefined);
  }
};

/** The smoke test of a plan's smokeTest step (a forward step, or the health check after a rollback). */
export function smokeTestCall(state: EngineState, step: Extract<Step, { kind: 'smokeTest' }>): AskCommand {
  return callActivity(ACTIVITY.smokeTest, {
    target: state.plan.target,
    deployment: step.deployment,
    requests: step.requests,
    maxFailures: step.maxFailures,
    payload: step.payload,
  });
}

/** The deployments known to have passed a smoke test (the baseline serves today, so it counts). */
export function trafficFacts(state: EngineState): contract.TrafficFacts {
  return { smokeTestPassed: [state.plan.baseline.deployment, ...state.facts.smokePassed] };
}

const writeTrafficMachine: Machine<WriteTrafficFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  switch (frame.at) {
    case 'start':
      return ask(
        { ...frame, at: 'set' },
        callActivity(ACTIVITY.setTraffic, {
          target: state.plan.target,
          traffic: frame.traffic,
          mirror: frame.mirror,
          facts: trafficFacts(state),
        }),
      );
    case 'set': {
      const result = outputOf(ACTIVITY.setTraffic, answerOf(resume));
      state.status.traffic = result.traffic;
      state.status.mirror = result.mirror;
      note(ctx, `traffic set: ${formatTraffic(result.traffic, result.mirror)}`, result.traffic, result.mirror);
      return done(undefined);
    }
  }
};

/** The effects of an outcome the decider reached: the verdict on the model version, the notification. */
const finishEffects: Machine<FinishFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  switch (frame.at) {
    case 'start': {
      ctx.emit({ kind: 'log', message: `${frame.outcome}: ${frame.reason}` });
      publish(ctx);
      const t = state.plan.target;
      return ask(
        { ...frame, at: 'verdictWritten' },
        callActivity(
          ACTIVITY.writeModelVerdict,
          {
            model: {
              subscriptionId: t.subscriptionId,
              resourceGroup: t.resourceGroup,
              workspace: t.workspace,
              model: state.plan.model.name,
              version: state.plan.model.version,
            },
            rolloutId: state.plan.rolloutId,
            outcome: frame.outcome,
            reason: frame.reason,
            atMs: ctx.now(),
            // Cost hook: the plan's estimate of the rollout's own extra cost (src/plan/rollout-cost.ts).
            ...(state.plan.rolloutCost === undefined ? {} : { rolloutCost: state.plan.rolloutCost.summary }),
            ...(state.status.predictionAgreement ? { predictionAgreement: agreementHeadline(state.status.predictionAgreement) } : {}),
          },
          true,
        ),
      );
    }
    case 'verdictWritten': {
      try {
        outputOf(ACTIVITY.writeModelVerdict, answerOf(resume));
        state.facts.verdictWritten = true;
      } catch (error) {
        note(ctx, `could not write the verdict onto the model version: ${failureOf(error).message}`);
      }
      const kind = frame.outcome === 'promoted' ? 'promoted' : frame.outcome === 'failed' ? 'failed' : 'rolledBack';
      return call({ ...frame, at: 'notified' }, notifyFrame(kind));
    }
    case 'notified':
      returnedOf(resume);
      publish(ctx);
      return done(undefined);
  }
};

/** First: which endpoint this rollout needs (the lease key) and its concurrency rule. */
const resolveUnitMachine: Machine<ResolveFrame> = (ctx, frame, resume) => {
  switch (frame.at) {
    case 'start':
      return ask({ ...frame, at: 'resolved' }, callActivity(ACTIVITY.resolveTarget, ctx.state.input));
    case 'resolved': {
      let resolved: contract.ResolveTargetOutput;
      try {
        resolved = outputOf(ACTIVITY.resolveTarget, answerOf(resume));
      } catch (error) {
        return call({ ...frame, at: 'applied' }, applyFrame({ kind: 'resolveFailed', reason: failureOf(error).message }));
      }
      return call(
        { ...frame, at: 'applied' },
        applyFrame({ kind: 'resolved', target: resolved.target, concurrency: resolved.concurrency }),
      );
    }
    case 'applied':
      returnedOf(resume);
      return done(undefined);
  }
};

/**
 * The engine's one entry into the decider: the decided state replaces the current one, and the
 * decider's commands that need the outside world run here.
 */
const applyMachine: Machine<ApplyFrame> = (ctx, frame, resume) => {
  switch (frame.at) {
    case 'start': {
      const decision = decide(ctx.state, { ...frame.happened, atMs: ctx.now() } as DeciderInput);
      Object.assign(ctx.state, decision.state);
      return nextCommand(ctx, { ...frame, commands: decision.commands }, 0);
    }
    case 'finished':
    case 'resolved':
    case 'notified':
      returnedOf(resume);
      return nextCommand(ctx, frame, frame.index + 1);
  }
};

/** Runs the decider's commands from `index` up to the next one that needs the outside world (releaseLease never stops). */
function nextCommand(ctx: MachineContext, frame: ApplyFrame, index: number): Next {
  const { state } = ctx;
  for (; index < frame.commands.length; index++) {
    const command = frame.commands[index];
    const at = { ...frame, index };
    switch (command?.kind) {
      case 'finish':
        return call({ ...at, at: 'finished' }, finishFrame(command.outcome, command.reason));
      case 'releaseLease':
        // Tells the endpoint's lease that this rollout is done with it (holder or queued).
        ctx.emit({
          kind: 'signalRelease',
          leaseKey: endpointLeaseKey(state.plan.target),
          input: {
            rolloutId: state.plan.rolloutId,
            outcome: state.status.outcome,
            model: state.plan.model.name,
            version: state.plan.model.version,
          },
        });
        break;
      case 'resolve':
        return call({ ...at, at: 'resolved' }, resolveFrame());
      case 'notify':
        return call({ ...at, at: 'notified' }, notifyFrame(command.notification, { cleanup: { deployment: command.deployment } }));
    }
  }
  return done(undefined);
}

export const effectsMachines = {
  notify: notifyMachine,
  writeTraffic: writeTrafficMachine,
  finishEffects,
  resolveUnit: resolveUnitMachine,
  apply: applyMachine,
};
