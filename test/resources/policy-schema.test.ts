import { describe, expect, it } from 'vitest';
import { costSchema, resourceCheckSchema } from '../../src/policy/schema';

const problems = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): string =>
  result.success ? '' : (result.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

describe('policy: resources and cost (additive schema)', () => {
  it.each([
    [{ cpu: { maxRatioToBaseline: 1.5 }, memory: { maxPercent: 85 } }, ''],
    [{ cpu: { maxPercent: 120 } }, /cpu\.maxPercent/],
    [{ memory: { maxRatioToBaseline: 0 } }, /memory\.maxRatioToBaseline/],
    [{ gpu: { maxPercent: 80 }, gpuMemory: { maxRatioToBaseline: 1.2 } }, ''],
    [{ gpu: { maxPercent: 101 } }, /gpu\.maxPercent/],
    [{ disk: { maxPercent: 80 } }, /disk|Unrecognized/],
    [{ minReportedMinutes: 0 }, /minReportedMinutes/],
  ] as const)('resources %j', (input, expected) => {
    const text = problems(resourceCheckSchema.safeParse(input));
    if (expected === '') expect(text).toBe('');
    else expect(text).toMatch(expected);
  });

  it.each([
    [{ maxCostIncreasePercent: 20 }, ''],
    [{ maxCostIncreasePercent: 20, onExceeded: 'rollback', prices: { Standard_DS3_v2: 0.3 }, currency: 'EUR' }, ''],
    [{}, /maxCostIncreasePercent/],
    [{ maxCostIncreasePercent: -1 }, /maxCostIncreasePercent/],
    [{ maxCostIncreasePercent: 20, onExceeded: 'ignore' }, /onExceeded/],
    [{ maxCostIncreasePercent: 20, prices: { 'DS3 v2': 0.3 } }, /prices\.DS3 v2/],
    [{ maxCostIncreasePercent: 20, prices: { Standard_DS3_v2: 0 } }, /prices\.Standard_DS3_v2/],
    [{ maxCostIncreasePercent: 20, currency: 'usd' }, /currency: must be an ISO 4217 code/],
  ] as const)('cost %j', (input, expected) => {
    const text = problems(costSchema.safeParse(input));
    if (expected === '') expect(text).toBe('');
    else expect(text).toMatch(expected);
  });

  it('defaults the outcome to asking a person', () => {
    expect(costSchema.parse({ maxCostIncreasePercent: 20 })).toEqual({
      maxCostIncreasePercent: 20,
      onExceeded: 'requestApproval',
      currency: 'USD',
    });
  });
});
