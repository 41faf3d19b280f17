import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import { DurableJsonFile } from '../common/fs/durable-json-file.js';
import { AppConfig } from '../config/app-config.js';
import { type CostPrices, MAX_PRICE, R2_PRICES } from './cost-prices.js';

/** The prices set per target, in DATA_DIR. Its own small file, not a managed database: a restore must not roll it back. */
export const COST_PRICES_FILE = '.cost-prices.json';

type StoredPrices = Record<string, CostPrices>;

/** A target's prices and whether they are the spec's R2 defaults. */
export interface TargetPrices {
  prices: CostPrices;
  isDefault: boolean;
}

/**
 * The prices each S3 target's cost estimate uses: the spec's R2 prices until changed through
 * PUT /api/costs/prices/<target> (another store's, or a contract's), and again after DELETE.
 */
@Injectable()
export class CostPricesStore implements OnModuleInit, OnModuleDestroy {
  private readonly file: DurableJsonFile<StoredPrices>;

  constructor(config: AppConfig) {
    const file = path.join(config.env.dataDir, COST_PRICES_FILE);
    const logger = new Logger('Costs');
    this.file = new DurableJsonFile<StoredPrices>(file, 'the cost prices', logger, (json) => {
      const prices = parsePrices(json);
      if (json !== undefined && Object.keys(prices).length !== Object.keys(json ?? {}).length) {
        logger.warn(`Ignoring damaged prices in ${file}: those targets use the R2 prices until set again`);
      }
      return prices;
    });
  }

  async onModuleInit(): Promise<void> {
    await this.file.removeLeftovers();
    this.file.load();
  }

  onModuleDestroy(): Promise<void> {
    return this.file.flush();
  }

  get(target: string): TargetPrices {
    const stored = this.file.get()[target];
    return stored ? { prices: { ...stored }, isDefault: false } : { prices: { ...R2_PRICES }, isDefault: true };
  }

  async set(target: string, prices: CostPrices): Promise<void> {
    await this.file.set({ ...this.file.get(), [target]: { ...prices } });
  }

  /** Back to R2's prices; the file is left as it is when the target has none of its own. */
  async reset(target: string): Promise<void> {
    if (!Object.hasOwn(this.file.get(), target)) return;
    const rest = { ...this.file.get() };
    delete rest[target];
    await this.file.set(rest);
  }
}

function isPrice(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_PRICE;
}

function parsePrices(json: unknown): StoredPrices {
  const prices: StoredPrices = {};
  if (typeof json !== 'object' || json === null) return prices;
  for (const [target, value] of Object.entries(json as Record<string, unknown>)) {
    const p = value as Partial<CostPrices> | null;
    if (p && isPrice(p.storagePerGbMonth) && isPrice(p.classAPerMillion) && isPrice(p.classBPerMillion)) {
      prices[target] = { storagePerGbMonth: p.storagePerGbMonth, classAPerMillion: p.classAPerMillion, classBPerMillion: p.classBPerMillion };
    }
  }
  return prices;
}
