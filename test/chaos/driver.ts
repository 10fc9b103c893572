/**
 * Runs chaos commands against the real app: the compiled functions on the local runtime (SQLite
 * store in a temporary folder, so a restart resumes from it), the real Azure SDK clients against the
 * emulator, one virtual clock for both (src/harness/sim/run-scenario.ts does the same for one scenario).
 * Everything reaches the app the way it does in Azure: Event Grid deliveries on the webhook,
 * decisions on the public HTTP API or as raw events on the Durable management API, the endpoint
 * lease read through the management API's entity route. The driver only observes the runtime's
 * committed instance changes (as the simulator does) and the emulator's state changes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmulator, DEMO_COORDS, emulatorAppSettings, type Emulator, type StateSnapshot } from '../../src/harness/emulator';
import { publishModelRegistered } from '../../src/harness/emulator/event-grid';
import { VirtualClock } from '../../src/harness/local-runtime/clock';
import { startRuntime, type LocalRuntime } from '../../src/harness/local-runtime/runtime';
import { endpointLeaseKey, type LeaseState } from '../../src/orchestration/endpoint-lease';
import { APPROVAL_EVENT, CONTROL_EVENT, ORCHESTRATOR_NAME } from '../../src/orchestration/events';
import type { RolloutStatus } from '../../src/plan/types';
import { describeCommand, type Actor, type ChaosCommand } from './commands';
import { ChaosChecker, isEnded, type RolloutView } from './invariants';
import {
  APPROVER,
  BASELINE_DEPLOYMENT,
  CHAOS_ENDPOINTS,
  CHAOS_EPOCH_MS,
  chaosPlan,
  chaosWorld,
  endpointOfModel,
  OPERATOR,
  rolloutBoundMinutes,
  STRANGER,
} from './world';

const MINUTE_MS = 60_000;
const API_KEY = 'chaos-key';
/**
 * The host's system keys: Event Grid deliveries take `eventgrid_extension`, the Durable management
 * API `durabletask_extension` (never the API's function key). Fixed so a failing list replays.
 */
const SYSTEM_KEYS = { eventgrid_extension: 'chaos-eventgrid-key', durabletask_extension: 'chaos-durable-key' } as const;
const EMULATOR_TOKEN = 'chaos-emulator-token';
/** The token of the app's current incarnation: a restart refuses the old one (see #restart). */
const incarnationToken = (n: number): string => `${EMULATOR_TOKEN}-${n}`;
const SIGNING_SECRET = 'chaos-approval-link-secret-0123456789';
const DURABLE = 'runtime/webhooks/durabletask';

/**
 * The suite sends every request with the right key: a 401 means the harness is wrong, and a run
 * that silently starts no rollout would check nothing (it once did, after a key change). A 403 is
 * an answer (a stranger's control or decision refused by the API).
 */
function refuseUnauthorized(what: string, status: number, body: string): void {
  if (status === 401)
    throw new Error(`chaos harness: ${what} answered ${status} (${body.slice(0, 200)}): the suite must send the right key`);
}
const ARM_API_VERSION = '2024-04-01';
/** Virtual time between checks while time passes. */
const CHECK_EVERY_MINUTES = 1;
/** Virtual time between checks while draining with no decision pending. */
const DRAIN_CHECK_EVERY_MINUTES = 15;

/** The repository root: the app the runtime loads (package.json "main" is dist/functions/*.js). */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

interface Delivery {
  readonly model: string;
  readonly version: string;
  readonly eventId: string;
  readonly eventTimeMs: number;
  deliveryCount: number;
}

interface Tracked {
  readonly id: string;
  readonly endpoint: string;
  readonly firstSeenMs: number;
  runtimeStatus: string;
  status: RolloutStatus | undefined;
  retries: number;
  pausedSinceMs: number | undefined;
  pausedMs: number;
  resumeAskedAtMs: number | undefined;
}

export interface DriverCounters {
  commands: number;
  faultsAdded: number;
  restarts: number;
  deliveries: number;
  decisions: number;
}

function endpointOfInstance(id: string): string | undefined {
  // Rollout ids start with the endpoint's slug (src/ingest/instance-id.ts).
  const slug = id.split('--')[0];
  return Object.values(CHAOS_ENDPOINTS).find((e) => e.endpoint === slug)?.endpoint;
}

export class ChaosDriver {
  readonly counters: DriverCounters = { commands: 0, faultsAdded: 0, restarts: 0, deliveries: 0, decisions: 0 };
  readonly checker: ChaosChecker;
  readonly #clock: VirtualClock;
  readonly #emulator: Emulator;
  readonly #storeDir: string;
  readonly #policyDir: string;
  readonly #seed: number;
  readonly #log: (line: string) => void;
  /** The Azure token of the app's current incarnation (the emulator accepts only this one). */
  readonly #token: { current: string };
  #runtime: LocalRuntime | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #stopObservingEmulator: () => void;
  readonly #rollouts = new Map<string, Tracked>();
  readonly #deliveries: Delivery[] = [];
  readonly #background: Promise<unknown>[] = [];
  #lastSnapshot: StateSnapshot | undefined;
  /** Paused time counts towards a deadline until the drain begins; from then on an operator resumes at once. */
  #drainStartMs: number | undefined;

  private constructor(
    seed: number,
    clock: VirtualClock,
    emulator: Emulator,
    storeDir: string,
    policyDir: string,
    log: (line: string) => void,
    token: { current: string },
  ) {
    this.#token = token;
    this.#seed = seed;
    this.#clock = clock;
    this.#emulator = emulator;
    this.#storeDir = storeDir;
    this.#policyDir = policyDir;
    this.#log = log;
    this.checker = new ChaosChecker(
      CHAOS_EPOCH_MS,
      Object.values(CHAOS_ENDPOINTS).map((e) => e.endpoint),
      BASELINE_DEPLOYMENT,
    );
    this.#stopObservingEmulator = emulator.onChange((snapshot) => this.#observeEndpoints(snapshot));
    this.#observeEndpoints(emulator.state.snapshot(clock.now(), 'start'));
  }

  static async start(seed: number, log: (line: string) => void = () => undefined): Promise<ChaosDriver> {
    const clock = new VirtualClock({ startMs: CHAOS_EPOCH_MS });
    const token = { current: incarnationToken(0) };
    const emulator = createEmulator({ clock, seed, world: chaosWorld(), ingestionDelayMinutes: 1, token: () => token.current });
    await emulator.start();
    const storeDir = await mkdtemp(path.join(tmpdir(), 'aml-rollout-chaos-store-'));
    const policyDir = await mkdtemp(path.join(tmpdir(), 'aml-rollout-chaos-policies-'));
    for (const e of Object.values(CHAOS_ENDPOINTS)) await writeFile(path.join(policyDir, `${e.policyName}.yaml`), e.policyYaml);
    const driver = new ChaosDriver(seed, clock, emulator, storeDir, policyDir, log, token);
    await driver.#startRuntime();
    return driver;
  }

  get nowMs(): number {
    return this.#clock.now();
  }

  get faultsFired(): number {
    return this.#emulator.faultsFired().reduce((a, b) => a + b, 0);
  }

  /** The rollouts seen so far, in the order they appeared. */
  rollouts(): RolloutView[] {
    return [...this.#rollouts.values()].map((t) => ({ id: t.id, endpoint: t.endpoint, runtimeStatus: t.runtimeStatus, status: t.status }));
  }

  /** The last endpoint states and the rollouts, for failure reports. */
  describeState(): string {
    const endpoints = (this.#lastSnapshot?.endpoints ?? []).map(
      (e) =>
        `  ${e.name}: traffic ${JSON.stringify(e.traffic)} mirror ${JSON.stringify(e.mirrorTraffic)} deployments ${e.deployments.map((d) => `${d.name}(${d.provisioningState})`).join(', ')}`,
    );
    const rollouts = [...this.#rollouts.values()].map(
      (t) =>
        `  ${t.id}: ${t.runtimeStatus}/${t.status?.phase ?? '-'} step ${t.status?.step.index ?? '-'} ${t.status?.step.kind ?? ''} ${t.status?.outcome ?? ''} ${t.status?.reason ?? ''}`,
    );
    return [`at minute ${((this.nowMs - CHAOS_EPOCH_MS) / MINUTE_MS).toFixed(1)}:`, ...endpoints, ...rollouts].join('\n');
  }

  async #startRuntime(): Promise<void> {
    const runtime = await startRuntime({
      app: REPO_ROOT,
      port: 0,
      clock: this.#clock,
      store: this.#storeDir,
      functionKey: API_KEY,
      systemKeys: SYSTEM_KEYS,
      log: (message) => this.#log(`[runtime] ${message}`),
      settings: {
        ...emulatorAppSettings(this.#emulator, this.#token.current),
        POLICY_DIR: this.#policyDir,
        ROLLOUT_API_KEY: API_KEY,
        APPROVAL_LINK_SECRET: SIGNING_SECRET,
        RANDOM_SEED: String(this.#seed),
      },
    });
    this.#runtime = runtime;
    this.#unsubscribe = runtime.onInstanceChange((id) => this.#observeInstance(runtime, id));
  }

  #observeInstance(runtime: LocalRuntime, id: string): void {
    const row = runtime.getInstance(id);
    if (!row || row.name !== ORCHESTRATOR_NAME) return;
    const endpoint = endpointOfInstance(id);
    if (!endpoint) return;
    let tracked = this.#rollouts.get(id);
    if (!tracked) {
      tracked = {
        id,
        endpoint,
        firstSeenMs: this.nowMs,
        runtimeStatus: row.status,
        status: undefined,
        retries: 0,
        pausedSinceMs: undefined,
        pausedMs: 0,
        resumeAskedAtMs: undefined,
      };
      this.#rollouts.set(id, tracked);
    }
    tracked.runtimeStatus = row.status;
    if (row.customStatus) tracked.status = JSON.parse(row.customStatus) as RolloutStatus;
    const paused = tracked.status?.phase === 'Paused' && !isEnded(tracked);
    if (paused && tracked.pausedSinceMs === undefined) tracked.pausedSinceMs = this.nowMs;
    if (!paused && tracked.pausedSinceMs !== undefined) {
      tracked.pausedMs += Math.max(0, Math.min(this.nowMs, this.#drainStartMs ?? this.nowMs) - tracked.pausedSinceMs);
      tracked.pausedSinceMs = undefined;
    }
    this.checker.onStatus({ id, endpoint, runtimeStatus: tracked.runtimeStatus, status: tracked.status }, this.nowMs);
  }

  #observeEndpoints(snapshot: StateSnapshot): void {
    this.#lastSnapshot = snapshot;
    for (const e of snapshot.endpoints) {
      this.checker.onEndpointState({
        endpoint: e.name,
        atMs: snapshot.atMs,
        traffic: e.traffic,
        mirror: e.mirrorTraffic,
        deployments: e.deployments,
      });
    }
  }

  async #request(what: string, url: string, init: RequestInit): Promise<{ status: number; text: string }> {
    const response = await fetch(url, init);
    const text = await response.text();
    if (response.status >= 500) this.checker.onServerError(this.nowMs, what, response.status, text);
    refuseUnauthorized(what, response.status, text);
    return { status: response.status, text };
  }

  /**
   * A webhook may answer 5xx to ask Event Grid for a redelivery when a transient Azure failure
   * stopped it (an injected fault fired meanwhile); any other 5xx is a violation.
   */
  #judgeDelivery(what: string, result: { status: number; responseText: string }, faultsFiredBefore: number): void {
    refuseUnauthorized(what, result.status, result.responseText);
    if (result.status >= 500 && this.faultsFired === faultsFiredBefore)
      this.checker.onServerError(this.nowMs, what, result.status, result.responseText);
  }

  #identity(actor: Actor, allowed: string): string {
    return actor === 'allowed' ? allowed : STRANGER;
  }

  #pickRollout(pick: number): Tracked | undefined {
    const all = [...this.#rollouts.values()];
    return all.length === 0 ? undefined : all[pick % all.length];
  }

  /** Runs one command, then checks every invariant. */
  async execute(command: ChaosCommand): Promise<void> {
    this.counters.commands++;
    this.#log(`> ${describeCommand(command)}`);
    if (command.kind === 'advance') {
      await this.#advance(command.minutes, CHECK_EVERY_MINUTES);
      return;
    }
    await this.#clock.runBusy(() => this.#run(command));
    await this.#advance(0, CHECK_EVERY_MINUTES);
  }

  async #run(command: Exclude<ChaosCommand, { kind: 'advance' }>): Promise<void> {
    const runtime = this.#runtime as LocalRuntime;
    switch (command.kind) {
      case 'register': {
        const endpoint = CHAOS_ENDPOINTS[command.endpoint];
        const version = String(command.version);
        const eventTimeMs = this.nowMs;
        const firedBefore = this.faultsFired;
        const result = await publishModelRegistered({
          runtimeUrl: runtime.url,
          functionKey: SYSTEM_KEYS.eventgrid_extension,
          model: endpoint.model,
          version,
          clock: this.#clock,
          eventTimeMs,
          ...(command.known ? { emulator: this.#emulator } : { workspace: DEMO_COORDS }),
        });
        this.counters.deliveries++;
        this.#deliveries.push({ model: endpoint.model, version, eventId: result.eventId, eventTimeMs, deliveryCount: 0 });
        this.#judgeDelivery(`ModelRegistered ${endpoint.model}:${version}`, result, firedBefore);
        return;
      }
      case 'redeliver': {
        if (this.#deliveries.length === 0) return;
        const delivery = this.#deliveries[command.pick % this.#deliveries.length] as Delivery;
        delivery.deliveryCount++;
        const firedBefore = this.faultsFired;
        const result = await publishModelRegistered({
          runtimeUrl: runtime.url,
          functionKey: SYSTEM_KEYS.eventgrid_extension,
          model: delivery.model,
          version: delivery.version,
          workspace: DEMO_COORDS,
          eventId: delivery.eventId,
          eventTimeMs: delivery.eventTimeMs,
          deliveryCount: delivery.deliveryCount,
        });
        this.counters.deliveries++;
        this.#judgeDelivery(`redelivered ModelRegistered ${delivery.model}:${delivery.version}`, result, firedBefore);
        return;
      }
      case 'control':
      case 'decide': {
        const rollout = this.#pickRollout(command.pick);
        if (!rollout) return;
        const action = command.kind === 'control' ? command.action : command.decision;
        const by = this.#identity(command.by, command.kind === 'control' ? OPERATOR : APPROVER);
        const sentAtMs = this.nowMs;
        let accepted: boolean;
        if (command.via === 'api') {
          const answer = await this.#request(
            `POST /api/rollouts/${rollout.id}/${action}`,
            `${runtime.url}/api/rollouts/${encodeURIComponent(rollout.id)}/${action}`,
            {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-functions-key': API_KEY },
              body: JSON.stringify({ by, comment: `chaos ${action}` }),
            },
          );
          accepted = answer.status === 202;
        } else {
          const running = !isEnded(rollout);
          const event =
            command.kind === 'control'
              ? { action, by, atMs: sentAtMs, comment: `chaos ${action}` }
              : {
                  decision: action,
                  by,
                  step: rollout.status?.step.index ?? 0,
                  rolloutId: rollout.id,
                  atMs: sentAtMs,
                  comment: `chaos ${action}`,
                };
          const name = command.kind === 'control' ? CONTROL_EVENT : APPROVAL_EVENT;
          const answer = await this.#request(
            `raiseEvent ${name} on ${rollout.id}`,
            `${runtime.url}/${DURABLE}/instances/${encodeURIComponent(rollout.id)}/raiseEvent/${name}?code=${SYSTEM_KEYS.durabletask_extension}`,
            {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(event),
            },
          );
          accepted = answer.status === 202 && running;
        }
        if (accepted) {
          this.counters.decisions++;
          if (action === 'retry') rollout.retries++;
          this.checker.onDecision({ rolloutId: rollout.id, action, by, sentAtMs });
        }
        return;
      }
      case 'fault': {
        const minute = (this.nowMs - this.#emulator.originMs) / MINUTE_MS;
        this.#emulator.addFault({
          target: command.target,
          ...(command.operation !== undefined ? { operation: command.operation } : {}),
          status: command.status,
          ...(command.minutes !== undefined ? { fromMinute: minute, toMinute: minute + command.minutes } : { count: command.count ?? 1 }),
        });
        this.counters.faultsAdded++;
        return;
      }
      case 'restart': {
        this.#unsubscribe?.();
        await runtime.stop();
        // A stopped runtime's abandoned activities may still be running in this process; a killed
        // process would make no more calls, so the emulator refuses the old incarnation's token.
        this.#token.current = incarnationToken(this.counters.restarts + 1);
        this.counters.restarts++;
        await this.#startRuntime();
        return;
      }
      case 'loseDeployments':
        this.#loseDeployments(CHAOS_ENDPOINTS[command.endpoint].endpoint);
        return;
    }
  }

  /**
   * Someone outside the app resets the endpoint (as when Azure's side was recreated, issue 10
   * defect 10): every live request goes back to the deployment with the most traffic, mirroring
   * stops, and once that update is done the other deployments are deleted. Through the emulator's
   * ARM API, as a person with the portal would.
   */
  #loseDeployments(endpoint: string): void {
    const work = this.#clock.runBusy(async () => {
      const url = `${this.#emulator.url}/subscriptions/${DEMO_COORDS.subscriptionId}/resourceGroups/${DEMO_COORDS.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${DEMO_COORDS.workspace}/onlineEndpoints/${endpoint}`;
      const headers = { authorization: `Bearer ${this.#token.current}`, 'content-type': 'application/json' };
      const read = await fetch(`${url}?api-version=${ARM_API_VERSION}`, { headers });
      if (read.status !== 200) return;
      const body = (await read.json()) as { location: string; properties: Record<string, unknown> & { traffic?: Record<string, number> } };
      const traffic = body.properties.traffic ?? {};
      const live = Object.entries(traffic).sort((a, b) => b[1] - a[1])[0]?.[0] ?? BASELINE_DEPLOYMENT;
      const put = await fetch(`${url}?api-version=${ARM_API_VERSION}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ ...body, properties: { ...body.properties, traffic: { [live]: 100 }, mirrorTraffic: {} } }),
      });
      if (put.status >= 300) return;
      await this.#clock.sleep(3 * MINUTE_MS);
      const list = await fetch(`${url}/deployments?api-version=${ARM_API_VERSION}`, { headers });
      if (list.status !== 200) return;
      const deployments = ((await list.json()) as { value: { name: string }[] }).value.map((d) => d.name);
      for (const name of deployments.filter((d) => d !== live)) {
        await fetch(`${url}/deployments/${name}?api-version=${ARM_API_VERSION}`, { method: 'DELETE', headers });
      }
    });
    this.#background.push(work.catch((error: unknown) => this.#log(`lose deployments of ${endpoint}: ${String(error)}`)));
  }

  async #leases(): Promise<Map<string, LeaseState | undefined>> {
    const runtime = this.#runtime as LocalRuntime;
    const leases = new Map<string, LeaseState | undefined>();
    for (const e of Object.values(CHAOS_ENDPOINTS)) {
      const key = endpointLeaseKey({
        subscriptionId: DEMO_COORDS.subscriptionId,
        resourceGroup: DEMO_COORDS.resourceGroup,
        workspace: DEMO_COORDS.workspace,
        endpoint: e.endpoint,
      });
      const answer = await this.#request(
        `GET lease of ${e.endpoint}`,
        `${runtime.url}/${DURABLE}/entities/endpointLease/${encodeURIComponent(key)}?code=${SYSTEM_KEYS.durabletask_extension}`,
        {},
      );
      leases.set(e.endpoint, answer.status === 200 ? (JSON.parse(answer.text) as LeaseState) : undefined);
    }
    return leases;
  }

  async #check(): Promise<void> {
    await this.#clock.runBusy(async () => {
      // The emulator applies finished Azure operations when it is called; the checker looks now.
      this.#emulator.advance();
      this.checker.check(this.nowMs, this.rollouts(), await this.#leases());
    });
  }

  /** Lets `minutes` of virtual time pass, checking every `every` minutes (and once at the end). */
  async #advance(minutes: number, every: number): Promise<void> {
    let left = minutes;
    do {
      const slice = Math.min(left, every);
      await this.#clock.runBusy(() => this.#clock.sleep(slice * MINUTE_MS));
      left -= slice;
      await this.#check();
    } while (left > 0);
  }

  /**
   * The deadline of every rollout not ended yet: registered at t, it may wait for every rollout of
   * its endpoint registered before it, then live its own bound; a retry grants its bound again;
   * paused time does not count.
   */
  #deadlines(): Map<string, { deadlineMs: number; boundMinutes: number; sinceMs: number }> {
    const deadlines = new Map<string, { deadlineMs: number; boundMinutes: number; sinceMs: number }>();
    const all = [...this.#rollouts.values()];
    for (const rollout of all) {
      if (isEnded(rollout)) continue;
      const ahead = all.filter((r) => r.endpoint === rollout.endpoint && r.firstSeenMs <= rollout.firstSeenMs);
      const pausedUntil = this.#drainStartMs ?? this.nowMs;
      const paused = all
        .filter((r) => r.endpoint === rollout.endpoint)
        .reduce((sum, r) => sum + r.pausedMs + (r.pausedSinceMs !== undefined ? Math.max(0, pausedUntil - r.pausedSinceMs) : 0), 0);
      const bound = ahead.reduce((sum, r) => {
        const endpoint = endpointOfModel(r.status?.model ?? '') ?? Object.values(CHAOS_ENDPOINTS).find((e) => e.endpoint === r.endpoint);
        const version = r.status?.version ?? '2';
        return sum + (endpoint ? rolloutBoundMinutes(chaosPlan(endpoint, version)) * (1 + r.retries) : 0);
      }, 0);
      deadlines.set(rollout.id, {
        deadlineMs: rollout.firstSeenMs + bound * MINUTE_MS + paused,
        boundMinutes: bound,
        sinceMs: rollout.firstSeenMs,
      });
    }
    return deadlines;
  }

  /** An operator resumes every paused rollout (once per pause). */
  async #resumePaused(): Promise<void> {
    const ids = [...this.#rollouts.keys()];
    for (const rollout of [...this.#rollouts.values()]) {
      if (isEnded(rollout) || !(rollout.status?.phase === 'Paused' || rollout.status?.paused)) continue;
      if (rollout.resumeAskedAtMs !== undefined && rollout.resumeAskedAtMs >= (rollout.pausedSinceMs ?? 0)) continue;
      rollout.resumeAskedAtMs = this.nowMs;
      await this.execute({ kind: 'control', pick: ids.indexOf(rollout.id), action: 'resume', by: 'allowed', via: 'api' });
    }
  }

  /**
   * The end of a run: an operator resumes what is paused (a pause waits for a person by design),
   * then time runs until every rollout has ended or one outlives its bound; then the deployments
   * left behind are judged. A run that has broken an invariant already stops draining.
   */
  async drain(): Promise<void> {
    this.#drainStartMs = this.nowMs;
    await Promise.allSettled(this.#background);
    // A run that has already broken an invariant stops here: its report is what matters, and
    // shrinking a failure replays many failing lists.
    while (this.checker.violations.length === 0) {
      await this.#resumePaused();
      const deadlines = this.#deadlines();
      if (deadlines.size === 0) break;
      const overdue = [...deadlines.entries()].filter(([, d]) => this.nowMs > d.deadlineMs);
      if (overdue.length > 0) {
        for (const [id, d] of overdue) {
          const rollout = this.rollouts().find((r) => r.id === id) as RolloutView;
          this.checker.overdue(this.nowMs, rollout, d.boundMinutes, d.sinceMs);
        }
        return;
      }
      await this.#advance(DRAIN_CHECK_EVERY_MINUTES, DRAIN_CHECK_EVERY_MINUTES);
    }
    if (this.checker.violations.length > 0) return;
    // Operations still running on Azure (a delete accepted at the end) finish first.
    await this.#advance(15, 5);
    const snapshot = this.#emulator.state.snapshot(this.nowMs, 'end');
    for (const e of snapshot.endpoints) {
      this.checker.finalDeployments(
        this.nowMs,
        { endpoint: e.name, atMs: snapshot.atMs, traffic: e.traffic, mirror: e.mirrorTraffic, deployments: e.deployments },
        this.rollouts(),
      );
    }
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#stopObservingEmulator();
    await this.#runtime?.stop();
    await this.#emulator.stop();
    this.#clock.dispose();
    await Promise.allSettled(this.#background);
    await rm(this.#storeDir, { recursive: true, force: true });
    await rm(this.#policyDir, { recursive: true, force: true });
  }
}
