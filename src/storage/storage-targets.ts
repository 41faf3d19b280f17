import { Injectable } from '@nestjs/common';
import { type BackupTarget, isBackupTarget } from '../common/backup-target.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { LocalFolderStorage } from './local-folder-storage.js';
import type { ObjectStorage } from './object-storage.js';
import { S3ObjectStorage } from './s3-object-storage.js';

/**
 * How other modules reach object storage: `storageTargets.get('r2')`, `storageTargets.get('local')`.
 * The adapters stay private to this module; callers see only the ObjectStorage port.
 */
@Injectable()
export class StorageTargets {
  private readonly byTarget: Record<BackupTarget, ObjectStorage>;

  constructor(r2: S3ObjectStorage, local: LocalFolderStorage) {
    this.byTarget = { r2, local };
  }

  get(target: BackupTarget): ObjectStorage {
    if (!isBackupTarget(target)) {
      throw new DomainError(ErrorCode.NotFound, `Unknown backup target '${String(target)}': use 'r2' or 'local'`, { target });
    }
    return this.byTarget[target];
  }
}
