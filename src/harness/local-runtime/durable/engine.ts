/**
 * The Durable Task engine of the local runtime: instances, episodes, activities, timers, external
 * events, sub-orchestrations, entities and locks, over the durable store.
 *
 * The working set lives in memory (instances with their history and inbox, the activity queue,
 * entities); every change is first committed to the store in one transaction, then applied in
 * memory and acted upon. After a crash, `start()` reloads what is unfinished: activities recorded
 * but not completed run again (at least once), timers are re-armed, events are redelivered.
 */
import { randomUUID } from 'node:crypto';
import type { RuntimeClock } from '../clock';
import type { FunctionsCore, RegisteredFunction, RpcTypedData } from '../functions-core';
import { FunctionInvocationError, invokeFunction } from '../invoker';
import {
  ActionType,
  ActionTypeName,
  EventType,
  type ActionWire,
  type HistoryEvent,
  actionInputValue,
  event,
  parseJsonText,
  toJsonText,
} from './history';
import { ensureTracked, trackedOf, unconsumedEventCounts, type LibraryTask, type Tracked } from './sequence-tracker';
import { customStatusRefusal } from '../../../plan/status-budget';
import {
  type Commit,
  type DurableStore,
  type EntityMessage,
  type EntityMessageRow,
  type EntityRow,
  type InboxRow,
  type InstanceQuery,
  type InstanceRow,
  type RuntimeStatus,
  TERMINAL_STATUSES,
  type WorkRow,
} from './store';

export interface EngineCounters {
  orchestratorEpisodes: number;
  activityRuns: number;
  activityFailures: number;
  entityBatches: number;
  timersFired: number;
  instancesStarted: number;
  instancesCompleted: number;
  instancesFailed: number;
  nondeterminismFailures: number;
  /** Milliseconds of wall CPU time spent inside orchestrator replays. */
  replayCpuMs: number;
}

export interface EngineOptions {
  readonly store: DurableStore;
  readonly core: FunctionsCore;
  readonly clock: RuntimeClock;
  /** Maximum activities running at once. */
  readonly activityConcurrency: number;
  readonly log?: (message: string) => void;
  /**
   * Input data for an activity's extra inputs (a `durableClient` binding), as the Durable
   * extension binds them for activities as well as for HTTP / Event Grid / timer triggers.
   */
  readonly extraInputData?: (fn: RegisteredFunction) => { name: string; data: RpcTypedData }[];
}

/** Thrown by management operations; `status` is the HTTP status Azure answers with. */
export class DurableOperationError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DurableOperationError';
  }
}

interface Instance {
  row: InstanceRow;
  history: HistoryEvent[];
  /**
   * The played history as JSON (events joined by commas), kept in step with `history` so an
   * episode does not re-serialise the whole history: replay cost is then the library's alone.
   */
  historyJson?: string;
  inbox: InboxRow[];
  running: boolean;
  queued: boolean;
}

interface EntityState {
  row: EntityRow;
  queue: EntityMessageRow[];
  running: boolean;
}

interface Descriptor {
  kind: 'activity' | 'timer' | 'suborchestration' | 'entityCall' | 'signal' | 'lock' | 'release' | 'http';
  name: string;
}

/** What a scheduled id stands for, read back from history (for the nondeterminism check). */
function recordedDescriptor(e: HistoryEvent): Descriptor | undefined {
  switch (e.EventType) {
    case EventType.TaskScheduled:
      return { kind: 'activity', name: e.Name ?? '' };
    case EventType.TimerCreated:
      return { kind: 'timer', name: '' };
    case EventType.SubOrchestrationInstanceCreated:
      return { kind: 'suborchestration', name: e.Name ?? '' };
    case EventType.EventSent: {
      const kind = (e.Kind as Descriptor['kind'] | undefined) ?? 'signal';
      return { kind, name: (e.Name as string | undefined) ?? '' };
    }
    default:
      return undefined;
  }
}

function describe(d: Descriptor): string {
  const label: Record<Descriptor['kind'], string> = {
    activity: 'activity',
    timer: 'timer',
    suborchestration: 'sub-orchestration',
    entityCall: 'entity call',
    signal: 'entity signal',
    lock: 'entity lock',
    release: 'entity lock release',
    http: 'HTTP call',
  };
  return d.name ? `${label[d.kind]} "${d.name}"` : label[d.kind];
}

const OUT_OF_PROC_MARKER = '\n\n$OutOfProcData$:';

function entitySchedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

function parseSchedulerId(id: string): { name: string; key: string } {
  const at = id.indexOf('@', 1);
  return { name: id.substring(1, at), key: id.substring(at + 1) };
}

export class DurableEngine {
  readonly counters: EngineCounters = {
    orchestratorEpisodes: 0,
    activityRuns: 0,
    activityFailures: 0,
    entityBatches: 0,
    timersFired: 0,
    instancesStarted: 0,
    instancesCompleted: 0,
    instancesFailed: 0,
    nondeterminismFailures: 0,
    replayCpuMs: 0,
  };

  readonly #store: DurableStore;
  readonly #core: FunctionsCore;
  readonly #clock: RuntimeClock;
  readonly #log: (message: string) => void;
  readonly #instances = new Map<string, Instance>();
  readonly #entities = new Map<string, EntityState>();
  readonly #activityQueue: WorkRow[] = [];
  readonly #activityConcurrency: number;
  readonly #extraInputData: EngineOptions['extraInputData'];
  #activitiesRunning = 0;
  /** Future inbox rows (durable timers), sorted by (visibleMs, id). */
  readonly #timers: InboxRow[] = [];
  #timerAbort: AbortController | undefined;
  #timerTargetMs: number | undefined;
  #stopped = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #changeListeners = new Map<string, Set<() => void>>();
  readonly #anyChangeListeners = new Set<(instanceId: string) => void>();

  constructor(options: EngineOptions) {
    this.#store = options.store;
    this.#core = options.core;
    this.#clock = options.clock;
    this.#activityConcurrency = Math.max(1, options.activityConcurrency);
    this.#extraInputData = options.extraInputData;
    this.#log = options.log ?? ((message) => console.error(`[durable] ${message}`));
  }

  /** Loads unfinished work from the store and starts processing it. */
  start(): void {
    const state = this.#store.loadActive();
    for (const row of state.instances) {
      this.#instances.set(row.instanceId, {
        row,
        history: state.history.get(row.instanceId) ?? [],
        inbox: [],
        running: false,
        queued: false,
      });
    }
    for (const row of state.inbox) {
      const instance = this.#instances.get(row.instanceId);
      if (!instance) continue;
      instance.inbox.push(row);
    }
    for (const entity of state.entities) this.#entities.set(entity.entityId, { row: entity, queue: [], running: false });
    for (const message of state.entityMessages) this.#entityState(message.entityId).queue.push(message);
    this.#work(() => {
      for (const instance of this.#instances.values()) this.#afterInboxChange(instance);
      for (const row of state.work) this.#enqueueActivity(row);
      for (const entity of this.#entities.values()) if (entity.queue.length > 0) this.#scheduleEntity(entity);
      return Promise.resolve();
    });
  }

  /** Makes every committed change durable now (before answering a caller that relies on it). */
  flush(): void {
    this.#store.flush();
  }

  /**
   * Stops taking work and waits for what is in flight, at most `graceMs` of real time: an activity
   * that sleeps for an hour must not hold a shutdown. Whatever has not finished by then is still in
   * the store and runs again on the next start (at least once, as after a crash).
   */
  async stop(graceMs = 2000): Promise<void> {
    this.#stopped = true;
    this.#timerAbort?.abort();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    const drained = (async () => {
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    })();
    await Promise.race([drained, deadline]);
    clearTimeout(timer);
  }

  /** Called with the instance id whenever any instance's state changes (after the commit). */
  onInstanceChange(listener: (instanceId: string) => void): () => void {
    this.#anyChangeListeners.add(listener);
    return () => this.#anyChangeListeners.delete(listener);
  }

  /** Calls `listener` whenever this instance's state changes; returns the unsubscribe function. */
  onInstanceChangeOf(instanceId: string, listener: () => void): () => void {
    let listeners = this.#changeListeners.get(instanceId);
    if (!listeners) {
      listeners = new Set();
      this.#changeListeners.set(instanceId, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#changeListeners.delete(instanceId);
    };
  }

  /**
   * Runs `fn` as busy work on the clock and tracks it so stop() can wait for it. The work starts on
   * a later turn of the event loop (setImmediate): work chained through promises alone would starve
   * I/O, so HTTP requests would wait until every instance in flight had finished. The busy region
   * is taken at once, so a virtual clock cannot advance in between.
   */
  #work(fn: () => Promise<void>): void {
    if (this.#stopped) return;
    const promise = this.#clock
      .runBusy(async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!this.#stopped) await fn();
      })
      .catch((error: unknown) => {
        // After stop() the store may be closed under work that outlived the grace period.
        if (!this.#stopped) this.#log(`internal error: ${(error as Error)?.stack ?? String(error)}`);
      });
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise));
  }

  #notify(instanceId: string): void {
    const listeners = this.#changeListeners.get(instanceId);
    if (listeners) for (const listener of [...listeners]) listener();
    for (const listener of this.#anyChangeListeners) listener(instanceId);
  }

  // ---------------------------------------------------------------------------------------------
  // Management operations (the HTTP API and the client binding call these)

  orchestratorFunction(name: string): RegisteredFunction {
    const fn = this.#core.getFunction(name);
    if (!fn || fn.trigger.type !== 'orchestrationTrigger') {
      throw new DurableOperationError(400, `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    }
    return fn;
  }

  /** Starts an orchestration. An existing non-finished instance with the same id is a conflict (409). */
  startNew(name: string, instanceId: string | undefined, inputText: string | null): string {
    const fn = this.orchestratorFunction(name);
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    if (id === '' || /[/\\#?]/.test(id) || [...id].some((c) => c.charCodeAt(0) < 0x20) || id.length > 256) {
      throw new DurableOperationError(
        400,
        `invalid instance id "${id}": it must be 1-256 characters without / \\ # ? or control characters`,
      );
    }
    const existing = this.getInstanceRow(id);
    if (existing && !TERMINAL_STATUSES.has(existing.status)) {
      throw new DurableOperationError(409, `An orchestration instance with the ID '${id}' already exists and is ${existing.status}.`);
    }
    const commit: Commit = {};
    const apply: (() => void)[] = [];
    this.#createInstance(fn.metadata.name, id, inputText, null, null, existing !== undefined, commit, apply);
    this.#store.commit(commit);
    for (const action of apply) action();
    return id;
  }

  #createInstance(
    name: string,
    instanceId: string,
    inputText: string | null,
    parentInstanceId: string | null,
    parentTaskId: number | null,
    replace: boolean,
    commit: Commit,
    apply: (() => void)[],
  ): void {
    const now = this.#clock.now();
    const row: InstanceRow = {
      instanceId,
      name,
      executionId: randomUUID(),
      status: 'Pending',
      input: inputText,
      output: null,
      customStatus: null,
      createdMs: now,
      updatedMs: now,
      parentInstanceId,
      parentTaskId,
    };
    const started: Omit<InboxRow, 'id'> = {
      instanceId,
      visibleMs: now,
      event: event(EventType.ExecutionStarted, -1, now, {
        Name: name,
        Input: inputText,
        Version: '',
        ParentInstanceId: parentInstanceId ?? undefined,
      }),
    };
    if (replace) (commit.deleteInstances ??= []).push(instanceId);
    (commit.upsertInstances ??= []).push(row);
    (commit.insertInbox ??= []).push(started);
    apply.push(() => {
      const old = this.#instances.get(instanceId);
      if (old) this.#dropTimersOf(old);
      const instance: Instance = { row, history: [], inbox: [started as InboxRow], running: false, queued: false };
      this.#instances.set(instanceId, instance);
      this.counters.instancesStarted++;
      this.#notify(instanceId);
      this.#afterInboxChange(instance);
    });
  }

  getInstanceRow(instanceId: string): InstanceRow | undefined {
    return this.#instances.get(instanceId)?.row ?? this.#store.getInstance(instanceId);
  }

  queryInstances(query: InstanceQuery): { rows: InstanceRow[]; continuation: string | undefined } {
    return this.#store.queryInstances(query);
  }

  getHistory(instanceId: string): HistoryEvent[] {
    return this.#instances.get(instanceId)?.history ?? this.#store.getHistory(instanceId);
  }

  /** The runtime clock's time (e.g. the default end of a purge's creation-time range). */
  now(): number {
    return this.#clock.now();
  }

  /** Throws 404 for an unknown instance and 410 for a finished one (before a request's body is read). */
  requireRunning(instanceId: string): void {
    this.#requireActive(instanceId);
  }

  #requireActive(instanceId: string): Instance {
    const row = this.getInstanceRow(instanceId);
    if (!row) throw new DurableOperationError(404, `No instance with ID '${instanceId}' found.`);
    const instance = this.#instances.get(instanceId);
    if (TERMINAL_STATUSES.has(row.status) || !instance) {
      throw new DurableOperationError(
        410,
        `The instance '${instanceId}' is ${row.status}: it cannot receive events or operations any more.`,
      );
    }
    return instance;
  }

  #enqueueEvents(instance: Instance, events: HistoryEvent[]): void {
    const now = this.#clock.now();
    const rows = events.map((e) => ({ instanceId: instance.row.instanceId, visibleMs: now, event: e }));
    this.#store.commit({ insertInbox: rows });
    instance.inbox.push(...(rows as InboxRow[]));
    this.#afterInboxChange(instance);
  }

  raiseEvent(instanceId: string, eventName: string, inputText: string | null): void {
    const instance = this.#requireActive(instanceId);
    this.#enqueueEvents(instance, [event(EventType.EventRaised, -1, this.#clock.now(), { Name: eventName, Input: inputText })]);
  }

  terminate(instanceId: string, reason: string): void {
    const instance = this.#requireActive(instanceId);
    this.#enqueueEvents(instance, [event(EventType.ExecutionTerminated, -1, this.#clock.now(), { Input: JSON.stringify(reason) })]);
  }

  suspend(instanceId: string, reason: string): void {
    const instance = this.#requireActive(instanceId);
    this.#enqueueEvents(instance, [event(EventType.ExecutionSuspended, -1, this.#clock.now(), { Input: JSON.stringify(reason) })]);
  }

  resume(instanceId: string, reason: string): void {
    const instance = this.#requireActive(instanceId);
    this.#enqueueEvents(instance, [event(EventType.ExecutionResumed, -1, this.#clock.now(), { Input: JSON.stringify(reason) })]);
  }

  /** Deletes a finished instance and its history. Returns how many instances were deleted. */
  purge(instanceId: string): number {
    const row = this.getInstanceRow(instanceId);
    if (!row) return 0;
    if (!TERMINAL_STATUSES.has(row.status)) {
      // 412 Precondition Failed, as the Durable extension answers since it checks the runtime status before a purge.
      throw new DurableOperationError(
        412,
        `The instance '${instanceId}' is ${row.status}: only completed, failed or terminated instances can be purged.`,
      );
    }
    this.#store.commit({ deleteInstances: [instanceId] });
    this.#instances.delete(instanceId);
    return 1;
  }

  signalEntity(name: string, key: string, operation: string, inputText: string | null): void {
    const fn = this.#core.getFunction(name);
    if (!fn || fn.trigger.type !== 'entityTrigger')
      throw new DurableOperationError(404, `No entity function named '${name}' is registered.`);
    const entityId = entitySchedulerId(name, key);
    const row: Omit<EntityMessageRow, 'id'> = {
      entityId,
      message: { type: 'op', id: randomUUID(), operation, input: inputText, signal: true, parent: null },
    };
    this.#store.commit({ insertEntityMessages: [row] });
    this.#deliverEntityMessages([row as EntityMessageRow]);
  }

  readEntity(name: string, key: string): EntityRow | undefined {
    const entityId = entitySchedulerId(name, key);
    const entity = this.#entities.get(entityId)?.row ?? this.#store.getEntity(entityId);
    return entity?.exists ? entity : undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduling

  #afterInboxChange(instance: Instance): void {
    const now = this.#clock.now();
    let runnable = false;
    for (const row of instance.inbox) {
      if (row.visibleMs <= now) runnable = true;
      else this.#armTimer(row);
    }
    if (runnable && this.#hasDeliverable(instance)) this.#scheduleEpisode(instance);
  }

  #scheduleEpisode(instance: Instance): void {
    if (this.#stopped) return;
    if (instance.running) {
      instance.queued = true; // picked up when the running episode ends
      return;
    }
    if (instance.queued) return;
    instance.queued = true;
    this.#work(async () => {
      instance.queued = false;
      instance.running = true;
      try {
        await this.#runEpisode(instance);
      } finally {
        instance.running = false;
        instance.queued = false;
      }
      // Events that arrived during the episode start the next one at once (same busy region).
      const current = this.#instances.get(instance.row.instanceId);
      if (current && this.#hasDeliverable(current)) this.#scheduleEpisode(current);
    });
  }

  /** Whether an episode would consume something now (a suspended instance only takes control events). */
  #hasDeliverable(instance: Instance): boolean {
    const now = this.#clock.now();
    const suspended = instance.row.status === 'Suspended';
    return instance.inbox.some(
      (row) =>
        row.visibleMs <= now &&
        (!suspended ||
          row.event.EventType === EventType.ExecutionResumed ||
          row.event.EventType === EventType.ExecutionTerminated ||
          row.event.EventType === EventType.ExecutionSuspended),
    );
  }

  #armTimer(row: InboxRow): void {
    if (this.#timers.includes(row)) return;
    let low = 0;
    let high = this.#timers.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#timers[mid] as InboxRow;
      if (other.visibleMs < row.visibleMs || (other.visibleMs === row.visibleMs && other.id < row.id)) low = mid + 1;
      else high = mid;
    }
    this.#timers.splice(low, 0, row);
    this.#rearmTimerLoop();
  }

  #dropTimersOf(instance: Instance): void {
    for (let i = this.#timers.length - 1; i >= 0; i--)
      if ((this.#timers[i] as InboxRow).instanceId === instance.row.instanceId) this.#timers.splice(i, 1);
  }

  /** One sleeper on the clock for the earliest durable timer (re-armed when an earlier one appears). */
  #rearmTimerLoop(): void {
    const first = this.#timers[0];
    if (!first || this.#stopped) {
      this.#timerAbort?.abort();
      this.#timerAbort = undefined;
      this.#timerTargetMs = undefined;
      return;
    }
    if (this.#timerTargetMs !== undefined && this.#timerTargetMs <= first.visibleMs) return;
    this.#timerAbort?.abort();
    const abort = new AbortController();
    this.#timerAbort = abort;
    this.#timerTargetMs = first.visibleMs;
    // setTimeout overflows past ~24.8 days: sleep in slices of at most an hour on long waits.
    const delayMs = Math.min(first.visibleMs - this.#clock.now(), 60 * 60 * 1000);
    this.#clock.sleep(Math.max(0, delayMs), abort.signal).then(
      () => {
        if (abort.signal.aborted) return;
        this.#timerAbort = undefined;
        this.#timerTargetMs = undefined;
        this.#work(() => {
          this.#fireDueTimers();
          return Promise.resolve();
        });
      },
      () => {},
    );
  }

  #fireDueTimers(): void {
    const now = this.#clock.now();
    const due = new Set<string>();
    while (this.#timers.length > 0 && (this.#timers[0] as InboxRow).visibleMs <= now) {
      const row = this.#timers.shift() as InboxRow;
      if (row.event.EventType === EventType.TimerFired) this.counters.timersFired++;
      due.add(row.instanceId);
    }
    for (const instanceId of due) {
      const instance = this.#instances.get(instanceId);
      if (instance) this.#scheduleEpisode(instance);
    }
    this.#rearmTimerLoop();
  }

  // ---------------------------------------------------------------------------------------------
  // Episodes

  async #runEpisode(instance: Instance): Promise<void> {
    if (!this.#instances.has(instance.row.instanceId) || this.#instances.get(instance.row.instanceId) !== instance) return;
    const now = this.#clock.now();
    const row = instance.row;
    if (TERMINAL_STATUSES.has(row.status)) return;
    const visible = instance.inbox.filter((item) => item.visibleMs <= now);
    if (visible.length === 0) return;

    // Control messages first: terminate wins over everything; suspend holds every other event back.
    const terminate = visible.find((item) => item.event.EventType === EventType.ExecutionTerminated);
    if (terminate) {
      this.#finish(instance, 'Terminated', terminate.event.Input ?? 'null', {
        consumed: instance.inbox.map((item) => item.id),
        extraHistory: [terminate.event],
      });
      return;
    }
    const consumed: number[] = [];
    const newEvents: HistoryEvent[] = [];
    let status: RuntimeStatus = row.status;
    const controlHistory: HistoryEvent[] = [];
    for (const item of visible) {
      const type = item.event.EventType;
      if (type === EventType.ExecutionSuspended) {
        consumed.push(item.id);
        if (status !== 'Suspended') {
          status = 'Suspended';
          controlHistory.push(item.event);
        }
        continue;
      }
      if (type === EventType.ExecutionResumed) {
        consumed.push(item.id);
        if (status === 'Suspended') {
          status = 'Running';
          controlHistory.push(item.event);
        }
        continue;
      }
      if (status === 'Suspended') continue;
      consumed.push(item.id);
      newEvents.push(item.event);
    }
    if (newEvents.length === 0) {
      if (consumed.length === 0) return; // suspended: everything waits for resume
      // Only suspend/resume arrived: record them, no replay needed.
      const updated: InstanceRow = { ...row, status, updatedMs: now };
      const append = controlHistory.map((e) => ({ ...e, IsPlayed: true }));
      this.#store.commit({
        upsertInstances: [updated],
        deleteInbox: consumed,
        appendHistory: [{ instanceId: row.instanceId, fromSeq: instance.history.length, events: append }],
      });
      instance.row = updated;
      this.#pushHistory(instance, append);
      this.#removeInbox(instance, consumed);
      this.#notify(row.instanceId);
      return;
    }

    const fn = this.#core.getFunction(row.name);
    const orchestratorStarted = event(EventType.OrchestratorStarted, -1, now);
    const episodeEvents = [...controlHistory, orchestratorStarted, ...newEvents];
    const history = instance.history.concat(episodeEvents);
    const executionStarted = history.find((e) => e.EventType === EventType.ExecutionStarted);
    if (!executionStarted) {
      this.#finish(instance, 'Failed', JSON.stringify(`the history of instance '${row.instanceId}' has no ExecutionStarted event`), {
        consumed,
        extraHistory: episodeEvents,
      });
      return;
    }
    if (!fn || fn.trigger.type !== 'orchestrationTrigger') {
      this.#finish(
        instance,
        'Failed',
        JSON.stringify(`The orchestrator function '${row.name}' doesn't exist, is disabled, or is not an orchestrator function.`),
        { consumed, extraHistory: episodeEvents },
      );
      return;
    }

    this.counters.orchestratorEpisodes++;
    const payload = {
      history,
      input: parseJsonText(executionStarted.Input as string | null),
      instanceId: row.instanceId,
      isReplaying: instance.history.length > 0,
      parentInstanceId: row.parentInstanceId,
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 3,
      // Huge: the library must not split long timers into hidden slices we would have to predict.
      maximumShortTimerDuration: '36500.00:00:00',
      longRunningTimerIntervalDuration: '3.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    const outcome = await this.#replay(fn, payload, this.#historyJson(instance), episodeEvents);
    const commit: Commit = { deleteInbox: consumed };
    const apply: (() => void)[] = [];

    // Nondeterminism: every id the replay assigned must match what history recorded for it.
    const recorded = new Map<number, Descriptor>();
    for (const e of history) {
      const descriptor = recordedDescriptor(e);
      if (descriptor && typeof e.EventId === 'number' && e.EventId >= 0) recorded.set(e.EventId, descriptor);
    }
    const scheduledEvents: HistoryEvent[] = [];
    const work: { tracked: Tracked; descriptor: Descriptor }[] = [];
    const reproduced = new Set<number>();
    for (const tracked of outcome.tracked) {
      const descriptors = this.#describeTracked(tracked);
      for (let offset = 0; offset < descriptors.length; offset++) {
        const descriptor = descriptors[offset] as Descriptor;
        const id = tracked.id + offset;
        reproduced.add(id);
        const previous = recorded.get(id);
        if (previous) {
          if (previous.kind !== descriptor.kind || previous.name !== descriptor.name) {
            this.counters.nondeterminismFailures++;
            const message =
              `Non-deterministic workflow detected: at sequence id ${id} the orchestrator '${row.name}' (instance '${row.instanceId}') ` +
              `now schedules ${describe(descriptor)}, but history recorded ${describe(previous)}. ` +
              'Orchestrator code must make the same calls in the same order on every replay (was the code changed while instances were running?).';
            this.#finish(instance, 'Failed', JSON.stringify(message), { consumed, extraHistory: episodeEvents });
            return;
          }
        } else if (offset === 0) {
          work.push({ tracked, descriptor });
        }
      }
    }

    // ...and every id history recorded must be scheduled again: otherwise its completion would
    // reach no task and the instance would wait forever.
    if (outcome.error === undefined) {
      const missing = [...recorded.entries()].filter(([id]) => !reproduced.has(id)).sort((a, b) => a[0] - b[0])[0];
      if (missing) {
        this.counters.nondeterminismFailures++;
        const message =
          `Non-deterministic workflow detected: history recorded ${describe(missing[1])} at sequence id ${missing[0]}, but the orchestrator '${row.name}' ` +
          `(instance '${row.instanceId}') no longer schedules it on replay. ` +
          'Orchestrator code must make the same calls in the same order on every replay (was the code changed while instances were running?).';
        this.#finish(instance, 'Failed', JSON.stringify(message), { consumed, extraHistory: episodeEvents });
        return;
      }
    }

    const state = outcome.state;
    // The extension sets the custom status first (OutOfProcOrchestrationShim.ScheduleDurableTaskEvents);
    // over its limit that throws and fails the orchestration, and the previous status stays.
    const statusRefusal = typeof outcome.customStatus === 'string' ? customStatusRefusal(outcome.customStatus) : undefined;
    if (statusRefusal !== undefined) {
      this.#finish(instance, 'Failed', JSON.stringify(statusRefusal), { consumed, extraHistory: episodeEvents });
      return;
    }
    if (outcome.error !== undefined) {
      this.#finish(instance, 'Failed', JSON.stringify(outcome.error), {
        consumed,
        extraHistory: episodeEvents,
        customStatus: outcome.customStatus,
      });
      return;
    }

    // New work, in sequence-id order.
    work.sort((a, b) => a.tracked.id - b.tracked.id);
    for (const item of work) {
      const failure = this.#schedule(instance, item.tracked, item.descriptor, history, now, commit, apply, scheduledEvents);
      if (failure) {
        this.#finish(instance, 'Failed', JSON.stringify(failure), { consumed, extraHistory: episodeEvents });
        return;
      }
    }

    // Timers the orchestrator cancelled (e.g. the losing side of Task.any) will never be awaited:
    // drop them so they neither wake the instance nor hold a virtual clock back.
    const cancelledTimerIds = new Set<number>();
    for (const tracked of outcome.tracked) {
      if (tracked.kind !== 'task') continue;
      const action = tracked.task.actionObj as ActionWire | undefined;
      if (action && typeof action === 'object' && action.actionType === ActionType.CreateTimer && action.isCanceled)
        cancelledTimerIds.add(tracked.id);
    }
    const cancelledRows = instance.inbox.filter(
      (item) => item.event.EventType === EventType.TimerFired && cancelledTimerIds.has(item.event.TimerId as number),
    );
    if (cancelledRows.length > 0) (commit.deleteInbox ??= []).push(...cancelledRows.map((item) => item.id));

    const customStatus = state?.customStatus === undefined ? null : toJsonText(state.customStatus);
    const completed = state?.isDone === true;
    const continueAsNew = outcome.continueAsNew;
    const orchestratorCompleted = event(EventType.OrchestratorCompleted, -1, now);
    const appended = [...episodeEvents, ...scheduledEvents, orchestratorCompleted];

    if (completed && continueAsNew) {
      this.#continueAsNew(instance, continueAsNew.input, outcome.unconsumed, history, commit, apply, customStatus, cancelledRows);
      return;
    }
    if (completed) {
      this.#finish(instance, 'Completed', toJsonText(state?.output), { consumed, extraHistory: appended, commit, apply, customStatus });
      return;
    }

    const updated: InstanceRow = { ...row, status: status === 'Pending' ? 'Running' : status, customStatus, updatedMs: now };
    (commit.upsertInstances ??= []).push(updated);
    (commit.appendHistory ??= []).push({
      instanceId: row.instanceId,
      fromSeq: instance.history.length,
      events: appended.map((e) => ({ ...e, IsPlayed: true })),
    });
    this.#store.commit(commit);
    instance.row = updated;
    for (const e of appended) e.IsPlayed = true;
    this.#pushHistory(instance, appended);
    this.#removeInbox(instance, [...consumed, ...cancelledRows.map((item) => item.id)]);
    for (const action of apply) action();
    this.#notify(row.instanceId);
  }

  async #replay(
    fn: RegisteredFunction,
    payload: { history: HistoryEvent[]; instanceId: string },
    playedJson: string,
    episodeEvents: HistoryEvent[],
  ): Promise<{
    state: { isDone?: boolean; output?: unknown; customStatus?: unknown; actions?: unknown } | undefined;
    error: string | undefined;
    customStatus: string | null | undefined;
    tracked: Tracked[];
    continueAsNew: { input: unknown } | undefined;
    unconsumed: Map<string, number>;
  }> {
    // Same JSON as JSON.stringify(payload), with the played history taken from the cache.
    const { history: _history, ...rest } = payload;
    const fresh = episodeEvents.map((e) => JSON.stringify(e)).join(',');
    const historyText = playedJson === '' ? fresh : `${playedJson},${fresh}`;
    const data = { json: `{"history":[${historyText}],${JSON.stringify(rest).slice(1)}` };
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      let context: unknown;
      let result: unknown;
      let error: string | undefined;
      try {
        const outcome = await invokeFunction(this.#core, fn, { inputData: [{ name: fn.triggerName, data }] });
        context = outcome.context;
        result = outcome.result;
      } catch (caught) {
        if (caught instanceof FunctionInvocationError) {
          context = caught.context;
          const raw = caught.error instanceof Error ? caught.error.message : String(caught.error);
          const markerAt = raw.indexOf(OUT_OF_PROC_MARKER);
          if (markerAt >= 0) {
            try {
              const state = JSON.parse(raw.slice(markerAt + OUT_OF_PROC_MARKER.length)) as { error?: string; customStatus?: unknown };
              error = state.error ?? raw.slice(0, markerAt);
              result = state;
            } catch {
              error = raw.slice(0, markerAt);
            }
          } else {
            error = raw;
          }
        } else {
          throw caught;
        }
      } finally {
        this.counters.replayCpuMs += performance.now() - started;
      }
      const executor = (context as { df?: { taskOrchestratorExecutor?: unknown } } | undefined)?.df?.taskOrchestratorExecutor;
      if (executor === undefined) {
        return {
          state: undefined,
          error: error ?? 'the orchestrator handler returned no durable state',
          customStatus: undefined,
          tracked: [],
          continueAsNew: undefined,
          unconsumed: new Map(),
        };
      }
      // First replay with a freshly loaded library: patch, then replay again to observe the ids.
      if (ensureTracked(executor) && attempt === 0) continue;
      const state = result as { isDone?: boolean; output?: unknown; customStatus?: unknown; actions?: ActionWire[][] } | undefined;
      const actions = (state?.actions?.[0] ?? []) as ActionWire[];
      const continueAction = actions.find((action) => action.actionType === ActionType.ContinueAsNew);
      return {
        state: error === undefined ? state : undefined,
        error,
        customStatus: state?.customStatus === undefined ? undefined : toJsonText(state.customStatus),
        tracked: trackedOf(executor),
        continueAsNew: continueAction ? { input: actionInputValue(continueAction.input) } : undefined,
        unconsumed: unconsumedEventCounts(executor),
      };
    }
  }

  /** What each id a tracked item consumed stands for. */
  #describeTracked(tracked: Tracked): Descriptor[] {
    if (tracked.kind === 'fireAndForget') {
      const action = tracked.action as ActionWire;
      if (action.actionType === ActionType.SignalEntity)
        return [{ kind: 'signal', name: `${action.operation ?? ''}${action.instanceId ?? ''}` }];
      return Array.from({ length: tracked.count }, () => ({ kind: 'release' as const, name: '' }));
    }
    const task = tracked.task;
    const action = task.actionObj as ActionWire | string | undefined;
    if (action && typeof action === 'object') {
      switch (action.actionType) {
        case ActionType.CallActivity:
        case ActionType.CallActivityWithRetry:
          return [{ kind: 'activity', name: action.functionName ?? '' }];
        case ActionType.CreateTimer:
          return [{ kind: 'timer', name: '' }];
        case ActionType.CallSubOrchestrator:
        case ActionType.CallSubOrchestratorWithRetry:
          return [{ kind: 'suborchestration', name: action.functionName ?? '' }];
        case ActionType.CallEntity:
          return [{ kind: 'entityCall', name: `${action.operation ?? ''}${action.instanceId ?? ''}` }];
        case ActionType.LockEntities:
          return [{ kind: 'lock', name: (action.lockSet ?? []).map((e) => entitySchedulerId(e.name, e.key)).join(',') }];
        case ActionType.CallHttp:
          return [{ kind: 'http', name: '' }];
        default:
          return [{ kind: 'activity', name: `<unknown action ${ActionTypeName[action.actionType] ?? action.actionType}>` }];
      }
    }
    // A retry's hidden tasks: odd positions are the wait timers, even ones the next attempts.
    const parent = task.parent;
    const parentAction = parent?.actionObj as ActionWire | undefined;
    if (parent && parentAction) {
      const index = parent.children.indexOf(task);
      if (index % 2 === 1) return [{ kind: 'timer', name: '' }];
      if (parentAction.actionType === ActionType.CallSubOrchestratorWithRetry)
        return [{ kind: 'suborchestration', name: parentAction.functionName ?? '' }];
      return [{ kind: 'activity', name: parentAction.functionName ?? '' }];
    }
    return [{ kind: 'timer', name: '' }];
  }

  /** Records and starts one new piece of work. Returns an error text if it cannot be scheduled. */
  #schedule(
    instance: Instance,
    tracked: Tracked,
    descriptor: Descriptor,
    history: HistoryEvent[],
    now: number,
    commit: Commit,
    apply: (() => void)[],
    scheduledEvents: HistoryEvent[],
  ): string | undefined {
    const row = instance.row;
    const id = tracked.id;
    const inbox = (e: HistoryEvent, visibleMs = now): void => {
      const item: Omit<InboxRow, 'id'> = { instanceId: row.instanceId, visibleMs, event: e };
      (commit.insertInbox ??= []).push(item);
      apply.push(() => {
        instance.inbox.push(item as InboxRow);
        if (visibleMs > this.#clock.now()) this.#armTimer(item as InboxRow);
        else this.#scheduleEpisode(instance);
      });
    };

    if (tracked.kind === 'fireAndForget') {
      const action = tracked.action as ActionWire;
      if (action.actionType === ActionType.SignalEntity) {
        const entityId = action.instanceId ?? '';
        const message: EntityMessage = {
          type: 'op',
          id: `${row.instanceId}:${id}`,
          operation: action.operation ?? '',
          input: action.input === undefined ? null : toJsonText(action.input),
          signal: true,
          parent: null,
        };
        scheduledEvents.push(
          event(EventType.EventSent, id, now, {
            Name: descriptor.name,
            Kind: 'signal',
            InstanceId: entityId,
            Input: JSON.stringify(message),
          }),
        );
        this.#queueEntityMessage(entityId, message, commit, apply);
        return undefined;
      }
      // ReleaseEntities: release every lock this orchestration holds (one id per entity).
      const lockSet = this.#currentLockSet(history);
      for (let offset = 0; offset < tracked.count; offset++) {
        const entityId = lockSet[offset] ?? '';
        scheduledEvents.push(
          event(EventType.EventSent, id + offset, now, {
            Name: '',
            Kind: 'release',
            InstanceId: entityId,
            Input: JSON.stringify({ type: 'release', owner: row.instanceId }),
          }),
        );
      }
      for (const entityId of lockSet) this.#queueEntityMessage(entityId, { type: 'release', owner: row.instanceId }, commit, apply);
      return undefined;
    }

    const task = tracked.task;
    const action = task.actionObj as ActionWire | string | undefined;
    if (action && typeof action === 'object') {
      switch (action.actionType) {
        case ActionType.CallActivity:
        case ActionType.CallActivityWithRetry:
          return this.#scheduleActivity(
            instance,
            id,
            action.functionName ?? '',
            toJsonText(actionInputValue(action.input)),
            now,
            commit,
            apply,
            scheduledEvents,
          );
        case ActionType.CreateTimer: {
          const fireAtMs = new Date(action.fireAt as Date).getTime();
          const fireAt = new Date(fireAtMs).toISOString();
          scheduledEvents.push(event(EventType.TimerCreated, id, now, { FireAt: fireAt }));
          inbox(event(EventType.TimerFired, -1, fireAtMs, { TimerId: id, FireAt: fireAt }), fireAtMs);
          return undefined;
        }
        case ActionType.CallSubOrchestrator:
        case ActionType.CallSubOrchestratorWithRetry:
          return this.#scheduleSubOrchestration(
            instance,
            id,
            action.functionName ?? '',
            action.instanceId,
            action.input,
            now,
            commit,
            apply,
            scheduledEvents,
          );
        case ActionType.CallEntity: {
          const entityId = action.instanceId ?? '';
          const message: EntityMessage = {
            type: 'op',
            id: `${row.instanceId}:${id}`,
            operation: action.operation ?? '',
            input: action.input === undefined ? null : toJsonText(action.input),
            signal: false,
            parent: row.instanceId,
          };
          const entityName = parseSchedulerId(entityId).name;
          const entityFn = this.#core.getFunction(entityName);
          if (!entityFn || entityFn.trigger.type !== 'entityTrigger')
            return `The entity function '${entityName}' called by '${row.name}' is not registered.`;
          scheduledEvents.push(
            event(EventType.EventSent, id, now, {
              Name: descriptor.name,
              Kind: 'entityCall',
              InstanceId: entityId,
              Input: JSON.stringify(message),
            }),
          );
          this.#queueEntityMessage(entityId, message, commit, apply);
          return undefined;
        }
        case ActionType.LockEntities: {
          const lockSet = (action.lockSet ?? []).map((e) => entitySchedulerId(e.name, e.key));
          const requestId = action.lockRequestId ?? `${row.instanceId}:${id}`;
          const message: EntityMessage = { type: 'lock', requestId, owner: row.instanceId, lockSet, position: 0 };
          scheduledEvents.push(
            event(EventType.EventSent, id, now, { Name: descriptor.name, Kind: 'lock', Input: JSON.stringify({ id: requestId, lockSet }) }),
          );
          if (lockSet.length > 0) this.#queueEntityMessage(lockSet[0] as string, message, commit, apply);
          return undefined;
        }
        case ActionType.CallHttp:
          return 'callHttp is not supported by the local runtime (call HTTP endpoints from an activity instead).';
        default:
          return `unsupported action type ${action.actionType}`;
      }
    }

    // Hidden retry tasks.
    const parent = task.parent as
      (LibraryTask & { children: LibraryTask[]; actionObj?: unknown; retryOptions?: ActionWire['retryOptions'] }) | undefined;
    const parentAction = parent?.actionObj as ActionWire | undefined;
    if (!parent || !parentAction) return 'the orchestrator yielded a task the local runtime cannot schedule';
    const index = parent.children.indexOf(task);
    const retry = parentAction.retryOptions ?? parent.retryOptions;
    const failures = Math.ceil(index / 2);
    if (index % 2 === 1) {
      // Wait before the next attempt: first * coefficient^(failures-1), capped by the maximum.
      const first = Math.max(0, retry?.firstRetryIntervalInMilliseconds ?? 0);
      const coefficient = retry?.backoffCoefficient ?? 1;
      let delayMs = first * Math.pow(coefficient, failures - 1);
      if (retry?.maxRetryIntervalInMilliseconds !== undefined && retry.maxRetryIntervalInMilliseconds > 0)
        delayMs = Math.min(delayMs, retry.maxRetryIntervalInMilliseconds);
      if (failures >= (retry?.maxNumberOfAttempts ?? 1)) delayMs = 0; // last failure: the library gives up when this fires
      const fireAtMs = now + Math.round(delayMs);
      const fireAt = new Date(fireAtMs).toISOString();
      scheduledEvents.push(event(EventType.TimerCreated, id, now, { FireAt: fireAt, Retry: true }));
      inbox(event(EventType.TimerFired, -1, fireAtMs, { TimerId: id, FireAt: fireAt }), fireAtMs);
      return undefined;
    }
    // Next attempt. Past the retry timeout it fails at once with the previous attempt's error.
    const firstScheduled = history.find(
      (e) =>
        e.EventId === (parent.children[0]?.id as number) &&
        (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated),
    );
    const timeoutMs = retry?.retryTimeoutInMilliseconds;
    if (timeoutMs !== undefined && timeoutMs > 0 && firstScheduled && now - Date.parse(firstScheduled.Timestamp) > timeoutMs) {
      const previousId = parent.children[index - 2]?.id;
      const previousFailure = history.find(
        (e) =>
          (e.EventType === EventType.TaskFailed || e.EventType === EventType.SubOrchestrationInstanceFailed) &&
          e.TaskScheduledId === previousId,
      );
      if (parentAction.actionType === ActionType.CallSubOrchestratorWithRetry) {
        scheduledEvents.push(
          event(EventType.SubOrchestrationInstanceCreated, id, now, { Name: parentAction.functionName, InstanceId: '' }),
        );
      } else {
        scheduledEvents.push(event(EventType.TaskScheduled, id, now, { Name: parentAction.functionName }));
      }
      inbox(
        event(
          parentAction.actionType === ActionType.CallSubOrchestratorWithRetry
            ? EventType.SubOrchestrationInstanceFailed
            : EventType.TaskFailed,
          -1,
          now,
          {
            TaskScheduledId: id,
            Reason: previousFailure?.Reason ?? `retry timeout of ${timeoutMs} ms exceeded`,
            Details: previousFailure?.Details ?? '',
          },
        ),
      );
      return undefined;
    }
    if (parentAction.actionType === ActionType.CallSubOrchestratorWithRetry) {
      return this.#scheduleSubOrchestration(
        instance,
        id,
        parentAction.functionName ?? '',
        parentAction.instanceId,
        parentAction.input,
        now,
        commit,
        apply,
        scheduledEvents,
      );
    }
    return this.#scheduleActivity(
      instance,
      id,
      parentAction.functionName ?? '',
      toJsonText(actionInputValue(parentAction.input)),
      now,
      commit,
      apply,
      scheduledEvents,
    );
  }

  #scheduleActivity(
    instance: Instance,
    id: number,
    name: string,
    inputText: string,
    now: number,
    commit: Commit,
    apply: (() => void)[],
    scheduledEvents: HistoryEvent[],
  ): string | undefined {
    const fn = this.#core.getFunction(name);
    scheduledEvents.push(event(EventType.TaskScheduled, id, now, { Name: name, Input: inputText }));
    if (!fn || fn.trigger.type !== 'activityTrigger') {
      // As in Azure, the task fails (the orchestrator may catch it) rather than the instance.
      const item: Omit<InboxRow, 'id'> = {
        instanceId: instance.row.instanceId,
        visibleMs: now,
        event: event(EventType.TaskFailed, -1, now, {
          TaskScheduledId: id,
          Reason: `The activity function '${name}' doesn't exist, is disabled, or is not an activity function.`,
          Details: '',
        }),
      };
      (commit.insertInbox ??= []).push(item);
      apply.push(() => {
        instance.inbox.push(item as InboxRow);
        this.#scheduleEpisode(instance);
      });
      return undefined;
    }
    const work: Omit<WorkRow, 'id'> & { id?: number } = {
      instanceId: instance.row.instanceId,
      executionId: instance.row.executionId,
      taskId: id,
      name,
      input: inputText,
    };
    (commit.insertWork ??= []).push(work);
    apply.push(() => this.#enqueueActivity(work as WorkRow));
    return undefined;
  }

  #scheduleSubOrchestration(
    instance: Instance,
    id: number,
    name: string,
    childId: string | undefined,
    input: unknown,
    now: number,
    commit: Commit,
    apply: (() => void)[],
    scheduledEvents: HistoryEvent[],
  ): string | undefined {
    const fn = this.#core.getFunction(name);
    if (!fn || fn.trigger.type !== 'orchestrationTrigger')
      return `The sub-orchestrator function '${name}' called by '${instance.row.name}' doesn't exist or is not an orchestrator function.`;
    const instanceId = childId ?? `${instance.row.instanceId}:${id}`; // Azure's default: <parent>:<sequence id>
    const inputText = input === undefined ? null : JSON.stringify(input);
    scheduledEvents.push(
      event(EventType.SubOrchestrationInstanceCreated, id, now, { Name: fn.metadata.name, InstanceId: instanceId, Input: inputText }),
    );
    const existing = this.getInstanceRow(instanceId);
    if (existing && !TERMINAL_STATUSES.has(existing.status)) {
      const item: Omit<InboxRow, 'id'> = {
        instanceId: instance.row.instanceId,
        visibleMs: now,
        event: event(EventType.SubOrchestrationInstanceFailed, -1, now, {
          TaskScheduledId: id,
          Reason: `An orchestration instance with the ID '${instanceId}' already exists and is ${existing.status}.`,
          Details: '',
        }),
      };
      (commit.insertInbox ??= []).push(item);
      apply.push(() => {
        instance.inbox.push(item as InboxRow);
        this.#scheduleEpisode(instance);
      });
      return undefined;
    }
    this.#createInstance(fn.metadata.name, instanceId, inputText, instance.row.instanceId, id, existing !== undefined, commit, apply);
    return undefined;
  }

  /** The entities of the orchestration's latest lock request (history EventSent of kind lock). */
  #currentLockSet(history: HistoryEvent[]): string[] {
    for (let i = history.length - 1; i >= 0; i--) {
      const e = history[i] as HistoryEvent;
      if (e.EventType === EventType.EventSent && e.Kind === 'lock') {
        const parsed = parseJsonText(e.Input) as { lockSet?: string[] } | null;
        return parsed?.lockSet ?? [];
      }
    }
    return [];
  }

  #continueAsNew(
    instance: Instance,
    input: unknown,
    unconsumed: Map<string, number>,
    history: HistoryEvent[],
    commit: Commit,
    apply: (() => void)[],
    customStatus: string | null,
    cancelledRows: InboxRow[],
  ): void {
    const now = this.#clock.now();
    const row = instance.row;
    const inputText = input === undefined ? null : JSON.stringify(input);
    // External events the old generation received but never awaited carry over to the new one,
    // in arrival order (as preserveUnprocessedEvents does in Azure).
    const carried: HistoryEvent[] = [];
    const raised = history.filter((e) => e.EventType === EventType.EventRaised && typeof e.Name === 'string');
    for (const [name, count] of unconsumed) {
      const ofName = raised.filter((e) => e.Name === name);
      carried.push(...ofName.slice(Math.max(0, ofName.length - count)));
    }
    carried.sort((a, b) => raised.indexOf(a) - raised.indexOf(b));
    // Pending timers and results of the old generation are dropped; events still in the inbox stay.
    const keep = instance.inbox.filter(
      (item) =>
        item.event.EventType === EventType.EventRaised ||
        item.event.EventType === EventType.ExecutionTerminated ||
        item.event.EventType === EventType.ExecutionSuspended ||
        item.event.EventType === EventType.ExecutionResumed,
    );
    const dropped = instance.inbox.filter((item) => !keep.includes(item) && !(commit.deleteInbox ?? []).includes(item.id));
    (commit.deleteInbox ??= []).push(...dropped.map((item) => item.id), ...cancelledRows.map((item) => item.id));
    const updated: InstanceRow = {
      ...row,
      executionId: randomUUID(),
      status: 'Running',
      input: inputText,
      output: null,
      customStatus,
      updatedMs: now,
    };
    const started = event(EventType.ExecutionStarted, -1, now, { Name: row.name, Input: inputText, Version: '' });
    const newInbox: Omit<InboxRow, 'id'>[] = [started, ...carried.map((e) => ({ ...e, IsPlayed: false }))].map((e) => ({
      instanceId: row.instanceId,
      visibleMs: now,
      event: e,
    }));
    (commit.insertInbox ??= []).push(...newInbox);
    (commit.upsertInstances ??= []).push(updated);
    (commit.resetHistory ??= []).push({ instanceId: row.instanceId, events: [] });
    // Sub-orchestrations and activities of the old generation must not report into the new one.
    this.#store.commit(commit);
    const deleted = new Set(commit.deleteInbox);
    instance.inbox = instance.inbox.filter((item) => !deleted.has(item.id));
    this.#dropTimersOf(instance);
    instance.row = updated;
    instance.history = [];
    instance.historyJson = '';
    for (const action of apply) action();
    // ExecutionStarted goes first, then carried events, then what was already waiting.
    const rest = instance.inbox.filter((item) => !newInbox.includes(item));
    instance.inbox = [...(newInbox as InboxRow[]), ...rest];
    this.#notify(row.instanceId);
    this.#afterInboxChange(instance);
  }

  /** Ends an instance: status, output, history; notifies the parent; releases entity locks. */
  #finish(
    instance: Instance,
    status: 'Completed' | 'Failed' | 'Terminated',
    outputText: string,
    options: {
      consumed: number[];
      extraHistory: HistoryEvent[];
      commit?: Commit;
      apply?: (() => void)[];
      customStatus?: string | null | undefined;
    },
  ): void {
    const now = this.#clock.now();
    const row = instance.row;
    const commit = options.commit ?? {};
    const apply = options.apply ?? [];
    const updated: InstanceRow = {
      ...row,
      status,
      output: outputText,
      updatedMs: now,
      customStatus: options.customStatus === undefined ? row.customStatus : options.customStatus,
    };
    const completion =
      status === 'Completed'
        ? event(EventType.ExecutionCompleted, -1, now, { Result: outputText, OrchestrationStatus: status })
        : event(status === 'Terminated' ? EventType.ExecutionTerminated : EventType.ExecutionCompleted, -1, now, {
            Result: outputText,
            OrchestrationStatus: status,
          });
    const appended = [...options.extraHistory, completion].map((e) => ({ ...e, IsPlayed: true }));
    (commit.upsertInstances ??= []).push(updated);
    (commit.appendHistory ??= []).push({ instanceId: row.instanceId, fromSeq: instance.history.length, events: appended });
    // Everything still pending for this instance is void now.
    (commit.deleteInbox ??= []).push(...instance.inbox.map((item) => item.id));
    if (row.parentInstanceId !== null && row.parentTaskId !== null) {
      const parent = this.#instances.get(row.parentInstanceId);
      if (parent && !TERMINAL_STATUSES.has(parent.row.status)) {
        const reply =
          status === 'Completed'
            ? event(EventType.SubOrchestrationInstanceCompleted, -1, now, { TaskScheduledId: row.parentTaskId, Result: outputText })
            : event(EventType.SubOrchestrationInstanceFailed, -1, now, {
                TaskScheduledId: row.parentTaskId,
                Reason: `Sub-orchestration '${row.name}' (instance '${row.instanceId}') ${status === 'Failed' ? 'failed' : 'was terminated'}: ${String(parseJsonText(outputText))}`,
                Details: '',
              });
        const item: Omit<InboxRow, 'id'> = { instanceId: parent.row.instanceId, visibleMs: now, event: reply };
        (commit.insertInbox ??= []).push(item);
        apply.push(() => {
          parent.inbox.push(item as InboxRow);
          this.#scheduleEpisode(parent);
        });
      }
    }
    // Locks held by the instance are released when it ends (as Azure does).
    for (const entity of this.#entities.values()) {
      if (entity.row.lockedBy === row.instanceId)
        this.#queueEntityMessage(entity.row.entityId, { type: 'release', owner: row.instanceId }, commit, apply);
    }
    this.#store.commit(commit);
    instance.row = updated;
    this.#pushHistory(instance, appended);
    instance.inbox = [];
    this.#dropTimersOf(instance);
    this.#instances.delete(row.instanceId);
    if (status === 'Completed') this.counters.instancesCompleted++;
    else if (status === 'Failed') this.counters.instancesFailed++;
    for (const action of apply) action();
    this.#notify(row.instanceId);
  }

  #historyJson(instance: Instance): string {
    instance.historyJson ??= instance.history.map((e) => JSON.stringify(e.IsPlayed ? e : { ...e, IsPlayed: true })).join(',');
    return instance.historyJson;
  }

  /** Appends played events to the in-memory history and its JSON cache. */
  #pushHistory(instance: Instance, events: HistoryEvent[]): void {
    for (const e of events) e.IsPlayed = true;
    if (instance.historyJson !== undefined && events.length > 0) {
      const text = events.map((e) => JSON.stringify(e)).join(',');
      instance.historyJson = instance.historyJson === '' ? text : `${instance.historyJson},${text}`;
    }
    instance.history.push(...events);
  }

  #removeInbox(instance: Instance, ids: number[]): void {
    if (ids.length === 0) return;
    const set = new Set(ids);
    instance.inbox = instance.inbox.filter((item) => !set.has(item.id));
    for (let i = this.#timers.length - 1; i >= 0; i--) if (set.has((this.#timers[i] as InboxRow).id)) this.#timers.splice(i, 1);
  }

  // ---------------------------------------------------------------------------------------------
  // Activities

  #enqueueActivity(row: WorkRow): void {
    this.#activityQueue.push(row);
    this.#pumpActivities();
  }

  #pumpActivities(): void {
    while (this.#activitiesRunning < this.#activityConcurrency && this.#activityQueue.length > 0 && !this.#stopped) {
      const row = this.#activityQueue.shift() as WorkRow;
      this.#activitiesRunning++;
      this.#work(async () => {
        try {
          await this.#runActivity(row);
        } finally {
          this.#activitiesRunning--;
          // Hand the slot over synchronously, inside this busy region: no gap for the clock.
          this.#pumpActivities();
        }
      });
    }
  }

  async #runActivity(row: WorkRow): Promise<void> {
    const fn = this.#core.getFunction(row.name);
    let resultEvent: HistoryEvent;
    const now = (): number => this.#clock.now();
    if (!fn) {
      resultEvent = event(EventType.TaskFailed, -1, now(), {
        TaskScheduledId: row.taskId,
        Reason: `The activity function '${row.name}' is not registered.`,
        Details: '',
      });
    } else {
      this.counters.activityRuns++;
      try {
        const inputData = [
          { name: fn.triggerName, data: row.input === null ? undefined : { json: row.input } },
          ...(this.#extraInputData?.(fn) ?? []),
        ];
        const outcome = await invokeFunction(this.#core, fn, { inputData });
        resultEvent = event(EventType.TaskCompleted, -1, now(), {
          TaskScheduledId: row.taskId,
          Result: rpcResultToJson(outcome.response.returnValue),
        });
      } catch (caught) {
        this.counters.activityFailures++;
        const error = caught instanceof FunctionInvocationError ? caught.error : caught;
        const message = error instanceof Error ? error.message : String(error);
        resultEvent = event(EventType.TaskFailed, -1, now(), {
          TaskScheduledId: row.taskId,
          Reason: `Activity function '${row.name}' failed: ${message}`,
          Details: error instanceof Error ? (error.stack ?? message) : message,
        });
      }
    }
    if (this.#stopped) return;
    const instance = this.#instances.get(row.instanceId);
    if (!instance || instance.row.executionId !== row.executionId) {
      // The instance ended, restarted or continued as new meanwhile: the result has no reader.
      this.#store.commit({ deleteWork: [row.id] });
      return;
    }
    const item: Omit<InboxRow, 'id'> = { instanceId: row.instanceId, visibleMs: now(), event: resultEvent };
    this.#store.commit({ deleteWork: [row.id], insertInbox: [item] });
    instance.inbox.push(item as InboxRow);
    this.#scheduleEpisode(instance);
  }

  // ---------------------------------------------------------------------------------------------
  // Entities

  #entityState(entityId: string): EntityState {
    let entity = this.#entities.get(entityId);
    if (!entity) {
      const stored = this.#store.getEntity(entityId);
      const { name, key } = parseSchedulerId(entityId);
      entity = {
        row: stored ?? { entityId, name, key, state: null, exists: false, lockedBy: null, updatedMs: this.#clock.now() },
        queue: [],
        running: false,
      };
      this.#entities.set(entityId, entity);
    }
    return entity;
  }

  #queueEntityMessage(entityId: string, message: EntityMessage, commit: Commit, apply: (() => void)[]): void {
    const row: Omit<EntityMessageRow, 'id'> & { id?: number } = { entityId, message };
    (commit.insertEntityMessages ??= []).push(row);
    apply.push(() => this.#deliverEntityMessages([row as EntityMessageRow]));
  }

  #deliverEntityMessages(rows: EntityMessageRow[]): void {
    for (const row of rows) {
      const entity = this.#entityState(row.entityId);
      entity.queue.push(row);
      this.#scheduleEntity(entity);
    }
  }

  #scheduleEntity(entity: EntityState): void {
    if (entity.running || this.#stopped) return;
    entity.running = true;
    this.#work(async () => {
      try {
        while (await this.#processEntity(entity)) {
          /* keep going while messages can be processed */
        }
      } finally {
        entity.running = false;
      }
    });
  }

  /** Processes what the entity can process now; returns true if it made progress. */
  async #processEntity(entity: EntityState): Promise<boolean> {
    const now = this.#clock.now();
    const lockedBy = entity.row.lockedBy;
    const eligible = entity.queue.filter((item) => {
      if (lockedBy === null) return true;
      const message = item.message;
      return (message.type === 'op' && message.parent === lockedBy) || (message.type === 'release' && message.owner === lockedBy);
    });
    const head = eligible[0];
    if (!head) return false;
    const message = head.message;
    if (message.type === 'release') {
      const updated = { ...entity.row, lockedBy: lockedBy === message.owner ? null : lockedBy, updatedMs: now };
      this.#store.commit({ deleteEntityMessages: [head.id], upsertEntities: [updated] });
      entity.row = updated;
      entity.queue.splice(entity.queue.indexOf(head), 1);
      return true;
    }
    if (message.type === 'lock') {
      const updated = { ...entity.row, lockedBy: message.owner, updatedMs: now };
      const commit: Commit = { deleteEntityMessages: [head.id], upsertEntities: [updated] };
      const apply: (() => void)[] = [];
      const next = message.lockSet[message.position + 1];
      if (next !== undefined) {
        this.#queueEntityMessage(next, { ...message, position: message.position + 1 }, commit, apply);
      } else {
        this.#replyToOrchestration(message.owner, message.requestId, JSON.stringify({ result: 'null' }), commit, apply);
      }
      this.#store.commit(commit);
      entity.row = updated;
      entity.queue.splice(entity.queue.indexOf(head), 1);
      for (const action of apply) action();
      return true;
    }
    // A batch of consecutive operations (stopping before any lock request).
    const batch: EntityMessageRow[] = [];
    for (const item of eligible) {
      if (item.message.type !== 'op') break;
      batch.push(item);
      if (batch.length >= 50) break;
    }
    const commit: Commit = { deleteEntityMessages: batch.map((item) => item.id) };
    const apply: (() => void)[] = [];
    const fn = this.#core.getFunction(entity.row.name);
    let results: { isError: boolean; result?: string }[] = [];
    let newState = entity.row.state;
    let exists = entity.row.exists;
    let signals: { target: { name: string; key: string }; name: string; input: string }[] = [];
    if (!fn || fn.trigger.type !== 'entityTrigger') {
      results = batch.map(() => ({
        isError: true,
        result: JSON.stringify({ message: `No entity function named '${entity.row.name}' is registered.` }),
      }));
    } else {
      this.counters.entityBatches++;
      const input = {
        self: { name: entity.row.name, key: entity.row.key },
        exists: entity.row.exists,
        state: entity.row.state ?? undefined,
        batch: batch.map((item) => {
          const op = item.message as Extract<EntityMessage, { type: 'op' }>;
          return { id: op.id, name: op.operation, input: op.input ?? undefined, signal: op.signal };
        }),
      };
      try {
        const outcome = await invokeFunction(this.#core, fn, {
          inputData: [{ name: fn.triggerName, data: { json: JSON.stringify(input) } }],
        });
        const state = outcome.result as {
          entityExists?: boolean;
          entityState?: string;
          results?: { isError: boolean; result?: string }[];
          signals?: typeof signals;
        };
        results = state.results ?? [];
        newState = state.entityState ?? null;
        exists = state.entityExists === true;
        signals = state.signals ?? [];
      } catch (caught) {
        const error = caught instanceof FunctionInvocationError ? caught.error : caught;
        results = batch.map(() => ({
          isError: true,
          result: JSON.stringify({ message: error instanceof Error ? error.message : String(error) }),
        }));
      }
    }
    batch.forEach((item, index) => {
      const op = item.message as Extract<EntityMessage, { type: 'op' }>;
      if (op.signal || op.parent === null) return;
      const result = results[index];
      let payload: string;
      if (!result || result.isError) {
        const parsed = parseJsonText(result?.result) as { message?: string } | null;
        const text =
          parsed && typeof parsed === 'object' && typeof parsed.message === 'string'
            ? parsed.message
            : `Operation '${op.operation}' on entity '${entity.row.entityId}' failed.`;
        payload = JSON.stringify({ result: JSON.stringify(text), exceptionType: 'Error' });
      } else {
        payload = JSON.stringify(result.result === undefined ? {} : { result: result.result });
      }
      this.#replyToOrchestration(op.parent, op.id, payload, commit, apply);
    });
    for (const signal of signals) {
      const targetId = entitySchedulerId(signal.target.name, signal.target.key);
      this.#queueEntityMessage(
        targetId,
        {
          type: 'op',
          id: randomUUID(),
          operation: signal.name,
          input: signal.input === '' ? null : signal.input,
          signal: true,
          parent: null,
        },
        commit,
        apply,
      );
    }
    const updated: EntityRow = { ...entity.row, state: exists ? newState : null, exists, updatedMs: now };
    (commit.upsertEntities ??= []).push(updated);
    this.#store.commit(commit);
    entity.row = updated;
    const processed = new Set(batch);
    entity.queue = entity.queue.filter((item) => !processed.has(item));
    for (const action of apply) action();
    return true;
  }

  #replyToOrchestration(instanceId: string, requestId: string, inputText: string, commit: Commit, apply: (() => void)[]): void {
    const instance = this.#instances.get(instanceId);
    if (!instance) return;
    const item: Omit<InboxRow, 'id'> = {
      instanceId,
      visibleMs: this.#clock.now(),
      event: event(EventType.EventRaised, -1, this.#clock.now(), { Name: requestId, Input: inputText }),
    };
    (commit.insertInbox ??= []).push(item);
    apply.push(() => {
      instance.inbox.push(item as InboxRow);
      this.#scheduleEpisode(instance);
    });
  }
}

/** An activity's return value (RpcTypedData) as the JSON text stored in TaskCompleted.Result. */
function rpcResultToJson(data: import('../functions-core').RpcTypedData | null | undefined): string {
  if (!data) return 'null';
  if (data.json !== undefined && data.json !== null) return data.json;
  if (data.string !== undefined && data.string !== null) return JSON.stringify(data.string);
  if (data.int !== undefined && data.int !== null) return String(data.int);
  if (data.double !== undefined && data.double !== null) return String(data.double);
  if (data.bytes !== undefined && data.bytes !== null) return JSON.stringify(Buffer.from(data.bytes).toString('base64'));
  return 'null';
}
