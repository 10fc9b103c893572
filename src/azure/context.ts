/** What every adapter shares: the clock, retry and polling settings, error mapping. */
import type { TokenCredential } from '@azure/core-auth';
import type { Clock } from '../ports';
import type { RolloutError } from '../errors';
import { toAzureCallError, type ErrorMappingOptions } from './errors';
import { withRetries } from '../common/retry';

export interface AzureAdapterOptions {
  /** Every wait (back-off, long-running-operation polling) and every duration uses this clock. */
  readonly clock: Clock;
  /** Overrides the credential chosen from settings (tests, hosts that already hold one). */
  readonly credential?: TokenCredential;
  /** Jitter source for back-off; inject a seeded one for reproducible runs. Default Math.random. */
  readonly random?: () => number;
  /** Attempts per call including the first (default 5). */
  readonly maxAttempts?: number;
  /** First back-off (default 1000 ms), doubling up to maxDelayMs (default 30000 ms). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Wait between polls of a long-running operation when Azure gives no Retry-After (default 10000 ms). */
  readonly pollIntervalMs?: number;
  /** Give up waiting for a long-running operation after this long on the clock (default 45 min). */
  readonly operationTimeoutMs?: number;
  /**
   * Real-time limit of one HTTP request (default 60000 ms). This guards against a hung socket;
   * it is not a wait of the product, so it is not on the injected clock.
   */
  readonly requestTimeoutMs?: number;
  /**
   * PEM of an extra CA to trust for TLS: the local emulator's self-signed certificate when its
   * HTTPS listener is used (its plain-http loopback listener needs none).
   */
  readonly trustedCaPem?: string;
  /** Told about each retry (logging). */
  readonly onRetry?: (info: { operation: string; attempt: number; delayMs: number; error: RolloutError }) => void;
}

export interface AdapterContext {
  readonly clock: Clock;
  readonly random: () => number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly pollIntervalMs: number;
  readonly operationTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly onRetry: AzureAdapterOptions['onRetry'];
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`createAzurePorts: ${name} must be a finite number >= 0 (got ${value})`);
  return value;
}

export function createAdapterContext(options: AzureAdapterOptions): AdapterContext {
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new RangeError(`createAzurePorts: maxAttempts must be an integer >= 1 (got ${maxAttempts})`);
  return {
    clock: options.clock,
    random: options.random ?? Math.random,
    maxAttempts,
    baseDelayMs: positive('baseDelayMs', options.baseDelayMs, 1000),
    maxDelayMs: positive('maxDelayMs', options.maxDelayMs, 30_000),
    pollIntervalMs: positive('pollIntervalMs', options.pollIntervalMs, 10_000),
    operationTimeoutMs: positive('operationTimeoutMs', options.operationTimeoutMs, 45 * 60_000),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 60_000),
    onRetry: options.onRetry,
  };
}

/**
 * Errors a callAzure loop has already retried and given up on. An adapter method retries its
 * whole read-modify-write and, inside it, each read: without this mark a persistent failure of an
 * inner read would be tried maxAttempts x maxAttempts times. Callers outside the adapters (the
 * activities' own policy) still see `retryable: true` and may decide to try again later.
 */
const givenUp = new WeakSet<object>();

/** Runs one SDK call with error mapping and retries on the context's clock. */
export async function callAzure<T>(
  context: AdapterContext,
  operation: string,
  fn: (attempt: number) => Promise<T>,
  mapping: Omit<ErrorMappingOptions, 'nowMs'> = {},
): Promise<T> {
  try {
    return await callWithRetries(context, operation, fn, mapping);
  } catch (error) {
    if (typeof error === 'object' && error !== null) givenUp.add(error);
    throw error;
  }
}

function callWithRetries<T>(
  context: AdapterContext,
  operation: string,
  fn: (attempt: number) => Promise<T>,
  mapping: Omit<ErrorMappingOptions, 'nowMs'>,
): Promise<T> {
  return withRetries(
    async (attempt) => {
      try {
        return await fn(attempt);
      } catch (error) {
        throw toAzureCallError(error, operation, { ...mapping, nowMs: context.clock.now() });
      }
    },
    {
      clock: context.clock,
      maxAttempts: context.maxAttempts,
      baseDelayMs: context.baseDelayMs,
      maxDelayMs: context.maxDelayMs,
      operation,
      random: context.random,
      shouldRetry: (error) => !givenUp.has(error),
      onRetry: context.onRetry ? (info) => context.onRetry?.({ operation, ...info }) : undefined,
    },
  );
}
