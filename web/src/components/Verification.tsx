import type { VerificationReport } from '../api/client';
import { formatBytes, formatDuration } from '../format';

interface VerificationProps {
  report: VerificationReport;
  onClose: () => void;
  /** A limited verification (an encrypted backup without its key on the server): verify again with the recovery key. */
  onVerifyWithKey: () => void;
}

/** The per-database verdict of Verify: checksum and SQLite integrity of every database in the archive. */
export function Verification({ report, onClose, onVerifyWithKey }: VerificationProps) {
  const { limited } = report;
  return (
    <div class="verify" role="status" aria-label={`Verification of ${report.archive}`}>
      <div class="list-head">
        <p class={report.ok ? 'good' : 'bad'}>
          {report.ok ? '✓ ' : '✗ '}
          {report.message}
          <span class="muted"> · {formatDuration(report.duration_ms)}</span>
        </p>
        <button type="button" class="button button-small" onClick={onClose}>
          Close<span class="visually-hidden"> the verification of {report.archive}</span>
        </button>
      </div>
      {limited && (
        <div class="notice">
          <p>
            Limited verification: this backup is encrypted and the server keeps no key for it, so only the stored archive was checked (present, its size and
            SHA-256 as recorded at its upload). Its databases were not opened.
          </p>
          <button type="button" class="button button-small" onClick={onVerifyWithKey}>
            Verify with the recovery key<span class="visually-hidden"> {report.archive}</span>
          </button>
        </div>
      )}
      {report.problem && (
        <p class="bad">
          {report.problem.check} failed on {report.problem.file}: {report.problem.message}
        </p>
      )}
      {report.databases.length > 0 && (
        <div class="table-scroll">
          <table>
            <caption class="visually-hidden">Databases in {report.archive}</caption>
            <thead>
              <tr>
                <th scope="col">Database</th>
                <th scope="col">Size</th>
                <th scope="col">Checksum</th>
                <th scope="col">Integrity</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {report.databases.map((db) => (
                <tr key={db.name}>
                  <th scope="row">{db.name}</th>
                  <td data-label="Size">{formatBytes(db.size_bytes)}</td>
                  <td data-label="Checksum" class={db.checksum_ok ? 'good' : 'bad'}>
                    {db.checksum_ok ? 'matches' : 'MISMATCH'}
                  </td>
                  <td data-label="Integrity" class={db.integrity_ok ? 'good' : 'bad'}>
                    {db.integrity_ok ? 'ok' : 'FAILED'}
                  </td>
                  <td data-label="Details">{db.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
