/** fast-check properties of the safety invariants (the table-driven cases are in invariants.test.ts). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkDeletion, checkTrafficChange, type DeploymentFacts } from '../../src/plan/invariants';

const names = ['blue', 'green', 'red', 'canary'];

/** A valid live split over some of the names: whole percents summing to 100. */
const validSplit = fc.subarray(names, { minLength: 1 }).chain((chosen) =>
  fc.array(fc.nat(100), { minLength: chosen.length - 1, maxLength: chosen.length - 1 }).map((cuts) => {
    const points = [0, ...[...cuts].sort((a, b) => a - b), 100];
    return Object.fromEntries(chosen.map((n, i) => [n, (points[i + 1] ?? 100) - (points[i] ?? 0)]));
  }),
);

const readyDeployments: DeploymentFacts[] = names.map((name) => ({ name, provisioningState: 'Succeeded', smokeTestPassed: true }));

describe('safety invariants (properties)', () => {
  it('accepts every valid split to ready deployments, with or without a mirror on an idle one', () => {
    fc.assert(
      fc.property(
        validSplit,
        fc.integer({ min: 0, max: 50 }),
        fc.shuffledSubarray(readyDeployments, { minLength: names.length }),
        (traffic, mirrorPercent, deployments) => {
          const idle = names.find((n) => (traffic[n] ?? 0) === 0);
          const mirror = idle && mirrorPercent > 0 ? { [idle]: mirrorPercent } : {};
          expect(checkTrafficChange({ deployments, traffic, mirror })).toEqual([]);
        },
      ),
    );
  });

  it('refuses any split that does not sum to 100 (unless all 0)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), fc.nat(100), { minKeys: 1 }), (traffic) => {
        const values = Object.values(traffic);
        const sum = values.reduce((a, b) => a + b, 0);
        fc.pre(sum !== 100 && values.some((v) => v !== 0));
        expect(checkTrafficChange({ deployments: readyDeployments, traffic, mirror: {} }).some((v) => v.includes('must sum to 100'))).toBe(
          true,
        );
      }),
    );
  });

  it('refuses live traffic on a deployment that is not Succeeded or not smoke-tested', () => {
    fc.assert(
      fc.property(
        validSplit,
        fc.constantFrom(...names),
        fc.constantFrom('Creating', 'Updating', 'Scaling', 'Deleting', 'Failed', 'Canceled', 'untested'),
        (traffic, victim, problem) => {
          fc.pre((traffic[victim] ?? 0) > 0);
          const deployments = readyDeployments.map((d) =>
            d.name !== victim
              ? d
              : problem === 'untested'
                ? { ...d, smokeTestPassed: false }
                : { ...d, provisioningState: problem as DeploymentFacts['provisioningState'] },
          );
          const violations = checkTrafficChange({ deployments, traffic, mirror: {} });
          expect(violations.some((v) => v.includes(`"${victim}"`))).toBe(true);
          // ... unless it already serves live traffic and is ready (it is the live baseline)
          if (problem === 'untested')
            expect(checkTrafficChange({ deployments, traffic, mirror: {}, currentTraffic: { [victim]: 100 } })).toEqual([]);
        },
      ),
    );
  });

  it('refuses a mirror above 50, on two deployments, or on one taking live traffic', () => {
    fc.assert(
      fc.property(validSplit, fc.integer({ min: 1, max: 100 }), fc.constantFrom(...names), (traffic, percent, target) => {
        const violations = checkTrafficChange({ deployments: readyDeployments, traffic, mirror: { [target]: percent } });
        const expectedBad = percent > 50 || (traffic[target] ?? 0) > 0;
        expect(violations.length > 0).toBe(expectedBad);
      }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...names), { minLength: 2, maxLength: 2 }),
        fc.integer({ min: 1, max: 50 }),
        ([a, b], percent) => {
          const violations = checkTrafficChange({
            deployments: readyDeployments,
            traffic: {},
            mirror: { [a as string]: percent, [b as string]: percent },
          });
          expect(violations.some((v) => v.includes('one deployment only'))).toBe(true);
        },
      ),
    );
  });

  it('never allows deleting a deployment with live or mirrored traffic, and always allows an idle one', () => {
    fc.assert(
      fc.property(validSplit, fc.integer({ min: 0, max: 50 }), fc.constantFrom(...names), (traffic, mirrorPercent, target) => {
        const idle = names.find((n) => (traffic[n] ?? 0) === 0);
        const mirror = idle && mirrorPercent > 0 ? { [idle]: mirrorPercent } : {};
        const busy = (traffic[target] ?? 0) > 0 || (mirror[target] ?? 0) > 0;
        expect(checkDeletion({ deployment: target, traffic, mirror }).length > 0).toBe(busy);
      }),
    );
  });

  it('does not depend on the order of the deployment list', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...names, 'ghost'), fc.integer({ min: -5, max: 105 })),
        fc.dictionary(fc.constantFrom(...names), fc.integer({ min: 0, max: 60 }), { maxKeys: 2 }),
        fc.shuffledSubarray(readyDeployments),
        (traffic, mirror, deployments) => {
          const reversed = [...deployments].reverse();
          expect(checkTrafficChange({ deployments: reversed, traffic, mirror })).toEqual(
            checkTrafficChange({ deployments, traffic, mirror }),
          );
        },
      ),
    );
  });
});
