/**
 * Request routing, simulated answers and the synthetic traffic generator. Scoring calls (HTTP)
 * and generated traffic go through the same `route` and `serve`, so both see the same traffic
 * split, mirror and model behaviour, and both land in the same traffic log.
 */
import { isFailedResponse } from '../../analysis/queries';
import type { ArmState, RouteTable } from './arm-state';
import type { BehaviorBook } from './behavior';
import type { CustomTables } from './custom-tables';
import { sampleLatencyMs } from './behavior';
import type { Random } from './prng';
import type { RequestKind, TrafficLog } from './traffic-log';
import type { TrafficSchedule } from './types';

interface RouteDecision {
  /** Deployment that answers, or undefined when no deployment can (404 in Azure). */
  readonly deployment: string | undefined;
  /** Deployment that receives a copy (mirrored traffic), if any. */
  readonly mirror: string | undefined;
}

/**
 * Azure's routing: a pinned request (azureml-model-deployment header) goes to that deployment and
 * is never mirrored; otherwise a weighted draw over the live split, plus a mirror copy with the
 * mirror percentage. Always consumes two draws, so one request's routing never shifts the next.
 */
function route(table: RouteTable | undefined, pinned: string | undefined, random: Random): RouteDecision {
  const pick = random.next();
  const mirrorDraw = random.next();
  if (pinned !== undefined) return { deployment: pinned, mirror: undefined };
  if (!table) return { deployment: undefined, mirror: undefined };
  const total = table.traffic.reduce((sum, [, weight]) => sum + weight, 0);
  let deployment: string | undefined;
  if (total > 0) {
    let threshold = pick * total;
    for (const [name, weight] of table.traffic) {
      deployment = name;
      threshold -= weight;
      if (threshold < 0) break;
    }
  }
  const mirror = table.mirror && deployment !== undefined && mirrorDraw * 100 < table.mirror.percent ? table.mirror.deployment : undefined;
  return { deployment, mirror };
}

export interface ServedRequest {
  readonly responseCode: number;
  readonly modelStatusCode: number;
  readonly totalDurationMs: number;
  readonly modelKey: string;
  readonly deployment: string;
  /** Index of the request's row in the traffic log. */
  readonly row: number;
  readonly message: string;
}

export interface ServedCounts {
  total: number;
  errors: number;
}

export interface ServedCountsByKind {
  readonly live: ServedCounts;
  readonly mirror: ServedCounts;
  readonly pinned: ServedCounts;
}

export class RequestServer {
  /** Per "model:version": requests answered, by kind. */
  readonly counts = new Map<string, ServedCountsByKind>();
  /** Per "endpoint/deployment": when each request in flight ends (for the pending-request limit). */
  private readonly inFlight = new Map<string, number[]>();

  constructor(
    private readonly deps: {
      readonly state: ArmState;
      readonly behaviors: BehaviorBook;
      readonly log: TrafficLog;
      readonly originMs: number;
      /** The app's own log tables, filled per answered request (scenario customTables). */
      readonly customTables?: CustomTables;
    },
  ) {}

  /**
   * Answers one request at `timeMs` on one deployment (or none), appends its log row, and counts it.
   * `kind` says whether it was routed by the split (live), copied (mirror) or pinned by header.
   */
  serve(args: {
    timeMs: number;
    endpoint: string;
    table: RouteTable | undefined;
    deployment: string | undefined;
    kind: RequestKind;
    random: Random;
    userAgent: string;
    requestPayloadSize: number;
    /** See handle(). */
    occupiesPendingSlot: boolean;
  }): ServedRequest {
    const { random } = args;
    const errorDraw = random.next();
    const requestIdHigh = Math.floor(random.next() * 4294967296);
    const requestIdLow = Math.floor(random.next() * 4294967296);
    const requestDurationMs = random.int(0, 2);
    const responseDurationMs = random.int(0, 2);
    const info = args.deployment === undefined ? undefined : args.table?.deployments.get(args.deployment);
    let responseCode: number;
    let modelStatusCode: number;
    let totalDurationMs: number;
    let modelKey = '';
    let message: string;
    if (args.deployment === undefined) {
      responseCode = 404;
      modelStatusCode = 0;
      totalDurationMs = 1 + requestDurationMs;
      message =
        'No valid deployments to route to. Please check that the endpoint has at least one deployment with positive weight values or use a deployment specific header to route.';
      random.normal(); // keep the draw count per request constant
    } else if (!info) {
      responseCode = 404;
      modelStatusCode = 0;
      totalDurationMs = 1 + requestDurationMs;
      message = `Deployment '${args.deployment}' does not exist on endpoint '${args.endpoint}'.`;
      random.normal();
    } else if (!info.serving) {
      responseCode = 503;
      modelStatusCode = 0;
      totalDurationMs = 1 + requestDurationMs;
      modelKey = info.modelKey;
      message = `Deployment '${args.deployment}' is not ready to serve requests.`;
      random.normal();
    } else {
      modelKey = info.modelKey;
      const minute = (args.timeMs - this.deps.originMs) / 60_000;
      const behavior = this.deps.behaviors.at(modelKey, minute);
      const latencyMs = sampleLatencyMs(behavior, random);
      const pending = this.pendingOn(args.endpoint, args.deployment, args.timeMs);
      // A real container's failures hit every request it serves (live, mirrored, pinned);
      // smokeTestFails additionally fails requests pinned to the deployment (the smoke test).
      const modelFails = errorDraw < behavior.errorRate || (args.kind === 'pinned' && behavior.smokeTestFails);
      if (pending.length >= info.maxPendingRequests) {
        // Too many pending requests: rejected before the container sees it.
        responseCode = 429;
        modelStatusCode = 0;
        totalDurationMs = 1 + requestDurationMs;
        message = `Too many pending requests on deployment '${args.deployment}' (at most ${info.maxPendingRequests}: 2 x maxConcurrentRequestsPerInstance x instances).`;
      } else if (latencyMs > info.requestTimeoutMs) {
        // The container is still working when requestSettings.requestTimeout runs out.
        responseCode = 408;
        modelStatusCode = 0;
        totalDurationMs = info.requestTimeoutMs;
        message = `The request timed out after ${info.requestTimeoutMs} ms (requestSettings.requestTimeout).`;
      } else {
        // A container that answers non-200 makes the endpoint answer 424; ModelStatusCode keeps its code.
        responseCode = modelFails ? 424 : 200;
        modelStatusCode = modelFails ? 500 : 200;
        totalDurationMs = latencyMs;
        message = modelFails ? 'Model Error: the scoring script answered 500. Check the deployment logs for more info.' : 'ok';
      }
      if (responseCode !== 429 && args.occupiesPendingSlot) pending.push(args.timeMs + totalDurationMs);
    }
    const row = this.deps.log.append({
      timeMs: args.timeMs,
      endpoint: args.endpoint,
      deployment: args.deployment ?? '',
      modelKey,
      responseCode,
      modelStatusCode,
      totalDurationMs,
      requestDurationMs: Math.min(requestDurationMs, totalDurationMs),
      responseDurationMs: Math.min(responseDurationMs, totalDurationMs),
      requestPayloadSize: args.requestPayloadSize,
      responsePayloadSize: responseCode === 200 ? 64 + random.int(0, 32) : 120,
      requestIdHigh,
      requestIdLow,
      kind: args.kind,
      userAgent: args.userAgent,
    });
    if (responseCode === 200 && this.deps.customTables) {
      // The app logs what it returned; its rows reach Log Analytics with the request's own delay.
      this.deps.customTables.record({
        timeMs: args.timeMs,
        visibleAtMs: this.deps.log.visibleAtMs(row),
        endpoint: args.endpoint,
        deployment: args.deployment ?? '',
        modelKey,
      });
    }
    if (info?.serving === true) {
      let counts = this.counts.get(modelKey);
      if (!counts) {
        counts = { live: { total: 0, errors: 0 }, mirror: { total: 0, errors: 0 }, pinned: { total: 0, errors: 0 } };
        this.counts.set(modelKey, counts);
      }
      const bucket = counts[args.kind];
      bucket.total++;
      if (isFailedResponse(responseCode)) bucket.errors++;
    }
    return { responseCode, modelStatusCode, totalDurationMs, modelKey, deployment: args.deployment ?? '', row, message };
  }

  /** The requests still in flight on a deployment at `timeMs` (finished ones are dropped). */
  private pendingOn(endpoint: string, deployment: string, timeMs: number): number[] {
    const key = `${endpoint}/${deployment}`;
    const ends = (this.inFlight.get(key) ?? []).filter((endMs) => endMs > timeMs);
    this.inFlight.set(key, ends);
    return ends;
  }

  /**
   * Routes and serves one request (plus its mirror copy); returns the answer the caller gets.
   * `occupiesPendingSlot`: synthetic traffic has real spacing in virtual time, so its requests
   * stay pending for their duration. A scoring call over HTTP does not: the virtual clock stands
   * still while the app works, so a caller's sequential requests (a smoke test) would all look
   * simultaneous. Those calls meet the pending-request limit but do not fill it.
   */
  handle(args: {
    timeMs: number;
    endpoint: string;
    pinned: string | undefined;
    random: Random;
    userAgent: string;
    requestPayloadSize: number;
    occupiesPendingSlot: boolean;
  }): ServedRequest {
    const table = this.deps.state.routesAt(args.timeMs).get(args.endpoint);
    const decision = route(table, args.pinned, args.random);
    const kind: RequestKind = args.pinned !== undefined ? 'pinned' : 'live';
    // Explicit objects (no spreads): this runs 432,000 times for a 12-hour scenario.
    const answer = this.serve({
      timeMs: args.timeMs,
      endpoint: args.endpoint,
      table,
      deployment: decision.deployment,
      kind,
      random: args.random,
      userAgent: args.userAgent,
      requestPayloadSize: args.requestPayloadSize,
      occupiesPendingSlot: args.occupiesPendingSlot,
    });
    if (decision.mirror !== undefined) {
      this.serve({
        timeMs: args.timeMs,
        endpoint: args.endpoint,
        table,
        deployment: decision.mirror,
        kind: 'mirror',
        random: args.random,
        userAgent: args.userAgent,
        requestPayloadSize: args.requestPayloadSize,
        occupiesPendingSlot: args.occupiesPendingSlot,
      });
    }
    return answer;
  }
}

interface Segment {
  readonly fromMs: number;
  readonly requestsPerMinute: number;
}

/**
 * Synthetic users: requests at a steady rate per schedule segment, evenly spaced, generated
 * lazily for the virtual time that has passed (no timers), in time order, so the same seed and
 * schedule give the same rows however the clock was advanced.
 */
export class TrafficGenerator {
  private segments: Segment[] = [];
  private segmentIndex = 0;
  private indexInSegment = 0;
  private generatedUntilMs: number;

  constructor(
    private readonly endpoint: string,
    schedule: TrafficSchedule,
    private readonly originMs: number,
    private readonly server: RequestServer,
    private readonly random: Random,
  ) {
    this.generatedUntilMs = originMs;
    this.setSchedule(schedule);
  }

  get endpointName(): string {
    return this.endpoint;
  }

  /** Replaces the schedule for the time not generated yet. */
  setSchedule(schedule: TrafficSchedule): void {
    const entries =
      typeof schedule.requestsPerMinute === 'number'
        ? [{ fromMinute: 0, requestsPerMinute: schedule.requestsPerMinute }]
        : [...schedule.requestsPerMinute].sort((a, b) => a.fromMinute - b.fromMinute);
    const future = entries
      .map((e) => ({
        fromMs: Math.max(this.originMs + e.fromMinute * 60_000, this.generatedUntilMs),
        requestsPerMinute: e.requestsPerMinute,
      }))
      .filter((segment, i, all) => i === all.length - 1 || (all[i + 1]?.fromMs ?? 0) > segment.fromMs);
    if (future.length === 0 || (future[0]?.fromMs ?? 0) > this.generatedUntilMs)
      future.unshift({ fromMs: this.generatedUntilMs, requestsPerMinute: 0 });
    this.segments = future;
    this.segmentIndex = 0;
    this.indexInSegment = 0;
  }

  /** Time of the next request this generator would make (Infinity when the rate stays 0). */
  peekNextMs(): number {
    while (this.segmentIndex < this.segments.length) {
      const segment = this.segments[this.segmentIndex];
      if (!segment) break;
      const endMs = this.segments[this.segmentIndex + 1]?.fromMs ?? Infinity;
      const gapMs = segment.requestsPerMinute > 0 ? 60_000 / segment.requestsPerMinute : Infinity;
      const timeMs = segment.fromMs + (this.indexInSegment + 0.5) * gapMs;
      if (timeMs < endMs) return timeMs;
      this.segmentIndex++;
      this.indexInSegment = 0;
    }
    return Infinity;
  }

  /** Makes the next request (the one at peekNextMs()). */
  emitNext(): void {
    const exactMs = this.peekNextMs();
    if (!Number.isFinite(exactMs)) return;
    // Whole milliseconds: Log Analytics shows times at that precision, and tests compare them.
    const timeMs = Math.floor(exactMs);
    this.server.handle({
      timeMs,
      endpoint: this.endpoint,
      pinned: undefined,
      random: this.random,
      userAgent: 'aml-rollout-emulator-traffic/1.0',
      requestPayloadSize: 180 + this.random.int(0, 40),
      occupiesPendingSlot: true,
    });
    this.indexInSegment++;
  }

  markGeneratedUntil(nowMs: number): void {
    this.generatedUntilMs = Math.max(this.generatedUntilMs, nowMs);
  }
}

/**
 * Generates every request with a time before `nowMs` across all generators, merged in time order
 * (the traffic log is kept sorted by time). Returns how many were made.
 */
export function generateTrafficUntil(generators: readonly TrafficGenerator[], nowMs: number): number {
  let made = 0;
  for (;;) {
    let next: TrafficGenerator | undefined;
    let nextMs = Infinity;
    for (const generator of generators) {
      const t = generator.peekNextMs();
      if (t < nextMs) {
        nextMs = t;
        next = generator;
      }
    }
    if (!next || nextMs >= nowMs) break;
    next.emitNext();
    made++;
  }
  for (const generator of generators) generator.markGeneratedUntil(nowMs);
  return made;
}
