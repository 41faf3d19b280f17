/**
 * Archive names: `sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz`, in UTC. A backup's age comes from the
 * timestamp in its name, which survives copying between buckets (an object's mtime does not).
 */
export const BACKUP_FILENAME_PATTERN = /^sentinel-backup-(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})\.tar\.gz$/;

export const BACKUP_FILENAME_EXAMPLE = 'sentinel-backup-2026-01-08-143022.tar.gz';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function backupFilename(at: Date): string {
  return (
    `sentinel-backup-${pad(at.getUTCFullYear(), 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}-` +
    `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}.tar.gz`
  );
}

/** The UTC time in a backup's name, or undefined when the name is not a backup's (or not a real date). */
export function parseBackupFilename(name: string): Date | undefined {
  const m = BACKUP_FILENAME_PATTERN.exec(name);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Reject impossible dates such as 2026-02-31 that Date.UTC would roll over.
  if (at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return at;
}
