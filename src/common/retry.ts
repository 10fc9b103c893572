/**
 * Retries of Azure calls, on the injected clock.
 *
 * The SDK pipelines' own retry policies are switched off (see clients.ts): they wait with real
 * setTimeout, which would stall a virtual clock (the local runtime skips time only when nothing
 * is pending) and hide waits from the scenario timeline. Every wait goes through here instead.
 */
import type { Clock } from '../ports';
import { RolloutError, isRetryable } from '../errors';

export interface RetryOptions {
  readonly clock: Clock;
  /** Total attempts including the first (>= 1). */
  readonly maxAttempts: number;
  /** Back-off before the 2nd attempt; doubles each time. */
  readonly baseDelayMs: number;
  /** Cap of the exponential back-off (a service's Retry-After is honoured even when longer). */
  readonly maxDelayMs: number;
  /** Named in logs and in the error of the last attempt. */
  readonly operation: string;
  /** Uniform [0, 1) source for jitter; injected so tests and simulations are reproducible. */
  readonly random?: () => number;
  /** Told about each retry before its wait (logging, counters). */
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: RolloutError }) => void;
  /** An extra condition on a retryable error (e.g. "not already retried by an inner loop"). */
  readonly shouldRetry?: (error: RolloutError) => boolean;
  /** Stops waiting and retrying. */
  readonly signal?: AbortSignal;
}

/**
 * The wait before attempt `attempt + 1`: "equal jitter" (half fixed, half random) keeps a floor
 * under the back-off so a burst of 409s still spaces out, while the random half spreads callers.
 */
export function backoffDelayMs(attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

function validate(options: RetryOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)
    problems.push(`maxAttempts must be an integer >= 1 (got ${options.maxAttempts})`);
  if (!(options.baseDelayMs >= 0)) problems.push(`baseDelayMs must be >= 0 (got ${options.baseDelayMs})`);
  if (!(options.maxDelayMs >= options.baseDelayMs)) problems.push(`maxDelayMs must be >= baseDelayMs (got ${options.maxDelayMs})`);
  if (problems.length > 0) throw new RangeError(`withRetries(${options.operation}): ${problems.join('; ')}`);
}

/**
 * Runs `fn` until it succeeds, throws a non-retryable error, or `maxAttempts` is used up; the last
 * error is rethrown unchanged. Only RolloutErrors with `retryable: true` are retried: `fn` is
 * expected to map SDK errors (toAzureCallError) so that the decision rests on stable codes.
 * A `retryAfterMs` on the error (429, some 409/503) replaces the computed back-off.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  validate(options);
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= options.maxAttempts || !isRetryable(error) || options.signal?.aborted) throw error;
      if (options.shouldRetry && !options.shouldRetry(error as RolloutError)) throw error;
      const rolloutError = error as RolloutError;
      const delayMs = rolloutError.retryAfterMs ?? backoffDelayMs(attempt, options, random);
      options.onRetry?.({ attempt, delayMs, error: rolloutError });
      await options.clock.sleep(delayMs, options.signal);
    }
  }
}
