import { Injectable, Logger } from '@nestjs/common';
import { BackupCatalogService } from '../backup/backup-catalog.service.js';
import { BackupCompletedEvent, RotationCompletedEvent } from '../backup/backup.events.js';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { MonitoringOptions } from './monitoring-options.js';

/** How long a scrape waits for the first listing of a target it started itself (there is nothing else to answer with). */
export const LISTING_WAIT_MS = 2000;
/** After a listing failed, the earliest next try (a storage that is down is not asked at every scrape). */
const RETRY_AFTER_FAILURE_MS = 60_000;

export interface StoredBackups {
  count: number;
  bytes: number;
  /** When the listing was made (Clock time). */
  listedAt: Date;
}

interface Entry {
  value: StoredBackups | undefined;
  /** When the last listing was started, whatever its outcome. */
  triedAt: number;
  /** Whether the last listing that ended succeeded; undefined before one ended. */
  succeeded: boolean | undefined;
  refreshing: Promise<void> | undefined;
}

/**
 * How many backups each target holds and their bytes, for /metrics. Listing a target costs a request to
 * the storage (an S3 LIST, and more for a large bucket), so the listing is kept and made again after each
 * backup and rotation (their events), and otherwise when a scrape finds it older than
 * SENTINEL_METRICS_LISTING_MAX_AGE_SECONDS (default 300). A scrape that has an earlier listing answers with
 * it at once and the new one is made behind it: a storage that hangs must not slow every scrape. Only a
 * scrape that starts the first listing of a target waits for it, at most LISTING_WAIT_MS. A failed listing
 * keeps the previous values, is tried again a minute later at the earliest, and is visible as
 * `sentinel_backup_stored_listing_success` 0.
 */
@Injectable()
export class StoredBackupsCache {
  private readonly logger = new Logger('Monitoring');
  private readonly entries = new Map<BackupTarget, Entry>();

  constructor(
    private readonly catalog: BackupCatalogService,
    private readonly options: MonitoringOptions,
    private readonly clock: Clock,
  ) {}

  /**
   * The target's latest listing; a stale one starts a new listing behind the answer. Undefined before the
   * first one succeeded; a scrape that starts the first listing waits for it at most `waitMs`.
   */
  async get(target: BackupTarget, waitMs = LISTING_WAIT_MS): Promise<StoredBackups | undefined> {
    const entry = this.entry(target);
    const now = this.clock.now().getTime();
    const stale = !entry.value || now - entry.value.listedAt.getTime() >= this.options.storedBackupsMaxAgeMs;
    const retryGap = Math.min(RETRY_AFTER_FAILURE_MS, this.options.storedBackupsMaxAgeMs);
    if (stale && (entry.triedAt === 0 || now - entry.triedAt >= retryGap)) {
      const started = entry.refreshing === undefined;
      const listing = this.refresh(target);
      if (started && !entry.value) await waitAtMost(listing, waitMs);
    }
    return entry.value;
  }

  /** Whether the target's last listing that ended succeeded; undefined before one ended. */
  lastListingSucceeded(target: BackupTarget): boolean | undefined {
    return this.entry(target).succeeded;
  }

  @OnDomainEvent(BackupCompletedEvent)
  onBackupCompleted(event: BackupCompletedEvent): void {
    void this.refresh(event.target);
  }

  @OnDomainEvent(RotationCompletedEvent)
  onRotationCompleted(event: RotationCompletedEvent): void {
    void this.refresh(event.target);
  }

  /** Starts a listing of the target unless one is under way. */
  refresh(target: BackupTarget): Promise<void> {
    const entry = this.entry(target);
    if (entry.refreshing) return entry.refreshing;
    entry.triedAt = this.clock.now().getTime();
    entry.refreshing = this.catalog
      .list(target)
      .then((backups) => {
        entry.value = { count: backups.length, bytes: backups.reduce((sum, backup) => sum + backup.sizeBytes, 0), listedAt: this.clock.now() };
        entry.succeeded = true;
      })
      .catch((error: Error) => {
        entry.succeeded = false;
        this.logger.warn(`${targetLabel(target)} backups could not be listed for the metrics: ${error.message}`);
      })
      .finally(() => (entry.refreshing = undefined));
    return entry.refreshing;
  }

  private entry(target: BackupTarget): Entry {
    let entry = this.entries.get(target);
    if (!entry) {
      entry = { value: undefined, triedAt: 0, succeeded: undefined, refreshing: undefined };
      this.entries.set(target, entry);
    }
    return entry;
  }
}

async function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
