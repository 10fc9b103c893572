/**
 * End-to-end helpers: run `npm start` (the compiled dist/src/harness/start/index.js) as a child process the
 * way a new user does, read what it prints, and run the printed commands. Nothing here reaches into
 * the app's modules: every check goes through a process, an HTTP API or the printed commands.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const startEntry = path.join(repoRoot, 'dist', 'src', 'harness', 'start', 'index.js');
const cliEntry = path.join(repoRoot, 'dist', 'src', 'cli', 'index.js');
const emulatorEntry = path.join(repoRoot, 'dist', 'src', 'harness', 'emulator', 'cli.js');
const functionsDir = path.join(repoRoot, 'dist', 'functions');

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  const entries = [startEntry, cliEntry, emulatorEntry];
  if (!entries.every((file) => existsSync(file)) || !existsSync(functionsDir)) return true;
  const sources = Math.max(newestSourceMtime(path.join(repoRoot, 'src')), newestSourceMtime(path.join(repoRoot, 'functions')));
  return Math.min(...entries.map((file) => statSync(file).mtimeMs)) < sources;
}

async function sleepMs(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `npm start` runs the whole compiled app (functions/ and src/), so this compiles the project (as
 * `npm run build`) when dist/ is missing or older than the sources. A directory lock keeps test files
 * from compiling at once; type errors in other files still emit (noEmitOnError is off).
 */
export async function ensureBuilt(): Promise<void> {
  if (!isStale()) return;
  const lock = path.join(repoRoot, 'dist', '.e2e-build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let waitedMs = 0; ; waitedMs += 250) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waitedMs > 150_000) rmSync(lock, { recursive: true, force: true });
      await sleepMs(250);
    }
  }
  try {
    if (!isStale()) return;
    try {
      execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
        cwd: repoRoot,
        stdio: 'pipe',
      });
    } catch (error) {
      if (!existsSync(startEntry) || !existsSync(cliEntry) || !existsSync(emulatorEntry)) throw error;
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Settings from the test runner's environment that would point `npm start` or the CLI elsewhere. */
const FOREIGN_SETTINGS = [
  'AZURE_SUBSCRIPTION_ID',
  'AZURE_RESOURCE_GROUP',
  'AML_WORKSPACE_NAME',
  'ARM_ENDPOINT',
  'LOGS_ENDPOINT',
  'METRICS_ENDPOINT',
  'EMULATOR_TOKEN',
  'ROLLOUT_API_KEY',
  'PUBLIC_BASE_URL',
  'POLICY_DIR',
  'AML_ROLLOUT_URL',
  'AML_ROLLOUT_KEY',
  'AML_ROLLOUT_ARM_URL',
];

function cleanEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of FOREIGN_SETTINGS) delete env[name];
  return { ...env, ...extra };
}

/** What `npm start` printed, parsed as a person reads it. */
export interface StartedApp {
  readonly child: ChildProcess;
  readonly output: string;
  /** Variables of the printed `export` lines. */
  readonly env: Readonly<Record<string, string>>;
  readonly appUrl: string;
  readonly dashboardUrl: string;
  /** The printed command lines, by what they start with. */
  readonly commands: {
    readonly register: string;
    readonly watch: string;
    readonly approve: string;
    readonly registerBad: string;
    readonly curl: string;
  };
  /** stdout and stderr since start (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

function commandLine(output: string, pattern: RegExp, what: string): string {
  const line = output.split('\n').find((l) => pattern.test(l.trim()));
  if (line === undefined) throw new Error(`npm start printed no ${what} command (looked for ${pattern}); it printed:\n${output}`);
  return line.trim();
}

/** Starts `node dist/src/harness/start/index.js <args>` and waits until it printed its instructions. */
export async function startApp(args: readonly string[], readyTimeoutMs = 45_000): Promise<StartedApp> {
  const child = spawn(process.execPath, [startEntry, ...args], {
    cwd: repoRoot,
    env: cleanEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const log = (): string => `--- stdout ---\n${stdout.slice(-6000)}\n--- stderr ---\n${stderr.slice(-4000)}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exited.then(() => true), sleepMs(10_000).then(() => false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm start did not print its instructions within ${readyTimeoutMs} ms\n${log()}`)),
        readyTimeoutMs,
      );
      const check = (): void => {
        if (stdout.includes('Stop with Ctrl+C.')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited (code ${code}, signal ${signal}) before it was ready\n${log()}`));
      });
    });
    const output = stdout;
    const env: Record<string, string> = {};
    for (const line of output.split('\n')) {
      const trimmed = line.trim();
      if (!trimmed.startsWith('export ')) continue;
      for (const assignment of trimmed.slice('export '.length).split(/\s+/)) {
        const match = /^([A-Z_][A-Z0-9_]*)=(\S+)$/.exec(assignment);
        if (!match) throw new Error(`cannot read the printed export '${assignment}' in: ${trimmed}`);
        env[match[1] as string] = match[2] as string;
      }
    }
    const running = /aml-rollout is running at (\S+)/.exec(output);
    const dashboard = /dashboard: (\S+)/.exec(output);
    if (!running || !dashboard) throw new Error(`npm start printed no app URL:\n${output}`);
    return {
      child,
      output,
      env,
      appUrl: running[1] as string,
      dashboardUrl: dashboard[1] as string,
      commands: {
        register: commandLine(output, /^npx aml-rollout register-model /, 'register-model'),
        watch: commandLine(output, /^npx aml-rollout watch /, 'watch'),
        approve: commandLine(output, /^npx aml-rollout approve /, 'approve'),
        registerBad: commandLine(output, /^npm run emulator -- register /, 'bad-version register'),
        curl: commandLine(output, /^curl /, 'curl'),
      },
      log,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a printed command line in bash with the printed exports, as a person pastes it. `npx
 * aml-rollout` and `npm run emulator --` are what the package's bin and script run (bin/aml-rollout.js,
 * node dist/src/harness/emulator/cli.js); calling them directly spares npm's start-up on a busy machine.
 */
export async function runPrinted(app: StartedApp, line: string): Promise<CommandResult> {
  const direct = line
    .replace(/^npx aml-rollout /, 'node bin/aml-rollout.js ')
    .replace(/^npm run emulator -- /, 'node dist/src/harness/emulator/cli.js ');
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', direct],
      { cwd: repoRoot, env: cleanEnvironment({ ...app.env }), timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `aml-rollout <args>` with the printed environment. */
export async function cli(app: StartedApp, args: readonly string[]): Promise<CommandResult> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return runPrinted(app, `npx aml-rollout ${quoted}`);
}

/** Parses a command's JSON stdout, failing with what the command printed. */
function parseJson<T>(result: CommandResult, what: string): T {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`${what} printed no JSON:\n${result.stdout}\n${result.stderr}`);
  }
}

/** The parts of `aml-rollout status --json` the tests read. */
interface RolloutDetail {
  readonly rolloutId: string;
  readonly runtimeStatus: string;
  readonly phase: string;
  /** The orchestration's custom status: null until the orchestrator first reports. */
  readonly status: null | {
    readonly phase: string;
    readonly step: { readonly index: number; readonly count: number; readonly kind: string; readonly description?: string };
    readonly traffic: Record<string, number>;
    readonly waitingFor?: { readonly kind: string; readonly detail: string };
    readonly gates: ReadonlyArray<{
      readonly gate: string;
      readonly verdict: string;
      readonly evidence: ReadonlyArray<{
        readonly metric: string;
        readonly verdict: string;
        readonly candidate: number | null;
        readonly baseline: number | null;
        readonly threshold: string;
      }>;
    }>;
    readonly approvals: ReadonlyArray<{
      readonly decision: string;
      readonly by: string;
      readonly accepted: boolean;
      readonly comment?: string;
    }>;
    readonly outcome?: string;
    readonly reason?: string;
    readonly journal: ReadonlyArray<{ readonly phase: string; readonly message: string }>;
  };
}

/** A rollout whose orchestrator has reported its status. */
export type ReportedDetail = RolloutDetail & { readonly status: NonNullable<RolloutDetail['status']> };

function hasReported(detail: RolloutDetail): detail is ReportedDetail {
  return detail.status !== null && detail.status !== undefined;
}

function describeDetail(detail: RolloutDetail | undefined): string {
  if (!detail) return '(no status read yet)';
  const s = detail.status;
  if (!s) return `${detail.runtimeStatus}/${detail.phase}, no custom status yet`;
  const journal = s.journal
    .slice(-6)
    .map((j) => `    [${j.phase}] ${j.message}`)
    .join('\n');
  return `${detail.runtimeStatus}/${s.phase} step ${s.step.index}/${s.step.count} ${s.step.kind}, traffic ${JSON.stringify(s.traffic)}, waiting for ${s.waitingFor ? `${s.waitingFor.kind}: ${s.waitingFor.detail}` : '-'}, outcome ${s.outcome ?? '-'} ${s.reason ?? ''}\n  last journal:\n${journal}`;
}

/**
 * Polls `aml-rollout status <id> --json` until `done` holds. Generous limit (virtual time runs on
 * the accelerated clock; a busy machine only makes this slower); on timeout the message shows the
 * last status and the app's output.
 */
export async function pollStatus(
  app: StartedApp,
  rolloutId: string,
  what: string,
  done: (detail: ReportedDetail) => boolean,
  limitMs = 90_000,
): Promise<ReportedDetail> {
  const deadline = Date.now() + limitMs;
  let last: RolloutDetail | undefined;
  let lastError = '';
  for (;;) {
    const result = await cli(app, ['status', rolloutId, '--json']);
    if (result.code === 0) {
      last = parseJson<RolloutDetail>(result, 'status --json');
      if (hasReported(last) && done(last)) return last;
    } else {
      lastError = `status exited ${result.code}: ${result.stderr.trim()}`;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `rollout ${rolloutId} never reached "${what}" within ${limitMs} ms. Last status: ${describeDetail(last)}\n${lastError}\n${app.log()}`,
      );
    }
    await sleepMs(300);
  }
}

/** The emulator's admin view of ARM (GET /_emulator/state). */
export interface EmulatorEndpointState {
  readonly name: string;
  readonly provisioningState: string;
  readonly traffic: Record<string, number>;
  readonly mirrorTraffic: Record<string, number>;
  readonly effectiveTraffic: Record<string, number>;
  readonly deployments: ReadonlyArray<{ readonly name: string; readonly provisioningState: string; readonly modelKey: string }>;
}

export async function emulatorEndpoint(app: StartedApp, endpoint: string): Promise<EmulatorEndpointState> {
  const response = await fetch(`${app.env['AML_ROLLOUT_ARM_URL']}/_emulator/state`, {
    headers: { Authorization: `Bearer ${app.env['EMULATOR_TOKEN']}` },
  });
  if (response.status !== 200) throw new Error(`GET /_emulator/state: HTTP ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { state: { endpoints: EmulatorEndpointState[] } };
  const found = body.state.endpoints.find((e) => e.name === endpoint);
  if (!found) throw new Error(`the emulator has no endpoint ${endpoint}: ${JSON.stringify(body.state)}`);
  return found;
}

const WORKSPACE_PATH =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aml-rollout/providers/Microsoft.MachineLearningServices/workspaces/demo-workspace';

/** GET of an ARM resource under the demo workspace, as the SDK sends it. */
export async function armGet(app: StartedApp, relativePath: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.env['AML_ROLLOUT_ARM_URL']}${WORKSPACE_PATH}${relativePath}?api-version=2024-04-01`, {
    headers: { Authorization: `Bearer ${app.env['EMULATOR_TOKEN']}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The printed curl, run as printed (with -si: the status line and headers, then the body). */
export async function curlScoring(app: StartedApp): Promise<{ status: number; deployment: string | undefined; body: string }> {
  const result = await runPrinted(app, app.commands.curl);
  if (result.code !== 0) throw new Error(`the printed curl exited ${result.code}: ${result.stderr}`);
  const [head = '', body = ''] = result.stdout.split(/\r?\n\r?\n/, 2);
  const status = Number(/^HTTP\/\S+ (\d{3})/.exec(head)?.[1]);
  const deployment = /^azureml-model-deployment:\s*(\S+)/im.exec(head)?.[1];
  return { status, deployment, body };
}

/**
 * The rollout `list --json` shows for model:version (exactly one). The Event Grid delivery starts
 * the orchestration before it answers, but for a moment after each continueAsNew the instance has no
 * custom status and a continuation input, and then `list --model` does not match it (reported to the
 * api/orchestration owners); a few looks ride over that, and a failure shows the list and the app's log.
 */
export async function findRollout(app: StartedApp, model: string, version: string): Promise<string> {
  let list: Array<{ rolloutId: string; model: string; version: string }> = [];
  for (let look = 0; look < 10; look++) {
    list = parseJson<Array<{ rolloutId: string; model: string; version: string }>>(
      await cli(app, ['list', '--model', model, '--json']),
      'list --json',
    );
    const matches = list.filter((r) => r.model === model && r.version === version);
    if (matches.length === 1) return (matches[0] as { rolloutId: string }).rolloutId;
    if (matches.length > 1) break;
    await sleepMs(500);
  }
  throw new Error(`list --json shows no single rollout of ${model}:${version}: ${JSON.stringify(list)}\n${app.log()}`);
}
