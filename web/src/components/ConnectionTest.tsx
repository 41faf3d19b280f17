import type { ConnectionTestResult } from '../api/client';
import { formatDuration } from '../format';

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

/** What Test Connection checked, in order, and what failed. */
export function ConnectionTest({ result }: { result: ConnectionTestResult }) {
  const failed = result.checks.find((check) => !check.ok);
  return (
    <div class={`test-result ${result.ok ? 'test-ok' : 'test-failed'}`} role={result.ok ? 'status' : 'alert'}>
      <p class="test-summary">
        <strong>{result.ok ? 'Connection works' : `Connection failed: ${CHECK_LABELS[failed?.name ?? ''] ?? failed?.name ?? 'check failed'}`}</strong>
        {result.location && <span class="test-location"> {result.location}</span>}
        <span class="test-duration"> · {formatDuration(result.duration_ms)}</span>
      </p>
      <ul class="checks">
        {result.checks.map((check) => (
          <li key={check.name} class={check.ok ? 'check-ok' : 'check-failed'}>
            <span class="check-icon" aria-hidden="true">
              {check.ok ? '✓' : '✗'}
            </span>
            <span class="check-name">
              {CHECK_LABELS[check.name] ?? check.name}
              <span class="visually-hidden">{check.ok ? ': passed' : ': failed'}</span>
            </span>
            <span class="check-message">{check.message}</span>
          </li>
        ))}
      </ul>
      {failed && <p class="hint">The checks stop at the first failure; fix it, Save, and test again.</p>}
    </div>
  );
}
