/**
 * `npm run simulate -- FILE... [--json]`: runs each scenario through the real app in virtual time
 * (see docs/scenario-format.md and docs/simulate.md).
 *
 * Exit codes: 0 every scenario ran and kept every safety rule; 1 a scenario could not run or broke
 * an invariant; 2 a file is not a valid scenario (nothing is run then).
 */
import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { formatResult } from './format';
import type { SimResult } from './result';
import { resolveScenarioPolicy } from './run-scenario';
import { parseScenario } from './scenario';
import type { WorkerMessage } from './worker';

/** The repository root (this file runs from dist/src/harness/sim). */
const DEFAULT_APP = path.resolve(__dirname, '..', '..', '..', '..');

function runWorker(file: string, app: string): Promise<WorkerMessage> {
  return new Promise((resolve) => {
    const child = fork(path.join(__dirname, 'worker.js'), [file, app], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let message: WorkerMessage | undefined;
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('message', (m) => (message = m as WorkerMessage));
    child.on('exit', (code, signal) => {
      resolve(
        message ?? {
          ok: false,
          error: `the scenario's process ended (${signal ?? `exit ${code}`}) without a result${stderr ? `:\n${stderr.trim()}` : ''}`,
          invalidInput: false,
        },
      );
    });
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('simulate')
    .description('Run rollout scenarios through the real app on a virtual clock.')
    .argument('<files...>', 'scenario files (JSON)')
    .option('--json', 'one JSON result per scenario, one per line')
    .option('--app <path>', 'the compiled app to run', DEFAULT_APP)
    .option(
      '--parallel <n>',
      'scenarios run at once',
      (value) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
        return n;
      },
      2,
    )
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const files = program.args;
  const options = program.opts<{ json?: boolean; app: string; parallel: number }>();

  // Every file is checked before anything runs: a typo must not cost a long run first.
  const problems: string[] = [];
  for (const file of files) {
    try {
      const scenario = parseScenario(await readFile(file, 'utf8'), file);
      await resolveScenarioPolicy(scenario, file);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`simulate: ${problem}\n`);
    return 2;
  }

  const results: (WorkerMessage | undefined)[] = new Array(files.length);
  let next = 0;
  let printed = 0;
  let exitCode = 0;
  const flush = (): void => {
    // Results are printed in the order of the files, whatever order they finish in.
    while (printed < files.length && results[printed]) {
      const message = results[printed]!;
      if (message.ok) {
        const result = message.result as SimResult;
        if (result.invariantViolations.length > 0) exitCode = 1;
        process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${formatResult(result)}\n\n`);
      } else {
        exitCode = message.invalidInput ? 2 : 1;
        process.stderr.write(`simulate: ${files[printed]}: ${message.error}\n`);
      }
      printed++;
    }
  };
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      results[index] = await runWorker(files[index]!, options.app);
      flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel, files.length) }, lane));
  return exitCode;
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
