/**
 * What the evaluator simulates: the live version's behaviour, the traffic it gets, and the
 * regressions a candidate may carry. The behaviour follows the emulator's model (src/harness/emulator:
 * a request fails with probability errorRate; latency is log-normal fitted to p50 and p95; a
 * version whose smoke test fails fails outright), so the fast path and the full simulator draw
 * from the same world.
 */
import { z } from 'zod';
import { ValidationError } from '../errors';
import { significant } from '../analysis/number-format';

export interface VersionBehaviour {
  /** Share of users' requests that fail (HTTP 500 from the model). */
  readonly errorRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** Every request fails, the smoke test included (a model that does not start or always crashes). */
  readonly failsOutright: boolean;
}

/** A regression the candidate may carry, relative to the live version. */
export type Regression =
  | { readonly kind: 'errorRate'; readonly factor: number }
  | { readonly kind: 'latency'; readonly increase: number }
  | { readonly kind: 'outright' };

/** The defaults of the issue: error rate x1.5, x2, x3; latency +20%, +40%; a model that fails outright. */
export const DEFAULT_REGRESSIONS: readonly Regression[] = [
  { kind: 'errorRate', factor: 1.5 },
  { kind: 'errorRate', factor: 2 },
  { kind: 'errorRate', factor: 3 },
  { kind: 'latency', increase: 0.2 },
  { kind: 'latency', increase: 0.4 },
  { kind: 'outright' },
];

export function regressionName(r: Regression): string {
  switch (r.kind) {
    case 'errorRate':
      return `errors x${r.factor}`;
    case 'latency':
      return `latency +${Math.round(r.increase * 100)}%`;
    case 'outright':
      return 'fails outright';
  }
}

/** The candidate's behaviour under a regression (undefined = a healthy candidate, same as live). */
export function candidateBehaviour(live: VersionBehaviour, regression: Regression | undefined): VersionBehaviour {
  if (!regression) return live;
  switch (regression.kind) {
    case 'errorRate':
      return { ...live, errorRate: Math.min(1, live.errorRate * regression.factor) };
    case 'latency':
      return { ...live, p50Ms: live.p50Ms * (1 + regression.increase), p95Ms: live.p95Ms * (1 + regression.increase) };
    case 'outright':
      return { ...live, errorRate: 1, failsOutright: true };
  }
}

/**
 * Parses a regression as written on the command line: `errors*1.5` (or `errors x1.5`),
 * `latency+20%`, `outright`. A clear error names what is wrong.
 */
export function parseRegression(text: string): Regression {
  const t = text.trim().toLowerCase().replace(/\s+/g, '');
  if (t === 'outright' || t === 'failsoutright') return { kind: 'outright' };
  let m = /^errors?[*x](\d+(?:\.\d+)?)$/.exec(t);
  if (m) {
    const factor = Number(m[1]);
    if (!(factor > 1))
      throw new ValidationError('--regression', `"${text}": the error-rate factor must be above 1 (a regression), e.g. errors*1.5`);
    return { kind: 'errorRate', factor };
  }
  m = /^latency\+(\d+(?:\.\d+)?)%$/.exec(t);
  if (m) {
    const increase = Number(m[1]) / 100;
    if (!(increase > 0)) throw new ValidationError('--regression', `"${text}": the latency increase must be above 0%, e.g. latency+20%`);
    return { kind: 'latency', increase };
  }
  throw new ValidationError(
    '--regression',
    `"${text}" is not a regression; expected errors*<factor> (e.g. errors*2), latency+<percent>% (e.g. latency+20%) or outright`,
  );
}

/**
 * Requests per minute: constant, a daily curve (hour of day -> rate, linear in between), or a
 * scenario's schedule (a rate from each minute on).
 */
export type TrafficProfile =
  | { readonly kind: 'constant'; readonly requestsPerMinute: number }
  | { readonly kind: 'schedule'; readonly entries: readonly { readonly fromMinute: number; readonly requestsPerMinute: number }[] }
  | {
      readonly kind: 'daily';
      readonly points: readonly { readonly hour: number; readonly requestsPerMinute: number }[];
      readonly startHour: number;
    };

const dailyCurveSchema = z
  .array(z.strictObject({ hour: z.number().min(0).max(24), requestsPerMinute: z.number().min(0) }))
  .min(1)
  .refine((points) => points.every((p, i) => i === 0 || p.hour > (points[i - 1]?.hour ?? -1)), {
    message: 'hours must increase from one point to the next',
  });

/** A daily curve from JSON text: [{ "hour": 0, "requestsPerMinute": 100 }, ...]. */
export function parseDailyCurve(text: string, source: string, startHour: number): TrafficProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(source, `not valid JSON (${(error as Error).message})`);
  }
  const parsed = dailyCurveSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(source, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  if (!(startHour >= 0 && startHour < 24)) throw new ValidationError('--start-hour', `expected an hour in [0, 24), got ${startHour}`);
  return { kind: 'daily', points: parsed.data, startHour };
}

/** The rate at a minute after the rollout began (a daily curve wraps around midnight). */
export function requestsPerMinuteAt(profile: TrafficProfile, minute: number): number {
  if (profile.kind === 'constant') return profile.requestsPerMinute;
  if (profile.kind === 'schedule') {
    let rpm = 0;
    for (const e of profile.entries) if (e.fromMinute <= minute) rpm = e.requestsPerMinute;
    return rpm;
  }
  const hour = (((profile.startHour + minute / 60) % 24) + 24) % 24;
  const pts = profile.points;
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (!first || !last) return 0;
  // Wrap: between the last point and the first one of the next day.
  const wrapped = [
    { hour: last.hour - 24, requestsPerMinute: last.requestsPerMinute },
    ...pts,
    { hour: first.hour + 24, requestsPerMinute: first.requestsPerMinute },
  ];
  for (let i = 1; i < wrapped.length; i++) {
    const a = wrapped[i - 1];
    const b = wrapped[i];
    if (a && b && hour >= a.hour && hour <= b.hour) {
      const span = b.hour - a.hour;
      return span === 0
        ? b.requestsPerMinute
        : a.requestsPerMinute + ((hour - a.hour) / span) * (b.requestsPerMinute - a.requestsPerMinute);
    }
  }
  return last.requestsPerMinute;
}

export function describeProfile(profile: TrafficProfile): string {
  if (profile.kind === 'constant') return `${profile.requestsPerMinute} requests/min`;
  if (profile.kind === 'schedule')
    return `schedule ${profile.entries.map((e) => `${e.requestsPerMinute}/min from minute ${e.fromMinute}`).join(', ')}`;
  const rates = profile.points.map((p) => p.requestsPerMinute);
  return `daily curve ${Math.min(...rates)}-${Math.max(...rates)} requests/min from ${profile.startHour}:00`;
}

export function describeBehaviour(b: VersionBehaviour): string {
  return `error rate ${significant(b.errorRate * 100, 3)}%, latency p50 ${b.p50Ms} ms / p95 ${b.p95Ms} ms`;
}

/** Where a behaviour's numbers came from: the options by default, or a scenario file's fields. */
interface BehaviourSource {
  readonly errorRate: string;
  readonly p50: string;
  readonly p95: string;
}

const BEHAVIOUR_OPTIONS: BehaviourSource = { errorRate: '--error-rate', p50: '--p50', p95: '--p95' };

/** Checks a behaviour given on the command line (or read from a scenario); the message names the option or field. */
export function checkBehaviour(b: VersionBehaviour, source: BehaviourSource = BEHAVIOUR_OPTIONS): VersionBehaviour {
  if (!(b.errorRate >= 0 && b.errorRate < 1))
    throw new ValidationError(source.errorRate, `expected a fraction in [0, 1), e.g. 0.01; got ${b.errorRate}`);
  if (!(b.p50Ms > 0)) throw new ValidationError(source.p50, `expected milliseconds > 0, got ${b.p50Ms}`);
  if (!(b.p95Ms >= b.p50Ms)) throw new ValidationError(source.p95, `expected at least p50 (${b.p50Ms} ms), got ${b.p95Ms}`);
  return b;
}
