/**
 * The evidence of every look of every gate, kept on the rollout status so the dashboard can chart
 * each check over time (candidate against baseline, the allowed band, confidence bounds, the
 * verdict of each look and the traffic split at that time). `status.gates` holds the latest look
 * only, with its full evidence; this history keeps per-look numbers, never raw rows.
 *
 * Size matters: the status is the orchestration's custom status, which the Durable Functions
 * extension limits to 16 KB of UTF-16 JSON (docs/azure-fidelity.md), and it is serialized on every
 * publish. So the stored form is compact (short keys, tuples, numbers at 3 significant digits) and each
 * gate keeps at most EVIDENCE_LOOKS_PER_GATE looks: beyond that, one interior look is dropped per
 * new look (the one whose neighbours are closest in time), so the first and the latest looks stay
 * and the kept ones stay spread evenly over the rollout. `expandEvidenceHistory` turns the stored
 * form into the readable one the API serves.
 *
 * Pure: called by the orchestrator each time it sets `status.gates`.
 */
import { z } from 'zod';
import type { Immutable } from '../analysis/immutable';
import type { GateResult, GateSpec, MetricCheck, MetricEvidence, Verdict } from '../analysis/types';
import { decidingPValue } from '../analysis/describe';
import { roundEvidence } from '../analysis/number-format';

/** Percent of live (or mirrored) traffic per deployment, as on the status. */
type Split = Readonly<Record<string, number>>;
/** What the reducer reads of the plan (types.ts imports this module, so it cannot import the Plan). */
interface PlanGates {
  readonly gates: Readonly<Record<string, GateSpec>>;
  readonly candidate: { readonly deployment: string };
  readonly baseline: { readonly deployment: string };
}

/** Looks kept per gate (first and latest always among them). */
export const EVIDENCE_LOOKS_PER_GATE = 10;

const verdictCodeSchema = z.enum(['p', 'f', 'i']);
type VerdictCode = z.output<typeof verdictCodeSchema>;

/**
 * One check at one look, as a tuple (the status is size-limited; a tuple is a fifth shorter than
 * the same fields with names): verdict code, candidate, baseline, allowed band low and high (in
 * the metric's unit), confidence bounds low and high on the candidate, the deciding p-value.
 * null: not known at that look; trailing nulls are left out.
 */
const storedCheckPointSchema = z.tuple([verdictCodeSchema], z.number().nullable());
type StoredCheckPoint = Immutable<z.output<typeof storedCheckPointSchema>>;

const storedLookSchema = z.object({
  /** Look number of the gate's sequential plan (1-based). */
  n: z.number(),
  /** When the look was taken (ms since epoch). */
  t: z.number(),
  /** The gate's verdict at this look. */
  v: verdictCodeSchema,
  /** Live traffic percent of the candidate and of the baseline, and the candidate's mirrored percent. */
  s: z.tuple([z.number(), z.number(), z.number()]),
  /** Requests in the window: candidate, baseline. */
  r: z.tuple([z.number(), z.number()]),
  /** One point per check, in the order of `checks`. */
  k: z.array(storedCheckPointSchema.nullable()),
});
type StoredLook = Immutable<z.output<typeof storedLookSchema>>;

const storedGateHistorySchema = z.object({
  gate: z.string(),
  /** Looks recorded in total, thinned ones included. */
  recorded: z.number(),
  /** Metric name and threshold text per check. */
  checks: z.array(z.object({ metric: z.string(), threshold: z.string() })),
  looks: z.array(storedLookSchema),
});
export type StoredGateHistory = Immutable<z.output<typeof storedGateHistorySchema>>;

/** The one definition of the stored history (the status schema in types.ts embeds it). */
export const evidenceHistorySchema = z.array(storedGateHistorySchema);
export type EvidenceHistory = Immutable<z.output<typeof evidenceHistorySchema>>;

const VERDICT_CODE: Readonly<Record<Verdict, VerdictCode>> = { pass: 'p', fail: 'f', inconclusive: 'i' };
const CODE_VERDICT: Readonly<Record<VerdictCode, Verdict>> = { p: 'pass', f: 'fail', i: 'inconclusive' };

/** Stored as every evidence number is shown (roundEvidence): plenty for a chart, a quarter of a full double's characters. */
function stored(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : roundEvidence(value);
}

function finite(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}

function tightest(values: readonly number[], pick: (a: number, b: number) => number): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => pick(a, b));
}

function higherIsWorse(spec: GateSpec | undefined, metric: string): boolean {
  return spec?.customMetrics.find((m) => m.name === metric)?.higherIsWorse ?? true;
}

/**
 * The band of candidate values the check allows at this look, in the metric's unit: absolute
 * bounds as declared, relative ones applied to the baseline's value of this look (ratio and
 * increase are judged against the baseline; without a baseline value they draw nothing).
 */
function allowedBand(check: MetricCheck, baseline: number | null, worseIsHigher: boolean): { lo?: number; hi?: number } {
  const highs: number[] = [];
  const lows: number[] = [];
  if (check.max !== undefined) highs.push(check.max);
  if (check.min !== undefined) lows.push(check.min);
  if (baseline !== null) {
    if (check.maxRatioToBaseline !== undefined)
      (worseIsHigher ? highs : lows).push(worseIsHigher ? check.maxRatioToBaseline * baseline : baseline / check.maxRatioToBaseline);
    if (check.maxIncreaseOverBaseline !== undefined)
      (worseIsHigher ? highs : lows).push(
        worseIsHigher ? baseline + check.maxIncreaseOverBaseline : baseline - check.maxIncreaseOverBaseline,
      );
  }
  const hi = tightest(highs, Math.min);
  const lo = tightest(lows, Math.max);
  return { ...(hi === undefined ? {} : { hi }), ...(lo === undefined ? {} : { lo }) };
}

/**
 * Confidence bounds on the candidate's value in the metric's unit, from the thresholds' tests:
 * an absolute max/min part bounds the candidate directly; a ratio part bounds candidate/baseline
 * and an increase part candidate - baseline, so they are applied to the baseline's value. Where
 * several parts bound the same side, the tightest is kept.
 */
function confidenceBounds(e: MetricEvidence): { cl?: number; cu?: number } {
  const uppers: number[] = [];
  const lowers: number[] = [];
  for (const part of e.parts ?? []) {
    if (!finite(part.bound)) continue;
    if (part.kind === 'max') uppers.push(part.bound);
    else if (part.kind === 'min') lowers.push(part.bound);
    else if (e.baseline !== null) uppers.push(part.kind === 'ratio' ? part.bound * e.baseline : e.baseline + part.bound);
  }
  const cu = tightest(uppers, Math.min);
  const cl = tightest(lowers, Math.max);
  return { ...(cu === undefined ? {} : { cu }), ...(cl === undefined ? {} : { cl }) };
}

function point(e: MetricEvidence, check: MetricCheck | undefined, spec: GateSpec | undefined): StoredCheckPoint {
  const band = check ? allowedBand(check, e.baseline, higherIsWorse(spec, e.metric)) : {};
  const bounds = confidenceBounds(e);
  const values = [e.candidate, e.baseline, band.lo, band.hi, bounds.cl, bounds.cu, decidingPValue(e)?.p].map(stored);
  while (values.length > 0 && values[values.length - 1] === null) values.pop();
  return [VERDICT_CODE[e.verdict], ...values];
}

/**
 * Drops interior looks until `looks` fits in `cap`: each time the one whose neighbours are
 * closest in time (the densest spot; the oldest such look on a tie), so the first and last looks
 * stay, order is kept and the survivors stay spread over the whole time span.
 */
export function thinLooks<T extends { readonly t: number }>(looks: readonly T[], cap: number): T[] {
  const kept = [...looks];
  const floor = Math.max(cap, 2);
  while (kept.length > floor) {
    let drop = 1;
    for (let i = 2; i < kept.length - 1; i++) {
      if ((kept[i + 1] as T).t - (kept[i - 1] as T).t < (kept[drop + 1] as T).t - (kept[drop - 1] as T).t) drop = i;
    }
    kept.splice(drop, 1);
  }
  return kept;
}

/** The traffic at the look: candidate and baseline live percent, candidate mirrored percent. */
function splitAt(plan: PlanGates, traffic: Split, mirror: Split): readonly [number, number, number] {
  const candidate = plan.candidate.deployment;
  const baseline = plan.baseline.deployment;
  return [traffic[candidate] ?? 0, candidate === baseline ? 0 : (traffic[baseline] ?? 0), mirror[candidate] ?? 0];
}

function lookOf(
  result: GateResult,
  spec: GateSpec | undefined,
  checks: StoredGateHistory['checks'],
  split: readonly [number, number, number],
): StoredLook {
  const first = result.evidence[0];
  return {
    n: result.look,
    t: result.checkedAtMs,
    v: VERDICT_CODE[result.verdict],
    s: split,
    r: [first?.samples.candidate ?? 0, first?.samples.baseline ?? 0],
    k: checks.map((c) => {
      const e = result.evidence.find((x) => x.metric === c.metric);
      return e
        ? point(
            e,
            spec?.checks.find((x) => x.metric === c.metric),
            spec,
          )
        : null;
    }),
  };
}

/**
 * The history after a round of gate results: each result becomes one look of its gate (a gate
 * seen for the first time gets its own entry), each gate thinned to `cap` looks. Results the
 * history already holds (same gate, same look time) are not added twice.
 */
export function recordLooks(
  history: EvidenceHistory | undefined,
  plan: PlanGates,
  results: readonly GateResult[],
  traffic: Split,
  mirror: Split,
  cap: number = EVIDENCE_LOOKS_PER_GATE,
): StoredGateHistory[] {
  const next = [...(history ?? [])];
  const split = splitAt(plan, traffic, mirror);
  for (const result of results) {
    const spec = plan.gates[result.gate];
    let index = next.findIndex((g) => g.gate === result.gate);
    if (index < 0) {
      const metrics = spec ? spec.checks.map((c) => c.metric) : result.evidence.map((e) => e.metric);
      const checks = metrics.map((metric) => ({ metric, threshold: result.evidence.find((e) => e.metric === metric)?.threshold ?? '' }));
      next.push({ gate: result.gate, recorded: 0, checks, looks: [] });
      index = next.length - 1;
    }
    const gate = next[index] as StoredGateHistory;
    if (gate.looks.some((l) => l.t === result.checkedAtMs)) continue;
    const looks = thinLooks([...gate.looks, lookOf(result, spec, gate.checks, split)], cap);
    next[index] = { ...gate, recorded: gate.recorded + 1, looks };
  }
  return next;
}

// ---------------------------------------------------------------- the readable form (API)

interface EvidencePoint {
  readonly look: number;
  readonly atMs: number;
  readonly verdict: Verdict;
  readonly candidate: number | null;
  readonly baseline: number | null;
  readonly allowed: { readonly min?: number; readonly max?: number };
  readonly confidence: { readonly lower?: number; readonly upper?: number };
  readonly pValue?: number;
  readonly requests: { readonly candidate: number; readonly baseline: number };
  readonly traffic: { readonly candidate: number; readonly baseline: number; readonly mirroredToCandidate: number };
}

interface CheckSeries {
  readonly metric: string;
  readonly threshold: string;
  readonly points: readonly EvidencePoint[];
}

export interface GateSeries {
  readonly gate: string;
  readonly recorded: number;
  readonly kept: number;
  readonly looks: readonly { readonly look: number; readonly atMs: number; readonly verdict: Verdict }[];
  readonly checks: readonly CheckSeries[];
}

/** The stored history in named fields, one series per check (what GET /api/rollouts/{id}/evidence serves). */
export function expandEvidenceHistory(history: EvidenceHistory | undefined): GateSeries[] {
  return (history ?? []).map((gate) => ({
    gate: gate.gate,
    recorded: gate.recorded,
    kept: gate.looks.length,
    looks: gate.looks.map((l) => ({ look: l.n, atMs: l.t, verdict: CODE_VERDICT[l.v] })),
    checks: gate.checks.map((check, i) => ({
      metric: check.metric,
      threshold: check.threshold,
      points: gate.looks.flatMap((l) => {
        const k = l.k[i];
        if (!k) return [];
        const [v, candidate = null, baseline = null, lo = null, hi = null, cl = null, cu = null, p = null] = k;
        return [
          {
            look: l.n,
            atMs: l.t,
            verdict: CODE_VERDICT[v],
            candidate,
            baseline,
            allowed: { ...(lo === null ? {} : { min: lo }), ...(hi === null ? {} : { max: hi }) },
            confidence: { ...(cl === null ? {} : { lower: cl }), ...(cu === null ? {} : { upper: cu }) },
            ...(p === null ? {} : { pValue: p }),
            requests: { candidate: l.r[0], baseline: l.r[1] },
            traffic: { candidate: l.s[0], baseline: l.s[1], mirroredToCandidate: l.s[2] },
          },
        ];
      }),
    })),
  }));
}
