/**
 * The forward steps (pure): deploy, replaceModel, smokeTest, mirror, setTraffic, the bake/gate
 * loop with its hooks, decideWinner, approvals, promote, the plan's rollback step, cleanup.
 * Each returns the StepResult the decider applies (decider.ts). The rules of a look, an approval
 * and a no-data outcome are bake-decider.ts's, approval-decider.ts's and step-bounds.ts's; the
 * machines here wait, look and carry out their answers.
 *
 * Each machine is a (context, frame, resume) -> next reducer (engine-io.ts, "the cursor"): its
 * position is the frame's `at`, its loop counters and the answers it still needs are the frame's
 * fields. runStep is the entry (runStepFrame); the bake/gate loop, decideWinner, the approval wait,
 * the gate check and the race of a long operation against controls are machines of their own.
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
import { adaptiveLook, judgeLook, nextLook, stepDeadline, timeOnlyLook, type BakeOrGateStep, type LookDecision } from './bake-decider';
import { noDataApproval, onApprovalEvent, onApprovalTimeout, type ApprovalWaitStep } from './approval-decider';
import { lostEndpointResult } from './endpoint-check';
import { extendForNoData } from './step-bounds';
import {
  INTERRUPTED,
  answerOf,
  ask,
  call,
  callActivity,
  done,
  harvestedOf,
  note,
  outputOf,
  publish,
  raceOf,
  returnedOf,
  settledOf,
  type EngineInput,
  type Frame,
  type Machine,
  type MachineContext,
  type Next,
} from './engine-io';
import { applyFrame, notifyFrame, smokeTestCall, trafficFacts, writeTrafficFrame, type NotifyFrame } from './engine-effects';
import { applyControlsFrame, flowChange, waitForFrame, type WaitResult } from './wait-machine';

const MINUTE_MS = 60_000;

/** The frame at its next stop, with the locals that change there (a frame is replaced, never mutated). */
const moved = <F extends Frame>(frame: F, change: Partial<F>): F => ({ ...frame, ...change });

// ---------------------------------------------------------------- racing a long operation against controls

/** `again`: the activity was started (race it again); `settling`: an abort was applied, the operation is left to settle. */
interface RacingControlsFrame extends Frame {
  readonly machine: 'callRacingControls';
  readonly at: 'start' | 'raced' | 'harvested' | 'controlsApplied' | 'abortApplied' | 'settled';
  readonly name: ActivityName;
  readonly input: unknown;
  readonly again: boolean;
  readonly settling: boolean;
  /** The race's answer ('control': a control came first), held while the controls are applied. */
  readonly winner?: 'control' | EngineInput;
}

const racingControlsFrame = <N extends ActivityName>(name: N, input: ActivityInput<N>): RacingControlsFrame => ({
  machine: 'callRacingControls',
  at: 'start',
  name,
  input,
  again: false,
  settling: false,
});

/** One race of the activity (started on the first, the same one after) against a fresh control listener. */
const race = (frame: RacingControlsFrame): Next =>
  ask(
    moved(frame, { at: 'raced', winner: undefined }),
    frame.again ? { kind: 'raceAgain' } : { kind: 'raceActivity', name: frame.name, input: frame.input },
  );

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
 * Returns the activity's output, or `INTERRUPTED`: "the decider already took the step's result".
 */
const callRacingControls: Machine<RacingControlsFrame> = (ctx, frame, resume) => {
  switch (frame.at) {
    case 'start':
      return race(frame);
    case 'raced':
      return ask(moved(frame, { at: 'harvested', winner: raceOf(answerOf(resume)) }), { kind: 'harvest', controlsOnly: true });
    case 'harvested':
      return call({ ...frame, at: 'controlsApplied' }, applyControlsFrame(harvestedOf(answerOf(resume)).controls));
    case 'controlsApplied': {
      const control = returnedOf<WaitResult | undefined>(resume);
      const winner = frame.winner;
      if (winner === undefined) throw new Error(`${frame.name}: controls applied without a race`);
      if (frame.settling) {
        // Waiting for the operation to settle, still listening: a control sent meanwhile (a second
        // abort, a supersede) is answered now (recorded, ignored: the rollback is decided), not
        // minutes later when the create is done.
        if (winner === 'control') {
          publish(ctx);
          return race(frame);
        }
        note(
          ctx,
          winner.kind === 'activityFailed'
            ? `${frame.name}, in flight when the abort came, failed: ${winner.error.message}`
            : `${frame.name}, in flight when the abort came, has finished; the rollback undoes it`,
        );
        return done(INTERRUPTED);
      }
      if (control?.kind === 'abort')
        return call(
          moved(frame, { at: 'abortApplied', again: true, settling: true }),
          applyFrame({ kind: 'stepResult', result: { kind: 'rollback', outcome: 'aborted', reason: `aborted by ${control.by}` } }),
        );
      if (winner !== 'control') {
        // Settled first: it throws the activity's failure, as a plain call would.
        if (winner.kind === 'activityFailed') return ask({ ...frame, at: 'settled' }, { kind: 'awaitActivity' });
        return done(outputOf(frame.name, winner));
      }
      publish(ctx);
      return race({ ...frame, again: true });
    }
    case 'abortApplied':
      returnedOf(resume);
      publish(ctx);
      return race(frame);
    case 'settled': {
      settledOf(frame.name, answerOf(resume));
      const winner = frame.winner;
      if (winner === undefined || winner === 'control') throw new Error(`${frame.name}: settled without the activity's answer`);
      return done(outputOf(frame.name, winner));
    }
  }
};

// ---------------------------------------------------------------- one look at the gates

/** The plan's gate of that name (a plan that names a gate it does not declare is a bug: the step fails). */
function gateSpec(state: EngineState, name: string): contract.CheckGatesInput['gates'][number] {
  const spec = state.plan.gates[name];
  if (!spec) throw new Error(`plan names gate '${name}', which it does not declare`);
  return spec;
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

/** `looks`: each gate's look number as asked (recorded on the progress when the gate answers). */
interface CheckGateRoundFrame extends Frame {
  readonly machine: 'checkGateRound';
  readonly at: 'start' | 'checked';
  readonly names: readonly string[];
  readonly candidateOnly: boolean;
  readonly armsSinceMs: number | undefined;
  readonly looks: Readonly<Record<string, number>>;
}

const checkGateRoundFrame = (
  names: readonly string[],
  opts: { candidateOnly: boolean; armsSinceMs?: number | undefined },
): CheckGateRoundFrame => ({
  machine: 'checkGateRound',
  at: 'start',
  names,
  candidateOnly: opts.candidateOnly,
  armsSinceMs: opts.armsSinceMs,
  looks: {},
});

/** Returns the GateRound. */
const checkGateRound: Machine<CheckGateRoundFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  switch (frame.at) {
    case 'start': {
      const gates = frame.names.map((name) => gateSpec(state, name));
      const looks: Record<string, number> = {};
      for (const gate of gates) looks[gate.name] = (state.progress.looks[gate.name] ?? 0) + 1;
      return ask(
        moved(frame, { at: 'checked', looks }),
        callActivity(ACTIVITY.checkGates, {
          target: state.plan.target,
          gates,
          // After promotion (or for recreate) the baseline serves nothing: judge the candidate alone.
          baseline: frame.candidateOnly ? state.plan.candidate.deployment : state.plan.baseline.deployment,
          candidate: state.plan.candidate.deployment,
          nowMs: ctx.now(),
          looks,
          ...(frame.armsSinceMs === undefined ? {} : { armsSinceMs: frame.armsSinceMs }),
          expect: {
            deployments: frame.candidateOnly
              ? [state.plan.candidate.deployment]
              : [state.plan.baseline.deployment, state.plan.candidate.deployment],
            traffic: state.status.traffic,
            mirror: state.status.mirror,
          },
        }),
      );
    }
    case 'checked': {
      const out = outputOf(ACTIVITY.checkGates, answerOf(resume));
      const looks = frame.looks;
      if (out.endpointProblems) {
        note(ctx, `gates not checked: ${out.endpointProblems.join('; ')}`);
        return done({ errors: [], allPassed: false, lost: out.endpointProblems } satisfies GateRound);
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
      state.status.evidenceHistory = recordLooks(
        state.status.evidenceHistory,
        state.plan,
        verdicts,
        state.status.traffic,
        state.status.mirror,
      );
      const costApproval = costApprovalDue(out.outcomes, state.facts.costApprovalAsked === true);
      if (costApproval !== undefined) round.costApproval = costApproval;
      const agreementLook = verdicts.find((v) => v.agreement !== undefined);
      if (agreementLook) state.status.predictionAgreement = agreementLook;
      const summary = out.outcomes.map((o) => `${o.gate}=${o.outcome}`).join(', ');
      note(ctx, `gates checked: ${summary}`);
      return done(round);
    }
  }
};

// ---------------------------------------------------------------- approvals

/** `rounds`: the waits so far in this execution; `why`: the reason asked (read once, at the start); `decided`: the result held while a reminder is sent. */
interface ApprovalWaitFrame extends Frame {
  readonly machine: 'approvalWait';
  readonly at: 'start' | 'started' | 'requested' | 'waited' | 'reminded';
  readonly step: ApprovalWaitStep;
  readonly askedWhy: string | undefined;
  readonly why: string | undefined;
  readonly rounds: number;
  readonly decided?: StepResult | undefined;
}

const approvalWaitFrame = (step: ApprovalWaitStep, askedWhy?: string): ApprovalWaitFrame => ({
  machine: 'approvalWait',
  at: 'start',
  step,
  askedWhy,
  why: undefined,
  rounds: 0,
});

const approvalDeadline = (state: EngineState): number => (state.progress.deadlineMs ?? 0) + state.progress.pausedMs;

const approvalDetail = (frame: ApprovalWaitFrame): string =>
  `waiting for approval '${frame.step.name}'${frame.why ? ` (${frame.why})` : ''}`;

/** The approvalRequested notification of the wait (the first request, or a reminder). */
const approvalRequest = (state: EngineState, frame: ApprovalWaitFrame, reminder: boolean): NotifyFrame =>
  notifyFrame('approvalRequested', {
    approval: {
      step: state.stepIndex,
      name: frame.step.name,
      timeoutAtMs: approvalDeadline(state),
      ...(reminder ? { reminder: true } : {}),
      ...(frame.why === undefined ? {} : { why: frame.why }),
    },
  });

/** Returns the StepResult. */
const approvalWait: Machine<ApprovalWaitFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  const { step } = frame;
  switch (frame.at) {
    case 'start': {
      // Kept on the step's progress: after continueAsNew the wait goes on with the same name and why.
      if (frame.askedWhy !== undefined) state.progress.approvalWhy = frame.askedWhy;
      if (state.progress.awaitingDataApproval) state.progress.approvalName = step.name;
      if (state.progress.deadlineMs === undefined) state.progress.deadlineMs = ctx.now() + step.timeoutMinutes * MINUTE_MS;
      return call(moved(frame, { at: 'started', why: state.progress.approvalWhy }), applyFrame({ kind: 'approvalWaitStarted' }));
    }
    case 'started':
      returnedOf(resume);
      state.status.waitingFor = { kind: 'approval', untilMs: approvalDeadline(state), detail: approvalDetail(frame) };
      if (!state.progress.approvalRequested) {
        state.progress.approvalRequested = true;
        note(ctx, `waiting for approval '${step.name}' until ${new Date(approvalDeadline(state)).toISOString()}`);
        return call({ ...frame, at: 'requested' }, approvalRequest(state, frame, false));
      }
      return approvalRound(ctx, frame, 0);
    case 'requested':
      returnedOf(resume);
      return approvalRound(ctx, frame, 0);
    case 'waited': {
      const wait = returnedOf<WaitResult>(resume);
      if (wait.kind === 'approval' || wait.kind === 'timer') {
        const decision =
          wait.kind === 'approval' ? onApprovalEvent(state, step, wait.event, ctx.now()) : onApprovalTimeout(state, step, ctx.now());
        for (const message of decision.notes) note(ctx, message);
        if (decision.remind) return call(moved(frame, { at: 'reminded', decided: decision.result }), approvalRequest(state, frame, true));
        if (decision.result) return done(decision.result);
        return approvalRound(ctx, frame, frame.rounds + 1);
      }
      const change = flowChange(wait);
      if (change && change.kind !== 'stay') return done(change);
      return approvalRound(ctx, frame, frame.rounds + 1);
    }
    case 'reminded':
      returnedOf(resume);
      if (frame.decided) return done(frame.decided);
      return approvalRound(ctx, frame, frame.rounds + 1);
  }
};

/** One wait of the approval loop (the rules are approval-decider.ts's; this loop waits and carries out its answers). */
function approvalRound(ctx: MachineContext, frame: ApprovalWaitFrame, rounds: number): Next {
  const { state } = ctx;
  if (rounds >= MAX_WAITS_PER_EXECUTION) return done({ kind: 'stay' } satisfies StepResult);
  state.status.waitingFor = { kind: 'approval', untilMs: approvalDeadline(state), detail: approvalDetail(frame) };
  return call(moved(frame, { at: 'waited', rounds, decided: undefined }), waitForFrame(approvalDeadline(state), { approval: true }));
}

// ---------------------------------------------------------------- the bake/gate loop

/** `rounds`: the looks so far in this execution; `round` and `decision`: the look's, held while the gate failure is notified. */
interface BakeLoopFrame extends Frame {
  readonly machine: 'bakeLoop';
  readonly at: 'start' | 'waited' | 'checked' | 'gateFailedNotified' | 'approved';
  readonly step: BakeOrGateStep;
  readonly rounds: number;
  readonly round?: GateRound | undefined;
  readonly decision?: LookDecision | undefined;
}

const bakeLoopFrame = (step: BakeOrGateStep): BakeLoopFrame => ({ machine: 'bakeLoop', at: 'start', step, rounds: 0 });

/** Returns the StepResult. The rules are bake-decider.ts's; this loop waits, looks and carries out its answers. */
const bakeLoop: Machine<BakeLoopFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  const { step } = frame;
  switch (frame.at) {
    case 'start':
      return bakeRound(ctx, frame, 0);
    case 'waited': {
      const change = flowChange(returnedOf<WaitResult>(resume));
      if (change) {
        if (change.kind === 'stay') return bakeRound(ctx, frame, frame.rounds + 1);
        return done(change);
      }
      return look(ctx, frame);
    }
    case 'checked': {
      const round = returnedOf<GateRound>(resume);
      // A deployment or the endpoint the look relies on is gone: roll back with the reason (endpoint-check.ts).
      if (round.lost) return done(lostEndpointResult(state.plan.target.endpoint, round.lost));
      const decision = judgeLook(step, state.progress, ctx.now(), round, adaptiveLook(step, state.progress, ctx.now(), round.arms));
      if (decision.kind === 'done' && decision.gateFailed && round.failed)
        return call(
          moved(frame, { at: 'gateFailedNotified', round, decision }),
          notifyFrame('gateFailed', round.failed.result ? { gate: round.failed.result } : {}),
        );
      return judged(ctx, frame, decision, round);
    }
    case 'gateFailedNotified':
      returnedOf(resume);
      if (!frame.decision) throw new Error('bakeLoop: a gate failure notified without its decision');
      return judged(ctx, frame, frame.decision, frame.round);
    case 'approved':
      return done(returnedOf<StepResult>(resume));
  }
};

/** The start of one round: wait for the next look (when one is due later), else look now. */
function bakeRound(ctx: MachineContext, frame: BakeLoopFrame, rounds: number): Next {
  const { state } = ctx;
  if (rounds >= MAX_WAITS_PER_EXECUTION) return done({ kind: 'stay' } satisfies StepResult);
  const at: BakeLoopFrame = { ...frame, rounds, round: undefined, decision: undefined };
  const next = nextLook(frame.step, state.progress, ctx.now(), rounds === 0);
  if (next) {
    state.status.waitingFor = next.waitingFor;
    return call({ ...at, at: 'waited' }, waitForFrame(next.untilMs, { approval: false }));
  }
  return look(ctx, at);
}

/** A look: the time alone decides a plain bake; a step with gates checks them. */
function look(ctx: MachineContext, frame: BakeLoopFrame): Next {
  const { state } = ctx;
  const { step } = frame;
  state.status.waitingFor = undefined;
  const decision = timeOnlyLook(step, state.progress, ctx.now());
  if (decision) return judged(ctx, frame, decision, undefined);
  const adaptive = step.kind === 'bake' && step.adaptive !== undefined;
  return call(
    { ...frame, at: 'checked' },
    checkGateRoundFrame(step.gates, {
      candidateOnly: step.kind === 'bake' && step.candidateOnly === true,
      armsSinceMs: adaptive ? state.progress.startedAtMs : undefined,
    }),
  );
}

/** Carries out a look's decision: its notes, the hooks, the result, the no-data outcome, or another round. */
function judged(ctx: MachineContext, frame: BakeLoopFrame, decision: LookDecision, round: GateRound | undefined): Next {
  const { state } = ctx;
  const { plan } = state;
  const { step } = frame;
  for (const message of decision.notes) note(ctx, message);
  if (
    decision.kind === 'done' &&
    decision.result.kind === 'rollback' &&
    decision.gateFailed &&
    round?.failed &&
    failedGateOutcome(plan.gates[round.failed.gate]) === 'requestApproval'
  ) {
    // Prediction-agreement hook: its policy's onDisagreement may ask a person instead of rolling back.
    return noDataOutcome(ctx, frame, 'requestApproval', decision.result.reason);
  }
  if (decision.kind === 'done' && decision.result.kind === 'advance' && round?.costApproval !== undefined) {
    // Cost hook: the no-data approval path, asked once per rollout (src/orchestration/cost-approval.ts).
    state.facts.costApprovalAsked = true;
    state.progress.awaitingDataApproval = true;
    return call(
      { ...frame, at: 'approved' },
      approvalWaitFrame({ ...noDataApproval(plan), name: 'cost' }, `serving cost: ${round.costApproval}`),
    );
  }
  if (decision.kind === 'done') return done(decision.result);
  if (decision.kind === 'noData') return noDataOutcome(ctx, frame, step.noDataOutcome, decision.why);
  return bakeRound(ctx, frame, frame.rounds + 1);
}

/** The policy's answer to missing data; a person's approval is the approval wait, called from the bake's frame. */
function noDataOutcome(ctx: MachineContext, frame: BakeLoopFrame, outcome: 'extend' | 'requestApproval' | 'rollback', why: string): Next {
  const { state } = ctx;
  if (outcome === 'rollback') return done({ kind: 'rollback', outcome: 'rolledBack', reason: `no data: ${why}` } satisfies StepResult);
  if (outcome === 'extend') {
    // Counts the extension and restarts the step's window (bounded history: one more execution).
    const bound = extendForNoData(state.progress, state.plan.steps[state.stepIndex], ctx.now(), why);
    if (bound) return done(bound);
    note(ctx, `no data yet (${why}); the policy says keep extending (extension ${state.progress.noDataExtensions})`);
    return done({ kind: 'stay' } satisfies StepResult);
  }
  // requestApproval: a person decides whether to go on without the data.
  state.progress.awaitingDataApproval = true;
  return call({ ...frame, at: 'approved' }, approvalWaitFrame(noDataApproval(state.plan, state.stepIndex), why));
}

// ---------------------------------------------------------------- decideWinner (A/B)

type DecideWinnerStep = Extract<Step, { kind: 'decideWinner' }>;

/** `sinceMs`: the data's start; `endMs`: the round's deadline (read before its wait); `look`: the look asked for. */
interface DecideWinnerFrame extends Frame {
  readonly machine: 'decideWinner';
  readonly at: 'start' | 'waited' | 'looked';
  readonly step: DecideWinnerStep;
  readonly rounds: number;
  readonly sinceMs: number;
  readonly endMs: number;
  readonly look: number;
}

const decideWinnerFrame = (step: DecideWinnerStep): DecideWinnerFrame => ({
  machine: 'decideWinner',
  at: 'start',
  step,
  rounds: 0,
  sinceMs: 0,
  endMs: 0,
  look: 0,
});

/** Returns the StepResult. */
const decideWinner: Machine<DecideWinnerFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  const { plan } = state;
  const { step } = frame;
  switch (frame.at) {
    case 'start':
      gateSpec(state, step.gate);
      return winnerRound(ctx, { ...frame, sinceMs: state.facts.splitSetAtMs ?? state.progress.startedAtMs ?? ctx.now() }, 0);
    case 'waited': {
      const change = flowChange(returnedOf<WaitResult>(resume));
      if (change) {
        if (change.kind === 'stay') return winnerRound(ctx, frame, frame.rounds + 1);
        return done(change);
      }
      const final = ctx.now() >= frame.endMs;
      const look = (state.progress.looks[step.gate] ?? 0) + 1;
      state.progress.looks[step.gate] = look;
      return ask(
        moved(frame, { at: 'looked', look }),
        callActivity(ACTIVITY.decideWinner, {
          target: plan.target,
          gate: gateSpec(state, step.gate),
          baseline: plan.baseline.deployment,
          candidate: plan.candidate.deployment,
          nowMs: ctx.now(),
          sinceMs: frame.sinceMs,
          minRequestsPerArm: step.minRequestsPerArm,
          look,
          final,
        }),
      );
    }
    case 'looked': {
      const out = outputOf(ACTIVITY.decideWinner, answerOf(resume));
      if (out.result) state.status.gates = [out.result];
      state.status.evidenceHistory = recordLooks(
        state.status.evidenceHistory,
        plan,
        out.result ? [out.result] : [],
        state.status.traffic,
        state.status.mirror,
      );
      note(ctx, `A/B look ${frame.look}: ${out.winner}: ${out.reason}`);
      if (out.error) {
        if (countQueryError(state.progress, queryErrorLimit(step)))
          return done({
            kind: 'rollback',
            outcome: 'rolledBack',
            reason: `A/B queries failed ${state.progress.queryErrors} times: ${out.error.message}`,
          } satisfies StepResult);
      }
      state.status.waitingFor = undefined;
      if (out.winner === 'candidate') {
        state.status.winner = { deployment: plan.candidate.deployment, reason: out.reason };
        return done({ kind: 'advance' } satisfies StepResult);
      }
      if (out.winner === 'baseline') {
        state.status.winner = { deployment: plan.baseline.deployment, reason: out.reason };
        return done({ kind: 'rollback', outcome: 'rolledBack', reason: `A/B test: the baseline wins: ${out.reason}` } satisfies StepResult);
      }
      if (ctx.now() >= frame.endMs) {
        state.status.winner = {
          deployment: plan.baseline.deployment,
          reason: `no winner after ${step.maxWaitMinutes} min (${out.reason}); a tie keeps the baseline`,
        };
        return done({
          kind: 'rollback',
          outcome: 'rolledBack',
          reason: `A/B test undecided after ${step.maxWaitMinutes} min; the baseline is kept`,
        } satisfies StepResult);
      }
      return winnerRound(ctx, frame, frame.rounds + 1);
    }
  }
};

/** One round: wait for the next look (or the step's end), collecting data meanwhile. */
function winnerRound(ctx: MachineContext, frame: DecideWinnerFrame, rounds: number): Next {
  const { state } = ctx;
  const { step } = frame;
  if (rounds >= MAX_WAITS_PER_EXECUTION) return done({ kind: 'stay' } satisfies StepResult);
  const endMs = stepDeadline(state.progress, step.maxWaitMinutes);
  const until = Math.min(ctx.now() + step.checkIntervalMinutes * MINUTE_MS, endMs);
  state.status.waitingFor = {
    kind: 'data',
    untilMs: endMs,
    detail: `collecting A/B data on '${step.gate}' (${step.minRequestsPerArm} requests per arm)`,
  };
  return call(moved(frame, { at: 'waited', rounds, endMs }), waitForFrame(until, { approval: false }));
}

// ---------------------------------------------------------------- runStep: the entry

/** Each stop is named after what has just happened; 'delegated': a step kind's own machine ran it. */
export interface RunStepFrame extends Frame {
  readonly machine: 'runStep';
  readonly at:
    'start' | 'delegated' | 'deployed' | 'replaced' | 'smokeTested' | 'mirrored' | 'trafficSet' | 'promoted' | 'kept' | 'deleted';
  readonly step: Step;
}
export const runStepFrame = (step: Step): RunStepFrame => ({ machine: 'runStep', at: 'start', step });

/** The frame's step, of the kind its stop belongs to. */
function stepOf<K extends Step['kind']>(frame: RunStepFrame, kind: K): Extract<Step, { kind: K }> {
  if (frame.step.kind !== kind) throw new Error(`runStep: stopped at '${frame.at}' of a ${frame.step.kind} step, expected ${kind}`);
  return frame.step as Extract<Step, { kind: K }>;
}

type RacedOutput<N extends ActivityName> = ActivityOutput<N> | typeof INTERRUPTED;

/** Returns the StepResult the decider applies. */
const runStepMachine: Machine<RunStepFrame> = (ctx, frame, resume) => {
  const { state } = ctx;
  switch (frame.at) {
    case 'start':
      return startStep(ctx, frame);
    case 'delegated':
      return done(returnedOf<StepResult>(resume));
    case 'deployed': {
      const out = returnedOf<RacedOutput<typeof ACTIVITY.createDeployment>>(resume);
      if ('interrupted' in out) return done({ kind: 'stay' } satisfies StepResult);
      note(ctx, `deployment '${out.deployment.name}' is ${out.deployment.provisioningState} serving ${out.deployment.modelId}`);
      return done({ kind: 'advance' } satisfies StepResult);
    }
    case 'replaced': {
      const out = returnedOf<RacedOutput<typeof ACTIVITY.replaceModel>>(resume);
      if ('interrupted' in out) return done({ kind: 'stay' } satisfies StepResult);
      note(ctx, `deployment '${out.deployment.name}' now serves ${out.deployment.modelId}`);
      return done({ kind: 'advance' } satisfies StepResult);
    }
    case 'smokeTested': {
      const step = stepOf(frame, 'smokeTest');
      const out = outputOf(ACTIVITY.smokeTest, answerOf(resume));
      note(ctx, `smoke test of '${step.deployment}': ${out.passed ? 'passed' : 'FAILED'}: ${out.reason}`);
      if (!out.passed)
        return done({
          kind: 'rollback',
          outcome: 'rolledBack',
          reason: `smoke test of '${step.deployment}' failed: ${out.reason}`,
        } satisfies StepResult);
      if (!state.facts.smokePassed.includes(step.deployment)) state.facts.smokePassed.push(step.deployment);
      return done({ kind: 'advance' } satisfies StepResult);
    }
    case 'mirrored':
      returnedOf(resume);
      return done({ kind: 'advance' } satisfies StepResult);
    case 'trafficSet':
      returnedOf(resume);
      state.facts.splitSetAtMs = ctx.now();
      return done({ kind: 'advance' } satisfies StepResult);
    case 'promoted':
      returnedOf(resume);
      state.facts.promoted = true;
      note(ctx, `promoted: ${formatSplit(state.status.traffic)}`);
      return done({ kind: 'advance' } satisfies StepResult);
    case 'kept': {
      const step = stepOf(frame, 'cleanup');
      const change = flowChange(returnedOf<WaitResult>(resume));
      if (change) return done(change);
      if (ctx.now() < stepDeadline(state.progress, step.afterMinutes)) return done({ kind: 'stay' } satisfies StepResult);
      return cleanupDelete(ctx, frame);
    }
    case 'deleted': {
      const step = stepOf(frame, 'cleanup');
      const out = outputOf(ACTIVITY.deleteDeployment, answerOf(resume));
      note(ctx, out.deleted ? `deleted '${step.deployment}'` : `'${step.deployment}' was already gone`);
      return done({ kind: 'advance' } satisfies StepResult);
    }
  }
};

function startStep(ctx: MachineContext, frame: RunStepFrame): Next {
  const { state } = ctx;
  const plan = state.plan;
  const target = plan.target;
  const step = frame.step;
  if (state.progress.awaitingDataApproval) {
    // Started by an earlier execution: the same approval (a cost approval keeps its name).
    const approval = noDataApproval(plan, state.stepIndex);
    return call({ ...frame, at: 'delegated' }, approvalWaitFrame({ ...approval, name: state.progress.approvalName ?? approval.name }));
  }
  switch (step.kind) {
    case 'deploy':
      state.facts.candidateCreated = true;
      return call(
        { ...frame, at: 'deployed' },
        racingControlsFrame(ACTIVITY.createDeployment, {
          target,
          deployment: step.deployment,
          cloneFrom: step.cloneFrom,
          modelId: step.modelId,
          rolloutId: plan.rolloutId,
          ...(step.instanceCount === undefined ? {} : { instanceCount: step.instanceCount }),
        }),
      );
    case 'replaceModel':
      state.facts.modelReplaced = true;
      return call(
        { ...frame, at: 'replaced' },
        racingControlsFrame(ACTIVITY.replaceModel, { target, deployment: step.deployment, modelId: step.modelId }),
      );
    case 'smokeTest':
      return ask({ ...frame, at: 'smokeTested' }, smokeTestCall(state, step));
    case 'mirror': {
      const mirror = step.percent > 0 ? { [step.deployment]: step.percent } : {};
      // Never write an empty live split by accident: unknown live traffic means the baseline's.
      const live = Object.keys(state.status.traffic).length > 0 ? { ...state.status.traffic } : { ...rollbackSplit(plan) };
      return call({ ...frame, at: 'mirrored' }, writeTrafficFrame(live, mirror));
    }
    case 'setTraffic': {
      const traffic = { ...step.traffic };
      return call({ ...frame, at: 'trafficSet' }, writeTrafficFrame(traffic, mirrorAfterLiveChange(traffic, state.status.mirror)));
    }
    case 'bake':
    case 'gate':
      return call({ ...frame, at: 'delegated' }, bakeLoopFrame(step));
    case 'decideWinner':
      return call({ ...frame, at: 'delegated' }, decideWinnerFrame(step));
    case 'approval':
      return call({ ...frame, at: 'delegated' }, approvalWaitFrame(step));
    case 'promote':
      return call({ ...frame, at: 'promoted' }, writeTrafficFrame(promoteSplit(plan), {}));
    case 'rollback':
      return done({ kind: 'rollback', outcome: 'rolledBack', reason: 'the plan rolls back here' } satisfies StepResult);
    case 'cleanup': {
      const endMs = stepDeadline(state.progress, step.afterMinutes);
      if (ctx.now() < endMs) {
        state.status.waitingFor = { kind: 'timer', untilMs: endMs, detail: `keeping '${step.deployment}' for rollback` };
        return call({ ...frame, at: 'kept' }, waitForFrame(endMs, { approval: false }));
      }
      return cleanupDelete(ctx, frame);
    }
  }
}

/** The cleanup step's delete, once the deployment has been kept long enough for a rollback. */
function cleanupDelete(ctx: MachineContext, frame: RunStepFrame): Next {
  const { state } = ctx;
  const plan = state.plan;
  const step = stepOf(frame, 'cleanup');
  state.status.waitingFor = undefined;
  if (step.deployment.toLowerCase() === plan.candidate.deployment.toLowerCase())
    throw new Error(`cleanup would delete the candidate '${step.deployment}'`);
  return ask(
    { ...frame, at: 'deleted' },
    callActivity(ACTIVITY.deleteDeployment, { target: plan.target, deployment: step.deployment, facts: trafficFacts(state) }, true),
  );
}

export const stepMachines = {
  runStep: runStepMachine,
  callRacingControls,
  checkGateRound,
  approvalWait,
  bakeLoop,
  decideWinner,
};

// ---------------------------------------------------------------- rollback and end
