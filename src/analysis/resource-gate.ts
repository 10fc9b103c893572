/**
 * One look of a gate's resource and cost checks (pure): platform-metrics usage of candidate and
 * baseline -> evidence rows beside the gate's metric evidence, and the verdict they add.
 *
 *   - resources (checkResources): per-request normalized comparison and absolute limits; a side
 *     the platform has not reported for enough minutes makes the look inconclusive;
 *   - cost (checkCost): cost per 1,000 requests at full traffic on the instances each version
 *     needs at the observed utilization. Above the limit, `rollback` fails the gate and
 *     `requestApproval` leaves the verdict alone and asks a person (`costApproval`, the reason
 *     with the numbers); the orchestrator asks at the point the step would otherwise go on.
 *
 * Full traffic is what the endpoint's live traffic is: the baseline's requests a minute divided by
 * its live share (in the mirror phase it serves all live traffic; mirrored copies are extra).
 */
import { checkCost, type HourlyPrice } from './cost';
import { checkResources, type DeploymentUsage, type ResourceCheckResult } from './resources';
import type { CostGateSpec, GateResult, MetricEvidence, ResourceGateSpec, Verdict } from './types';
import { fixedDecimals } from './number-format';

/** The evidence rows a resource look adds (their reasons carry the raw numbers and the sizing). */
export const RESOURCE_EVIDENCE_METRICS: readonly string[] = [
  'resources',
  'cpuUtilization',
  'memoryUtilization',
  'gpuUtilization',
  'gpuMemoryUtilization',
  'costPer1000Requests',
];

export interface ResourceLookInput {
  readonly resources?: ResourceGateSpec | undefined;
  readonly cost?: CostGateSpec | undefined;
  readonly candidate: DeploymentUsage;
  readonly baseline: DeploymentUsage;
  /** The baseline's share of live traffic now, in percent. */
  readonly baselineLivePercent: number;
  /** Instances the candidate runs with (and will at 100%: the rollout does not scale it). */
  readonly candidateInstances: number;
  /** Hourly prices of both instance types (with cost), or why they could not be had. */
  readonly prices?:
    | { readonly candidate: HourlyPrice & { readonly source: string }; readonly baseline: HourlyPrice & { readonly source: string } }
    | { readonly error: string }
    | undefined;
}

export interface ResourceLook {
  readonly verdict: Verdict;
  readonly evidence: readonly MetricEvidence[];
  /** Why the gate failed or is inconclusive (empty on a pass). */
  readonly reasons: readonly string[];
  /** Set when the cost limit is exceeded and the policy asks a person: the reason with the numbers. */
  readonly costApproval?: string;
  /** One line for the gate's reason when the look passes: the sizing, and the cost when checked. */
  readonly summary?: string;
}

/** Mean requests a minute over the minutes the platform reported for a deployment. */
function reportedRequestsPerMinute(usage: DeploymentUsage): number {
  const reported = usage.minutes.filter((m) => m.cpuPercent !== null && m.instances !== null);
  return reported.length === 0 ? 0 : reported.reduce((s, m) => s + m.requests, 0) / reported.length;
}

function inconclusiveRow(metric: string, reason: string): MetricEvidence {
  return {
    metric,
    verdict: 'inconclusive',
    candidate: null,
    baseline: null,
    samples: { candidate: 0, baseline: 0 },
    threshold: '-',
    test: 'Azure Monitor platform metrics',
    reason,
  };
}

function resourceRows(check: Extract<ResourceCheckResult, { verdict: 'pass' | 'fail' }>, spec: ResourceGateSpec): MetricEvidence[] {
  const { candidate: c, baseline: b } = check;
  const samples = {
    candidate: Math.round(c.requestsPerMinute * c.reportedMinutes),
    baseline: Math.round(b.requestsPerMinute * b.reportedMinutes),
  };
  return check.findings.map((finding) => {
    const limit = spec[finding.resource] ?? {};
    const thresholds = [
      ...(limit.maxRatioToBaseline === undefined ? [] : [`<= ${limit.maxRatioToBaseline}x baseline per request`]),
      ...(limit.maxPercent === undefined ? [] : [`<= ${limit.maxPercent}% now and at 100%`]),
    ];
    // A finding exists only where the candidate reported the resource; the baseline may not have
    // (a CPU baseline beside a GPU candidate): then only the absolute limits judge.
    const cu = c.use[finding.resource] ?? { meanPercent: Number.NaN, perRequest: Number.NaN };
    const bu = b.use[finding.resource];
    const baselineRaw =
      bu === undefined
        ? 'not reported by the baseline'
        : `${fixedDecimals(bu.meanPercent)}% on ${fixedDecimals(b.instances, 0)} at ${fixedDecimals(b.requestsPerMinute, 0)} req/min`;
    const raw = `raw ${fixedDecimals(cu.meanPercent)}% on ${fixedDecimals(c.instances, 0)} instance(s) at ${fixedDecimals(c.requestsPerMinute, 0)} req/min vs ${baselineRaw}`;
    const normalized = `per request ${fixedDecimals(cu.perRequest, 4)} vs ${bu === undefined ? 'n/a' : fixedDecimals(bu.perRequest, 4)} % of an instance per request/min${finding.ratioToBaseline === null ? '' : ` (${fixedDecimals(finding.ratioToBaseline, 2)}x)`}`;
    return {
      metric: `${finding.resource}Utilization`,
      verdict: finding.passed ? 'pass' : 'fail',
      candidate: cu.perRequest,
      baseline: bu === undefined ? null : bu.perRequest,
      samples,
      threshold: thresholds.join('; '),
      test: 'per request served (Azure Monitor platform metrics)',
      reason: `${finding.passed ? 'within limits' : (finding.reason ?? 'over the limit')}; ${raw}; ${normalized}; ${fixedDecimals(finding.projectedPercentAtFullTraffic)}% at 100%; ${check.summary}`,
    };
  });
}

export function judgeResourceLook(input: ResourceLookInput): ResourceLook {
  const full = input.baselineLivePercent > 0 ? (reportedRequestsPerMinute(input.baseline) * 100) / input.baselineLivePercent : 0;
  if (!(full > 0)) {
    const reason = 'the baseline serves no live traffic the platform has reported yet: nothing to size or price the candidate by';
    return { verdict: 'inconclusive', evidence: [inconclusiveRow(input.resources ? 'resources' : 'cost', reason)], reasons: [reason] };
  }
  const spec = input.resources ?? { minReportedMinutes: 3 };
  const check = checkResources({
    candidate: input.candidate,
    baseline: input.baseline,
    fullTrafficRequestsPerMinute: full,
    candidateInstancesAtFullTraffic: Math.max(1, input.candidateInstances),
    limits: {
      ...(spec.cpu ? { cpu: spec.cpu } : {}),
      ...(spec.memory ? { memory: spec.memory } : {}),
      ...(spec.gpu ? { gpu: spec.gpu } : {}),
      ...(spec.gpuMemory ? { gpuMemory: spec.gpuMemory } : {}),
    },
    minReportedMinutes: spec.minReportedMinutes,
  });
  if (check.verdict === 'inconclusive') {
    const reason = check.reasons.join('; ');
    return { verdict: 'inconclusive', evidence: [inconclusiveRow(input.resources ? 'resources' : 'cost', reason)], reasons: [reason] };
  }
  const evidence: MetricEvidence[] = input.resources ? resourceRows(check, spec) : [];
  const reasons: string[] = check.verdict === 'fail' ? check.reasons.map((r) => `${r} (${check.summary})`) : [];
  let verdict: Verdict = check.verdict;
  let costApproval: string | undefined;
  const summary: string[] = [check.summary];
  if (input.cost) {
    const cost = input.cost;
    const threshold = `<= +${cost.maxCostIncreasePercent}% per 1,000 requests (above: ${cost.onExceeded})`;
    const prices = input.prices;
    if (prices === undefined || 'error' in prices) {
      const reason = `no price: ${prices?.error ?? 'no price source'}`;
      evidence.push({ ...inconclusiveRow('costPer1000Requests', reason), threshold });
      if (verdict === 'pass') verdict = 'inconclusive';
      reasons.push(reason);
    } else {
      const result = checkCost({
        candidate: { price: prices.candidate, instancesAtFullTraffic: check.candidate.instancesAtFullTraffic },
        baseline: { price: prices.baseline, instancesAtFullTraffic: check.baseline.instancesAtFullTraffic },
        fullTrafficRequestsPerMinute: full,
        maxCostIncreasePercent: cost.maxCostIncreasePercent,
        onExceeded: cost.onExceeded,
      });
      const source = `prices: ${prices.candidate.pricePerHour} ${prices.candidate.currency}/h (${prices.candidate.source}) vs ${prices.baseline.pricePerHour} ${prices.baseline.currency}/h (${prices.baseline.source}) in ${prices.candidate.region}`;
      if (result.verdict === 'inconclusive') {
        evidence.push({ ...inconclusiveRow('costPer1000Requests', result.reason), threshold });
        if (verdict === 'pass') verdict = 'inconclusive';
        reasons.push(result.reason);
      } else {
        const e = result.evidence;
        const exceeded = result.verdict === 'exceeded';
        evidence.push({
          metric: 'costPer1000Requests',
          verdict: exceeded ? 'fail' : 'pass',
          candidate: e.candidatePer1000Requests,
          baseline: e.baselinePer1000Requests,
          samples: { candidate: check.candidate.instancesAtFullTraffic, baseline: check.baseline.instancesAtFullTraffic },
          threshold,
          test: 'cost model: instances needed at 100% x price per hour',
          reason: `${exceeded ? result.reason : e.summary}; ${source}`,
        });
        if (exceeded && cost.onExceeded === 'rollback') {
          verdict = 'fail';
          reasons.push(result.reason);
        } else if (exceeded) {
          costApproval = result.reason;
          summary.push(`${result.reason}: a person decides`);
        } else {
          summary.push(e.summary);
        }
      }
    }
  }
  // A failing look rolls back anyway: no person is asked about the cost of a version that is not going on.
  const ask = verdict === 'fail' ? undefined : costApproval;
  return { verdict, evidence, reasons, summary: summary.join('; '), ...(ask === undefined ? {} : { costApproval: ask }) };
}

const SEVERITY: Record<Verdict, number> = { pass: 0, inconclusive: 1, fail: 2 };

/** The gate's result with the resource look added: evidence appended, the worse verdict kept. */
export function withResourceLook(result: GateResult, look: ResourceLook): GateResult {
  const verdict = SEVERITY[look.verdict] > SEVERITY[result.verdict] ? look.verdict : result.verdict;
  const added =
    look.verdict === 'pass' || look.reasons.length === 0
      ? look.summary === undefined
        ? ''
        : `resources: ${look.summary}`
      : `${look.verdict === 'fail' ? 'resources/cost failed' : 'resources/cost inconclusive'}: ${look.reasons.join('; ')}`;
  // The worse side explains the verdict; on a tie both are told.
  const reason =
    verdict !== result.verdict
      ? added
      : look.verdict !== verdict && look.verdict !== 'pass'
        ? result.reason
        : [result.reason, added].filter((r) => r !== '').join('; ');
  return { ...result, verdict, evidence: [...result.evidence, ...look.evidence], reason };
}
