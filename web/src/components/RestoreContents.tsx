import { useEffect, useState } from 'preact/hooks';
import { api, type BackupContents, type BackupFile, errorMessage, type Target, unwrap } from '../api/client';
import { formatBytes, formatDateTime, formatAgo } from '../format';

interface RestoreContentsProps {
  target: Target;
  targetName: string;
  file: BackupFile;
}

/** The database whose file holds the service's settings: a restore puts them back too. */
const SETTINGS_DATABASE = 'config.db';

/**
 * The restore dialog's body: what comes back and what is lost. The backup's databases with their size in
 * the backup beside their size now (GET …/contents reads the archive's metadata), the backup's time, that
 * changes since then are lost, and that the settings and credentials (config.db) go back to that time too.
 */
export function RestoreContents({ target, targetName, file }: RestoreContentsProps) {
  const [contents, setContents] = useState<BackupContents | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    unwrap(api.GET('/api/backups/{target}/{filename}/contents', { params: { path: { target, filename: file.filename } } })).then(
      (answer) => current && setContents(answer),
      (e: unknown) => current && setError(errorMessage(e)),
    );
    return () => {
      current = false;
    };
  }, [target, file.filename]);

  const madeAt = contents?.backup_timestamp ?? file.created_at;
  return (
    <>
      <p>
        Every database is replaced by its copy in <strong class="filename">{file.filename}</strong> ({targetName}, {formatBytes(file.size_bytes)}), made{' '}
        <strong>
          <time dateTime={madeAt}>{formatDateTime(madeAt)}</time>
        </strong>{' '}
        ({formatAgo(madeAt)}).
      </p>
      <p class="restore-warning">
        <strong>Changes since then will be lost.</strong> Settings and credentials go back to that time too: they live in {SETTINGS_DATABASE} (the targets,
        their storage keys, schedules and retention). Encryption keys and notification channels are kept apart and stay as they are.
      </p>
      <RestoreContentsTable contents={contents} error={error} />
      <p>
        The backup is downloaded and verified first; if any check fails, nothing changes. The current databases are kept as a safety copy in the data folder.
      </p>
    </>
  );
}

function RestoreContentsTable({ contents, error }: { contents: BackupContents | null; error: string | null }) {
  if (error) return <p class="hint">What the backup holds could not be read: {error}</p>;
  if (!contents) {
    return (
      <p class="hint" role="status">
        Reading what the backup holds…
      </p>
    );
  }
  return (
    <div class="restore-contents">
      {!contents.readable && <p class="hint">{contents.unreadable_reason}</p>}
      {contents.database_set_problem && <p class="hint bad">{contents.database_set_problem}</p>}
      <div class="table-scroll">
        <table aria-label="Databases in the backup and now">
          <thead>
            <tr>
              <th scope="col">Database</th>
              <th scope="col">In the backup</th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {contents.databases.map((db) => (
              <tr key={db.name} data-database={db.name}>
                <th scope="row">
                  {db.filename}
                  {db.filename === SETTINGS_DATABASE && <span class="muted"> (settings)</span>}
                </th>
                <td>{db.backup_size_bytes === null ? (contents.readable ? 'not in the backup' : 'unknown') : formatBytes(db.backup_size_bytes)}</td>
                <td>{db.current_size_bytes === null ? 'none' : formatBytes(db.current_size_bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
