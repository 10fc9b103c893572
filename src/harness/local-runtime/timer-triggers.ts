/**
 * Timer triggers on the runtime clock. Schedules are NCRONTAB expressions with six fields
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`, UTC, parsed by cron-parser) or a
 * TimeSpan (`hh:mm:ss`, `d.hh:mm:ss`), as the Functions host accepts them.
 */
import { CronExpressionParser } from 'cron-parser';
import type { RuntimeClock } from './clock';
import type { FunctionsCore, RegisteredFunction } from './functions-core';
import { FunctionInvocationError, invokeFunction } from './invoker';

export interface Schedule {
  /** The next occurrence strictly after `afterMs`. */
  next(afterMs: number): number;
}

function parseSchedule(expression: string): Schedule {
  const text = expression.trim();
  const timeSpan = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (timeSpan) {
    const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = timeSpan;
    const periodMs = ((Number(days) * 24 + Number(hours)) * 60 * 60 + Number(minutes) * 60 + Number(seconds)) * 1000;
    if (periodMs <= 0) throw new RangeError(`timer schedule "${expression}": the interval must be positive`);
    return { next: (afterMs) => afterMs + periodMs };
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 6) {
    throw new RangeError(
      `timer schedule "${expression}": NCRONTAB needs 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), got ${fields.length}`,
    );
  }
  try {
    CronExpressionParser.parse(text, { tz: 'UTC' });
  } catch (error) {
    throw new RangeError(`timer schedule "${expression}": ${(error as Error).message}`);
  }
  return {
    next: (afterMs) =>
      CronExpressionParser.parse(text, { currentDate: new Date(afterMs), tz: 'UTC' })
        .next()
        .getTime(),
  };
}

/** Resolves %SETTING% placeholders in a schedule from app settings, as the host does. */
function resolveSetting(expression: string, settings: (name: string) => string | undefined): string {
  const match = /^%(.+)%$/.exec(expression.trim());
  if (!match) return expression;
  const value = settings(match[1] as string);
  if (value === undefined) throw new RangeError(`timer schedule "${expression}": app setting ${match[1]} is not set`);
  return value;
}

export interface TimerTriggerOptions {
  readonly core: FunctionsCore;
  readonly clock: RuntimeClock;
  readonly settings: (name: string) => string | undefined;
  readonly counters: { timerTriggerRuns: number };
  readonly log: (message: string) => void;
  /** Extra inputs the runtime provides (durable clients), per function. */
  readonly extraInputData?: (fn: RegisteredFunction) => { name: string; data: import('./functions-core').RpcTypedData }[];
}

/** How late a run may start before it counts as past due. */
const PAST_DUE_MS = 1000;

export class TimerTriggers {
  readonly #abort = new AbortController();
  readonly #loops: Promise<void>[] = [];
  readonly #options: TimerTriggerOptions;

  constructor(options: TimerTriggerOptions) {
    this.#options = options;
  }

  /** Validates every schedule (throws naming the function) and starts the loops. */
  start(): void {
    const prepared = this.#options.core.functionsByTrigger('timerTrigger').map((fn) => {
      const raw = fn.trigger.schedule;
      if (typeof raw !== 'string' || raw.trim() === '') throw new RangeError(`timer function '${fn.metadata.name}' has no schedule`);
      try {
        return { fn, schedule: parseSchedule(resolveSetting(raw, this.#options.settings)) };
      } catch (error) {
        throw new RangeError(`timer function '${fn.metadata.name}': ${(error as Error).message}`);
      }
    });
    for (const { fn, schedule } of prepared) this.#loops.push(this.#loop(fn, schedule));
  }

  async #loop(fn: RegisteredFunction, schedule: Schedule): Promise<void> {
    const { clock } = this.#options;
    let last: number | undefined;
    if (fn.trigger.runOnStartup === true) await clock.runBusy(() => this.#run(fn, schedule, clock.now(), undefined));
    let next = schedule.next(clock.now());
    while (!this.#abort.signal.aborted) {
      try {
        // Long waits are sliced: setTimeout cannot wait more than ~24.8 days.
        while (clock.now() < next) await clock.sleep(Math.min(next - clock.now(), 60 * 60 * 1000), this.#abort.signal);
      } catch {
        return;
      }
      const scheduled = next;
      await clock.runBusy(() => this.#run(fn, schedule, scheduled, last));
      last = scheduled;
      next = schedule.next(Math.max(clock.now(), scheduled));
    }
  }

  async #run(fn: RegisteredFunction, schedule: Schedule, scheduledMs: number, lastMs: number | undefined): Promise<void> {
    const now = this.#options.clock.now();
    this.#options.counters.timerTriggerRuns++;
    const timerInfo = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: new Date(lastMs ?? scheduledMs).toISOString(),
        Next: new Date(schedule.next(scheduledMs)).toISOString(),
        LastUpdated: new Date(now).toISOString(),
      },
      IsPastDue: now - scheduledMs > PAST_DUE_MS,
    };
    try {
      await invokeFunction(this.#options.core, fn, {
        inputData: [{ name: fn.triggerName, data: { json: JSON.stringify(timerInfo) } }, ...(this.#options.extraInputData?.(fn) ?? [])],
      });
    } catch (error) {
      const inner = error instanceof FunctionInvocationError ? error.error : error;
      this.#options.log(`timer function '${fn.metadata.name}' failed: ${(inner as Error)?.stack ?? String(inner)}`);
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled(this.#loops);
  }
}
