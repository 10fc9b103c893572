/**
 * Fault injection, as in the scenario format: a fault matches a target (arm, logs, metrics), an
 * optional operation name and a virtual time window, then fires for the next `count` matching
 * calls, or with `probability` (drawn from a seeded stream), or always when neither is given.
 */
import type { Random } from './prng';
import { faultSchema, type Fault } from './types';

export type FaultTarget = Fault['target'];

export interface FiredFault {
  readonly status: Fault['status'];
  readonly retryAfterSeconds: number;
  readonly index: number;
}

interface ActiveFault {
  readonly fault: Fault;
  remaining: number | undefined;
  fired: number;
}

/** Default Retry-After for injected 429s: short, because SDK retry policies wait in wall time. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

export class FaultInjector {
  private readonly faults: ActiveFault[] = [];

  constructor(
    private readonly random: Random,
    private readonly originMs: number,
  ) {}

  add(input: Fault): void {
    const parsed = faultSchema.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new Error(`fault ${JSON.stringify(input)}: ${problems}`);
    }
    this.faults.push({ fault: parsed.data, remaining: parsed.data.count, fired: 0 });
  }

  /** How often each fault has fired, in the order they were added. */
  firedCounts(): number[] {
    return this.faults.map((f) => f.fired);
  }

  /** The fault to answer this call with, if any (the first matching fault wins). */
  check(target: FaultTarget, operation: string, nowMs: number): FiredFault | undefined {
    const minute = (nowMs - this.originMs) / 60_000;
    for (const [index, active] of this.faults.entries()) {
      const { fault } = active;
      if (fault.target !== target) continue;
      if (fault.operation !== undefined && fault.operation !== operation) continue;
      if (fault.fromMinute !== undefined && minute < fault.fromMinute) continue;
      if (fault.toMinute !== undefined && minute >= fault.toMinute) continue;
      if (active.remaining !== undefined) {
        if (active.remaining <= 0) continue;
        active.remaining--;
      } else if (fault.probability !== undefined && !(this.random.next() < fault.probability)) {
        continue;
      }
      active.fired++;
      return { status: fault.status, retryAfterSeconds: fault.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS, index };
    }
    return undefined;
  }
}
