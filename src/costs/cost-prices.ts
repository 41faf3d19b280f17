/** What one S3 store charges, in US dollars: the prices the cost estimate multiplies. */
export interface CostPrices {
  /** Per GB-month stored (1 GB = 10^9 bytes). */
  storagePerGbMonth: number;
  /** Per million Class A operations (writes and listings). */
  classAPerMillion: number;
  /** Per million Class B operations (reads). */
  classBPerMillion: number;
}

/** The spec's Cloudflare R2 prices ("Cost Considerations"): every S3 target's prices until changed. */
export const R2_PRICES: Readonly<CostPrices> = Object.freeze({ storagePerGbMonth: 0.015, classAPerMillion: 4.5, classBPerMillion: 0.36 });

/** The highest price accepted, per unit: anything above is a typing slip (cents for dollars times a thousand). */
export const MAX_PRICE = 1000;

export const PRICE_FIELDS = ['storage_per_gb_month', 'class_a_per_million', 'class_b_per_million'] as const;
