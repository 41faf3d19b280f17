/**
 * Archive names: `sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz`, in UTC, and `…tar.gz.age` for an archive
 * encrypted with age (the same `.tar.gz` inside). A backup's age comes from the timestamp in its name,
 * which survives copying between buckets (an object's mtime does not); both kinds share one time line.
 */
export const BACKUP_FILENAME_PATTERN = /^sentinel-backup-(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})\.tar\.gz(\.age)?$/;

export const BACKUP_FILENAME_EXAMPLE = 'sentinel-backup-2026-01-08-143022.tar.gz';
export const ENCRYPTED_BACKUP_FILENAME_EXAMPLE = 'sentinel-backup-2026-01-08-143022.tar.gz.age';
/** What an encrypted archive's name adds to the plain one's. */
export const ENCRYPTED_SUFFIX = '.age';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function backupFilename(at: Date, options: { encrypted?: boolean } = {}): string {
  return (
    `sentinel-backup-${pad(at.getUTCFullYear(), 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}-` +
    `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}.tar.gz${options.encrypted ? ENCRYPTED_SUFFIX : ''}`
  );
}

/** A backup's name read: when it was made (UTC) and whether it is encrypted (`.tar.gz.age`). */
export interface ParsedBackupName {
  at: Date;
  encrypted: boolean;
}

/** The time and kind in a backup's name, or undefined when the name is not a backup's (or not a real date). */
export function parseBackupName(name: string): ParsedBackupName | undefined {
  const m = BACKUP_FILENAME_PATTERN.exec(name);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Reject impossible dates such as 2026-02-31 that Date.UTC would roll over.
  if (at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return { at, encrypted: m[7] !== undefined };
}

/** The UTC time in a backup's name (plain or encrypted), or undefined when the name is not a backup's (or not a real date). */
export function parseBackupFilename(name: string): Date | undefined {
  return parseBackupName(name)?.at;
}

/** Whether `name` is an encrypted backup's (`sentinel-backup-….tar.gz.age`). */
export function isEncryptedBackupName(name: string): boolean {
  return parseBackupName(name)?.encrypted === true;
}
