/**
 * Resource comparison of candidate and baseline from Azure Monitor platform metrics (pure).
 *
 * Raw utilization is not comparable: a candidate serving 10% of the requests idles, so its CPU is
 * lower however heavy the model is. Each deployment's utilization is therefore modelled as
 *
 *     utilization per instance = idle + perRequest x (requests a minute / instances)
 *
 * and the comparison is on `perRequest` (percent of one instance per request a minute), the part
 * the model version's work causes. `idle` is what the inference server and the loaded model use
 * without requests; where it comes from is part of the evidence (see estimateIdle).
 * The same line extrapolates to full traffic: the instances needed to keep utilization under its
 * limit, and the utilization at the instance count the candidate will have at 100%.
 */
import { fixedDecimals } from './number-format';

type ResourceKind = 'cpu' | 'memory' | 'gpu' | 'gpuMemory';
const RESOURCE_KINDS: readonly ResourceKind[] = ['cpu', 'memory', 'gpu', 'gpuMemory'];
/** Reported for every instance type; the GPU kinds only where the instance type has GPUs. */
const ALWAYS_REPORTED: readonly ResourceKind[] = ['cpu', 'memory'];

/** One platform-metrics minute of one deployment (null: not reported yet). */
export interface ResourceMinute {
  /** Requests the deployment served in the minute (live and mirrored). */
  readonly requests: number;
  readonly instances: number | null;
  readonly cpuPercent: number | null;
  readonly memoryPercent: number | null;
  /** GpuUtilizationPercentage / GpuMemoryUtilizationPercentage: absent or null without GPUs. */
  readonly gpuPercent?: number | null;
  readonly gpuMemoryPercent?: number | null;
}

export interface DeploymentUsage {
  readonly deployment: string;
  readonly instanceType: string;
  readonly minutes: readonly ResourceMinute[];
}

interface ResourceLimit {
  /** Absolute: observed and projected-at-100% utilization must stay at or below this percent. */
  readonly maxPercent?: number | undefined;
  /** Candidate per-request use <= this x baseline per-request use. */
  readonly maxRatioToBaseline?: number | undefined;
}

export interface ResourceCheckInput {
  readonly candidate: DeploymentUsage;
  readonly baseline: DeploymentUsage;
  /** Live requests a minute the whole endpoint serves (what the candidate gets at 100%). */
  readonly fullTrafficRequestsPerMinute: number;
  /** Instances the candidate will run with at 100% traffic. */
  readonly candidateInstancesAtFullTraffic: number;
  readonly limits: Partial<Record<ResourceKind, ResourceLimit>>;
  /** Utilization a deployment is sized for when no maxPercent is set (default 80). */
  readonly sizingPercent?: number;
  /** Fewer reported loaded minutes than this on either side is inconclusive (default 3). */
  readonly minReportedMinutes?: number;
}

type IdleSource = 'idleMinutes' | 'otherDeployment' | 'fit' | 'assumedZero';

export interface ResourceUse {
  /** Mean raw utilization over the loaded minutes (percent of one instance). */
  readonly meanPercent: number;
  readonly idlePercent: number;
  readonly idleSource: IdleSource;
  /** Normalized: percent of one instance per request a minute. */
  readonly perRequest: number;
}

interface DeploymentResourceEvidence {
  readonly deployment: string;
  readonly instanceType: string;
  readonly reportedMinutes: number;
  readonly requestsPerMinute: number;
  readonly instances: number;
  /** CPU and memory always; the GPU kinds when the deployment reported them (GPU instance types). */
  readonly use: Readonly<Record<'cpu' | 'memory', ResourceUse>> & Partial<Readonly<Record<'gpu' | 'gpuMemory', ResourceUse>>>;
  /** Instances of its SKU this deployment needs to serve full traffic within the limits. */
  readonly instancesAtFullTraffic: number;
}

interface ResourceFinding {
  readonly resource: ResourceKind;
  readonly ratioToBaseline: number | null;
  /** Candidate utilization at full traffic on candidateInstancesAtFullTraffic instances. */
  readonly projectedPercentAtFullTraffic: number;
  readonly passed: boolean;
  readonly reason: string | undefined;
}

export type ResourceCheckResult =
  | { readonly verdict: 'inconclusive'; readonly reasons: readonly string[] }
  | {
      readonly verdict: 'pass' | 'fail';
      readonly reasons: readonly string[];
      readonly candidate: DeploymentResourceEvidence;
      readonly baseline: DeploymentResourceEvidence;
      readonly findings: readonly ResourceFinding[];
      readonly fullTrafficRequestsPerMinute: number;
      /** "at 100% the candidate needs about N instances of its SKU". */
      readonly summary: string;
    };

const DEFAULT_SIZING_PERCENT = 80;
const DEFAULT_MIN_REPORTED_MINUTES = 3;
/** A load spread (max - min) / mean below this is too flat to fit an intercept on. */
const MIN_RELATIVE_LOAD_SPREAD = 0.25;

const percentOf = (m: ResourceMinute, kind: ResourceKind): number | null =>
  kind === 'cpu'
    ? m.cpuPercent
    : kind === 'memory'
      ? m.memoryPercent
      : kind === 'gpu'
        ? (m.gpuPercent ?? null)
        : (m.gpuMemoryPercent ?? null);
const isReported = (m: ResourceMinute): m is ResourceMinute & { instances: number; cpuPercent: number; memoryPercent: number } =>
  m.instances !== null && m.instances > 0 && m.cpuPercent !== null && m.memoryPercent !== null;
const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

function idleFromIdleMinutes(usage: DeploymentUsage, kind: ResourceKind): number | undefined {
  const idle = usage.minutes.filter((m) => isReported(m) && m.requests === 0).map((m) => percentOf(m, kind) ?? 0);
  return idle.length > 0 ? mean(idle) : undefined;
}

/** Least-squares intercept of utilization over requests per instance, when the load varied enough. */
function idleFromFit(loaded: readonly (ResourceMinute & { instances: number })[], kind: ResourceKind): number | undefined {
  if (loaded.length < 3) return undefined;
  const xs = loaded.map((m) => m.requests / m.instances);
  const ys = loaded.map((m) => percentOf(m, kind) ?? 0);
  const mx = mean(xs);
  const my = mean(ys);
  if (mx <= 0 || (Math.max(...xs) - Math.min(...xs)) / mx < MIN_RELATIVE_LOAD_SPREAD) return undefined;
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const sxy = xs.reduce((s, x, i) => s + (x - mx) * ((ys[i] ?? 0) - my), 0);
  const intercept = my - (sxy / sxx) * mx;
  // An intercept outside [0, lowest observation] is noise, not an idle level.
  return Math.min(Math.max(0, intercept), Math.min(...ys));
}

/**
 * Idle utilization, best evidence first: minutes the deployment served nothing (a candidate has
 * them between provisioning and its first traffic); the other deployment's idle minutes when it
 * runs the same SKU (same inference server and instance, a different model); an intercept fitted
 * over varying load; else 0, which charges the idle share to the requests (conservative: makes the
 * smaller deployment look heavier, never lighter).
 */
function estimateIdle(
  usage: DeploymentUsage,
  other: DeploymentUsage,
  kind: ResourceKind,
  loaded: readonly (ResourceMinute & { instances: number })[],
): { percent: number; source: IdleSource } {
  const own = idleFromIdleMinutes(usage, kind);
  if (own !== undefined) return { percent: own, source: 'idleMinutes' };
  const borrowed = usage.instanceType === other.instanceType ? idleFromIdleMinutes(other, kind) : undefined;
  const lowest = Math.min(...loaded.map((m) => percentOf(m, kind) ?? 0));
  if (borrowed !== undefined) return { percent: Math.min(borrowed, lowest), source: 'otherDeployment' };
  const fitted = idleFromFit(loaded, kind);
  if (fitted !== undefined) return { percent: fitted, source: 'fit' };
  return { percent: 0, source: 'assumedZero' };
}

/** Instances needed so that idle + perRequest x rpm / n <= limit (Infinity when idle alone exceeds it). */
export function instancesNeeded(
  use: Pick<ResourceUse, 'idlePercent' | 'perRequest'>,
  requestsPerMinute: number,
  limitPercent: number,
): number {
  if (use.idlePercent >= limitPercent) return Number.POSITIVE_INFINITY;
  // The epsilon keeps an exact fit (e.g. 2.0000000001 from float error) from asking one instance more.
  return Math.max(1, Math.ceil((use.perRequest * requestsPerMinute) / (limitPercent - use.idlePercent) - 1e-9));
}

export function projectedPercent(
  use: Pick<ResourceUse, 'idlePercent' | 'perRequest'>,
  requestsPerMinute: number,
  instances: number,
): number {
  return use.idlePercent + (use.perRequest * requestsPerMinute) / instances;
}

function evidenceOf(usage: DeploymentUsage, other: DeploymentUsage, input: ResourceCheckInput): DeploymentResourceEvidence | string {
  const reported = usage.minutes.filter(isReported);
  const loaded = reported.filter((m) => m.requests > 0);
  const minMinutes = input.minReportedMinutes ?? DEFAULT_MIN_REPORTED_MINUTES;
  if (loaded.length < minMinutes) {
    return `${usage.deployment}: ${loaded.length} minute(s) with requests reported by the platform, fewer than ${minMinutes} (platform metrics arrive after a delay)`;
  }
  const requests = loaded.reduce((s, m) => s + m.requests, 0);
  const use = {} as Record<ResourceKind, ResourceUse>;
  const kinds = RESOURCE_KINDS.filter((kind) => ALWAYS_REPORTED.includes(kind) || loaded.every((m) => percentOf(m, kind) !== null));
  for (const kind of kinds) {
    const idle = estimateIdle(usage, other, kind, loaded);
    // Ratio estimator over the loaded minutes: instance-percent above idle, per request.
    const above = loaded.reduce((s, m) => s + Math.max(0, (percentOf(m, kind) ?? 0) - idle.percent) * m.instances, 0);
    use[kind] = {
      meanPercent: mean(loaded.map((m) => percentOf(m, kind) ?? 0)),
      idlePercent: idle.percent,
      idleSource: idle.source,
      perRequest: above / requests,
    };
  }
  const needed = Math.max(
    ...kinds.map((kind) =>
      instancesNeeded(
        use[kind],
        input.fullTrafficRequestsPerMinute,
        input.limits[kind]?.maxPercent ?? input.sizingPercent ?? DEFAULT_SIZING_PERCENT,
      ),
    ),
  );
  return {
    deployment: usage.deployment,
    instanceType: usage.instanceType,
    reportedMinutes: loaded.length,
    requestsPerMinute: requests / loaded.length,
    instances: mean(loaded.map((m) => m.instances)),
    use,
    instancesAtFullTraffic: needed,
  };
}

export function checkResources(input: ResourceCheckInput): ResourceCheckResult {
  if (!(input.fullTrafficRequestsPerMinute >= 0) || !(input.candidateInstancesAtFullTraffic >= 1)) {
    throw new RangeError('checkResources: fullTrafficRequestsPerMinute must be >= 0 and candidateInstancesAtFullTraffic >= 1');
  }
  const candidate = evidenceOf(input.candidate, input.baseline, input);
  const baseline = evidenceOf(input.baseline, input.candidate, input);
  if (typeof candidate === 'string' || typeof baseline === 'string') {
    return { verdict: 'inconclusive', reasons: [candidate, baseline].filter((r): r is string => typeof r === 'string') };
  }
  const findings: ResourceFinding[] = [];
  for (const kind of RESOURCE_KINDS) {
    const limit = input.limits[kind];
    const c = candidate.use[kind];
    // GPU limits apply where the candidate runs on GPUs; a CPU instance type has nothing to judge.
    if (!limit || !c) continue;
    const b = baseline.use[kind];
    // A baseline with no measurable per-request use gives no ratio (division by ~0), only limits.
    const ratio = b !== undefined && b.perRequest > 1e-9 ? c.perRequest / b.perRequest : null;
    const projected = projectedPercent(c, input.fullTrafficRequestsPerMinute, input.candidateInstancesAtFullTraffic);
    const problems: string[] = [];
    if (limit.maxRatioToBaseline !== undefined && ratio !== null && ratio > limit.maxRatioToBaseline) {
      problems.push(
        `${kind} per request is ${fixedDecimals(ratio, 2)}x the baseline's (${fixedDecimals(c.perRequest, 4)} vs ${fixedDecimals(b?.perRequest ?? 0, 4)} % of an instance per request/min; limit ${limit.maxRatioToBaseline}x)`,
      );
    }
    if (limit.maxPercent !== undefined && c.meanPercent > limit.maxPercent) {
      problems.push(`${kind} is ${fixedDecimals(c.meanPercent)}% now (limit ${limit.maxPercent}%)`);
    }
    if (limit.maxPercent !== undefined && projected > limit.maxPercent) {
      problems.push(
        `${kind} would be ${fixedDecimals(projected)}% at 100% traffic on ${input.candidateInstancesAtFullTraffic} instance(s) (limit ${limit.maxPercent}%)`,
      );
    }
    findings.push({
      resource: kind,
      ratioToBaseline: ratio,
      projectedPercentAtFullTraffic: projected,
      passed: problems.length === 0,
      reason: problems.length > 0 ? problems.join('; ') : undefined,
    });
  }
  const failed = findings.filter((f) => !f.passed);
  const summary = `at 100% (${fixedDecimals(input.fullTrafficRequestsPerMinute, 0)} requests/min) the candidate needs about ${candidate.instancesAtFullTraffic} instance(s) of ${candidate.instanceType}; the baseline about ${baseline.instancesAtFullTraffic} of ${baseline.instanceType}`;
  return {
    verdict: failed.length > 0 ? 'fail' : 'pass',
    reasons: failed.map((f) => f.reason ?? f.resource),
    candidate,
    baseline,
    findings,
    fullTrafficRequestsPerMinute: input.fullTrafficRequestsPerMinute,
    summary,
  };
}
