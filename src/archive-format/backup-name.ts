import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { BACKUP_FILENAME_EXAMPLE, ENCRYPTED_BACKUP_FILENAME_EXAMPLE, INCREMENTAL_BACKUP_FILENAME_EXAMPLE, parseBackupFilename } from './backup-filename.js';

/**
 * The checks every request naming a backup goes through, for the backup API and the restore alike:
 * only a backup's name can be addressed (so no request reaches another key or file of a target),
 * and a backup that is not there is one error, worded once.
 */

/** A value that holds an age identity: never repeated, whatever field it was sent in. */
const SECRET_KEY = /AGE-SECRET-KEY-1/i;
/** A value that reads like a file name, short and of plain characters: only such a value is quoted back. */
const QUOTABLE_NAME = /^[\w.-]{1,80}$/;

/**
 * 400 unless `filename` is a backup archive's name (`sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz` or an increment's `sentinel-incremental-…`, `.tar.gz.age` when encrypted).
 * The refused value is repeated only when it looks like a name: a recovery key pasted into the wrong field
 * must not come back in the response (or whatever logs it), and other odd input is not worth echoing either.
 */
export function assertBackupName(filename: unknown): asserts filename is string {
  if (typeof filename !== 'string' || !parseBackupFilename(filename)) {
    const expected = `names look like ${BACKUP_FILENAME_EXAMPLE} (or ${ENCRYPTED_BACKUP_FILENAME_EXAMPLE} when encrypted, ${INCREMENTAL_BACKUP_FILENAME_EXAMPLE} for an increment)`;
    if (typeof filename === 'string' && SECRET_KEY.test(filename)) {
      throw new DomainError(ErrorCode.BackupNameInvalid, `A secret key was sent as filename: send it as identity; ${expected}`);
    }
    if (typeof filename === 'string' && QUOTABLE_NAME.test(filename)) {
      throw new DomainError(ErrorCode.BackupNameInvalid, `'${filename}' is not a backup name: ${expected}`, { filename });
    }
    throw new DomainError(ErrorCode.BackupNameInvalid, `That is not a backup name: ${expected}`);
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
