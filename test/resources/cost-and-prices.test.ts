import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCost, costPer1000Requests, rolloutExtraCost, type HourlyPrice } from '../../src/analysis/cost';
import { PolicyPriceTable, priceSourceFor } from '../../src/azure/price-table';
import { RetailPricesSource } from '../../src/azure/retail-prices';
import { createEmulator, type Emulator } from '../../src/harness/emulator';
import { TestClock } from '../azure/support/fake-azure';

const price = (instanceType: string, pricePerHour: number, currency = 'USD'): HourlyPrice => ({
  instanceType,
  region: 'westeurope',
  pricePerHour,
  currency,
});

describe('checkCost: table', () => {
  const ds3 = price('Standard_DS3_v2', 0.342);
  const cases = [
    { name: 'same SKU, same instances: +0%, pass', c: [ds3, 2], b: [ds3, 2], verdict: 'pass' },
    { name: 'needs 3 instances where the live needs 2: +50% > 20%, ask for approval', c: [ds3, 3], b: [ds3, 2], verdict: 'exceeded' },
    {
      name: 'a cheaper SKU at the same count: negative increase, pass',
      c: [price('Standard_DS2_v2', 0.171), 2],
      b: [ds3, 2],
      verdict: 'pass',
    },
    {
      name: 'a version that fits on no instance count: inconclusive',
      c: [ds3, Number.POSITIVE_INFINITY],
      b: [ds3, 2],
      verdict: 'inconclusive',
    },
    { name: 'different currencies: inconclusive', c: [price('Standard_DS3_v2', 0.3, 'EUR'), 2], b: [ds3, 2], verdict: 'inconclusive' },
  ] as const;
  it.each(cases)('$name', ({ c, b, verdict }) => {
    const result = checkCost({
      candidate: { price: c[0], instancesAtFullTraffic: c[1] },
      baseline: { price: b[0], instancesAtFullTraffic: b[1] },
      fullTrafficRequestsPerMinute: 600,
      maxCostIncreasePercent: 20,
      onExceeded: 'requestApproval',
    });
    expect(result.verdict).toBe(verdict);
    if (result.verdict === 'exceeded') {
      expect(result.outcome).toBe('requestApproval');
      expect(result.evidence.increasePercent).toBeCloseTo(50, 9);
      expect(result.reason).toMatch(/rises 50\.0% \(limit 20%\)/);
    }
  });

  it('prices 1,000 requests from the hourly cost and the request rate', () => {
    // 2 x 0.342 an hour for 600 x 60 requests: 0.684 / 36 = 0.019 per 1,000.
    expect(costPer1000Requests(price('Standard_DS3_v2', 0.342), 2, 600)).toBeCloseTo(0.019, 9);
    expect(rolloutExtraCost(price('Standard_DS3_v2', 0.342), 2, 90).amount).toBeCloseTo(1.026, 9);
  });
});

describe('checkCost: properties', () => {
  it('exceeds exactly when the increase is above the limit, and the increase is independent of the request rate', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 200 }),
        (cp, cn, bp, bn, rpm, limit) => {
          const result = checkCost({
            candidate: { price: price('A', cp), instancesAtFullTraffic: cn },
            baseline: { price: price('B', bp), instancesAtFullTraffic: bn },
            fullTrafficRequestsPerMinute: rpm,
            maxCostIncreasePercent: limit,
            onExceeded: 'rollback',
          });
          const expected = ((cp * cn - bp * bn) / (bp * bn)) * 100;
          if (result.verdict === 'inconclusive') return false;
          expect(result.evidence.increasePercent).toBeCloseTo(expected, 6);
          return (result.verdict === 'exceeded') === expected > limit;
        },
      ),
    );
  });
});

describe('PolicyPriceTable', () => {
  it('answers a listed instance type (case-insensitive) and names what is missing', async () => {
    const table = new PolicyPriceTable({ Standard_DS3_v2: 0.3 }, 'EUR');
    await expect(table.hourlyPrice('standard_ds3_v2', 'westeurope')).resolves.toMatchObject({
      pricePerHour: 0.3,
      currency: 'EUR',
      source: 'policy',
    });
    await expect(table.hourlyPrice('Standard_F4s_v2', 'westeurope')).rejects.toThrow(
      /no price for instance type "Standard_F4s_v2"; listed: Standard_DS3_v2/,
    );
  });
});

describe('priceSourceFor', () => {
  it("uses the policy's table when it has one, else the retail source", async () => {
    const retail = new PolicyPriceTable({ Standard_DS3_v2: 9 }, 'USD');
    await expect(
      priceSourceFor({ prices: { Standard_DS3_v2: 0.3 }, currency: 'EUR' }, retail).hourlyPrice('Standard_DS3_v2', 'westeurope'),
    ).resolves.toMatchObject({ pricePerHour: 0.3, currency: 'EUR' });
    await expect(priceSourceFor({ currency: 'USD' }, retail).hourlyPrice('Standard_DS3_v2', 'westeurope')).resolves.toMatchObject({
      pricePerHour: 9,
    });
    await expect(priceSourceFor(undefined, retail).hourlyPrice('Standard_DS3_v2', 'westeurope')).resolves.toMatchObject({
      pricePerHour: 9,
    });
  });
});

describe('RetailPricesSource against the emulator price list', () => {
  let emulator: Emulator;
  const calls: string[] = [];
  const clock = new TestClock();
  const countingFetch: typeof fetch = (input, init) => {
    calls.push(String(input));
    return fetch(input, init);
  };
  beforeAll(async () => {
    emulator = createEmulator({ clock });
    await emulator.start();
  });
  afterAll(async () => {
    await emulator.stop();
  });

  it('picks the Linux pay-as-you-go meter of the region (not Spot, not Windows) and caches it', async () => {
    const source = new RetailPricesSource({ fetch: countingFetch, clock, baseUrl: emulator.url, cacheMs: 60_000 });
    const quote = await source.hourlyPrice('Standard_DS3_v2', 'West Europe');
    expect(quote).toMatchObject({
      instanceType: 'Standard_DS3_v2',
      region: 'westeurope',
      pricePerHour: 0.342,
      currency: 'USD',
      source: 'azureRetailPrices',
    });
    const eastus = await source.hourlyPrice('Standard_DS3_v2', 'eastus');
    expect(eastus.pricePerHour).toBeLessThan(quote.pricePerHour);
    expect(calls.length).toBe(2);
    expect(decodeURIComponent(calls[0] ?? '')).toContain("armSkuName eq 'Standard_DS3_v2'");
    await source.hourlyPrice('Standard_DS3_v2', 'westeurope');
    expect(calls.length).toBe(2);
    clock.nowMs += 61_000;
    await source.hourlyPrice('Standard_DS3_v2', 'westeurope');
    expect(calls.length).toBe(3);
  });

  it('names an unknown instance type, and refuses names that are not Azure names', async () => {
    const source = new RetailPricesSource({ fetch, clock, baseUrl: emulator.url });
    await expect(source.hourlyPrice('Standard_XYZ_v9', 'westeurope')).rejects.toThrow(
      /no Linux pay-as-you-go price for Standard_XYZ_v9 in westeurope/,
    );
    await expect(source.hourlyPrice("x' or serviceName eq 'y", 'westeurope')).rejects.toThrow(/not an Azure instance type name/);
  });

  it('the emulator route rejects a filter it does not understand with a 400 naming it', async () => {
    const response = await fetch(`${emulator.url}/api/retail/prices?$filter=${encodeURIComponent("meterId gt 'x'")}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Invalid \$filter/);
  });
});
