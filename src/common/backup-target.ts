/**
 * A backup target's id: the built-in `local` and `r2`, or a destination added through /api/targets
 * (`[a-z0-9-]`, 1 to 32 characters; the targets module says which exist). A plain string so that every
 * module passes ids through without knowing the list.
 */
export type BackupTarget = string;

/** The built-in targets, which every installation has (the spec's `local` and `r2`). */
export const BACKUP_TARGETS = ['local', 'r2'] as const;

/** The shape of a target id; whether a target of that id exists is the targets module's answer. */
export const BACKUP_TARGET_PATTERN = /^[a-z0-9-]{1,32}$/;

export function isBackupTarget(value: unknown): value is BackupTarget {
  return typeof value === 'string' && BACKUP_TARGET_PATTERN.test(value);
}

/**
 * The target's name in log lines: 'R2' and 'Local' for the built-ins (the spec's monitoring greps for
 * "R2 backup"), else the target's label when the caller has it, else its id.
 */
export function targetLabel(target: BackupTarget, label?: string): string {
  if (target === 'r2') return 'R2';
  if (target === 'local') return 'Local';
  return label ?? `'${target}'`;
}
