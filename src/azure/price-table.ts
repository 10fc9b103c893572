/**
 * PriceSource over a table the policy supplies: `{ instanceType: pricePerHour }`, one currency,
 * the same in every region (a team's negotiated price, or a price without network access).
 */
import { RolloutError } from '../errors';
import type { EndpointPrices, EndpointRef, PolicyPrices, PriceQuote, PriceSource } from '../ports';

export class PolicyPriceTable implements PriceSource {
  constructor(
    private readonly table: Readonly<Record<string, number>>,
    private readonly currency: string,
  ) {}

  hourlyPrice(instanceType: string, region: string): Promise<PriceQuote> {
    // Azure instance type names are case-insensitive (Standard_DS3_v2 = standard_ds3_v2).
    const key = Object.keys(this.table).find((name) => name.toLowerCase() === instanceType.toLowerCase());
    const pricePerHour = key === undefined ? undefined : this.table[key];
    if (pricePerHour === undefined) {
      return Promise.reject(
        new RolloutError(
          'NotFound',
          `cost.prices has no price for instance type "${instanceType}"; listed: ${Object.keys(this.table).join(', ') || '(none)'}`,
        ),
      );
    }
    return Promise.resolve({ instanceType, region, pricePerHour, currency: this.currency, source: 'policy' });
  }
}

/** The policy's table when it has one, else the shared Azure Retail Prices source. */
export function priceSourceFor(cost: PolicyPrices | undefined, retailPrices: PriceSource): PriceSource {
  return cost?.prices !== undefined ? new PolicyPriceTable(cost.prices, cost.currency) : retailPrices;
}

/** EndpointPrices over a retail source, with the endpoint's region read from ARM (cached per endpoint). */
export function createEndpointPrices(retailPrices: PriceSource, endpointLocation: (ref: EndpointRef) => Promise<string>): EndpointPrices {
  const regions = new Map<string, Promise<string>>();
  return {
    async hourlyPrice(instanceType, endpoint, policy) {
      const key = `${endpoint.subscriptionId}/${endpoint.resourceGroup}/${endpoint.workspace}/${endpoint.endpoint}`.toLowerCase();
      let region = regions.get(key);
      if (region === undefined) {
        region = endpointLocation(endpoint);
        regions.set(key, region);
        // A failed lookup is not remembered: the next look asks again.
        region.catch(() => regions.delete(key));
      }
      return priceSourceFor(policy, retailPrices).hourlyPrice(instanceType, await region);
    },
  };
}
