import { describe, expect, it } from 'vitest';
import {
  assertDeletion,
  assertTrafficChange,
  checkDeletion,
  checkTrafficChange,
  type DeploymentFacts,
  type TrafficChange,
} from '../../src/plan/invariants';
import { InvariantViolationError } from '../../src/errors';

const blue: DeploymentFacts = { name: 'blue', provisioningState: 'Succeeded', smokeTestPassed: false };
const green: DeploymentFacts = { name: 'green', provisioningState: 'Succeeded', smokeTestPassed: true };
const greenUntested: DeploymentFacts = { ...green, smokeTestPassed: false };
const greenUpdating: DeploymentFacts = { ...green, provisioningState: 'Updating' };

const change = (over: Partial<TrafficChange>): TrafficChange => ({
  deployments: [blue, green],
  traffic: { blue: 100 },
  mirror: {},
  currentTraffic: { blue: 100 },
  ...over,
});

describe('checkTrafficChange', () => {
  it.each<[string, TrafficChange, string[]]>([
    ['baseline keeps everything', change({}), []],
    ['canary split', change({ traffic: { blue: 90, green: 10 } }), []],
    ['all zero', change({ traffic: { blue: 0, green: 0 } }), []],
    ['empty split', change({ traffic: {} }), []],
    ['mirror to the candidate', change({ mirror: { green: 50 } }), []],
    ['mirror 0 entries are "off"', change({ mirror: { green: 0 } }), []],
    ['promotion', change({ traffic: { blue: 0, green: 100 }, currentTraffic: { blue: 90, green: 10 } }), []],
    [
      'sum below 100',
      change({ traffic: { blue: 80, green: 10 } }),
      ['live traffic must sum to 100 (or be all 0), got 90 (blue=80, green=10)'],
    ],
    [
      'sum above 100',
      change({ traffic: { blue: 100, green: 10 } }),
      ['live traffic must sum to 100 (or be all 0), got 110 (blue=100, green=10)'],
    ],
    [
      'fractional',
      change({ traffic: { blue: 89.5, green: 10.5 } }),
      ['traffic for "blue" must be a whole percent 0..100, got 89.5', 'traffic for "green" must be a whole percent 0..100, got 10.5'],
    ],
    [
      'negative',
      change({ traffic: { blue: 110, green: -10 } }),
      ['traffic for "blue" must be a whole percent 0..100, got 110', 'traffic for "green" must be a whole percent 0..100, got -10'],
    ],
    ['unknown deployment', change({ traffic: { blue: 90, ghost: 10 } }), ['traffic names deployment "ghost", which does not exist']],
    [
      'not smoke tested',
      change({ deployments: [blue, greenUntested], traffic: { blue: 90, green: 10 } }),
      ['live traffic (10%) on "green", which has not passed its smoke test'],
    ],
    [
      'not Succeeded',
      change({ deployments: [blue, greenUpdating], traffic: { blue: 90, green: 10 } }),
      ['live traffic (10%) on "green", which is Updating, not Succeeded'],
    ],
    [
      'baseline without current traffic info is not trusted',
      change({ currentTraffic: undefined }),
      ['live traffic (100%) on "blue", which has not passed its smoke test'],
    ],
    [
      'mirror above 50',
      change({ mirror: { green: 51 } }),
      ['mirror traffic for "green" must be a whole percent 0..50 (Azure\'s limit), got 51'],
    ],
    [
      'mirror to two',
      change({ deployments: [blue, green, { ...green, name: 'red' }], mirror: { green: 10, red: 10 } }),
      ['mirror traffic may go to one deployment only, got green=10, red=10'],
    ],
    [
      'mirror on a live deployment',
      change({ traffic: { blue: 90, green: 10 }, mirror: { green: 10 } }),
      ['"green" would take live (10%) and mirrored (10%) traffic; Azure allows one or the other'],
    ],
    [
      'mirror on the baseline',
      change({ mirror: { blue: 10 } }),
      ['"blue" would take live (100%) and mirrored (10%) traffic; Azure allows one or the other'],
    ],
    ['mirror to a ghost', change({ mirror: { ghost: 10 } }), ['mirror names deployment "ghost", which does not exist']],
    [
      'mirror to an updating deployment',
      change({ deployments: [blue, greenUpdating], mirror: { green: 10 } }),
      ['mirror traffic (10%) on "green", which is Updating, not Succeeded'],
    ],
    [
      'the rollout baseline may take traffic back after promotion',
      change({ traffic: { blue: 100, green: 0 }, currentTraffic: { blue: 0, green: 100 }, baseline: 'blue' }),
      [],
    ],
    [
      'a former deployment that is not the baseline may not',
      change({ traffic: { blue: 100, green: 0 }, currentTraffic: { blue: 0, green: 100 } }),
      ['live traffic (100%) on "blue", which has not passed its smoke test'],
    ],
    ['names compare case-insensitively', change({ traffic: { Blue: 90, GREEN: 10 } }), []],
  ])('%s', (_name, input, expected) => {
    expect(checkTrafficChange(input)).toEqual(expected);
  });

  it('assertTrafficChange throws InvariantViolationError with every violation', () => {
    const bad = change({ traffic: { blue: 50, ghost: 10 }, mirror: { blue: 60 } });
    let error: unknown;
    try {
      assertTrafficChange(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvariantViolationError);
    expect((error as InvariantViolationError).violations).toEqual(checkTrafficChange(bad));
    expect((error as InvariantViolationError).violations.length).toBeGreaterThanOrEqual(4);
    expect((error as InvariantViolationError).code).toBe('InvariantViolation');
    expect(() => assertTrafficChange(change({}))).not.toThrow();
  });
});

describe('checkDeletion', () => {
  it.each<[string, Parameters<typeof checkDeletion>[0], string[]]>([
    ['idle deployment', { deployment: 'blue', traffic: { blue: 0, green: 100 }, mirror: {} }, []],
    ['absent deployment (deletes are idempotent)', { deployment: 'gone', traffic: { green: 100 }, mirror: {} }, []],
    [
      'live traffic',
      { deployment: 'blue', traffic: { blue: 10, green: 90 }, mirror: {} },
      ['cannot delete "blue": it holds 10% of live traffic'],
    ],
    [
      'mirrored traffic',
      { deployment: 'green', traffic: { blue: 100 }, mirror: { green: 20 } },
      ['cannot delete "green": it receives 20% mirrored traffic'],
    ],
    [
      'case-insensitive',
      { deployment: 'BLUE', traffic: { blue: 100 }, mirror: {} },
      ['cannot delete "BLUE": it holds 100% of live traffic'],
    ],
  ])('%s', (_name, input, expected) => {
    expect(checkDeletion(input)).toEqual(expected);
  });

  it('assertDeletion throws', () => {
    expect(() => assertDeletion({ deployment: 'blue', traffic: { blue: 100 }, mirror: {} })).toThrow(InvariantViolationError);
    expect(() => assertDeletion({ deployment: 'blue', traffic: { green: 100 }, mirror: {} })).not.toThrow();
  });
});
