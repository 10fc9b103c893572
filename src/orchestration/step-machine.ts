/**
 * The forward steps (pure): deploy, replaceModel, smokeTest, mirror, setTraffic, the bake/gate
 * loop with its hooks, decideWinner, approvals, promote, the plan's rollback step, cleanup.
 * Each returns the StepResult the decider applies (decider.ts). The rules of a look, an approval
 * and a no-data outcome are bake-decider.ts's, approval-decider.ts's and step-bounds.ts's; the
 * loops here wait, look and carry out their answers.
 */
import { failedGateOutcome } from '../analysis/agreement';
import type { GateResult } from '../analysis/types';
import type { Step } from '../plan/types';
import { formatSplit } from '../plan/describe';
import { recordLooks } from '../plan/evidence-history';
import { ACTIVITY, type ActivityName } from './activity-names';
import type { ActivityInput, ActivityOutput } from './activity-registry';
import type * as contract from './activity-contracts';
import type { StepResult } from './decider';
import {
  MAX_WAITS_PER_EXECUTION,
  countNewRequests,
  countQueryError,
  mirrorAfterLiveChange,
  promoteSplit,
  queryErrorLimit,
  rollbackSplit,
  type EngineState,
} from './engine-state';
import { costApprovalDue } from './cost-approval';
import { adaptiveLook, judgeLook, nextLook, stepDeadline, timeOnlyLook } from './bake-decider';
import { noDataApproval, onApprovalEvent, onApprovalTimeout, type ApprovalWaitStep } from './approval-decider';
import { lostEndpointResult } from './endpoint-check';
import { extendForNoData } from './step-bounds';
import { INTERRUPTED, outputOf, type EngineIo, type Frame, type Program } from './engine-io';
import { apply, notify, trafficFacts, writeTraffic } from './engine-effects';
import { applyControls, flowChange, waitFor } from './wait-machine';

const MINUTE_MS = 60_000;

export interface RunStepFrame extends Frame {
  readonly machine: 'runStep';
  readonly step: Step;
}
export const runStepFrame = (step: Step): RunStepFrame => ({ machine: 'runStep', at: 'start', step });

/**
 * Runs a long Azure operation (creating a deployment, replacing its model: minutes) while
 * listening for operator controls, so an abort or a supersede takes effect within seconds instead
 * of after the operation (issue 10, defect 4). The activity races fresh control listeners; a
 * control that wins is applied at once:
 *   - abort: the decider moves the rollout to RollingBack now and the status says so. The
 *     operation cannot be cancelled on Azure (a deployment that is Creating or Updating refuses a
 *     delete with 409), so this waits for it to settle before returning: the rollback that follows
 *     then undoes what the operation left behind, and never deletes before the create has written.
 *   - anything else (a pause, an ignored control): recorded as usual; the operation goes on.
 * The step code reads `INTERRUPTED` as "the decider already took the step's result".
 */
function* callRacingControls<N extends ActivityName>(
  io: EngineIo,
  state: EngineState,
  name: N,
  input: ActivityInput<N>,
): Program<ActivityOutput<N> | typeof INTERRUPTED> {
  for (let again = false; ; again = true) {
    const winner = yield* io.race(name, input, again);
    const harvested = yield* io.harvest(true);
    const control = yield* applyControls(io, state, harvested.controls);
    if (control?.kind === 'abort') {
      yield* apply(io, state, {
        kind: 'stepResult',
        result: { kind: 'rollback', outcome: 'aborted', reason: `aborted by ${control.by}` },
      });
      yield* io.publish(state);
      // Wait for the operation to settle, still listening: a control sent meanwhile (a second
      // abort, a supersede) is answered now (recorded, ignored: the rollback is decided), not
      // minutes later when the create is done.
      for (;;) {
        const settled = yield* io.race(name, input, true);
        const more = yield* io.harvest(true);
        yield* applyControls(io, state, more.controls);
        if (settled === 'control') {
          yield* io.publish(state);
          continue;
        }
        yield* io.note(
          state,
          settled.kind === 'activityFailed'
            ? `${name}, in flight when the abort came, failed: ${settled.error.message}`
            : `${name}, in flight when the abort came, has finished; the rollback undoes it`,
        );
        return INTERRUPTED;
      }
    }
    if (winner !== 'control') {
      if (winner.kind === 'activityFailed') yield* io.settle(name); // throws the activity's failure, as a plain call would
      return outputOf(name, winner);
    }
    yield* io.publish(state);
  }
}

function gateSpecs(state: EngineState, names: readonly string[]): contract.CheckGatesInput['gates'] {
  return names.map((name) => {
    const spec = state.plan.gates[name];
    if (!spec) throw new Error(`plan names gate '${name}', which it does not declare`);
    return spec;
  });
}

interface GateRound {
  failed?: { gate: string; reason: string; result?: GateResult };
  /** The endpoint is not what the step relies on (endpoint-check.ts). */
  lost?: readonly string[];
  errors: string[];
  allPassed: boolean;
  candidateRequests?: number;
  /** The cost limit is exceeded and the policy asks a person (src/orchestration/cost-approval.ts). */
  costApproval?: string;
  /** Adaptive bakes: each arm's data since the step began (when asked for and readable). */
  arms?: contract.CheckGatesOutput['arms'];
}

function* checkGateRound(
  io: EngineIo,
  state: EngineState,
  names: readonly string[],
  opts: { candidateOnly: boolean; armsSinceMs?: number | undefined },
): Program<GateRound> {
  const gates = gateSpecs(state, names);
  const looks: Record<string, number> = {};
  for (const gate of gates) looks[gate.name] = (state.progress.looks[gate.name] ?? 0) + 1;
  const out = yield* io.call(ACTIVITY.checkGates, {
    target: state.plan.target,
    gates,
    // After promotion (or for recreate) the baseline serves nothing: judge the candidate alone.
    baseline: opts.candidateOnly ? state.plan.candidate.deployment : state.plan.baseline.deployment,
    candidate: state.plan.candidate.deployment,
    nowMs: io.now(),
    looks,
    ...(opts.armsSinceMs === undefined ? {} : { armsSinceMs: opts.armsSinceMs }),
    expect: {
      deployments: opts.candidateOnly
        ? [state.plan.candidate.deployment]
        : [state.plan.baseline.deployment, state.plan.candidate.deployment],
      traffic: state.status.traffic,
      mirror: state.status.mirror,
    },
  });
  if (out.endpointProblems) {
    yield* io.note(state, `gates not checked: ${out.endpointProblems.join('; ')}`);
    return { errors: [], allPassed: false, lost: out.endpointProblems };
  }
  const round: GateRound = { errors: [], allPassed: out.outcomes.length > 0, ...(out.arms ? { arms: out.arms } : {}) };
  const verdicts: GateResult[] = [];
  for (const outcome of out.outcomes) {
    if (outcome.result) {
      verdicts.push(outcome.result);
      state.progress.looks[outcome.gate] = looks[outcome.gate] ?? 1;
    }
    if (outcome.candidateRequests !== undefined && outcome.result && round.candidateRequests === undefined) {
      round.candidateRequests = outcome.candidateRequests;
      countNewRequests(state.progress, outcome.candidateRequests, outcome.result.window);
    }
    if (outcome.outcome !== 'pass') round.allPassed = false;
    if (outcome.outcome === 'fail' && !round.failed)
      round.failed = {
        gate: outcome.gate,
        reason: outcome.result?.reason ?? 'failed',
        ...(outcome.result ? { result: outcome.result } : {}),
      };
    if (outcome.outcome === 'error') round.errors.push(`${outcome.gate}: ${outcome.error?.message ?? 'query failed'}`);
  }
  if (verdicts.length > 0) state.status.gates = verdicts;
  state.status.evidenceHistory = recordLooks(state.status.evidenceHistory, state.plan, verdicts, state.status.traffic, state.status.mirror);
  const costApproval = costApprovalDue(out.outcomes, state.facts.costApprovalAsked === true);
  if (costApproval !== undefined) round.costApproval = costApproval;
  const agreementLook = verdicts.find((v) => v.agreement !== undefined);
  if (agreementLook) state.status.predictionAgreement = agreementLook;
  const summary = out.outcomes.map((o) => `${o.gate}=${o.outcome}`).join(', ');
  yield* io.note(state, `gates checked: ${summary}`);
  return round;
}

function* noDataOutcome(
  io: EngineIo,
  state: EngineState,
  outcome: 'extend' | 'requestApproval' | 'rollback',
  why: string,
): Program<StepResult> {
  if (outcome === 'rollback') return { kind: 'rollback', outcome: 'rolledBack', reason: `no data: ${why}` };
  if (outcome === 'extend') {
    // Counts the extension and restarts the step's window (bounded history: one more execution).
    const bound = extendForNoData(state.progress, state.plan.steps[state.stepIndex], io.now(), why);
    if (bound) return bound;
    yield* io.note(state, `no data yet (${why}); the policy says keep extending (extension ${state.progress.noDataExtensions})`);
    return { kind: 'stay' };
  }
  // requestApproval: a person decides whether to go on without the data.
  state.progress.awaitingDataApproval = true;
  return yield* approvalWait(io, state, noDataApproval(state.plan, state.stepIndex), why);
}

function* approvalWait(io: EngineIo, state: EngineState, step: ApprovalWaitStep, askedWhy?: string): Program<StepResult> {
  // Kept on the step's progress: after continueAsNew the wait goes on with the same name and why.
  if (askedWhy !== undefined) state.progress.approvalWhy = askedWhy;
  if (state.progress.awaitingDataApproval) state.progress.approvalName = step.name;
  const why = state.progress.approvalWhy;
  if (state.progress.deadlineMs === undefined) state.progress.deadlineMs = io.now() + step.timeoutMinutes * MINUTE_MS;
  yield* apply(io, state, { kind: 'approvalWaitStarted' });
  const deadline = (): number => (state.progress.deadlineMs ?? 0) + state.progress.pausedMs;
  state.status.waitingFor = {
    kind: 'approval',
    untilMs: deadline(),
    detail: `waiting for approval '${step.name}'${why ? ` (${why})` : ''}`,
  };
  if (!state.progress.approvalRequested) {
    state.progress.approvalRequested = true;
    yield* io.note(state, `waiting for approval '${step.name}' until ${new Date(deadline()).toISOString()}`);
    yield* notify(io, state, 'approvalRequested', {
      approval: { step: state.stepIndex, name: step.name, timeoutAtMs: deadline(), ...(why === undefined ? {} : { why }) },
    });
  }
  // The rules are approval-decider.ts's; this loop waits and carries out its answers.
  for (let rounds = 0; rounds < MAX_WAITS_PER_EXECUTION; rounds++) {
    state.status.waitingFor = {
      kind: 'approval',
      untilMs: deadline(),
      detail: `waiting for approval '${step.name}'${why ? ` (${why})` : ''}`,
    };
    const wait = yield* waitFor(io, state, deadline(), { approval: true });
    if (wait.kind === 'approval' || wait.kind === 'timer') {
      const decision =
        wait.kind === 'approval' ? onApprovalEvent(state, step, wait.event, io.now()) : onApprovalTimeout(state, step, io.now());
      for (const message of decision.notes) yield* io.note(state, message);
      if (decision.remind)
        yield* notify(io, state, 'approvalRequested', {
          approval: {
            step: state.stepIndex,
            name: step.name,
            timeoutAtMs: deadline(),
            reminder: true,
            ...(why === undefined ? {} : { why }),
          },
        });
      if (decision.result) return decision.result;
      continue;
    }
    const change = flowChange(wait);
    if (change && change.kind !== 'stay') return change;
  }
  return { kind: 'stay' };
}

export function* runStep(io: EngineIo, state: EngineState, step: Step): Program<StepResult> {
  const plan = state.plan;
  const target = plan.target;
  if (state.progress.awaitingDataApproval) {
    // Started by an earlier execution: the same approval (a cost approval keeps its name).
    const approval = noDataApproval(plan, state.stepIndex);
    return yield* approvalWait(io, state, { ...approval, name: state.progress.approvalName ?? approval.name });
  }
  switch (step.kind) {
    case 'deploy': {
      state.facts.candidateCreated = true;
      const out = yield* callRacingControls(io, state, ACTIVITY.createDeployment, {
        target,
        deployment: step.deployment,
        cloneFrom: step.cloneFrom,
        modelId: step.modelId,
        rolloutId: plan.rolloutId,
        ...(step.instanceCount === undefined ? {} : { instanceCount: step.instanceCount }),
      });
      if ('interrupted' in out) return { kind: 'stay' };
      yield* io.note(state, `deployment '${out.deployment.name}' is ${out.deployment.provisioningState} serving ${out.deployment.modelId}`);
      return { kind: 'advance' };
    }
    case 'replaceModel': {
      state.facts.modelReplaced = true;
      const out = yield* callRacingControls(io, state, ACTIVITY.replaceModel, {
        target,
        deployment: step.deployment,
        modelId: step.modelId,
      });
      if ('interrupted' in out) return { kind: 'stay' };
      yield* io.note(state, `deployment '${out.deployment.name}' now serves ${out.deployment.modelId}`);
      return { kind: 'advance' };
    }
    case 'smokeTest': {
      const out = yield* io.call(ACTIVITY.smokeTest, {
        target,
        deployment: step.deployment,
        requests: step.requests,
        maxFailures: step.maxFailures,
        payload: step.payload,
      });
      yield* io.note(state, `smoke test of '${step.deployment}': ${out.passed ? 'passed' : 'FAILED'}: ${out.reason}`);
      if (!out.passed)
        return { kind: 'rollback', outcome: 'rolledBack', reason: `smoke test of '${step.deployment}' failed: ${out.reason}` };
      if (!state.facts.smokePassed.includes(step.deployment)) state.facts.smokePassed.push(step.deployment);
      return { kind: 'advance' };
    }
    case 'mirror': {
      const mirror = step.percent > 0 ? { [step.deployment]: step.percent } : {};
      // Never write an empty live split by accident: unknown live traffic means the baseline's.
      const live = Object.keys(state.status.traffic).length > 0 ? { ...state.status.traffic } : { ...rollbackSplit(plan) };
      yield* writeTraffic(io, state, live, mirror);
      return { kind: 'advance' };
    }
    case 'setTraffic': {
      const traffic = { ...step.traffic };
      yield* writeTraffic(io, state, traffic, mirrorAfterLiveChange(traffic, state.status.mirror));
      state.facts.splitSetAtMs = io.now();
      return { kind: 'advance' };
    }
    case 'bake':
    case 'gate': {
      // The rules are bake-decider.ts's; this loop waits, looks and carries out its answers.
      for (let rounds = 0; rounds < MAX_WAITS_PER_EXECUTION; rounds++) {
        const next = nextLook(step, state.progress, io.now(), rounds === 0);
        if (next) {
          state.status.waitingFor = next.waitingFor;
          const wait = yield* waitFor(io, state, next.untilMs, { approval: false });
          const change = flowChange(wait);
          if (change) {
            if (change.kind === 'stay') continue;
            return change;
          }
        }
        state.status.waitingFor = undefined;
        let decision = timeOnlyLook(step, state.progress, io.now());
        let round: GateRound | undefined;
        if (!decision) {
          const adaptive = step.kind === 'bake' && step.adaptive !== undefined;
          round = yield* checkGateRound(io, state, step.gates, {
            candidateOnly: step.kind === 'bake' && step.candidateOnly === true,
            armsSinceMs: adaptive ? state.progress.startedAtMs : undefined,
          });
          // A deployment or the endpoint the look relies on is gone: roll back with the reason (endpoint-check.ts).
          if (round.lost) return lostEndpointResult(target.endpoint, round.lost);
          decision = judgeLook(step, state.progress, io.now(), round, adaptiveLook(step, state.progress, io.now(), round.arms));
          if (decision.kind === 'done' && decision.gateFailed && round.failed)
            yield* notify(io, state, 'gateFailed', round.failed.result ? { gate: round.failed.result } : {});
        }
        for (const message of decision.notes) yield* io.note(state, message);
        if (
          decision.kind === 'done' &&
          decision.result.kind === 'rollback' &&
          decision.gateFailed &&
          round?.failed &&
          failedGateOutcome(plan.gates[round.failed.gate]) === 'requestApproval'
        ) {
          // Prediction-agreement hook: its policy's onDisagreement may ask a person instead of rolling back.
          return yield* noDataOutcome(io, state, 'requestApproval', decision.result.reason);
        }
        if (decision.kind === 'done' && decision.result.kind === 'advance' && round?.costApproval !== undefined) {
          // Cost hook: the no-data approval path, asked once per rollout (src/orchestration/cost-approval.ts).
          state.facts.costApprovalAsked = true;
          state.progress.awaitingDataApproval = true;
          return yield* approvalWait(io, state, { ...noDataApproval(plan), name: 'cost' }, `serving cost: ${round.costApproval}`);
        }
        if (decision.kind === 'done') return decision.result;
        if (decision.kind === 'noData') return yield* noDataOutcome(io, state, step.noDataOutcome, decision.why);
      }
      return { kind: 'stay' };
    }
    case 'decideWinner': {
      const spec = plan.gates[step.gate];
      if (!spec) throw new Error(`plan names gate '${step.gate}', which it does not declare`);
      const sinceMs = state.facts.splitSetAtMs ?? state.progress.startedAtMs ?? io.now();
      for (let rounds = 0; rounds < MAX_WAITS_PER_EXECUTION; rounds++) {
        const endMs = stepDeadline(state.progress, step.maxWaitMinutes);
        const until = Math.min(io.now() + step.checkIntervalMinutes * MINUTE_MS, endMs);
        state.status.waitingFor = {
          kind: 'data',
          untilMs: endMs,
          detail: `collecting A/B data on '${step.gate}' (${step.minRequestsPerArm} requests per arm)`,
        };
        const wait = yield* waitFor(io, state, until, { approval: false });
        const change = flowChange(wait);
        if (change) {
          if (change.kind === 'stay') continue;
          return change;
        }
        const final = io.now() >= endMs;
        const look = (state.progress.looks[step.gate] ?? 0) + 1;
        state.progress.looks[step.gate] = look;
        const out = yield* io.call(ACTIVITY.decideWinner, {
          target,
          gate: spec,
          baseline: plan.baseline.deployment,
          candidate: plan.candidate.deployment,
          nowMs: io.now(),
          sinceMs,
          minRequestsPerArm: step.minRequestsPerArm,
          look,
          final,
        });
        if (out.result) state.status.gates = [out.result];
        state.status.evidenceHistory = recordLooks(
          state.status.evidenceHistory,
          plan,
          out.result ? [out.result] : [],
          state.status.traffic,
          state.status.mirror,
        );
        yield* io.note(state, `A/B look ${look}: ${out.winner}: ${out.reason}`);
        if (out.error) {
          if (countQueryError(state.progress, queryErrorLimit(step)))
            return {
              kind: 'rollback',
              outcome: 'rolledBack',
              reason: `A/B queries failed ${state.progress.queryErrors} times: ${out.error.message}`,
            };
        }
        state.status.waitingFor = undefined;
        if (out.winner === 'candidate') {
          state.status.winner = { deployment: plan.candidate.deployment, reason: out.reason };
          return { kind: 'advance' };
        }
        if (out.winner === 'baseline') {
          state.status.winner = { deployment: plan.baseline.deployment, reason: out.reason };
          return { kind: 'rollback', outcome: 'rolledBack', reason: `A/B test: the baseline wins: ${out.reason}` };
        }
        if (io.now() >= endMs) {
          state.status.winner = {
            deployment: plan.baseline.deployment,
            reason: `no winner after ${step.maxWaitMinutes} min (${out.reason}); a tie keeps the baseline`,
          };
          return {
            kind: 'rollback',
            outcome: 'rolledBack',
            reason: `A/B test undecided after ${step.maxWaitMinutes} min; the baseline is kept`,
          };
        }
      }
      return { kind: 'stay' };
    }
    case 'approval':
      return yield* approvalWait(io, state, step);
    case 'promote': {
      yield* writeTraffic(io, state, promoteSplit(plan), {});
      state.facts.promoted = true;
      yield* io.note(state, `promoted: ${formatSplit(state.status.traffic)}`);
      return { kind: 'advance' };
    }
    case 'rollback':
      return { kind: 'rollback', outcome: 'rolledBack', reason: 'the plan rolls back here' };
    case 'cleanup': {
      const endMs = stepDeadline(state.progress, step.afterMinutes);
      if (io.now() < endMs) {
        state.status.waitingFor = { kind: 'timer', untilMs: endMs, detail: `keeping '${step.deployment}' for rollback` };
        const wait = yield* waitFor(io, state, endMs, { approval: false });
        const change = flowChange(wait);
        if (change) return change;
        if (io.now() < stepDeadline(state.progress, step.afterMinutes)) return { kind: 'stay' };
      }
      state.status.waitingFor = undefined;
      if (step.deployment.toLowerCase() === plan.candidate.deployment.toLowerCase())
        throw new Error(`cleanup would delete the candidate '${step.deployment}'`);
      const out = yield* io.callWithRetry(ACTIVITY.deleteDeployment, { target, deployment: step.deployment, facts: trafficFacts(state) });
      yield* io.note(state, out.deleted ? `deleted '${step.deployment}'` : `'${step.deployment}' was already gone`);
      return { kind: 'advance' };
    }
  }
}

// ---------------------------------------------------------------- rollback and end
