import { describe, expect, it } from 'vitest';
import { buildResult, outcomeOf, type EndpointSnapshot, type SimObservations } from '../../src/harness/sim/result';
import type { RolloutStatus } from '../../src/plan/types';

function status(overrides: Partial<RolloutStatus>): RolloutStatus {
  return {
    rolloutId: 'r1',
    policy: 'canary',
    strategy: 'canary',
    endpoint: 'credit-scoring',
    model: 'credit-model',
    version: '2',
    baseline: 'blue',
    candidate: 'green',
    phase: 'Progressing',
    step: { index: 0, count: 5, kind: 'deploy', description: 'deploy green' },
    traffic: { blue: 100 },
    mirror: {},
    gates: [],
    approvals: [],
    overrides: [],
    paused: false,
    startedAtMs: 0,
    updatedAtMs: 0,
    journal: [],
    ...overrides,
  };
}

const deployments = (names: string[]): EndpointSnapshot['deployments'] =>
  names.map((name) => ({ name, provisioningState: 'Succeeded', modelKey: name === 'blue' ? 'credit-model:1' : 'credit-model:2' }));

function observations(snapshots: EndpointSnapshot[], statuses: SimObservations['statuses']): SimObservations {
  return {
    scenario: 's',
    newModelKey: 'credit-model:2',
    startMinute: 0,
    snapshots,
    statuses,
    requests: {},
    counts: { logQueries: 0, metricQueries: 0, armReads: 0, armWrites: 0, activityRuns: 0, orchestratorEpisodes: 0 },
    invariantViolations: [],
    wallMs: 1,
  };
}

describe('buildResult', () => {
  it('finds the last traffic change, the peak of the new version and the final state', () => {
    const result = buildResult(
      observations(
        [
          { minute: 0, traffic: { blue: 100 }, mirror: {}, deployments: deployments(['blue']) },
          { minute: 8, traffic: { blue: 100, green: 0 }, mirror: {}, deployments: deployments(['blue', 'green']) },
          { minute: 10, traffic: { blue: 90, green: 10 }, mirror: {}, deployments: deployments(['blue', 'green']) },
          { minute: 20.333, traffic: { blue: 75, green: 25 }, mirror: {}, deployments: deployments(['blue', 'green']) },
          { minute: 34, traffic: { blue: 100, green: 0 }, mirror: {}, deployments: deployments(['blue', 'green']) },
          { minute: 36, traffic: { blue: 100 }, mirror: {}, deployments: deployments(['blue']) },
        ],
        [{ minute: 36, status: status({ phase: 'RolledBack', outcome: 'rolledBack' }) }],
      ),
    );
    expect(result.outcome).toBe('rolledBack');
    expect(result.decisionMinute).toBe(34);
    expect(result.peakNewTrafficPercent).toBe(25);
    expect(result.finalTraffic).toEqual({ blue: 100 });
    expect(result.finalDeployments).toEqual(['blue']);
  });

  it('counts the end of mirroring as the last traffic change', () => {
    const result = buildResult(
      observations(
        [
          { minute: 0, traffic: { blue: 100 }, mirror: {}, deployments: deployments(['blue', 'green']) },
          { minute: 9, traffic: { blue: 100 }, mirror: { green: 20 }, deployments: deployments(['blue', 'green']) },
          { minute: 31.5, traffic: { blue: 100 }, mirror: {}, deployments: deployments(['blue', 'green']) },
        ],
        [],
      ),
    );
    expect(result.decisionMinute).toBe(31.5);
    expect(result.peakNewTrafficPercent).toBe(0);
  });

  it('collapses repeated statuses in the timeline and lists each gate check once', () => {
    const gate = {
      gate: 'errors',
      verdict: 'pass' as const,
      look: 1,
      checkedAtMs: 600_000,
      window: { fromMs: 0, toMs: 420_000 },
      candidate: 'green',
      baseline: 'blue',
      evidence: [],
      reason: 'ok',
    };
    const result = buildResult(
      observations(
        [],
        [
          { minute: 1, status: status({}) },
          { minute: 2, status: status({}) },
          { minute: 10, status: status({ phase: 'Baking', gates: [gate] }) },
          { minute: 11, status: status({ phase: 'Baking', gates: [gate] }) },
        ],
      ),
    );
    expect(result.timeline.map((t) => t.minute)).toEqual([1, 10]);
    expect(result.timeline[1]?.detail).toBe('deploy green');
    expect(result.gateChecks).toHaveLength(1);
    expect(result.gateChecks[0]).toMatchObject({ minute: 10, verdict: 'pass', gate: 'errors' });
    expect(result.outcome).toBe('timedOut');
  });

  it('keeps what the rollout waits for as the detail of a step, without a new entry', () => {
    const waiting = status({ phase: 'Baking', waitingFor: { kind: 'timer', untilMs: 1, detail: 'baking until 10:30' } });
    const result = buildResult(
      observations(
        [],
        [
          { minute: 5, status: status({ phase: 'Baking' }) },
          { minute: 6, status: waiting },
          { minute: 7, status: status({ phase: 'Baking' }) },
        ],
      ),
    );
    expect(result.timeline).toHaveLength(1);
    expect(result.timeline[0]).toMatchObject({ minute: 5, detail: 'baking until 10:30' });
  });

  it.each([
    ['promoted', 'promoted'],
    ['rolledBack', 'rolledBack'],
    ['rejected', 'rejected'],
    ['aborted', 'aborted'],
    ['failed', 'failed'],
    ['superseded', 'failed'],
  ] as const)('maps the rollout outcome %s to %s', (outcome, expected) => {
    expect(outcomeOf(status({ outcome }))).toBe(expected);
  });
});
