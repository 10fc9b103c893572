/**
 * Shaping instance status for people: the one-line summary of the list, and the readable history
 * (journal, gate verdicts with their numbers, approvals, overrides) of one rollout.
 */
import type { InstanceSummary } from '../ingest/ports';
import type { RolloutInput } from '../orchestration/events';
import { describeGate } from '../analysis/describe';
import type { RolloutStatus } from '../plan/types';
import { rolloutStatusSchema } from './schemas';

/** The orchestrator's custom status, when it has published one that looks like a RolloutStatus. */
export function readRolloutStatus(instance: InstanceSummary): RolloutStatus | undefined {
  const parsed = rolloutStatusSchema.safeParse(instance.customStatus);
  return parsed.success ? (instance.customStatus as RolloutStatus) : undefined;
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

export interface RolloutSummary {
  readonly rolloutId: string;
  readonly runtimeStatus: string;
  readonly phase: string;
  readonly endpoint?: string;
  readonly model?: string;
  readonly version?: string;
  readonly policy?: string;
  readonly step?: { readonly index: number; readonly count: number; readonly kind: string };
  readonly traffic?: Readonly<Record<string, number>>;
  readonly waitingFor?: string;
  readonly outcome?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

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
    step: status ? { index: status.step.index, count: status.step.count, kind: status.step.kind } : undefined,
    traffic: status?.traffic,
    waitingFor: status?.waitingFor ? `${status.waitingFor.kind}: ${status.waitingFor.detail}` : undefined,
    outcome: status?.outcome,
    createdAt: iso(instance.createdTimeMs),
    updatedAt: iso(status?.updatedAtMs ?? instance.lastUpdatedTimeMs),
  };
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
    ...status.journal.map((j) => ({ atMs: j.atMs, at: iso(j.atMs), kind: 'journal' as const, step: j.step, text: `[${j.phase}] ${j.message}` })),
    ...status.gates.map((g) => ({ atMs: g.checkedAtMs, at: iso(g.checkedAtMs), kind: 'gate' as const, step: status.step.index, text: describeGate(g) })),
    ...status.approvals.map((a) => ({
      atMs: a.atMs,
      at: iso(a.atMs),
      kind: 'approval' as const,
      step: a.step,
      text: `${a.decision} by ${a.by}${a.comment ? ` ("${a.comment}")` : ''}${a.accepted ? '' : ` - not acted upon${a.note ? `: ${a.note}` : ''}`}`,
    })),
    ...status.overrides.map((o) => ({ atMs: o.atMs, at: iso(o.atMs), kind: 'override' as const, step: o.step, text: `${o.action} by ${o.by}${o.comment ? ` ("${o.comment}")` : ''}` })),
  ];
  return entries.sort((a, b) => a.atMs - b.atMs || a.kind.localeCompare(b.kind));
}
