import { runPageWorker } from './page-worker.js';

/** A page-stable copy of a database and what an increment compares: its pages' hashes. */
export interface PageSnapshot {
  /** The copy (rollback-journal mode, as snapshotDatabase's). */
  file: string;
  bytes: number;
  /** Lower-case hex of the whole copy. */
  sha256: string;
  pageSize: number;
  pageCount: number;
  /** The SHA-256 of each page of the copy, 32 bytes per page in page order. */
  hashesFile: string;
}

/**
 * Copies a live database to `dest` (which must not exist) with SQLite's online backup API, in one step inside
 * one read transaction (writers are not blocked in WAL mode), so page n of the copy is page n of the database;
 * then hashes each page into `hashesFile` (default `<dest>.hashes`, must not exist) and the whole copy. Runs in
 * a worker thread, streaming: memory stays flat whatever the database's size. `signal` stops it (the files
 * may then be partial; they are the caller's scratch). Not fsynced: scratch, like a full backup's snapshots.
 */
export async function pageStableSnapshot(source: string, dest: string, options: { hashesFile?: string; signal?: AbortSignal } = {}): Promise<PageSnapshot> {
  const hashesFile = options.hashesFile ?? `${dest}.hashes`;
  const result = await runPageWorker<Omit<PageSnapshot, 'file' | 'hashesFile'>>('pageSnapshot', { source, dest, hashesFile }, options.signal);
  return { ...result, file: dest, hashesFile };
}
