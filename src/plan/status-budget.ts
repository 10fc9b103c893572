/**
 * Keeps the published rollout status under the Durable Functions custom status limit.
 *
 * The extension refuses a custom status whose JSON is over 16 KB of UTF-16 text, and for an
 * out-of-process (Node) orchestrator that refusal fails the orchestration (docs/azure-fidelity.md).
 * A long canary's status (a 40-entry journal, the last gate results with every threshold's
 * evidence, the per-look evidence history) is larger than that, so the orchestrator publishes
 * `fitStatusToBudget(status)`: the same status with the least telling parts shortened, in this
 * order, until it fits the budget:
 *   1. the oldest journal entries (the newest always stays; `journalDropped` counts the rest),
 *   2. the evidence history, thinned to fewer looks per gate (the first and latest stay),
 *   3. the per-threshold parts of the last gate results' evidence (each metric keeps its numbers),
 *   4. the evidence history as a whole, then the last gate results' per-metric evidence (each gate
 *      keeps its verdict and reason).
 * What the rollout is doing (phase, step, traffic, mirror, waitingFor, outcome, reason, approvals)
 * is never shortened. The engine's own state keeps everything; only the published copy is cut.
 *
 * Pure and deterministic: same status and budget, same result.
 */
import { thinLooks, type EvidenceHistory } from './evidence-history';
import type { RolloutStatus } from './types';

/** The extension's limit: refused when floor(UTF-16 bytes / 1024) > 16 (MessagePayloadDataConverter.cs). */
export const CUSTOM_STATUS_LIMIT_KB = 16;

/**
 * What the orchestrator aims for: 15 KB, a little over 2 KB under the first refused size
 * (17 KB), because the extension measures the JSON Newtonsoft writes back, whose number and
 * escape formatting can differ slightly from JSON.stringify's.
 */
export const STATUS_BUDGET_BYTES = 15 * 1024;

/** UTF-16 bytes of a JSON text, as Encoding.Unicode counts them: two per UTF-16 code unit (a JS string's length). */
export function utf16Bytes(json: string): number {
  return json.length * 2;
}

/** The extension's message when it refuses a custom status (MessagePayloadDataConverter.cs), or undefined when the JSON fits. */
export function customStatusRefusal(json: string): string | undefined {
  const sizeKb = Math.floor(utf16Bytes(json) / 1024);
  if (sizeKb <= CUSTOM_STATUS_LIMIT_KB) return undefined;
  return `The UTF-16 size of the JSON-serialized payload must not exceed ${CUSTOM_STATUS_LIMIT_KB} KB. The current payload size is ${sizeKb} KB.`;
}

const sizeOf = (status: RolloutStatus): number => utf16Bytes(JSON.stringify(status));

/** The status with only the newest `keep` journal entries, counting the ones left out. */
function withNewestJournal(status: RolloutStatus, keep: number): RolloutStatus {
  const dropped = status.journal.length - keep;
  if (dropped <= 0) return status;
  return { ...status, journal: status.journal.slice(dropped), journalDropped: (status.journalDropped ?? 0) + dropped };
}

/** The history with at most `cap` looks per gate (thinLooks keeps the first and latest). */
function withLooksPerGate(history: EvidenceHistory, cap: number): EvidenceHistory {
  return history.map((gate) => (gate.looks.length > cap ? { ...gate, looks: thinLooks(gate.looks, cap) } : gate));
}

/**
 * The largest `n` in [low, high] for which `make(n)` fits the budget, or `low` when none does.
 * Binary search: the size grows with `n` (more entries kept), and a status is serialized
 * O(log n) times instead of once per dropped entry.
 */
function largestFitting(low: number, high: number, make: (n: number) => RolloutStatus, budgetBytes: number): RolloutStatus {
  let best = low;
  let lo = low;
  let hi = high;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (sizeOf(make(mid)) <= budgetBytes) {
      best = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return make(best);
}

/** The status, shortened as described above until its JSON is at most `budgetBytes` of UTF-16. */
export function fitStatusToBudget(status: RolloutStatus, budgetBytes: number = STATUS_BUDGET_BYTES): RolloutStatus {
  if (sizeOf(status) <= budgetBytes) return status;

  // 1. The oldest journal entries; the newest stays whatever happens.
  const journalFloor = Math.min(1, status.journal.length);
  let fitted = largestFitting(journalFloor, status.journal.length, (keep) => withNewestJournal(status, keep), budgetBytes);
  if (sizeOf(fitted) <= budgetBytes) return fitted;

  // 2. Fewer looks per gate in the evidence history, down to the first and the latest.
  const history = fitted.evidenceHistory;
  if (history && history.length > 0) {
    const base = fitted;
    const mostLooks = Math.max(...history.map((gate) => gate.looks.length));
    fitted = largestFitting(2, mostLooks, (cap) => ({ ...base, evidenceHistory: withLooksPerGate(history, cap) }), budgetBytes);
    if (sizeOf(fitted) <= budgetBytes) return fitted;
  }

  // 3. The per-threshold parts of the last gate results (each metric keeps verdict, numbers, reason).
  fitted = {
    ...fitted,
    gates: fitted.gates.map((gate) => ({ ...gate, evidence: gate.evidence.map(({ parts: _parts, ...metric }) => metric) })),
  };
  if (sizeOf(fitted) <= budgetBytes) return fitted;

  // 4. Last resorts: no history (the evidence route then has nothing to chart), then gates with
  // their verdict and reason only.
  const { evidenceHistory: _history, ...withoutHistory } = fitted;
  fitted = withoutHistory;
  if (sizeOf(fitted) <= budgetBytes) return fitted;
  return { ...fitted, gates: fitted.gates.map((gate) => ({ ...gate, evidence: [] })) };
}
