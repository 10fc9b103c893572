/**
 * The evaluator's fast path: one simulated rollout without HTTP, the emulator or the local
 * runtime. It walks the plan the production compiler made (src/plan) step by step. Bake and gate
 * steps are decided by the orchestrator's own pure rules (src/orchestration/bake-decider.ts:
 * nextLook, timeOnlyLook, judgeLook, adaptiveLook; the requests reducer and no-data bound of
 * engine-state.ts and step-bounds.ts), so the evaluator cannot drift from what a real rollout
 * does; this module only moves a synthetic clock and asks a Judge (the production evaluateGate
 * for this project's judge) about every look, on synthetic per-window counts (./synth.ts).
 *
 * Simplifications, documented in docs/evaluate.md: deploying and smoke testing take no time (the
 * clock starts when the candidate is ready); an approval is granted `approvalMinutes` after it is
 * requested; a no-data outcome that asks a person ends the run as `escalated`; Azure and query
 * faults are not simulated.
 */
import { createRandom } from '../common/prng';
import type { GateSpec } from '../analysis/types';
import { checkWindow } from '../analysis/window';
import { decideWinner } from '../analysis/winner';
import {
  adaptiveLook,
  judgeLook,
  nextLook,
  timeOnlyLook,
  type BakeOrGateStep,
  type LookDecision,
  type LookRound,
} from '../orchestration/bake-decider';
import { countNewRequests, emptyProgress, type StepProgress } from '../orchestration/engine-state';
import { extendForNoData } from '../orchestration/step-bounds';
import type { Plan, Step } from '../plan/types';
import { EVALUATION_EPOCH_MS, type Judge } from './judges';
import type { TrafficProfile, VersionBehaviour } from './model';
import { SyntheticEndpoint } from './synth';

const MINUTE_MS = 60_000;

type RunOutcome = 'promoted' | 'rolledBack' | 'escalated' | 'timedOut';

export interface RunResult {
  readonly outcome: RunOutcome;
  /** Minutes from the start (candidate ready) until the outcome was final. */
  readonly decisionMinute: number;
  /** When the candidate took all live traffic (promoted runs; also runs rolled back after promotion). */
  readonly promotedMinute?: number;
  /** Where the run ended: 'smoke test', 'mirror 20%', 'step 10%', 'watch', ... */
  readonly stage: string;
  readonly reason: string;
  /** Users' requests the candidate version served (and failed) before the outcome. */
  readonly blast: { readonly requests: number; readonly failures: number };
  /** Log Analytics queries the looks would have sent. */
  readonly queries: number;
}

export interface FastPathWorld {
  readonly plan: Plan;
  readonly live: VersionBehaviour;
  readonly candidate: VersionBehaviour;
  readonly traffic: TrafficProfile;
}

export interface FastPathOptions {
  readonly seed: number;
  readonly judge: Judge;
  /** Minutes a person takes to approve (approvals are granted). Default 0. */
  readonly approvalMinutes?: number;
  /** The run stops as timedOut after this long. Default 3 days (an A/B test may run 2). */
  readonly maxMinutes?: number;
}

class Stop {
  constructor(
    readonly outcome: RunOutcome,
    readonly reason: string,
  ) {}
}

/** Queries one look of these gates costs: the traffic query plus one per custom metric in use. */
function queriesFor(gates: readonly GateSpec[]): number {
  return gates.reduce(
    (n, g) => n + 1 + new Set(g.checks.map((c) => c.metric).filter((m) => g.customMetrics.some((cm) => cm.name === m))).size,
    0,
  );
}

export function runFastPath(world: FastPathWorld, options: FastPathOptions): RunResult {
  const { plan } = world;
  const baseline = plan.baseline.deployment;
  const candidate = plan.candidate.deployment;
  const behaviours = new Map<string, VersionBehaviour>([[baseline, world.live]]);
  if (candidate !== baseline) behaviours.set(candidate, world.candidate);
  const endpoint = new SyntheticEndpoint(world.traffic, behaviours, options.seed, { live: { [baseline]: 100 } });
  const smokeRandom = createRandom(options.seed, 'evaluate-smoke-test');
  const maxMinutes = options.maxMinutes ?? 3 * 24 * 60;
  let now = 0;
  let queries = 0;
  let promotedMinute: number | undefined;
  // The candidate version serves users from the start on its own deployment; for recreate, from the model replacement.
  let candidateLiveFrom: number | undefined = candidate === baseline ? undefined : 0;
  let stage = 'start';
  let splitSetAt = 0;

  const advanceTo = (minute: number): void => {
    if (minute > maxMinutes) {
      endpoint.advanceTo(maxMinutes);
      now = maxMinutes;
      throw new Stop('timedOut', `no decision within ${maxMinutes} min`);
    }
    endpoint.advanceTo(minute);
    now = Math.max(now, minute);
  };
  const gatesOf = (names: readonly string[]): GateSpec[] =>
    names.map((n) => {
      const spec = plan.gates[n];
      if (!spec) throw new Error(`plan names gate '${n}', which it does not declare`);
      return spec;
    });

  /**
   * A bake or gate step: the orchestrator's own rules (src/orchestration/bake-decider.ts) decide
   * when to look and what each look means; this loop only moves the synthetic clock, asks the
   * judge, and carries out the answer the way the orchestrator's step loop does (a no-data
   * `extend` restarts the step's window with step-bounds.ts' limit, and the next round is the
   * first of the restarted step).
   */
  const bakeOrGate = (step: BakeOrGateStep): void => {
    const candidateOnly = step.kind === 'bake' && step.candidateOnly === true;
    const gates = gatesOf(step.gates);
    const progress = emptyProgress();
    progress.startedAtMs = now * MINUTE_MS;
    let firstRound = true;
    for (;;) {
      const next = nextLook(step, progress, now * MINUTE_MS, firstRound);
      firstRound = false;
      if (next) advanceTo(next.untilMs / MINUTE_MS);
      const decision = timeOnlyLook(step, progress, now * MINUTE_MS) ?? lookAtGates(step, gates, progress, candidateOnly);
      if (decision.kind === 'done') {
        if (decision.result.kind === 'advance') return;
        if (decision.result.kind === 'rollback') throw new Stop('rolledBack', decision.result.reason);
        throw new Error(`a look ended the step with '${decision.result.kind}', which the fast path does not simulate`);
      }
      if (decision.kind === 'again') continue;
      if (step.noDataOutcome === 'rollback') throw new Stop('rolledBack', `no data: ${decision.why}`);
      if (step.noDataOutcome === 'requestApproval') throw new Stop('escalated', `a person is asked to decide: ${decision.why}`);
      const bound = extendForNoData(progress, step, now * MINUTE_MS, decision.why);
      if (bound) throw new Stop('rolledBack', bound.kind === 'rollback' ? bound.reason : decision.why);
      firstRound = true;
    }
  };

  /**
   * One look at a step's gates: the judge's verdict as the checkGates round the orchestrator
   * summarises (requests counted with the same reducer), judged by judgeLook.
   */
  const lookAtGates = (step: BakeOrGateStep, gates: readonly GateSpec[], progress: StepProgress, candidateOnly: boolean): LookDecision => {
    const looks: Record<string, number> = {};
    for (const g of gates) looks[g.name] = (progress.looks[g.name] ?? 0) + 1;
    progress.looks = looks;
    queries += queriesFor(gates);
    const verdict = options.judge.look({
      gates,
      candidate,
      baseline: candidateOnly ? candidate : baseline,
      nowMinute: now,
      looks,
      endpoint,
    });
    if (verdict.candidateRequests !== undefined && verdict.windowMinutes) {
      const { from, to } = verdict.windowMinutes;
      countNewRequests(progress, verdict.candidateRequests, { fromMs: from * MINUTE_MS, toMs: to * MINUTE_MS });
    }
    const round: LookRound = {
      errors: [],
      allPassed: verdict.verdict === 'pass',
      ...(verdict.verdict === 'fail' ? { failed: { gate: verdict.failedGate ?? step.gates.join(', '), reason: verdict.reason } } : {}),
    };
    return judgeLook(
      step,
      progress,
      now * MINUTE_MS,
      round,
      adaptiveLook(step, progress, now * MINUTE_MS, armsSince(step, gates, progress)),
    );
  };

  /**
   * An adaptive bake's arms since the step began, over the window the checkGates activity reads
   * them (checkWindow with the step's start, the first gate's ingestion delay); undefined when
   * the step is not adaptive. Reading them costs the activity one more run of the first gate's
   * queries, counted here.
   */
  const armsSince = (step: BakeOrGateStep, gates: readonly GateSpec[], progress: StepProgress) => {
    const first = gates[0];
    if (step.kind !== 'bake' || !step.adaptive || !first || progress.startedAtMs === undefined) return undefined;
    queries += queriesFor([first]);
    const w = checkWindow(now * MINUTE_MS, first, progress.startedAtMs);
    // Whole minutes of the synthetic buckets: a window shorter than a minute (no data visible yet) is empty.
    const from = Math.ceil(w.fromMs / MINUTE_MS);
    const to = Math.max(from, w.toMs / MINUTE_MS);
    return { candidate: endpoint.totals(from, to, candidate), baseline: endpoint.totals(from, to, baseline) };
  };

  const abTest = (step: Extract<Step, { kind: 'decideWinner' }>): void => {
    const spec = plan.gates[step.gate];
    if (!spec) throw new Error(`plan names gate '${step.gate}', which it does not declare`);
    const start = now;
    for (let look = 1; ; look++) {
      advanceTo(Math.min(now + step.checkIntervalMinutes, start + step.maxWaitMinutes));
      const final = now >= start + step.maxWaitMinutes;
      const nowMs = EVALUATION_EPOCH_MS + now * MINUTE_MS;
      const w = checkWindow(nowMs, spec, EVALUATION_EPOCH_MS + splitSetAt * MINUTE_MS);
      queries += queriesFor([spec]);
      const rows = endpoint.trafficRows((w.fromMs - EVALUATION_EPOCH_MS) / MINUTE_MS, (w.toMs - EVALUATION_EPOCH_MS) / MINUTE_MS, [
        baseline,
        candidate,
      ]);
      const decision = decideWinner(
        spec,
        { traffic: rows },
        { candidate, baseline, window: w, look, checkedAtMs: nowMs, minRequestsPerArm: step.minRequestsPerArm, final },
      );
      if (decision.winner === 'candidate') return;
      if (decision.winner === 'baseline') throw new Stop('rolledBack', `A/B test: the baseline wins: ${decision.reason}`);
      if (final) throw new Stop('rolledBack', `A/B test undecided after ${step.maxWaitMinutes} min; the baseline is kept`);
    }
  };

  let outcome: RunOutcome = 'promoted';
  let reason = 'promoted';
  try {
    plan.steps.forEach((step) => {
      switch (step.kind) {
        case 'deploy':
          return;
        case 'smokeTest':
          stage = 'smoke test';
          {
            // As in Azure (and the emulator), a model's failures hit the smoke test's pinned requests
            // too: each of its requests fails with the version's error rate, so a healthy version
            // with a 1% error rate fails a zero-tolerance 5-request smoke test about 5% of the time.
            const behaviour = behaviours.get(step.deployment);
            let failures = 0;
            for (let i = 0; i < step.requests; i++)
              if (behaviour?.failsOutright || smokeRandom.next() < (behaviour?.errorRate ?? 0)) failures++;
            if (failures > step.maxFailures)
              throw new Stop('rolledBack', `smoke test of '${step.deployment}' failed: ${failures}/${step.requests} requests failed`);
          }
          return;
        case 'replaceModel':
          stage = 'replace model';
          endpoint.setBehaviour(step.deployment, world.candidate);
          candidateLiveFrom = now;
          return;
        case 'mirror': {
          const routing = endpoint.currentRouting;
          endpoint.setRouting({
            live: routing.live,
            ...(step.percent > 0 ? { mirror: { deployment: step.deployment, percent: step.percent } } : {}),
          });
          if (step.percent > 0) stage = `mirror ${step.percent}%`;
          return;
        }
        case 'setTraffic':
          endpoint.setRouting({
            live: step.traffic,
            ...(endpoint.currentRouting.mirror ? { mirror: endpoint.currentRouting.mirror } : {}),
          });
          stage = `step ${step.traffic[candidate] ?? 0}%`;
          splitSetAt = now;
          return;
        case 'bake':
        case 'gate':
          // The prediction-agreement check depends on the dataset and the two models' answers, not
          // on traffic, which is all the behaviour model describes: it is taken as passed here
          // (docs/evaluate.md); `npm run simulate` with per-version predictions runs it for real.
          if (step.gates.length > 0 && step.gates.every((name) => plan.gates[name]?.agreement !== undefined)) return;
          if (step.kind === 'bake' && step.candidateOnly) stage = 'watch';
          bakeOrGate(step);
          return;
        case 'decideWinner':
          stage = 'A/B test';
          abTest(step);
          return;
        case 'approval':
          advanceTo(now + (options.approvalMinutes ?? 0));
          return;
        case 'promote':
          endpoint.setRouting({ live: { [candidate]: 100 } });
          promotedMinute = now;
          stage = 'promoted';
          return;
        case 'rollback':
          throw new Stop('rolledBack', 'the plan rolls back here');
        case 'cleanup':
          // The decision is made; keeping the old deployment for the retention time changes nothing for users.
          throw new Stop('promoted', 'promoted');
      }
    });
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    outcome = error.outcome;
    reason = error.reason;
  }
  endpoint.advanceTo(now);
  const blast = candidateLiveFrom === undefined ? { requests: 0, failures: 0 } : endpoint.liveServed(candidateLiveFrom, now, candidate);
  return {
    outcome,
    decisionMinute: now,
    ...(promotedMinute !== undefined ? { promotedMinute } : {}),
    stage,
    reason,
    blast,
    queries,
  };
}
