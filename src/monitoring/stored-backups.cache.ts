import { Injectable, Logger } from '@nestjs/common';
import { BackupCatalogService } from '../backup/backup-catalog.service.js';
import { BackupCompletedEvent, RotationCompletedEvent } from '../backup/backup.events.js';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { MonitoringOptions } from './monitoring-options.js';

/** How long a scrape waits for a listing under way before it answers with the previous one. */
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
  refreshing: Promise<void> | undefined;
}

/**
 * How many backups each target holds and their bytes, for /metrics. Listing a target costs a request to
 * the storage (an S3 LIST, and more for a large bucket), so the listing is kept and made again after each
 * backup and rotation (their events), and otherwise when a scrape finds it older than
 * SENTINEL_METRICS_LISTING_MAX_AGE_SECONDS (default 300). A scrape never waits more than LISTING_WAIT_MS
 * for it: it answers with the previous listing (or without these two series) and the listing finishes
 * behind it. A failed listing keeps the previous values and is tried again a minute later at the earliest.
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

  /** The target's latest listing, refreshed first when it is stale (waiting at most `waitMs`); undefined before the first one succeeded. */
  async get(target: BackupTarget, waitMs = LISTING_WAIT_MS): Promise<StoredBackups | undefined> {
    const entry = this.entry(target);
    const now = this.clock.now().getTime();
    const stale = !entry.value || now - entry.value.listedAt.getTime() >= this.options.storedBackupsMaxAgeMs;
    const retryGap = Math.min(RETRY_AFTER_FAILURE_MS, this.options.storedBackupsMaxAgeMs);
    if (stale && (entry.triedAt === 0 || now - entry.triedAt >= retryGap)) void this.refresh(target);
    if (entry.refreshing) await waitAtMost(entry.refreshing, waitMs);
    return entry.value;
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
      })
      .catch((error: Error) => this.logger.warn(`${targetLabel(target)} backups could not be listed for the metrics: ${error.message}`))
      .finally(() => (entry.refreshing = undefined));
    return entry.refreshing;
  }

  private entry(target: BackupTarget): Entry {
    let entry = this.entries.get(target);
    if (!entry) {
      entry = { value: undefined, triedAt: 0, refreshing: undefined };
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
