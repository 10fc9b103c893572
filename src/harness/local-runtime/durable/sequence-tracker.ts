/**
 * Which sequence id the durable-functions library gave to which task, observed on its own executor.
 *
 * The library does not expose the ids it assigns, and several are "hidden" (a retry's timer and
 * reschedule, the slices of a long timer, fire-and-forget signals and lock releases). Re-deriving
 * them would duplicate the library's bookkeeping and drift from it, so the runtime observes the
 * executor instead: it wraps `trackOpenTask` and `recordFireAndForgetAction` on the executor's
 * prototype (behaviour unchanged; the wrapper only records what was assigned). That gives the exact
 * schedule of every replay, which the runtime compares with the recorded history (the library has
 * no nondeterminism check of its own).
 */

/** The library's task objects, as far as the runtime reads them. */
export interface LibraryTask {
  id: number | string | false;
  actionObj?: unknown;
  parent?: LibraryTask & { children: LibraryTask[]; actionObj?: unknown };
  children?: LibraryTask[];
}

export type Tracked =
  | { readonly kind: 'task'; readonly id: number; readonly task: LibraryTask }
  | { readonly kind: 'fireAndForget'; readonly id: number; readonly count: number; readonly action: unknown };

interface ExecutorLike {
  sequenceNumber: number;
  willContinueAsNew: boolean;
  trackOpenTask(task: LibraryTask): void;
  recordFireAndForgetAction(action: unknown, increment?: number): void;
  deferredTasks?: Record<string, unknown[]>;
}

const PATCHED = Symbol.for('aml-rollout.local-runtime.sequence-tracker');
const logs = new WeakMap<object, Tracked[]>();

function logOf(executor: object): Tracked[] {
  let log = logs.get(executor);
  if (!log) {
    log = [];
    logs.set(executor, log);
  }
  return log;
}

/**
 * Patches the executor's class once. Returns false if it was already patched (so the current
 * replay was observed), true if it was patched just now (the caller must replay again to observe).
 */
export function ensureTracked(executor: unknown): boolean {
  const candidate = executor as Partial<ExecutorLike> | undefined;
  if (!candidate || typeof candidate.trackOpenTask !== 'function' || typeof candidate.recordFireAndForgetAction !== 'function') {
    throw new Error(
      'unsupported durable-functions version: the orchestration executor has no trackOpenTask/recordFireAndForgetAction (the local runtime supports durable-functions 3.x)',
    );
  }
  const proto = Object.getPrototypeOf(candidate) as Record<string | symbol, unknown> & ExecutorLike;
  if (proto[PATCHED]) return false;
  const originalTrack = proto.trackOpenTask;
  const originalFireAndForget = proto.recordFireAndForgetAction;
  proto.trackOpenTask = function trackOpenTask(this: ExecutorLike, task: LibraryTask): void {
    const before = task.id;
    originalTrack.call(this, task);
    if (before === false && typeof task.id === 'number') logOf(this).push({ kind: 'task', id: task.id, task });
  };
  proto.recordFireAndForgetAction = function recordFireAndForgetAction(this: ExecutorLike, action: unknown, increment = 1): void {
    const id = this.sequenceNumber;
    const recorded = !this.willContinueAsNew;
    originalFireAndForget.call(this, action, increment);
    if (recorded) logOf(this).push({ kind: 'fireAndForget', id, count: increment, action });
  };
  proto[PATCHED] = true;
  return true;
}

export function trackedOf(executor: unknown): Tracked[] {
  return executor && typeof executor === 'object' ? (logs.get(executor) ?? []) : [];
}

/** External events the replay received but no waitForExternalEvent consumed, by name. */
export function unconsumedEventCounts(executor: unknown): Map<string, number> {
  const deferred = (executor as ExecutorLike | undefined)?.deferredTasks ?? {};
  const counts = new Map<string, number>();
  for (const [key, list] of Object.entries(deferred)) if (Array.isArray(list) && list.length > 0) counts.set(key, list.length);
  return counts;
}
