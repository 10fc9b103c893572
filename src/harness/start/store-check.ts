/**
 * `npm start --store DIR` with the emulator (issue 10, defect 10c): the emulator starts afresh on
 * every run, but the store keeps the rollouts of the last one. Before the runtime starts, the store
 * is read once: running rollouts are listed with what will happen to them and how to avoid it, and
 * the clock resumes from the store's latest time (virtual or accelerated time must never jump
 * back under a rollout's timers).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DurableStore, type InstanceRow } from '../local-runtime/durable/store';
import { ORCHESTRATOR_NAME } from '../../orchestration/events';

interface StaleRollout {
  readonly id: string;
  readonly phase: string;
  readonly endpoint: string;
}

export interface StoreSummary {
  readonly running: readonly StaleRollout[];
  /** The latest instant the store recorded (0 for an empty or new store). */
  readonly latestMs: number;
}

/** The running rollouts and the latest time of a store folder (nothing for ':memory:' or a new folder). */
export function readStoreSummary(location: string): StoreSummary {
  if (location === ':memory:' || !existsSync(path.join(location, 'runtime.sqlite'))) return { running: [], latestMs: 0 };
  const store = new DurableStore(location);
  try {
    const rows = store.queryInstances({}).rows;
    return summarize(rows);
  } finally {
    store.close();
  }
}

/** Pure: what the rows say. */
export function summarize(rows: readonly InstanceRow[]): StoreSummary {
  const latestMs = rows.reduce((max, row) => Math.max(max, row.updatedMs, row.createdMs), 0);
  const running = rows
    .filter(
      (row) => row.name === ORCHESTRATOR_NAME && (row.status === 'Running' || row.status === 'Pending' || row.status === 'ContinuedAsNew'),
    )
    .map((row) => {
      const status = parseStatus(row.customStatus);
      return { id: row.instanceId, phase: status.phase ?? row.status, endpoint: status.endpoint ?? '?' };
    });
  return { running, latestMs };
}

function parseStatus(text: string | null): { phase?: string; endpoint?: string } {
  if (text === null) return {};
  try {
    const value = JSON.parse(text) as { phase?: unknown; endpoint?: unknown };
    return {
      ...(typeof value.phase === 'string' ? { phase: value.phase } : {}),
      ...(typeof value.endpoint === 'string' && value.endpoint !== '' ? { endpoint: value.endpoint } : {}),
    };
  } catch {
    return {};
  }
}

/** The warning for rollouts the fresh emulator knows nothing of; undefined when there are none. */
export function staleRolloutWarning(summary: StoreSummary, store: string): string | undefined {
  if (summary.running.length === 0) return undefined;
  const list = summary.running.map((r) => `  - ${r.id} (${r.phase}, endpoint ${r.endpoint})`).join('\n');
  return [
    `warning: the store ${store} holds ${summary.running.length} running rollout(s) that the emulator, which starts afresh, knows nothing of:`,
    list,
    'Their deployments and traffic are gone: each will notice at its next gate check and roll back (or end Failed if its rollback cannot restore the endpoint).',
    'To avoid that, abort them (aml-rollout abort <id>), or start without --store (a fresh in-memory store), or point the app at the Azure resources they were made on.',
    '',
  ].join('\n');
}

/** Where the clock starts: never before the store's latest time. */
export function resumeAtMs(summary: StoreSummary, nowMs: number): number {
  return Math.max(nowMs, summary.latestMs);
}
