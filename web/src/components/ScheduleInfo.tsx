import type { Schedule, VerificationReport } from '../api/client';
import { formatAgo, formatRelative, formatServiceTime } from '../format';
import { forPeople } from '../words';

const TASK_LABELS: Record<Schedule['task'], string> = {
  backup: 'Next backup',
  rotation: 'Next rotation',
  verification: 'Next verification',
};

const ORDER: Schedule['task'][] = ['backup', 'rotation', 'verification'];

/** When each scheduled job of a target runs next (or why it does not), and what its last run did. */
export function ScheduleInfo({ schedules, verification, now }: { schedules: readonly Schedule[]; verification?: VerificationReport; now: number }) {
  if (schedules.length === 0) return null;
  const sorted = [...schedules].sort((a, b) => ORDER.indexOf(a.task) - ORDER.indexOf(b.task));
  const backup = sorted.find((s) => s.task === 'backup');
  if (backup && !backup.enabled) {
    return (
      <div class="schedule" data-schedule="off">
        <p>
          <strong>Not scheduled:</strong> {forPeople(backup.disabled_reason ?? 'scheduled backups are off')}.
        </p>
      </div>
    );
  }
  return (
    <div class="schedule">
      {sorted.map((s) => (
        <p key={s.job} data-job={s.job}>
          <strong>{TASK_LABELS[s.task]}:</strong>{' '}
          {s.enabled && s.next_run ? (
            <>
              <time dateTime={s.next_run}>{formatServiceTime(s.next_run, s.time_zone, { withDay: true })}</time>, {formatRelative(s.next_run, now)} ·{' '}
              {s.schedule}
            </>
          ) : (
            forPeople(s.disabled_reason ?? 'not scheduled')
          )}
          {s.last_outcome === 'failed' && s.last_message && <span class="status-error"> Last run failed: {forPeople(s.last_message)}</span>}
          {s.task === 'verification' && verification && (
            <span class={verification.ok ? '' : 'status-error'}>
              {' '}
              Last: {verification.ok ? 'intact' : verification.message}, {formatAgo(verification.checked_at, now)}.
            </span>
          )}
        </p>
      ))}
    </div>
  );
}
