import { backupFilename } from '../archive-format/backup-filename.js';

/**
 * `sentinel-incremental-YYYY-MM-DD-HHMMSS.tar.gz` (`.tar.gz.age` when encrypted), in UTC like a full backup's
 * name. Kept here until src/archive-format/backup-filename.ts names and parses both kinds (branch incr-surface);
 * then this goes and callers use that one.
 */
export function incrementalFilename(at: Date, options: { encrypted?: boolean } = {}): string {
  return backupFilename(at, options).replace(/^sentinel-backup-/, 'sentinel-incremental-');
}
