/**
 * PriceSource: the pay-as-you-go price of one instance type in one Azure region. Adapters: a
 * policy-supplied table (src/azure/price-table.ts) and the public Azure Retail Prices API
 * (src/azure/retail-prices.ts). An unknown instance type or region is an error naming it, never a
 * zero price.
 */
import type { HourlyPrice } from '../analysis/cost';
import type { EndpointRef } from './endpoint-control';

export type PriceQuote = HourlyPrice & { readonly source: 'policy' | 'azureRetailPrices' };

export interface PriceSource {
  hourlyPrice(instanceType: string, region: string): Promise<PriceQuote>;
}

/** A policy's own price table (`cost.prices`) and its currency. */
export interface PolicyPrices {
  readonly prices?: Readonly<Record<string, number>> | undefined;
  readonly currency: string;
}

/**
 * Prices for a rollout's endpoint: the policy's table when it has one, else the public
 * pay-as-you-go price in the endpoint's region (the adapter finds the region).
 */
export interface EndpointPrices {
  hourlyPrice(instanceType: string, endpoint: EndpointRef, policy: PolicyPrices): Promise<PriceQuote>;
}
