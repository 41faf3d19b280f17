import { Injectable } from '@nestjs/common';
import { BackupCatalogService } from '../backup/backup-catalog.service.js';
import { DiskSpaceWatch, type FolderSpace } from '../backup/disk-space-watch.js';
import { describeRetention } from '../backup/retention/retention-planner.js';
import { Clock } from '../common/clock.js';
import { nextRuns, scheduleRecurrence, specBackupHour } from '../common/schedules/backup-schedule.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { formatBytes } from '../common/format.js';
import { DiskSpace } from '../common/fs/disk-space.service.js';
import { AppConfig } from '../config/app-config.js';
import { SettingsService } from '../settings/settings.service.js';
import { noRequests, S3RequestLedger } from '../storage/s3-request-ledger.js';
import { TargetDirectory } from '../targets/target-directory.js';
import { type RosterEntry, TargetRoster } from '../targets/target-roster.js';
import { archiveGrowth, type ArchiveGrowth, keptUnderRule, projectedBytes, type SizedArchive } from './capacity-projection.js';
import { CostEstimator, type MonthlyCost } from './cost-estimator.js';
import type { CostPrices } from './cost-prices.js';
import { CostPricesStore, type TargetPrices } from './cost-prices.store.js';

/** The days of requests the monthly cost counts. */
export const COST_WINDOW_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The scheduled runs whose spacing the projection assumes. */
const SCHEDULE_SAMPLE = 25;

/** One target's figures (CostsDto's TargetCostDto before naming). */
export interface TargetCost {
  entry: RosterEntry;
  stored: { bytes: number; backups: number } | null;
  listingError: string | null;
  retention: string;
  projectedBackups: number | null;
  projectedBytes: number | null;
  growth: ArchiveGrowth;
  requests: { classA: number; classB: number; free: number } | null;
  prices: TargetPrices | null;
  monthly: MonthlyCost | null;
  freeBytes: number | null;
  warnings: string[];
}

export interface CostReport {
  generatedAt: Date;
  targets: TargetCost[];
  disks: FolderSpace[];
  totalMonthly: number;
}

/**
 * Cost and capacity per target (issue 18): what is stored, what the retention rule will hold, how the archives
 * grow, and for S3 targets the monthly cost from the prices and the requests the service counted (S3RequestLedger);
 * for the disks, whether the next backups fit (DiskSpaceWatch, the estimate the backups themselves check).
 */
@Injectable()
export class CostsService {
  constructor(
    private readonly roster: TargetRoster,
    private readonly directory: TargetDirectory,
    private readonly catalog: BackupCatalogService,
    private readonly ledger: S3RequestLedger,
    private readonly prices: CostPricesStore,
    private readonly diskWatch: DiskSpaceWatch,
    private readonly disk: DiskSpace,
    private readonly settings: SettingsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async report(): Promise<CostReport> {
    const entries = await this.roster.entries();
    // The listings first: their own requests (an S3 LIST, HEADs) are then among the counts read below.
    const listed = await Promise.all(entries.map((entry) => this.listed(entry.id)));
    const disks = await this.diskWatch.check();
    const requests = await this.ledger.lastDays(COST_WINDOW_DAYS);
    const now = this.clock.now();
    const targets: TargetCost[] = [];
    for (const [i, entry] of entries.entries()) {
      targets.push(await this.targetCost(entry, listed[i], requests.get(entry.id) ?? noRequests(), disks, now));
    }
    const totalMonthly = targets.reduce((sum, t) => sum + (t.monthly?.total ?? 0), 0);
    return { generatedAt: now, targets, disks, totalMonthly };
  }

  async setPrices(target: string, prices: CostPrices): Promise<TargetPrices> {
    await this.s3Target(target);
    await this.prices.set(target, prices);
    return this.prices.get(target);
  }

  async resetPrices(target: string): Promise<TargetPrices> {
    await this.s3Target(target);
    await this.prices.reset(target);
    return this.prices.get(target);
  }

  /** Prices belong to S3 targets: a folder's cost is the disk it is on. */
  private async s3Target(target: string): Promise<void> {
    const definition = await this.directory.get(target);
    if (definition.kind !== 's3') {
      throw new DomainError(ErrorCode.InvalidInput, `Target '${target}' is a folder: prices apply to S3 targets (its cost is the disk it is on)`, { target });
    }
  }

  private async listed(target: string): Promise<{ archives: SizedArchive[] } | { error: string }> {
    try {
      const backups = await this.catalog.list(target);
      return { archives: backups.map((b) => ({ sizeBytes: b.sizeBytes, createdAt: b.createdAt, own: b.own })) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  private async targetCost(
    entry: RosterEntry,
    listed: { archives: SizedArchive[] } | { error: string },
    counted: { classA: number; classB: number; free: number },
    disks: FolderSpace[],
    now: Date,
  ): Promise<TargetCost> {
    const archives = 'archives' in listed ? listed.archives : [];
    const stored = 'archives' in listed ? { bytes: archives.reduce((s, a) => s + a.sizeBytes, 0), backups: archives.length } : null;
    const growth = archiveGrowth(archives, now);
    let retention = 'unknown (the target could not be read)';
    let projectedBackups: number | null = null;
    let projected: number | null = null;
    try {
      const rule = (await this.directory.get(entry.id)).retention;
      retention = describeRetention(rule);
      projectedBackups = keptUnderRule(rule, this.scheduleInterval(entry, now), now, this.config.env.timeZone);
      projected = projectedBytes(archives, growth, projectedBackups);
    } catch {
      // The rule could not be read (a secret that cannot be decrypted): the stored figures still show.
    }
    const warnings: string[] = [];
    for (const disk of disks) {
      if (disk.targets.includes(entry.id) && disk.freeBytes < disk.neededBytes) {
        warnings.push(`The next backup needs ${formatBytes(disk.neededBytes)} in ${disk.folder}; ${formatBytes(disk.freeBytes)} is free`);
      }
    }
    let freeBytes: number | null = null;
    if (entry.kind === 'folder') {
      const folder = entry.builtIn ? await this.settings.localBackupDir() : entry.path;
      freeBytes = await this.disk.available(folder).catch(() => null);
      if (freeBytes !== null && stored) warnings.push(...this.capacityWarnings(folder, freeBytes, stored.bytes, projected, growth, projectedBackups));
    }
    const base = {
      entry,
      stored,
      listingError: 'error' in listed ? listed.error : null,
      retention,
      projectedBackups,
      projectedBytes: projected,
      growth,
      freeBytes,
      warnings,
    };
    if (entry.kind !== 's3') return { ...base, requests: null, prices: null, monthly: null };
    const prices = this.prices.get(entry.id);
    const monthly = stored ? new CostEstimator(prices.prices).monthly(stored.bytes, counted, projected) : null;
    return { ...base, requests: counted, prices, monthly };
  }

  /**
   * The time between the target's scheduled backups (the mean of its next 25 runs): the series its rule will face.
   * Not the spacing of the recent backups, which a few manual ones made minutes apart would make look like thousands a day.
   */
  private scheduleInterval(entry: RosterEntry, now: Date): number {
    const runs = nextRuns(scheduleRecurrence(entry.schedule, specBackupHour(entry.id)), now, this.config.env.timeZone, SCHEDULE_SAMPLE);
    return runs.length > 1 ? (runs[runs.length - 1].getTime() - runs[0].getTime()) / (runs.length - 1) : DAY_MS;
  }

  /** The folder's coming backups against its free space: the size under the rule, or (a rule that keeps everything) when it fills. */
  private capacityWarnings(
    folder: string,
    freeBytes: number,
    storedBytes: number,
    projected: number | null,
    growth: ArchiveGrowth,
    kept: number | null,
  ): string[] {
    if (projected !== null) {
      const more = projected - storedBytes;
      return more > freeBytes
        ? [
            `Under its retention ${folder} will hold about ${formatBytes(projected)}, ${formatBytes(more)} more than now, but only ${formatBytes(freeBytes)} is free`,
          ]
        : [];
    }
    if (kept === null && growth.backupsPerDay && growth.newestArchiveBytes) {
      const days = freeBytes / (growth.backupsPerDay * growth.newestArchiveBytes);
      if (days < 30)
        return [
          `Its retention keeps every backup: at ${growth.backupsPerDay.toFixed(1)} a day of about ${formatBytes(growth.newestArchiveBytes)}, ${folder} is full in about ${Math.max(0, Math.floor(days))} days`,
        ];
    }
    return [];
  }
}
