/**
 * The evaluator's fast path: one simulated rollout without HTTP, the emulator or the local
 * runtime. It walks the plan the production compiler made (src/plan) step by step, with the
 * orchestrator's timing rules for bakes and gate checks (src/orchestration/rollout-orchestrator.ts:
 * a bake looks every interval and ends when its duration is over, every gate passed and the
 * candidate served `minRequests`; a gate step checks at once and retries; an inconclusive step
 * extends up to maxExtensionMinutes, then the no-data outcome applies), and asks a Judge (the
 * production evaluateGate for this project's judge) about every look, on synthetic per-window
 * counts (./synth.ts).
 *
 * Simplifications, documented in docs/evaluate.md: deploying and smoke testing take no time (the
 * clock starts when the candidate is ready); an approval is granted `approvalMinutes` after it is
 * requested; a no-data outcome that asks a person ends the run as `escalated`; Azure and query
 * faults are not simulated.
 */
import { createRandom } from '../common/prng';
import { decideAdaptiveBake, type AdaptiveBakeSettings } from '../analysis/adaptive-bake';
import type { GateSpec } from '../analysis/types';
import { checkWindow } from '../analysis/window';
import { decideWinner } from '../analysis/winner';
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
  /** Adaptive bake settings by the index of the plan's bake step they apply to. */
  readonly adaptive?: ReadonlyMap<number, AdaptiveBakeSettings>;
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

  /** A bake or gate step, with the orchestrator's loop (see the module comment). */
  const bakeOrGate = (step: Extract<Step, { kind: 'bake' | 'gate' }>, index: number): void => {
    const isBake = step.kind === 'bake';
    const interval = isBake ? step.checkIntervalMinutes : step.retryIntervalMinutes;
    const duration = isBake ? step.durationMinutes : 0;
    const minRequests = isBake ? step.minRequests : 0;
    const candidateOnly = isBake && step.candidateOnly === true;
    const adaptive = isBake ? options.adaptive?.get(index) : undefined;
    const gates = gatesOf(step.gates);
    const looks: Record<string, number> = {};
    let start = now;
    let requestsSeen = 0;
    let countedTo: number | undefined;
    for (let rounds = 0; ; rounds++) {
      const end = start + duration;
      const extensionEnd = Math.max(end + step.maxExtensionMinutes, adaptive ? start + adaptive.maxBakeMinutes : 0);
      if (isBake || rounds > 0) {
        const boundary = now < end ? end : extensionEnd;
        advanceTo(gates.length > 0 ? Math.min(now + interval, boundary) : end);
      }
      if (gates.length === 0) {
        if (now >= end) return;
        continue;
      }
      for (const g of gates) looks[g.name] = (looks[g.name] ?? 0) + 1;
      queries += queriesFor(gates);
      const verdict = options.judge.look({
        gates,
        candidate,
        baseline: candidateOnly ? candidate : baseline,
        nowMinute: now,
        looks,
        endpoint,
      });
      if (verdict.verdict === 'fail') throw new Stop('rolledBack', `gate failed: ${verdict.reason}`);
      if (candidateOnly && now >= end) return;
      // Requests since the step began, counted pro rata from each look's window (as the orchestrator's countNewRequests).
      if (verdict.candidateRequests !== undefined && verdict.windowMinutes) {
        const { from, to } = verdict.windowMinutes;
        const since = Math.max(from, countedTo ?? start);
        if (to > since && to > from) {
          requestsSeen += Math.round((verdict.candidateRequests * (to - since)) / (to - from));
          countedTo = to;
        }
      }
      if (adaptive) {
        const delay = gates[0]?.ingestionDelayMinutes ?? 0;
        const visibleTo = Math.max(start, now - delay);
        const decision = decideAdaptiveBake(adaptive, {
          startedAtMs: start * MINUTE_MS,
          nowMs: now * MINUTE_MS,
          candidate: endpoint.totals(start, visibleTo, candidate),
          baseline: endpoint.totals(start, visibleTo, baseline),
        });
        if (decision.action === 'end') return;
      }
      const enough = minRequests === 0 || requestsSeen >= minRequests;
      if (now >= end && verdict.verdict === 'pass' && enough) return;
      if (now >= extensionEnd) {
        const why = !enough ? `the candidate served ${requestsSeen} requests, ${minRequests} needed` : 'gates stayed inconclusive';
        if (step.noDataOutcome === 'rollback') throw new Stop('rolledBack', `no data: ${why}`);
        if (step.noDataOutcome === 'requestApproval') throw new Stop('escalated', `a person is asked to decide: ${why}`);
        // 'extend': the step starts over (a fresh window of extension).
        start = now;
        requestsSeen = 0;
        countedTo = undefined;
      }
    }
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
    plan.steps.forEach((step, index) => {
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
          bakeOrGate(step, index);
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
