import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy, PolicyError, validatePolicy, type PolicyInput } from '../../src/policy';
import { canaryPolicy, policyFor } from './fixtures';

const POLICIES = join(__dirname, '..', '..', 'policies');

function problems(value: unknown): string[] {
  try {
    validatePolicy(value, 'p.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
  }
  return [];
}

describe('example policies', () => {
  const files = readdirSync(POLICIES).filter((f) => f.endsWith('.yaml'));
  it('has one example per strategy', () => {
    const strategies = files.map((f) => Object.keys(parsePolicy(readFileSync(join(POLICIES, f), 'utf8'), f).strategy)[0]).sort();
    expect(strategies).toEqual(['abTest', 'blueGreen', 'canary', 'recreate', 'shadow']);
  });
  it.each(files)('%s is valid and targets credit-scoring', (file) => {
    const policy = parsePolicy(readFileSync(join(POLICIES, file), 'utf8'), `policies/${file}`);
    expect(policy.target.endpoint).toBe('credit-scoring');
    expect(policy.match.model).toBe('credit-model*');
  });
});

describe('defaults', () => {
  it('fills every default', () => {
    const p = validatePolicy(canaryPolicy(), 'p.yaml');
    expect(p.apiVersion).toBe('aml-rollout/v1');
    expect(p.target.deploymentName).toBe('{model}-v{version}');
    expect(p.smokeTest).toMatchObject({ requests: 5, maxFailures: 0 });
    expect(p.gates.health).toMatchObject({
      confidence: 0.95,
      minRequestsPerDeployment: 100,
      windowMinutes: 10,
      checkIntervalMinutes: 5,
      maxQueryErrors: 3,
      noData: { outcome: 'rollback', maxExtensionMinutes: 30 },
    });
    expect(p.notifications.events).toContain('gateFailed');
    expect(p).toMatchObject({
      retentionMinutes: 60,
      concurrency: 'supersede',
      ingestionDelayMinutes: 5,
      operators: [],
      approvals: {},
      customMetrics: {},
    });
    expect(p.match).toMatchObject({ tags: {}, priority: 0 });
  });
});

describe('validation errors', () => {
  const withCanary = (canary: unknown): unknown => ({ ...canaryPolicy(), strategy: { canary } });
  const steps = (...percents: number[]): { percent: number; bakeMinutes: number }[] =>
    percents.map((percent) => ({ percent, bakeMinutes: 5 }));

  const cases: [string, unknown, string][] = [
    [
      'steps not ascending',
      withCanary({ steps: steps(10, 25, 20, 100) }),
      'strategy.canary.steps.2.percent: must be greater than steps[1].percent (25)',
    ],
    [
      'equal steps',
      withCanary({ steps: steps(10, 10, 100) }),
      'strategy.canary.steps.1.percent: must be greater than steps[0].percent (10)',
    ],
    ['last step not 100', withCanary({ steps: steps(10, 50) }), 'strategy.canary.steps.1.percent: the last step must be 100 (found 50)'],
    [
      'mirror over 50',
      withCanary({ steps: steps(100), mirror: { percent: 60, minutes: 5 } }),
      'strategy.canary.mirror.percent: must be at most 50',
    ],
    [
      'shadow over 50',
      { ...canaryPolicy(), strategy: { shadow: { percent: 51, minutes: 5 } } },
      'strategy.shadow.percent: must be at most 50',
    ],
    [
      'unknown gate',
      withCanary({ steps: [{ percent: 100, bakeMinutes: 1, gates: ['nope'] }] }),
      'strategy.canary.steps.0.gates.0: unknown gate "nope" (declared gates: "health")',
    ],
    [
      'unknown approval',
      withCanary({ steps: [{ percent: 100, bakeMinutes: 1, approval: 'boss' }] }),
      'strategy.canary.steps.0.approval: unknown approval "boss" (declared approvals: none)',
    ],
    [
      'approval without timeout',
      { ...canaryPolicy(), approvals: { a: { approvers: ['a@b.com'] } } },
      'approvals.a.timeoutMinutes: required: every approval declares how long it waits',
    ],
    [
      'bad approver',
      { ...canaryPolicy(), approvals: { a: { approvers: ['bob'], timeoutMinutes: 5 } } },
      'approvals.a.approvers.0: must be a user principal name',
    ],
    [
      'unknown metric',
      { ...canaryPolicy(), gates: { g: { checks: [{ metric: 'cpu', max: 1 }] } } },
      'gates.g.checks.0.metric: unknown metric "cpu"',
    ],
    [
      'check without threshold',
      { ...canaryPolicy(), gates: { g: { checks: [{ metric: 'latencyP50' }] } } },
      'gates.g.checks.0: declare at least one threshold',
    ],
    [
      'rate above 1',
      { ...canaryPolicy(), gates: { g: { checks: [{ metric: 'errorRate5xx', max: 2 }] } } },
      'gates.g.checks.0.max: errorRate5xx is a fraction between 0 and 1',
    ],
    [
      'min above max',
      { ...canaryPolicy(), gates: { g: { checks: [{ metric: 'latencyP50', max: 10, min: 20 }] } } },
      'gates.g.checks.0.min: must not exceed max (10)',
    ],
    [
      'window shorter than interval',
      { ...canaryPolicy(), gates: { g: { checks: [{ metric: 'latencyP50', max: 10 }], windowMinutes: 2, checkIntervalMinutes: 5 } } },
      'gates.g.windowMinutes: must be at least checkIntervalMinutes (5)',
    ],
    [
      'requestApproval without approvals',
      { ...canaryPolicy(), gates: { g: { checks: [{ metric: 'latencyP50', max: 10 }], noData: { outcome: 'requestApproval' } } } },
      'gates.g.noData.outcome: requestApproval needs someone to ask',
    ],
    [
      'relative-only gate at 100',
      {
        ...(withCanary({ steps: [{ percent: 100, bakeMinutes: 5, gates: ['rel'] }] }) as object),
        gates: { rel: { checks: [{ metric: 'latencyP95', maxRatioToBaseline: 1.2 }] } },
      },
      'strategy.canary.steps.0.gates.0: gate "rel" only has thresholds relative to the baseline',
    ],
    [
      'split not 100',
      { ...canaryPolicy(), strategy: { abTest: { split: { baseline: 50, candidate: 40 }, durationMinutes: 60, metrics: ['latencyP95'] } } },
      'strategy.abTest.split: baseline + candidate must be 100 (found 50 + 40 = 90)',
    ],
    [
      'ab without stopping rule',
      { ...canaryPolicy(), strategy: { abTest: { split: { baseline: 50, candidate: 50 }, metrics: ['latencyP95'] } } },
      'strategy.abTest: declare durationMinutes, minRequestsPerArm',
    ],
    [
      'ab sample size without cap',
      {
        ...canaryPolicy(),
        strategy: { abTest: { split: { baseline: 50, candidate: 50 }, minRequestsPerArm: 10, metrics: ['latencyP95'] } },
      },
      'strategy.abTest.maxDurationMinutes: required with minRequestsPerArm',
    ],
    [
      'ab compares requestCount',
      {
        ...canaryPolicy(),
        strategy: { abTest: { split: { baseline: 50, candidate: 50 }, durationMinutes: 5, metrics: ['requestCount'] } },
      },
      'strategy.abTest.metrics.0: requestCount measures the split',
    ],
    [
      'two strategies',
      { ...canaryPolicy(), strategy: { canary: { steps: steps(100) }, recreate: {} } },
      'strategy: declare exactly one strategy, found 2 (canary, recreate)',
    ],
    ['no strategy', { ...canaryPolicy(), strategy: {} }, 'strategy: declare exactly one strategy'],
    [
      'unknown field',
      withCanary({ steps: [{ percent: 100, bakeMinute: 5 }] }),
      'strategy.canary.steps.0.bakeMinute: unknown field "bakeMinute" (did you mean "bakeMinutes"?)',
    ],
    ['missing smoke test', { ...canaryPolicy(), smokeTest: undefined }, 'smokeTest: required'],
    [
      'bad gate name',
      { ...canaryPolicy(), gates: { '1bad': { checks: [{ metric: 'latencyP50', max: 1 }] } } },
      'gates.1bad: invalid name: must start with a letter',
    ],
    ['misspelt strategy', { ...canaryPolicy(), strategy: { canry: {} } }, 'strategy.canry: unknown field "canry" (did you mean "canary"?)'],
    ['missing smoke test payload', { ...canaryPolicy(), smokeTest: { requests: 2 } }, 'smokeTest.payload: required (any JSON value)'],
    [
      'smoke test cannot fail',
      { ...canaryPolicy(), smokeTest: { payload: {}, requests: 3, maxFailures: 3 } },
      'smokeTest.maxFailures: must be less than requests (3)',
    ],
    ['bad endpoint name', { ...canaryPolicy(), target: { endpoint: '9lives' } }, 'target.endpoint: must be an Azure ML endpoint name'],
    [
      'bad name placeholder',
      { ...canaryPolicy(), target: { endpoint: 'credit-scoring', deploymentName: '{model}-{build}' } },
      'target.deploymentName: unknown placeholder {build}',
    ],
    [
      'custom metric without window',
      { ...canaryPolicy(), customMetrics: { m: { kql: 'T | summarize value=1 by DeploymentName', higherIsWorse: true } } },
      'customMetrics.m.kql: must use {from}',
    ],
    [
      'custom metric shadows built-in',
      { ...canaryPolicy(), customMetrics: { latencyP50: { kql: 'T | where t between ({from} .. {to})', higherIsWorse: true } } },
      'customMetrics.latencyP50: "latencyP50" is a built-in metric',
    ],
    [
      'custom metric placeholder in a string',
      {
        ...canaryPolicy(),
        customMetrics: { m: { kql: 'T | where TimeGenerated between ({from} .. {to}) | where E == "{endpoint}"', higherIsWorse: true } },
      },
      'customMetrics.m.kql: placeholder {endpoint} is inside a string literal',
    ],
    [
      'duplicate approver',
      { ...canaryPolicy(), approvals: { a: { approvers: ['a@b.com', 'A@b.com'], timeoutMinutes: 5 } } },
      'approvals.a.approvers.1: "A@b.com" is listed twice',
    ],
    ['wrong type', { ...canaryPolicy(), retentionMinutes: 'forever' }, 'retentionMinutes: expected number, found string "forever"'],
    [
      'not a whole number',
      { ...canaryPolicy(), match: { model: 'm', priority: 1.5 } },
      'match.priority: must be a whole number, found 1.5',
    ],
    ['below a minimum', { ...canaryPolicy(), smokeTest: { payload: 1, requests: 0 } }, 'smokeTest.requests: must be at least 1, found 0'],
    [
      'not strictly positive',
      { ...canaryPolicy(), strategy: { shadow: { percent: 10, minutes: 0 } } },
      'strategy.shadow.minutes: must be greater than 0, found 0',
    ],
    ['empty list', { ...canaryPolicy(), strategy: { canary: { steps: [] } } }, 'strategy.canary.steps: needs at least 1 item(s)'],
    ['not an option', { ...canaryPolicy(), concurrency: 'both' }, 'concurrency: must be one of: "supersede", "queue", found "both"'],
    ['unknown notification event', { ...canaryPolicy(), notifications: { events: ['everything'] } }, 'notifications.events.0:'],
  ];

  it.each(cases)('%s', (_name, value, expected) => {
    const found = problems(value);
    expect(
      found.some((p) => p.startsWith(expected)),
      `expected "${expected}" among:\n${found.join('\n')}`,
    ).toBe(true);
  });

  it('reads numeric and boolean tag values as strings (YAML `version: 2`)', () => {
    const p = validatePolicy({ ...canaryPolicy(), match: { model: 'm', tags: { version: 2, approved: true } } }, 'p.yaml');
    expect(p.match.tags).toEqual({ version: '2', approved: 'true' });
  });

  it('accepts a valid policy of every strategy', () => {
    for (const s of ['canary', 'blueGreen', 'shadow', 'abTest', 'recreate'] as const) {
      expect(problems(policyFor(s)), s).toEqual([]);
    }
  });

  it('collects every problem, not only the first', () => {
    const bad: PolicyInput = {
      ...canaryPolicy(),
      strategy: {
        canary: {
          steps: [
            { percent: 30, bakeMinutes: 1 },
            { percent: 20, bakeMinutes: 1, gates: ['x'] },
          ],
        },
      },
      gates: { g: { checks: [{ metric: 'nope', max: 1 }] } },
    };
    expect(problems(bad)).toHaveLength(4);
  });

  it('rejects a value that is not a mapping', () => {
    expect(problems([1, 2])[0]).toMatch(/a policy is a mapping .* found a list/);
  });
});

describe('parsePolicy (text)', () => {
  const text = [
    'name: broken', //                                  1
    'match: { model: "credit-model*" }', //             2
    'target: { endpoint: credit-scoring }', //          3
    'strategy:', //                                     4
    '  canary:', //                                     5
    '    steps:', //                                    6
    '      - { percent: 10, bakeMinutes: 5 }', //       7
    '      - { percent: 25, bakeMinutes: 5 }', //       8
    '      - percent: 20', //                           9
    '        bakeMinutes: 5', //                        10
    'smokeTest: { payload: {} }', //                    11
  ].join('\n');

  it('names the file, the line, the path and what is expected', () => {
    expect(() => parsePolicy(text, 'policies/canary.yaml')).toThrow(PolicyError);
    try {
      parsePolicy(text, 'policies/canary.yaml');
    } catch (error) {
      const e = error as PolicyError;
      expect(e.code).toBe('InvalidPolicy');
      expect(e.path).toBe('policies/canary.yaml');
      expect(e.message).toContain('policies/canary.yaml:9: strategy.canary.steps[2].percent: must be greater than steps[1].percent (25)');
      expect(e.message).toContain('policies/canary.yaml:9: strategy.canary.steps[2].percent: the last step must be 100 (found 20)');
      expect(e.message).toMatch(/^policies\/canary\.yaml: 2 problems:/);
    }
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parsePolicy('name: a\nmatch: [unclosed\n', 'bad.yaml')).toThrow(/^bad\.yaml:\d+: column \d+: not valid YAML\/JSON/);
  });

  it('refuses a key written twice', () => {
    expect(() => parsePolicy('name: a\nname: b\n', 'dup.yaml')).toThrow(/dup\.yaml:2: .*not valid YAML\/JSON: Map keys must be unique/);
  });

  it('supports anchors and merge keys to share gate settings', () => {
    const yaml = [
      'name: shared',
      'match: { model: m }',
      'target: { endpoint: credit-scoring }',
      'strategy: { canary: { steps: [{ percent: 100, bakeMinutes: 5 }] } }',
      'smokeTest: { payload: {} }',
      'gates:',
      '  strict: &base',
      '    checks: [{ metric: errorRate5xx, max: 0.01 }]',
      '    windowMinutes: 20',
      '  lenient:',
      '    <<: *base',
      '    checks: [{ metric: errorRate5xx, max: 0.05 }]',
    ].join('\n');
    const policy = parsePolicy(yaml, 'shared.yaml');
    expect(policy.gates.lenient).toMatchObject({ windowMinutes: 20, checks: [{ metric: 'errorRate5xx', max: 0.05 }] });
  });

  it('explains an empty file', () => {
    expect(() => parsePolicy('', 'empty.yaml')).toThrow(/^empty\.yaml(:\d+)?: a policy is a mapping .* found null/);
  });

  it('leaves line numbers out for one-line documents', () => {
    expect(() => parsePolicy(JSON.stringify({ ...canaryPolicy(), retentionMinutes: -5 }), 'inline')).toThrow(
      /^inline: retentionMinutes: must be at least 0, found -5$/,
    );
  });

  it('reads JSON too', () => {
    const policy = parsePolicy(JSON.stringify(canaryPolicy()), 'p.json');
    expect(policy.name).toBe('test-canary');
  });

  it('names a missing required field at its parent', () => {
    expect(() =>
      parsePolicy(
        'name: x\nmatch: { model: m }\ntarget:\n  deploymentName: a\nstrategy: { recreate: {} }\nsmokeTest: { payload: 1 }\n',
        'f.yaml',
      ),
    ).toThrow('f.yaml:4: target.endpoint: required (expected string)');
  });
});
