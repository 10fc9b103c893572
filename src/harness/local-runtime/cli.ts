#!/usr/bin/env node
/**
 * `npm run host -- --app <compiled app entry or folder> [--port 7071] [--clock wall|virtual|x60]
 *  [--store <dir>|:memory:] [--key <functionKey>] [--concurrency <n>]`
 */
import { Command, InvalidArgumentError } from 'commander';
import { createClock } from './clock';
import { startRuntime } from './runtime';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`"${value}" is not a port number (0-65535)`);
  return port;
}

function parseClock(value: string): string {
  try {
    createClock(value).dispose();
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('host')
    .description('Run a compiled Azure Functions v4 Node app (with Durable Functions) on the local runtime.')
    .requiredOption('--app <path>', 'compiled app: entry .js file, folder, or package.json ("main" may be a glob)')
    .option('--port <port>', 'HTTP port (0 = any free port)', parsePort, 7071)
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .option('--clock <mode>', 'wall, virtual, or x<N> (accelerated N times)', parseClock, 'wall')
    .option('--store <dir>', 'folder for the SQLite store, or :memory:', '.data/runtime')
    .option(
      '--key <functionKey>',
      'turn keys on: function/admin-level functions take this key; the Event Grid and Durable webhooks take generated system keys (printed)',
    )
    .option('--concurrency <n>', 'maximum activities running at once', parsePositiveInt)
    .showHelpAfterError();
  program.parse(argv);
  const options = program.opts<{
    app: string;
    port: number;
    host: string;
    clock: string;
    store: string;
    key?: string;
    concurrency?: number;
  }>();

  const runtime = await startRuntime({
    app: options.app,
    port: options.port,
    host: options.host,
    clock: options.clock,
    store: options.store,
    ...(options.key ? { functionKey: options.key } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  console.log(`local runtime listening on ${runtime.url} (clock ${runtime.clock.mode}, store ${options.store})`);
  console.log(`functions: ${runtime.functions.join(', ')}`);
  if (runtime.systemKeys) {
    console.log(`system key eventgrid_extension (for /runtime/webhooks/eventgrid?code=...): ${runtime.systemKeys.eventgrid_extension}`);
    console.log(
      `system key durabletask_extension (for /runtime/webhooks/durabletask/...?code=...): ${runtime.systemKeys.durabletask_extension}`,
    );
  }
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  // An app's forgotten promise must not take the host down (the Functions worker logs these too).
  process.on('unhandledRejection', (reason: unknown) => {
    console.error(`unhandled promise rejection in the app: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main(process.argv).catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
