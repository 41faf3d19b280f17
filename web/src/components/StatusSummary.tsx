import { TARGET_NAMES } from '../api/client';
import type { ServiceStatus, TargetStatus } from '../api/status';
import { formatDateTime, formatRelative } from '../format';
import { isAlarm, OVERALL_LABELS, TARGET_STATE_LABELS } from '../target-status';

const STATE_ICONS: Record<TargetStatus['state'], string> = { ok: '✓', failing: '✗', overdue: '!', never: '–', disabled: '–' };

function When({ iso, now }: { iso: string; now: number }) {
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso, now)}
    </time>
  );
}

function TargetLine({ health, now }: { health: TargetStatus; now: number }) {
  const alarm = isAlarm(health.state);
  const error = health.last_error;
  return (
    <li class={`status-line ${alarm ? 'status-alarm' : `status-${health.state}`}`} data-target={health.target} data-state={health.state}>
      <span class="status-state">
        <span class="status-icon" aria-hidden="true">
          {STATE_ICONS[health.state]}
        </span>
        <strong>{TARGET_NAMES[health.target]}</strong>: {TARGET_STATE_LABELS[health.state]}
      </span>
      <span class="status-facts">
        {health.state !== 'disabled' && <span>Last success: {health.last_success ? <When iso={health.last_success} now={now} /> : 'none yet'}</span>}
        {health.next_run && (
          <span>
            Next run: <When iso={health.next_run} now={now} />
          </span>
        )}
        {health.last_verification?.verdict === 'failed' && (
          <span>
            Verification failed <When iso={health.last_verification.time} now={now} />
          </span>
        )}
      </span>
      {health.state === 'failing' && error && (
        <span class="status-error-line">
          Last attempt <When iso={error.time} now={now} /> failed
          {health.consecutive_failures > 1 ? ` (${health.consecutive_failures} failures in a row)` : ''}: {error.message}
        </span>
      )}
      {health.state === 'overdue' && (
        <span class="status-error-line">
          {health.overdue_since ? (
            <>
              Overdue since <When iso={health.overdue_since} now={now} />
            </>
          ) : (
            'Overdue'
          )}
          : no successful backup within its schedule{error ? `; the last attempt failed: ${error.message}` : '.'}
        </span>
      )}
    </li>
  );
}

interface StatusSummaryProps {
  status: ServiceStatus | null;
  error: string | null;
  now: number;
}

/** One line per target at the top of the page: its state in words and colour, last success, next run, and why it fails. */
export function StatusSummary({ status, error, now }: StatusSummaryProps) {
  return (
    <section class={`card status-summary status-overall-${status?.state ?? 'unknown'}`} aria-labelledby="status-heading" data-state={status?.state}>
      <div class="list-head">
        <h2 id="status-heading">Backup status</h2>
        {status && <span class="status-overall">{OVERALL_LABELS[status.state]}</span>}
      </div>
      {status ? (
        <ul class="status-list">
          {status.targets.map((t) => (
            <TargetLine key={t.target} health={t} now={now} />
          ))}
        </ul>
      ) : (
        !error && <p class="muted">Loading…</p>
      )}
      {error && <p class="status-error">The status could not be read: {error}</p>}
    </section>
  );
}
