import { Injectable } from '@nestjs/common';
import { DiskSpaceLowEvent, DiskSpaceRecoveredEvent } from '../backup/backup.events.js';
import type { BackupTarget } from '../common/backup-target.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';

/** A folder whose file system has less free space than the next backup of `targets` needs. */
export interface LowFolder {
  folder: string;
  freeBytes: number;
  neededBytes: number;
  targets: readonly BackupTarget[];
}

/**
 * The folders that are short of space for the next backup, as the backup module's disk-space watch last
 * said (DiskSpaceLowEvent, DiskSpaceRecoveredEvent), for the overall status and the metrics. Kept in memory
 * like the watch's own state: its first check after a start tells again.
 */
@Injectable()
export class DiskSpaceState {
  private readonly low = new Map<string, LowFolder>();

  @OnDomainEvent(DiskSpaceLowEvent)
  onLow(event: DiskSpaceLowEvent): void {
    this.low.set(event.folder, { folder: event.folder, freeBytes: event.freeBytes, neededBytes: event.neededBytes, targets: [...event.targets] });
  }

  @OnDomainEvent(DiskSpaceRecoveredEvent)
  onRecovered(event: DiskSpaceRecoveredEvent): void {
    this.low.delete(event.folder);
  }

  /**
   * The short folders that an enabled target's next backup needs (a folder only a target turned off since
   * needed is no longer watched, so what was said of it is stale).
   */
  lowFolders(enabled: readonly BackupTarget[]): LowFolder[] {
    return [...this.low.values()].filter((folder) => folder.targets.some((target) => enabled.includes(target)));
  }
}
