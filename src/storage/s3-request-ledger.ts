import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import { MoreThanOrEqual } from 'typeorm';
import { Clock } from '../common/clock.js';
import { SqliteStore } from '../common/sqlite/sqlite-store.js';
import { AppConfig } from '../config/app-config.js';
import { S3RequestDayEntity } from './s3-request-day.entity.js';
import type { S3RequestClass } from './s3-request-class.js';
import { S3RequestMeter } from './s3-request-meter.js';

/** The request counts' own file in DATA_DIR. Not a managed database: a restore must not roll the counts back. */
export const S3_REQUESTS_FILE = '.s3-requests.db';

/** Counts are written at most this long after the request (a kill -9 loses at most this much). */
export const FLUSH_INTERVAL_MS = 5_000;
/** Days older than this are removed: the estimate reads 30. */
const KEPT_DAYS = 400;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Requests by R2's billing class. */
export interface RequestCounts {
  classA: number;
  classB: number;
  free: number;
}

export function noRequests(): RequestCounts {
  return { classA: 0, classB: 0, free: 0 };
}

/**
 * The S3 requests each target sent, per UTC day and billing class, in DATA_DIR/.s3-requests.db: what the cost
 * estimate's operations are counted from. A request is counted in memory when it is answered and written with
 * the others at most FLUSH_INTERVAL_MS later (one transaction, not one per request: a large upload sends a part
 * every few MiB), and at shutdown.
 */
@Injectable()
export class S3RequestLedger extends S3RequestMeter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('S3Requests');
  private readonly store: SqliteStore;
  /** Counted, not yet written: target → day → counts. */
  private pending = new Map<string, Map<string, RequestCounts>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private unavailable: boolean;

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
  ) {
    super();
    // Off (the command line): counted in memory only, and the file is neither created nor written.
    this.unavailable = config.env.countS3Requests === false;
    this.store = new SqliteStore({ file: path.join(config.env.dataDir, S3_REQUESTS_FILE), entities: [S3RequestDayEntity] });
  }

  /**
   * A file that cannot be opened (a read-only DATA_DIR given to the command line, another user's file) must not
   * stop a backup or a restore: the counts are then kept in memory only, and the estimate says less.
   */
  async onModuleInit(): Promise<void> {
    if (this.unavailable) return;
    try {
      await this.store.open();
    } catch (error) {
      this.unavailable = true;
      this.logger.warn(`The S3 request counts cannot be kept in ${this.store.file} (${(error as Error).message}): this process counts in memory only`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    if (!this.unavailable) await this.store.close();
  }

  count(target: string, requestClass: S3RequestClass): void {
    const one = noRequests();
    if (requestClass === 'A') one.classA = 1;
    else if (requestClass === 'B') one.classB = 1;
    else one.free = 1;
    this.merge(target, utcDay(this.clock.now()), one);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_INTERVAL_MS).unref();
  }

  /** Each target's requests of the last `days` UTC days, today included (written and not yet written). */
  async lastDays(days: number): Promise<Map<string, RequestCounts>> {
    const from = utcDay(new Date(this.clock.now().getTime() - (days - 1) * DAY_MS));
    const rows = this.unavailable ? [] : await this.store.read((manager) => manager.find(S3RequestDayEntity, { where: { day: MoreThanOrEqual(from) } }));
    const totals = new Map<string, RequestCounts>();
    const add = (target: string, counts: RequestCounts) => totals.set(target, sum(totals.get(target) ?? noRequests(), counts));
    for (const row of rows) add(row.target, row);
    for (const [target, byDay] of this.pending) for (const [day, counts] of byDay) if (day >= from) add(target, counts);
    return totals;
  }

  /**
   * Forgets a target's counts, written and not yet written: a removed target's, so that a target added later under
   * the same id does not inherit them. Queued after the writes in progress, so none of them brings the counts back.
   */
  forgetTarget(target: string): Promise<void> {
    this.pending.delete(target);
    this.flushing = this.flushing.then(async () => {
      // A write that failed meanwhile merged its batch back into what is pending.
      this.pending.delete(target);
      if (this.unavailable) return;
      try {
        await this.store.transaction((manager) => manager.delete(S3RequestDayEntity, { target }));
      } catch (error) {
        this.logger.warn(`The S3 request counts of the removed target ${target} could not be removed from ${this.store.file}: ${(error as Error).message}`);
      }
    });
    return this.flushing;
  }

  /** Writes what was counted; on failure the counts stay in memory for the next try. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0 || this.unavailable) return;
    const batch = this.pending;
    this.pending = new Map();
    const oldest = utcDay(new Date(this.clock.now().getTime() - KEPT_DAYS * DAY_MS));
    try {
      await this.store.transaction(async (manager) => {
        for (const [target, byDay] of batch) {
          for (const [day, c] of byDay) {
            await manager.query(
              'INSERT INTO s3_request_days (target, day, class_a, class_b, free) VALUES (?, ?, ?, ?, ?) ' +
                'ON CONFLICT (target, day) DO UPDATE SET class_a = class_a + excluded.class_a, class_b = class_b + excluded.class_b, free = free + excluded.free',
              [target, day, c.classA, c.classB, c.free],
            );
          }
        }
        await manager.query('DELETE FROM s3_request_days WHERE day < ?', [oldest]);
      });
    } catch (error) {
      for (const [target, byDay] of batch) for (const [day, c] of byDay) this.merge(target, day, c);
      this.logger.warn(`The S3 request counts could not be written to ${this.store.file} (kept in memory, tried again later): ${(error as Error).message}`);
    }
  }

  /** Adds `c` to what is pending for `target` on `day`. */
  private merge(target: string, day: string, c: RequestCounts): void {
    const byDay = this.pending.get(target) ?? new Map<string, RequestCounts>();
    byDay.set(day, sum(byDay.get(day) ?? noRequests(), c));
    this.pending.set(target, byDay);
  }
}

function sum(a: RequestCounts, b: RequestCounts): RequestCounts {
  return { classA: a.classA + b.classA, classB: a.classB + b.classB, free: a.free + b.free };
}

function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}
