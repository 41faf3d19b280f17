import type { RestoreStatus } from '../api/client';
import { TARGET_NAMES } from '../api/client';
import { formatBytes, formatDateTime, formatRelative } from '../format';

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
  onDismissOutcome: () => void;
  showOutcome: boolean;
}

const OUTCOME_TITLES: Record<string, string> = {
  applied: 'Restore applied',
  resumed: 'Restore applied (finished after an interruption)',
  rolled_back: 'Restore rolled back',
  failed: 'Restore failed',
};

/** The restore state above everything: restarting, being staged, staged (with Cancel), or how the last one ended. */
export function RestoreBanner({ status, restarting, pending, now, cancelling, onCancel, onDismissOutcome, showOutcome }: RestoreBannerProps) {
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
    return (
      <div class="banner" role="status" data-state="staging">
        <span class="spinner" aria-hidden="true" />
        <div class="banner-text">
          <strong>Preparing a restore</strong>
          <span>
            {staging.phase === 'downloading' ? 'Downloading and checking' : 'Running integrity checks on'} <span class="filename">{staging.archive}</span> from{' '}
            {TARGET_NAMES[staging.target]}
            {staging.phase === 'downloading' && staging.archive_bytes > 0 && ` (${formatBytes(staging.bytes_read)} of ${formatBytes(staging.archive_bytes)})`}.
            Nothing changes until every check has passed.
          </span>
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
            {staged.databases.length} databases, verified {formatRelative(staged.staged_at, now)}) replaces the databases when the service next starts.
          </span>
        </div>
        <button type="button" class="button" aria-busy={cancelling} aria-disabled={cancelling} onClick={onCancel}>
          {cancelling ? 'Cancelling…' : 'Cancel restore'}
        </button>
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
            {OUTCOME_TITLES[last.outcome] ?? last.outcome} <span class="muted">{formatRelative(last.at, now)}</span>
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
