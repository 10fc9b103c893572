/**
 * Long-running ARM operations, polled on the injected clock.
 *
 * The SDK's pollUntilDone() waits between polls with a real setTimeout, which would deadlock the
 * local runtime's virtual clock and cannot be sped up by an accelerated one. We drive the same
 * SDK poller by hand: poll(), then clock.sleep() for the Retry-After Azure sent (or our interval).
 */
import type { FullOperationResponse } from '@azure/core-client';
import { isRestError } from '@azure/core-rest-pipeline';
import { AzureCallError, RolloutError } from '../errors';
import type { AdapterContext } from './context';
import { parseRetryAfterMs, toAzureCallError } from './errors';

/** The part of the SDK's PollerLike we drive (@azure/core-lro's legacy poller). */
export interface ManualPoller {
  isDone(): boolean;
  poll(): Promise<void>;
}

/** Remembers the last Retry-After Azure sent on any response of one operation (via `onResponse`). */
export class RetryAfterTracker {
  #lastMs: number | undefined;
  constructor(private readonly nowMs: () => number) {}
  readonly onResponse = (response: FullOperationResponse): void => {
    const ms = parseRetryAfterMs(response.headers, this.nowMs());
    if (ms !== undefined) this.#lastMs = ms;
  };
  /** The pending Retry-After, consumed. */
  take(): number | undefined {
    const value = this.#lastMs;
    this.#lastMs = undefined;
    return value;
  }
}

/**
 * core-lro reports an operation that ended Failed or Canceled as a plain Error (not a RestError):
 * that is an outcome to read back from the resource, not a failed call.
 */
export function isOperationOutcomeError(error: unknown): boolean {
  if (isRestError(error) || error instanceof RolloutError || !(error instanceof Error)) return false;
  return /long-running operation has failed|operation was canceled/i.test(error.message) || error.name === 'PollerCancelledError';
}

/**
 * Polls until the operation is done. Returns 'succeeded' or 'unsuccessful' (Failed/Canceled: the
 * caller reads the resource back to report its state). A poll request that fails with a retryable
 * error is retried after a back-off, up to the context's attempts in a row; other errors are thrown.
 */
export async function pollOnClock(
  poller: ManualPoller,
  context: AdapterContext,
  operation: string,
  retryAfter: RetryAfterTracker,
): Promise<'succeeded' | 'unsuccessful'> {
  const startedMs = context.clock.now();
  let failuresInARow = 0;
  let delayOverrideMs: number | undefined;
  while (!poller.isDone()) {
    const waitedMs = context.clock.now() - startedMs;
    if (waitedMs >= context.operationTimeoutMs) {
      throw new AzureCallError('Timeout', operation, `still running after ${waitedMs} ms (limit ${context.operationTimeoutMs} ms)`, {
        retryable: true,
      });
    }
    const delayMs = delayOverrideMs ?? retryAfter.take() ?? context.pollIntervalMs;
    delayOverrideMs = undefined;
    await context.clock.sleep(delayMs);
    try {
      await poller.poll();
      failuresInARow = 0;
    } catch (error) {
      if (poller.isDone() || isOperationOutcomeError(error)) return 'unsuccessful';
      const mapped = toAzureCallError(error, operation, { nowMs: context.clock.now() });
      failuresInARow += 1;
      if (!mapped.retryable || failuresInARow >= context.maxAttempts) throw mapped;
      delayOverrideMs = mapped.retryAfterMs;
    }
  }
  return 'succeeded';
}
