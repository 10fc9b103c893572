/**
 * Local runtime benchmark (virtual clock, one process, one core):
 *  1. throughput: 1,000 instances of a 5-activity chain in flight at once; orchestrations/s and
 *     work items/s (episodes + activity runs), on the SQLite file store and in memory;
 *  2. replay cost as history grows: one instance of 25 and 250 sequential activities (about 100 and
 *     1,000 history events): episodes and orchestrator replay CPU per instance;
 *  3. peak memory (RSS and heap) while 1,000 instances are in flight.
 *
 * Anchors: Azure Storage backend ~5 sequential activities/s per instance; Durable Task Scheduler
 * ~1,400 work items/s on one EP2 worker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { VirtualClock } from '../local-runtime/clock';
import { startRuntime, type LocalRuntime } from '../local-runtime/runtime';

const fixture = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'runtime-app', 'index.js');

interface Row {
  readonly measure: string;
  readonly value: string;
}

async function withRuntime<T>(store: string, fn: (rt: LocalRuntime) => Promise<T>): Promise<T> {
  const rt = await startRuntime({
    app: fixture,
    port: 0,
    store,
    clock: new VirtualClock({ startMs: Date.parse('2030-01-01T00:00:00Z') }),
    concurrency: 200,
    log: () => {},
  });
  try {
    return await fn(rt);
  } finally {
    await rt.stop();
  }
}

async function startInstance(rt: LocalRuntime, name: string, id: string, input: unknown): Promise<void> {
  const response = await fetch(`${rt.url}/runtime/webhooks/durabletask/orchestrators/${name}/${id}`, {
    method: 'POST',
    body: JSON.stringify(input),
    headers: { 'content-type': 'application/json' },
  });
  if (response.status !== 202) throw new Error(`start ${id}: HTTP ${response.status} ${await response.text()}`);
}

interface Throughput {
  seconds: number;
  cpuSeconds: number;
  orchestrationsPerSecond: number;
  workItemsPerSecond: number;
  workItemsPerCpuSecond: number;
  peakRssMb: number;
  peakHeapMb: number;
  workItems: number;
}

async function throughput(store: string, instances: number): Promise<Throughput> {
  return withRuntime(store, async (rt) => {
    let peakRss = 0;
    let peakHeap = 0;
    const sample = (): void => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed);
    };
    const sampler = setInterval(sample, 20);
    const episodesBefore = rt.counters.orchestratorEpisodes;
    const activitiesBefore = rt.counters.activityRuns;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const ids = Array.from({ length: instances }, (_, i) => `bench-${i}`);
    // Start them all (HTTP, 50 at a time), so all 1,000 are in flight together.
    for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => startInstance(rt, 'chain', id, 1)));
    const results = await Promise.all(ids.map((id) => rt.waitForInstance(id)));
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    clearInterval(sampler);
    sample();
    const wrong = results.filter((r) => r.status !== 'Completed' || r.output !== 32);
    if (wrong.length > 0) throw new Error(`${wrong.length} instances did not complete correctly: ${JSON.stringify(wrong[0])}`);
    const workItems = rt.counters.orchestratorEpisodes - episodesBefore + (rt.counters.activityRuns - activitiesBefore);
    return {
      seconds,
      cpuSeconds,
      orchestrationsPerSecond: instances / seconds,
      workItemsPerSecond: workItems / seconds,
      // CPU time of this process (it includes the HTTP client starting the instances): the rate one
      // dedicated core would reach, whatever else the machine is running.
      workItemsPerCpuSecond: workItems / cpuSeconds,
      peakRssMb: peakRss / 2 ** 20,
      peakHeapMb: peakHeap / 2 ** 20,
      workItems,
    };
  });
}

async function replayCost(activities: number): Promise<{ historyEvents: number; episodes: number; replayCpuMs: number; seconds: number }> {
  return withRuntime(':memory:', async (rt) => {
    const before = { episodes: rt.counters.orchestratorEpisodes, cpu: rt.counters.replayCpuMs };
    const started = performance.now();
    const id = `replay-${activities}`;
    await startInstance(rt, 'longChain', id, activities);
    const result = await rt.waitForInstance(id);
    if (result.output !== activities) throw new Error(`longChain(${activities}) returned ${JSON.stringify(result)}`);
    const status = (await (await fetch(`${rt.url}/runtime/webhooks/durabletask/instances/${id}?showHistory=true`)).json()) as {
      historyEvents: unknown[];
    };
    return {
      // The status API shows history as the Durable extension does: count back what it leaves out,
      // OrchestratorStarted/Completed (two per episode) and each finished activity's TaskScheduled.
      historyEvents: status.historyEvents.length + 2 * (rt.counters.orchestratorEpisodes - before.episodes) + activities,
      episodes: rt.counters.orchestratorEpisodes - before.episodes,
      replayCpuMs: rt.counters.replayCpuMs - before.cpu,
      seconds: (performance.now() - started) / 1000,
    };
  });
}

function printTable(rows: readonly Row[]): void {
  const width = Math.max(...rows.map((row) => row.measure.length));
  for (const row of rows) console.log(`${row.measure.padEnd(width)}  ${row.value}`);
}

export async function main(args: string[]): Promise<void> {
  const instances = Number(args[0] ?? 1000);
  if (!Number.isInteger(instances) || instances <= 0) throw new Error(`instances must be a positive integer, got "${args[0]}"`);
  const rows: Row[] = [];
  const storeDir = mkdtempSync(path.join(tmpdir(), 'runtime-bench-'));
  // Warm-up (JIT, module caches), not reported.
  await throughput(':memory:', Math.min(200, instances));
  try {
    const file = await throughput(storeDir, instances);
    rows.push({
      measure: `chain x5, ${instances} in flight, SQLite file: orchestrations/s`,
      value: file.orchestrationsPerSecond.toFixed(0),
    });
    rows.push({
      measure: `chain x5, ${instances} in flight, SQLite file: work items/s (wall)`,
      value: `${file.workItemsPerSecond.toFixed(0)} (${file.workItems} items in ${file.seconds.toFixed(2)} s)`,
    });
    rows.push({
      measure: `chain x5, ${instances} in flight, SQLite file: work items per CPU-second`,
      value: `${file.workItemsPerCpuSecond.toFixed(0)} (${file.cpuSeconds.toFixed(2)} s CPU)`,
    });
    rows.push({
      measure: `chain x5, ${instances} in flight: peak RSS / heap (MB)`,
      value: `${file.peakRssMb.toFixed(0)} / ${file.peakHeapMb.toFixed(0)}`,
    });
    const memory = await throughput(':memory:', instances);
    rows.push({
      measure: `chain x5, ${instances} in flight, in-memory: orchestrations/s`,
      value: memory.orchestrationsPerSecond.toFixed(0),
    });
    rows.push({ measure: `chain x5, ${instances} in flight, in-memory: work items/s (wall)`, value: memory.workItemsPerSecond.toFixed(0) });
    rows.push({
      measure: `chain x5, ${instances} in flight, in-memory: work items per CPU-second`,
      value: memory.workItemsPerCpuSecond.toFixed(0),
    });
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
  for (const activities of [25, 250]) {
    const cost = await replayCost(activities);
    rows.push({
      measure: `one instance, ${activities} sequential activities (${cost.historyEvents} history events)`,
      value: `${cost.episodes} episodes, replay time ${cost.replayCpuMs.toFixed(0)} ms total, ${(cost.replayCpuMs / cost.episodes).toFixed(2)} ms/episode, ${(activities / cost.seconds).toFixed(0)} activities/s`,
    });
  }
  rows.push({ measure: 'anchor: Azure Storage backend', value: '~5 sequential activities/s per instance' });
  rows.push({ measure: 'anchor: Durable Task Scheduler, one EP2 worker', value: '~1,400 work items/s' });
  const [load1] = loadavg();
  console.log(
    `local runtime benchmark (virtual clock, Node ${process.version}, one process; ${cpus().length} CPUs, load average ${load1?.toFixed(1)})`,
  );
  printTable(rows);
}
