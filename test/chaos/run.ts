/**
 * One chaos run (a command list against a fresh world), and the search: fast-check generates
 * command lists from a seed, runs each, and on a violation shrinks the list to a smaller one that
 * still breaks an invariant. The report names the invariant, the shrunk commands and the state.
 */
import fc from 'fast-check';
import { commandsArb, describeCommand, type ChaosCommand } from './commands';
import { ChaosDriver } from './driver';
import type { InvariantName, Violation } from './invariants';

/** What one run did; a search sums them. */
interface RunCounts {
  readonly commandsExecuted: number;
  readonly faultsAdded: number;
  readonly faultsFired: number;
  readonly invariantsChecked: number;
  readonly restarts: number;
  readonly rollouts: number;
  readonly virtualMinutes: number;
}

const COUNT_NAMES = [
  'commandsExecuted',
  'faultsAdded',
  'faultsFired',
  'invariantsChecked',
  'restarts',
  'rollouts',
  'virtualMinutes',
] as const satisfies readonly (keyof RunCounts)[];

export interface RunResult extends RunCounts {
  readonly commands: readonly ChaosCommand[];
  readonly violations: readonly Violation[];
  /** Endpoint states and rollouts at the end (for reports). */
  readonly finalState: string;
}

export interface RunOptions {
  /** Seeds the emulator's random streams and the app's retry jitter. */
  readonly seed: number;
  /** Every command and the runtime's diagnostics (default: dropped). */
  readonly log?: (line: string) => void;
}

/** Runs the commands against a fresh world, drains, and returns what the checker found. */
export async function runCommands(commands: readonly ChaosCommand[], options: RunOptions): Promise<RunResult> {
  // The local runtime writes the app's logs to the console (as the Functions host's output does);
  // during a run they go to the run's log, so a long run prints its summary, not megabytes of logs.
  const original = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const sink = (...parts: unknown[]): void => options.log?.(parts.map(String).join(' '));
  Object.assign(console, { log: sink, info: sink, warn: sink, error: sink });
  let driver: ChaosDriver | undefined;
  try {
    driver = await ChaosDriver.start(options.seed, options.log);
    return await drive(driver, commands);
  } finally {
    await driver?.stop();
    Object.assign(console, original);
  }
}

async function drive(driver: ChaosDriver, commands: readonly ChaosCommand[]): Promise<RunResult> {
  const startMs = driver.nowMs;
  for (const command of commands) await driver.execute(command);
  await driver.drain();
  return {
    commands,
    violations: [...driver.checker.violations],
    commandsExecuted: driver.counters.commands,
    faultsAdded: driver.counters.faultsAdded,
    faultsFired: driver.faultsFired,
    invariantsChecked: driver.checker.checks,
    restarts: driver.counters.restarts,
    rollouts: driver.rollouts().length,
    virtualMinutes: Math.round((driver.nowMs - startMs) / 60_000),
    finalState: driver.describeState(),
  };
}

/** A failure as a person reads it: the invariants, the commands to replay, the state at the end. */
export function formatFailure(result: RunResult, seed: number): string {
  const byInvariant = new Map<InvariantName, Violation[]>();
  for (const v of result.violations) byInvariant.set(v.invariant, [...(byInvariant.get(v.invariant) ?? []), v]);
  const lines = [`${result.violations.length} invariant violation(s) with seed ${seed}:`];
  for (const [name, list] of byInvariant) {
    lines.push(`  ${name}:`);
    for (const v of list.slice(0, 5)) lines.push(`    minute ${v.minute}: ${v.message}`);
    if (list.length > 5) lines.push(`    (+${list.length - 5} more)`);
  }
  lines.push('commands:', ...result.commands.map((c, i) => `  ${i + 1}. ${describeCommand(c)}`));
  lines.push(`replay: ${JSON.stringify({ seed, commands: result.commands })}`);
  lines.push('state at the end:', result.finalState);
  return lines.join('\n');
}

export interface SearchOptions {
  readonly runs: number;
  readonly seed: number;
  /** Stop starting new runs (and shrinking) after this much wall time. */
  readonly timeLimitMs?: number;
  /** Most commands in one run. */
  readonly maxCommands?: number;
  /** Each finished run (for progress output). */
  readonly onRun?: (result: RunResult) => void;
  readonly log?: (line: string) => void;
  /**
   * Go on after a failing run instead of stopping to shrink it (long runs over code with known
   * defects: the summary counts every violation by invariant; the smallest failing list is kept).
   */
  readonly keepGoing?: boolean;
  /** Runs one command list (default runCommands; tests pass a stand-in). */
  readonly runner?: (commands: readonly ChaosCommand[], options: RunOptions) => Promise<RunResult>;
}

export interface SearchSummary extends RunCounts {
  readonly runs: number;
  readonly violations: number;
  /** Violations per invariant, over every run. */
  readonly violationsByInvariant: Readonly<Partial<Record<InvariantName, number>>>;
  /** Runs with at least one violation. */
  readonly failingRuns: number;
  /** The smallest failing run fast-check found (after shrinking), if any. */
  readonly counterexample?: RunResult;
  readonly wallMs: number;
}

/** Every count of a run at zero (a run that did nothing). */
export function noCounts(): { -readonly [K in keyof RunCounts]: number } {
  return Object.fromEntries(COUNT_NAMES.map((name) => [name, 0])) as { -readonly [K in keyof RunCounts]: number };
}

/** Generates `runs` command lists from `seed`, runs each, shrinks the first failure. */
export async function searchChaos(options: SearchOptions): Promise<SearchSummary> {
  const started = Date.now();
  const totals: { -readonly [K in keyof RunCounts]: number } & { runs: number; violations: number } = {
    runs: 0,
    violations: 0,
    ...noCounts(),
  };
  let smallest: RunResult | undefined;
  const byInvariant: Partial<Record<InvariantName, number>> = {};
  let failingRuns = 0;
  const runner = options.runner ?? runCommands;
  /** The run under way: the time limit abandons it (see below). */
  let underWay: Promise<unknown> | undefined;
  const property = fc.asyncProperty(commandsArb(options.maxCommands ?? 25), async (commands) => {
    const run = runner(commands, { seed: options.seed, ...(options.log ? { log: options.log } : {}) });
    underWay = run;
    const result = await run;
    totals.runs++;
    for (const name of COUNT_NAMES) totals[name] += result[name];
    options.onRun?.(result);
    if (result.violations.length === 0) return true;
    totals.violations += result.violations.length;
    failingRuns++;
    for (const v of result.violations) byInvariant[v.invariant] = (byInvariant[v.invariant] ?? 0) + 1;
    if (!smallest || result.commands.length <= smallest.commands.length) smallest = result;
    return options.keepGoing === true;
  });
  const details = await fc.check(property, {
    numRuns: options.runs,
    seed: options.seed,
    ...(options.timeLimitMs !== undefined ? { interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false } : {}),
  });
  // fast-check's time limit races the run under way against the clock and returns without it. That
  // run goes on in this process: its runtime (a restart sets its app settings, such as the API
  // key, in process.env) would overlap whatever starts next (the HTTP fuzz pass got 401 from its
  // own fixture after a 15-minute run). Let it finish, and count it, before returning.
  await underWay?.catch(() => undefined);
  // A run that throws (the harness, not an invariant) must not end the search silently.
  // (An interrupted search with no finished run is `failed` too, with a null error: not a crash.)
  if (details.failed && details.errorInstance !== undefined && details.errorInstance !== null) {
    throw new Error(
      `chaos: a run crashed after ${totals.runs} runs: ${String(details.errorInstance)}\nreplay: ${JSON.stringify(details.counterexample?.[0] ?? [])}`,
      { cause: details.errorInstance },
    );
  }
  return {
    ...totals,
    violationsByInvariant: byInvariant,
    failingRuns,
    ...(smallest ? { counterexample: smallest } : {}),
    wallMs: Date.now() - started,
  };
}
