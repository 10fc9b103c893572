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
import { RolloutError } from '../errors';
import type { EndpointRef } from '../ports';
import type {
  CheckGatesInput,
  CheckGatesOutput,
  DecideWinnerInput,
  DecideWinnerOutput,
  GateOutcome,
} from '../orchestration/activity-contracts';
import type { ActivityContext } from './context';

interface LookRows {
  traffic: readonly AnalysisRow[];
  custom: Record<string, readonly AnalysisRow[]>;
}

async function runLook(ctx: ActivityContext, spec: GateSpec, target: EndpointRef, baseline: string, candidate: string, window: { fromMs: number; toMs: number }): Promise<LookRows> {
  const workspace = { subscriptionId: target.subscriptionId, resourceGroup: target.resourceGroup, workspace: target.workspace };
  const queries = buildGateQueries(spec, { workspace, endpoint: target.endpoint, baseline, candidate, window });
  const rows: LookRows = { traffic: [], custom: {} };
  for (const query of queries) {
    const result = await ctx.retry(`query ${spec.name}/${query.id}`, () => ctx.metricsSource.query({ kql: query.kql, fromMs: query.fromMs, toMs: query.toMs }));
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
  return error instanceof RolloutError && (error.code === 'InvalidInput' || error.code === 'InvalidPolicy' || error.code === 'Unauthorized' || error.code === 'Forbidden');
}

export async function checkGates(ctx: ActivityContext, input: CheckGatesInput): Promise<CheckGatesOutput> {
  const outcomes: GateOutcome[] = [];
  for (const spec of input.gates) {
    const window = checkWindow(input.nowMs, spec);
    const look = input.looks[spec.name] ?? 1;
    try {
      const rows = await runLook(ctx, spec, input.target, input.baseline, input.candidate, window);
      const result: GateResult = evaluateGate(spec, rows, { candidate: input.candidate, baseline: input.baseline, window, look, checkedAtMs: input.nowMs });
      const requests = candidateRequests(rows.traffic, input.candidate);
      outcomes.push({ gate: spec.name, outcome: result.verdict, result, ...(requests === undefined ? {} : { candidateRequests: requests }) });
    } catch (error) {
      // Query errors are counted apart from failures by the orchestrator (their own limit);
      // a misconfigured gate is an error outcome too, with a reason that says so.
      const described = errorOf(error);
      outcomes.push({
        gate: spec.name,
        outcome: 'error',
        error: isConfigurationError(error) ? { code: described.code, message: `gate '${spec.name}' is misconfigured: ${described.message}` } : described,
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
