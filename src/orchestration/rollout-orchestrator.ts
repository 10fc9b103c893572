/**
 * The rollout orchestrator: runs a Plan with a step index and a compact state.
 *
 * Replay rules (docs/architecture.md): no I/O, no wall clock, no randomness here; time is
 * context.df.currentUtcDateTime; logs are guarded by isReplaying.
 *
 * Shape of one execution: run one unit of work (a step, a rollback, a bounded part of a long
 * wait), publish the status, then continueAsNew with the state. History therefore holds one
 * step's events at most, and replay cost does not grow with the rollout's length.
 *
 * External events: every wait races a timer against fresh control / approval listeners. The
 * library completes the newest open listener of a name first, and older listeners that lost
 * their race stay open, so an event that arrives while an activity runs may complete one of
 * those: the Inbox keeps every listener of this execution and harvests all completed ones after
 * each yield. Before continueAsNew a zero-length wait drains anything still buffered, so no
 * operator's click is lost between executions.
 */
import * as df from 'durable-functions';
import type { ZodType } from 'zod';
import { failedGateOutcome } from '../analysis/agreement';
import { agreementHeadline } from '../analysis/describe';
import type { GateResult } from '../analysis/types';
import type { Outcome, Phase, Plan, RolloutStatus, Step } from '../plan/types';
import { assertTransition } from '../plan/phases';
import { formatSplit, formatTraffic, stepStatus } from '../plan/describe';
import { tickPhaseClock } from '../plan/time-spent';
import { ACTIVITY, ENDPOINT_LEASE_ENTITY, type ActivityName } from './activity-names';
import { activityContract, type ActivityInput, type ActivityOutput } from './activity-registry';
import { fitStatusToBudget } from '../plan/status-budget';
import * as contract from './activity-contracts';
import {
  APPROVAL_EVENT,
  CONTROL_EVENT,
  approvalEventSchema,
  controlEventSchema,
  rolloutInputSchema,
  type ApprovalEvent,
  type ControlEvent,
  type RolloutInput,
} from './events';
import { decide, recordStrayApprovals, type DeciderInput, type StepResult } from './decider';
import {
  LEASE_POLL_MINUTES,
  countNewRequests,
  countQueryError,
  queryErrorLimit,
  MAX_WAITS_PER_EXECUTION,
  decideControl,
  emptyProgress,
  initialStatus,
  journal,
  mirrorAfterLiveChange,
  promoteSplit,
  recordOverride,
  rollbackSplit,
  type EngineState,
} from './engine-state';
import { endpointLeaseKey, type LeaseAnswer } from './endpoint-lease';
import { recordLooks } from '../plan/evidence-history';
import { costApprovalDue } from './cost-approval';
import { adaptiveLook, judgeLook, nextLook, stepDeadline, timeOnlyLook } from './bake-decider';
import { noDataApproval, onApprovalEvent, onApprovalTimeout, type ApprovalWaitStep } from './approval-decider';
import { lostEndpointResult } from './endpoint-check';
import { noDataExtensionLimit } from './step-bounds';

const MINUTE_MS = 60_000;
/** A Failed rollout re-reads its endpoint lease this often (a newer version may supersede it). */
const FAILED_LEASE_CHECK_MINUTES = 15;

type Ctx = df.OrchestrationContext;
type Gen<T> = Generator<df.Task, T, unknown>;

/** The input of every execution after the first. */
export interface ContinuationInput {
  readonly continuation: true;
  readonly state: EngineState;
}

function isContinuation(input: unknown): input is ContinuationInput {
  return typeof input === 'object' && input !== null && (input as { continuation?: unknown }).continuation === true;
}

function nowMs(context: Ctx): number {
  return context.df.currentUtcDateTime.getTime();
}

function log(context: Ctx, message: string): void {
  if (!context.df.isReplaying) context.log(`[rollout ${context.df.instanceId}] ${message}`);
}

/** `[Code] message` from an activity failure (see activityFailureMessage in src/activities). */
export function failureOf(error: unknown): { code: string; message: string } {
  const full = error instanceof Error ? error.message : String(error);
  // The host may append the activity's stack trace to the message: keep the message only.
  const text = full.split(/\n\s+at /)[0] ?? full;
  const match = /\[([A-Za-z]+)\]\s*([\s\S]*)/.exec(text);
  // "Reason \n Details" (older hosts) repeats the message with the stack: the first line is it.
  if (match) return { code: match[1] ?? 'Internal', message: (match[2] ?? text).split('\n')[0]?.trim() ?? text };
  return { code: 'Internal', message: text.split('\n')[0]?.trim() ?? text };
}

// ---------------------------------------------------------------- inbox

interface Listener {
  readonly task: df.Task;
  handled: boolean;
}

class Inbox {
  private readonly controls: Listener[] = [];
  private readonly approvals: Listener[] = [];
  constructor(private readonly context: Ctx) {}

  control(): df.Task {
    const task = this.context.df.waitForExternalEvent(CONTROL_EVENT);
    this.controls.push({ task, handled: false });
    return task;
  }

  approval(): df.Task {
    const task = this.context.df.waitForExternalEvent(APPROVAL_EVENT);
    this.approvals.push({ task, handled: false });
    return task;
  }

  /** Control events delivered and not handled yet (approvals stay for the next harvest). */
  harvestControls(): unknown[] {
    return Inbox.take(this.controls);
  }

  private static take(list: Listener[]): unknown[] {
    const out: unknown[] = [];
    for (const listener of list) {
      if (!listener.handled && listener.task.isCompleted) {
        listener.handled = true;
        out.push(listener.task.result);
      }
    }
    return out;
  }

  /** Every event delivered to a listener of this execution and not handled yet. */
  harvest(): { controls: unknown[]; approvals: unknown[] } {
    return { controls: Inbox.take(this.controls), approvals: Inbox.take(this.approvals) };
  }
}

// ---------------------------------------------------------------- status

function setPhase(state: EngineState, phase: Phase): void {
  const from = state.status.phase;
  if (from === phase) return;
  assertTransition(from, phase);
  state.status.phase = phase;
}

function publish(context: Ctx, state: EngineState): void {
  state.status.updatedAtMs = nowMs(context);
  state.status.phaseClock = tickPhaseClock(state.status.phaseClock, state.status.phase, state.status.paused, state.status.updatedAtMs);
  state.status.step = stepStatus(state.plan, Math.min(state.stepIndex, state.plan.steps.length));
  // Fitted when serialized (at the next yield), not now: the status has always shown what changed after publish() until then.
  context.df.setCustomStatus({ toJSON: () => fitStatusToBudget(state.status as RolloutStatus) });
}

function note(context: Ctx, state: EngineState, message: string, traffic?: Record<string, number>, mirror?: Record<string, number>): void {
  journal(state, nowMs(context), message, traffic, mirror);
  log(context, message);
}

// ---------------------------------------------------------------- activities

/** Calls an activity by its registry entry; the answer is checked with the entry's output schema. */
function* call<N extends ActivityName>(context: Ctx, name: N, input: ActivityInput<N>): Gen<ActivityOutput<N>> {
  const result: unknown = yield context.df.callActivity(name, input);
  return contract.parseContract(activityContract(name).output as ZodType<ActivityOutput<N>>, result, `${name} output`);
}

/** A long operation that an operator's abort interrupted: the decider has already moved on. */
const INTERRUPTED = { interrupted: true } as const;

/**
 * Runs a long Azure operation (creating a deployment, replacing its model: minutes) while
 * listening for operator controls, so an abort or a supersede takes effect within seconds instead
 * of after the operation (issue 10, defect 4). The activity task races fresh control listeners
 * (context.df.Task.any); a control that wins is applied at once:
 *   - abort: the decider moves the rollout to RollingBack now and the status says so. The
 *     operation cannot be cancelled on Azure (a deployment that is Creating or Updating refuses a
 *     delete with 409), so this waits for it to settle before returning: the rollback that follows
 *     then undoes what the operation left behind, and never deletes before the create has written.
 *   - anything else (a pause, an ignored control): recorded as usual; the operation goes on.
 * The step code reads `INTERRUPTED` as "the decider already took the step's result".
 */
function* callRacingControls<N extends ActivityName>(
  context: Ctx,
  inbox: Inbox,
  state: EngineState,
  name: N,
  input: ActivityInput<N>,
): Gen<ActivityOutput<N> | typeof INTERRUPTED> {
  const task = context.df.callActivity(name, input);
  for (;;) {
    const winner: unknown = yield context.df.Task.any([task, inbox.control()]);
    const control = applyControls(context, state, inbox.harvestControls());
    if (control?.kind === 'abort') {
      yield* apply(context, state, {
        kind: 'stepResult',
        result: { kind: 'rollback', outcome: 'aborted', reason: `aborted by ${control.by}` },
      });
      publish(context, state);
      try {
        yield task;
        note(context, state, `${name}, in flight when the abort came, has finished; the rollback undoes it`);
      } catch (error) {
        note(context, state, `${name}, in flight when the abort came, failed: ${failureOf(error).message}`);
      }
      return INTERRUPTED;
    }
    if (winner === task) {
      if (task.isFaulted) yield task; // rethrows the activity's failure, as a plain call would
      return contract.parseContract(activityContract(name).output as ZodType<ActivityOutput<N>>, task.result, `${name} output`);
    }
    publish(context, state);
  }
}

/**
 * For idempotent reads and writes whose failure would otherwise end a rollout that is already
 * decided (reading the split, writing the verdict, the final cleanup): a few more attempts at the
 * orchestration level, minutes apart, beyond the activity's own quick retries.
 */
const DURABLE_RETRY = new df.RetryOptions(30_000, 3);
DURABLE_RETRY.backoffCoefficient = 2;

function* callWithRetry<N extends ActivityName>(context: Ctx, name: N, input: ActivityInput<N>): Gen<ActivityOutput<N>> {
  const result: unknown = yield context.df.callActivityWithRetry(name, DURABLE_RETRY, input);
  return contract.parseContract(activityContract(name).output as ZodType<ActivityOutput<N>>, result, `${name} output`);
}

function* notify(
  context: Ctx,
  state: EngineState,
  kind: contract.SendNotificationInput['kind'],
  extra: {
    gate?: GateResult;
    approval?: contract.SendNotificationInput['approval'];
    cleanup?: contract.SendNotificationInput['cleanup'];
  } = {},
): Gen<void> {
  const wanted = state.plan.notifications.on;
  // An empty `on` list means every kind; failures are logged by the activity, never fatal.
  if (wanted.length > 0 && !wanted.includes(kind)) return;
  try {
    // The plan's channels and kinds go along: the sender never re-reads the policy mid-rollout.
    yield context.df.callActivity(ACTIVITY.sendNotification, {
      kind,
      status: state.status,
      notifications: state.plan.notifications,
      ...extra,
    } satisfies contract.SendNotificationInput);
  } catch (error) {
    note(context, state, `notification ${kind} failed: ${failureOf(error).message}`);
  }
}

function nonZero(split: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(split)) if (value !== 0) out[name] = value;
  return out;
}

function facts(state: EngineState): contract.TrafficFacts {
  return { smokeTestPassed: [state.plan.baseline.deployment, ...state.facts.smokePassed] };
}

function* writeTraffic(context: Ctx, state: EngineState, traffic: Record<string, number>, mirror: Record<string, number>): Gen<void> {
  const result = yield* call(context, ACTIVITY.setTraffic, { target: state.plan.target, traffic, mirror, facts: facts(state) });
  state.status.traffic = result.traffic;
  state.status.mirror = result.mirror;
  note(context, state, `traffic set: ${formatTraffic(result.traffic, result.mirror)}`, result.traffic, result.mirror);
}

// ---------------------------------------------------------------- waiting

type WaitResult =
  | { kind: 'timer' }
  | { kind: 'approval'; event: ApprovalEvent }
  | { kind: 'abort'; by: string }
  | { kind: 'promote'; toIndex: number; by: string }
  | { kind: 'retry'; by: string }
  | { kind: 'resumed' };

/** Abort and promote-now also end a pause (the phase moves on from Paused with them). */
function endPause(state: EngineState, atMs: number): void {
  if (!state.status.paused) return;
  state.status.paused = false;
  if (state.progress.pausedAtMs !== undefined) state.progress.pausedMs += atMs - state.progress.pausedAtMs;
  state.progress.pausedAtMs = undefined;
  state.pausedFromPhase = undefined;
}

/**
 * Applies operator controls; returns the first one that changes the flow. Pause is handled
 * here: while paused, the rollout holds traffic where it is and waits for resume / abort /
 * promote only (the step's clock stops: paused time is added to the step's deadlines).
 */
function applyControls(context: Ctx, state: EngineState, raw: readonly unknown[]): WaitResult | undefined {
  const events: ControlEvent[] = [];
  for (const value of raw) {
    const parsed = controlEventSchema.safeParse(value);
    if (parsed.success) events.push(parsed.data);
    else
      note(
        context,
        state,
        `ignored a malformed control event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
  }
  events.sort((a, b) => a.atMs - b.atMs);
  let result: WaitResult | undefined;
  for (const event of events) {
    const at = nowMs(context);
    if (result) {
      note(context, state, `${event.action} by ${event.by} ignored: a ${result.kind} is already being handled`);
      continue;
    }
    const decision = decideControl(state, event);
    const record = {
      action: event.action,
      by: event.by,
      atMs: at,
      step: state.stepIndex,
      ...(event.comment === undefined ? {} : { comment: event.comment }),
    };
    if (decision.kind === 'ignored') {
      note(context, state, `${event.action} by ${event.by} ignored: ${decision.note}`);
      continue;
    }
    recordOverride(state, record);
    switch (decision.kind) {
      case 'pause':
        state.status.paused = true;
        state.progress.pausedAtMs = at;
        state.pausedFromPhase = state.status.phase;
        setPhase(state, 'Paused');
        note(context, state, `paused by ${event.by}${event.comment ? `: ${event.comment}` : ''}`);
        break;
      case 'resume':
        state.status.paused = false;
        if (state.status.phase === 'Paused') setPhase(state, state.pausedFromPhase ?? 'Progressing');
        state.pausedFromPhase = undefined;
        if (state.progress.pausedAtMs !== undefined) state.progress.pausedMs += at - state.progress.pausedAtMs;
        state.progress.pausedAtMs = undefined;
        note(context, state, `resumed by ${event.by}`);
        result = { kind: 'resumed' };
        break;
      case 'abort':
        endPause(state, at);
        result = { kind: 'abort', by: event.by };
        note(context, state, `abort requested by ${event.by}${event.comment ? `: ${event.comment}` : ''}`);
        break;
      case 'promote':
        endPause(state, at);
        result = { kind: 'promote', toIndex: decision.toIndex, by: event.by };
        note(context, state, `promote now requested by ${event.by}: skipping to step ${decision.toIndex + 1}`);
        break;
      case 'retry':
        result = { kind: 'retry', by: event.by };
        note(context, state, `retry requested by ${event.by}`);
        break;
    }
  }
  return result;
}

function recordStray(context: Ctx, state: EngineState, raw: readonly unknown[]): void {
  recordStrayApprovals(state, raw, nowMs(context));
}

/**
 * Waits until `untilMs` (or forever when undefined), for an approval when `approval` is set,
 * and always for operator controls. Harvests events that arrived during earlier activities first.
 */
function* waitFor(
  context: Ctx,
  inbox: Inbox,
  state: EngineState,
  untilMs: number | undefined,
  opts: { approval: boolean },
): Gen<WaitResult> {
  for (;;) {
    const harvested = inbox.harvest();
    const early = { controls: harvested.controls, approvals: [...state.carriedApprovals.splice(0), ...harvested.approvals] };
    const control = applyControls(context, state, early.controls);
    if (!opts.approval) recordStray(context, state, early.approvals);
    else if (early.approvals.length > 0) {
      // Deliver the first; later ones are looked at on the next round.
      const first = approvalEventSchema.safeParse(early.approvals[0]);
      state.carriedApprovals.push(...early.approvals.slice(1));
      if (first.success) return { kind: 'approval', event: first.data };
      recordStray(context, state, [early.approvals[0]]);
      continue;
    }
    if (control && control.kind !== 'resumed') return control;
    if (control?.kind === 'resumed') {
      publish(context, state);
      return control;
    }
    const paused = state.status.paused;
    const tasks: df.Task[] = [];
    let timer: df.TimerTask | undefined;
    if (!paused && untilMs !== undefined) {
      timer = context.df.createTimer(new Date(Math.max(untilMs, nowMs(context))));
      tasks.push(timer);
    }
    tasks.push(inbox.control());
    if (opts.approval && !paused) tasks.push(inbox.approval());
    if (paused) state.status.waitingFor = { kind: 'resume', detail: 'paused by an operator; resume, promote or abort' };
    publish(context, state);
    const winner: unknown = yield context.df.Task.any(tasks);
    if (timer !== undefined && winner === timer) return { kind: 'timer' };
    if (timer !== undefined && !timer.isCompleted) timer.cancel();
  }
}

// ---------------------------------------------------------------- steps

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
  context: Ctx,
  state: EngineState,
  names: readonly string[],
  opts: { candidateOnly: boolean; armsSinceMs?: number | undefined },
): Gen<GateRound> {
  const gates = gateSpecs(state, names);
  const looks: Record<string, number> = {};
  for (const gate of gates) looks[gate.name] = (state.progress.looks[gate.name] ?? 0) + 1;
  const out = yield* call(context, ACTIVITY.checkGates, {
    target: state.plan.target,
    gates,
    // After promotion (or for recreate) the baseline serves nothing: judge the candidate alone.
    baseline: opts.candidateOnly ? state.plan.candidate.deployment : state.plan.baseline.deployment,
    candidate: state.plan.candidate.deployment,
    nowMs: nowMs(context),
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
    note(context, state, `gates not checked: ${out.endpointProblems.join('; ')}`);
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
  note(context, state, `gates checked: ${summary}`);
  return round;
}

/** Handles a wait result that is not the expected timer/approval. */
function flowChange(wait: WaitResult): StepResult | undefined {
  switch (wait.kind) {
    case 'abort':
      return { kind: 'rollback', outcome: 'aborted', reason: `aborted by ${wait.by}` };
    case 'promote':
      return { kind: 'jump', toIndex: wait.toIndex };
    case 'retry':
    case 'resumed':
      return { kind: 'stay' };
    default:
      return undefined;
  }
}

function* noDataOutcome(
  context: Ctx,
  inbox: Inbox,
  state: EngineState,
  outcome: 'extend' | 'requestApproval' | 'rollback',
  why: string,
): Gen<StepResult> {
  if (outcome === 'rollback') return { kind: 'rollback', outcome: 'rolledBack', reason: `no data: ${why}` };
  if (outcome === 'extend') {
    const bound = noDataExtensionLimit(state.progress.noDataExtensions ?? 0, state.plan.steps[state.stepIndex], why);
    if (bound) return bound;
    state.progress.noDataExtensions = (state.progress.noDataExtensions ?? 0) + 1;
    note(context, state, `no data yet (${why}); the policy says keep extending (extension ${state.progress.noDataExtensions})`);
    // Restart the step's window (bounded history: one more execution).
    state.progress.startedAtMs = nowMs(context);
    state.progress.pausedMs = 0;
    return { kind: 'stay' };
  }
  // requestApproval: a person decides whether to go on without the data.
  state.progress.awaitingDataApproval = true;
  return yield* approvalWait(context, inbox, state, noDataApproval(state.plan, state.stepIndex), why);
}

function* approvalWait(context: Ctx, inbox: Inbox, state: EngineState, step: ApprovalWaitStep, why?: string): Gen<StepResult> {
  if (state.progress.deadlineMs === undefined) state.progress.deadlineMs = nowMs(context) + step.timeoutMinutes * MINUTE_MS;
  setPhase(state, 'AwaitingApproval');
  const deadline = (): number => (state.progress.deadlineMs ?? 0) + state.progress.pausedMs;
  state.status.waitingFor = {
    kind: 'approval',
    untilMs: deadline(),
    detail: `waiting for approval '${step.name}'${why ? ` (${why})` : ''}`,
  };
  if (!state.progress.approvalRequested) {
    state.progress.approvalRequested = true;
    note(context, state, `waiting for approval '${step.name}' until ${new Date(deadline()).toISOString()}`);
    yield* notify(context, state, 'approvalRequested', { approval: { step: state.stepIndex, name: step.name, timeoutAtMs: deadline() } });
  }
  // The rules are approval-decider.ts's; this loop waits and carries out its answers.
  for (let rounds = 0; rounds < MAX_WAITS_PER_EXECUTION; rounds++) {
    state.status.waitingFor = {
      kind: 'approval',
      untilMs: deadline(),
      detail: `waiting for approval '${step.name}'${why ? ` (${why})` : ''}`,
    };
    const wait = yield* waitFor(context, inbox, state, deadline(), { approval: true });
    if (wait.kind === 'approval' || wait.kind === 'timer') {
      const decision =
        wait.kind === 'approval'
          ? onApprovalEvent(state, step, wait.event, nowMs(context))
          : onApprovalTimeout(state, step, nowMs(context));
      for (const message of decision.notes) note(context, state, message);
      if (decision.remind)
        yield* notify(context, state, 'approvalRequested', {
          approval: { step: state.stepIndex, name: step.name, timeoutAtMs: deadline(), reminder: true },
        });
      if (decision.result) return decision.result;
      continue;
    }
    const change = flowChange(wait);
    if (change && change.kind !== 'stay') return change;
  }
  return { kind: 'stay' };
}

function* runStep(context: Ctx, inbox: Inbox, state: EngineState, step: Step): Gen<StepResult> {
  const plan = state.plan;
  const target = plan.target;
  if (state.progress.awaitingDataApproval) {
    return yield* approvalWait(context, inbox, state, noDataApproval(plan, state.stepIndex));
  }
  switch (step.kind) {
    case 'deploy': {
      state.facts.candidateCreated = true;
      const out = yield* callRacingControls(context, inbox, state, ACTIVITY.createDeployment, {
        target,
        deployment: step.deployment,
        cloneFrom: step.cloneFrom,
        modelId: step.modelId,
        rolloutId: plan.rolloutId,
        ...(step.instanceCount === undefined ? {} : { instanceCount: step.instanceCount }),
      });
      if ('interrupted' in out) return { kind: 'stay' };
      note(context, state, `deployment '${out.deployment.name}' is ${out.deployment.provisioningState} serving ${out.deployment.modelId}`);
      return { kind: 'advance' };
    }
    case 'replaceModel': {
      state.facts.modelReplaced = true;
      const out = yield* callRacingControls(context, inbox, state, ACTIVITY.replaceModel, {
        target,
        deployment: step.deployment,
        modelId: step.modelId,
      });
      if ('interrupted' in out) return { kind: 'stay' };
      note(context, state, `deployment '${out.deployment.name}' now serves ${out.deployment.modelId}`);
      return { kind: 'advance' };
    }
    case 'smokeTest': {
      const out = yield* call(context, ACTIVITY.smokeTest, {
        target,
        deployment: step.deployment,
        requests: step.requests,
        maxFailures: step.maxFailures,
        payload: step.payload,
      });
      note(context, state, `smoke test of '${step.deployment}': ${out.passed ? 'passed' : 'FAILED'}: ${out.reason}`);
      if (!out.passed)
        return { kind: 'rollback', outcome: 'rolledBack', reason: `smoke test of '${step.deployment}' failed: ${out.reason}` };
      if (!state.facts.smokePassed.includes(step.deployment)) state.facts.smokePassed.push(step.deployment);
      return { kind: 'advance' };
    }
    case 'mirror': {
      const mirror = step.percent > 0 ? { [step.deployment]: step.percent } : {};
      // Never write an empty live split by accident: unknown live traffic means the baseline's.
      const live = Object.keys(state.status.traffic).length > 0 ? { ...state.status.traffic } : { ...rollbackSplit(plan) };
      yield* writeTraffic(context, state, live, mirror);
      return { kind: 'advance' };
    }
    case 'setTraffic': {
      const traffic = { ...step.traffic };
      yield* writeTraffic(context, state, traffic, mirrorAfterLiveChange(traffic, state.status.mirror));
      state.facts.splitSetAtMs = nowMs(context);
      return { kind: 'advance' };
    }
    case 'bake':
    case 'gate': {
      // The rules are bake-decider.ts's; this loop waits, looks and carries out its answers.
      for (let rounds = 0; rounds < MAX_WAITS_PER_EXECUTION; rounds++) {
        const next = nextLook(step, state.progress, nowMs(context), rounds === 0);
        if (next) {
          state.status.waitingFor = next.waitingFor;
          const wait = yield* waitFor(context, inbox, state, next.untilMs, { approval: false });
          const change = flowChange(wait);
          if (change) {
            if (change.kind === 'stay') continue;
            return change;
          }
        }
        state.status.waitingFor = undefined;
        let decision = timeOnlyLook(step, state.progress, nowMs(context));
        let round: GateRound | undefined;
        if (!decision) {
          const adaptive = step.kind === 'bake' && step.adaptive !== undefined;
          round = yield* checkGateRound(context, state, step.gates, {
            candidateOnly: step.kind === 'bake' && step.candidateOnly === true,
            armsSinceMs: adaptive ? state.progress.startedAtMs : undefined,
          });
          // A deployment or the endpoint the look relies on is gone: roll back with the reason (endpoint-check.ts).
          if (round.lost) return lostEndpointResult(target.endpoint, round.lost);
          decision = judgeLook(step, state.progress, nowMs(context), round, adaptiveLook(step, state.progress, nowMs(context), round.arms));
          if (decision.kind === 'done' && decision.gateFailed && round.failed)
            yield* notify(context, state, 'gateFailed', round.failed.result ? { gate: round.failed.result } : {});
        }
        for (const message of decision.notes) note(context, state, message);
        if (
          decision.kind === 'done' &&
          decision.result.kind === 'rollback' &&
          decision.gateFailed &&
          round?.failed &&
          failedGateOutcome(plan.gates[round.failed.gate]) === 'requestApproval'
        ) {
          // Prediction-agreement hook: its policy's onDisagreement may ask a person instead of rolling back.
          return yield* noDataOutcome(context, inbox, state, 'requestApproval', decision.result.reason);
        }
        if (decision.kind === 'done' && decision.result.kind === 'advance' && round?.costApproval !== undefined) {
          // Cost hook: the no-data approval path, asked once per rollout (src/orchestration/cost-approval.ts).
          state.facts.costApprovalAsked = true;
          state.progress.awaitingDataApproval = true;
          return yield* approvalWait(
            context,
            inbox,
            state,
            { ...noDataApproval(plan), name: 'cost' },
            `serving cost: ${round.costApproval}`,
          );
        }
        if (decision.kind === 'done') return decision.result;
        if (decision.kind === 'noData') return yield* noDataOutcome(context, inbox, state, step.noDataOutcome, decision.why);
      }
      return { kind: 'stay' };
    }
    case 'decideWinner': {
      const spec = plan.gates[step.gate];
      if (!spec) throw new Error(`plan names gate '${step.gate}', which it does not declare`);
      const sinceMs = state.facts.splitSetAtMs ?? state.progress.startedAtMs ?? nowMs(context);
      for (let rounds = 0; rounds < MAX_WAITS_PER_EXECUTION; rounds++) {
        const endMs = stepDeadline(state.progress, step.maxWaitMinutes);
        const until = Math.min(nowMs(context) + step.checkIntervalMinutes * MINUTE_MS, endMs);
        state.status.waitingFor = {
          kind: 'data',
          untilMs: endMs,
          detail: `collecting A/B data on '${step.gate}' (${step.minRequestsPerArm} requests per arm)`,
        };
        const wait = yield* waitFor(context, inbox, state, until, { approval: false });
        const change = flowChange(wait);
        if (change) {
          if (change.kind === 'stay') continue;
          return change;
        }
        const final = nowMs(context) >= endMs;
        const look = (state.progress.looks[step.gate] ?? 0) + 1;
        state.progress.looks[step.gate] = look;
        const out = yield* call(context, ACTIVITY.decideWinner, {
          target,
          gate: spec,
          baseline: plan.baseline.deployment,
          candidate: plan.candidate.deployment,
          nowMs: nowMs(context),
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
        note(context, state, `A/B look ${look}: ${out.winner}: ${out.reason}`);
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
        if (nowMs(context) >= endMs) {
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
      return yield* approvalWait(context, inbox, state, step);
    case 'promote': {
      yield* writeTraffic(context, state, promoteSplit(plan), {});
      state.facts.promoted = true;
      note(context, state, `promoted: ${formatSplit(state.status.traffic)}`);
      return { kind: 'advance' };
    }
    case 'rollback':
      return { kind: 'rollback', outcome: 'rolledBack', reason: 'the plan rolls back here' };
    case 'cleanup': {
      const endMs = stepDeadline(state.progress, step.afterMinutes);
      if (nowMs(context) < endMs) {
        state.status.waitingFor = { kind: 'timer', untilMs: endMs, detail: `keeping '${step.deployment}' for rollback` };
        const wait = yield* waitFor(context, inbox, state, endMs, { approval: false });
        const change = flowChange(wait);
        if (change) return change;
        if (nowMs(context) < stepDeadline(state.progress, step.afterMinutes)) return { kind: 'stay' };
      }
      state.status.waitingFor = undefined;
      if (step.deployment.toLowerCase() === plan.candidate.deployment.toLowerCase())
        throw new Error(`cleanup would delete the candidate '${step.deployment}'`);
      const out = yield* callWithRetry(context, ACTIVITY.deleteDeployment, { target, deployment: step.deployment, facts: facts(state) });
      note(context, state, out.deleted ? `deleted '${step.deployment}'` : `'${step.deployment}' was already gone`);
      return { kind: 'advance' };
    }
  }
}

// ---------------------------------------------------------------- rollback and end

/** What a rollback could not delete once traffic was safe (retried in mode 'cleanup'). */
type Leftover = { deployment: string; error: string } | undefined;

/** The default undo: baseline 100% and the candidate removed; recreate reverts the model in place. */
function* defaultRollback(context: Ctx, state: EngineState): Gen<Leftover> {
  const plan = state.plan;
  if (plan.candidate.deployment.toLowerCase() === plan.baseline.deployment.toLowerCase()) {
    if (state.facts.modelReplaced) {
      yield* call(context, ACTIVITY.replaceModel, {
        target: plan.target,
        deployment: plan.baseline.deployment,
        modelId: plan.baseline.modelId,
      });
      note(context, state, `reverted '${plan.baseline.deployment}' to ${plan.baseline.modelId}`);
    }
    return undefined;
  }
  yield* writeTraffic(context, state, rollbackSplit(plan), {});
  if (!state.facts.candidateCreated) return undefined;
  try {
    yield* call(context, ACTIVITY.deleteDeployment, { target: plan.target, deployment: plan.candidate.deployment, facts: facts(state) });
  } catch (error) {
    // The baseline holds 100% again: the rollback's outcome stands; the delete is retried (decider).
    return { deployment: plan.candidate.deployment, error: failureOf(error).message };
  }
  note(context, state, `removed '${plan.candidate.deployment}'`);
  return undefined;
}

/** Runs the plan's rollback steps (the compiler's), or the default undo. */
function* rollBack(context: Ctx, state: EngineState): Gen<Leftover> {
  let leftover: Leftover;
  const plan = state.plan;
  // Whatever the rollout waited for (a bake, an approval) is over.
  state.status.waitingFor = undefined;
  publish(context, state);
  const steps: readonly Step[] = plan.rollbackSteps ?? [{ kind: 'rollback' }];
  for (const step of steps) {
    switch (step.kind) {
      case 'rollback':
        leftover = yield* defaultRollback(context, state);
        break;
      case 'replaceModel':
        // Only undo what was done: a rollout that failed before replacing the model leaves it be.
        if (!state.facts.modelReplaced) break;
        yield* call(context, ACTIVITY.replaceModel, { target: plan.target, deployment: step.deployment, modelId: step.modelId });
        note(context, state, `reverted '${step.deployment}' to ${step.modelId}`);
        break;
      case 'smokeTest': {
        if (!state.facts.modelReplaced && !state.facts.candidateCreated) break;
        const out = yield* call(context, ACTIVITY.smokeTest, {
          target: plan.target,
          deployment: step.deployment,
          requests: step.requests,
          maxFailures: step.maxFailures,
          payload: step.payload,
        });
        note(context, state, `health check after rollback: ${out.passed ? 'passed' : 'FAILED'}: ${out.reason}`);
        if (!out.passed) throw new Error(`[Internal] '${step.deployment}' is unhealthy after the rollback: ${out.reason}`);
        break;
      }
      case 'setTraffic':
        yield* writeTraffic(context, state, { ...step.traffic }, {});
        break;
      default:
        note(context, state, `rollback step '${step.kind}' is not supported in a rollback; skipped`);
    }
  }
  return leftover;
}

/** The effects of an outcome the decider reached: the verdict on the model version, the notification. */
function* finishEffects(context: Ctx, state: EngineState, outcome: Outcome, reason: string): Gen<void> {
  log(context, `${outcome}: ${reason}`);
  publish(context, state);
  try {
    yield* callWithRetry(context, ACTIVITY.writeModelVerdict, {
      model: { ...stateModelRef(state) },
      rolloutId: state.plan.rolloutId,
      outcome,
      reason,
      atMs: nowMs(context),
      // Cost hook: the plan's estimate of the rollout's own extra cost (src/plan/rollout-cost.ts).
      ...(state.plan.rolloutCost === undefined ? {} : { rolloutCost: state.plan.rolloutCost.summary }),
      ...(state.status.predictionAgreement ? { predictionAgreement: agreementHeadline(state.status.predictionAgreement) } : {}),
    });
    state.facts.verdictWritten = true;
  } catch (error) {
    note(context, state, `could not write the verdict onto the model version: ${failureOf(error).message}`);
  }
  yield* notify(context, state, outcome === 'promoted' ? 'promoted' : outcome === 'failed' ? 'failed' : 'rolledBack');
  publish(context, state);
}

function stateModelRef(state: EngineState): contract.WriteModelVerdictInput['model'] {
  const t = state.plan.target;
  return {
    subscriptionId: t.subscriptionId,
    resourceGroup: t.resourceGroup,
    workspace: t.workspace,
    model: state.plan.model.name,
    version: state.plan.model.version,
  };
}

/** Tells the endpoint's lease that this rollout is done with it (holder or queued). */
function signalRelease(context: Ctx, state: EngineState): void {
  context.df.signalEntity(new df.EntityId(ENDPOINT_LEASE_ENTITY, endpointLeaseKey(state.plan.target)), 'release', {
    rolloutId: state.plan.rolloutId,
    outcome: state.status.outcome,
    model: state.plan.model.name,
    version: state.plan.model.version,
  });
}

/** Read through a call: the decider may have ended the rollout since the last check. */
function hasEnded(state: EngineState): boolean {
  return state.mode === 'done';
}

/**
 * The interpreter's one entry into the decider: the decided state replaces the current one, and
 * the commands that need the outside world run here.
 */
type Happened = DeciderInput extends infer I ? (I extends DeciderInput ? Omit<I, 'atMs'> : never) : never;
function* apply(context: Ctx, state: EngineState, happened: Happened): Gen<void> {
  const decision = decide(state, { ...happened, atMs: nowMs(context) } as DeciderInput);
  Object.assign(state, decision.state);
  for (const command of decision.commands) {
    switch (command.kind) {
      case 'finish':
        yield* finishEffects(context, state, command.outcome, command.reason);
        break;
      case 'releaseLease':
        signalRelease(context, state);
        break;
      case 'resolve':
        yield* resolveUnit(context, state);
        break;
      case 'notify':
        yield* notify(context, state, command.notification, { cleanup: { deployment: command.deployment } });
        break;
    }
  }
}

// ---------------------------------------------------------------- units of work

/** First: which endpoint this rollout needs (the lease key) and its concurrency rule. */
function* resolveUnit(context: Ctx, state: EngineState): Gen<void> {
  let resolved: contract.ResolveTargetOutput;
  try {
    resolved = yield* call(context, ACTIVITY.resolveTarget, state.input);
  } catch (error) {
    yield* apply(context, state, { kind: 'resolveFailed', reason: failureOf(error).message });
    return;
  }
  yield* apply(context, state, { kind: 'resolved', target: resolved.target, concurrency: resolved.concurrency });
}

/** With the lease held: compile the plan against what is live on the endpoint now. */
function* planUnit(context: Ctx, state: EngineState): Gen<void> {
  let plan: Plan;
  try {
    plan = yield* call(context, ACTIVITY.planRollout, state.input);
  } catch (error) {
    yield* apply(context, state, { kind: 'planFailed', reason: failureOf(error).message });
    return;
  }
  yield* apply(context, state, { kind: 'planned', plan });
}

function* leaseUnit(context: Ctx, inbox: Inbox, state: EngineState): Gen<void> {
  const entity = new df.EntityId(ENDPOINT_LEASE_ENTITY, endpointLeaseKey(state.plan.target));
  let waited = false;
  for (let rounds = 0; rounds < MAX_WAITS_PER_EXECUTION; rounds++) {
    const answer = (yield context.df.callEntity(entity, 'acquire', {
      rolloutId: state.plan.rolloutId,
      model: state.plan.model.name,
      version: state.plan.model.version,
      concurrency: state.plan.concurrency,
      atMs: nowMs(context),
    })) as LeaseAnswer;
    if (answer.granted) {
      yield* apply(context, state, { kind: 'leaseGranted', waited });
      yield* planUnit(context, state);
      if (state.mode !== 'forward') return;
      // Start from what Azure holds: mirror and traffic steps change one part and keep the rest.
      const endpoint = yield* callWithRetry(context, ACTIVITY.getEndpointState, { target: state.plan.target });
      state.status.traffic = nonZero(endpoint.traffic);
      state.status.mirror = nonZero(endpoint.mirror);
      yield* notify(context, state, 'rolloutStarted');
      return;
    }
    if (answer.action === 'stale') {
      yield* apply(context, state, { kind: 'leaseStale', reason: answer.reason });
      return;
    }
    waited = true;
    if (answer.action === 'supersede' && !state.supersedeRequested) {
      state.supersedeRequested = true;
      try {
        const out = yield* call(context, ACTIVITY.requestSupersede, {
          instanceId: answer.holder,
          by: `system:supersede:${state.plan.rolloutId}`,
          reason: `superseded by ${state.plan.model.name}:${state.plan.model.version} (${state.plan.rolloutId})`,
          atMs: nowMs(context),
        });
        note(context, state, `asked rollout '${answer.holder}' to abort (superseded): ${out.detail}`);
      } catch (error) {
        // The lease entity carries the request too: the holder reads it at its next unit of work.
        note(
          context,
          state,
          `could not raise the abort on '${answer.holder}' (${failureOf(error).message}); it will see the supersede request in the endpoint lease`,
        );
      }
    }
    const holder = answer.holder;
    // No deadline on the status: the next poll is an implementation detail, the holder's end is what counts.
    state.status.waitingFor = { kind: 'timer', detail: `queued behind rollout '${holder}' on endpoint '${state.plan.target.endpoint}'` };
    const wait = yield* waitFor(context, inbox, state, nowMs(context) + LEASE_POLL_MINUTES * MINUTE_MS, { approval: false });
    if (wait.kind === 'abort') {
      yield* apply(context, state, { kind: 'abort', by: wait.by });
      return;
    }
  }
}

function* forwardUnit(context: Ctx, inbox: Inbox, state: EngineState): Gen<void> {
  const step = state.plan.steps[state.stepIndex];
  if (!step) {
    // The end of the plan: promoted (recreate and plans without a promote step end here too).
    yield* apply(context, state, {
      kind: 'planCompleted',
      reason: state.status.winner
        ? `the candidate won the A/B test: ${state.status.winner.reason}`
        : `all ${state.plan.steps.length} steps passed`,
    });
    return;
  }
  if (state.status.paused) {
    const wait = yield* waitFor(context, inbox, state, undefined, { approval: false });
    const happened = happenedOf(wait);
    if (happened) yield* apply(context, state, happened);
    return;
  }
  const retryAtMs = state.progress.retryAtMs;
  if (retryAtMs !== undefined && nowMs(context) < retryAtMs) {
    // A step that failed after promotion waits out its back-off (controls still work meanwhile).
    state.status.waitingFor = {
      kind: 'timer',
      untilMs: retryAtMs,
      detail: `retrying step ${state.stepIndex + 1} (${step.kind}) after ${state.progress.failures ?? 1} failure(s)`,
    };
    const wait = yield* waitFor(context, inbox, state, retryAtMs, { approval: false });
    state.status.waitingFor = undefined;
    const happened = happenedOf(wait);
    if (happened) yield* apply(context, state, happened);
    return;
  }
  yield* apply(context, state, { kind: 'stepStarted' });
  publish(context, state);
  let result: StepResult;
  try {
    result = yield* runStep(context, inbox, state, step);
  } catch (error) {
    const failure = failureOf(error);
    note(context, state, `step ${state.stepIndex + 1} (${step.kind}) failed: [${failure.code}] ${failure.message}`);
    yield* apply(context, state, { kind: 'stepFailed', reason: `step ${state.stepIndex + 1} (${step.kind}) failed: ${failure.message}` });
    return;
  }
  // An operation interrupted by an abort: the decider already took the step's result.
  if (state.mode !== 'forward') return;
  yield* apply(context, state, { kind: 'stepResult', result });
  if (result.kind === 'advance') yield* notify(context, state, 'stepCompleted');
}

function* rollbackUnit(context: Ctx, state: EngineState): Gen<void> {
  let leftover: Leftover;
  try {
    leftover = yield* rollBack(context, state);
  } catch (error) {
    yield* apply(context, state, { kind: 'rollbackFailed', reason: failureOf(error).message });
    return;
  }
  yield* apply(context, state, leftover ? { kind: 'rollbackDone', leftover } : { kind: 'rollbackDone' });
}

/** After a rollback whose delete failed: wait out the back-off, then delete the leftover again. */
function* cleanupUnit(context: Ctx, inbox: Inbox, state: EngineState): Gen<void> {
  const cleanup = state.cleanup;
  if (!cleanup) return;
  if (nowMs(context) < cleanup.retryAtMs) {
    // Controls are answered meanwhile: an operator's abort stops the retries; others are ignored.
    const happened = happenedOf(yield* waitFor(context, inbox, state, cleanup.retryAtMs, { approval: false }));
    if (happened) yield* apply(context, state, happened);
    return;
  }
  const input = {
    target: state.plan.target,
    deployment: cleanup.deployment,
    facts: facts(state),
    createdBy: state.plan.rolloutId,
  } satisfies contract.DeleteDeploymentInput;
  try {
    const out = yield* call(context, ACTIVITY.deleteDeployment, input);
    yield* apply(context, state, {
      kind: 'cleanupDone',
      detail: out.deleted
        ? `removed '${cleanup.deployment}'`
        : out.kept
          ? `left '${cleanup.deployment}' alone: ${out.kept}`
          : `'${cleanup.deployment}' is gone`,
    });
  } catch (error) {
    yield* apply(context, state, { kind: 'cleanupFailed', reason: failureOf(error).message });
  }
}

function* failedUnit(context: Ctx, inbox: Inbox, state: EngineState): Gen<void> {
  const until = state.failedUntilMs ?? nowMs(context);
  // Wake up now and then: a new execution re-reads the lease for a supersede request.
  // A failed rollback is retried automatically (decider: rollbackFailed, rollbackRetryDue).
  const nextRollbackMs = state.failedFrom === 'rollback' ? state.status.retrying?.nextAttemptAtMs : undefined;
  const wakeMs = Math.min(until, nowMs(context) + FAILED_LEASE_CHECK_MINUTES * MINUTE_MS, nextRollbackMs ?? until);
  const wait = yield* waitFor(context, inbox, state, wakeMs, { approval: false });
  if (wait.kind === 'timer' && nextRollbackMs !== undefined && nowMs(context) >= nextRollbackMs && nowMs(context) < until)
    yield* apply(context, state, { kind: 'rollbackRetryDue' });
  if (wait.kind === 'timer' && nowMs(context) < until) return;
  if (wait.kind === 'timer') {
    yield* apply(context, state, { kind: 'retryWindowEnded' });
    return;
  }
  const happened = happenedOf(wait);
  if (happened) yield* apply(context, state, happened);
}

/** What an operator's accepted control means to the decider (resume needs nothing more). */
function happenedOf(wait: WaitResult): Happened | undefined {
  switch (wait.kind) {
    case 'abort':
      return { kind: 'abort', by: wait.by };
    case 'promote':
      return { kind: 'stepResult', result: { kind: 'jump', toIndex: wait.toIndex } };
    case 'retry':
      return { kind: 'retry', by: wait.by };
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------- entry point

function startState(input: RolloutInput, now: number): EngineState {
  const status = initialStatus(input, now);
  const plan: Plan = {
    rolloutId: input.rolloutId,
    policyName: input.policyName,
    strategy: 'canary',
    target: { ...input.workspace, endpoint: '' },
    model: { name: input.model.name, version: input.model.version, id: '' },
    baseline: { deployment: '', modelId: '' },
    candidate: { deployment: '' },
    steps: [],
    gates: {},
    notifications: { channels: [], on: [] },
    operators: [],
    approvers: [],
    concurrency: 'queue',
  };
  return {
    version: 1,
    plan,
    mode: 'queued',
    stepIndex: 0,
    progress: emptyProgress(),
    facts: { candidateCreated: false, modelReplaced: false, smokePassed: [], promoted: false, verdictWritten: false },
    status,
    leaseHeld: false,
    input,
    executions: 0,
    carriedApprovals: [],
  };
}

export function* rolloutOrchestrator(context: df.OrchestrationContext): Generator<df.Task, RolloutStatus, unknown> {
  const raw = context.df.getInput();
  const inbox = new Inbox(context);
  let state: EngineState;
  if (isContinuation(raw)) {
    state = raw.state;
    state.executions += 1;
    // A new execution starts without a custom status: publish the carried one before the first
    // wait, or readers (the API, the CLI, the dashboard) would see none until the next change.
    publish(context, state);
  } else {
    const input = contract.parseContract(rolloutInputSchema, raw, `${context.df.instanceId} input`);
    state = startState(input, nowMs(context));
    publish(context, state);
    yield* resolveUnit(context, state);
  }

  if ((state.mode === 'forward' || state.mode === 'failedWaiting') && state.leaseHeld && !state.facts.promoted && !state.supersedeHandled) {
    // A newer version may have asked this rollout to step aside (see endpoint-lease.ts).
    const request = (yield context.df.callEntity(new df.EntityId(ENDPOINT_LEASE_ENTITY, endpointLeaseKey(state.plan.target)), 'check', {
      rolloutId: state.plan.rolloutId,
    })) as {
      by: string;
      reason: string;
    } | null;
    if (request) {
      // Acted on once: if the rollback fails, the rollout stays Failed like after any abort.
      state.supersedeHandled = true;
      recordOverride(state, {
        action: 'abort',
        by: `system:supersede:${request.by}`,
        atMs: nowMs(context),
        step: state.stepIndex,
        comment: request.reason,
      });
      note(context, state, `abort requested by system:supersede:${request.by}: ${request.reason}`);
      yield* apply(context, state, { kind: 'abort', by: `system:supersede:${request.by}` });
    }
  }

  if (state.mode === 'queued') yield* leaseUnit(context, inbox, state);
  else if (state.mode === 'forward') yield* forwardUnit(context, inbox, state);
  else if (state.mode === 'rollback') yield* rollbackUnit(context, state);
  else if (state.mode === 'failedWaiting') yield* failedUnit(context, inbox, state);
  else if (state.mode === 'cleanup') yield* cleanupUnit(context, inbox, state);

  publish(context, state);

  // Drain: events buffered for this execution are handled now, or they would be lost with it.
  // An ending execution drains too: a decision raised while it ran (a stranger's approval during
  // the rollback) is recorded with its identity, as ignored, before the instance completes.
  for (;;) {
    const leftovers = inbox.harvest();
    const control = applyControls(context, state, leftovers.controls);
    // Decisions that arrive while an approval step is running belong to the next execution.
    const current = state.plan.steps[state.stepIndex];
    if (state.mode === 'forward' && (current?.kind === 'approval' || state.progress.awaitingDataApproval))
      state.carriedApprovals.push(...leftovers.approvals);
    else recordStray(context, state, leftovers.approvals);
    const happened = control ? happenedOf(control) : undefined;
    if (happened) yield* apply(context, state, happened);
    const timer = context.df.createTimer(new Date(nowMs(context)));
    const winner: unknown = yield context.df.Task.any([timer, inbox.control(), inbox.approval()]);
    if (winner === timer) break;
    timer.cancel();
  }
  publish(context, state);
  if (hasEnded(state)) return state.status as RolloutStatus;
  context.df.continueAsNew({ continuation: true, state } satisfies ContinuationInput);
  return state.status as RolloutStatus;
}
