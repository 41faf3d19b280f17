import type { BackupRunEntity } from './backup-run.entity.js';
import type { BackupJobDto } from './dto/backup-job.dto.js';

export function toBackupJobDto(run: BackupRunEntity): BackupJobDto {
  return {
    id: run.id,
    target: run.target,
    kind: run.kind ?? 'backup',
    source: run.source ?? null,
    copied: run.copied ?? null,
    trigger: run.trigger,
    status: run.status,
    phase: run.phase,
    bytes_done: run.bytesDone,
    bytes_total: run.bytesTotal,
    phase_started_at: run.phaseStartedAt ?? null,
    // The run names its archive before the upload (the intent StartupRecovery checks after a crash), but the
    // API names it once it exists: a client polling for `filename` then downloads or deletes a finished archive.
    filename: run.status === 'succeeded' ? run.filename : null,
    size_bytes: run.sizeBytes,
    created_at: run.createdAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_ms: run.durationMs,
    error: run.error,
    error_code: run.errorCode ?? null,
    sha256: run.sha256 ?? null,
    encrypted: run.encrypted ?? null,
    recipients: run.recipients ?? null,
    requested_kind: run.kind === 'backup' ? (run.requestedKind ?? null) : null,
    backup_kind: run.kind === 'backup' ? (run.backupKind ?? null) : null,
    kind_reason: run.kind === 'backup' ? (run.kindReason ?? null) : null,
  };
}
