/**
 * One look of a gate's resource and cost checks (src/analysis/resource-gate.ts): a table of
 * usages, limits and prices -> verdict, evidence rows and the cost outcome; a property that the
 * merged gate verdict is never better than either side; and the once-per-rollout cost approval.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeResourceLook, withResourceLook, type ResourceLookInput } from '../../src/analysis/resource-gate';
import type { DeploymentUsage, ResourceMinute } from '../../src/analysis/resources';
import type { GateResult, Verdict } from '../../src/analysis/types';
import { costApprovalDue } from '../../src/orchestration/cost-approval';

/**
 * Minutes that follow the linear model exactly (CPU idle 2%, memory idle 30%). A candidate has idle
 * minutes between its creation and its first mirrored request: they show the idle level.
 */
function usage(
  name: string,
  cpuPerRequest: number,
  instances: number,
  requests: number,
  minutes = 6,
  options: { idleMinutes?: number; reported?: boolean; instanceType?: string } = {},
): DeploymentUsage {
  const minute = (served: number): ResourceMinute =>
    options.reported === false
      ? { requests: served, instances: null, cpuPercent: null, memoryPercent: null }
      : {
          requests: served,
          instances,
          cpuPercent: 2 + (cpuPerRequest * served) / instances,
          memoryPercent: 30 + (0.01 * served) / instances,
        };
  const idle = Array.from({ length: options.idleMinutes ?? (name === 'green' ? 3 : 0) }, () => minute(0));
  return {
    deployment: name,
    instanceType: options.instanceType ?? 'Standard_DS3_v2',
    minutes: [...idle, ...Array.from({ length: minutes }, () => minute(requests))],
  };
}

const price = (instanceType: string, pricePerHour: number) => ({
  instanceType,
  region: 'westeurope',
  pricePerHour,
  currency: 'USD',
  source: 'policy',
});

/** Mirror phase: the baseline (10 instances) serves all 600 live requests/min, the candidate a 30% mirror. */
const look = (over: Partial<ResourceLookInput>): ResourceLookInput => ({
  resources: { cpu: { maxRatioToBaseline: 1.5 }, memory: { maxPercent: 85 }, minReportedMinutes: 3 },
  cost: { maxCostIncreasePercent: 20, onExceeded: 'requestApproval', currency: 'USD' },
  candidate: usage('green', 1.3, 10, 180),
  baseline: usage('blue', 1.3, 10, 600),
  baselineLivePercent: 100,
  candidateInstances: 10,
  prices: { candidate: price('Standard_DS3_v2', 0.342), baseline: price('Standard_DS3_v2', 0.342) },
  ...over,
});

describe('judgeResourceLook: table', () => {
  const cases: {
    name: string;
    input: ResourceLookInput;
    verdict: Verdict;
    costApproval?: RegExp;
    rows: Record<string, Verdict>;
    text?: RegExp;
  }[] = [
    {
      name: 'same use per request though the candidate sees 30% of the load: pass, equal cost',
      input: look({}),
      verdict: 'pass',
      rows: { cpuUtilization: 'pass', memoryUtilization: 'pass', costPer1000Requests: 'pass' },
      text: /candidate needs about 10 instance\(s\) of Standard_DS3_v2; the baseline about 10/,
    },
    {
      name: 'twice the CPU per request: fail on the ratio, before any live traffic',
      input: look({ candidate: usage('green', 2.6, 10, 180) }),
      verdict: 'fail',
      rows: { cpuUtilization: 'fail', memoryUtilization: 'pass', costPer1000Requests: 'exceeded' as Verdict },
      text: /cpu per request is 2\.00x the baseline's/,
    },
    {
      name: '30% more CPU per request: within the 1.5x ratio, but 13 instances instead of 10 cost +30%: ask a person',
      input: look({ candidate: usage('green', 1.69, 10, 180) }),
      verdict: 'pass',
      costApproval: /serving cost rises 30\.0% \(limit 20%\).*13 x Standard_DS3_v2.*10 x Standard_DS3_v2/,
      rows: { cpuUtilization: 'pass', costPer1000Requests: 'fail' },
    },
    {
      name: 'the same +30% with onExceeded rollback: the gate fails',
      input: look({
        candidate: usage('green', 1.69, 10, 180),
        cost: { maxCostIncreasePercent: 20, onExceeded: 'rollback', currency: 'USD' },
      }),
      verdict: 'fail',
      rows: { costPer1000Requests: 'fail' },
      text: /serving cost rises 30\.0%/,
    },
    {
      name: 'a pricier instance type with the same use per request: the cost check sees it',
      input: look({
        candidate: usage('green', 1.3, 10, 180, 6, { instanceType: 'Standard_DS4_v2' }),
        prices: { candidate: price('Standard_DS4_v2', 0.684), baseline: price('Standard_DS3_v2', 0.342) },
      }),
      verdict: 'pass',
      costApproval: /rises 100\.0%/,
      rows: { costPer1000Requests: 'fail' },
    },
    {
      name: 'the platform has not reported the candidate yet: inconclusive, never a pass',
      input: look({ candidate: usage('green', 1.3, 10, 180, 6, { reported: false }) }),
      verdict: 'inconclusive',
      rows: { resources: 'inconclusive' },
      text: /green: 0 minute\(s\) with requests reported/,
    },
    {
      name: 'no price: the cost check is inconclusive, the resource rows still count',
      input: look({ prices: { error: 'no price for Standard_DS3_v2' } }),
      verdict: 'inconclusive',
      rows: { cpuUtilization: 'pass', costPer1000Requests: 'inconclusive' },
      text: /no price: no price for Standard_DS3_v2/,
    },
    {
      name: 'baseline with no live share (nothing to size by): inconclusive',
      input: look({ baselineLivePercent: 0 }),
      verdict: 'inconclusive',
      rows: { resources: 'inconclusive' },
    },
    {
      name: 'cost only (no resource limits): sized and priced, no resource rows',
      input: look({ resources: undefined }),
      verdict: 'pass',
      rows: { costPer1000Requests: 'pass' },
    },
    {
      name: 'memory over its absolute limit at 100% on the candidate instances: fail',
      input: look({
        candidate: {
          ...usage('green', 1.3, 2, 180),
          minutes: usage('green', 1.3, 2, 180).minutes.map((m) => ({ ...m, memoryPercent: 30 + (0.2 * m.requests) / 2 })),
        },
        candidateInstances: 2,
      }),
      verdict: 'fail',
      rows: { memoryUtilization: 'fail' },
      text: /memory would be \d+\.\d% at 100% traffic on 2 instance/,
    },
  ];
  it.each(cases)('$name', ({ input, verdict, costApproval, rows, text }) => {
    const result = judgeResourceLook(input);
    expect(result.verdict).toBe(verdict);
    if (costApproval) expect(result.costApproval).toMatch(costApproval);
    else expect(result.costApproval).toBeUndefined();
    for (const [metric, expected] of Object.entries(rows)) {
      const row = result.evidence.find((e) => e.metric === metric);
      // 'exceeded' in the table: the cost row is there, whatever its verdict (the resource failure decides).
      if (expected === ('exceeded' as Verdict)) expect(row).toBeDefined();
      else expect(row?.verdict, metric).toBe(expected);
    }
    if (text) expect([...result.reasons, result.summary ?? '', ...result.evidence.map((e) => e.reason)].join('\n')).toMatch(text);
  });

  it('evidence rows carry raw and normalized numbers and the full-traffic sizing', () => {
    const row = judgeResourceLook(look({ candidate: usage('green', 2.6, 10, 180) })).evidence.find((e) => e.metric === 'cpuUtilization');
    expect(row?.candidate).toBeCloseTo(2.6, 6);
    expect(row?.baseline).toBeCloseTo(1.3, 6);
    expect(row?.reason).toMatch(/raw 48\.8% on 10 instance\(s\) at 180 req\/min vs 80\.0% on 10 at 600 req\/min/);
    expect(row?.reason).toMatch(/at 100% \(600 requests\/min\) the candidate needs about 20 instance\(s\) of Standard_DS3_v2/);
  });

  it("full traffic is the baseline's requests over its live share (a 90/10 canary step)", () => {
    const result = judgeResourceLook(
      look({ baseline: usage('blue', 1.3, 10, 540), candidate: usage('green', 1.3, 10, 60), baselineLivePercent: 90 }),
    );
    expect(result.summary).toMatch(/at 100% \(600 requests\/min\)/);
  });
});

const gate = (verdict: Verdict): GateResult => ({
  gate: 'health',
  verdict,
  look: 1,
  checkedAtMs: 0,
  window: { fromMs: 0, toMs: 1 },
  candidate: 'green',
  baseline: 'blue',
  evidence: [],
  reason: `metrics ${verdict}`,
});

describe('withResourceLook', () => {
  const SEVERITY: Record<Verdict, number> = { pass: 0, inconclusive: 1, fail: 2 };
  it('keeps the worse verdict, appends the evidence and explains the verdict by the worse side (property)', () => {
    const verdict = fc.constantFrom<Verdict>('pass', 'inconclusive', 'fail');
    fc.assert(
      fc.property(verdict, verdict, (metrics, resources) => {
        const merged = withResourceLook(gate(metrics), {
          verdict: resources,
          evidence: [
            {
              metric: 'cpuUtilization',
              verdict: resources,
              candidate: 1,
              baseline: 1,
              samples: { candidate: 1, baseline: 1 },
              threshold: '-',
              test: '-',
              reason: '-',
            },
          ],
          reasons: resources === 'pass' ? [] : ['cpu is high'],
          summary: 'sized',
        });
        expect(SEVERITY[merged.verdict]).toBe(Math.max(SEVERITY[metrics], SEVERITY[resources]));
        expect(merged.evidence.map((e) => e.metric)).toEqual(['cpuUtilization']);
        if (SEVERITY[resources] > SEVERITY[metrics]) expect(merged.reason).toMatch(/cpu is high/);
        if (SEVERITY[metrics] > SEVERITY[resources]) expect(merged.reason).toContain(`metrics ${metrics}`);
      }),
    );
  });
});

describe('costApprovalDue', () => {
  const cases = [
    { name: 'no excess: nothing to ask', outcomes: [{ gate: 'health' }], asked: false, due: undefined },
    {
      name: 'an excess: ask, naming the gate and the numbers',
      outcomes: [{ gate: 'health' }, { gate: 'cost', costApproval: 'rises 30%' }],
      asked: false,
      due: "gate 'cost': rises 30%",
    },
    {
      name: 'asked before in this rollout: never twice',
      outcomes: [{ gate: 'health', costApproval: 'rises 30%' }],
      asked: true,
      due: undefined,
    },
  ];
  it.each(cases)('$name', ({ outcomes, asked, due }) => {
    expect(costApprovalDue(outcomes, asked)).toBe(due);
  });
});
