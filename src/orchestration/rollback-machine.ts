/**
 * The rollback (pure): the plan's rollback steps (the compiler's), or the default undo. What it
 * could not delete once traffic is safe comes back as the leftover the decider turns into the
 * cleanup mode (decider.ts, rollbackDone).
 */
import type { Step } from '../plan/types';
import { ACTIVITY } from './activity-names';
import { rollbackSplit, type EngineState } from './engine-state';
import { failureOf, type EngineIo, type Program } from './engine-io';
import { trafficFacts, writeTraffic } from './engine-effects';

/** What a rollback could not delete once traffic was safe (retried in mode 'cleanup'). */
export type Leftover = { deployment: string; error: string } | undefined;

/** The default undo: baseline 100% and the candidate removed; recreate reverts the model in place. */
function* defaultRollback(io: EngineIo, state: EngineState): Program<Leftover> {
  const plan = state.plan;
  if (plan.candidate.deployment.toLowerCase() === plan.baseline.deployment.toLowerCase()) {
    if (state.facts.modelReplaced) {
      yield* io.call(ACTIVITY.replaceModel, {
        target: plan.target,
        deployment: plan.baseline.deployment,
        modelId: plan.baseline.modelId,
      });
      yield* io.note(state, `reverted '${plan.baseline.deployment}' to ${plan.baseline.modelId}`);
    }
    return undefined;
  }
  yield* writeTraffic(io, state, rollbackSplit(plan), {});
  if (!state.facts.candidateCreated) return undefined;
  try {
    yield* io.call(ACTIVITY.deleteDeployment, { target: plan.target, deployment: plan.candidate.deployment, facts: trafficFacts(state) });
  } catch (error) {
    // The baseline holds 100% again: the rollback's outcome stands; the delete is retried (decider).
    return { deployment: plan.candidate.deployment, error: failureOf(error).message };
  }
  yield* io.note(state, `removed '${plan.candidate.deployment}'`);
  return undefined;
}

/** Runs the plan's rollback steps (the compiler's), or the default undo. */
export function* rollBack(io: EngineIo, state: EngineState): Program<Leftover> {
  let leftover: Leftover;
  const plan = state.plan;
  // Whatever the rollout waited for (a bake, an approval) is over.
  state.status.waitingFor = undefined;
  yield* io.publish(state);
  const steps: readonly Step[] = plan.rollbackSteps ?? [{ kind: 'rollback' }];
  for (const step of steps) {
    switch (step.kind) {
      case 'rollback':
        leftover = yield* defaultRollback(io, state);
        break;
      case 'replaceModel':
        // Only undo what was done: a rollout that failed before replacing the model leaves it be.
        if (!state.facts.modelReplaced) break;
        yield* io.call(ACTIVITY.replaceModel, { target: plan.target, deployment: step.deployment, modelId: step.modelId });
        yield* io.note(state, `reverted '${step.deployment}' to ${step.modelId}`);
        break;
      case 'smokeTest': {
        if (!state.facts.modelReplaced && !state.facts.candidateCreated) break;
        const out = yield* io.call(ACTIVITY.smokeTest, {
          target: plan.target,
          deployment: step.deployment,
          requests: step.requests,
          maxFailures: step.maxFailures,
          payload: step.payload,
        });
        yield* io.note(state, `health check after rollback: ${out.passed ? 'passed' : 'FAILED'}: ${out.reason}`);
        if (!out.passed) throw new Error(`[Internal] '${step.deployment}' is unhealthy after the rollback: ${out.reason}`);
        break;
      }
      case 'setTraffic':
        yield* writeTraffic(io, state, { ...step.traffic }, {});
        break;
      default:
        yield* io.note(state, `rollback step '${step.kind}' is not supported in a rollback; skipped`);
    }
  }
  return leftover;
}
