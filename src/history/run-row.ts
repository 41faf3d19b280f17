import type { BackupKind } from '../archive-format/backup-filename.js';

/** What a row of the run history is about. Backups and replications are jobs (BackupRunStore); the rest are recorded from events. */
export const RUN_KINDS = ['backup', 'verification', 'rotation', 'replication', 'restore'] as const;
export type RunKindName = (typeof RUN_KINDS)[number];

/**
 * One thing the service did, as the run history shows it (GET /api/runs). Times are ISO strings; `started_at` is
 * when it began (a queued backup: when it was asked for), `finished_at` null while it runs.
 */
export interface RunRow {
  /** Unique in the list: a job's id, or `event-<n>` for a recorded event. */
  id: string;
  kind: RunKindName;
  target: string;
  started_at: string;
  finished_at: string | null;
  /** Who started it: manual (the API, the page), scheduled, cli, after_backup (a replication), startup (a restore applied at start). */
  trigger: string;
  /** queued, running, succeeded, failed, cancelled; a restore also staged or rolled_back. */
  result: string;
  duration_ms: number | null;
  size_bytes: number | null;
  error_code: string | null;
  /** What happened, or what went wrong and what to do. */
  message: string | null;
  /** The backup file it is about (a replication: the last archive it copied), or null. */
  file: string | null;
  /** A backup: what it made, full or incremental (issue 19), once chosen; null for the other kinds and for backups recorded before. */
  backup_kind: BackupKind | null;
}
