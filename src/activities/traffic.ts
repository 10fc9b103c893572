/** Small helpers over traffic maps, shared by the activities. */
import type { TrafficSplit } from '../ports';

/** Drops zero entries, so {a:100,b:0} and {a:100} compare equal (Azure lists every deployment). */
export function nonZero(split: TrafficSplit): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(split)) if (value !== 0) out[name] = value;
  return out;
}

export function sameSplit(a: TrafficSplit, b: TrafficSplit): boolean {
  const left = nonZero(a);
  const right = nonZero(b);
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if (left[key] !== right[key]) return false;
  return true;
}
