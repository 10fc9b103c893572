import { RestError, createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs, toAzureCallError } from '../../src/azure';
import { backoffDelayMs, withRetries } from '../../src/common/retry';
import { AzureCallError, RolloutError } from '../../src/errors';
import { callAzure, createAdapterContext } from '../../src/azure/context';
import { TestClock } from './support/fake-azure';

function restError(status: number, headers: Record<string, string> = {}, code = 'SomeCode'): RestError {
  const request = createPipelineRequest({ url: 'https://management.azure.com/x' });
  const response: PipelineResponse = { status, headers: createHttpHeaders(headers), request };
  return new RestError(`Azure says ${status}`, { statusCode: status, code, request, response });
}

describe('toAzureCallError', () => {
  const map = (error: unknown, badRequestCode?: 'Unsupported'): RolloutError => toAzureCallError(error, 'op', { nowMs: 0, badRequestCode });

  it.each([
    [409, 'Conflict', true],
    [412, 'Conflict', true],
    [429, 'Throttled', true],
    [500, 'Transient', true],
    [503, 'Transient', true],
    [408, 'Timeout', true],
    [400, 'InvalidInput', false],
    [404, 'NotFound', false],
    [401, 'Unauthorized', false],
    [403, 'Forbidden', false],
    [422, 'InvalidInput', false],
  ] as const)('maps HTTP %i to %s (retryable %s)', (status, code, retryable) => {
    const mapped = map(restError(status));
    expect(mapped).toBeInstanceOf(AzureCallError);
    expect(mapped).toMatchObject({ code, retryable, statusCode: status, operation: 'op' });
  });

  it("keeps Azure's message and code for a 400", () => {
    const mapped = map(restError(400, {}, 'BadTraffic'));
    expect(mapped.message).toContain('Azure says 400');
    expect(mapped.message).toContain('BadTraffic');
  });

  it('reads a query 400 as Unsupported when asked', () => {
    expect(map(restError(400), 'Unsupported')).toMatchObject({ code: 'Unsupported', retryable: false });
  });

  it('takes retryAfterMs from Retry-After seconds, retry-after-ms, or an HTTP date', () => {
    expect(map(restError(429, { 'retry-after': '12' })).retryAfterMs).toBe(12_000);
    expect(map(restError(429, { 'retry-after-ms': '250' })).retryAfterMs).toBe(250);
    const now = Date.UTC(2026, 10, 23, 10, 0, 0);
    const headers = createHttpHeaders({ 'retry-after': new Date(now + 30_000).toUTCString() });
    expect(parseRetryAfterMs(headers, now)).toBe(30_000);
    expect(parseRetryAfterMs(createHttpHeaders({ 'retry-after': 'soon' }), now)).toBeUndefined();
  });

  it('maps socket resets and aborts to Timeout, refused connections to Transient', () => {
    expect(map(new RestError('socket hang up', { code: 'ECONNRESET' }))).toMatchObject({ code: 'Timeout', retryable: true });
    const abort = new Error('The operation was aborted.');
    abort.name = 'AbortError';
    expect(map(abort)).toMatchObject({ code: 'Timeout', retryable: true });
    expect(map(new RestError('connect ECONNREFUSED', { code: 'ECONNREFUSED' }))).toMatchObject({ code: 'Transient', retryable: true });
  });

  it('passes RolloutErrors through and calls anything else Internal', () => {
    const original = new RolloutError('Unsupported', 'no');
    expect(map(original)).toBe(original);
    expect(map(new TypeError('bug'))).toMatchObject({ code: 'Internal', retryable: false });
  });
});

describe('withRetries', () => {
  const retryable = (retryAfterMs?: number): AzureCallError =>
    new AzureCallError('Conflict', 'op', 'busy', { retryable: true, retryAfterMs });

  it('retries retryable errors with exponential back-off and jitter from the injected source', async () => {
    const clock = new TestClock();
    let calls = 0;
    const result = await withRetries(
      async (attempt) => {
        calls += 1;
        if (attempt < 4) throw retryable();
        return 'ok';
      },
      { clock, maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 3000, operation: 'op', random: () => 1 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    // equal jitter with random()=1: full exponential delay, capped at maxDelayMs
    expect(clock.sleeps).toEqual([1000, 2000, 3000]);
  });

  it('uses the lower half of the window when the random source says 0', () => {
    expect(backoffDelayMs(3, { baseDelayMs: 1000, maxDelayMs: 60_000 }, () => 0)).toBe(2000);
    expect(backoffDelayMs(3, { baseDelayMs: 1000, maxDelayMs: 60_000 }, () => 0.999999)).toBe(4000);
  });

  it("honours the service's retryAfterMs over the computed back-off", async () => {
    const clock = new TestClock();
    let calls = 0;
    await withRetries(
      async () => {
        calls += 1;
        if (calls === 1) throw retryable(42_000);
        return 'ok';
      },
      { clock, maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20, operation: 'op', random: () => 0.5 },
    );
    expect(clock.sleeps).toEqual([42_000]);
  });

  it('does not retry a non-retryable error', async () => {
    const clock = new TestClock();
    let calls = 0;
    const error = new AzureCallError('InvalidInput', 'op', 'bad', { retryable: false });
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw error;
        },
        { clock, maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 20, operation: 'op' },
      ),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('rethrows the last error after maxAttempts', async () => {
    const clock = new TestClock();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw retryable();
        },
        { clock, maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20, operation: 'op', random: () => 0 },
      ),
    ).rejects.toMatchObject({ code: 'Conflict' });
    expect(calls).toBe(3);
    expect(clock.sleeps).toHaveLength(2);
  });

  it('rejects nonsense options with a message naming them', async () => {
    const clock = new TestClock();
    await expect(withRetries(async () => 1, { clock, maxAttempts: 0, baseDelayMs: 10, maxDelayMs: 5, operation: 'op' })).rejects.toThrow(
      /maxAttempts.*maxDelayMs/,
    );
  });
});

describe('callAzure nested in callAzure', () => {
  it('does not multiply attempts, yet leaves the error retryable for callers outside the adapters', async () => {
    const clock = new TestClock();
    const context = createAdapterContext({ clock, maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20, random: () => 0 });
    let innerCalls = 0;
    const error = await callAzure(context, 'outer', () =>
      callAzure(context, 'inner', async () => {
        innerCalls += 1;
        throw new AzureCallError('Transient', 'read', 'down', { retryable: true });
      }),
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'Transient', retryable: true });
    expect(innerCalls).toBe(3);
    // an activity's own policy (plain withRetries) may still try again
    let outsideCalls = 0;
    await withRetries(
      async () => {
        outsideCalls += 1;
        if (outsideCalls === 1) throw error;
        return 'ok';
      },
      { clock, maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, operation: 'activity' },
    );
    expect(outsideCalls).toBe(2);
  });
});
