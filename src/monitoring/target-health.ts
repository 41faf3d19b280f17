import type { BackupTarget } from '../common/backup-target.js';

/** A target's state for GET /api/status, the metrics and the overdue rule. */
export type TargetState = 'ok' | 'failing' | 'overdue' | 'never' | 'disabled';

export interface TargetHealth {
  target: BackupTarget;
  state: TargetState;
  enabled: boolean;
  /** ISO 8601 of the last successful backup; null when none is known. */
  last_success: string | null;
  /** ISO 8601 of the last backup attempt (succeeded or failed, including runs that failed before they became a job). */
  last_attempt: string | null;
  /** The last attempt's error when it failed; null when it succeeded or there was none. */
  last_error: { code: string; message: string; time: string } | null;
  /** ISO 8601 of the next scheduled backup; null when the target is disabled. */
  next_run: string | null;
  /** The last verification; null when none ran. */
  last_verification: { time: string; filename: string; verdict: 'passed' | 'failed' } | null;
  /** When the target became overdue (its last success plus its schedule's period plus the grace); null when it is not. */
  overdue_since: string | null;
  /** Failed attempts since the last success. */
  consecutive_failures: number;
}
