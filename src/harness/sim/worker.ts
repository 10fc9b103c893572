/**
 * One scenario in its own process (the app's modules keep their configuration for the life of a
 * process). Started by src/harness/sim/cli.ts with fork(); answers with one IPC message.
 */
import { readFile } from 'node:fs/promises';
import { runScenario } from './run-scenario';
import { parseScenario } from './scenario';

export type WorkerMessage =
  { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string; readonly invalidInput: boolean };

async function main(): Promise<WorkerMessage> {
  const [file, app] = process.argv.slice(2);
  if (!file || !app) return { ok: false, error: 'usage: worker <scenario.json> <app>', invalidInput: true };
  try {
    const scenario = parseScenario(await readFile(file, 'utf8'), file);
    return { ok: true, result: await runScenario(scenario, { scenarioFile: file, app }) };
  } catch (error) {
    const invalidInput = error instanceof Error && 'code' in error && (error as { code: unknown }).code === 'InvalidInput';
    return {
      ok: false,
      error: error instanceof Error ? (invalidInput ? error.message : (error.stack ?? error.message)) : String(error),
      invalidInput,
    };
  }
}

void main().then((message) => {
  if (process.send) process.send(message, () => process.exit(0));
  else {
    process.stdout.write(`${JSON.stringify(message)}\n`);
    process.exit(0);
  }
});
