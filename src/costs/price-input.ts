import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { type CostPrices, MAX_PRICE, PRICE_FIELDS } from './cost-prices.js';

/**
 * The prices of a PUT /api/costs/prices/<target> body: all three, each a number of US dollars from 0 to MAX_PRICE.
 * Anything else answers 400 naming the field (details.field) and what to send; nothing is stored.
 */
export function parsePriceInput(body: unknown): CostPrices {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError(ErrorCode.InvalidInput, `Send a JSON object with ${PRICE_FIELDS.join(', ')} (US dollars)`);
  }
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).find((key) => !(PRICE_FIELDS as readonly string[]).includes(key));
  if (unknown !== undefined) {
    throw new DomainError(ErrorCode.InvalidInput, `Unknown field '${unknown.slice(0, 40)}': the prices are ${PRICE_FIELDS.join(', ')}`, {
      field: unknown.slice(0, 40),
    });
  }
  const price = (field: (typeof PRICE_FIELDS)[number]): number => {
    const value = input[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_PRICE) {
      const what = value === undefined ? 'is missing' : `must be a number of US dollars from 0 to ${MAX_PRICE}`;
      throw new DomainError(ErrorCode.InvalidInput, `${field} ${what} (for example ${field === 'storage_per_gb_month' ? '0.015' : '4.5'})`, { field });
    }
    return value;
  };
  return { storagePerGbMonth: price('storage_per_gb_month'), classAPerMillion: price('class_a_per_million'), classBPerMillion: price('class_b_per_million') };
}
