import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { ManagedDatabase } from './managed-database.js';

/** SQLite's result codes for a file that is not (or no longer) a sound database. */
const DAMAGE_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

/**
 * Whether `error` says the database file itself is damaged (as opposed to locked, missing permissions
 * or a full disk, which a restore would not repair). TypeORM wraps the driver's error in `driverError`.
 */
export function isDamageError(error: unknown): boolean {
  for (let e = error as { code?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && [...DAMAGE_CODES].some((code) => String(e!.code).startsWith(code))) return true;
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return false;
}

/** A managed database found damaged: which file, what SQLite said. */
export interface DamagedDatabase {
  readonly database: ManagedDatabase;
  /** SQLite's own words, e.g. "file is not a database" or the first line of `PRAGMA quick_check`. */
  readonly reason: string;
}

/**
 * The error every user of a damaged database gets, and the line the start logs. It names the file
 * and both ways out: the API's restore (which works while config.db is damaged, from the default
 * local folder) and, failing that, moving the file away.
 */
export function damagedDatabaseError({ database, reason }: DamagedDatabase, options: { fullPath?: boolean } = {}): DomainError {
  const where = options.fullPath === false ? `${database.filename} in DATA_DIR` : database.path;
  return new DomainError(
    ErrorCode.DatabaseDamaged,
    `The database file ${where} is damaged (${reason}). Restore a backup: list them with GET /api/backups/local ` +
      `(or /api/backups/r2), then POST /api/backups/local/restore with {"filename": "..."}; the service restarts and puts the backup's ` +
      `copy of ${database.filename} in place (the damaged file is kept in the safety copy pre-restore-backup-*). ` +
      `Without a backup: stop the service and move ${database.filename} out of DATA_DIR; a new, empty ${database.filename} is created at the next start`,
    { database: database.name, file: database.filename, reason },
  );
}
