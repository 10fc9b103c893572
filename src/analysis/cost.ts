/**
 * Cost model of a rollout (pure): what a deployment costs an hour (instance price x instances),
 * what serving 1,000 requests costs at full traffic on the instances the resource analysis says a
 * version needs (so a model that needs more instances shows it), and what the rollout itself adds
 * (the candidate running beside the baseline for the planned duration; mirrored requests add load,
 * not instances).
 */
import { fixedDecimals, moneyText } from './number-format';

export interface HourlyPrice {
  readonly instanceType: string;
  readonly region: string;
  readonly pricePerHour: number;
  readonly currency: string;
}

export const COST_OUTCOMES = ['rollback', 'requestApproval'] as const;
type CostOutcome = (typeof COST_OUTCOMES)[number];

function hourlyCost(price: HourlyPrice, instances: number): number {
  return price.pricePerHour * instances;
}

/** Cost of 1,000 requests when `instances` serve `requestsPerMinute` all hour long. */
export function costPer1000Requests(price: HourlyPrice, instances: number, requestsPerMinute: number): number {
  if (!(requestsPerMinute > 0)) return Number.POSITIVE_INFINITY;
  return (hourlyCost(price, instances) / (requestsPerMinute * 60)) * 1000;
}

export interface CostCheckInput {
  readonly candidate: { readonly price: HourlyPrice; readonly instancesAtFullTraffic: number };
  readonly baseline: { readonly price: HourlyPrice; readonly instancesAtFullTraffic: number };
  readonly fullTrafficRequestsPerMinute: number;
  readonly maxCostIncreasePercent: number;
  readonly onExceeded: CostOutcome;
}

interface CostEvidence {
  readonly currency: string;
  readonly candidatePer1000Requests: number;
  readonly baselinePer1000Requests: number;
  readonly increasePercent: number;
  readonly candidateHourly: number;
  readonly baselineHourly: number;
  readonly summary: string;
}

export type CostCheckResult =
  | { readonly verdict: 'pass'; readonly evidence: CostEvidence }
  | { readonly verdict: 'exceeded'; readonly outcome: CostOutcome; readonly evidence: CostEvidence; readonly reason: string }
  | { readonly verdict: 'inconclusive'; readonly reason: string };

export function checkCost(input: CostCheckInput): CostCheckResult {
  const { candidate, baseline } = input;
  if (candidate.price.currency !== baseline.price.currency) {
    return {
      verdict: 'inconclusive',
      reason: `prices are in different currencies (${candidate.price.currency}, ${baseline.price.currency})`,
    };
  }
  if (!(input.fullTrafficRequestsPerMinute > 0))
    return { verdict: 'inconclusive', reason: 'the endpoint serves no live traffic to price requests by' };
  if (!Number.isFinite(candidate.instancesAtFullTraffic) || !Number.isFinite(baseline.instancesAtFullTraffic)) {
    return {
      verdict: 'inconclusive',
      reason: 'a deployment cannot serve full traffic within its resource limits on any number of instances',
    };
  }
  const currency = candidate.price.currency;
  const c = costPer1000Requests(candidate.price, candidate.instancesAtFullTraffic, input.fullTrafficRequestsPerMinute);
  const b = costPer1000Requests(baseline.price, baseline.instancesAtFullTraffic, input.fullTrafficRequestsPerMinute);
  const increasePercent = b > 0 ? ((c - b) / b) * 100 : c > 0 ? Number.POSITIVE_INFINITY : 0;
  const evidence: CostEvidence = {
    currency,
    candidatePer1000Requests: c,
    baselinePer1000Requests: b,
    increasePercent,
    candidateHourly: hourlyCost(candidate.price, candidate.instancesAtFullTraffic),
    baselineHourly: hourlyCost(baseline.price, baseline.instancesAtFullTraffic),
    summary:
      `per 1,000 requests at 100%: candidate ${moneyText(c, currency)} (${candidate.instancesAtFullTraffic} x ${candidate.price.instanceType}), ` +
      `baseline ${moneyText(b, currency)} (${baseline.instancesAtFullTraffic} x ${baseline.price.instanceType}), ${increasePercent >= 0 ? '+' : ''}${fixedDecimals(increasePercent)}%`,
  };
  if (increasePercent > input.maxCostIncreasePercent) {
    return {
      verdict: 'exceeded',
      outcome: input.onExceeded,
      evidence,
      reason: `serving cost rises ${fixedDecimals(increasePercent)}% (limit ${input.maxCostIncreasePercent}%): ${evidence.summary}`,
    };
  }
  return { verdict: 'pass', evidence };
}

export interface RolloutExtraCost {
  readonly amount: number;
  readonly currency: string;
  readonly hours: number;
  readonly summary: string;
}

/** The candidate's instances for the planned duration: what the rollout costs beyond the baseline. */
export function rolloutExtraCost(candidate: HourlyPrice, instances: number, plannedMinutes: number): RolloutExtraCost {
  const hours = Math.max(0, plannedMinutes) / 60;
  const amount = hourlyCost(candidate, instances) * hours;
  return {
    amount,
    currency: candidate.currency,
    hours,
    summary: `${instances} x ${candidate.instanceType} for about ${fixedDecimals(hours)} h: ${moneyText(amount, candidate.currency)}`,
  };
}
