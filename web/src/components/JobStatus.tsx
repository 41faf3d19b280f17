import type { BackupJob } from '../api/client';
import { isActive } from '../backup-jobs';
import { diagnoseError, type PlaceKind } from '../diagnosis';
import { formatAgo, formatBytes, formatDateTime, formatDuration, phaseLabel } from '../format';
import { describeProgress } from '../progress';

/**
 * The target's latest run (a backup, or a replication that copied another target's backups here): a progress
 * bar while it runs, the reason when it failed, the result otherwise.
 */
export function JobStatus({
  job,
  now,
  place,
  onCancel,
  cancelling,
}: {
  job: BackupJob | undefined;
  now: number;
  /** Where the target keeps its backups: a failure's diagnosis depends on it (diagnosis.ts). */
  place: PlaceKind;
  onCancel?: () => void;
  cancelling?: boolean;
}) {
  if (!job) return <p class="job job-none">No backup has run yet.</p>;
  const kind = job.kind === 'replication' ? 'Replication' : 'Backup';
  const what = job.kind === 'replication' && job.source ? `${kind} from ${job.source}` : kind;

  if (isActive(job)) {
    const total = job.bytes_total;
    const done = Math.min(job.bytes_done, total || job.bytes_done);
    const percent = total > 0 ? Math.floor((done / total) * 100) : undefined;
    // The phase's own start: a rate over the snapshots and the archive together would mix two kinds of bytes.
    const timing = describeProgress({ bytesDone: done, bytesTotal: total, startedAt: job.phase_started_at ?? job.started_at, now });
    return (
      <div class="job job-running" data-job-id={job.id}>
        <div class="job-head">
          <strong>{job.trigger === 'scheduled' ? `Scheduled ${what.toLowerCase()} running` : `${what} running`}</strong>
          <span class="job-phase" aria-live="polite">
            {phaseLabel(job.phase)}
          </span>
        </div>
        <progress
          class="progress"
          max={total > 0 ? total : undefined}
          value={total > 0 ? done : undefined}
          aria-label={`${kind} progress: ${phaseLabel(job.phase)}`}
        >
          {percent !== undefined ? `${percent}%` : ''}
        </progress>
        <p class="job-bytes">{total > 0 ? `${formatBytes(done)} of ${formatBytes(total)} · ${percent}%` : 'Preparing…'}</p>
        {timing && <p class="job-timing">{timing}</p>}
        {onCancel && job.kind !== 'replication' && (
          <div class="actions">
            <button type="button" class="button button-small" aria-disabled={cancelling} aria-busy={cancelling} onClick={() => !cancelling && onCancel()}>
              {cancelling ? 'Cancelling…' : 'Cancel backup'}
            </button>
          </div>
        )}
      </div>
    );
  }

  const when = job.finished_at ?? job.created_at;
  if (job.status === 'cancelled') {
    return (
      <p class="job job-cancelled">
        <strong>Last {what.toLowerCase()} cancelled</strong>{' '}
        <time dateTime={when} title={formatDateTime(when)}>
          {formatAgo(when, now)}
        </time>
        : nothing of it was kept.
      </p>
    );
  }
  if (job.status === 'failed') {
    // Headed by what went wrong, in the words the connection test and the status strip use for the same cause.
    const diagnosis = diagnoseError(job.error_code, place);
    return (
      <div class="job job-failed" role="alert">
        <p>
          <strong class="job-diagnosis">{diagnosis.heading}</strong>: last {what.toLowerCase()} failed{' '}
          <time dateTime={when} title={formatDateTime(when)}>
            {formatAgo(when, now)}
          </time>
        </p>
        <p class="job-error">{job.error ?? 'No reason was recorded; the service log has the details.'}</p>
        <p class="hint">{diagnosis.advice}</p>
      </div>
    );
  }
  return (
    <p class="job job-ok">
      <strong>Last {what.toLowerCase()}</strong>{' '}
      <time dateTime={when} title={formatDateTime(when)}>
        {formatAgo(when, now)}
      </time>
      : {formatBytes(job.size_bytes)} in {formatDuration(job.duration_ms)}
      {job.trigger === 'scheduled' ? ' (scheduled)' : ''}
    </p>
  );
}
