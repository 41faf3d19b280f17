import type { ComponentChildren } from 'preact';
import { type AuditEntry, TARGET_NAMES, type Target } from '../api/client';
import { formatDateTime } from '../format';

/** Words for the audit log's action names; anything else (`METHOD /path`) is shown as it is. */
const ACTION_LABELS: Record<string, string> = {
  'setting.change': 'Setting changed',
  'settings.change': 'Settings changed',
  'backup.start': 'Backup started',
  'backup.delete': 'Backup deleted',
  'backup.rotate': 'Rotation',
  'backup.rotate-dry-run': 'Rotation dry run (nothing deleted)',
  'backup.verify': 'Verification',
  'backup.download-link': 'Download link made',
  'connection.test': 'Test Connection',
  'restore.stage': 'Restore staged',
  'restore.cancel': 'Restore cancelled',
  'restore.apply-now': 'Restore applied now (restart)',
  'restore.apply': 'Restore applied at start',
};

const OUTCOME_LABELS: Record<AuditEntry['outcome'], string> = { ok: 'Done', refused: 'Refused', error: 'Failed' };

function targetName(target: string | null): string | null {
  return target && target in TARGET_NAMES ? (TARGET_NAMES[target as Target] ?? target) : target;
}

interface AuditListProps {
  entries: AuditEntry[] | null;
  error: string | null;
  reload: () => Promise<void>;
}

/** The newest entries of the audit log: who changed what from where, and how it ended. */
export function AuditList({ entries, error, reload }: AuditListProps) {
  let body: ComponentChildren;
  if (error) {
    body = (
      <div class="notice notice-error" role="alert">
        <p>The activity could not be loaded: {error}</p>
        <button type="button" class="button button-small" onClick={() => void reload()}>
          Try again
        </button>
      </div>
    );
  } else if (!entries) {
    body = <p class="muted">Loading…</p>;
  } else if (entries.length === 0) {
    body = <p class="muted">Nothing recorded yet.</p>;
  } else {
    body = (
      <table class="backups audit">
        <caption class="visually-hidden">Recent activity, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            <th scope="col">From</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const about = [targetName(entry.target), entry.subject].filter(Boolean).join(' · ');
            return (
              <tr key={entry.id} data-action={entry.action} data-outcome={entry.outcome}>
                <th scope="row" data-label="When">
                  <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
                </th>
                <td data-label="Action">
                  {ACTION_LABELS[entry.action] ?? entry.action}
                  {about && <span class="filename">{about}</span>}
                </td>
                <td data-label="Outcome" class={entry.outcome === 'ok' ? 'status-ok' : 'status-error'}>
                  {OUTCOME_LABELS[entry.outcome]}
                  {entry.status_code !== null && <span class="filename">{entry.error ? `${entry.status_code} ${entry.error}` : entry.status_code}</span>}
                </td>
                <td data-label="From">
                  {entry.client === 'service' ? 'The service' : entry.client}
                  {entry.user_agent && <span class="filename">{entry.user_agent}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    );
  }
  return (
    <section class="card" aria-labelledby="activity-heading" data-section="activity">
      <div class="list-head">
        <h2 id="activity-heading">Activity</h2>
        <button type="button" class="button button-small" onClick={() => void reload()}>
          Refresh<span class="visually-hidden"> activity</span>
        </button>
      </div>
      <p class="hint">Every change made through the service, and every request it refused, newest first. Setting values are never recorded.</p>
      {body}
    </section>
  );
}
