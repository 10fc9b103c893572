/**
 * PriceSource over the public Azure Retail Prices API (GET https://prices.azure.com/api/retail/prices,
 * no credentials). One filtered call per instance type and region:
 *   $filter=serviceName eq 'Virtual Machines' and armRegionName eq '<region>' and armSkuName eq '<type>' and priceType eq 'Consumption'
 * Managed online endpoint instances are billed as the VM size, so the price is the Linux
 * pay-as-you-go meter of that size: items whose meterName says Spot or Low Priority and whose
 * productName says Windows are other meters of the same size. The answer's Items carry
 * retailPrice per unitOfMeasure '1 Hour'; NextPageLink pages on when there are more (followed up
 * to MAX_PAGES). Answers are cached per type and region for `cacheMs` (prices change rarely).
 *
 * No SDK covers this API, hence the small fetch-based client.
 */
import { AzureCallError, RolloutError, ValidationError } from '../errors';
import type { Clock, PriceQuote, PriceSource } from '../ports';

const RETAIL_PRICES_URL = 'https://prices.azure.com';
const MAX_PAGES = 5;

export interface RetailPricesDeps {
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  /** Base URL (default https://prices.azure.com; the emulator serves the same path). */
  readonly baseUrl?: string;
  readonly currency?: string;
  readonly cacheMs?: number;
}

interface RetailItem {
  readonly retailPrice?: unknown;
  readonly currencyCode?: unknown;
  readonly meterName?: unknown;
  readonly productName?: unknown;
  readonly unitOfMeasure?: unknown;
  readonly type?: unknown;
}

const NAME = /^[A-Za-z0-9_]+$/;
const isOtherMeter = (item: RetailItem): boolean =>
  /spot|low priority/i.test(String(item.meterName ?? '')) ||
  /windows/i.test(String(item.productName ?? '')) ||
  String(item.unitOfMeasure ?? '') !== '1 Hour';

export class RetailPricesSource implements PriceSource {
  readonly #cache = new Map<string, { quote: PriceQuote; atMs: number }>();
  constructor(private readonly deps: RetailPricesDeps) {}

  async hourlyPrice(instanceType: string, region: string): Promise<PriceQuote> {
    // Values go into an OData filter between quotes: allow only what Azure names contain.
    if (!NAME.test(instanceType))
      throw new ValidationError('instanceType', `"${instanceType}" is not an Azure instance type name such as Standard_DS3_v2`);
    const armRegion = region.replace(/\s+/g, '').toLowerCase();
    if (!NAME.test(armRegion)) throw new ValidationError('region', `"${region}" is not an Azure region name such as westeurope`);
    const currency = this.deps.currency ?? 'USD';
    const key = `${instanceType.toLowerCase()}|${armRegion}|${currency}`;
    const cached = this.#cache.get(key);
    if (cached && this.deps.clock.now() - cached.atMs < (this.deps.cacheMs ?? 24 * 60 * 60_000)) return cached.quote;
    const filter = `serviceName eq 'Virtual Machines' and armRegionName eq '${armRegion}' and armSkuName eq '${instanceType}' and priceType eq 'Consumption'`;
    let url: string | null =
      `${(this.deps.baseUrl ?? RETAIL_PRICES_URL).replace(/\/$/, '')}/api/retail/prices?currencyCode='${currency}'&$filter=${encodeURIComponent(filter)}`;
    for (let page = 0; url !== null && page < MAX_PAGES; page++) {
      const body = await this.#get(url);
      const item = body.items.find((candidate) => !isOtherMeter(candidate) && typeof candidate.retailPrice === 'number');
      if (item) {
        const quote: PriceQuote = {
          instanceType,
          region: armRegion,
          pricePerHour: item.retailPrice as number,
          currency: String(item.currencyCode ?? currency),
          source: 'azureRetailPrices',
        };
        this.#cache.set(key, { quote, atMs: this.deps.clock.now() });
        return quote;
      }
      url = body.next;
    }
    throw new RolloutError('NotFound', `Azure Retail Prices has no Linux pay-as-you-go price for ${instanceType} in ${armRegion}`);
  }

  async #get(url: string): Promise<{ items: RetailItem[]; next: string | null }> {
    const operation = 'retailPrices';
    let response: Response;
    try {
      response = await this.deps.fetch(url, { headers: { accept: 'application/json' } });
    } catch (error) {
      throw new AzureCallError('Transient', operation, `request failed: ${error instanceof Error ? error.message : String(error)}`, {
        retryable: true,
        cause: error,
      });
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      const throttled = response.status === 429;
      throw new AzureCallError(
        throttled ? 'Throttled' : response.status >= 500 ? 'Transient' : 'InvalidInput',
        operation,
        `HTTP ${response.status} ${text.slice(0, 300)}`.trim(),
        {
          retryable: throttled || response.status >= 500,
          statusCode: response.status,
        },
      );
    }
    const body = (await response.json()) as { Items?: unknown; NextPageLink?: unknown };
    if (!Array.isArray(body.Items)) throw new AzureCallError('Transient', operation, 'the answer has no Items list', { retryable: true });
    return {
      items: body.Items as RetailItem[],
      next: typeof body.NextPageLink === 'string' && body.NextPageLink !== '' ? body.NextPageLink : null,
    };
  }
}
