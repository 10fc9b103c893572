/**
 * checkGates and decideWinner: one look at each gate. The window ends at the orchestration's
 * time minus the gate's ingestion delay (logs arrive late), so the verdict of a replayed or
 * retried activity is about the same minutes. A query that fails after the retries, or returns
 * something unreadable, is an 'error' outcome with its reason: never a pass.
 */
import { buildGateQueries } from '../analysis/queries';
import { evaluateGate } from '../analysis/evaluate';
import { decideWinner as decideArms } from '../analysis/winner';
import { readTrafficSide, type AnalysisRow } from '../analysis/rows';
import { checkWindow } from '../analysis/window';
import type { GateResult, GateSpec } from '../analysis/types';
import { judgeResourceLook, withResourceLook, type ResourceLook, type ResourceLookInput } from '../analysis/resource-gate';
import { RolloutError } from '../errors';
import { endpointResourceId } from '../common/arm-resource-id';
import type { EndpointRef } from '../ports';
import { readDeploymentUsage } from './resource-usage';
import type {
  CheckGatesInput,
  CheckGatesOutput,
  DecideWinnerInput,
  DecideWinnerOutput,
  GateOutcome,
} from '../orchestration/activity-contracts';
import type { ActivityContext } from './context';
import { predictionAgreementLook } from './prediction-agreement';
import { endpointProblems, type ObservedEndpoint } from '../orchestration/endpoint-check';

interface LookRows {
  traffic: readonly AnalysisRow[];
  custom: Record<string, readonly AnalysisRow[]>;
}

async function runLook(
  ctx: ActivityContext,
  spec: GateSpec,
  target: EndpointRef,
  baseline: string,
  candidate: string,
  window: { fromMs: number; toMs: number },
): Promise<LookRows> {
  const workspace = { subscriptionId: target.subscriptionId, resourceGroup: target.resourceGroup, workspace: target.workspace };
  const queries = buildGateQueries(spec, { workspace, endpoint: target.endpoint, baseline, candidate, window });
  const rows: LookRows = { traffic: [], custom: {} };
  for (const query of queries) {
    const result = await ctx.retry(`query ${spec.name}/${query.id}`, () =>
      ctx.metricsSource.query({ kql: query.kql, fromMs: query.fromMs, toMs: query.toMs }),
    );
    if (query.metric === undefined) rows.traffic = result.rows;
    else rows.custom[query.metric] = result.rows;
  }
  return rows;
}

function candidateRequests(rows: readonly AnalysisRow[], candidate: string): number | undefined {
  const side = readTrafficSide(rows, candidate);
  if (!side.ok) return undefined;
  if (!side.side.present) return 0;
  return side.side.requests.ok ? side.side.requests.value : undefined;
}

function errorOf(error: unknown): { code: string; message: string } {
  if (error instanceof RolloutError) return { code: error.code, message: error.message };
  return { code: 'Internal', message: error instanceof Error ? error.message : String(error) };
}

/** Errors that say the gate itself is wrong (bad KQL, unknown metric): the rollout must not go on blind. */
function isConfigurationError(error: unknown): boolean {
  return (
    error instanceof RolloutError &&
    (error.code === 'InvalidInput' || error.code === 'InvalidPolicy' || error.code === 'Unauthorized' || error.code === 'Forbidden')
  );
}

/**
 * How far back the resource look reads platform metrics. The idle level of a deployment (what it
 * uses serving nothing) is best seen in minutes without requests, which a candidate has only
 * between its creation and its first traffic; a gate window of 10-20 minutes loses them after the
 * first looks, and the analysis then falls back to a fit or to charging the idle share to the
 * requests (conservative, and far off for memory). Two hours keeps them in view through a mirror
 * phase and the first traffic steps; more load levels in view also help the fit.
 */
const RESOURCE_LOOKBACK_MS = 2 * 60 * 60_000;

/**
 * The gate's resource and cost look: platform metrics of both deployments over the lookback up to
 * now (minutes the platform has not reported come back empty and count as missing, never
 * as idle), their instance types and counts, and the prices when the cost check is on.
 */
async function resourceLook(
  ctx: ActivityContext,
  spec: GateSpec,
  input: CheckGatesInput,
  window: { fromMs: number },
  endpointNow: () => Promise<EndpointRead>,
): Promise<ResourceLook> {
  const metrics = ctx.platformMetrics;
  if (!metrics)
    throw new RolloutError(
      'InvalidInput',
      'resource and cost checks need Azure Monitor platform metrics, which this app was started without',
    );
  const target = input.target;
  const { endpoint, deployments } = await endpointNow();
  const find = (name: string) => {
    const found = deployments.find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (!found) throw new RolloutError('NotFound', `deployment '${name}' is not on endpoint '${target.endpoint}'`);
    return found;
  };
  const candidate = find(input.candidate);
  const baseline = find(input.baseline);
  const id = endpointResourceId(target);
  const usageWindow = { fromMs: Math.min(window.fromMs, input.nowMs - RESOURCE_LOOKBACK_MS), toMs: input.nowMs };
  const [candidateUsage, baselineUsage] = await Promise.all([
    ctx.retry('platform metrics (candidate)', () =>
      readDeploymentUsage(metrics, id, { name: candidate.name, instanceType: candidate.instanceType }, usageWindow),
    ),
    ctx.retry('platform metrics (baseline)', () =>
      readDeploymentUsage(metrics, id, { name: baseline.name, instanceType: baseline.instanceType }, usageWindow),
    ),
  ]);
  let prices: ResourceLookInput['prices'];
  const cost = spec.cost;
  if (cost) {
    const pricing = ctx.prices;
    if (!pricing) prices = { error: 'this app was started without a price source' };
    else {
      try {
        const [c, b] = await Promise.all([
          ctx.retry('price (candidate)', () => pricing.hourlyPrice(candidate.instanceType, target, cost)),
          ctx.retry('price (baseline)', () => pricing.hourlyPrice(baseline.instanceType, target, cost)),
        ]);
        prices = { candidate: c, baseline: b };
      } catch (error) {
        // No price makes the cost check inconclusive (never a pass); the resource checks still count.
        prices = { error: errorOf(error).message };
      }
    }
  }
  return judgeResourceLook({
    resources: spec.resources,
    cost,
    candidate: candidateUsage,
    baseline: baselineUsage,
    baselineLivePercent: endpoint.traffic[baseline.name] ?? 0,
    candidateInstances: candidate.instanceCount,
    prices,
  });
}

/** The endpoint and its deployments as one look reads them. */
interface EndpointRead {
  readonly endpoint: Awaited<ReturnType<ActivityContext['endpointControl']['getEndpoint']>>;
  readonly deployments: Awaited<ReturnType<ActivityContext['endpointControl']['listDeployments']>>;
}

/**
 * Reads the endpoint at most once per checkGates call, when first needed: the endpoint check and
 * every gate's resource look share the answer (one look, one state of the endpoint).
 */
function endpointReader(ctx: ActivityContext, target: EndpointRef): () => Promise<EndpointRead> {
  let read: Promise<EndpointRead> | undefined;
  return () =>
    (read ??= (async () => {
      const endpoint = await ctx.retry('getEndpoint', () => ctx.endpointControl.getEndpoint(target));
      const deployments = await ctx.retry('listDeployments', () => ctx.endpointControl.listDeployments(target));
      return { endpoint, deployments };
    })());
}

/** The endpoint as the look finds it (a missing endpoint is an answer, not an error). */
async function observeEndpoint(endpointNow: () => Promise<EndpointRead>): Promise<ObservedEndpoint> {
  try {
    const { endpoint, deployments } = await endpointNow();
    return { exists: true, deployments: deployments.map((d) => d.name), traffic: endpoint.traffic, mirror: endpoint.mirrorTraffic };
  } catch (error) {
    if (error instanceof RolloutError && error.code === 'NotFound') return { exists: false, deployments: [], traffic: {}, mirror: {} };
    throw error;
  }
}

export async function checkGates(ctx: ActivityContext, input: CheckGatesInput): Promise<CheckGatesOutput> {
  const endpointNow = endpointReader(ctx, input.target);
  if (input.expect) {
    // Judge nothing that is not there: a lost deployment is a reason, not "no data yet".
    const problems = endpointProblems(input.expect, await observeEndpoint(endpointNow));
    if (problems.length > 0) return { outcomes: [], endpointProblems: problems };
  }
  const outcomes: GateOutcome[] = [];
  for (const spec of input.gates) {
    const window = checkWindow(input.nowMs, spec);
    const look = input.looks[spec.name] ?? 1;
    try {
      if (spec.agreement !== undefined) {
        // A prediction-agreement gate asks the deployments themselves instead of the logs.
        const result = await predictionAgreementLook(ctx, { ...spec, agreement: spec.agreement }, { ...input, look });
        outcomes.push({ gate: spec.name, outcome: result.verdict, result });
        continue;
      }
      const rows = await runLook(ctx, spec, input.target, input.baseline, input.candidate, window);
      let result: GateResult = evaluateGate(spec, rows, {
        candidate: input.candidate,
        baseline: input.baseline,
        window,
        look,
        checkedAtMs: input.nowMs,
      });
      // Judged on the candidate alone (baseline = candidate) there is nothing to compare resources with.
      const compared =
        (spec.resources !== undefined || spec.cost !== undefined) && input.baseline.toLowerCase() !== input.candidate.toLowerCase();
      const extra = compared ? await resourceLook(ctx, spec, input, window, endpointNow) : undefined;
      if (extra) result = withResourceLook(result, extra);
      const requests = candidateRequests(rows.traffic, input.candidate);
      outcomes.push({
        gate: spec.name,
        outcome: result.verdict,
        result,
        ...(requests === undefined ? {} : { candidateRequests: requests }),
        ...(extra?.costApproval === undefined ? {} : { costApproval: extra.costApproval }),
      });
    } catch (error) {
      // Query errors are counted apart from failures by the orchestrator (their own limit);
      // a misconfigured gate is an error outcome too, with a reason that says so.
      const described = errorOf(error);
      outcomes.push({
        gate: spec.name,
        outcome: 'error',
        error: isConfigurationError(error)
          ? { code: described.code, message: `gate '${spec.name}' is misconfigured: ${described.message}` }
          : described,
      });
    }
  }
  const arms = input.armsSinceMs === undefined ? undefined : await armsSince(ctx, input, input.armsSinceMs);
  return { outcomes, ...(arms ? { arms } : {}) };
}

type ArmCounts = NonNullable<CheckGatesOutput['arms']>['candidate'];

function armCounts(rows: readonly AnalysisRow[], deployment: string): ArmCounts | undefined {
  const read = readTrafficSide(rows, deployment);
  if (!read.ok) return undefined;
  const side = read.side;
  if (!side.present) return { requests: 0, failures: 0, latenciesSorted: [] };
  if (!side.requests.ok || !side.failed.ok || !side.latencies.ok) return undefined;
  return { requests: side.requests.value, failures: side.failed.value, latenciesSorted: [...side.latencies.sorted] };
}

/**
 * Adaptive bakes: each arm's requests, failures and latency sample since the step began (one
 * traffic query over the first gate's metrics). Unreadable data is left out (the bake then keeps
 * its fixed schedule), never guessed.
 */
async function armsSince(ctx: ActivityContext, input: CheckGatesInput, sinceMs: number): Promise<CheckGatesOutput['arms']> {
  const spec = input.gates[0];
  if (!spec) return undefined;
  try {
    const rows = await runLook(ctx, spec, input.target, input.baseline, input.candidate, checkWindow(input.nowMs, spec, sinceMs));
    const candidate = armCounts(rows.traffic, input.candidate);
    const baseline = armCounts(rows.traffic, input.baseline);
    return candidate && baseline ? { candidate, baseline } : undefined;
  } catch (_error) {
    return undefined;
  }
}

/**
 * A/B: compare the arms on the gate's metrics over the whole test window (since the split was
 * set) with src/analysis' decideWinner (guardrails included). `final` marks the last look: a tie
 * then keeps the baseline.
 */
export async function decideWinner(ctx: ActivityContext, input: DecideWinnerInput): Promise<DecideWinnerOutput> {
  const window = checkWindow(input.nowMs, input.gate, input.sinceMs);
  let rows: LookRows;
  try {
    rows = await runLook(ctx, input.gate, input.target, input.baseline, input.candidate, window);
  } catch (error) {
    const described = errorOf(error);
    return { winner: 'undecided', reason: `query failed: ${described.message}`, error: described };
  }
  const decision = decideArms(input.gate, rows, {
    candidate: input.candidate,
    baseline: input.baseline,
    window,
    look: input.look,
    checkedAtMs: input.nowMs,
    minRequestsPerArm: input.minRequestsPerArm,
    final: input.final ?? false,
  });
  return { winner: decision.winner, reason: decision.reason, result: decision.result };
}
