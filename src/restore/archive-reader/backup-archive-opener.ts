import { Injectable } from '@nestjs/common';
import { assertBackupName, notFoundAsBackup } from '../../archive-format/backup-name.js';
import type { BackupTarget } from '../../common/backup-target.js';
import type { DownloadResult } from '../../storage/object-storage.js';
import { StorageTargets } from '../../storage/storage-targets.js';
import type { ArchiveToUnpack } from '../core/archive-unpacker.js';

/** Opens a backup archive of a target for reading: only names that are backup names, 404 for an unknown one. */
@Injectable()
export class BackupArchiveOpener {
  constructor(private readonly storage: StorageTargets) {}

  async open(target: BackupTarget, filename: string, signal?: AbortSignal): Promise<DownloadResult> {
    assertBackupName(filename);
    try {
      return await (await this.storage.get(target)).download(filename, { signal });
    } catch (error) {
      throw notFoundAsBackup(error, target, filename);
    }
  }

  /** The stored backup as the unpacker reads it: downloaded when the unpacker opens it. */
  archive(target: BackupTarget, filename: string): ArchiveToUnpack {
    assertBackupName(filename);
    return { name: filename, open: (signal) => this.open(target, filename, signal) };
  }
}
