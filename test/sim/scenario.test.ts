import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/harness/sim/scenario';
import { ValidationError } from '../../src/errors';

const valid = {
  name: 'error-spike-after-30-minutes',
  seed: 42,
  endpoint: 'credit-scoring',
  policy: 'policies/canary.yaml',
  live: { deployment: 'blue', model: 'credit-model', version: '1' },
  register: { model: 'credit-model', version: '2', tags: {}, atMinute: 0 },
  traffic: { requestsPerMinute: 600 },
  behavior: {
    'credit-model:1': { errorRate: 0.01, latencyMs: { p50: 40, p95: 90 } },
    'credit-model:2': { errorRate: 0.01, latencyMs: { p50: 42, p95: 95 }, changes: [{ atMinute: 30, errorRate: 0.08 }] },
  },
  approvals: [{ atMinute: 45, decision: 'approve', by: 'approver@contoso.com' }],
  faults: [{ target: 'arm', status: 409, count: 2 }],
  ingestionDelayMinutes: 3,
  maxMinutes: 720,
};

function errorOf(value: unknown): ValidationError {
  try {
    parseScenario(JSON.stringify(value), 'bad.json');
  } catch (error) {
    return error as ValidationError;
  }
  throw new Error('expected a validation error');
}

describe('parseScenario', () => {
  it('accepts the example of the public contract, with its defaults', () => {
    const scenario = parseScenario(JSON.stringify(valid), 'ok.json');
    expect(scenario.register.version).toBe('2');
    expect(scenario.behavior['credit-model:2']?.changes[0]?.errorRate).toBe(0.08);
    expect(scenario.behavior['credit-model:1']?.provisioningFails).toBe(false);
    expect(scenario.faults[0]).toMatchObject({ target: 'arm', status: 409, count: 2 });
  });

  it('treats numeric versions as strings and fills documented defaults', () => {
    const { approvals: _a, faults: _f, ingestionDelayMinutes: _i, maxMinutes: _m, seed: _s, ...minimal } = valid;
    const scenario = parseScenario(JSON.stringify({ ...minimal, live: { ...valid.live, version: 1 } }), 'min.json');
    expect(scenario.live.version).toBe('1');
    expect(scenario.ingestionDelayMinutes).toBe(3);
    expect(scenario.maxMinutes).toBe(720);
    expect(scenario.approvals).toEqual([]);
    expect(scenario.controls).toEqual([]);
  });

  it('accepts a traffic schedule and an inline policy', () => {
    const scenario = parseScenario(
      JSON.stringify({
        ...valid,
        policy: { name: 'inline' },
        traffic: {
          requestsPerMinute: [
            { fromMinute: 0, requestsPerMinute: 100 },
            { fromMinute: 60, requestsPerMinute: 900 },
          ],
        },
      }),
      'schedule.json',
    );
    expect(Array.isArray(scenario.traffic.requestsPerMinute)).toBe(true);
  });

  it.each([
    [{ ...valid, seed: 'x' }, 'seed'],
    [{ ...valid, live: { deployment: 'blue', model: 'credit-model' } }, 'live.version'],
    [{ ...valid, approvals: [{ atMinute: 5, decision: 'maybe', by: 'a' }] }, 'approvals[0].decision'],
    [{ ...valid, controls: [{ atMinute: 5, action: 'explode', by: 'a' }] }, 'controls[0].action'],
    [{ ...valid, faults: [{ target: 'dns', status: 409, count: 1 }] }, 'faults[0].target'],
    [{ ...valid, faults: [{ target: 'arm', status: 409 }] }, 'faults[0]: give exactly one of count or probability'],
    [{ ...valid, faults: [{ target: 'arm', status: 418, count: 1 }] }, 'faults[0].status'],
    [{ ...valid, behavior: { 'credit-model:1': valid.behavior['credit-model:1'] } }, 'no behavior declared for "credit-model:2"'],
    [{ ...valid, behavior: { ...valid.behavior, 'credit-model': {} } }, 'behavior.credit-model'],
    [{ ...valid, behavior: { ...valid.behavior, 'credit-model:2': { errorRate: 1.5 } } }, 'behavior.credit-model:2.errorRate'],
    [{ ...valid, unknownField: true }, 'unknownField'],
    [{ ...valid, faults: [{ target: 'logs', status: 'partial', count: 1 }] }, 'faults[0].status'],
    [{ ...valid, faults: [{ target: 'arm', status: 429, count: 1, retryAfterSeconds: 5 }] }, 'retryAfterSeconds'],
    [
      { ...valid, faults: [{ target: 'arm', status: 500, count: 1, fromMinute: 5, toMinute: 5 }] },
      'faults[0].toMinute: toMinute must be after fromMinute',
    ],
    [
      { ...valid, behavior: { ...valid.behavior, 'credit-model:2': { errorRate: 0.1, latencyMs: { p50: 90, p95: 40 } } } },
      'behavior.credit-model:2.latencyMs.p95: p95 must be at least p50',
    ],
    [{ ...valid, behavior: { ...valid.behavior, 'credit-model:2': { changes: [{ atMinute: 5, errorrate: 0.5 }] } } }, 'errorrate'],
    [{ ...valid, traffic: { requestsPerMinute: 600, burst: true } }, 'burst'],
    [
      {
        ...valid,
        traffic: {
          requestsPerMinute: [
            { fromMinute: 10, requestsPerMinute: 1 },
            { fromMinute: 5, requestsPerMinute: 1 },
          ],
        },
      },
      'traffic.requestsPerMinute',
    ],
  ])('names the bad field (%#)', (scenario, expected) => {
    const error = errorOf(scenario);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('bad.json');
    expect(error.message).toContain(expected);
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(() => parseScenario('{ nope', 'broken.json')).toThrow(/broken\.json: not valid JSON/);
  });
});
