/**
 * Per-row ingestion latency of Log Analytics. Azure Monitor documents the typical latency of
 * resource logs as 20 s to 3 minutes, with a tail (docs/azure-fidelity.md). Each traffic-log row
 * draws its own delay from a seeded stream, so the newest minutes of a window fill in gradually,
 * as in Azure, instead of all at once.
 */
import type { Random } from './prng';

const Z95 = 1.6448536269514722;
/** Azure's documented lower end of the typical latency. */
const MIN_DELAY_MS = 20_000;
/** The tail is cut at this multiple of the 95th percentile (about 1 row in 3,000 reaches it). */
const TAIL_CAP_FACTOR = 3;

/**
 * One row's delay in ms: log-normal with the given 95th percentile and a median a third of it (the
 * default p95 of 3 minutes gives a median of 1 minute), at least 20 s (or the p95 when smaller),
 * at most 3 x the p95. A p95 of 0 makes every row visible at once.
 */
export function sampleIngestionDelayMs(p95Ms: number, random: Random): number {
  const z = random.normal();
  if (p95Ms <= 0) return 0;
  const medianMs = p95Ms / TAIL_CAP_FACTOR;
  const sigma = Math.log(TAIL_CAP_FACTOR) / Z95;
  const delay = medianMs * Math.exp(sigma * z);
  return Math.round(Math.min(TAIL_CAP_FACTOR * p95Ms, Math.max(Math.min(MIN_DELAY_MS, p95Ms), delay)));
}
