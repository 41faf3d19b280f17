import { Injectable } from '@nestjs/common';
import type { BackupTarget } from '../../common/backup-target.js';
import { backupSpaceNeeds, liveDatabaseBytes } from '../../common/fs/backup-space.js';
import { DiskSpace } from '../../common/fs/disk-space.service.js';
import { DatabaseRegistry } from '../../database/database-registry.js';
import type { ManagedDatabase } from '../../database/managed-database.js';
import { TargetDirectory } from '../../targets/target-directory.js';

/** Port: what a backup will read, and whether the disks have room for it (the estimate Test Connection shares). */
@Injectable()
export class BackupSpaceCheck {
  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly targets: TargetDirectory,
    private readonly disk: DiskSpace,
  ) {}

  /** The databases' files as they are now (main file and -wal): what the snapshots read. */
  liveBytes(databases: readonly ManagedDatabase[]): number {
    return liveDatabaseBytes(databases);
  }

  /**
   * Throws InsufficientDiskSpace when a folder lacks room: the snapshots need as much as the live
   * databases in DATA_DIR, an archive to a folder target up to the same again in its folder.
   */
  async ensure(target: BackupTarget, liveBytes: number): Promise<void> {
    const definition = await this.targets.get(target);
    const localDir = definition.kind === 'folder' ? definition.path : undefined;
    for (const need of backupSpaceNeeds(target, this.registry.dataDir, liveBytes, localDir)) await this.disk.ensure(need.dir, need.bytes, need.purpose);
  }
}
