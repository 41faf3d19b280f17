import { MAX_CHANGED_SHARE, type PageChanges, pageChangesOf, type PagesNeedFull, pageSizeChanged, type PreviousPages, type RawPageDiff } from './page-diff.js';
import { type PageWorkerRunner, runPageWorker } from './page-worker.js';

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
  /** With `compareWith`: the pages that differ from the previous point's, found while the copy was hashed (as diffPages answers). */
  changes?: PageChanges | PagesNeedFull;
}

/** What a snapshot compares its pages with as it hashes them (diffPages' arguments). */
export interface PageComparison {
  /** Names the database in a reason's message. */
  name: string;
  previous: PreviousPages;
  /** Where the changed pages go, in order (must not exist; not created when none changed or too many did). */
  pagesFile: string;
  maxShare?: number;
}

/**
 * Copies a live database to `dest` (which must not exist) with SQLite's online backup API, in one step inside
 * one read transaction (writers are not blocked in WAL mode), so page n of the copy is page n of the database;
 * then hashes each page into `hashesFile` (default `<dest>.hashes`, must not exist) and the whole copy, in one
 * read of the copy. With `compareWith`, the same read compares each page's hash with the previous point's and
 * writes the changed pages (`changes`): an increment reads its copy once. Runs in a worker thread (one of
 * `runner`'s, else its own), streaming:
 * memory stays flat whatever the database's size. `signal` stops it (the files may then be partial; they are the
 * caller's scratch). Not fsynced: scratch, like a full backup's snapshots.
 */
export async function pageStableSnapshot(
  source: string,
  dest: string,
  options: { hashesFile?: string; signal?: AbortSignal; compareWith?: PageComparison; runner?: PageWorkerRunner } = {},
): Promise<PageSnapshot> {
  const hashesFile = options.hashesFile ?? `${dest}.hashes`;
  const comparison = options.compareWith;
  const maxShare = comparison?.maxShare ?? MAX_CHANGED_SHARE;
  const compare = comparison && {
    previousPageSize: comparison.previous.pageSize,
    previousHashes: comparison.previous.hashesFile,
    previousPageCount: comparison.previous.pageCount,
    pagesFile: comparison.pagesFile,
    maxShare,
  };
  const { changes, ...result } = await runPageWorker<Omit<PageSnapshot, 'file' | 'hashesFile' | 'changes'> & { changes: RawPageDiff | null }>(
    'pageSnapshot',
    { source, dest, hashesFile, compare },
    options.signal,
    options.runner,
  );
  const snapshot: PageSnapshot = { ...result, file: dest, hashesFile };
  if (!comparison) return snapshot;
  if (comparison.previous.pageSize !== snapshot.pageSize) return { ...snapshot, changes: pageSizeChanged(comparison.name, comparison.previous, snapshot) };
  return { ...snapshot, changes: pageChangesOf(comparison.name, changes!, snapshot, comparison.pagesFile, maxShare) };
}
