import { BACKUP_KINDS, type BackupKind } from '../../archive-format/backup-filename.js';
import { ApiProperty } from '@nestjs/swagger';

export class BackupJobDto {
  @ApiProperty({ example: 'b7d4c1e2-...' })
  id: string;

  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: string;

  @ApiProperty({
    enum: ['backup', 'replication'],
    description:
      'backup: a new archive of the databases stored in `target`; replication: archives of `source` copied to `target` (its replica), checked on arrival',
  })
  kind: 'backup' | 'replication';

  @ApiProperty({ nullable: true, type: String, example: 'local', description: 'A replication: the target whose archives it copies; null for a backup' })
  source: string | null;

  @ApiProperty({
    nullable: true,
    type: [String],
    description: 'A replication: the archives copied to the replica and checked there (size and SHA-256), oldest first; null for a backup',
  })
  copied: string[] | null;

  @ApiProperty({
    enum: ['manual', 'scheduled', 'cli', 'after_backup'],
    description:
      'manual: a request; scheduled: the schedule; cli: the command line `sentinel-backup backup`, run while the service was stopped; ' +
      'after_backup: a replication started by a successful backup to its source',
  })
  trigger: 'manual' | 'scheduled' | 'cli' | 'after_backup';

  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'], description: 'cancelled: stopped by POST /api/backup-jobs/{id}/cancel' })
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

  @ApiProperty({
    enum: ['queued', 'checking', 'snapshotting', 'archiving', 'copying', 'done'],
    description: 'What a running job is doing (copying: a replication)',
  })
  phase: string;

  @ApiProperty({ description: 'Bytes processed in the current phase (snapshots: database bytes; archiving: uncompressed archive bytes)' })
  bytes_done: number;

  @ApiProperty({ description: 'Bytes the current phase will process in all' })
  bytes_total: number;

  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-01-08T14:30:22.000Z',
    description: 'When the current phase began: bytes_done over the time since then is its rate, and with bytes_total its time left. Null while queued',
  })
  phase_started_at: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'The archive, once succeeded (a replication: the newest one it copied)' })
  filename: string | null;

  @ApiProperty({ nullable: true, type: Number, description: 'The archive size, once succeeded' })
  size_bytes: number | null;

  @ApiProperty()
  created_at: string;

  @ApiProperty({ nullable: true, type: String })
  started_at: string | null;

  @ApiProperty({ nullable: true, type: String })
  finished_at: string | null;

  @ApiProperty({ nullable: true, type: Number })
  duration_ms: number | null;

  @ApiProperty({ nullable: true, type: String, description: 'Why it failed' })
  error: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    example: 'STORAGE_ACCESS_DENIED',
    description:
      "The failure as a machine-readable code, the same codes as an error response's `error` (for example STORAGE_ACCESS_DENIED, " +
      'STORAGE_UNAVAILABLE, INSUFFICIENT_DISK_SPACE, BACKUP_CANCELLED when the service or a cancel request stopped it, BACKUP_INTERRUPTED when the process died while it ran, BACKUP_FAILED for anything else); ' +
      'null unless the job failed or was cancelled, and for failed jobs recorded before codes were kept',
  })
  error_code: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    description: 'SHA-256 (hex) of the archive exactly as stored (after encryption, when encrypted), once succeeded',
  })
  sha256: string | null;

  @ApiProperty({ nullable: true, type: Boolean, description: 'Whether the archive was encrypted with age (.tar.gz.age), once succeeded' })
  encrypted: boolean | null;

  @ApiProperty({
    nullable: true,
    type: [String],
    example: ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'],
    description: 'The age recipients the archive was encrypted to (any one of their keys decrypts it); null when plain or not yet succeeded',
  })
  recipients: string[] | null;

  // `kind` says backup or replication (and stays so): the kind of a backup (issue 19) has fields of its own.
  @ApiProperty({
    nullable: true,
    enum: BACKUP_KINDS,
    description:
      "A backup: the kind asked for in POST /api/backups/{target}'s body; null when the target's policy decided (scheduled backups, no body), and for a replication",
  })
  requested_kind: BackupKind | null;

  @ApiProperty({
    nullable: true,
    enum: BACKUP_KINDS,
    description:
      'A backup: the kind it was made as (full, or incremental: a sentinel-incremental-… archive), once chosen; null before that and for a replication',
  })
  backup_kind: BackupKind | null;

  @ApiProperty({
    nullable: true,
    type: String,
    example: 'the chain of sentinel-backup-2026-12-03-030000.tar.gz already holds 96 increments (full_every 96)',
    description: 'Why a backup of a target with incremental backups on was made full (also in the log); null otherwise',
  })
  kind_reason: string | null;
}
