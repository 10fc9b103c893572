/**
 * What must hold after every chaos command and at the end of a run. Pure: the driver feeds it what
 * it observed (endpoint states from the emulator, rollout statuses from the runtime, the endpoint
 * leases from the Durable management API, the decisions it sent and their answers) and the virtual
 * time; the checker returns violations. Endpoint safety reuses the simulator's checker
 * (src/harness/sim/invariants.ts, itself over the controller's src/plan/invariants.ts), so the three cannot
 * disagree on what a safe endpoint state is.
 */
import type { LeaseState } from '../../src/orchestration/endpoint-lease';
import { WORKING_PHASES } from '../../src/plan/phases';
import type { Phase, RolloutStatus } from '../../src/plan/types';
import { observedViolations, type ObservedState } from '../../src/harness/sim/invariants';

const MINUTE_MS = 60_000;

/**
 * How long an accepted operator control may take to show in the rollout's status
 * (accepted, or ignored with the reason). Controls must take effect within seconds in every phase,
 * including during long Azure operations (issue 10, defect 4); on the virtual clock the orchestrator
 * reacts at the same instant unless it waits for something, so two virtual minutes is generous.
 */
export const DECISION_REACTION_MINUTES = 2;

/**
 * How long a rollout may go on while the deployment it rolls out is gone from the endpoint (an
 * Azure reset, someone's delete): each check must verify the endpoint state it relies on (issue
 * 10, defect 10), so the next gate check (every 5 minutes in the chaos policies) notices at the latest.
 */
export const LOST_DEPLOYMENT_NOTICE_MINUTES = 7;

/**
 * Phases that check the candidate deployment as they go (smoke test, traffic, gates): it was
 * created in Deploying and only a rollback removes it. An approval wait makes no checks; the step
 * after it does.
 */
const CANDIDATE_CHECKED_PHASES = new Set<Phase>(['SmokeTesting', 'Mirroring', 'Progressing', 'Baking', 'Analyzing']);

/** Two rollouts of one endpoint both active at checks at least this far apart: not the hand-over moment. */
const HANDOVER_TOLERANCE_MINUTES = 1;

export type InvariantName =
  | 'single-lease-holder'
  | 'lease-released'
  | 'ends-within-bound'
  | 'endpoint-safety'
  | 'promotion-kept'
  | 'no-orphaned-deployment'
  | 'decision-recorded'
  | 'clean-end'
  | 'notices-lost-deployment'
  | 'no-server-error';

export interface Violation {
  readonly invariant: InvariantName;
  /** Virtual minutes since the run began. */
  readonly minute: number;
  readonly message: string;
}

export interface RolloutView {
  readonly id: string;
  readonly endpoint: string;
  /** The orchestration's runtime status (Pending, Running, Completed, Failed, Terminated, ...). */
  readonly runtimeStatus: string;
  readonly status: RolloutStatus | undefined;
}

export interface EndpointObservation {
  readonly endpoint: string;
  readonly atMs: number;
  readonly traffic: Readonly<Record<string, number>>;
  readonly mirror: Readonly<Record<string, number>>;
  readonly deployments: readonly { readonly name: string; readonly provisioningState: string }[];
}

export interface SentDecision {
  readonly rolloutId: string;
  /** abort, pause, resume, promote, retry, approve or reject. */
  readonly action: string;
  /** The identity the app must record. */
  readonly by: string;
  readonly sentAtMs: number;
}

const ENDED_RUNTIME = new Set(['Completed', 'Failed', 'Terminated']);
/** Phases in which a rollout holds its endpoint and may change it. */
const ACTIVE_PHASES = new Set<Phase>([...WORKING_PHASES, 'RollingBack', 'Paused', 'Failed']);
/** Reasons that are a bug in the controller, not a cause a person can act on. */
const INTERNAL_ERROR = /cannot move to|TypeError|ReferenceError|Cannot read propert|is not a function|is not defined|\bundefined\b/;

export function isEnded(view: RolloutView): boolean {
  return ENDED_RUNTIME.has(view.runtimeStatus);
}

function recordsDecision(status: RolloutStatus, decision: SentDecision): boolean {
  const by = decision.by.toLowerCase();
  const same = (who: string): boolean => who.toLowerCase() === by;
  if (status.overrides.some((o) => o.action === decision.action && same(o.by) && o.atMs >= decision.sentAtMs)) return true;
  if (status.approvals.some((a) => a.decision === decision.action && same(a.by) && a.atMs >= decision.sentAtMs)) return true;
  return status.journal.some((j) => j.atMs >= decision.sentAtMs && j.message.toLowerCase().includes(`by ${by}`));
}

/** The stateful checker of one run. */
export class ChaosChecker {
  readonly violations: Violation[] = [];
  /** Individual invariant evaluations, for the summary. */
  checks = 0;
  readonly #originMs: number;
  readonly #previous = new Map<string, ObservedState>();
  readonly #smokeTested = new Map<string, Set<string>>();
  /** Per endpoint: the deployment a finished promotion retired, which must never take live traffic again. */
  readonly #retired = new Map<string, { deployment: string; rolloutId: string }>();
  /** Per endpoint: the active rollouts seen at the last check and when. */
  readonly #activeSeen = new Map<string, { atMs: number; ids: string }>();
  readonly #pending: SentDecision[] = [];
  /** Per rollout: since when its candidate deployment has been missing while it went on. */
  readonly #missingSince = new Map<string, number>();
  readonly #reported = new Set<string>();

  constructor(originMs: number, endpoints: readonly string[], baseline: string) {
    this.#originMs = originMs;
    for (const endpoint of endpoints) this.#smokeTested.set(endpoint, new Set([baseline]));
    this.baseline = baseline;
  }

  readonly baseline: string;

  #minute(atMs: number): number {
    return Math.round(((atMs - this.#originMs) / MINUTE_MS) * 100) / 100;
  }

  #violate(invariant: InvariantName, atMs: number, message: string, onceKey?: string): void {
    if (onceKey !== undefined) {
      if (this.#reported.has(`${invariant}|${onceKey}`)) return;
      this.#reported.add(`${invariant}|${onceKey}`);
    }
    this.violations.push({ invariant, minute: this.#minute(atMs), message });
  }

  /** A rollout's status as it changes: what passed its smoke test, and when a promotion became final. */
  onStatus(view: RolloutView, atMs: number): void {
    const status = view.status;
    if (!status) return;
    const kind = status.step.kind;
    if (
      kind !== 'smokeTest' &&
      kind !== 'deploy' &&
      kind !== 'none' &&
      !['RollingBack', 'RolledBack', 'Failed', 'Aborted', 'Superseded'].includes(status.phase)
    ) {
      this.#smokeTested.get(view.endpoint)?.add(status.candidate);
    }
    // Past the promote step and its watch (the cleanup step, or the end): the old version is retired.
    const final = (kind === 'cleanup' && status.phase === 'Promoting') || status.phase === 'Promoted';
    if (final && status.baseline.toLowerCase() !== status.candidate.toLowerCase()) {
      this.#retired.set(view.endpoint, { deployment: status.baseline, rolloutId: view.id });
    }
    this.checks++;
    if (status.reason !== undefined && INTERNAL_ERROR.test(status.reason)) {
      this.#violate(
        'clean-end',
        atMs,
        `rollout ${view.id} (${status.phase}) gives an internal error as its reason: "${status.reason}"`,
        `${view.id}|${status.reason}`,
      );
    }
  }

  /** Every endpoint state the emulator reports. */
  onEndpointState(observation: EndpointObservation): void {
    const state: ObservedState = {
      minute: this.#minute(observation.atMs),
      traffic: observation.traffic,
      mirror: observation.mirror,
      deployments: observation.deployments,
    };
    const previous = this.#previous.get(observation.endpoint);
    this.checks++;
    for (const problem of observedViolations(previous, state, {
      baseline: this.baseline,
      smokeTested: this.#smokeTested.get(observation.endpoint) ?? new Set(),
    })) {
      this.#violate('endpoint-safety', observation.atMs, `endpoint ${observation.endpoint}: ${problem}`);
    }
    this.#previous.set(observation.endpoint, state);
    const retired = this.#retired.get(observation.endpoint);
    this.checks++;
    if (retired && (observation.traffic[retired.deployment] ?? 0) > 0) {
      this.#violate(
        'promotion-kept',
        observation.atMs,
        `endpoint ${observation.endpoint}: rollout ${retired.rolloutId} had finished promoting, yet the deployment it retired (${retired.deployment}) takes ${observation.traffic[retired.deployment]}% again (traffic ${JSON.stringify(observation.traffic)})`,
        `${retired.rolloutId}`,
      );
    }
  }

  /** A decision the app accepted (HTTP 202): it must be recorded with its identity. */
  onDecision(decision: SentDecision): void {
    this.#pending.push(decision);
  }

  /** A request answered 5xx: never acceptable for anything the suite sends. */
  onServerError(atMs: number, what: string, status: number, body: string): void {
    this.checks++;
    this.#violate('no-server-error', atMs, `${what} answered ${status}: ${body.slice(0, 300)}`);
  }

  /** After every command: leases, hand-overs, decisions. */
  check(atMs: number, rollouts: readonly RolloutView[], leases: ReadonlyMap<string, LeaseState | undefined>): void {
    const byId = new Map(rollouts.map((r) => [r.id, r]));
    for (const [endpoint, lease] of leases) {
      this.checks++;
      const holder = lease?.holder ? byId.get(lease.holder.rolloutId) : undefined;
      if (holder && isEnded(holder)) {
        this.#violate(
          'lease-released',
          atMs,
          `endpoint ${endpoint}: the lease is held by rollout ${holder.id}, which has ended (${holder.runtimeStatus}, phase ${holder.status?.phase ?? '-'})`,
          holder.id,
        );
      }
      this.checks++;
      // A Failed rollout that does not hold the lease (planning failed, it released) changes nothing until a retry.
      const active = rollouts.filter(
        (r) =>
          r.endpoint === endpoint &&
          !isEnded(r) &&
          r.status !== undefined &&
          ACTIVE_PHASES.has(r.status.phase) &&
          (r.status.phase !== 'Failed' || lease?.holder?.rolloutId === r.id),
      );
      const ids = active
        .map((r) => r.id)
        .sort()
        .join(',');
      const seen = this.#activeSeen.get(endpoint);
      if (active.length > 1 && seen?.ids === ids && atMs - seen.atMs >= HANDOVER_TOLERANCE_MINUTES * MINUTE_MS) {
        this.#violate(
          'single-lease-holder',
          atMs,
          `endpoint ${endpoint}: ${active.length} rollouts hold it at once: ${active.map((r) => `${r.id} (${r.status?.phase})`).join(', ')}; lease holder ${lease?.holder?.rolloutId ?? 'none'}`,
          ids,
        );
      }
      if (active.length > 1) {
        if (seen?.ids !== ids) this.#activeSeen.set(endpoint, { atMs, ids });
      } else {
        this.#activeSeen.delete(endpoint);
      }
    }
    for (const rollout of rollouts) this.#checkCandidateExists(atMs, rollout);
    for (const decision of [...this.#pending]) {
      const view = byId.get(decision.rolloutId);
      this.checks++;
      if (view?.status && recordsDecision(view.status, decision)) {
        this.#pending.splice(this.#pending.indexOf(decision), 1);
        continue;
      }
      // An instance that ended at the very instant the decision was sent never saw it.
      if (view && isEnded(view) && (view.status?.endedAtMs ?? atMs) <= decision.sentAtMs) {
        this.#pending.splice(this.#pending.indexOf(decision), 1);
        continue;
      }
      // Controls must take effect within seconds (issue 10, defect 4); an approval sent while none
      // is pending may wait for the rollout's next unit of work, but must be recorded by its end.
      const isControl = decision.action !== 'approve' && decision.action !== 'reject';
      if ((isControl && atMs - decision.sentAtMs > DECISION_REACTION_MINUTES * MINUTE_MS) || (view && isEnded(view))) {
        this.#pending.splice(this.#pending.indexOf(decision), 1);
        const where = view?.status
          ? `phase ${view.status.phase}, step ${view.status.step.index} ${view.status.step.kind}${view.status.waitingFor ? `, waiting for ${view.status.waitingFor.kind}: ${view.status.waitingFor.detail}` : ''}`
          : 'no status';
        this.#violate(
          'decision-recorded',
          atMs,
          `${decision.action} by ${decision.by} on rollout ${decision.rolloutId} (accepted at minute ${this.#minute(decision.sentAtMs)}) is not in its status ${this.#minute(atMs - decision.sentAtMs + this.#originMs)} min later (${where})`,
        );
      }
    }
  }

  #checkCandidateExists(atMs: number, rollout: RolloutView): void {
    const s = rollout.status;
    const endpoint = this.#previous.get(rollout.endpoint);
    this.checks++;
    const relies =
      s !== undefined && !isEnded(rollout) && CANDIDATE_CHECKED_PHASES.has(s.phase) && s.candidate !== '' && endpoint !== undefined;
    const missing = relies && !endpoint.deployments.some((d) => d.name.toLowerCase() === s.candidate.toLowerCase());
    if (!missing) {
      this.#missingSince.delete(rollout.id);
      return;
    }
    const since = this.#missingSince.get(rollout.id) ?? atMs;
    this.#missingSince.set(rollout.id, since);
    if (atMs - since > LOST_DEPLOYMENT_NOTICE_MINUTES * MINUTE_MS) {
      this.#violate(
        'notices-lost-deployment',
        atMs,
        `rollout ${rollout.id} goes on (phase ${s.phase}, step ${s.step.index} ${s.step.kind}) although its deployment ${s.candidate} has been gone from endpoint ${rollout.endpoint} since minute ${this.#minute(since)}; last journal: ${s.journal
          .slice(-2)
          .map((j) => j.message)
          .join(' | ')}`,
        rollout.id,
      );
    }
  }

  /** A rollout still running past the time its plan allows. */
  overdue(atMs: number, rollout: RolloutView, boundMinutes: number, sinceMs: number): void {
    this.checks++;
    const s = rollout.status;
    this.#violate(
      'ends-within-bound',
      atMs,
      `rollout ${rollout.id} has not ended ${this.#minute(atMs - sinceMs + this.#originMs)} min after it was registered (bound ${boundMinutes} min from its plan and the rollouts ahead of it): ${
        s
          ? `phase ${s.phase}, step ${s.step.index}/${s.step.count} ${s.step.kind}${s.waitingFor ? `, waiting for ${s.waitingFor.kind}: ${s.waitingFor.detail}` : ''}; last journal: ${s.journal
              .slice(-3)
              .map((j) => j.message)
              .join(' | ')}`
          : 'no status'
      }`,
      rollout.id,
    );
  }

  /** At the end, every rollout ended: each deployment left without traffic must be explained by a rollout's status. */
  finalDeployments(atMs: number, endpoint: EndpointObservation, rollouts: readonly RolloutView[]): void {
    const mine = rollouts.filter((r) => r.endpoint === endpoint.endpoint);
    for (const deployment of endpoint.deployments) {
      this.checks++;
      if ((endpoint.traffic[deployment.name] ?? 0) > 0) continue;
      const named = mine.some(
        (r) =>
          r.status &&
          (r.status.reason?.includes(deployment.name) ||
            r.status.journal.some(
              (j) => j.message.includes(deployment.name) && /left|could not|failed|retry|remain|kept/i.test(j.message),
            )),
      );
      if (!named) {
        const owner = mine.find((r) => r.status?.candidate === deployment.name || r.status?.baseline === deployment.name);
        this.#violate(
          'no-orphaned-deployment',
          atMs,
          `endpoint ${endpoint.endpoint}: deployment ${deployment.name} (${deployment.provisioningState}, no live traffic) is left behind and no rollout reports why${owner ? ` (rollout ${owner.id} ended ${owner.status?.phase}: ${owner.status?.reason ?? '-'})` : ''}`,
        );
      }
    }
  }
}
