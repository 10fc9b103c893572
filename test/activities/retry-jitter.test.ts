import { describe, expect, it } from 'vitest';
import { retrying } from '../../src/activities/retry';
import { AzureCallError } from '../../src/errors';
import type { Clock } from '../../src/ports';

/** A clock that records each wait and returns at once. */
function recordingClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  let now = 0;
  return {
    waits,
    now: () => now,
    sleep: (ms) => {
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

async function waitsWith(random: (() => number) | undefined): Promise<number[]> {
  const clock = recordingClock();
  let calls = 0;
  await retrying(clock, { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000, ...(random ? { random } : {}) }, 'op', () => {
    calls++;
    if (calls < 3) return Promise.reject(new AzureCallError('Transient', 'op', 'HTTP 503', { retryable: true, statusCode: 503 }));
    return Promise.resolve('ok');
  });
  return clock.waits;
}

describe('activity retry jitter', () => {
  it('draws the back-off jitter from the injected source', async () => {
    const low = await waitsWith(() => 0);
    const high = await waitsWith(() => 0.999);
    expect(low).toHaveLength(2);
    expect(high).toHaveLength(2);
    expect(low[0]).toBeLessThan(high[0]!);
  });

  it('is reproducible without one (fixed mid-point jitter)', async () => {
    expect(await waitsWith(undefined)).toEqual(await waitsWith(undefined));
    expect(await waitsWith(undefined)).toEqual(await waitsWith(() => 0.5));
  });
});
