/**
 * PriceSource: the pay-as-you-go price of one instance type in one Azure region. Adapters: a
 * policy-supplied table (src/azure/price-table.ts) and the public Azure Retail Prices API
 * (src/azure/retail-prices.ts). An unknown instance type or region is an error naming it, never a
 * zero price.
 */
import type { HourlyPrice } from '../analysis/cost';

export type PriceQuote = HourlyPrice & { readonly source: 'policy' | 'azureRetailPrices' };

export interface PriceSource {
  hourlyPrice(instanceType: string, region: string): Promise<PriceQuote>;
}
