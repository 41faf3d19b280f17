import type { CostPrices } from './cost-prices.js';

/** Bytes in a GB as the prices count them (decimal, as storage is sold). */
export const BYTES_PER_GB = 1e9;

/** One target's requests of the last 30 days by billing class. */
export interface BillableRequests {
  classA: number;
  classB: number;
}

/** A month's cost in US dollars, by what is charged. */
export interface MonthlyCost {
  /** What is stored now, kept for a month. */
  storage: number;
  /** The Class A operations of the last 30 days. */
  classA: number;
  /** The Class B operations of the last 30 days. */
  classB: number;
  /** storage + classA + classB. */
  total: number;
  /** The storage of the size projected under the retention rule (null when the rule keeps every backup). */
  projectedStorage: number | null;
}

/**
 * The monthly cost of one S3 target at its prices: storage at the price per GB-month for the bytes stored (held a
 * whole month), and the operations of the last 30 days at the prices per million. Pure: the caller counts the
 * bytes and the requests. No free tier is subtracted and nothing is rounded up to billing units (README: "Cost
 * and capacity").
 */
export class CostEstimator {
  constructor(private readonly prices: CostPrices) {}

  storagePerMonth(bytes: number): number {
    return (bytes / BYTES_PER_GB) * this.prices.storagePerGbMonth;
  }

  monthly(storedBytes: number, requests: BillableRequests, projectedBytes: number | null): MonthlyCost {
    const storage = this.storagePerMonth(storedBytes);
    const classA = (requests.classA / 1e6) * this.prices.classAPerMillion;
    const classB = (requests.classB / 1e6) * this.prices.classBPerMillion;
    return {
      storage,
      classA,
      classB,
      total: storage + classA + classB,
      projectedStorage: projectedBytes === null ? null : this.storagePerMonth(projectedBytes),
    };
  }
}
