/**
 * The command line's exit codes, documented in `--help` and docs/disaster-recovery.md: scripts branch on
 * them, so they never change meaning.
 */
export const EXIT = {
  ok: 0,
  /** Failed: an unknown backup, unreachable storage, a restore that did not apply. */
  failed: 1,
  /** The command was written wrong: nothing was done. */
  usage: 2,
  /** A verification found the backup cannot be restored. */
  verificationFailed: 3,
  /** Refused: a running service holds the DATA_DIR. */
  serviceRunning: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
