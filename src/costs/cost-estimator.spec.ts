import { CostEstimator } from './cost-estimator.js';
import { R2_PRICES } from './cost-prices.js';

describe('CostEstimator', () => {
  it("prices the spec's example at R2's prices: 500 MB stored a month is $0.0075", () => {
    const cost = new CostEstimator(R2_PRICES).monthly(500e6, { classA: 0, classB: 0 }, null);
    expect(cost.storage).toBeCloseTo(0.0075, 12);
    expect(cost.total).toBeCloseTo(0.0075, 12);
    expect(cost.projectedStorage).toBeNull();
  });

  it('counts Class A at $4.50 and Class B at $0.36 per million, and adds them to the storage', () => {
    const cost = new CostEstimator(R2_PRICES).monthly(2e9, { classA: 1_000_000, classB: 250_000 }, 3e9);
    expect(cost.storage).toBeCloseTo(0.03, 12);
    expect(cost.classA).toBeCloseTo(4.5, 12);
    expect(cost.classB).toBeCloseTo(0.09, 12);
    expect(cost.total).toBeCloseTo(4.62, 12);
    expect(cost.projectedStorage).toBeCloseTo(0.045, 12);
  });

  it("uses the prices it is given, not R2's", () => {
    const cost = new CostEstimator({ storagePerGbMonth: 0.006, classAPerMillion: 5, classBPerMillion: 0.4 }).monthly(
      10e9,
      { classA: 200_000, classB: 0 },
      null,
    );
    expect(cost.storage).toBeCloseTo(0.06, 12);
    expect(cost.classA).toBeCloseTo(1, 12);
    expect(cost.total).toBeCloseTo(1.06, 12);
  });

  it('is zero for nothing stored and no requests', () => {
    expect(new CostEstimator(R2_PRICES).monthly(0, { classA: 0, classB: 0 }, 0)).toEqual({ storage: 0, classA: 0, classB: 0, total: 0, projectedStorage: 0 });
  });
});
