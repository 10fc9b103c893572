/**
 * Retry policy of the activities: transient Azure failures (409 while a resource is updating,
 * 429 with Retry-After, 5xx, timeouts) are retried with back-off on the injected clock, so a
 * virtual clock skips the waits. Anything else is rethrown at once, unchanged (typed).
 */
import type { Clock } from '../ports';
import { withRetries } from '../common/retry';

export interface ActivityRetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * Jitter source of the back-off. The composition root passes the same one as the Azure
   * adapters' (random in Azure, seeded in simulations); absent, a fixed mid-point jitter keeps
   * tests over fake ports reproducible.
   */
  readonly random?: () => number;
}

/** About two minutes of patience per call before the orchestrator hears about it. */
export const DEFAULT_ACTIVITY_RETRY: ActivityRetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 60_000 };

export function retrying<T>(clock: Clock, policy: ActivityRetryPolicy, operation: string, fn: () => Promise<T>): Promise<T> {
  return withRetries(() => fn(), {
    clock,
    operation,
    maxAttempts: policy.maxAttempts,
    baseDelayMs: policy.baseDelayMs,
    maxDelayMs: policy.maxDelayMs,
    random: policy.random ?? (() => 0.5),
  });
}
