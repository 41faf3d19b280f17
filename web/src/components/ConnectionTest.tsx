import type { ConnectionTestResult } from '../api/client';
import { diagnoseCheck, type PlaceKind } from '../diagnosis';
import { formatClock, formatDuration } from '../format';
import { forPeople } from '../words';

const CHECK_LABELS: Record<string, string> = {
  configuration: 'Settings complete',
  endpoint: 'Endpoint reachable',
  credentials: 'Credentials accepted',
  bucket: 'Bucket exists',
  folder: 'Folder exists',
  write: 'Can write',
  read: 'Can read back',
  delete: 'Can delete',
};

/**
 * What Test Connection checked, in order, and what failed: a failure is headed by what went wrong (diagnosis.ts,
 * the same words the status strip and a failed backup use), never by the name the check has when it passes.
 * The result carries the time it was checked: the card clears it when a field changes.
 */
export function ConnectionTest({ result, kind, checkedAt }: { result: ConnectionTestResult; kind: PlaceKind; checkedAt: number }) {
  const failed = result.checks.find((check) => !check.ok);
  const diagnosis = failed ? diagnoseCheck(failed, kind) : undefined;
  return (
    <div class={`test-result ${result.ok ? 'test-ok' : 'test-failed'}`} role={result.ok ? 'status' : 'alert'} data-checked-at={checkedAt}>
      <p class="test-summary">
        <strong class="test-heading">{diagnosis ? diagnosis.heading : 'Connection works'}</strong>
        {result.location && <span class="test-location"> {result.location}</span>}
        <span class="test-duration"> · {formatDuration(result.duration_ms)}</span>
        <span class="test-time"> · Checked {formatClock(checkedAt)}</span>
      </p>
      {diagnosis && <p class="test-advice">{diagnosis.advice}</p>}
      <ul class="checks">
        {result.checks.map((check) => (
          <li key={check.name} class={check.ok ? 'check-ok' : 'check-failed'}>
            <span class="check-icon" aria-hidden="true">
              {check.ok ? '✓' : '✗'}
            </span>
            <span class="check-name">
              {/* A failed check is named by what went wrong, not by the name it has when it passes. */}
              {check.ok ? (CHECK_LABELS[check.name] ?? check.name) : (diagnosis?.heading ?? check.name)}
              <span class="visually-hidden">{check.ok ? ': passed' : ': failed'}</span>
            </span>
            <span class="check-message">{forPeople(check.message)}</span>
          </li>
        ))}
      </ul>
      {failed && <p class="hint">The checks stop at the first failure; fix it, Save, and test again.</p>}
    </div>
  );
}
