import type { ServiceStatus, TargetStatus } from '../api/status';
import { diagnoseError, type PlaceKind } from '../diagnosis';
import { formatDateTime, formatMoment } from '../format';
import { forPeople } from '../words';
import { failureSinceSuccess, isAlarm, OVERALL_LABELS, TARGET_STATE_LABELS } from '../target-status';

const STATE_ICONS: Record<TargetStatus['state'], string> = { ok: '✓', failing: '✗', overdue: '!', never: '–', disabled: '–' };

/** A moment in words ("today 14:30, 16 minutes ago"), with the full date on hover and for machines. */
function When({ iso, now, past = false }: { iso: string; now: number; past?: boolean }) {
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatMoment(iso, now, past)}
    </time>
  );
}

function TargetRow({ health, name, now, place }: { health: TargetStatus; name: string; now: number; place: PlaceKind }) {
  const alarm = isAlarm(health.state);
  const failure = failureSinceSuccess(health);
  const verification = health.last_verification;
  const enabled = health.state !== 'disabled';
  return (
    <li class={`status-line ${alarm ? 'status-alarm' : `status-${health.state}`}`} data-target={health.target} data-state={health.state}>
      <span class="status-state">
        <span class="status-icon" aria-hidden="true">
          {STATE_ICONS[health.state]}
        </span>
        <strong>{name}</strong>: {TARGET_STATE_LABELS[health.state]}
      </span>
      <span class="status-facts">
        {/* The last success stays in sight when later attempts fail: it is what a restore would bring back. */}
        {(enabled || health.last_success) && (
          <span class="status-fact" data-fact="last-success">
            Last success: {health.last_success ? <When iso={health.last_success} now={now} past /> : 'none yet'}
          </span>
        )}
        {health.next_run && (
          <span class="status-fact" data-fact="next-run">
            Next run: <When iso={health.next_run} now={now} />
          </span>
        )}
        {(enabled || verification) && (
          <span class={`status-fact ${verification?.verdict === 'failed' ? 'status-fact-alarm' : ''}`} data-fact="last-verification">
            Last verification:{' '}
            {verification ? (
              <>
                {verification.verdict === 'passed' ? 'passed' : 'failed'}, <When iso={verification.time} now={now} past />
              </>
            ) : (
              'none yet'
            )}
          </span>
        )}
      </span>
      {failure && (
        <span class="status-error-line" data-fact="last-failure">
          <strong class="status-diagnosis">{diagnoseError(failure.code, place).heading}</strong>: last failure <When iso={failure.time} now={now} past />
          {health.consecutive_failures > 1 ? ` (${health.consecutive_failures} failures in a row)` : ''}: {forPeople(failure.message)}{' '}
          <code class="error-code">{failure.code}</code> <span class="status-advice">{diagnoseError(failure.code, place).advice}</span>
        </span>
      )}
      {health.state === 'overdue' && (
        <span class="status-error-line" data-fact="overdue">
          {health.overdue_since ? (
            <>
              Overdue since <When iso={health.overdue_since} now={now} />
            </>
          ) : (
            'Overdue'
          )}
          : no successful backup within its schedule.
        </span>
      )}
    </li>
  );
}

interface StatusStripProps {
  status: ServiceStatus | null;
  error: string | null;
  now: number;
  nameOf: (id: string) => string;
  kindOf: (id: string) => PlaceKind;
}

/**
 * The top of the page: one row per target from GET /api/status, with its state in words and colour, the last
 * success, the last failure and its cause when newer, the next run and the last verification.
 */
export function StatusStrip({ status, error, now, nameOf, kindOf }: StatusStripProps) {
  return (
    <section class={`card status-summary status-overall-${status?.state ?? 'unknown'}`} aria-labelledby="status-heading" data-state={status?.state}>
      <div class="list-head">
        <h2 id="status-heading">Backup status</h2>
        {status && <span class="status-overall">{OVERALL_LABELS[status.state]}</span>}
      </div>
      {status ? (
        <ul class="status-list">
          {status.targets.map((t) => (
            <TargetRow key={t.target} health={t} name={nameOf(t.target)} now={now} place={kindOf(t.target)} />
          ))}
        </ul>
      ) : (
        !error && <p class="muted">Loading…</p>
      )}
      {error && <p class="status-error">The status could not be read: {error}</p>}
    </section>
  );
}
