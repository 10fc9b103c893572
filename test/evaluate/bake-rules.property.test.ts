/**
 * The evaluator's fast path decides bake and gate steps with the orchestrator's rules
 * (src/orchestration/bake-decider.ts, the requests reducer of engine-state.ts, the no-data bound
 * of step-bounds.ts). For random steps and random sequences of gate verdicts, the fast path must
 * look at exactly the instants, and end the step exactly as, a reference walk of those rules that
 * follows the orchestrator's step loop (runStep in rollout-orchestrator.ts: nextLook, wait,
 * timeOnlyLook or a gate round then judgeLook; a no-data outcome as noDataOutcome carries it out,
 * an `extend` re-entering the step as a first round).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/analysis/types';
import { planFor } from '../../src/evaluate/evaluate';
import { runFastPath } from '../../src/evaluate/fast-path';
import type { Judge } from '../../src/evaluate/judges';
import { judgeLook, nextLook, timeOnlyLook, type BakeOrGateStep } from '../../src/orchestration/bake-decider';
import { countNewRequests, emptyProgress } from '../../src/orchestration/engine-state';
import { extendForNoData, noDataExtensionLimit } from '../../src/orchestration/step-bounds';
import type { Plan } from '../../src/plan/types';
import { parsePolicy } from '../../src/policy';

const MINUTE_MS = 60_000;
const policyFile = path.join(__dirname, 'fixtures', 'agreement-canary.yaml');
const basePlan = planFor(parsePolicy(readFileSync(policyFile, 'utf8'), policyFile));
const GATE = Object.keys(basePlan.gates)[0] as string;

/** One scripted look: the verdict and the candidate requests in the look's window. */
interface ScriptedLook {
  readonly verdict: Verdict;
  readonly requests: number;
}

/** The window a scripted look reports: `windowMinutes` back from `delay` minutes ago. */
const windowAt = (minute: number, windowMinutes: number, delay: number) => ({ from: minute - delay - windowMinutes, to: minute - delay });

const noDataOutcome = fc.constantFrom('extend' as const, 'requestApproval' as const, 'rollback' as const);
const maxNoDataExtensions = fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined });

const bakeStep: fc.Arbitrary<BakeOrGateStep> = fc
  .record({
    durationMinutes: fc.integer({ min: 0, max: 60 }),
    checkIntervalMinutes: fc.integer({ min: 1, max: 15 }),
    withGates: fc.boolean(),
    minRequests: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 })),
    maxExtensionMinutes: fc.integer({ min: 0, max: 60 }),
    noDataOutcome,
    maxNoDataExtensions,
    candidateOnly: fc.boolean(),
  })
  .map(({ withGates, maxNoDataExtensions: limit, candidateOnly, ...rest }) => ({
    kind: 'bake' as const,
    ...rest,
    gates: withGates ? [GATE] : [],
    maxQueryErrors: 3,
    ...(limit === undefined ? {} : { maxNoDataExtensions: limit }),
    ...(candidateOnly ? { candidateOnly: true } : {}),
  }));

const gateStep: fc.Arbitrary<BakeOrGateStep> = fc
  .record({
    retryIntervalMinutes: fc.integer({ min: 1, max: 15 }),
    maxExtensionMinutes: fc.integer({ min: 0, max: 60 }),
    noDataOutcome,
    maxNoDataExtensions,
  })
  .map(({ maxNoDataExtensions: limit, ...rest }) => ({
    kind: 'gate' as const,
    ...rest,
    gates: [GATE],
    maxQueryErrors: 3,
    ...(limit === undefined ? {} : { maxNoDataExtensions: limit }),
  }));

const looks = fc.array(
  fc.record({
    verdict: fc.constantFrom<Verdict>('pass', 'pass', 'inconclusive', 'inconclusive', 'fail'),
    requests: fc.integer({ min: 0, max: 400 }),
  }),
  { minLength: 1, maxLength: 40 },
);

/** A bake on the fixture's gate, looking every 5 minutes. */
function bakeOf(
  times: Pick<Extract<BakeOrGateStep, { kind: 'bake' }>, 'durationMinutes' | 'maxExtensionMinutes' | 'noDataOutcome'>,
): Extract<BakeOrGateStep, { kind: 'bake' }> {
  return { kind: 'bake', ...times, checkIntervalMinutes: 5, gates: [GATE], minRequests: 0, maxQueryErrors: 3 };
}

interface Walk {
  readonly lookMinutes: readonly number[];
  readonly outcome: 'promoted' | 'rolledBack' | 'escalated';
  readonly reason: string;
  readonly endMinute: number;
}

/** The reference: the orchestrator's step loop over the pure rules (see the module comment). */
function referenceWalk(step: BakeOrGateStep, script: readonly ScriptedLook[], windowMinutes: number, delay: number): Walk {
  const progress = emptyProgress();
  progress.startedAtMs = 0;
  let nowMs = 0;
  const lookMinutes: number[] = [];
  for (;;) {
    // runStep's loop: `rounds === 0` on every entry into the step.
    for (let rounds = 0; ; rounds++) {
      const next = nextLook(step, progress, nowMs, rounds === 0);
      if (next) nowMs = next.untilMs;
      let decision = timeOnlyLook(step, progress, nowMs);
      if (!decision) {
        const minute = nowMs / MINUTE_MS;
        const look = script[lookMinutes.length % script.length] as ScriptedLook;
        lookMinutes.push(minute);
        const w = windowAt(minute, windowMinutes, delay);
        countNewRequests(progress, look.requests, { fromMs: w.from * MINUTE_MS, toMs: w.to * MINUTE_MS });
        decision = judgeLook(step, progress, nowMs, {
          errors: [],
          allPassed: look.verdict === 'pass',
          ...(look.verdict === 'fail' ? { failed: { gate: GATE, reason: 'scripted failure' } } : {}),
        });
      }
      const end = nowMs / MINUTE_MS;
      if (decision.kind === 'done') {
        if (decision.result.kind === 'rollback')
          return { lookMinutes, outcome: 'rolledBack', reason: decision.result.reason, endMinute: end };
        return { lookMinutes, outcome: 'promoted', reason: 'promoted', endMinute: end };
      }
      if (decision.kind === 'again') continue;
      // noDataOutcome of the orchestrator.
      if (step.noDataOutcome === 'rollback')
        return { lookMinutes, outcome: 'rolledBack', reason: `no data: ${decision.why}`, endMinute: end };
      if (step.noDataOutcome === 'requestApproval')
        return { lookMinutes, outcome: 'escalated', reason: `a person is asked to decide: ${decision.why}`, endMinute: end };
      const bound = noDataExtensionLimit(progress.noDataExtensions ?? 0, step, decision.why);
      if (bound?.kind === 'rollback') return { lookMinutes, outcome: 'rolledBack', reason: bound.reason, endMinute: end };
      progress.noDataExtensions = (progress.noDataExtensions ?? 0) + 1;
      progress.startedAtMs = nowMs;
      progress.pausedMs = 0;
      break; // 'stay': the step is entered again
    }
  }
}

/** The fast path on a plan of this one step, then promotion, judged by the script. */
function fastPathWalk(step: BakeOrGateStep, script: readonly ScriptedLook[], windowMinutes: number, delay: number): Walk {
  const plan: Plan = { ...basePlan, steps: [step, { kind: 'promote' }, { kind: 'cleanup', deployment: 'live', afterMinutes: 0 }] };
  const lookMinutes: number[] = [];
  const judge: Judge = {
    look(request) {
      const look = script[lookMinutes.length % script.length] as ScriptedLook;
      lookMinutes.push(request.nowMinute);
      return {
        verdict: look.verdict,
        reason: look.verdict === 'fail' ? 'scripted failure' : look.verdict,
        ...(look.verdict === 'fail' ? { failedGate: GATE } : {}),
        candidateRequests: look.requests,
        windowMinutes: windowAt(request.nowMinute, windowMinutes, delay),
      };
    },
  };
  const behaviour = { errorRate: 0.01, p50Ms: 40, p95Ms: 90, failsOutright: false };
  const run = runFastPath(
    { plan, live: behaviour, candidate: behaviour, traffic: { kind: 'constant', requestsPerMinute: 10 } },
    { seed: 1, judge, maxMinutes: 1_000_000 },
  );
  if (run.outcome === 'timedOut') throw new Error('no step may run this long');
  return { lookMinutes, outcome: run.outcome, reason: run.reason, endMinute: run.decisionMinute };
}

describe('the fast path decides bake and gate steps by the orchestrator rules', () => {
  it('looks at the same instants and ends each step the same way as the rules, for random steps and verdicts', () => {
    fc.assert(
      fc.property(
        fc.oneof(bakeStep, gateStep),
        looks,
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 5 }),
        (step, script, windowMinutes, delay) => {
          expect(fastPathWalk(step, script, windowMinutes, delay)).toEqual(referenceWalk(step, script, windowMinutes, delay));
        },
      ),
      { numRuns: 400 },
    );
  });

  it.each([
    // [extensions done, the plan's limit, rolls back]
    [0, undefined, false],
    [2, undefined, false],
    [3, undefined, true],
    [0, 0, true],
    [1, 2, false],
    [2, 2, true],
  ] as const)('a no-data extend after %s extensions with limit %s: rollback %s', (done, limit, rollsBack) => {
    const step: BakeOrGateStep = {
      kind: 'gate',
      gates: [GATE],
      retryIntervalMinutes: 5,
      maxExtensionMinutes: 10,
      noDataOutcome: 'extend',
      maxQueryErrors: 3,
      ...(limit === undefined ? {} : { maxNoDataExtensions: limit }),
    };
    const progress = { ...emptyProgress(), startedAtMs: 0, pausedMs: 7, noDataExtensions: done };
    const result = extendForNoData(progress, step, 42 * MINUTE_MS, 'too few requests');
    if (rollsBack) {
      expect(result).toMatchObject({ kind: 'rollback', outcome: 'rolledBack' });
      expect(progress).toMatchObject({ startedAtMs: 0, pausedMs: 7, noDataExtensions: done });
    } else {
      expect(result).toBeUndefined();
      // The extension is counted and the step's window (and clock) restarts now.
      expect(progress).toMatchObject({ startedAtMs: 42 * MINUTE_MS, pausedMs: 0, noDataExtensions: done + 1 });
    }
  });

  it('a policy whose no-data outcome is extend rolls back after its extensions instead of waiting for data forever', () => {
    const step = bakeOf({ durationMinutes: 10, maxExtensionMinutes: 10, noDataOutcome: 'extend' });
    const walk = fastPathWalk(step, [{ verdict: 'inconclusive', requests: 0 }], 10, 1);
    expect(walk.outcome).toBe('rolledBack');
    expect(walk.reason).toMatch(/^no data after 3 extensions \(gates stayed inconclusive for 20 min\)$/);
    // Four windows of 20 minutes (the first and three extensions), a look every 5 minutes.
    expect(walk.endMinute).toBe(80);
    expect(walk.lookMinutes).toHaveLength(16);
  });

  it("an adaptive bake reads each arm since the step began at every look: one more run of the first gate's queries, as the checkGates activity sends", () => {
    const base = bakeOf({ durationMinutes: 20, maxExtensionMinutes: 0, noDataOutcome: 'rollback' });
    const adaptive = { minBakeMinutes: 20, maxBakeMinutes: 20, minRequests: 1, confidence: 0.95, margins: { failureRate: 0.01 } };
    const queriesOf = (step: BakeOrGateStep) => {
      const plan: Plan = { ...basePlan, steps: [step, { kind: 'promote' }, { kind: 'cleanup', deployment: 'live', afterMinutes: 0 }] };
      const judge: Judge = { look: () => ({ verdict: 'pass', reason: 'pass' }) };
      const behaviour = { errorRate: 0.01, p50Ms: 40, p95Ms: 90, failsOutright: false };
      return runFastPath(
        { plan, live: behaviour, candidate: behaviour, traffic: { kind: 'constant', requestsPerMinute: 10 } },
        { seed: 1, judge },
      ).queries;
    };
    // Four looks (minutes 5, 10, 15, 20), one traffic query each; the adaptive bake's arms double that.
    expect(queriesOf(base)).toBe(4);
    expect(queriesOf({ ...base, adaptive })).toBe(8);
  });
});
