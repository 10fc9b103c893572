/**
 * `npm start`: the whole app on this machine. The local runtime serves the compiled functions at
 * http://localhost:7071 and the Azure emulator stands in for Azure ML and Log Analytics, seeded with
 * the demo world (endpoint credit-scoring, deployment blue on credit-model:1, steady traffic).
 *
 * With real Azure settings in the environment (AZURE_SUBSCRIPTION_ID of a real subscription, and
 * the others of docs/deploy.md), the same command runs the app against Azure instead: no emulator.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { readEnvironment, setEnvironment } from '../../config';
import { createDemoWorld, createEmulator, emulatorAppSettings, type Emulator } from '../emulator';
import { createClock } from '../local-runtime/clock';
import { readStoreSummary, resumeAtMs, staleRolloutWarning } from './store-check';
import type { SystemKeys } from '../local-runtime/http-server';
import { startRuntime } from '../local-runtime/runtime';
import { approvalLinkSecret } from './link-secret';
import { createInbox, type Inbox } from './inbox';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const EMULATOR_TOKEN = 'local-emulator-token';
const DEMO_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number 0..65535');
  return n;
}

function clockMode(value: string): string {
  if (value === 'wall' || /^x[1-9]\d*$/.test(value)) return value;
  throw new InvalidArgumentError('wall or xN (e.g. x60: one real second is a virtual minute)');
}

/** Real Azure when a real subscription is configured; the emulator otherwise. */
export function targetsAzure(env: (name: string) => string | undefined = readEnvironment): boolean {
  const subscription = env('AZURE_SUBSCRIPTION_ID');
  return subscription !== undefined && subscription !== '' && subscription !== DEMO_SUBSCRIPTION && env('ARM_ENDPOINT') === undefined;
}

function nextSteps(
  runtimeUrl: string,
  key: string,
  systemKeys: SystemKeys | undefined,
  emulator: Emulator | undefined,
  policyDir: string,
  inbox: boolean,
): string {
  const env = `export AML_ROLLOUT_URL=${runtimeUrl} AML_ROLLOUT_KEY=${key}`;
  const lines = [
    '',
    `aml-rollout is running at ${runtimeUrl}  (dashboard: ${runtimeUrl}/ , API: ${runtimeUrl}/api/rollouts , OpenAPI: ${runtimeUrl}/api/openapi.json)`,
    `Policies: ${policyDir}${emulator ? ' (the demo policy credit-canary-demo.yaml; --policies <dir> for another folder)' : ''}`,
  ];
  if (inbox)
    lines.push(`Notifications: ${runtimeUrl}/inbox/  (what Teams, Slack and the webhook would show, with working Approve / Reject links)`);
  lines.push('', 'In another terminal:', `  ${env}`);
  if (systemKeys) {
    // As in Azure, the extensions' webhooks take their own system keys (new each run), not the API key.
    lines.push(
      `  export AML_ROLLOUT_WEBHOOK_KEY=${systemKeys.eventgrid_extension} AML_ROLLOUT_DURABLE_KEY=${systemKeys.durabletask_extension}`,
      '  # AML_ROLLOUT_WEBHOOK_KEY: the Event Grid webhook (/runtime/webhooks/eventgrid?functionName=modelRegistered&code=...)',
      '  # AML_ROLLOUT_DURABLE_KEY: the Durable management API (/runtime/webhooks/durabletask/instances?code=...)',
    );
  }
  if (emulator) {
    const keys = emulator.endpointKeys('credit-scoring');
    lines.push(
      `  export AML_ROLLOUT_ARM_URL=${emulator.url} EMULATOR_TOKEN=${EMULATOR_TOKEN}`,
      '',
      '  # 1. register a new model version (the emulator sends ModelRegistered to the app through Event Grid)',
      '  npx aml-rollout register-model --model credit-model --version 2',
      '  # 2. it prints the rollout id (or why none started); watch the rollout step by step',
      '  npx aml-rollout watch <rollout-id>',
      '  # 3. approve full traffic when it asks: the Approve button of the inbox message, or',
      '  npx aml-rollout approve <rollout-id> --by demo@contoso.com --comment "looks good"',
      '  # 4. optional: a bad version (30% errors) that the gates roll back',
      `  npm run emulator -- register --model credit-model --version 3 --error-rate 0.3`,
      '  # see which version answers users (the response header azureml-model-deployment names the deployment)',
      `  curl -si -X POST ${emulator.scoringUri('credit-scoring')} -H "Authorization: Bearer ${keys.primaryKey}" -H "Content-Type: application/json" -d '{"input_data":{"data":[[42,58000,12000]]}}'`,
      '',
      `The emulator (Azure ML ARM, scoring, Log Analytics) listens on ${emulator.url}.`,
    );
  } else {
    lines.push('', '  npx aml-rollout list', '  npx aml-rollout start --model <model> --version <version>');
  }
  lines.push('Stop with Ctrl+C.', '');
  return lines.join('\n');
}

/** A first run: the state starts empty (in memory, or a store folder that does not exist yet). */
function isFirstRun(store: string): boolean {
  return store === ':memory:' || !existsSync(store) || readdirSync(store).length === 0;
}

/** Each notification channel not configured by the user points at the inbox. */
function inboxChannels(runtimeUrl: string): Record<string, string> {
  const channels = { NOTIFY_TEAMS_WEBHOOK_URL: 'teams', NOTIFY_SLACK_WEBHOOK_URL: 'slack', NOTIFY_GENERIC_WEBHOOK_URL: 'webhook' } as const;
  const settings: Record<string, string> = {};
  for (const [name, channel] of Object.entries(channels)) {
    if (!readEnvironment(name)) settings[name] = `${runtimeUrl}/inbox/${channel}`;
  }
  return settings;
}

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command()
    .name('npm start --')
    .description('Run aml-rollout on this machine: the local Functions runtime, plus the Azure emulator unless Azure settings are present.')
    .option('--port <port>', "the app's HTTP port", port, 7071)
    .option('--emulator-port <port>', "the emulator's plain HTTP port", port, 7080)
    .option('--clock <mode>', 'wall, or accelerated: xN', clockMode, 'wall')
    // No commander default here: it would print "(default: ...)" a second time after the description's own.
    .option('--store <dir>', 'keep orchestration state in this folder (default: in memory, since the emulator starts afresh)')
    .option('--policies <dir>', 'policy folder (default: demo/policies with the emulator, POLICY_DIR or policies/ with Azure)')
    .option('--key <key>', 'the operator API key (default: ROLLOUT_API_KEY, else local-dev-key)')
    .option('--requests-per-minute <n>', 'synthetic users of the demo endpoint', (v) => Number(v), 300);
  program.parse(argv, { from: 'user' });
  const parsed = program.opts<{
    port: number;
    emulatorPort: number;
    clock: string;
    store?: string;
    policies?: string;
    key?: string;
    requestsPerMinute: number;
  }>();
  const options = { ...parsed, store: parsed.store ?? ':memory:' };
  // Asked before anything writes into the store folder (the approval link secret does).
  const firstRun = isFirstRun(options.store);
  if (!Number.isFinite(options.requestsPerMinute) || options.requestsPerMinute < 0)
    throw new InvalidArgumentError('--requests-per-minute must be a number >= 0');

  // Read before the runtime opens the store (one runtime per store): resume its time, warn of its rollouts.
  const stored = readStoreSummary(options.store);
  const clock = createClock(options.clock, { startMs: resumeAtMs(stored, Date.now()) });
  const key = options.key ?? readEnvironment('ROLLOUT_API_KEY') ?? 'local-dev-key';
  const azure = targetsAzure();
  let emulator: Emulator | undefined;
  // Approval links in notifications (and the OpenAPI servers entry) point at this app.
  const publicBaseUrl = readEnvironment('PUBLIC_BASE_URL');
  const settings: Record<string, string> = { ROLLOUT_API_KEY: key, PUBLIC_BASE_URL: publicBaseUrl ?? `http://localhost:${options.port}` };
  if (azure) {
    settings['POLICY_DIR'] = options.policies ?? readEnvironment('POLICY_DIR') ?? path.join(REPO_ROOT, 'policies');
  } else {
    emulator = createEmulator({
      clock,
      seed: 1,
      world: createDemoWorld({ requestsPerMinute: options.requestsPerMinute }),
      ingestionDelayMinutes: 1,
      token: EMULATOR_TOKEN,
      port: options.emulatorPort,
    });
    await emulator.start();
    const warning = staleRolloutWarning(stored, options.store);
    if (warning) process.stderr.write(warning);
    Object.assign(settings, {
      ...emulatorAppSettings(emulator, EMULATOR_TOKEN),
      POLICY_DIR: options.policies ?? path.join(REPO_ROOT, 'demo', 'policies'),
      // Never a constant: anyone who knows the secret can forge an approve link.
      APPROVAL_LINK_SECRET: approvalLinkSecret(options.store, readEnvironment('APPROVAL_LINK_SECRET')).secret,
    });
  }
  // With the emulator, notifications go to the local inbox (unless a channel of your own is set);
  // a first run (nothing stored yet) starts it with examples of each kind of message.
  let runtimeUrl = publicBaseUrl ?? `http://localhost:${options.port}`;
  const inbox: Inbox | undefined = emulator
    ? createInbox({ publicBaseUrl: () => readEnvironment('PUBLIC_BASE_URL') ?? runtimeUrl, examples: firstRun })
    : undefined;
  const runtime = await startRuntime({
    app: REPO_ROOT,
    port: options.port,
    clock,
    store: options.store,
    functionKey: key,
    settings,
    rootRedirect: '/api/dashboard/',
    ...(inbox ? { localPages: inbox.handle } : {}),
  });
  runtimeUrl = runtime.url;
  // With --port 0 the real port is known only now; settings are read per invocation, so this still counts.
  if (publicBaseUrl === undefined && options.port === 0) setEnvironment({ PUBLIC_BASE_URL: runtime.url });
  if (inbox) setEnvironment(inboxChannels(runtime.url));
  process.stdout.write(nextSteps(runtime.url, key, runtime.systemKeys, emulator, settings['POLICY_DIR'] ?? '', inbox !== undefined));

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping...\n');
    void Promise.allSettled([runtime.stop(), emulator?.stop()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof InvalidArgumentError ? 2 : 1);
});
