#!/usr/bin/env node
/**
 * The emulator on its own:
 *
 *   node dist/src/harness/emulator/cli.js [serve] [--port 8790] [--https-port 8791] [--seed 1] [--rpm 120]
 *        [--clock wall|x60] [--ingestion-delay 3] [--token emulator-token] [--ca-file .tmp/emulator-ca.pem]
 *   node dist/src/harness/emulator/cli.js register --model credit-model --version 2 [--tag k=v ...]
 *        [--error-rate 0.01] [--p50 40] [--p95 90] [--emulator-url http://127.0.0.1:8790]
 *        [--app-url http://localhost:7071] [--function-key KEY] [--schema eventgrid|cloudevents] [--no-deliver]
 *
 * `serve` runs the demo world (endpoint credit-scoring, deployment blue on credit-model:1 with all
 * traffic, steady synthetic users) and prints the settings that point the app at it. `register`
 * registers a model version in a running emulator and delivers its ModelRegistered event to the
 * app's Event Grid trigger, which is how a person starts a rollout by hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { readEnvironment } from '../../config';
import { ApiClient } from '../../cli/api-client';
import { registrationOutcome } from '../../cli/registration-outcome';
import { createClock } from '../local-runtime/clock';
import { createEmulator } from './emulator';
import { publishModelRegistered } from './event-grid';
import { createDemoWorld } from './world';

const DEFAULT_TOKEN = 'emulator-token';

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number (got "${value}")`);
    return n;
  };
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError(`a port is an integer 0-65535 (got "${value}")`);
  return n;
}

function tag(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`--tag takes key=value (got "${value}")`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

interface ServeOptions {
  host: string;
  port: number;
  httpsPort: number;
  seed: number;
  rpm: number;
  clock: string;
  ingestionDelay: number;
  token: string;
  caFile?: string;
}

async function serve(options: ServeOptions): Promise<void> {
  const clock = createClock(options.clock);
  if (clock.mode === 'virtual') throw new InvalidArgumentError('--clock virtual needs a host that advances time; use wall or xN here');
  const emulator = createEmulator({
    clock,
    seed: options.seed,
    world: createDemoWorld({ requestsPerMinute: options.rpm, versions: ['1'] }),
    ingestionDelayMinutes: options.ingestionDelay,
    host: options.host,
    port: options.port,
    httpsPort: options.httpsPort,
    token: options.token,
  });
  await emulator.start();
  let caFile: string | undefined;
  if (options.caFile) {
    caFile = resolve(options.caFile);
    mkdirSync(dirname(caFile), { recursive: true });
    writeFileSync(caFile, emulator.certificatePem);
  }
  const lines = [
    `Azure emulator listening (clock ${options.clock}, seed ${options.seed}, ${options.rpm} requests/minute on credit-scoring)`,
    `  http:  ${emulator.url}      (scoring, admin, and the SDKs with the adapters' loopback policy)`,
    `  https: ${emulator.httpsUrl}     (the SDKs as they are; trust the certificate${caFile ? ` in ${caFile}` : ''})`,
    '',
    'Point the app at it:',
    `  ARM_ENDPOINT=${emulator.url}`,
    `  LOGS_ENDPOINT=${emulator.url}/v1`,
    `  METRICS_ENDPOINT=${emulator.url}`,
    `  EMULATOR_TOKEN=${options.token}`,
    '',
    'Try it:',
    `  curl -s -X POST ${emulator.scoringUri('credit-scoring')} -H "Authorization: Bearer ${emulator.endpointKeys('credit-scoring').primaryKey}" -d '{"data":[[1,2,3]]}' -i`,
    `  curl -s ${emulator.url}/_emulator/state`,
    `  node dist/src/harness/emulator/cli.js register --emulator-url ${emulator.url} --model credit-model --version 2`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = (): void => {
    void emulator.stop().then(() => {
      clock.dispose();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

interface RegisterOptions {
  emulatorUrl: string;
  appUrl: string;
  model: string;
  version: string;
  tag: Record<string, string>;
  errorRate?: number;
  p50?: number;
  p95?: number;
  smokeTestFails?: boolean;
  provisioningFails?: boolean;
  functionKey?: string;
  key?: string;
  schema: 'eventgrid' | 'cloudevents';
  deliver: boolean;
  token: string;
}

async function register(options: RegisterOptions): Promise<number> {
  const behavior: Record<string, unknown> = {};
  if (options.errorRate !== undefined) behavior['errorRate'] = options.errorRate;
  if (options.p50 !== undefined || options.p95 !== undefined) {
    const p50 = options.p50 ?? 40;
    behavior['latencyMs'] = { p50, p95: options.p95 ?? Math.max(p50, 90) };
  }
  if (options.smokeTestFails) behavior['smokeTestFails'] = true;
  if (options.provisioningFails) behavior['provisioningFails'] = true;
  const base = options.emulatorUrl.replace(/\/+$/, '');
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token}` };
  const registered = await fetch(
    `${base}/_emulator/models/${encodeURIComponent(options.model)}/versions/${encodeURIComponent(options.version)}`,
    {
      method: 'POST',
      headers,
      body: JSON.stringify({ tags: options.tag, ...(Object.keys(behavior).length > 0 ? { behavior } : {}) }),
    },
  ).catch((error: unknown) => {
    throw new Error(`cannot reach the emulator at ${base}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!registered.ok) throw new Error(`the emulator refused the model version: HTTP ${registered.status} ${await registered.text()}`);
  process.stdout.write(`registered ${options.model}:${options.version} in the emulator\n`);
  if (!options.deliver) return 0;
  const state = (await (await fetch(`${base}/_emulator/state`, { headers })).json()) as {
    coords: { subscriptionId: string; resourceGroup: string; workspace: string };
    now: string;
  };
  const result = await publishModelRegistered({
    runtimeUrl: options.appUrl,
    ...(options.functionKey ? { functionKey: options.functionKey } : {}),
    model: options.model,
    version: options.version,
    tags: options.tag,
    workspace: state.coords,
    schema: options.schema,
    eventTimeMs: Date.parse(state.now),
  }).catch((error: unknown) => {
    throw new Error(`cannot deliver the event to the app at ${options.appUrl}: ${error instanceof Error ? error.message : String(error)}`);
  });
  process.stdout.write(
    `delivered ModelRegistered (event ${result.eventId}) to ${result.url.replace(/\?.*$/, '')}: HTTP ${result.status}\n`,
  );
  if (!result.delivered) {
    process.stderr.write(`the app did not accept the event: ${result.responseText.slice(0, 500)}\n`);
    return 1;
  }
  // The rollout the event started (its id, to watch it), or why none started: asked of the app's API.
  const client = new ApiClient({ baseUrl: options.appUrl, key: options.key ?? readEnvironment('AML_ROLLOUT_KEY') });
  process.stdout.write(`${(await registrationOutcome(client, options.model, options.version)).text}\n`);
  return 0;
}

export function buildProgram(): Command {
  const program = new Command('aml-emulator').description(
    'Local Azure emulator: Azure ML online endpoints, Log Analytics, Azure Monitor metrics',
  );
  program
    .command('serve', { isDefault: true })
    .description('run the emulator with the demo world')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'plain HTTP port (0: any free port)', port, 8790)
    .option('--https-port <port>', 'HTTPS port (0: any free port)', port, 8791)
    .option('--seed <n>', 'seed of every random choice', positiveNumber('--seed'), 1)
    .option('--rpm <n>', 'synthetic requests per minute on credit-scoring', positiveNumber('--rpm'), 120)
    .option('--clock <mode>', 'wall, or xN to run N times faster than real time', 'wall')
    .option('--ingestion-delay <minutes>', 'minutes before a request is visible to log queries', positiveNumber('--ingestion-delay'), 3)
    .option('--token <token>', 'bearer token ARM, logs and metrics calls must carry', DEFAULT_TOKEN)
    .option('--ca-file <path>', 'write the HTTPS certificate (PEM) here for clients to trust')
    .action(async (options: ServeOptions) => serve(options));
  program
    .command('register')
    .description('register a model version in a running emulator and deliver its ModelRegistered event to the app')
    .requiredOption('--model <name>', 'model name')
    .requiredOption('--version <version>', 'model version')
    .option('--tag <key=value>', 'a tag of the version (repeatable)', tag, {})
    .option('--error-rate <share>', 'simulated share of 5xx answers (0-1)', positiveNumber('--error-rate'))
    .option('--p50 <ms>', 'simulated median latency', positiveNumber('--p50'))
    .option('--p95 <ms>', 'simulated 95th percentile latency', positiveNumber('--p95'))
    .option('--smoke-test-fails', 'direct (pinned) requests to the version fail')
    .option('--provisioning-fails', 'deployments of the version end Failed')
    // Defaults follow the environment `npm start` tells people to export, so the command stays short.
    .option(
      '--emulator-url <url>',
      'the emulator (http) (env AML_ROLLOUT_ARM_URL)',
      readEnvironment('AML_ROLLOUT_ARM_URL') ?? 'http://127.0.0.1:8790',
    )
    .option(
      '--app-url <url>',
      'the app: local runtime or Function App (env AML_ROLLOUT_URL)',
      readEnvironment('AML_ROLLOUT_URL') ?? 'http://localhost:7071',
    )
    .option(
      '--function-key <key>',
      "the Event Grid webhook's key, sent as ?code=: the host's eventgrid_extension system key (env AML_ROLLOUT_WEBHOOK_KEY, printed by npm start)",
      readEnvironment('AML_ROLLOUT_WEBHOOK_KEY') ?? readEnvironment('AML_ROLLOUT_KEY'),
    )
    .option('--key <key>', "the app's API key, to find the rollout the event started (env AML_ROLLOUT_KEY)")
    .option(
      '--schema <schema>',
      'eventgrid or cloudevents',
      (v: string) => {
        if (v !== 'eventgrid' && v !== 'cloudevents') throw new InvalidArgumentError('--schema is eventgrid or cloudevents');
        return v;
      },
      'eventgrid',
    )
    .option('--no-deliver', 'only register the version; send no event')
    .option('--token <token>', "the emulator's bearer token (env EMULATOR_TOKEN)", readEnvironment('EMULATOR_TOKEN') ?? DEFAULT_TOKEN)
    .action(async (options: RegisterOptions) => {
      process.exitCode = await register(options);
    });
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`aml-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    });
}
