/**
 * Issue 10 defect 10: each gate check verifies the endpoint state it relies on. The rule by a table
 * (what is wrong, in words), a property (it holds exactly when nothing differs), and the decider's
 * answer (roll back with the reason, never extend on no data).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endpointProblems, lostEndpointResult, type ExpectedEndpoint, type ObservedEndpoint } from '../../src/orchestration/endpoint-check';

const expected: ExpectedEndpoint = { deployments: ['blue', 'green'], traffic: { blue: 80, green: 20 }, mirror: {} };
const healthy: ObservedEndpoint = { exists: true, deployments: ['blue', 'green'], traffic: { green: 20, blue: 80 }, mirror: { green: 0 } };

describe('endpointProblems', () => {
  it.each<[string, Partial<ObservedEndpoint>, string[]]>([
    ['as the rollout set it (order and zero entries do not matter)', {}, []],
    ['names differ only in case', { deployments: ['BLUE', 'Green'] }, []],
    ['the endpoint is gone', { exists: false, deployments: [], traffic: {}, mirror: {} }, ['the endpoint no longer exists']],
    [
      'the candidate is gone (an Azure reset moved its traffic first)',
      { deployments: ['blue'], traffic: { blue: 100 } },
      ["deployment 'green' no longer exists", 'live traffic is blue 100%, the rollout set blue 80%, green 20%'],
    ],
    [
      'both deployments are gone',
      { deployments: ['other'], traffic: { other: 100 } },
      ["deployments 'blue' and 'green' no longer exist", 'live traffic is other 100%, the rollout set blue 80%, green 20%'],
    ],
    [
      'someone changed the split',
      { traffic: { blue: 50, green: 50 } },
      ['live traffic is blue 50%, green 50%, the rollout set blue 80%, green 20%'],
    ],
    ['someone turned mirroring on', { mirror: { green: 10 } }, ['mirrored traffic is green 10%, the rollout set none']],
  ])('%s', (_name, change, problems) => {
    expect(endpointProblems(expected, { ...healthy, ...change })).toEqual(problems);
  });

  it('finds nothing exactly when the observed state is the expected one', () => {
    const split = fc.dictionary(fc.constantFrom('blue', 'green', 'red'), fc.integer({ min: 0, max: 100 }), { maxKeys: 3 });
    fc.assert(
      fc.property(split, split, split, split, (traffic, mirror, seenTraffic, seenMirror) => {
        const nonZero = (s: Record<string, number>): string =>
          JSON.stringify(
            Object.entries(s)
              .filter(([, v]) => v !== 0)
              .sort(),
          );
        const same = nonZero(traffic) === nonZero(seenTraffic) && nonZero(mirror) === nonZero(seenMirror);
        const problems = endpointProblems(
          { deployments: ['blue'], traffic, mirror },
          { exists: true, deployments: ['blue', 'green', 'red'], traffic: seenTraffic, mirror: seenMirror },
        );
        expect(problems.length === 0).toBe(same);
      }),
      { numRuns: 300, seed: 10 },
    );
  });
});

it('a lost endpoint state rolls the step back with the reason (no extension on no data)', () => {
  expect(lostEndpointResult('chaos-a', ["deployment 'green' no longer exists"])).toEqual({
    kind: 'rollback',
    outcome: 'rolledBack',
    reason: "endpoint 'chaos-a' changed outside the rollout: deployment 'green' no longer exists",
  });
});
