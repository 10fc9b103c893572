/**
 * The rollback (pure): the plan's rollback steps (the compiler's), or the default undo. What it
 * could not delete once traffic is safe comes back as the leftover the decider turns into the
 * cleanup mode (decider.ts, rollbackDone).
 */
import type { Step } from '../plan/types';
import { ACTIVITY } from './activity-names';
import { rollbackSplit } from './engine-state';
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
  type Frame,
  type Machine,
  type MachineContext,
  type Next,
} from './engine-io';
import { smokeTestCall, trafficFacts, writeTrafficFrame } from './engine-effects';

/** What a rollback could not delete once traffic was safe (retried in mode 'cleanup'). */
export type Leftover = { deployment: string; error: string } | undefined;

/** The default undo: baseline 100% and the candidate removed; recreate reverts the model in place. */
interface DefaultRollbackFrame extends Frame {
  readonly machine: 'defaultRollback';
  readonly at: 'start' | 'reverted' | 'trafficSet' | 'deleted';
}

const defaultRollback: Machine<DefaultRollbackFrame> = (ctx, frame, resume) => {
  const { plan, facts } = ctx.state;
  switch (frame.at) {
    case 'start':
      if (plan.candidate.deployment.toLowerCase() === plan.baseline.deployment.toLowerCase()) {
        if (!facts.modelReplaced) return done(undefined);
        const input = { target: plan.target, deployment: plan.baseline.deployment, modelId: plan.baseline.modelId };
        return ask({ ...frame, at: 'reverted' }, callActivity(ACTIVITY.replaceModel, input));
      }
      return call({ ...frame, at: 'trafficSet' }, writeTrafficFrame(rollbackSplit(plan), {}));
    case 'reverted':
      outputOf(ACTIVITY.replaceModel, answerOf(resume));
      note(ctx, `reverted '${plan.baseline.deployment}' to ${plan.baseline.modelId}`);
      return done(undefined);
    case 'trafficSet': {
      returnedOf(resume);
      if (!facts.candidateCreated) return done(undefined);
      const input = { target: plan.target, deployment: plan.candidate.deployment, facts: trafficFacts(ctx.state) };
      return ask({ ...frame, at: 'deleted' }, callActivity(ACTIVITY.deleteDeployment, input));
    }
    case 'deleted':
      try {
        outputOf(ACTIVITY.deleteDeployment, answerOf(resume));
      } catch (error) {
        // The baseline holds 100% again: the rollback's outcome stands; the delete is retried (decider).
        return done({ deployment: plan.candidate.deployment, error: failureOf(error).message } satisfies Leftover);
      }
      note(ctx, `removed '${plan.candidate.deployment}'`);
      return done(undefined);
  }
};

/** The plan's rollback steps, one at a time: `index` is the step under way, `leftover` the default undo's. */
export interface RollBackFrame extends Frame {
  readonly machine: 'rollBack';
  readonly at: 'start' | 'stepDone' | 'undone' | 'reverted' | 'checked';
  readonly index: number;
  readonly leftover?: Leftover;
}
export const rollBackFrame = (): RollBackFrame => ({ machine: 'rollBack', at: 'start', index: 0 });

const rollBack: Machine<RollBackFrame> = (ctx, frame, resume) => {
  const { plan } = ctx.state;
  const steps: readonly Step[] = plan.rollbackSteps ?? [{ kind: 'rollback' }];
  const step = steps[frame.index];
  switch (frame.at) {
    case 'start':
      // Whatever the rollout waited for (a bake, an approval) is over.
      ctx.state.status.waitingFor = undefined;
      publish(ctx);
      return nextRollbackStep(ctx, frame, 0);
    case 'undone':
      return nextRollbackStep(ctx, { ...frame, leftover: returnedOf<Leftover>(resume) }, frame.index + 1);
    case 'stepDone':
      returnedOf(resume);
      return nextRollbackStep(ctx, frame, frame.index + 1);
    case 'reverted':
      if (step?.kind !== 'replaceModel') throw new Error(`rollBack: step ${frame.index} is not a replaceModel`);
      outputOf(ACTIVITY.replaceModel, answerOf(resume));
      note(ctx, `reverted '${step.deployment}' to ${step.modelId}`);
      return nextRollbackStep(ctx, frame, frame.index + 1);
    case 'checked': {
      if (step?.kind !== 'smokeTest') throw new Error(`rollBack: step ${frame.index} is not a smokeTest`);
      const out = outputOf(ACTIVITY.smokeTest, answerOf(resume));
      note(ctx, `health check after rollback: ${out.passed ? 'passed' : 'FAILED'}: ${out.reason}`);
      if (!out.passed) throw new Error(`[Internal] '${step.deployment}' is unhealthy after the rollback: ${out.reason}`);
      return nextRollbackStep(ctx, frame, frame.index + 1);
    }
  }
};

/** Runs the rollback steps from `index` up to the next one that needs the outside world; returns the leftover at the end. */
function nextRollbackStep(ctx: MachineContext, frame: RollBackFrame, index: number): Next {
  const { plan, facts } = ctx.state;
  const steps: readonly Step[] = plan.rollbackSteps ?? [{ kind: 'rollback' }];
  for (; index < steps.length; index++) {
    const step = steps[index];
    const at = { ...frame, index };
    switch (step?.kind) {
      case 'rollback':
        return call({ ...at, at: 'undone' }, { machine: 'defaultRollback', at: 'start' } satisfies DefaultRollbackFrame);
      case 'replaceModel':
        // Only undo what was done: a rollout that failed before replacing the model leaves it be.
        if (!facts.modelReplaced) continue;
        return ask(
          { ...at, at: 'reverted' },
          callActivity(ACTIVITY.replaceModel, { target: plan.target, deployment: step.deployment, modelId: step.modelId }),
        );
      case 'smokeTest':
        if (!facts.modelReplaced && !facts.candidateCreated) continue;
        return ask({ ...at, at: 'checked' }, smokeTestCall(ctx.state, step));
      case 'setTraffic':
        return call({ ...at, at: 'stepDone' }, writeTrafficFrame({ ...step.traffic }, {}));
      default:
        note(ctx, `rollback step '${step?.kind}' is not supported in a rollback; skipped`);
    }
  }
  return done(frame.leftover);
}

export const rollbackMachines = { defaultRollback, rollBack };
