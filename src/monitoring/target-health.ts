import type { BackupTarget } from '../common/backup-target.js';

/** A target's state for GET /api/status, the metrics and the overdue rule (precedence: TargetHealthService). */
export type TargetState = 'ok' | 'failing' | 'overdue' | 'never' | 'disabled';

export interface TargetHealth {
  target: BackupTarget;
  state: TargetState;
  enabled: boolean;
  /** ISO 8601 of the last successful backup; null when none is known. */
  last_success: string | null;
  /** ISO 8601 of the last backup attempt (succeeded or failed, including runs that failed before they became a job). */
  last_attempt: string | null;
  /** How the last attempt ended; null when there was none. */
  last_result: 'succeeded' | 'failed' | null;
  /** The last attempt's error when it failed; null when it succeeded or there was none. */
  last_error: { code: string; message: string; time: string } | null;
  /** The archive the last successful backup stored; null when none is known. */
  last_backup: { filename: string | null; size_bytes: number | null; duration_ms: number | null } | null;
  /** How long the last backup job ran (succeeded or failed), in ms; null when none ended (or it failed before it became a job). */
  last_duration_ms: number | null;
  /** ISO 8601 of the next scheduled backup; null when the target is disabled or schedules are off (SENTINEL_SCHEDULES=off). */
  next_run: string | null;
  /** The last verification; null when none ran. */
  last_verification: { time: string; filename: string; verdict: 'passed' | 'failed' } | null;
  /** When the target becomes (or became) overdue if no backup succeeds before: the overdue rule's deadline; null when disabled. */
  overdue_at: string | null;
  /** When the target became overdue (its last success plus its schedule's period plus the grace); null when it is not. */
  overdue_since: string | null;
  /** Failed attempts since the last success. */
  consecutive_failures: number;
}
