import { Injectable } from '@nestjs/common';
import { BACKUP_FILENAME_EXAMPLE, parseBackupFilename } from '../../archive-format/backup-filename.js';
import { type BackupTarget, targetLabel } from '../../common/backup-target.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import type { DownloadResult } from '../../storage/object-storage.js';
import { StorageTargets } from '../../storage/storage-targets.js';

/** Opens a backup archive of a target for reading: only names that are backup names, 404 for an unknown one. */
@Injectable()
export class BackupArchiveOpener {
  constructor(private readonly storage: StorageTargets) {}

  async open(target: BackupTarget, filename: string, signal?: AbortSignal): Promise<DownloadResult> {
    assertBackupFilename(filename);
    try {
      return await this.storage.get(target).download(filename, { signal });
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.ObjectNotFound) {
        throw new DomainError(ErrorCode.BackupNotFound, `No ${targetLabel(target)} backup named ${filename}; GET /api/backups/${target} lists the backups`, { filename });
      }
      throw error;
    }
  }
}

/** 400 unless the name is a backup archive's name (`sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz`). */
export function assertBackupFilename(filename: unknown): asserts filename is string {
  if (typeof filename !== 'string' || !parseBackupFilename(filename)) {
    throw new DomainError(ErrorCode.BackupNameInvalid, `'${String(filename)}' is not a backup name: names look like ${BACKUP_FILENAME_EXAMPLE}`, { filename });
  }
}
