/** The virtual clock contract, and the runtime on it (timers of hours complete at once). */
import { describe, expect, it } from 'vitest';
import { AcceleratedClock, createClock, VirtualClock, WallClock } from '../../src/harness/local-runtime/clock';
import { startRuntime } from '../../src/harness/local-runtime/runtime';
import { ensureBuilt, fixtureEntry, request, waitForStatus } from './helpers';

const START_MS = Date.parse('2030-01-01T00:00:00Z');

describe('createClock', () => {
  it('builds each mode and rejects unknown ones with a clear error', () => {
    expect(createClock('wall')).toBeInstanceOf(WallClock);
    expect(createClock('virtual')).toBeInstanceOf(VirtualClock);
    const fast = createClock('x60');
    expect(fast).toBeInstanceOf(AcceleratedClock);
    expect((fast as AcceleratedClock).factor).toBe(60);
    expect(() => createClock('x0')).toThrow(/unknown clock mode "x0"/);
    expect(() => createClock('fast')).toThrow(/use wall, virtual or x<N>/);
  });
});

describe('VirtualClock', () => {
  it('jumps to the earliest wake-up when idle, in wake-time then registration order', async () => {
    const clock = new VirtualClock({ startMs: START_MS });
    const order: string[] = [];
    const sleeps = [
      clock.sleep(5000).then(() => order.push(`b@${clock.now() - START_MS}`)),
      clock.sleep(1000).then(() => order.push(`a@${clock.now() - START_MS}`)),
      clock.sleep(5000).then(() => order.push(`c@${clock.now() - START_MS}`)),
    ];
    await Promise.all(sleeps);
    expect(order).toEqual(['a@1000', 'b@5000', 'c@5000']);
    await clock.whenIdle();
    expect(clock.now()).toBe(START_MS + 5000);
  });

  it('does not advance while a busy region runs', async () => {
    const clock = new VirtualClock({ startMs: START_MS });
    let wokeAt: number | undefined;
    void clock.sleep(1000).then(() => {
      wokeAt = clock.now();
    });
    let release!: () => void;
    const busy = clock.runBusy(() => new Promise<void>((resolve) => (release = resolve)));
    // Let many event-loop turns pass: still busy, so time must stand still.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(wokeAt).toBeUndefined();
    expect(clock.now()).toBe(START_MS);
    release();
    await busy;
    await clock.whenIdle();
    expect(wokeAt).toBe(START_MS + 1000);
  });

  it('releases a busy region while it sleeps and re-acquires it on wake', async () => {
    const clock = new VirtualClock({ startMs: START_MS });
    const result = await clock.runBusy(async () => {
      const before = clock.now();
      await clock.sleep(60_000);
      // Re-acquired synchronously on wake: the region counts as busy again.
      expect(clock.busyCount).toBe(1);
      await Promise.all([clock.sleep(1000), clock.sleep(2000)]);
      return clock.now() - before;
    });
    expect(result).toBe(62_000);
    expect(clock.busyCount).toBe(0);
  });

  it('rejects an aborted sleep and forgets it', async () => {
    const clock = new VirtualClock({ startMs: START_MS });
    const controller = new AbortController();
    const sleeping = clock.sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    await clock.whenIdle();
    expect(clock.now()).toBe(START_MS);
    expect(clock.pendingSleepers).toBe(0);
  });

  it('gives the same interleaving on every run', async () => {
    const run = async (): Promise<string[]> => {
      const clock = new VirtualClock({ startMs: START_MS });
      const log: string[] = [];
      const worker = async (name: string, periodMs: number): Promise<void> => {
        for (let i = 0; i < 4; i++) {
          await clock.runBusy(async () => {
            log.push(`${name}${i}@${clock.now() - START_MS}`);
            await clock.sleep(periodMs);
          });
        }
      };
      await Promise.all([worker('a', 300), worker('b', 200), worker('c', 500)]);
      return log;
    };
    const first = await run();
    expect(first).toHaveLength(12);
    expect(await run()).toEqual(first);
  });
});

describe('the runtime on a virtual clock', () => {
  it('completes a 10-hour durable timer at once, with currentUtcDateTime from the clock', async () => {
    await ensureBuilt();
    const clock = new VirtualClock({ startMs: START_MS });
    const rt = await startRuntime({ app: fixtureEntry, port: 0, store: ':memory:', clock, log: () => {} });
    try {
      const started = await request(`${rt.url}/runtime/webhooks/durabletask/orchestrators/longTimer/long-1`, { method: 'POST' });
      expect(started.status).toBe(202);
      const done = await waitForStatus(rt.url, 'long-1');
      expect(done.output).toBe(10 * 60 * 60 * 1000);
      expect(clock.now()).toBeGreaterThanOrEqual(START_MS + 10 * 60 * 60 * 1000);
      // The hourly timer trigger ran on the same clock along the way.
      const ticks = (await request(`${rt.url}/api/ticks`)).body as { isPastDue: boolean; next: string }[];
      expect(ticks.length).toBeGreaterThanOrEqual(10);
      expect(ticks[0]?.isPastDue).toBe(false);
      expect(ticks[0]?.next).toBe('2030-01-01T02:00:00.000Z');
      // Activities that sleep on the ambient clock run concurrently in virtual time: the
      // orchestration sees exactly the longest sleep pass, not the sum.
      await request(`${rt.url}/runtime/webhooks/durabletask/orchestrators/sleepyActivities/sleepy-1`, { method: 'POST' });
      expect((await waitForStatus(rt.url, 'sleepy-1')).output).toEqual({ values: [3000, 1000, 2000], elapsedMs: 3000 });
    } finally {
      await rt.stop();
    }
  });
});
