/**
 * Judges: what decides a gate look in the evaluator. The same synthetic data can be judged three
 * ways (docs/evaluate.md "Baseline judges" has how each is configured and where that comes from):
 *
 * - `aml-rollout`: this project's gates, src/analysis' evaluateGate unchanged (sequential tests,
 *   minimum samples, pass / fail / inconclusive).
 * - `argo`: an Argo Rollouts-style AnalysisRun. Each check of each gate is one metric measured
 *   every look on the gate's window, with a successCondition that compares the point value with
 *   the check's thresholds (the baseline's point value for relative ones). A failed measurement is
 *   counted; the analysis fails when a metric's failed count exceeds failureLimit. A measurement
 *   without data is an error; more than consecutiveErrorLimit in a row fail the analysis.
 * - `kayenta`: a Kayenta NetflixACAJudge-style judgement per look. Each metric's per-minute values
 *   over the window (candidate vs baseline) are classified by a Mann-Whitney test (98% confidence,
 *   Hodges-Lehmann interval, High when the interval's lower end exceeds a quarter of the
 *   estimate, after removing outliers beyond 3 IQR); the score is 100 x passed / classified
 *   metrics (0 when a critical metric is not Pass); below the marginal threshold fails, below the
 *   pass threshold is inconclusive (marginal).
 */
import { jStat } from 'jstat';
import { quantileSorted } from 'simple-statistics';
import { evaluateGate } from '../analysis/evaluate';
import { TRAFFIC_COLUMNS } from '../analysis/queries';
import { readTrafficSide, type AnalysisRow } from '../analysis/rows';
import { metricKind } from '../analysis/spec';
import type { GateSpec, MetricCheck, Verdict } from '../analysis/types';
import { checkWindow } from '../analysis/window';
import type { MinutePoint, SyntheticEndpoint } from './synth';

const MINUTE_MS = 60_000;

/** Every evaluation starts at this virtual instant (the windows' clock; any fixed value would do). */
export const EVALUATION_EPOCH_MS = Date.UTC(2026, 0, 5, 9, 0, 0);

interface LookRequest {
  readonly gates: readonly GateSpec[];
  readonly candidate: string;
  /** Equal to candidate when the baseline serves no traffic (a watch after promotion). */
  readonly baseline: string;
  readonly nowMinute: number;
  /** 1-based look of each gate within the step. */
  readonly looks: Readonly<Record<string, number>>;
  readonly endpoint: SyntheticEndpoint;
}

interface LookVerdict {
  readonly verdict: Verdict;
  readonly reason: string;
  /** A failed verdict's gate, when the judge judges gate by gate (else the step's gates failed as one analysis). */
  readonly failedGate?: string;
  /** Candidate requests in the first gate's window, and that window (for a bake's minRequests). */
  readonly candidateRequests?: number;
  readonly windowMinutes?: { readonly from: number; readonly to: number };
}

/** One judge per simulated rollout (judges may keep state across looks, as an AnalysisRun does). */
export interface Judge {
  look(request: LookRequest): LookVerdict;
}

export const JUDGE_NAMES = ['aml-rollout', 'argo', 'kayenta'] as const;
export type JudgeName = (typeof JUDGE_NAMES)[number];

export interface ArgoSettings {
  /** Failed measurements a metric may have; one more fails the analysis (Argo's failureLimit). */
  readonly failureLimit: number;
  /** Consecutive measurement errors tolerated (Argo's consecutiveErrorLimit, default 4). */
  readonly consecutiveErrorLimit: number;
}

export interface KayentaSettings {
  readonly pass: number;
  readonly marginal: number;
  /** Mann-Whitney confidence level (NetflixACAJudge uses 0.98). */
  readonly confidence: number;
  /** Share of the Hodges-Lehmann estimate the interval must clear (NetflixACAJudge: 0.25). */
  readonly tolerance: number;
}

const DEFAULT_ARGO: ArgoSettings = { failureLimit: 3, consecutiveErrorLimit: 4 };
export const DEFAULT_KAYENTA: KayentaSettings = { pass: 95, marginal: 75, confidence: 0.98, tolerance: 0.25 };

interface Window {
  readonly fromMs: number;
  readonly toMs: number;
  readonly from: number;
  readonly to: number;
}

function windowOf(spec: GateSpec, nowMinute: number): Window {
  const w = checkWindow(EVALUATION_EPOCH_MS + nowMinute * MINUTE_MS, spec);
  return { ...w, from: (w.fromMs - EVALUATION_EPOCH_MS) / MINUTE_MS, to: (w.toMs - EVALUATION_EPOCH_MS) / MINUTE_MS };
}

function candidateRequestsIn(rows: readonly AnalysisRow[], candidate: string): number {
  const side = readTrafficSide(rows, candidate);
  return side.ok && side.side.requests.ok ? side.side.requests.value : 0;
}

/** Combine per-gate verdicts: any fail fails, all pass passes, else inconclusive. */
function combine(verdicts: readonly { gate: string; verdict: Verdict; reason: string }[]): {
  verdict: Verdict;
  reason: string;
  failedGate?: string;
} {
  const failed = verdicts.find((v) => v.verdict === 'fail');
  if (failed) return { verdict: 'fail', reason: failed.reason, failedGate: failed.gate };
  if (verdicts.every((v) => v.verdict === 'pass')) return { verdict: 'pass', reason: 'all gates passed' };
  const open = verdicts.find((v) => v.verdict === 'inconclusive');
  return { verdict: 'inconclusive', reason: open ? `${open.gate}: ${open.reason}` : 'inconclusive' };
}

/** This project's judge: the production gate evaluation. */
export function amlRolloutJudge(): Judge {
  return {
    look(req) {
      let first: LookVerdict | undefined;
      const verdicts = req.gates.map((spec) => {
        const w = windowOf(spec, req.nowMinute);
        const rows = req.endpoint.trafficRows(w.from, w.to, [req.baseline, req.candidate]);
        const result = evaluateGate(
          spec,
          { traffic: rows },
          {
            candidate: req.candidate,
            baseline: req.baseline,
            window: { fromMs: w.fromMs, toMs: w.toMs },
            look: req.looks[spec.name] ?? 1,
            checkedAtMs: EVALUATION_EPOCH_MS + req.nowMinute * MINUTE_MS,
          },
        );
        if (!first)
          first = {
            verdict: result.verdict,
            reason: result.reason,
            candidateRequests: candidateRequestsIn(rows, req.candidate),
            windowMinutes: { from: w.from, to: w.to },
          };
        return { gate: spec.name, verdict: result.verdict, reason: result.reason };
      });
      return { ...first, ...combine(verdicts) };
    },
  };
}

const isRelative = (c: MetricCheck) => c.maxRatioToBaseline !== undefined || c.maxIncreaseOverBaseline !== undefined;

/** A check's point value for one deployment's row (null = no data). */
function pointValue(spec: GateSpec, check: MetricCheck, row: AnalysisRow | undefined): number | null {
  if (!row) return null;
  const kind = metricKind(spec, check.metric);
  const requests = row[TRAFFIC_COLUMNS.requests] as number;
  if (!kind || !(requests > 0)) return null;
  switch (kind.kind) {
    case 'count':
      return requests;
    case 'rate':
      return (row[TRAFFIC_COLUMNS[kind.numerator]] as number) / requests;
    case 'quantile':
      return row[TRAFFIC_COLUMNS[kind.column]] as number | null;
    case 'custom':
      return null;
  }
}

/** Does a point value meet every threshold of the check (an Argo successCondition)? */
function meets(check: MetricCheck, value: number, baseline: number | null): boolean {
  if (check.max !== undefined && value > check.max) return false;
  if (check.min !== undefined && value < check.min) return false;
  if (baseline !== null && check.maxRatioToBaseline !== undefined && value > check.maxRatioToBaseline * baseline) return false;
  if (baseline !== null && check.maxIncreaseOverBaseline !== undefined && value > baseline + check.maxIncreaseOverBaseline) return false;
  return true;
}

/** An Argo Rollouts-style background AnalysisRun over the whole rollout (see the module comment). */
export function argoJudge(settings: ArgoSettings = DEFAULT_ARGO): Judge {
  const failed = new Map<string, number>();
  let consecutiveErrors = 0;
  return {
    look(req) {
      let first: LookVerdict | undefined;
      let errored = false;
      for (const spec of req.gates) {
        const w = windowOf(spec, req.nowMinute);
        const rows = req.endpoint.trafficRows(w.from, w.to, [req.baseline, req.candidate]);
        const byName = (d: string) => rows.find((r) => r[TRAFFIC_COLUMNS.deployment] === d);
        if (!first)
          first = {
            verdict: 'pass',
            reason: '',
            candidateRequests: candidateRequestsIn(rows, req.candidate),
            windowMinutes: { from: w.from, to: w.to },
          };
        spec.checks.forEach((check, i) => {
          if (check.metric === 'requestCount') return; // a data-sufficiency rule, not a measurement
          const value = pointValue(spec, check, byName(req.candidate));
          if (value === null) {
            errored = true;
            return;
          }
          const comparesBaseline = req.baseline !== req.candidate && isRelative(check);
          const base = comparesBaseline ? pointValue(spec, check, byName(req.baseline)) : null;
          if (comparesBaseline && base === null) {
            errored = true;
            return;
          }
          if (!meets(check, value, base)) {
            const key = `${spec.name.replace(/\.absolute$/, '')}#${i}`;
            failed.set(key, (failed.get(key) ?? 0) + 1);
          }
        });
      }
      consecutiveErrors = errored ? consecutiveErrors + 1 : 0;
      const worst = [...failed.entries()].sort((a, b) => b[1] - a[1])[0];
      if (worst && worst[1] > settings.failureLimit) {
        return {
          ...first,
          verdict: 'fail',
          reason: `metric ${worst[0]} failed ${worst[1]} measurements (failureLimit ${settings.failureLimit})`,
        };
      }
      if (consecutiveErrors > settings.consecutiveErrorLimit) {
        return {
          ...first,
          verdict: 'fail',
          reason: `${consecutiveErrors} consecutive measurement errors (consecutiveErrorLimit ${settings.consecutiveErrorLimit})`,
        };
      }
      return {
        ...first,
        verdict: 'pass',
        reason: worst ? `failed measurements so far: ${worst[1]} (limit ${settings.failureLimit})` : 'all measurements successful',
      };
    },
  };
}

/** Values beyond 3 IQR of the quartiles removed (NetflixACAJudge's IQRDetector, factor 3). */
function withoutOutliers(values: readonly number[]): number[] {
  if (values.length < 4) return [...values];
  const sorted = [...values].sort((a, b) => a - b);
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const iqr = q3 - q1;
  return sorted.filter((v) => v >= q1 - 3 * iqr && v <= q3 + 3 * iqr);
}

/**
 * Hodges-Lehmann estimate of the shift (experiment - control) with its distribution-free
 * confidence interval from the Mann-Whitney statistic (normal approximation of its order
 * statistics). Written here because no installed library computes the interval.
 */
export function hodgesLehmann(
  experiment: readonly number[],
  control: readonly number[],
  confidence: number,
): { estimate: number; lower: number; upper: number } | undefined {
  const n1 = experiment.length;
  const n2 = control.length;
  if (n1 === 0 || n2 === 0) return undefined;
  const diffs: number[] = [];
  for (const x of experiment) for (const y of control) diffs.push(x - y);
  diffs.sort((a, b) => a - b);
  const m = diffs.length;
  const estimate = m % 2 === 1 ? (diffs[(m - 1) / 2] as number) : ((diffs[m / 2 - 1] as number) + (diffs[m / 2] as number)) / 2;
  const z = jStat.normal.inv(1 - (1 - confidence) / 2, 0, 1);
  const k = Math.floor((n1 * n2) / 2 - z * Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12));
  if (k < 0) return { estimate, lower: -Infinity, upper: Infinity };
  return { estimate, lower: diffs[k] as number, upper: diffs[m - 1 - k] as number };
}

type Classification = 'Pass' | 'High' | 'Low' | 'Nodata';

/** NetflixACAJudge's MannWhitneyClassifier with direction "increase" (higher is worse). */
export function classifyMetric(experiment: readonly number[], control: readonly number[], settings: KayentaSettings): Classification {
  const e = withoutOutliers(experiment);
  const c = withoutOutliers(control);
  if (e.length === 0 || c.length === 0) return 'Nodata';
  if (new Set([...e, ...c]).size === 1) return 'Pass';
  const hl = hodgesLehmann(e, c, settings.confidence);
  if (!hl) return 'Nodata';
  const critical = settings.tolerance * Math.abs(hl.estimate);
  return hl.lower > critical ? 'High' : 'Pass';
}

function seriesOf(spec: GateSpec, check: MetricCheck, points: readonly MinutePoint[]): number[] {
  const kind = metricKind(spec, check.metric);
  if (!kind) return [];
  switch (kind.kind) {
    case 'rate':
      return points.map((p) => p.failures / p.requests);
    case 'quantile':
      return points.map((p) => quantileSorted(p.latenciesSorted as number[], kind.q));
    default:
      return [];
  }
}

/** A Kayenta NetflixACAJudge-style judge, one canary judgement per look (see the module comment). */
export function kayentaJudge(settings: KayentaSettings = DEFAULT_KAYENTA): Judge {
  return {
    look(req) {
      let first: LookVerdict | undefined;
      let pass = 0;
      let classified = 0;
      let criticalFailed = false;
      const high: string[] = [];
      for (const spec of req.gates) {
        const w = windowOf(spec, req.nowMinute);
        if (!first) {
          const rows = req.endpoint.trafficRows(w.from, w.to, [req.candidate]);
          first = {
            verdict: 'pass',
            reason: '',
            candidateRequests: candidateRequestsIn(rows, req.candidate),
            windowMinutes: { from: w.from, to: w.to },
          };
        }
        // Kayenta compares the canary with a baseline; without one (a watch) it has nothing to judge.
        if (req.baseline === req.candidate) continue;
        const cand = req.endpoint.minuteSeries(w.from, w.to, req.candidate);
        const base = req.endpoint.minuteSeries(w.from, w.to, req.baseline);
        for (const check of spec.checks) {
          const e = seriesOf(spec, check, cand);
          const c = seriesOf(spec, check, base);
          if (e.length === 0 && c.length === 0 && check.metric === 'requestCount') continue;
          const label = classifyMetric(e, c, settings);
          if (label === 'Nodata') continue;
          classified++;
          if (label === 'Pass') pass++;
          else {
            high.push(check.metric);
            if (check.critical) criticalFailed = true;
          }
        }
      }
      const base = first ?? { verdict: 'pass' as Verdict, reason: '' };
      if (classified === 0)
        return { ...base, verdict: req.baseline === req.candidate ? 'pass' : 'inconclusive', reason: 'no metric with data on both sides' };
      const score = criticalFailed ? 0 : (100 * pass) / classified;
      const text = `score ${Math.round(score)}${high.length > 0 ? ` (High: ${high.join(', ')})` : ''}`;
      if (score < settings.marginal) return { ...base, verdict: 'fail', reason: `${text} < marginal ${settings.marginal}` };
      if (score < settings.pass) return { ...base, verdict: 'inconclusive', reason: `${text}: marginal` };
      return { ...base, verdict: 'pass', reason: text };
    },
  };
}

export function createJudge(name: JudgeName, options: { argo?: ArgoSettings; kayenta?: KayentaSettings } = {}): Judge {
  switch (name) {
    case 'aml-rollout':
      return amlRolloutJudge();
    case 'argo':
      return argoJudge(options.argo);
    case 'kayenta':
      return kayentaJudge(options.kayenta);
  }
}
