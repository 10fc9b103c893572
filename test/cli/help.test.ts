/**
 * Every command's --help states each default once: commander appends "(default: x)" for a default
 * value, so a description that also says it printed it twice (npm start --store, evaluate
 * --regression did). Runs the compiled programs as a user would.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

const PROGRAMS: readonly (readonly string[])[] = [
  ['dist/src/harness/start/index.js', '--help'],
  ['dist/src/harness/emulator/cli.js', 'serve', '--help'],
  ['dist/src/harness/emulator/cli.js', 'register', '--help'],
  ['dist/src/harness/local-runtime/cli.js', '--help'],
  ['dist/src/harness/sim/cli.js', '--help'],
  ...['list', 'status', 'watch', 'approve', 'start', 'register-model', 'evaluate'].map((command) => [
    'bin/aml-rollout.js',
    command,
    '--help',
  ]),
];

/** The help text cut into one entry per option (an option's description may wrap over lines). */
function optionEntries(help: string): string[] {
  return help
    .split(/\n(?=\s{2}-)/)
    .filter((entry) => entry.trimStart().startsWith('-'))
    .map((entry) => entry.replace(/\s+/g, ' '));
}

describe('--help', () => {
  it('names each default once, for every option of every command', async () => {
    const helps = await Promise.all(
      PROGRAMS.map(async (args) => ({
        args,
        help: (await run(process.execPath, [...args], { cwd: ROOT, env: { ...process.env, AML_ROLLOUT_KEY: '' } })).stdout,
      })),
    );
    let options = 0;
    for (const { args, help } of helps) {
      for (const entry of optionEntries(help)) {
        options += 1;
        expect([args.join(' '), entry, (entry.match(/\(default/g) ?? []).length <= 1]).toEqual([args.join(' '), entry, true]);
      }
    }
    expect(options).toBeGreaterThan(40);
  });
});
