/**
 * The runtime's clocks: wall (the system clock), accelerated (xN) and virtual (time-skipping).
 *
 * The virtual clock is shared by everything that runs in the runtime's process (the runtime itself,
 * the Azure emulator, the simulator), so a scenario of many hours runs in a second: whenever no work
 * is in progress and the event loop has gone quiet, time jumps to the earliest pending wake-up.
 *
 * "Work in progress" is declared with `runBusy(fn)`. Busy regions are tracked with
 * AsyncLocalStorage so that a `sleep()` issued from inside a region gives the region's busy count
 * back while it sleeps (otherwise an activity sleeping on the clock would stop time forever) and
 * takes it back, synchronously, at the moment it is woken (so nothing can sneak in between the
 * wake-up and the continuation and advance time further).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from '../../ports/clock';
import { systemClock } from '../../ports/clock';

/** A clock the runtime can drive: every mode supports busy regions (no-ops except when virtual). */
export interface RuntimeClock extends Clock {
  readonly mode: 'wall' | 'accelerated' | 'virtual';
  /** Marks `fn` as work in progress: a virtual clock does not advance while it runs. */
  runBusy<T>(fn: () => Promise<T>): Promise<T>;
  /** Resolves when nothing is busy and nothing is due (virtual); immediately for other clocks. */
  whenIdle(): Promise<void>;
  /** Stops the clock: pending sleeps are rejected, no further advances happen. */
  dispose(): void;
}

export class WallClock implements RuntimeClock {
  readonly mode = 'wall' as const;
  now(): number {
    return systemClock.now();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }
  runBusy<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }
  whenIdle(): Promise<void> {
    return Promise.resolve();
  }
  dispose(): void {}
}

/** Time runs `factor` times faster than the wall clock, from the moment the clock is created. */
export class AcceleratedClock implements RuntimeClock {
  readonly mode = 'accelerated' as const;
  readonly #startWallMs = Date.now();
  readonly #startMs: number;
  constructor(
    readonly factor: number,
    startMs: number = Date.now(),
  ) {
    if (!Number.isFinite(factor) || factor <= 0) throw new RangeError(`clock factor must be a positive number, got ${factor}`);
    this.#startMs = startMs;
  }
  now(): number {
    return this.#startMs + Math.round((Date.now() - this.#startWallMs) * this.factor);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms / this.factor, signal);
  }
  runBusy<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }
  whenIdle(): Promise<void> {
    return Promise.resolve();
  }
  dispose(): void {}
}

interface BusyRegion {
  /** True while the region's function is still running. */
  active: boolean;
  /** True while the region counts in the busy total (false while all its work sleeps). */
  holding: boolean;
  /** Sleeps issued from the region that have not woken yet. */
  sleeping: number;
}

interface Sleeper {
  readonly wakeAtMs: number;
  readonly order: number;
  readonly region: BusyRegion | undefined;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  cleanup: () => void;
}

export interface VirtualClockOptions {
  /** Virtual epoch at creation (ms since Unix epoch). Default: the wall clock at creation. */
  readonly startMs?: number;
  /** setImmediate turns without new activity before the loop counts as quiet. Default 3. */
  readonly quietTurns?: number;
}

/**
 * Virtual time. Time stands still while anything is busy; when the busy count is 0 and the event
 * loop has been quiet for a few setImmediate turns, time jumps to the earliest sleeper (ties in
 * registration order) and wakes exactly that one, then waits for quiet again: runs are
 * deterministic for deterministic code.
 */
export class VirtualClock implements RuntimeClock {
  readonly mode = 'virtual' as const;
  #nowMs: number;
  #busy = 0;
  #order = 0;
  /** Bumped on every busy change or new sleeper: an idle check that sees it move starts over. */
  #epoch = 0;
  #checkScheduled = false;
  #disposed = false;
  readonly #quietTurns: number;
  readonly #sleepers: Sleeper[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  readonly #regions = new AsyncLocalStorage<BusyRegion>();

  constructor(options: VirtualClockOptions = {}) {
    this.#nowMs = options.startMs ?? Date.now();
    this.#quietTurns = options.quietTurns ?? 3;
  }

  now(): number {
    return this.#nowMs;
  }

  /** Busy regions currently holding the clock (for diagnostics and tests). */
  get busyCount(): number {
    return this.#busy;
  }

  /** Sleepers waiting for time to advance. */
  get pendingSleepers(): number {
    return this.#sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#disposed) return Promise.reject(new Error('the virtual clock was disposed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const region = this.#regions.getStore();
    const held = region?.active === true ? region : undefined;
    if (held) held.sleeping++;
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        wakeAtMs: this.#nowMs + Math.max(0, Number.isFinite(ms) ? ms : 0),
        order: this.#order++,
        region: held,
        resolve,
        reject,
        cleanup: () => {},
      };
      if (signal) {
        const onAbort = (): void => {
          const index = this.#sleepers.indexOf(sleeper);
          if (index >= 0) {
            this.#sleepers.splice(index, 1);
            this.#regionWoke(held);
            reject(signal.reason);
            this.#touch();
          }
        };
        signal.addEventListener('abort', onAbort, { once: true });
        sleeper.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.#insert(sleeper);
      // The sleeping region gives its busy count back until it is woken.
      if (held?.holding) {
        held.holding = false;
        this.#release();
      }
      this.#touch();
    });
  }

  async runBusy<T>(fn: () => Promise<T>): Promise<T> {
    const region: BusyRegion = { active: true, holding: true, sleeping: 0 };
    this.#acquire();
    try {
      return await this.#regions.run(region, fn);
    } finally {
      region.active = false;
      if (region.holding) {
        region.holding = false;
        this.#release();
      }
    }
  }

  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#touch();
    });
  }

  /** Advances time by `ms` at once, waking every sleeper due in between (for tests and tools). */
  async advance(ms: number): Promise<void> {
    const target = this.#nowMs + ms;
    for (;;) {
      const next = this.#sleepers[0];
      if (!next || next.wakeAtMs > target) break;
      this.#wake();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#nowMs = Math.max(this.#nowMs, target);
  }

  dispose(): void {
    this.#disposed = true;
    const sleepers = this.#sleepers.splice(0);
    for (const sleeper of sleepers) {
      sleeper.cleanup();
      sleeper.reject(new Error('the virtual clock was disposed'));
    }
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }

  #insert(sleeper: Sleeper): void {
    // Keep sorted by (wakeAt, registration order); binary search keeps thousands of timers cheap.
    let low = 0;
    let high = this.#sleepers.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#sleepers[mid] as Sleeper;
      if (other.wakeAtMs < sleeper.wakeAtMs || (other.wakeAtMs === sleeper.wakeAtMs && other.order < sleeper.order)) low = mid + 1;
      else high = mid;
    }
    this.#sleepers.splice(low, 0, sleeper);
  }

  #acquire(): void {
    this.#busy++;
    this.#epoch++;
  }

  #release(): void {
    this.#busy--;
    this.#touch();
  }

  /** Something changed: schedule a quiescence check if none is pending. */
  #touch(): void {
    this.#epoch++;
    if (this.#checkScheduled || this.#disposed) return;
    this.#checkScheduled = true;
    this.#check(this.#epoch, 0);
  }

  #check(epoch: number, turns: number): void {
    setImmediate(() => {
      if (this.#disposed) {
        this.#checkScheduled = false;
        return;
      }
      if (this.#busy > 0) {
        // A busy region ends with #release(), which schedules a new check.
        this.#checkScheduled = false;
        return;
      }
      if (epoch !== this.#epoch) {
        this.#check(this.#epoch, 0);
        return;
      }
      if (turns + 1 < this.#quietTurns) {
        this.#check(epoch, turns + 1);
        return;
      }
      this.#checkScheduled = false;
      if (this.#sleepers.length === 0) {
        for (const waiter of this.#idleWaiters.splice(0)) waiter();
        return;
      }
      this.#wake();
      this.#touch();
    });
  }

  #wake(): void {
    const sleeper = this.#sleepers.shift();
    if (!sleeper) return;
    this.#nowMs = Math.max(this.#nowMs, sleeper.wakeAtMs);
    sleeper.cleanup();
    // Re-acquire before resolving: the continuation runs as busy, and no further advance can
    // happen before it had its turn.
    this.#regionWoke(sleeper.region);
    sleeper.resolve();
  }

  /**
   * A region holds the clock again once none of its sleeps is pending (a region awaiting two
   * sleeps at once must not hold the clock after the first wakes, or the second never could).
   */
  #regionWoke(region: BusyRegion | undefined): void {
    if (!region) return;
    region.sleeping--;
    if (region.active && region.sleeping === 0 && !region.holding) {
      region.holding = true;
      this.#acquire();
    }
  }
}

/**
 * `wall`, `virtual` or `x<N>` (accelerated N times, e.g. `x60`). Throws a clear error otherwise.
 */
export function createClock(mode: string = 'wall', options: VirtualClockOptions = {}): RuntimeClock {
  if (mode === 'wall') return new WallClock();
  if (mode === 'virtual') return new VirtualClock(options);
  const match = /^x(\d+(?:\.\d+)?)$/.exec(mode);
  if (match) {
    const factor = Number(match[1]);
    if (factor > 0) return new AcceleratedClock(factor, options.startMs);
  }
  throw new RangeError(`unknown clock mode "${mode}": use wall, virtual or x<N> (e.g. x60)`);
}
