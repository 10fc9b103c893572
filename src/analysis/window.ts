/**
 * The time window of one gate look: it ENDS at now minus the ingestion delay (resource logs reach
 * Log Analytics minutes late; a window reaching up to "now" would silently miss the most recent
 * requests and look healthier or emptier than it is) and looks back windowMinutes from there.
 */
import { ValidationError } from '../errors';
import type { GateSpec } from './types';

const MINUTE_MS = 60_000;

export interface CheckWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * nowMs comes from the orchestration clock (context.df.currentUtcDateTime), never the wall clock.
 * Whole milliseconds out; the window is half-open [fromMs, toMs) in the generated KQL.
 * With `sinceMs` (an A/B test: the whole test since the split was set) the window starts there
 * instead of windowMinutes back, and keeps at least one millisecond so the query is never empty.
 */
export function checkWindow(nowMs: number, spec: Pick<GateSpec, 'windowMinutes' | 'ingestionDelayMinutes'>, sinceMs?: number): CheckWindow {
  if (!Number.isFinite(nowMs)) throw new ValidationError('nowMs', `expected epoch milliseconds, got ${String(nowMs)}`);
  if (sinceMs !== undefined && !Number.isFinite(sinceMs))
    throw new ValidationError('sinceMs', `expected epoch milliseconds, got ${String(sinceMs)}`);
  if (!(Number.isFinite(spec.windowMinutes) && spec.windowMinutes > 0)) {
    throw new ValidationError('windowMinutes', `expected a number > 0, got ${String(spec.windowMinutes)}`);
  }
  if (!(Number.isFinite(spec.ingestionDelayMinutes) && spec.ingestionDelayMinutes >= 0)) {
    throw new ValidationError('ingestionDelayMinutes', `expected a number >= 0, got ${String(spec.ingestionDelayMinutes)}`);
  }
  const toMs = Math.floor(nowMs - spec.ingestionDelayMinutes * MINUTE_MS);
  if (sinceMs !== undefined) return { fromMs: Math.min(Math.floor(sinceMs), toMs - 1), toMs };
  const fromMs = toMs - Math.round(spec.windowMinutes * MINUTE_MS);
  return { fromMs, toMs };
}

/**
 * The earliest moment a look can see a full window of data that starts at `sinceMs` (e.g. when
 * traffic was shifted): sinceMs + window + ingestion delay. Useful to schedule the first look.
 */
export function firstFullWindowAtMs(sinceMs: number, spec: Pick<GateSpec, 'windowMinutes' | 'ingestionDelayMinutes'>): number {
  return sinceMs + Math.round((spec.windowMinutes + spec.ingestionDelayMinutes) * MINUTE_MS);
}
