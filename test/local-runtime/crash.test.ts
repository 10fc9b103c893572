/**
 * Crash safety: the runtime runs as a child process (compiled CLI) on a SQLite store and is killed
 * with SIGKILL at many points while orchestrations with activities, timers, external events and a
 * sub-orchestration are in flight. After each restart every instance must go on, and in the end
 * every instance completes with the output of an uninterrupted run, with no history event lost or
 * duplicated.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry, ensureBuilt, fixtureEntry, request, repoRoot, waitForStatus } from './helpers';

let storeDir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  await ensureBuilt();
  storeDir = mkdtempSync(path.join(tmpdir(), 'runtime-crash-'));
});

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(storeDir, { recursive: true, force: true });
});

/** Starts the CLI and resolves with its URL once it listens. */
function launch(): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cliEntry, '--app', fixtureEntry, '--port', '0', '--store', storeDir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        proc.stdout?.off('data', onData);
        resolve(match[1] as string);
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.once('exit', (code) => reject(new Error(`runtime exited early (${code}): ${output}`)));
  });
}

function kill(): Promise<void> {
  return new Promise((resolve) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.removeAllListeners('exit');
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

/** A fixed pseudo-random sequence: the kill points differ per cycle but not per run. */
function* killDelaysMs(): Generator<number> {
  let state = 12345;
  for (;;) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    yield 20 + (state % 380);
  }
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const expected = (seed: number): unknown => ({
  doubled: seed * 2,
  parallel: [seed * 2 + 1, seed * 2 + 2, seed * 2 + 3],
  event: seed * 10,
  child: seed * 32,
});

describe('crash safety', () => {
  it('survives SIGKILL at many points and completes every instance exactly as an uninterrupted run', async () => {
    let url = await launch();
    const mgmt = (): string => `${url}/runtime/webhooks/durabletask`;
    for (const seed of SEEDS) {
      const started = await request(`${mgmt()}/orchestrators/crashWorkload/crash-${seed}`, { method: 'POST', json: seed });
      expect(started.status).toBe(202);
    }
    // Entities too: signals, calls and a critical section, with state and locks in the store.
    for (const key of ['e1', 'e2']) {
      expect(
        (await request(`${mgmt()}/orchestrators/entityUser/crash-entity-${key}`, { method: 'POST', json: `crash-${key}` })).status,
      ).toBe(202);
    }
    // Half the instances get their event early (buffered before they wait for it).
    const raised = new Set<number>();
    for (const seed of SEEDS.slice(0, 4)) {
      expect((await request(`${mgmt()}/instances/crash-${seed}/raiseEvent/go`, { method: 'POST', json: seed * 10 })).status).toBe(202);
      raised.add(seed);
    }

    const delays = killDelaysMs();
    for (let cycle = 0; cycle < 10; cycle++) {
      await new Promise((resolve) => setTimeout(resolve, delays.next().value as number));
      await kill();
      url = await launch();
      if (cycle === 4) {
        // The other half get theirs between crashes; a 202 means the event is durable.
        for (const seed of SEEDS.filter((s) => !raised.has(s))) {
          expect((await request(`${mgmt()}/instances/crash-${seed}/raiseEvent/go`, { method: 'POST', json: seed * 10 })).status).toBe(202);
          raised.add(seed);
        }
      }
    }

    for (const seed of SEEDS) {
      const done = await waitForStatus(url, `crash-${seed}`, undefined, 30_000);
      expect(done.runtimeStatus).toBe('Completed');
      expect(done.output).toEqual(expected(seed));
      // The history view shows each finished task once, by its completion (named, with the time it
      // was scheduled and its input); a task scheduled or completed twice would show twice.
      const history = done.historyEvents ?? [];
      const completions = history.filter((e) => ['TaskCompleted', 'TaskFailed', 'SubOrchestrationInstanceCompleted'].includes(e.EventType));
      const identities = completions.map((e) => `${e.FunctionName}|${e.ScheduledTime}|${e.Input}`);
      expect(new Set(identities).size).toBe(identities.length);
      expect(history.filter((e) => ['TaskScheduled', 'SubOrchestrationInstanceCreated'].includes(e.EventType))).toEqual([]);
      expect(history.filter((e) => e.EventType === 'TimerCreated').length).toBe(1);
      expect(history.filter((e) => e.EventType === 'TimerFired').length).toBe(1);
      expect(history.filter((e) => e.EventType === 'EventRaised').length).toBe(1);
      // 1 + 3 activities and 1 sub-orchestration: every one completed once.
      expect(completions).toHaveLength(5);
    }
    for (const key of ['e1', 'e2']) {
      const done = await waitForStatus(url, `crash-entity-${key}`, undefined, 30_000);
      expect(done.output).toEqual({ afterSignal: 5, inLock: 16, final: 100, failure: true });
    }
    await kill();
  }, 90_000);
});
