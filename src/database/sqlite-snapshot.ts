import { runSqliteWorker } from './sqlite-worker.js';

export interface FileDigest {
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
}

/**
 * A consistent copy of a live database at `dest` (which must not exist), made with SQLite's
 * `VACUUM INTO` from its own connection: never a byte copy of the file, whose newest commits may still
 * be in the -wal file. Writers are not blocked (WAL mode). The copy is in rollback-journal mode,
 * fsynced, and its size and SHA-256 are returned.
 */
export function snapshotDatabase(source: string, dest: string, signal?: AbortSignal): Promise<FileDigest> {
  return runSqliteWorker<FileDigest>('snapshot', { source, dest }, signal);
}

/** `PRAGMA integrity_check` on a database file: the problems found, empty when it is sound. */
export async function integrityCheck(file: string, signal?: AbortSignal): Promise<string[]> {
  const { problems } = await runSqliteWorker<{ problems: string[] }>('integrity', { file }, signal);
  return problems;
}

/** Size and SHA-256 of a file, computed off the event loop. */
export function digestFile(file: string): Promise<FileDigest> {
  return runSqliteWorker<FileDigest>('sha256', { file });
}
