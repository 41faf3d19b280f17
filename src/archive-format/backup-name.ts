import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { BACKUP_FILENAME_EXAMPLE, ENCRYPTED_BACKUP_FILENAME_EXAMPLE, parseBackupFilename } from './backup-filename.js';

/**
 * The checks every request naming a backup goes through, for the backup API and the restore alike:
 * only a backup's name can be addressed (so no request reaches another key or file of a target),
 * and a backup that is not there is one error, worded once.
 */

/** 400 unless `filename` is a backup archive's name (`sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz`, or `.tar.gz.age` when encrypted). */
export function assertBackupName(filename: unknown): asserts filename is string {
  if (typeof filename !== 'string' || !parseBackupFilename(filename)) {
    throw new DomainError(
      ErrorCode.BackupNameInvalid,
      `'${String(filename)}' is not a backup name: names look like ${BACKUP_FILENAME_EXAMPLE} (or ${ENCRYPTED_BACKUP_FILENAME_EXAMPLE} when encrypted)`,
      { filename },
    );
  }
}

/** 404: the target holds no backup of that name. */
export function backupNotFound(target: BackupTarget, filename: string): DomainError {
  return new DomainError(ErrorCode.BackupNotFound, `No ${targetLabel(target)} backup named ${filename}; GET /api/backups/${target} lists the backups`, {
    filename,
  });
}

/** A storage error about `filename`, with the storage's "no such object" turned into backupNotFound. */
export function notFoundAsBackup(error: unknown, target: BackupTarget, filename: string): unknown {
  return error instanceof DomainError && error.code === ErrorCode.ObjectNotFound ? backupNotFound(target, filename) : error;
}
