/**
 * Runs one scenario through the real app: the local runtime (virtual clock, in-memory store)
 * loads the compiled functions, the real Azure SDK clients talk to the emulator, the
 * ModelRegistered event arrives through the Event Grid webhook and approvals through the public
 * API, exactly as in docs/scenario-format.md. One scenario per process: the app's modules
 * keep their configuration for the life of the process.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createEmulator, DEMO_COORDS, emulatorAppSettings, type StateSnapshot, type WorldSpec } from '../emulator';
import { EVENT_GRID_RETRY_DELAYS_MS, isRetriedByEventGrid, publishModelRegistered } from '../emulator/event-grid';
import { ValidationError } from '../../errors';
import { VirtualClock } from '../local-runtime/clock';
import { startRuntime, type LocalRuntime } from '../local-runtime/runtime';
import { ORCHESTRATOR_NAME } from '../../orchestration/events';
import type { RolloutStatus } from '../../plan/types';
import { parsePolicy } from '../../policy';
import { readAgreementDataset } from '../../policy-store';
import { observedViolations, type ObservedState } from './invariants';
import { buildResult, type EndpointSnapshot, type SimResult, type StatusObservation } from './result';
import type { Scenario } from './scenario';

/** Every scenario starts at the same virtual instant, so results do not depend on the day they run. */
const SIMULATION_EPOCH_MS = Date.UTC(2026, 0, 5, 9, 0, 0);
const MINUTE_MS = 60_000;
const EMULATOR_TOKEN = 'simulator-token';
const API_KEY = 'simulator-key';
const SIGNING_SECRET = 'simulator-approval-link-secret';

export interface RunScenarioOptions {
  /** The scenario file, for resolving a relative policy path. */
  readonly scenarioFile: string;
  /** The compiled app (folder with package.json "main", or an entry file). */
  readonly app: string;
  /** Runtime diagnostics (default: dropped, so results stay clean). */
  readonly log?: (message: string) => void;
  /** Each custom status the rollout publishes, as the runtime stored it (JSON text): `npm run bench -- status-size`. */
  readonly onStatus?: (json: string) => void;
}

/** The policy the scenario names, with the scenario's endpoint and model in place of the policy's. */
export async function resolveScenarioPolicy(scenario: Scenario, scenarioFile: string): Promise<Record<string, unknown>> {
  let raw: unknown;
  let source: string;
  if (typeof scenario.policy === 'string') {
    const candidates = [path.resolve(path.dirname(scenarioFile), scenario.policy), path.resolve(scenario.policy)];
    let text: string | undefined;
    source = candidates[0]!;
    for (const candidate of candidates) {
      text = await readFile(candidate, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        source = candidate;
        break;
      }
    }
    if (text === undefined) throw new ValidationError(`${scenarioFile}: policy`, `no policy file at ${candidates.join(' or ')}`);
    parsePolicy(text, source); // a bad policy fails here, naming its file and path
    raw = parseYaml(text, { merge: true });
  } else {
    source = `${scenarioFile}: policy`;
    raw = scenario.policy;
  }
  const policy = structuredClone(raw) as Record<string, unknown>;
  policy['target'] = { ...((policy['target'] as Record<string, unknown> | undefined) ?? {}), endpoint: scenario.endpoint };
  policy['match'] = { model: scenario.register.model };
  parsePolicy(JSON.stringify(policy), source);
  // The app reads the policy from a folder of its own: a dataset file beside the policy travels as rows.
  const agreement = policy['predictionAgreement'] as { dataset?: { file?: unknown } } | undefined;
  if (typeof agreement?.dataset?.file === 'string') {
    const rows = await readAgreementDataset(agreement.dataset.file, typeof scenario.policy === 'string' ? source : scenarioFile);
    policy['predictionAgreement'] = { ...agreement, dataset: { rows } };
  }
  return policy;
}

function worldOf(scenario: Scenario): WorldSpec {
  const { live } = scenario;
  return {
    ...DEMO_COORDS,
    models: [{ model: live.model, version: live.version }],
    endpoints: [
      {
        name: scenario.endpoint,
        deployments: [
          {
            name: live.deployment,
            model: live.model,
            version: live.version,
            ...(live.capacity === undefined ? {} : { capacity: live.capacity }),
            ...(live.instanceType === undefined ? {} : { instanceType: live.instanceType }),
          },
        ],
        traffic: { [live.deployment]: 100 },
        requestsPerMinute: scenario.traffic.requestsPerMinute,
      },
    ],
    behavior: scenario.behavior,
  };
}

function isTerminalRuntimeStatus(status: string): boolean {
  return status === 'Completed' || status === 'Failed' || status === 'Terminated';
}

export async function runScenario(scenario: Scenario, options: RunScenarioOptions): Promise<SimResult> {
  const wallStart = performance.now();
  const policy = await resolveScenarioPolicy(scenario, options.scenarioFile);
  const policyDir = await mkdtemp(path.join(tmpdir(), 'aml-rollout-sim-'));
  const policyName = typeof policy['name'] === 'string' ? policy['name'] : 'scenario-policy';
  await writeFile(path.join(policyDir, `${policyName}.json`), JSON.stringify(policy, null, 2));

  const clock = new VirtualClock({ startMs: SIMULATION_EPOCH_MS });
  const minuteOf = (ms: number): number => (ms - SIMULATION_EPOCH_MS) / MINUTE_MS;
  const emulator = createEmulator({
    clock,
    seed: scenario.seed,
    world: worldOf(scenario),
    ingestionDelayMinutes: scenario.ingestionDelayMinutes,
    faults: scenario.faults,
    ...(scenario.customTables ? { customTables: scenario.customTables } : {}),
    token: EMULATOR_TOKEN,
  });
  await emulator.start();

  const snapshots: EndpointSnapshot[] = [];
  const statuses: StatusObservation[] = [];
  const violations: string[] = [];
  const smokeTested = new Set<string>([scenario.live.deployment]);
  let previousObserved: ObservedState | undefined;
  const newModelKey = `${scenario.register.model}:${scenario.register.version}`;

  const observeEndpoint = (snapshot: StateSnapshot): void => {
    const endpoint = snapshot.endpoints.find((e) => e.name === scenario.endpoint);
    if (!endpoint) return;
    const observed: EndpointSnapshot = {
      minute: minuteOf(snapshot.atMs),
      traffic: endpoint.traffic,
      mirror: endpoint.mirrorTraffic,
      deployments: endpoint.deployments.map((d) => ({ name: d.name, provisioningState: d.provisioningState, modelKey: d.modelKey })),
    };
    snapshots.push(observed);
    violations.push(...observedViolations(previousObserved, observed, { baseline: scenario.live.deployment, smokeTested }));
    previousObserved = observed;
  };
  const stopObservingEndpoint = emulator.onChange(observeEndpoint);
  observeEndpoint(emulator.state.snapshot(clock.now(), 'start'));

  let runtime: LocalRuntime | undefined;
  let rolloutId: string | undefined;
  const notes: string[] = [];
  try {
    runtime = await startRuntime({
      app: options.app,
      port: 0,
      clock,
      store: ':memory:',
      functionKey: API_KEY,
      log: options.log ?? (() => undefined),
      settings: {
        ...emulatorAppSettings(emulator, EMULATOR_TOKEN),
        POLICY_DIR: policyDir,
        ROLLOUT_API_KEY: API_KEY,
        APPROVAL_LINK_SECRET: SIGNING_SECRET,
        // Retry back-off jitter drawn from the scenario's seed: same file and seed, same result.
        RANDOM_SEED: String(scenario.seed),
      },
    });
    const rt = runtime;

    // The rollout's status, every time its orchestration commits a change.
    let finished: (() => void) | undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    rt.onInstanceChange((instanceId) => {
      const row = rt.getInstance(instanceId);
      if (!row || row.name !== ORCHESTRATOR_NAME) return;
      if (rolloutId === undefined) rolloutId = instanceId;
      if (instanceId !== rolloutId) return;
      if (row.customStatus) {
        options.onStatus?.(row.customStatus);
        const status = JSON.parse(row.customStatus) as RolloutStatus;
        statuses.push({ minute: minuteOf(clock.now()), status });
        // A candidate that moved past its smoke test without failing it has passed it.
        if (
          status.step.kind !== 'smokeTest' &&
          status.step.kind !== 'deploy' &&
          status.step.kind !== 'none' &&
          !['RollingBack', 'RolledBack', 'Failed'].includes(status.phase)
        ) {
          smokeTested.add(status.candidate);
        }
      }
      if (isTerminalRuntimeStatus(row.status)) finished?.();
    });

    const registered = clock.runBusy(async () => {
      await clock.sleep(scenario.register.atMinute * MINUTE_MS);
      const behavior = scenario.behavior[newModelKey];
      // One event, redelivered as Event Grid does: same id and event time, deliveryCount counting up,
      // on Event Grid's documented schedule, until it is delivered or answered with a code Event
      // Grid does not retry (docs/azure-fidelity.md, Event Grid rows).
      const eventTimeMs = clock.now();
      for (let attempt = 0; ; attempt++) {
        const delivery = await publishModelRegistered({
          runtimeUrl: rt.url,
          // Event Grid subscriptions to a Function App carry the Event Grid extension's system key.
          ...(rt.systemKeys ? { functionKey: rt.systemKeys.eventgrid_extension } : {}),
          emulator,
          clock,
          eventTimeMs,
          deliveryCount: attempt,
          model: scenario.register.model,
          version: scenario.register.version,
          tags: scenario.register.tags,
          ...(behavior ? { behavior } : {}),
        });
        if (delivery.delivered) break;
        notes.push(`ModelRegistered delivery ${attempt + 1} answered ${delivery.status}: ${delivery.responseText}`);
        const waitMs = EVENT_GRID_RETRY_DELAYS_MS[attempt];
        if (!isRetriedByEventGrid(delivery.status) || waitMs === undefined) break;
        await clock.sleep(waitMs);
      }
    });

    // Approvals and operator controls take the same public route: POST /api/rollouts/{id}/{action}.
    const requests = [
      ...scenario.approvals.map((a) => ({ atMinute: a.atMinute, action: a.decision, by: a.by, comment: a.comment })),
      ...scenario.controls.map((c) => ({ atMinute: c.atMinute, action: c.action, by: c.by, comment: c.comment })),
    ];
    const decisions = requests.map((request) =>
      clock.runBusy(async () => {
        await clock.sleep(request.atMinute * MINUTE_MS);
        if (!rolloutId) {
          notes.push(`minute ${request.atMinute}: ${request.action} by ${request.by} found no rollout to decide`);
          return;
        }
        const response = await fetch(`${rt.url}/api/rollouts/${encodeURIComponent(rolloutId)}/${request.action}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-functions-key': API_KEY },
          body: JSON.stringify({ by: request.by, ...(request.comment ? { comment: request.comment } : {}) }),
        });
        if (!response.ok)
          notes.push(
            `minute ${request.atMinute}: ${request.action} by ${request.by} refused (${response.status}): ${await response.text()}`,
          );
      }),
    );

    const deadline = clock.runBusy(() => clock.sleep(scenario.maxMinutes * MINUTE_MS));
    await Promise.race([done, deadline]);
    await registered;
    await Promise.race([Promise.allSettled(decisions), deadline]);
    emulator.advance();
  } finally {
    stopObservingEndpoint();
    await runtime?.stop();
    await emulator.stop();
    clock.dispose();
    await rm(policyDir, { recursive: true, force: true });
  }

  const served = emulator.servedCounts();
  const requests: Record<string, { total: number; errors: number }> = {};
  for (const key of Object.keys(served).sort()) requests[key] = { total: served[key]!.total, errors: served[key]!.errors };

  const result = buildResult({
    scenario: scenario.name,
    newModelKey,
    startMinute: 0,
    snapshots,
    statuses,
    requests,
    counts: {
      logQueries: emulator.counters.logQueries,
      metricQueries: emulator.counters.metricQueries,
      armReads: emulator.counters.armReads,
      armWrites: emulator.counters.armWrites,
      activityRuns: runtime?.counters.activityRuns ?? 0,
      orchestratorEpisodes: runtime?.counters.orchestratorEpisodes ?? 0,
    },
    invariantViolations: violations,
    wallMs: Math.round(performance.now() - wallStart),
  });
  return notes.length > 0 ? { ...result, notes } : result;
}
