/**
 * Turns what a simulation observed into the result of docs/scenario-format.md.
 * Pure: the runner collects observations, this computes the verdict fields from them.
 */
import type { AgreementEvidence, GateResult, MetricEvidence } from '../../analysis/types';
import type { Phase, RolloutStatus } from '../../plan/types';

export type SimOutcome = 'promoted' | 'rolledBack' | 'rejected' | 'aborted' | 'failed' | 'timedOut';

/** The endpoint as the emulator held it right after a change. */
export interface EndpointSnapshot {
  readonly minute: number;
  readonly traffic: Readonly<Record<string, number>>;
  readonly mirror: Readonly<Record<string, number>>;
  readonly deployments: readonly { readonly name: string; readonly provisioningState: string; readonly modelKey: string }[];
}

export interface StatusObservation {
  readonly minute: number;
  readonly status: RolloutStatus;
}

interface SimCounts {
  readonly logQueries: number;
  readonly metricQueries: number;
  readonly armReads: number;
  readonly armWrites: number;
  readonly activityRuns: number;
  readonly orchestratorEpisodes: number;
}

interface TimelineEntry {
  readonly minute: number;
  readonly phase: Phase;
  readonly step: number;
  readonly traffic: Readonly<Record<string, number>>;
  readonly mirror: Readonly<Record<string, number>>;
  readonly detail: string;
}

interface GateCheckEntry {
  readonly minute: number;
  readonly step: number;
  readonly gate: string;
  readonly verdict: GateResult['verdict'];
  readonly evidence: {
    readonly reason: string;
    readonly metrics: readonly MetricEvidence[];
    readonly window: GateResult['window'];
    /** A prediction-agreement gate's counts and disagreeing examples. */
    readonly agreement?: AgreementEvidence;
  };
}

export interface SimResult {
  readonly scenario: string;
  readonly outcome: SimOutcome;
  readonly decisionMinute: number | null;
  readonly finalTraffic: Readonly<Record<string, number>>;
  readonly finalDeployments: readonly string[];
  readonly peakNewTrafficPercent: number;
  readonly requests: Readonly<Record<string, { readonly total: number; readonly errors: number }>>;
  readonly timeline: readonly TimelineEntry[];
  readonly gateChecks: readonly GateCheckEntry[];
  readonly counts: SimCounts;
  readonly invariantViolations: readonly string[];
  readonly wallMs: number;
  /** Things the simulator could not do as the scenario asked (e.g. an approval nothing waited for). */
  readonly notes?: readonly string[];
}

export interface SimObservations {
  readonly scenario: string;
  readonly newModelKey: string;
  readonly startMinute: number;
  readonly snapshots: readonly EndpointSnapshot[];
  readonly statuses: readonly StatusObservation[];
  readonly requests: SimResult['requests'];
  readonly counts: SimCounts;
  readonly invariantViolations: readonly string[];
  readonly wallMs: number;
}

const roundMinute = (minute: number): number => Math.round(minute * 100) / 100;

function sameSplit(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a[key] ?? 0) !== (b[key] ?? 0)) return false;
  return true;
}

export function outcomeOf(status: RolloutStatus | undefined): SimOutcome {
  switch (status?.outcome) {
    case 'promoted':
      return 'promoted';
    case 'rolledBack':
      return 'rolledBack';
    case 'rejected':
      return 'rejected';
    case 'aborted':
      return 'aborted';
    case 'failed':
    case 'superseded':
      return 'failed';
    default:
      return 'timedOut';
  }
}

export function buildResult(observations: SimObservations): SimResult {
  const { snapshots, statuses } = observations;
  const last = snapshots.at(-1);

  let decisionMinute: number | null = null;
  let peak = 0;
  for (let i = 0; i < snapshots.length; i++) {
    const snapshot = snapshots[i]!;
    const previous = snapshots[i - 1];
    // Turning mirroring on or off is a traffic change too (a shadow rollout decides by it).
    if (previous && (!sameSplit(previous.traffic, snapshot.traffic) || !sameSplit(previous.mirror, snapshot.mirror)))
      decisionMinute = roundMinute(snapshot.minute);
    for (const deployment of snapshot.deployments) {
      if (deployment.modelKey === observations.newModelKey) peak = Math.max(peak, snapshot.traffic[deployment.name] ?? 0);
    }
  }

  const timeline: TimelineEntry[] = [];
  const gateChecks: GateCheckEntry[] = [];
  const seenGates = new Set<string>();
  for (const { minute, status } of statuses) {
    const entry: TimelineEntry = {
      minute: roundMinute(minute),
      phase: status.phase,
      step: status.step.index,
      traffic: status.traffic,
      mirror: status.mirror,
      detail: status.waitingFor?.detail ?? status.reason ?? status.step.description,
    };
    // One entry per phase, step and split; within it, what the rollout waits for is the most
    // telling detail (a bake's deadline, an approval), so it replaces the step's description.
    const previous = timeline.at(-1);
    if (
      !previous ||
      previous.phase !== entry.phase ||
      previous.step !== entry.step ||
      !sameSplit(previous.traffic, entry.traffic) ||
      !sameSplit(previous.mirror, entry.mirror)
    ) {
      timeline.push(entry);
    } else if (status.waitingFor && previous.detail !== entry.detail) {
      timeline[timeline.length - 1] = { ...previous, detail: entry.detail };
    }
    for (const gate of status.gates) {
      const key = `${gate.gate}|${gate.look}|${gate.checkedAtMs}`;
      if (seenGates.has(key)) continue;
      seenGates.add(key);
      gateChecks.push({
        minute: roundMinute(minute),
        step: status.step.index,
        gate: gate.gate,
        verdict: gate.verdict,
        evidence: {
          reason: gate.reason,
          metrics: gate.evidence,
          window: gate.window,
          ...(gate.agreement ? { agreement: gate.agreement } : {}),
        },
      });
    }
  }

  const finalTraffic: Record<string, number> = {};
  for (const [name, percent] of Object.entries(last?.traffic ?? {})) finalTraffic[name] = percent;

  return {
    scenario: observations.scenario,
    outcome: outcomeOf(statuses.at(-1)?.status),
    decisionMinute,
    finalTraffic,
    finalDeployments: (last?.deployments ?? []).map((d) => d.name).sort(),
    peakNewTrafficPercent: peak,
    requests: observations.requests,
    timeline,
    gateChecks,
    counts: observations.counts,
    invariantViolations: observations.invariantViolations,
    wallMs: observations.wallMs,
  };
}
