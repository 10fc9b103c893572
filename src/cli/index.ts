/**
 * `aml-rollout`: the operator CLI over the rollout HTTP API (docs/cli.md).
 *
 *   list | status <id> | watch <id> | approve|reject|abort|pause|resume|promote|retry <id>
 *   start --model --version [--policy] | register-model --model --version [--tags k=v]
 *
 * Every command takes --url (AML_ROLLOUT_URL), --key (AML_ROLLOUT_KEY) and --json.
 * Exit codes: 0 ok, 1 other failure, 2 usage / invalid input, 3 not found, 4 conflict (the action
 * does not fit the phase), 5 unauthorized / forbidden, 6 `watch` ended without promotion.
 */
import { randomUUID } from 'node:crypto';
import { Command, CommanderError, Option } from 'commander';
import { AzureKeyCredential, EventGridPublisherClient } from '@azure/eventgrid';
import { DefaultAzureCredential } from '@azure/identity';
import { readEnvironment } from '../config';
import { MODEL_REGISTERED_EVENT_TYPE } from '../ingest/model-registered';
import type { RolloutSummary } from '../api/status-view';
import {
  actionResultSchema,
  ROLLOUT_ACTIONS,
  rolloutDetailSchema,
  rolloutEvidenceSchema,
  rolloutListSchema,
  startResultSchema,
} from '../api/schemas';
import { ApiClient, CliError, EXIT, exitCodeForStatus } from './api-client';
import { deliverModelRegistered } from '../ingest/event-grid-delivery';
import { ansiStyle, plainStyle, renderEvidence, renderList, renderStatus, type RolloutDetailBody } from './render';
import { registerEvaluateCommand } from './evaluate';
import { registrationOutcome } from './registration-outcome';
import type { CliIo } from './io';

export type { CliIo } from './io';
import { isPhase, isTerminalPhase } from '../plan/phases';

const processIo: CliIo = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
  env: (name) => readEnvironment(name),
  isTTY: Boolean(process.stdout.isTTY),
};

const DEFAULT_URL = 'http://localhost:7071';
const TERMINAL_RUNTIME = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

interface CommonOptions {
  url?: string;
  key?: string;
  scope?: string;
  json?: boolean;
}

function common(command: Command): Command {
  return command
    .option('--url <url>', 'controller base URL (env AML_ROLLOUT_URL)')
    .option('--key <key>', 'function key (env AML_ROLLOUT_KEY)')
    .option('--scope <scope>', 'sign in with Entra ID for this scope, e.g. api://<app id>/user_impersonation (env AML_ROLLOUT_SCOPE)')
    .option('--json', 'machine-readable output');
}

/**
 * The caller's Entra ID token for App Service authentication (docs/deploy.md): DefaultAzureCredential
 * finds `az login`, azd, VS Code or a managed identity; AZURE_TOKEN_CREDENTIALS narrows the chain.
 */
function entraToken(scope: string): () => Promise<string> {
  const credential = new DefaultAzureCredential();
  return async () => {
    try {
      return (await credential.getToken(scope)).token;
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new CliError(
        `could not get an Entra ID token for ${scope}: ${reason} (sign in with \`az login\`, or drop --scope / AML_ROLLOUT_SCOPE to use the function key alone)`,
        EXIT.auth,
      );
    }
  };
}

function clientFor(options: CommonOptions, io: CliIo): ApiClient {
  const url = options.url ?? io.env('AML_ROLLOUT_URL') ?? DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new CliError(`--url: "${url}" is not a URL`, EXIT.usage);
  }
  const scope = options.scope ?? io.env('AML_ROLLOUT_SCOPE');
  return new ApiClient({
    baseUrl: url,
    key: options.key ?? io.env('AML_ROLLOUT_KEY'),
    ...(scope ? { bearerToken: entraToken(scope) } : {}),
  });
}

function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

function parseTags(values: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const value of values.flatMap((v) => v.split(','))) {
    if (value.trim() === '') continue;
    const at = value.indexOf('=');
    if (at <= 0) throw new CliError(`--tags: "${value}" is not key=value`, EXIT.usage);
    tags[value.slice(0, at).trim()] = value.slice(at + 1).trim();
  }
  return tags;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--interval: "${value}" is not a positive number of seconds`, EXIT.usage);
  return n;
}

function isTerminal(detail: RolloutDetailBody): boolean {
  return TERMINAL_RUNTIME.has(detail.runtimeStatus) || (isPhase(detail.phase) && isTerminalPhase(detail.phase));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function watch(client: ApiClient, id: string, options: CommonOptions & { interval: number }, io: CliIo): Promise<number> {
  const style = io.isTTY && !options.json ? ansiStyle : plainStyle;
  let last = '';
  for (;;) {
    const detail = await client.request('GET', `/api/rollouts/${encodeURIComponent(id)}`, rolloutDetailSchema);
    const frame = options.json
      ? JSON.stringify({ rolloutId: detail.rolloutId, runtimeStatus: detail.runtimeStatus, phase: detail.phase, status: detail.status })
      : renderStatus(detail, style, { history: 5 });
    if (frame !== last) {
      // A terminal redraws in place (clear screen + home); a pipe gets one frame per change.
      if (io.isTTY && !options.json) io.out(`\u001b[2J\u001b[H${frame}`);
      else io.out(options.json ? frame : `${frame}\n${'-'.repeat(60)}`);
      last = frame;
    }
    if (isTerminal(detail)) return detail.phase === 'Promoted' ? EXIT.ok : EXIT.notPromoted;
    if (io.signal?.aborted) return EXIT.ok;
    await sleep(options.interval * 1000, io.signal);
    if (io.signal?.aborted) return EXIT.ok;
  }
}

interface RegisterOptions extends CommonOptions {
  model: string;
  version: string;
  tags: string[];
  eventgridUrl?: string;
  schema?: 'eventgrid' | 'cloudevents';
  armUrl?: string;
  armToken?: string;
  subscription?: string;
  resourceGroup?: string;
  workspace?: string;
}

async function registerModel(options: RegisterOptions, io: CliIo): Promise<Record<string, unknown>> {
  const tags = parseTags(options.tags);
  const subscriptionId = options.subscription ?? io.env('AZURE_SUBSCRIPTION_ID') ?? '00000000-0000-0000-0000-000000000000';
  const resourceGroup = options.resourceGroup ?? io.env('AZURE_RESOURCE_GROUP') ?? 'rg-aml-rollout';
  const workspace = options.workspace ?? io.env('AML_WORKSPACE_NAME') ?? 'demo-workspace';
  const workspaceId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`;
  const subject = `models/${options.model}:${options.version}`;
  const data = { modelName: options.model, modelVersion: options.version, modelTags: tags, modelProperties: {} };
  const result: Record<string, unknown> = { model: options.model, version: options.version, tags, subject };

  // 1. The model version itself, in the (emulated) workspace, so the rollout can deploy it.
  const armUrl = options.armUrl ?? io.env('AML_ROLLOUT_ARM_URL');
  if (armUrl) {
    const url = `${armUrl.replace(/\/+$/, '')}${workspaceId}/models/${encodeURIComponent(options.model)}/versions/${encodeURIComponent(options.version)}?api-version=2022-10-01`;
    const token = options.armToken ?? io.env('EMULATOR_TOKEN');
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ properties: { tags, properties: {}, description: `registered by aml-rollout register-model` } }),
      });
    } catch (error) {
      throw new CliError(`cannot reach ARM at ${armUrl}: ${error instanceof Error ? error.message : String(error)}`, EXIT.other);
    }
    if (!response.ok)
      throw new CliError(
        `ARM PUT model version failed: HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`,
        response.status === 401 || response.status === 403 ? EXIT.auth : EXIT.other,
      );
    result.registered = url.split('?')[0];
  }

  // 2. The ModelRegistered event.
  const eventId = randomUUID();
  if (options.eventgridUrl) {
    const key = options.key ?? io.env('AML_ROLLOUT_EVENTGRID_KEY');
    if (!key) throw new CliError('--eventgrid-url needs --key (the topic access key)', EXIT.usage);
    let target: URL;
    try {
      target = new URL(options.eventgridUrl);
    } catch {
      throw new CliError(`--eventgrid-url: "${options.eventgridUrl}" is not a URL`, EXIT.usage);
    }
    // The access key travels in a header: plain http only to this machine (an emulator or the local runtime).
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(target.hostname);
    if (target.protocol !== 'https:' && !loopback)
      throw new CliError('--eventgrid-url must use https (the key would travel in clear text)', EXIT.usage);
    const clientOptions = { allowInsecureConnection: target.protocol === 'http:' };
    if ((options.schema ?? 'cloudevents') === 'cloudevents') {
      const client = new EventGridPublisherClient(options.eventgridUrl, 'CloudEvent', new AzureKeyCredential(key), clientOptions);
      await client.send([{ id: eventId, type: MODEL_REGISTERED_EVENT_TYPE, source: workspaceId, subject, data, time: new Date() }]);
    } else {
      const client = new EventGridPublisherClient(options.eventgridUrl, 'EventGrid', new AzureKeyCredential(key), clientOptions);
      await client.send([
        { id: eventId, eventType: MODEL_REGISTERED_EVENT_TYPE, subject, dataVersion: '2', data, topic: workspaceId, eventTime: new Date() },
      ]);
    }
    result.publishedTo = options.eventgridUrl;
  } else {
    // The app's Event Grid trigger, delivered the way the Event Grid service does it (headers,
    // envelope stamping) by the app's delivery code: the local runtime or a Function App.
    const base = (options.url ?? io.env('AML_ROLLOUT_URL') ?? DEFAULT_URL).replace(/\/+$/, '');
    // The Event Grid webhook takes the host's eventgrid_extension system key, not the API's function key.
    const key = io.env('AML_ROLLOUT_WEBHOOK_KEY') ?? options.key ?? io.env('AML_ROLLOUT_KEY');
    let delivery;
    try {
      delivery = await deliverModelRegistered({
        runtimeUrl: base,
        ...(key ? { functionKey: key } : {}),
        model: options.model,
        version: options.version,
        tags,
        workspace: { subscriptionId, resourceGroup, workspace },
        schema: options.schema ?? 'eventgrid',
        eventId,
      });
    } catch (error) {
      throw new CliError(
        `cannot reach ${base}: ${error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)}`,
        EXIT.other,
      );
    }
    if (!delivery.delivered) {
      throw new CliError(
        `event delivery failed: HTTP ${delivery.status}: ${delivery.responseText.slice(0, 300)}`,
        delivery.status === 401 ? EXIT.auth : exitCodeForStatus(delivery.status),
      );
    }
    const url = delivery.url;
    result.deliveredTo = url.replace(/\?.*$/, '');
  }
  result.eventId = eventId;
  return result;
}

function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('aml-rollout')
    .description('Operate model rollouts to Azure ML managed online endpoints')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError(false);

  common(program.command('list').description('list rollouts (newest first)'))
    .option('--endpoint <name>', 'only this endpoint')
    .option('--model <name>', 'only this model')
    .option('--status <phase>', 'phase, runtime status, active or ended (comma-separated)')
    .option('--top <n>', 'page size', '50')
    .option('--all', 'follow continuation tokens to the end')
    .action(async (options: CommonOptions & { endpoint?: string; model?: string; status?: string; top: string; all?: boolean }) => {
      const client = clientFor(options, io);
      const items: RolloutSummary[] = [];
      let continuation: string | undefined;
      do {
        const query = new URLSearchParams({ top: options.top });
        if (options.endpoint) query.set('endpoint', options.endpoint);
        if (options.model) query.set('model', options.model);
        if (options.status) query.set('status', options.status);
        if (continuation) query.set('continuation', continuation);
        const page = await client.request('GET', `/api/rollouts?${query.toString()}`, rolloutListSchema);
        items.push(...page.items);
        continuation = options.all ? page.continuation : undefined;
      } while (continuation);
      if (options.json) printJson(io, items);
      else io.out(renderList(items));
    });

  common(
    program
      .command('status')
      .argument('<id>', 'rollout id')
      .description('show one rollout: phase, step, traffic, gates, decisions, history'),
  )
    .option('--history <n>', 'history entries to show', '10')
    .option('--evidence', "add every gate check's numbers at each look (candidate, baseline, allowed band, confidence bounds, traffic)")
    .action(async (id: string, options: CommonOptions & { history: string; evidence?: boolean }) => {
      const client = clientFor(options, io);
      const detail = await client.request('GET', `/api/rollouts/${encodeURIComponent(id)}`, rolloutDetailSchema);
      const evidence = options.evidence
        ? await client.request('GET', `/api/rollouts/${encodeURIComponent(id)}/evidence`, rolloutEvidenceSchema)
        : undefined;
      const style = io.isTTY ? ansiStyle : plainStyle;
      if (options.json) printJson(io, evidence ? { ...detail, evidence } : detail);
      else
        io.out(
          renderStatus(detail, style, { history: Number(options.history) || 0 }) +
            (evidence ? `\n\n${style.bold('Evidence per look')}\n${renderEvidence(evidence, style)}` : ''),
        );
    });

  common(
    program.command('watch').argument('<id>', 'rollout id').description('live view until the rollout ends (exit 0 promoted, 6 otherwise)'),
  )
    .addOption(new Option('--interval <seconds>', 'refresh interval').default(2).argParser(positiveSeconds))
    .action(async (id: string, options: CommonOptions & { interval: number }) => {
      setExit(await watch(clientFor(options, io), id, options, io));
    });

  for (const action of ROLLOUT_ACTIONS) {
    const describe: Record<(typeof ROLLOUT_ACTIONS)[number], string> = {
      approve: 'approve the approval the rollout waits for',
      reject: 'reject the approval the rollout waits for (rolls back)',
      abort: 'abort and roll back',
      pause: 'pause before the next step',
      resume: 'resume a paused rollout',
      promote: 'promote now: skip the remaining steps (recorded as an override)',
      retry: 'retry a failed rollout from the failed step',
    };
    common(program.command(action).argument('<id>', 'rollout id').description(describe[action]))
      .option('--by <who>', 'who acts: a claimed name, recorded when you are not signed in (--scope)')
      .option('--comment <text>', 'a comment recorded with the action')
      .action(async (id: string, options: CommonOptions & { by?: string; comment?: string }) => {
        const body = { ...(options.by ? { by: options.by } : {}), ...(options.comment ? { comment: options.comment } : {}) };
        const result = await clientFor(options, io).request(
          'POST',
          `/api/rollouts/${encodeURIComponent(id)}/${action}`,
          actionResultSchema,
          body,
        );
        if (options.json) printJson(io, result);
        else {
          const how = result.identity.verified ? ' (signed in)' : ' (a claimed name: not signed in)';
          io.out(`${action} sent to ${id}${result.step !== undefined ? ` (step ${result.step + 1})` : ''} as ${result.by}${how}`);
        }
      });
  }

  common(program.command('start').description('start a rollout by hand (without Event Grid)'))
    .requiredOption('--model <name>', 'registered model name')
    .requiredOption('--version <version>', 'model version')
    .option('--policy <name>', 'policy name (default: the one that matches the model)')
    .option('--by <who>', 'who starts it')
    .action(async (options: CommonOptions & { model: string; version: string; policy?: string; by?: string }) => {
      const result = await clientFor(options, io).request('POST', '/api/rollouts', startResultSchema, {
        model: options.model,
        version: options.version,
        ...(options.policy ? { policy: options.policy } : {}),
        ...(options.by ? { by: options.by } : {}),
      });
      if (options.json) printJson(io, result);
      else
        io.out(
          `${result.created ? 'started' : 'already exists'}: ${result.rolloutId} (policy ${result.policy}, endpoint ${result.endpoint})`,
        );
    });

  common(program.command('register-model').description('register a model version (emulator ARM) and send its ModelRegistered event'))
    .requiredOption('--model <name>', 'model name')
    .requiredOption('--version <version>', 'model version')
    .option('--tags <k=v>', 'model version tag (repeatable, or comma-separated)', collect, [])
    .option('--eventgrid-url <url>', 'publish to this Event Grid topic endpoint instead of the app (use --key for its access key)')
    .addOption(
      new Option('--schema <schema>', 'event schema (default: eventgrid to the app, cloudevents to --eventgrid-url)').choices([
        'eventgrid',
        'cloudevents',
      ]),
    )
    .option('--arm-url <url>', 'ARM base URL of the emulator, to create the model version first (env AML_ROLLOUT_ARM_URL)')
    .option('--arm-token <token>', 'bearer token for --arm-url (env EMULATOR_TOKEN)')
    .option('--subscription <id>', 'workspace subscription id (env AZURE_SUBSCRIPTION_ID)')
    .option('--resource-group <name>', 'workspace resource group (env AZURE_RESOURCE_GROUP)')
    .option('--workspace <name>', 'workspace name (env AML_WORKSPACE_NAME)')
    .action(async (options: RegisterOptions) => {
      const result = await registerModel(options, io);
      // What became of it: the rollout the event started (delivery to the app starts it before answering), or why none.
      const outcome = options.eventgridUrl ? undefined : await registrationOutcome(clientFor(options, io), options.model, options.version);
      if (outcome?.rolloutId) result.rolloutId = outcome.rolloutId;
      if (outcome && !outcome.rolloutId) result.notStarted = outcome.text;
      if (options.json) printJson(io, result);
      else {
        io.out(
          `ModelRegistered ${options.model}:${options.version} sent (event ${String(result.eventId)}) to ${String(result.deliveredTo ?? result.publishedTo)}`,
        );
        if (outcome) io.out(outcome.text);
      }
    });

  registerEvaluateCommand(program, io);
  return program;
}

/**
 * Runs the CLI; resolves to the exit code (never calls process.exit, so tests run it in-process).
 * @public The tests load it from dist (one module graph with the runtime), which knip cannot follow.
 */
export async function run(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    const exitCode = error instanceof CliError ? error.exitCode : EXIT.other;
    const message = error instanceof Error ? error.message : String(error);
    // With --json, errors are JSON too (on stderr), so scripts parse one format.
    if (argv.includes('--json')) io.err(JSON.stringify({ error: { message, exitCode } }));
    else io.err(`error: ${message}`);
    return exitCode;
  }
}

/** @public The `aml-rollout` command: bin/aml-rollout.js requires it from dist. */
export function main(): void {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  // `aml-rollout watch ... | head`: the reader left; stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    controller.abort();
    process.exit(process.exitCode ?? 0);
  });
  void run(process.argv.slice(2), { ...processIo, signal: controller.signal }).then((code) => {
    process.exitCode = code;
  });
}
