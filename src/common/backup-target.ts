/** Where backups go: the local folder (embedded default) or R2 / another S3-compatible store. */
export const BACKUP_TARGETS = ['local', 'r2'] as const;
export type BackupTarget = (typeof BACKUP_TARGETS)[number];

export function isBackupTarget(value: unknown): value is BackupTarget {
  return typeof value === 'string' && (BACKUP_TARGETS as readonly string[]).includes(value);
}

/** The target's name in log lines: the spec's monitoring greps for "R2 backup". */
export function targetLabel(target: BackupTarget): string {
  return target === 'r2' ? 'R2' : 'Local';
}
