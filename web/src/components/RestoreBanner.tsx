import type { RestoreStatus } from '../api/client';
import { TARGET_NAMES } from '../api/client';
import { formatAgo, formatBytes, formatDateTime } from '../format';
import { describeProgress } from '../progress';

export interface Restarting {
  archive: string;
  target: keyof typeof TARGET_NAMES;
  since: number;
}

interface RestoreBannerProps {
  status: RestoreStatus | null;
  restarting: Restarting | null;
  /** A restore request on its way (staging takes a while: download, checksums, integrity checks). */
  pending: { archive: string; target: keyof typeof TARGET_NAMES } | null;
  now: number;
  cancelling: boolean;
  onCancel: () => void;
  applying: boolean;
  /** Applies the staged restore now (the service restarts). */
  onApply: () => void;
  onDismissOutcome: () => void;
  showOutcome: boolean;
}

const OUTCOME_TITLES: Record<string, string> = {
  applied: 'Restore applied',
  resumed: 'Restore applied (finished after an interruption)',
  rolled_back: 'Restore rolled back',
  failed: 'Restore failed',
};

/** The restore state above everything: restarting, being staged (with its progress), staged (Apply now or Cancel), or how the last one ended. */
export function RestoreBanner({
  status,
  restarting,
  pending,
  now,
  cancelling,
  onCancel,
  applying,
  onApply,
  onDismissOutcome,
  showOutcome,
}: RestoreBannerProps) {
  if (restarting) {
    const seconds = Math.max(0, Math.round((now - restarting.since) / 1000));
    return (
      <div class="banner restarting" role="status" data-state="restarting">
        <span class="spinner" aria-hidden="true" />
        <div class="banner-text">
          <strong>Restarting to apply the restore</strong>
          <span>
            The service is restarting with <span class="filename">{restarting.archive}</span> from {TARGET_NAMES[restarting.target]}. This page waits for it and
            reloads by itself{seconds >= 5 ? ` (${seconds} s)` : ''}.
          </span>
          {seconds >= 60 && (
            <span class="hint">Still waiting. If the service runs under a supervisor (SENTINEL_RESTART_MODE=exit), check that it restarts it.</span>
          )}
        </div>
      </div>
    );
  }

  const staging = status?.staging ?? (pending ? { ...pending, phase: 'downloading' as const, bytes_read: 0, archive_bytes: 0 } : null);
  if (staging) {
    const downloading = staging.phase === 'downloading';
    const total = staging.archive_bytes;
    const done = Math.min(staging.bytes_read, total);
    // While the integrity checks run there is nothing to count: the bar shows activity without a value.
    const measured = downloading && total > 0;
    const percent = measured ? Math.floor((done / total) * 100) : undefined;
    // A rate and time left only while bytes are counted; the integrity checks after them tell just the time.
    const timing =
      'started_at' in staging
        ? describeProgress({ bytesDone: measured ? done : 0, bytesTotal: measured ? total : 0, startedAt: staging.started_at, now })
        : null;
    return (
      <div class="banner" role="status" data-state="staging">
        <span class="spinner" aria-hidden="true" />
        <div class="banner-text">
          <strong>Preparing a restore</strong>
          <span>
            {downloading ? 'Downloading and checking' : 'Running integrity checks on'} <span class="filename">{staging.archive}</span> from{' '}
            {TARGET_NAMES[staging.target]}. Nothing changes until every check has passed.
          </span>
          <progress
            class="progress"
            max={measured ? total : undefined}
            value={measured ? done : undefined}
            aria-label={`Staging progress: ${downloading ? 'downloading and checking' : 'integrity checks'}`}
          >
            {percent !== undefined ? `${percent}%` : ''}
          </progress>
          <span class="job-bytes">
            {measured ? `${formatBytes(done)} of ${formatBytes(total)} · ${percent}%` : downloading ? 'Starting the download…' : 'Integrity checks…'}
          </span>
          {timing && <span class="job-timing">{timing}</span>}
        </div>
      </div>
    );
  }

  const staged = status?.staged;
  if (staged) {
    return (
      <div class="banner" role="region" aria-label="Staged restore" data-state="staged">
        <div class="banner-text">
          <strong>A restore is staged</strong>
          <span>
            <span class="filename">{staged.archive}</span> from {TARGET_NAMES[staged.target]} (backup of {formatDateTime(staged.backup_timestamp)},{' '}
            {staged.databases.length} databases, verified {formatAgo(staged.staged_at, now)}) replaces the databases when the service next starts, or now with
            Apply now: the service restarts, and changes made since the backup are lost.
          </span>
        </div>
        <div class="banner-actions">
          <button type="button" class="button button-danger" aria-busy={applying} aria-disabled={applying || cancelling} onClick={onApply}>
            {applying ? 'Applying…' : 'Apply now (restart)'}
          </button>
          <button type="button" class="button" aria-busy={cancelling} aria-disabled={cancelling || applying} onClick={onCancel}>
            {cancelling ? 'Cancelling…' : 'Cancel restore'}
          </button>
        </div>
      </div>
    );
  }

  const last = status?.last_apply;
  if (last && showOutcome) {
    const good = last.outcome === 'applied' || last.outcome === 'resumed';
    return (
      <div class={`banner ${good ? 'banner-ok' : 'banner-error'}`} role={good ? 'status' : 'alert'} data-state={`outcome-${last.outcome}`}>
        <div class="banner-text">
          <strong>
            {OUTCOME_TITLES[last.outcome] ?? last.outcome} <span class="muted">{formatAgo(last.at, now)}</span>
          </strong>
          <span>{last.message.includes(last.archive) ? last.message : `${last.archive} from ${TARGET_NAMES[last.target]}: ${last.message}`}</span>
          {last.safety_copy && !last.message.includes(last.safety_copy) && (
            <span class="hint">
              The databases as they were before are kept in <code>{last.safety_copy}</code> in the data folder.
            </span>
          )}
        </div>
        <button type="button" class="button button-small" onClick={onDismissOutcome}>
          Dismiss
        </button>
      </div>
    );
  }
  return null;
}
