/**
 * Time, as a port. The local runtime drives orchestrations, activities and the Azure emulator
 * from one clock (wall, accelerated or virtual), so every wait in non-orchestrator code goes
 * through this interface instead of setTimeout, and every timestamp through `now()`.
 *
 * Orchestrators never use this: their time is `context.df.currentUtcDateTime`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, on this clock. */
  now(): number;
  /** Resolves once the clock has advanced by `ms` (rejects with the signal's reason if aborted). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * A host may install its clock here (the local runtime does, so activities follow virtual time).
 * In Azure nothing is installed and the system clock is used.
 */
const AMBIENT_CLOCK_KEY = Symbol.for('aml-rollout.clock');

export function installAmbientClock(clock: Clock | undefined): void {
  (globalThis as Record<symbol, unknown>)[AMBIENT_CLOCK_KEY] = clock;
}

export function getAmbientClock(): Clock {
  const installed = (globalThis as Record<symbol, unknown>)[AMBIENT_CLOCK_KEY] as Clock | undefined;
  return installed ?? systemClock;
}
