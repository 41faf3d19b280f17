import { Injectable } from '@nestjs/common';
import type { BackupRunEntity } from '../backup/backup-run.entity.js';
import { BackupRunStore } from '../backup/backup-run.store.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { RunEventEntity } from './run-event.entity.js';
import { RunEventStore } from './run-event.store.js';
import { RUN_KINDS, type RunKindName, type RunRow } from './run-row.js';

/**
 * The run history: backups and replications from their jobs (BackupRunStore), verifications, rotations and
 * restores from the recorded events (RunEventStore), merged newest first.
 */
@Injectable()
export class RunHistoryService {
  constructor(
    private readonly jobs: BackupRunStore,
    private readonly events: RunEventStore,
  ) {}

  async list(options: { target?: string; kind?: RunKindName; limit: number }): Promise<RunRow[]> {
    const { target, kind, limit } = options;
    const jobKind = kind === 'backup' || kind === 'replication' ? kind : undefined;
    const jobs = kind === undefined || jobKind ? await this.jobs.history({ target, kind: jobKind, limit }) : [];
    const events = await this.events.list({ target, kinds: kind ? [kind] : RUN_KINDS, limit });
    return [...jobs.map(jobRow), ...events.map(eventRow)].sort((a, b) => b.started_at.localeCompare(a.started_at) || b.id.localeCompare(a.id)).slice(0, limit);
  }
}

function jobRow(run: BackupRunEntity): RunRow {
  const replication = run.kind === 'replication';
  return {
    id: run.id,
    kind: run.kind,
    target: run.target,
    started_at: run.startedAt ?? run.createdAt,
    finished_at: run.finishedAt,
    trigger: run.trigger,
    result: run.errorCode === ErrorCode.BackupCancelled ? 'cancelled' : run.status,
    duration_ms: run.durationMs,
    size_bytes: run.sizeBytes,
    error_code: run.errorCode,
    message: run.error ?? (replication ? replicationSummary(run) : run.status === 'succeeded' ? 'Backup stored' : null),
    file: replication ? (run.copied?.at(-1) ?? null) : run.filename,
    backup_kind: replication ? null : (run.backupKind ?? null),
  };
}

function replicationSummary(run: BackupRunEntity): string {
  const copied = run.copied?.length ?? 0;
  return `Copied ${copied} archive${copied === 1 ? '' : 's'} from ${run.source ?? 'the source'}`;
}

function eventRow(event: RunEventEntity): RunRow {
  return {
    id: `event-${event.id}`,
    kind: event.kind,
    target: event.target,
    started_at: event.startedAt,
    finished_at: event.finishedAt,
    trigger: event.trigger,
    result: event.result,
    duration_ms: event.durationMs,
    size_bytes: event.sizeBytes,
    error_code: event.errorCode,
    message: event.message,
    file: event.file,
    backup_kind: null,
  };
}
