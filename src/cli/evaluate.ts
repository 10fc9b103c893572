/**
 * `aml-rollout evaluate POLICY`: how a policy behaves before it rolls anything out (docs/evaluate.md).
 * Runs the evaluator's fast path locally; needs no controller, no Azure.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ValidationError } from '../errors';
import { evaluatePolicy, type EvaluationReport, type Schedule } from '../evaluate/evaluate';
import { renderHtml } from '../evaluate/html';
import { JUDGE_NAMES, type JudgeName } from '../evaluate/judges';
import {
  checkBehaviour,
  DEFAULT_REGRESSIONS,
  parseDailyCurve,
  parseRegression,
  type Regression,
  type TrafficProfile,
  type VersionBehaviour,
} from '../evaluate/model';
import { renderReport } from '../evaluate/report';
import { adaptiveBakeSchema, type AdaptiveBakePolicy, type Policy } from '../policy/schema';
import { loadPolicies, loadPolicyFile } from '../policy-store';
import { parseScenario } from '../harness/sim/scenario';
import { CliError, EXIT } from './api-client';
import type { CliIo } from './io';

interface EvaluateOptions {
  policyDir?: string;
  rpm?: number;
  daily?: string;
  startHour: number;
  errorRate: number;
  p50: number;
  p95: number;
  scenario?: string;
  regression?: string[];
  runs: number;
  seed: number;
  judge: string;
  schedule?: string;
  adaptive?: string;
  approvalMinutes: number;
  json?: boolean;
  html?: string;
}

function numberArg(what: string, check: (v: number) => boolean, expected: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n))
      throw new InvalidArgumentError(`${what}: expected ${expected}, got "${value}"`);
    return n;
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function resolvePolicy(ref: string, folder: string): Promise<Policy> {
  if (/\.(ya?ml|json)$/i.test(ref) || ref.includes('/') || ref.includes('\\')) return loadPolicyFile(ref);
  const found = (await loadPolicies(folder)).find((p) => p.policy.name === ref);
  if (!found) throw new ValidationError(ref, `no policy file and no policy named "${ref}" in ${folder}`, { code: 'InvalidPolicy' });
  return found.policy;
}

/** `min=5,max=45,requests=500,failureRate=0.005,p95=1.15,confidence=0.95` -> the policy option. */
export function parseAdaptiveOption(text: string): AdaptiveBakePolicy {
  const fields: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [key, value] = part.split('=');
    const n = Number(value);
    if (key === undefined || value === undefined || value.trim() === '' || !Number.isFinite(n))
      throw new ValidationError('--adaptive', `"${part}" is not key=number`);
    fields[key.trim()] = n;
  }
  const known = new Set(['min', 'max', 'requests', 'failureRate', 'p50', 'p95', 'confidence']);
  const unknown = Object.keys(fields).filter((k) => !known.has(k));
  if (unknown.length > 0)
    throw new ValidationError('--adaptive', `unknown key(s) ${unknown.join(', ')}; expected ${[...known].join(', ')}`);
  const parsed = adaptiveBakeSchema.safeParse({
    minBakeMinutes: fields['min'],
    maxBakeMinutes: fields['max'],
    ...(fields['requests'] !== undefined ? { minRequests: fields['requests'] } : {}),
    ...(fields['confidence'] !== undefined ? { confidence: fields['confidence'] } : {}),
    margins: {
      ...(fields['failureRate'] !== undefined ? { failureRate: fields['failureRate'] } : {}),
      ...(fields['p50'] !== undefined ? { latencyP50Ratio: fields['p50'] } : {}),
      ...(fields['p95'] !== undefined ? { latencyP95Ratio: fields['p95'] } : {}),
    },
  });
  if (!parsed.success)
    throw new ValidationError('--adaptive', parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return parsed.data;
}

async function readInput(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ValidationError(file, `cannot read ${what} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

async function worldOf(options: EvaluateOptions): Promise<{ live: VersionBehaviour; traffic: TrafficProfile }> {
  if (options.scenario !== undefined) {
    const scenario = parseScenario(await readInput(options.scenario, 'the scenario file'), options.scenario);
    const key = `${scenario.live.model}:${scenario.live.version}`;
    const b = scenario.behavior[key];
    if (!b) throw new ValidationError(options.scenario, 'no behavior for the live version');
    // The live version must be one a regression can be measured against, as with --error-rate.
    const field = `${options.scenario}: behavior.${key}`;
    const live = checkBehaviour(
      { errorRate: b.errorRate, p50Ms: b.latencyMs.p50, p95Ms: b.latencyMs.p95, failsOutright: false },
      { errorRate: `${field}.errorRate`, p50: `${field}.latencyMs.p50`, p95: `${field}.latencyMs.p95` },
    );
    const rpm = scenario.traffic.requestsPerMinute;
    const traffic: TrafficProfile =
      typeof rpm === 'number' ? { kind: 'constant', requestsPerMinute: rpm } : { kind: 'schedule', entries: rpm };
    return { live, traffic };
  }
  const live = checkBehaviour({ errorRate: options.errorRate, p50Ms: options.p50, p95Ms: options.p95, failsOutright: false });
  if (options.daily !== undefined) {
    return { live, traffic: parseDailyCurve(await readInput(options.daily, 'the daily curve file'), options.daily, options.startHour) };
  }
  return { live, traffic: { kind: 'constant', requestsPerMinute: options.rpm ?? 600 } };
}

/** Progress on stderr: a redrawn bar on a terminal, a plain line per 10% otherwise. */
function progressReporter(io: CliIo, stderrIsTTY: boolean, write: (text: string) => void): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    if (stderrIsTTY) {
      if (done % 10 !== 0 && done !== total) return;
      const width = 30;
      const filled = Math.round((done / total) * width);
      write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} runs${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      io.err(`evaluate: ${done}/${total} runs`);
    }
  };
}

async function runEvaluate(
  policyRef: string,
  options: EvaluateOptions,
  io: CliIo,
  progress: { stderrIsTTY: boolean; write: (text: string) => void },
): Promise<EvaluationReport> {
  const policy = await resolvePolicy(policyRef, options.policyDir ?? io.env('POLICY_DIR') ?? 'policies');
  const { live, traffic } = await worldOf(options);
  const regressions: Regression[] =
    options.regression && options.regression.length > 0 ? options.regression.map(parseRegression) : [...DEFAULT_REGRESSIONS];
  const judges: JudgeName[] =
    options.judge === 'all'
      ? [...JUDGE_NAMES]
      : options.judge.split(',').map((j) => {
          const name = j.trim();
          if (!(JUDGE_NAMES as readonly string[]).includes(name))
            throw new ValidationError('--judge', `"${name}" is not a judge; expected ${JUDGE_NAMES.join(', ')} or all`);
          return name as JudgeName;
        });
  const adaptiveDefault = options.adaptive !== undefined ? parseAdaptiveOption(options.adaptive) : undefined;
  const declaresAdaptive =
    (policy.strategy.canary?.steps ?? []).some((s) => s.adaptive !== undefined) ||
    (policy.strategy.canary?.mirror ?? policy.strategy.blueGreen?.mirror)?.adaptive !== undefined;
  const schedule = options.schedule ?? (declaresAdaptive || adaptiveDefault ? 'both' : 'fixed');
  if (!['fixed', 'adaptive', 'both'].includes(schedule))
    throw new ValidationError('--schedule', `expected fixed, adaptive or both, got "${schedule}"`);
  const schedules: Schedule[] = schedule === 'both' ? ['fixed', 'adaptive'] : [schedule as Schedule];
  const report = evaluatePolicy({
    policy,
    live,
    traffic,
    regressions,
    runs: options.runs,
    seed: options.seed,
    judges,
    schedules,
    ...(adaptiveDefault ? { adaptiveDefault } : {}),
    approvalMinutes: options.approvalMinutes,
    onRun: progressReporter(io, progress.stderrIsTTY, progress.write),
  });
  if (options.html !== undefined) {
    try {
      await writeFile(options.html, renderHtml(report), 'utf8');
    } catch (error) {
      throw new CliError(`--html: cannot write ${options.html} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, EXIT.other);
    }
  }
  if (options.json) io.out(JSON.stringify(report, null, 2));
  else io.out(renderReport(report));
  if (options.html !== undefined && !options.json) io.out(`\nHTML report: ${options.html}`);
  return report;
}

/** Adds `evaluate` to the CLI program (one registration line in ./index.ts). */
export function registerEvaluateCommand(
  program: Command,
  io: CliIo,
  progress: { stderrIsTTY: boolean; write: (text: string) => void } = {
    stderrIsTTY: Boolean(process.stderr.isTTY),
    write: (t) => void process.stderr.write(t),
  },
): void {
  program
    .command('evaluate')
    .argument('<policy>', 'a policy file, or the name of a policy in --policy-dir')
    .description('simulate many rollouts of a policy: promote rate, detection per regression, time to decision, blast radius, queries')
    .option('--policy-dir <folder>', 'folder to find a policy by name (env POLICY_DIR, default policies)')
    .addOption(
      new Option('--rpm <n>', 'requests per minute to the endpoint (default 600)')
        .argParser(numberArg('--rpm', (n) => n > 0, 'a number > 0'))
        .conflicts('daily'),
    )
    .option('--daily <file>', 'a daily traffic curve: JSON [{ "hour": 0, "requestsPerMinute": 100 }, ...]')
    .option(
      '--start-hour <h>',
      'with --daily: the hour of day the rollout starts',
      numberArg('--start-hour', (n) => n >= 0 && n < 24, 'an hour in [0, 24)'),
      9,
    )
    .option(
      '--error-rate <fraction>',
      "the live version's error rate",
      numberArg('--error-rate', (n) => n >= 0 && n < 1, 'a fraction in [0, 1)'),
      0.01,
    )
    .option(
      '--p50 <ms>',
      "the live version's median latency",
      numberArg('--p50', (n) => n > 0, 'milliseconds > 0'),
      40,
    )
    .option(
      '--p95 <ms>',
      "the live version's p95 latency",
      numberArg('--p95', (n) => n > 0, 'milliseconds > 0'),
      90,
    )
    .addOption(
      new Option('--scenario <file>', "take the live version's behaviour and the traffic from a simulation scenario").conflicts([
        'daily',
        'rpm',
      ]),
    )
    // The default is in the description (the list of regressions); an empty array as commander's default would print "(default: [])" beside it.
    .option(
      '--regression <r>',
      'a regression to test (repeatable): errors*1.5, latency+20%, outright (default: errors*1.5, *2, *3, latency+20%, +40%, outright)',
      collect,
    )
    .option(
      '--runs <n>',
      'simulated rollouts per case',
      numberArg('--runs', (n) => Number.isInteger(n) && n >= 1 && n <= 100_000, 'a whole number in [1, 100000]'),
      200,
    )
    .option(
      '--seed <n>',
      'first seed (runs use seed, seed+1, ...)',
      numberArg('--seed', (n) => Number.isInteger(n), 'a whole number'),
      1,
    )
    .option('--judge <names>', `judges, comma-separated: ${JUDGE_NAMES.join(', ')} or all`, 'aml-rollout')
    .option('--schedule <s>', 'fixed, adaptive or both (default: both when the policy or --adaptive declares adaptive bakes)')
    .option(
      '--adaptive <settings>',
      'adaptive bakes for every canary step: min=5,max=45,requests=500,failureRate=0.005,p95=1.15[,p50=..][,confidence=0.95]',
    )
    .option(
      '--approval-minutes <n>',
      'minutes a person takes to approve an approval step',
      numberArg('--approval-minutes', (n) => n >= 0, 'a number >= 0'),
      0,
    )
    .option('--json', 'the report as JSON')
    .option('--html <file>', 'also write an HTML report with plots')
    .action(async (policyRef: string, options: EvaluateOptions) => {
      try {
        await runEvaluate(policyRef, options, io, progress);
      } catch (error) {
        // Bad input (policy, scenario, curve, options) is a usage error: exit 2, the message names what is wrong.
        if (error instanceof ValidationError) throw new CliError(error.message, EXIT.usage);
        throw error;
      }
    });
}
