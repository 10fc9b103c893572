/**
 * `npm run chaos -- [--runs N] [--seed S] [--minutes M] [--max-commands K] [--verbose]`: long
 * chaos runs (docs/chaos.md). Prints a line per run and a summary: commands executed, faults
 * injected, invariants checked, violations, and the shrunk counterexample if one was found. Then
 * runs the HTTP fuzz pass of test/fuzz when that suite provides `runHttpFuzz({ runs, seed })`.
 *
 * Exit codes: 0 no violation; 1 a violation (chaos or fuzz); 2 bad arguments.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { formatFailure, searchChaos } from './run';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got "${value}"`);
  return n;
}

function seedNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff)
    throw new InvalidArgumentError(`expected a whole number from 0 to ${0x7fffffff}, got "${value}"`);
  return n;
}

function positiveMinutes(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number of minutes, got "${value}"`);
  return n;
}

type HttpFuzz = (options: { runs: number; seed: number }) => Promise<unknown>;

/**
 * The hook for the HTTP fuzz pass (issue 10, "never a 500" over every route): test/fuzz is another
 * suite; when one of its modules exports `runHttpFuzz`, `npm run chaos` runs it after the chaos
 * runs with the same budget and seed. Absent, the chaos run says so and goes on.
 */
async function findHttpFuzz(): Promise<HttpFuzz | undefined> {
  const dir = path.resolve(__dirname, '..', 'fuzz');
  if (!existsSync(dir)) return undefined;
  const modules = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort((a, b) => (a === 'index.ts' ? -1 : b === 'index.ts' ? 1 : a.localeCompare(b)));
  for (const file of modules) {
    const loaded = (await import(path.join(dir, file))) as Record<string, unknown>;
    if (typeof loaded['runHttpFuzz'] === 'function') return loaded['runHttpFuzz'] as HttpFuzz;
  }
  return undefined;
}

/** A fuzz result counts as failed when it says so (ok: false, or violations/failures listed). */
function fuzzFailed(result: unknown): boolean {
  if (typeof result !== 'object' || result === null) return false;
  const r = result as Record<string, unknown>;
  if (r['ok'] === false) return true;
  for (const key of ['violations', 'failures']) {
    const value = r[key];
    if (Array.isArray(value) ? value.length > 0 : typeof value === 'number' && value > 0) return true;
  }
  return false;
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('chaos')
    .description(
      'Random interleavings of registrations, controls, approvals, redeliveries, Azure faults and restarts against the real app in virtual time, checking the invariants after every command.',
    )
    .option('--runs <n>', 'command lists to run (with --minutes: at most this many)', positiveInteger)
    .option('--seed <s>', 'seed of the command generator and the emulator (default: from the clock, printed)', seedNumber)
    .option('--minutes <m>', 'stop starting new runs after this many wall-clock minutes', positiveMinutes)
    .option('--max-commands <k>', 'most commands in one run', positiveInteger, 25)
    .option('--keep-going', 'go on after a failing run (no shrinking): count every violation, keep the smallest failing list')
    .option('--verbose', 'print every command and the app log')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const options = program.opts<{
    runs?: number;
    seed?: number;
    minutes?: number;
    maxCommands: number;
    keepGoing?: boolean;
    verbose?: boolean;
  }>();
  const seed = options.seed ?? Date.now() % 0x7fffffff;
  const runs = options.runs ?? (options.minutes !== undefined ? 1_000_000 : 20);
  const log = options.verbose ? (line: string) => process.stdout.write(`${line}\n`) : undefined;
  process.stdout.write(
    `chaos: seed ${seed}, ${options.runs ?? (options.minutes ? 'unlimited' : runs)} runs${options.minutes ? `, ${options.minutes} min` : ''}, up to ${options.maxCommands} commands a run\n`,
  );

  let index = 0;
  const summary = await searchChaos({
    runs,
    seed,
    maxCommands: options.maxCommands,
    keepGoing: options.keepGoing === true,
    ...(options.minutes !== undefined ? { timeLimitMs: options.minutes * 60_000 } : {}),
    ...(log ? { log } : {}),
    onRun: (result) => {
      index++;
      process.stdout.write(
        `run ${index}: ${result.commandsExecuted} commands, ${result.rollouts} rollouts, ${result.faultsFired} faults fired, ${result.restarts} restarts, ${result.virtualMinutes} virtual min, ${result.violations.length} violations\n`,
      );
      const seen = new Set<string>();
      for (const v of result.violations) {
        if (seen.has(v.invariant)) continue;
        seen.add(v.invariant);
        process.stdout.write(`  violated: ${v.invariant} (minute ${v.minute}): ${v.message.slice(0, 240)}\n`);
      }
    },
  });
  process.stdout.write(
    [
      '',
      `chaos summary (seed ${seed}):`,
      `  runs:               ${summary.runs}`,
      `  commands executed:  ${summary.commandsExecuted}`,
      `  rollouts:           ${summary.rollouts}`,
      `  faults injected:    ${summary.faultsAdded} added, ${summary.faultsFired} fired`,
      `  runtime restarts:   ${summary.restarts}`,
      `  virtual time:       ${(summary.virtualMinutes / 60).toFixed(1)} h`,
      `  invariants checked: ${summary.invariantsChecked}`,
      `  violations:         ${summary.violations} in ${summary.failingRuns} run(s)${
        Object.keys(summary.violationsByInvariant).length > 0
          ? ` (${Object.entries(summary.violationsByInvariant)
              .map(([name, n]) => `${name}: ${n}`)
              .join(', ')})`
          : ''
      }`,
      `  wall time:          ${(summary.wallMs / 1000).toFixed(0)} s`,
      '',
    ].join('\n'),
  );
  let code = 0;
  if (summary.counterexample) {
    process.stdout.write(`smallest failing run${options.keepGoing ? '' : ' (shrunk)'}:\n${formatFailure(summary.counterexample, seed)}\n`);
    code = 1;
  }

  const fuzz = await findHttpFuzz();
  if (!fuzz) {
    process.stdout.write('http fuzz: test/fuzz provides no runHttpFuzz({ runs, seed }) yet; skipped\n');
  } else {
    const result = await fuzz({ runs, seed });
    process.stdout.write(`http fuzz: ${JSON.stringify(result)}\n`);
    if (fuzzFailed(result)) code = 1;
  }
  return code;
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
