/**
 * Archive names, in UTC: `sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz` for a full backup and
 * `sentinel-incremental-YYYY-MM-DD-HHMMSS.tar.gz` for an increment (docs/incremental-backups.md), each with
 * `.age` after it when encrypted with age (the same `.tar.gz` inside). A backup's age comes from the timestamp in
 * its name, which survives copying between buckets (an object's mtime does not). Full backups and increments,
 * plain and encrypted, share one time line: no two backups of a target carry the same second.
 */
export const BACKUP_FILENAME_PATTERN = /^sentinel-(backup|incremental)-(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})\.tar\.gz(\.age)?$/;

/** What every backup's name starts with, of either kind: the prefix a listing of a target asks for. */
export const BACKUP_NAME_PREFIX = 'sentinel-';

export const BACKUP_FILENAME_EXAMPLE = 'sentinel-backup-2026-01-08-143022.tar.gz';
export const ENCRYPTED_BACKUP_FILENAME_EXAMPLE = 'sentinel-backup-2026-01-08-143022.tar.gz.age';
export const INCREMENTAL_BACKUP_FILENAME_EXAMPLE = 'sentinel-incremental-2026-01-08-151500.tar.gz';
/** What an encrypted archive's name adds to the plain one's. */
export const ENCRYPTED_SUFFIX = '.age';

/** A full backup (the spec's self-contained archive) or an increment (the pages changed since its parent). */
export type BackupKind = 'full' | 'incremental';
export const BACKUP_KINDS: readonly BackupKind[] = ['full', 'incremental'];

/** The word in the name for each kind (`full` keeps the spec's `sentinel-backup-`). */
const NAME_WORD: Record<BackupKind, string> = { full: 'backup', incremental: 'incremental' };

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function nameOf(kind: BackupKind, at: Date, encrypted: boolean | undefined): string {
  return (
    `sentinel-${NAME_WORD[kind]}-${pad(at.getUTCFullYear(), 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}-` +
    `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}.tar.gz${encrypted ? ENCRYPTED_SUFFIX : ''}`
  );
}

/** A full backup's name (`sentinel-backup-…`). */
export function backupFilename(at: Date, options: { encrypted?: boolean } = {}): string {
  return nameOf('full', at, options.encrypted);
}

/** An increment's name (`sentinel-incremental-…`). */
export function incrementalBackupFilename(at: Date, options: { encrypted?: boolean } = {}): string {
  return nameOf('incremental', at, options.encrypted);
}

/** The name of a backup of `kind` made at `at`. */
export function backupFilenameOfKind(kind: BackupKind, at: Date, options: { encrypted?: boolean } = {}): string {
  return nameOf(kind, at, options.encrypted);
}

/**
 * Every name a backup made in the second of `at` could carry, of either kind and either encryption: the names
 * that must all be free before that second is (the time line the two kinds share).
 */
export function namesOfSecond(at: Date): string[] {
  return (['full', 'incremental'] as const).flatMap((kind) => [nameOf(kind, at, false), nameOf(kind, at, true)]);
}

/** A backup's name read: when it was made (UTC), whether it is encrypted (`.age`), and its kind. */
export interface ParsedBackupName {
  at: Date;
  encrypted: boolean;
  kind: BackupKind;
}

/** The time and kind in a backup's name, or undefined when the name is not a backup's (or not a real date). */
export function parseBackupName(name: string): ParsedBackupName | undefined {
  const m = BACKUP_FILENAME_PATTERN.exec(name);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(2, 8).map(Number);
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Reject impossible dates such as 2026-02-31 that Date.UTC would roll over.
  if (at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return { at, encrypted: m[8] !== undefined, kind: m[1] === 'incremental' ? 'incremental' : 'full' };
}

/** The UTC time in a backup's name (either kind, plain or encrypted), or undefined when the name is not a backup's (or not a real date). */
export function parseBackupFilename(name: string): Date | undefined {
  return parseBackupName(name)?.at;
}

/** Whether `name` is an encrypted backup's (`sentinel-backup-….tar.gz.age` or `sentinel-incremental-….tar.gz.age`). */
export function isEncryptedBackupName(name: string): boolean {
  return parseBackupName(name)?.encrypted === true;
}
