import path from 'node:path';

/**
 * Names of everything the restore keeps in DATA_DIR (the same filesystem as the databases, so every
 * swap is a rename). Dot-names are the restore's own working files; `pre-restore-backup-*` folders
 * are for the user and are never removed by the service.
 */
export const RESTORE_FLAG = '.pending-restore';
export const LAST_APPLY_FILE = '.restore-last-apply.json';
// The work folders' names live with their marker, where the start-up sweep reads them.
export { SAFETY_COPY_PREFIX, SAFETY_COPY_TEMP_PREFIX, SAFETY_COPY_TEMP_SUFFIX, STAGING_PREFIX, VERIFY_PREFIX } from '../common/fs/work-folder.js';
/** What the safety copy folder says about itself, for a person looking at it. */
/** What the safety copy's free-space check is for: the apply asks it, and staging reserves the same room ahead. */
export const SAFETY_COPY_PURPOSE = 'the safety copy of the current databases';
export const SAFETY_COPY_README = 'restore-info.json';
/** The files SQLite keeps beside a database; stale ones must never meet a swapped-in database. */
export const SQLITE_SIDE_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

/** `2026-01-08-143022`, UTC, as in the backup names. */
export function compactTimestamp(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/:/g, '')
    .replace('T', '-');
}

/**
 * The folder a journal entry names, resolved inside DATA_DIR by its base name only, and only when the
 * name has the expected prefix: a damaged or edited flag can never point the restore at another folder.
 */
export function ownFolder(dataDir: string, recorded: string, prefix: string): string | undefined {
  const base = path.basename(recorded);
  if (!base.startsWith(prefix) || base === prefix || base.includes('..')) return undefined;
  return path.join(dataDir, base);
}
