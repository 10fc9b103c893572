/**
 * A small Azure Retail Prices API (GET /api/retail/prices?$filter=...), in the public API's
 * response shape: { BillingCurrency, CustomerEntityId, CustomerEntityType, Items, NextPageLink,
 * Count }, each item with retailPrice per unitOfMeasure '1 Hour'. The filter accepts what the
 * public API documents for the fields the app uses: `<field> eq '<value>'` clauses joined with
 * `and` (values case-sensitive, as in API version 2023-01-01-preview and later).
 *
 * The list holds Linux pay-as-you-go, Spot and Windows meters of a few managed online endpoint
 * instance types, so a client has to pick the right meter as it must in Azure. The numbers are
 * illustrative, not current Azure prices.
 */
import { ServiceError } from './arm-errors';
import type { ApiResponse } from './arm-api';

interface RetailPriceItem {
  readonly currencyCode: string;
  readonly retailPrice: number;
  readonly unitPrice: number;
  readonly armRegionName: string;
  readonly armSkuName: string;
  readonly serviceName: string;
  readonly productName: string;
  readonly skuName: string;
  readonly meterName: string;
  readonly unitOfMeasure: string;
  readonly type: string;
}

const REGIONS = ['westeurope', 'eastus'] as const;
/** Linux pay-as-you-go price per hour in westeurope; eastus is 10% cheaper. */
const LINUX_HOURLY: Readonly<Record<string, { series: string; size: string; price: number }>> = {
  Standard_DS2_v2: { series: 'DSv2 Series', size: 'DS2 v2', price: 0.171 },
  Standard_DS3_v2: { series: 'DSv2 Series', size: 'DS3 v2', price: 0.342 },
  Standard_DS4_v2: { series: 'DSv2 Series', size: 'DS4 v2', price: 0.684 },
  Standard_F4s_v2: { series: 'FSv2 Series', size: 'F4s v2', price: 0.193 },
  Standard_NC6s_v3: { series: 'NCSv3 Series', size: 'NC6s v3', price: 3.823 },
};

function buildPriceList(): RetailPriceItem[] {
  const items: RetailPriceItem[] = [];
  for (const region of REGIONS) {
    const factor = region === 'eastus' ? 0.9 : 1;
    for (const [armSkuName, { series, size, price }] of Object.entries(LINUX_HOURLY)) {
      const linux = Math.round(price * factor * 10_000) / 10_000;
      const meter = (productName: string, skuName: string, meterName: string, retailPrice: number): RetailPriceItem => ({
        currencyCode: 'USD',
        retailPrice,
        unitPrice: retailPrice,
        armRegionName: region,
        armSkuName,
        serviceName: 'Virtual Machines',
        productName,
        skuName,
        meterName,
        unitOfMeasure: '1 Hour',
        type: 'Consumption',
      });
      items.push(meter(`Virtual Machines ${series}`, size, size, linux));
      items.push(meter(`Virtual Machines ${series}`, `${size} Spot`, `${size} Spot`, Math.round(linux * 0.2 * 10_000) / 10_000));
      items.push(meter(`Virtual Machines ${series} Windows`, size, size, Math.round(linux * 1.8 * 10_000) / 10_000));
    }
  }
  return items;
}

const PRICE_LIST = buildPriceList();
const FILTERABLE = [
  'armRegionName',
  'armSkuName',
  'serviceName',
  'productName',
  'skuName',
  'meterName',
  'priceType',
  'currencyCode',
] as const;
type FilterField = (typeof FILTERABLE)[number];

function parseFilter(text: string): { field: FilterField; value: string }[] {
  if (text.trim() === '') return [];
  return text.split(/\s+and\s+/i).map((clause) => {
    const m = /^\s*([A-Za-z]+)\s+eq\s+'([^']*)'\s*$/.exec(clause);
    const field = FILTERABLE.find((f) => f.toLowerCase() === m?.[1]?.toLowerCase());
    if (!m || !field)
      throw new ServiceError(
        400,
        'BadRequest',
        `Invalid $filter '${text}': the emulator accepts "<field> eq '<value>'" joined with "and", fields ${FILTERABLE.join(', ')}.`,
      );
    return { field, value: m[2] ?? '' };
  });
}

const fieldOf = (item: RetailPriceItem, field: FilterField): string => (field === 'priceType' ? item.type : item[field]);

export function retailPrices(query: URLSearchParams): ApiResponse {
  const currency = (query.get('currencyCode') ?? 'USD').replace(/^'|'$/g, '');
  if (currency !== 'USD')
    throw new ServiceError(400, 'BadRequest', `currencyCode '${currency}' is not served by the emulator's price list (USD only).`);
  const clauses = parseFilter(query.get('$filter') ?? '');
  const items = PRICE_LIST.filter((item) => clauses.every(({ field, value }) => fieldOf(item, field) === value));
  return {
    status: 200,
    body: {
      BillingCurrency: 'USD',
      CustomerEntityId: 'Default',
      CustomerEntityType: 'Retail',
      Items: items,
      NextPageLink: null,
      Count: items.length,
    },
  };
}
