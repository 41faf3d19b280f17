/** GET /api/costs and the prices of PUT/DELETE /api/costs/prices/{target}: the Cost and capacity section. */
import { api, unwrap } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];
export type Costs = Schemas['CostsDto'];
export type TargetCost = Schemas['TargetCostDto'];
export type CostPrices = Schemas['CostPricesDto'];
export type CostPricesInput = Schemas['CostPricesInputDto'];

export function fetchCosts(): Promise<Costs> {
  return unwrap(api.GET('/api/costs'));
}

export function savePrices(target: string, prices: CostPricesInput): Promise<CostPrices> {
  return unwrap(api.PUT('/api/costs/prices/{target}', { params: { path: { target } }, body: prices }));
}

export function resetPrices(target: string): Promise<CostPrices> {
  return unwrap(api.DELETE('/api/costs/prices/{target}', { params: { path: { target } } }));
}
