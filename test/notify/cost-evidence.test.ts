/**
 * Resource and cost evidence where people read it: the notification (facts and evidence lines),
 * the CLI status and the API's gate rows (which the dashboard renders as they are).
 */
import { describe, expect, it } from 'vitest';
import { judgeResourceLook, withResourceLook } from '../../src/analysis/resource-gate';
import type { DeploymentUsage } from '../../src/analysis/resources';
import type { GateResult } from '../../src/analysis/types';
import { renderStatus } from '../../src/cli/render';
import { buildRolloutNotification, evidenceLines } from '../../src/notify/message';
import { statusOf } from '../api/fakes';

const NOW = 1_700_000_000_000;

const usage = (name: string, perRequest: number, requests: number, idleMinutes: number): DeploymentUsage => ({
  deployment: name,
  instanceType: 'Standard_DS3_v2',
  minutes: [
    ...Array.from({ length: idleMinutes }, () => ({ requests: 0, instances: 10, cpuPercent: 2, memoryPercent: 30 })),
    ...Array.from({ length: 6 }, () => ({
      requests,
      instances: 10,
      cpuPercent: 2 + (perRequest * requests) / 10,
      memoryPercent: 30 + (0.01 * requests) / 10,
    })),
  ],
});

/** A mirror-phase look at a candidate that costs 30% more: metrics pass, a person is asked. */
function costlyGate(): GateResult {
  const look = judgeResourceLook({
    resources: { cpu: { maxRatioToBaseline: 1.5 }, minReportedMinutes: 3 },
    cost: { maxCostIncreasePercent: 20, onExceeded: 'requestApproval', currency: 'USD' },
    candidate: usage('credit-model-v2', 1.69, 180, 3),
    baseline: usage('blue', 1.3, 600, 0),
    baselineLivePercent: 100,
    candidateInstances: 10,
    prices: {
      candidate: {
        instanceType: 'Standard_DS3_v2',
        region: 'westeurope',
        pricePerHour: 0.342,
        currency: 'USD',
        source: 'azureRetailPrices',
      },
      baseline: {
        instanceType: 'Standard_DS3_v2',
        region: 'westeurope',
        pricePerHour: 0.342,
        currency: 'USD',
        source: 'azureRetailPrices',
      },
    },
  });
  const metrics: GateResult = {
    gate: 'health',
    verdict: 'pass',
    look: 4,
    checkedAtMs: NOW,
    window: { fromMs: NOW - 1, toMs: NOW },
    candidate: 'credit-model-v2',
    baseline: 'blue',
    evidence: [],
    reason: 'all 2 checks passed',
  };
  return withResourceLook(metrics, look);
}

const rolloutCost = {
  summary: 'extra cost of the rollout: 10 x Standard_DS3_v2 for about 1.2 h: 4.10 USD',
  amount: 4.104,
  currency: 'USD',
};
const costWhy =
  "serving cost: gate 'health': serving cost rises 30.0% (limit 20%): per 1,000 requests at 100%: candidate 0.1235 USD (13 x Standard_DS3_v2), baseline 0.0950 USD (10 x Standard_DS3_v2), +30.0%";
const waiting = `waiting for approval 'cost' (${costWhy})`;

describe('cost evidence for people', () => {
  it('the approval notification says why it asks, with the numbers, and carries the evidence rows with their detail', () => {
    const status = statusOf({
      phase: 'AwaitingApproval',
      gates: [costlyGate()],
      rolloutCost,
      waitingFor: { kind: 'approval', untilMs: NOW + 3_600_000, detail: waiting },
    });
    const message = buildRolloutNotification(
      { kind: 'approvalRequested', status, approval: { step: 3, name: 'cost', timeoutAtMs: NOW + 3_600_000, why: costWhy } },
      { publicBaseUrl: 'https://ctl.example', linkSecret: undefined, linkTtlMinutes: 60, nowMs: NOW },
    );
    expect(message.facts['Why']).toBe(costWhy);
    expect(message.facts['Rollout cost']).toBe(rolloutCost.summary);
    const lines = evidenceLines(message.gates).join('\n');
    expect(lines).toMatch(/costPer1000Requests fail: candidate 0\.124 vs baseline 0\.095/);
    expect(lines).toMatch(/raw 32\.4% on 10 instance\(s\) at 180 req\/min vs 80\.0% on 10 at 600 req\/min/);
    expect(lines).toMatch(/candidate needs about 13 instance\(s\) of Standard_DS3_v2; the baseline about 10/);
  });

  it('a policy approval step gets no "Why" fact (its reason is the policy itself)', () => {
    const status = statusOf({ phase: 'AwaitingApproval', waitingFor: { kind: 'approval', detail: "waiting for approval 'owner'" } });
    const message = buildRolloutNotification(
      { kind: 'approvalRequested', status, approval: { step: 3, name: 'owner', timeoutAtMs: NOW + 1 } },
      { publicBaseUrl: 'https://ctl.example', linkSecret: undefined, linkTtlMinutes: 60, nowMs: NOW },
    );
    expect(message.facts['Why']).toBeUndefined();
  });

  it('the CLI status shows the rollout cost and the resource rows with their detail', () => {
    const status = statusOf({ gates: [costlyGate()], rolloutCost });
    const text = renderStatus({
      rolloutId: 'r1',
      phase: status.phase,
      runtimeStatus: 'Running',
      createdAt: '',
      updatedAt: '',
      input: null,
      status,
      allowedActions: [],
      history: [],
      timeSpent: [],
    });
    expect(text).toContain(`Cost:      ${rolloutCost.summary}`);
    expect(text).toMatch(/cpuUtilization pass: candidate 1\.69 vs baseline 1\.3/);
    expect(text).toMatch(/raw 32\.4% on 10 instance\(s\)/);
  });
});
