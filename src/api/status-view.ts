/**
 * Shaping instance status for people: the one-line summary of the list, and the readable history
 * (journal, gate verdicts with their numbers, approvals, overrides) of one rollout.
 */
import type { z } from 'zod';
import type { InstanceSummary } from '../ingest/ports';
import type { rolloutSummarySchema } from './schemas';
import type { RolloutInput } from '../orchestration/events';
import { decidingPText, describeAgreement, describeGate, evidenceDetail, formatEvidenceNumber as formatNumber } from '../analysis/describe';
import type { GateResult } from '../analysis/types';
import { rolloutStatusSchema, type RolloutStatus } from '../plan/types';
import { describeJournalDropped, describeStepStatus, describeWait, formatTraffic, stepPosition } from '../plan/describe';
import { formatDuration, timeSpent, type TimeSpent } from '../plan/time-spent';

/** The orchestrator's custom status, when it has published one that looks like a RolloutStatus. */
export function readRolloutStatus(instance: InstanceSummary): RolloutStatus | undefined {
  const parsed = rolloutStatusSchema.safeParse(instance.customStatus);
  return parsed.success ? parsed.data : undefined;
}

export function readRolloutInput(instance: InstanceSummary): Partial<RolloutInput> {
  const input = instance.input;
  return input !== null && typeof input === 'object' ? (input as Partial<RolloutInput>) : {};
}

/** The phase to show: the published one, else derived from the runtime status. */
export function displayPhase(instance: InstanceSummary, status: RolloutStatus | undefined): string {
  if (status) return status.phase;
  if (instance.runtimeStatus === 'Failed') return 'Failed';
  if (instance.runtimeStatus === 'Terminated') return 'Aborted';
  return 'Pending';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** One row of GET /api/rollouts, as its schema (src/api/schemas.ts) defines it. */
export type RolloutSummary = z.output<typeof rolloutSummarySchema>;

export function summarize(instance: InstanceSummary): RolloutSummary {
  const status = readRolloutStatus(instance);
  const input = readRolloutInput(instance);
  return {
    rolloutId: instance.instanceId,
    runtimeStatus: instance.runtimeStatus,
    phase: displayPhase(instance, status),
    endpoint: status?.endpoint,
    model: status?.model ?? input.model?.name,
    version: status?.version ?? input.model?.version,
    policy: status?.policy ?? input.policyName,
    baseline: status?.baseline || undefined,
    candidate: status?.candidate || undefined,
    step: status
      ? { index: status.step.index, count: status.step.count, kind: status.step.kind, text: stepPosition(status.step) }
      : undefined,
    traffic: status?.traffic,
    mirror: status?.mirror,
    trafficText: status ? formatTraffic(status.traffic, status.mirror) : undefined,
    waitingFor: status ? describeWait(status) : undefined,
    outcome: status?.outcome,
    createdAt: iso(instance.createdTimeMs),
    updatedAt: iso(status?.updatedAtMs ?? instance.lastUpdatedTimeMs),
    endedAt: status?.endedAtMs === undefined ? undefined : iso(status.endedAtMs),
  };
}

interface GateRowView {
  readonly metric: string;
  readonly verdict: string;
  readonly candidate: string;
  readonly baseline: string;
  readonly threshold: string;
  readonly samples: string;
  readonly test: string;
  /** The p-value of the test that decided the verdict, e.g. "p(within)=0.002"; absent for absolute checks. */
  readonly decidedBy?: string;
  /** Resource and cost rows: raw and per-request numbers, the instances needed at 100%, the prices. */
  readonly detail?: string;
}

interface GateView {
  readonly gate: string;
  readonly look: number;
  readonly verdict: string;
  readonly reason: string;
  readonly checkedAtMs: number;
  readonly rows: readonly GateRowView[];
  /** Lines a person reads under the rows: a prediction-agreement gate's counts and disagreeing examples. */
  readonly notes?: readonly string[];
}

/** Gate results as rows a person reads at a glance (the dashboard renders these as they are). */
function gateViews(gates: readonly GateResult[]): GateView[] {
  return gates.map((g) => ({
    ...(g.agreement ? { notes: describeAgreement(g.agreement) } : {}),
    gate: g.gate,
    look: g.look,
    verdict: g.verdict,
    reason: g.reason,
    checkedAtMs: g.checkedAtMs,
    rows: g.evidence.map((e) => {
      const decidedBy = decidingPText(e);
      const detail = evidenceDetail(e);
      return {
        metric: e.metric,
        verdict: e.verdict,
        candidate: formatNumber(e.candidate),
        baseline: formatNumber(e.baseline),
        threshold: e.threshold,
        samples: `${e.samples.candidate} / ${e.samples.baseline}`,
        test: e.test,
        ...(decidedBy === undefined ? {} : { decidedBy }),
        ...(detail === undefined ? {} : { detail }),
      };
    }),
  }));
}

/**
 * The status' gates, plus the latest prediction-agreement look when later checks replaced it: it
 * is checked once, before any traffic, and stays part of the evidence to the end of the rollout.
 */
function withAgreement(status: RolloutStatus): readonly GateResult[] {
  const a = status.predictionAgreement;
  if (!a || status.gates.some((g) => g.gate === a.gate && g.look === a.look && g.checkedAtMs === a.checkedAtMs)) return status.gates;
  return [a, ...status.gates];
}

export interface DisplayView {
  readonly step: string;
  readonly traffic: string;
  readonly waiting?: string;
  readonly gates: readonly GateView[];
  /** How many older journal entries the size limit left off, in words; absent when none were. */
  readonly journalDropped?: string;
}

/** The step, traffic, wait and gates of the detail view, worded once for every reader. */
export function displayOf(status: RolloutStatus | undefined): DisplayView | undefined {
  if (!status) return undefined;
  const waiting = describeWait(status);
  const dropped = describeJournalDropped(status.journalDropped);
  return {
    step: describeStepStatus(status.step),
    traffic: formatTraffic(status.traffic, status.mirror),
    ...(waiting === undefined ? {} : { waiting }),
    gates: gateViews(withAgreement(status)),
    ...(dropped === undefined ? {} : { journalDropped: dropped }),
  };
}

/** Where the time went, up to the end of the rollout or to `nowMs` while it runs. */
export function timeSpentOf(status: RolloutStatus | undefined, nowMs: number): (TimeSpent & { readonly text: string })[] {
  if (!status) return [];
  const until = status.endedAtMs ?? (status.outcome !== undefined && status.outcome !== 'failed' ? status.updatedAtMs : nowMs);
  return timeSpent(status.phaseClock, until).map((t) => ({ ...t, text: formatDuration(t.ms) }));
}

export interface HistoryEntry {
  readonly atMs: number;
  readonly at: string;
  readonly kind: 'journal' | 'gate' | 'approval' | 'override';
  readonly step: number;
  readonly text: string;
}

/** Journal, gates, approvals and overrides merged in time order. */
export function buildHistory(status: RolloutStatus | undefined): HistoryEntry[] {
  if (!status) return [];
  const entries: HistoryEntry[] = [
    ...status.journal.map((j) => ({
      atMs: j.atMs,
      at: iso(j.atMs),
      kind: 'journal' as const,
      step: j.step,
      text: `[${j.phase}] ${j.message}`,
    })),
    ...status.gates.map((g) => ({
      atMs: g.checkedAtMs,
      at: iso(g.checkedAtMs),
      kind: 'gate' as const,
      step: status.step.index,
      text: describeGate(g),
    })),
    ...status.approvals.map((a) => ({
      atMs: a.atMs,
      at: iso(a.atMs),
      kind: 'approval' as const,
      step: a.step,
      text: `${a.decision} by ${a.by}${a.comment ? ` ("${a.comment}")` : ''}${a.accepted ? '' : ` - not acted upon${a.note ? `: ${a.note}` : ''}`}`,
    })),
    ...status.overrides.map((o) => ({
      atMs: o.atMs,
      at: iso(o.atMs),
      kind: 'override' as const,
      step: o.step,
      text: `${o.action} by ${o.by}${o.comment ? ` ("${o.comment}")` : ''}`,
    })),
  ];
  return entries.sort((a, b) => a.atMs - b.atMs || a.kind.localeCompare(b.kind));
}
