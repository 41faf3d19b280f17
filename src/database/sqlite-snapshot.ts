import { runSqliteWorker } from './sqlite-worker.js';

export interface FileDigest {
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
}

export interface SnapshotOptions {
  /**
   * fsync the copy before returning (default true): a copy that must survive a crash, such as the
   * restore's safety copy. A backup's snapshots are scratch that a crash makes worthless (the start-up
   * sweep removes them), and syncing them made the archive wait for the disk to write every snapshot
   * once before the first byte was compressed (bench/results.md, "Where a backup's time goes").
   */
  durable?: boolean;
  /** Stops the copy at once (the worker thread is terminated; `dest` may then be partial). */
  signal?: AbortSignal;
}

/**
 * A consistent copy of a live database at `dest` (which must not exist), made with SQLite's
 * `VACUUM INTO` from its own connection: never a byte copy of the file, whose newest commits may still
 * be in the -wal file. Writers are not blocked (WAL mode). The copy is in rollback-journal mode, and its
 * size and SHA-256 are returned (hashed right after the copy, while its pages are in the page cache).
 */
export function snapshotDatabase(source: string, dest: string, options: SnapshotOptions = {}): Promise<FileDigest> {
  return runSqliteWorker<FileDigest>('snapshot', { source, dest, durable: options.durable ?? true }, options.signal);
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
