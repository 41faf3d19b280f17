import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { formatBytes } from '../common/format.js';
import { backupSpaceNeeds, liveDatabaseBytes } from '../common/fs/backup-space.js';
import { DiskSpace } from '../common/fs/disk-space.service.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { SettingsService } from '../settings/settings.service.js';
import { TargetRoster } from '../targets/target-roster.js';
import { BackupCompletedEvent, BackupFailedEvent, DiskSpaceLowEvent, DiskSpaceRecoveredEvent } from './backup.events.js';

/** The watch's period between backups: at least hourly, as the notification promises. */
export const DISK_SPACE_CHECK_INTERVAL_MS = 60 * 60 * 1000;

/** What a folder's file system has and what the next backups need there. */
export interface FolderSpace {
  folder: string;
  freeBytes: number;
  neededBytes: number;
  /** The enabled targets whose next backup needs that room. */
  targets: BackupTarget[];
}

/**
 * Watches that the disks have room for the next backup, with the backup's own estimate (backupSpaceNeeds,
 * margin included) and the DiskSpace port: after each backup and every hour. It emits DiskSpaceLowEvent
 * when a folder becomes short and DiskSpaceRecoveredEvent when it has room again, never at each check, so a
 * notifier tells of the change, not of every hour it lasts. What it last saw is kept in memory: after a
 * restart the first check reports a short disk again, and the notifier's repeat rule (durable) knows it
 * already told.
 *
 * Only enabled targets count; the need of a folder is the largest of theirs (their backups may run together
 * only in the rare case of one manual and one scheduled, and each job checks its own need anyway).
 */
@Injectable()
export class DiskSpaceWatch implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DiskSpace');
  private readonly low = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly settings: SettingsService,
    private readonly targets: TargetRoster,
    private readonly disk: DiskSpace,
    private readonly events: DomainEventBus,
  ) {}

  onApplicationBootstrap(): void {
    // In the background: the settings wait for the databases, which open at the end of the start.
    void this.check();
    this.timer = setInterval(() => void this.check(), DISK_SPACE_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  @OnDomainEvent(BackupCompletedEvent, { async: true })
  @OnDomainEvent(BackupFailedEvent, { async: true })
  afterBackup(): Promise<FolderSpace[]> {
    return this.check();
  }

  /**
   * Checks every folder the enabled targets' next backups write to, emits on changes, and resolves with
   * what it found (empty when it could not check: the failure is logged, the next check tries again).
   * Checks run one after the other, each with what the disk has when it runs.
   */
  check(): Promise<FolderSpace[]> {
    const run = this.queue.then(() =>
      this.checkNow().catch((error: unknown) => {
        this.logger.warn(`Cannot check the free disk space for the next backups: ${(error as Error).message}`);
        return [];
      }),
    );
    this.queue = run;
    return run;
  }

  private async checkNow(): Promise<FolderSpace[]> {
    const enabled = (await this.targets.entries()).filter((target) => target.enabled);
    const live = liveDatabaseBytes(this.registry.list());
    const folders = new Map<string, FolderSpace>();
    for (const { id: target, kind, builtIn, path } of enabled) {
      // A folder target's archive needs room in its folder too (the built-in local's folder is the settings').
      const localDir = kind !== 'folder' ? undefined : builtIn ? await this.settings.localBackupDir() : path;
      for (const need of backupSpaceNeeds(target, this.registry.dataDir, live, localDir)) {
        const folder = folders.get(need.dir) ?? { folder: need.dir, freeBytes: 0, neededBytes: 0, targets: [] };
        folder.neededBytes = Math.max(folder.neededBytes, need.bytes);
        folder.targets.push(target);
        folders.set(need.dir, folder);
      }
    }
    for (const folder of folders.values()) {
      folder.freeBytes = await this.disk.available(folder.folder);
      const low = folder.freeBytes < folder.neededBytes;
      const was = this.low.get(folder.folder);
      this.low.set(folder.folder, low);
      if (low && was !== true) {
        this.logger.warn(
          `Low disk space in ${folder.folder}: ${formatBytes(folder.freeBytes)} free, the next ${folder.targets.map((target) => targetLabel(target)).join(' and ')} backup needs ${formatBytes(folder.neededBytes)}`,
        );
        this.events.emit(new DiskSpaceLowEvent(folder.folder, folder.freeBytes, folder.neededBytes, folder.targets));
      } else if (!low && was === true) {
        this.logger.log(`Disk space in ${folder.folder} is enough again: ${formatBytes(folder.freeBytes)} free, ${formatBytes(folder.neededBytes)} needed`);
        this.events.emit(new DiskSpaceRecoveredEvent(folder.folder, folder.freeBytes, folder.neededBytes, folder.targets));
      }
    }
    // A folder no enabled target uses any more is not watched: if it comes back, it starts afresh.
    for (const folder of [...this.low.keys()]) if (!folders.has(folder)) this.low.delete(folder);
    return [...folders.values()];
  }
}
