import type { BackupKind } from '../archive-format/backup-filename.js';
import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** cancelled: stopped by a request (POST /api/backup-jobs/{id}/cancel); a shutdown's stop stays `failed` (BACKUP_CANCELLED). */
export type BackupRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type BackupPhase = 'queued' | 'checking' | 'snapshotting' | 'archiving' | 'copying' | 'done';
/** A backup makes an archive; a replication copies archives another target made (src/replication). */
export type RunKind = 'backup' | 'replication';
/** Who started a backup: a request (the API, the page), the schedule, or the command line (`sentinel-backup backup`, the service stopped). */
export type BackupTrigger = 'manual' | 'scheduled' | 'cli';
/** Who started it: a backup's trigger, or (replications) the backup to the source that just succeeded. */
export type RunTrigger = BackupTrigger | 'after_backup';

/** One backup job, kept after it ends: the run history (and the admin page's size trend). */
@Entity('backup_runs')
@Index(['target', 'createdAt'])
export class BackupRunEntity {
  @PrimaryColumn('text')
  id: string;

  @Column('text')
  target: string;

  /**
   * What the job did. A column with a default: the history files of earlier versions gain it as 'backup'
   * when they are opened, which is what their jobs were.
   */
  @Column('text', { default: 'backup' })
  kind: RunKind;

  /** A replication's source: the target whose archives it copied to `target`; null for a backup. */
  @Column('text', { nullable: true })
  source: string | null;

  /** A replication: the archives it copied and checked, oldest first; null for a backup. */
  @Column('simple-json', { nullable: true })
  copied: string[] | null;

  @Column('text')
  trigger: RunTrigger;

  @Column('text')
  status: BackupRunStatus;

  @Column('text')
  phase: BackupPhase;

  @Column('integer', { default: 0 })
  bytesDone: number;

  @Column('integer', { default: 0 })
  bytesTotal: number;

  /**
   * When the current phase began (ISO time): bytes_done over the time since then is the phase's rate, what the
   * page turns into "12.3 MB/s, about 1 min left". Null while queued, and for jobs of earlier versions.
   */
  @Column('text', { nullable: true })
  phaseStartedAt: string | null;

  /** Set before the upload starts (what a start after a kill checks, see StartupRecovery); null when the job failed. */
  @Column('text', { nullable: true })
  filename: string | null;

  @Column('integer', { nullable: true })
  sizeBytes: number | null;

  @Column('text')
  createdAt: string;

  @Column('text', { nullable: true })
  startedAt: string | null;

  @Column('text', { nullable: true })
  finishedAt: string | null;

  @Column('integer', { nullable: true })
  durationMs: number | null;

  @Column('text', { nullable: true })
  error: string | null;

  /**
   * The failure's error code (ErrorCode: STORAGE_ACCESS_DENIED, INSUFFICIENT_DISK_SPACE, BACKUP_CANCELLED, …);
   * null while running, after success, and for jobs recorded before the column existed (the first wave's
   * history files gain it, empty, when they are opened).
   */
  @Column('text', { nullable: true })
  errorCode: string | null;

  /** SHA-256 (hex) of the archive exactly as stored (after encryption, when encrypted); null until it succeeded, and for jobs of earlier versions. */
  @Column('text', { nullable: true })
  sha256: string | null;

  /** Whether the archive was encrypted with age; null until it succeeded, and for jobs of earlier versions. */
  @Column('boolean', { nullable: true })
  encrypted: boolean | null;

  /** The age recipients the archive was encrypted to; null when plain, until it succeeded, and for jobs of earlier versions. */
  @Column('simple-json', { nullable: true })
  recipients: string[] | null;

  /**
   * A backup (issue 19): the kind asked for in POST /api/backups/{target} (full or incremental); null when the
   * target's policy decides (undefined, or null as read back). The ArchiveProducer reads it as `requestedKind`. Nullable columns: the history files of
   * earlier versions gain them (null) at open.
   */
  @Column('text', { nullable: true })
  requestedKind?: BackupKind;

  /** A backup: the kind it was made as, once chosen; null before, for a replication, and in earlier records. */
  @Column('text', { nullable: true })
  backupKind?: BackupKind | null;

  /** Why it was made full when an increment was asked for or the policy is on (the production's reason); null otherwise. */
  @Column('text', { nullable: true })
  kindReason?: string | null;

  /** A job as it is recorded when it is queued: a backup (no source, no copies) or a replication (its source, nothing copied yet). */
  static queued(
    job: { target: string; trigger: RunTrigger; createdAt: string } & ({ kind: 'backup' } | { kind: 'replication'; source: string }),
  ): BackupRunEntity {
    return Object.assign(new BackupRunEntity(), {
      id: randomUUID(),
      target: job.target,
      kind: job.kind,
      source: job.kind === 'replication' ? job.source : null,
      copied: job.kind === 'replication' ? [] : null,
      trigger: job.trigger,
      status: 'queued',
      phase: 'queued',
      bytesDone: 0,
      bytesTotal: 0,
      phaseStartedAt: null,
      filename: null,
      sizeBytes: null,
      createdAt: job.createdAt,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      error: null,
      errorCode: null,
      sha256: null,
      encrypted: null,
      recipients: null,
    } satisfies BackupRunEntity);
  }
}
