import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { ManagedDatabase } from './managed-database.js';

/** The database of the settings (the settings module's CONFIG_DATABASE, which depends on this module, not the reverse). */
const SETTINGS_DATABASE = 'config';

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

/** A managed database found damaged, or missing: which file, what is wrong with it. */
export interface DamagedDatabase {
  readonly database: ManagedDatabase;
  /** SQLite's own words, e.g. "file is not a database" or the first line of `PRAGMA quick_check`; for a missing file, what was seen. */
  readonly reason: string;
  /** The file is not there, though it was at the last open (DatabasePresenceRecord): it is not created again empty. */
  readonly missing?: true;
}

/**
 * The error every user of a damaged or missing database gets, and the line the start logs. It names the
 * file and the ways out: the API's restore (which works while config.db is damaged or missing, from the
 * default local folder), the command line for a bucket's backups when config.db is the one (the service
 * cannot reach a bucket without the settings in it), and, without a backup, an empty file in its place,
 * which SQLite takes as a new, empty database. A missing file keeps the code DATABASE_DAMAGED: what the
 * user must do, and what the service refuses meanwhile, are the same as for a damaged one.
 */
export function damagedDatabaseError(damage: DamagedDatabase, options: { fullPath?: boolean } = {}): DomainError {
  const { database, reason, missing } = damage;
  const where = options.fullPath === false ? `${database.filename} in DATA_DIR` : database.path;
  // config.db holds the targets' settings and credentials: while it is damaged, GET /api/backups/r2 answers 503 too.
  const settingsDamaged = database.name === SETTINGS_DATABASE;
  const list = settingsDamaged ? "list the local folder's with GET /api/backups/local" : 'list them with GET /api/backups/local (or /api/backups/r2)';
  const bucket = settingsDamaged
    ? ' A backup in a bucket: stop the service and run npx sentinel-backup restore latest --account-id ID --bucket NAME --data-dir DATA_DIR ' +
      "(or --endpoint URL instead of --account-id) with the bucket's credentials in R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY (docs/disaster-recovery.md)."
    : '';
  const restore = `Restore a backup: ${list}, then POST /api/backups/local/restore with {"filename": "..."}; the service restarts and puts the backup's copy of ${database.filename} in place`;
  const message = missing
    ? `The database file ${where} is missing (${reason}): it was there when the service last opened its databases, and the service does not create it again ` +
      `empty, since backups of an empty database could let rotation delete the good backups. Backups are refused until it is back. ${restore}.${bucket} ` +
      `If you removed it on purpose and want to start with an empty ${database.filename}: stop the service, create an empty file in its place ` +
      `(touch ${where === database.path ? database.path : `DATA_DIR/${database.filename}`}) and start the service again`
    : `The database file ${where} is damaged (${reason}). ${restore} (the damaged file is kept in the safety copy pre-restore-backup-*).${bucket} ` +
      `Without a backup: stop the service, move ${database.filename} and any ${database.filename}-wal and ${database.filename}-shm out of DATA_DIR ` +
      `(keep them: sqlite3's .recover may save some of the data), create an empty ${database.filename} in its place (touch) and start the service: ` +
      `it starts with a new, empty ${database.filename}`;
  return new DomainError(ErrorCode.DatabaseDamaged, message, {
    database: database.name,
    file: database.filename,
    reason,
    ...(missing ? { missing: true } : {}),
  });
}
