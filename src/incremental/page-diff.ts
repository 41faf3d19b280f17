import type { PageRange } from '../archive-format/incremental-metadata.js';
import type { NeedsFullReason } from './needs-full-reason.js';
import type { PageSnapshot } from './page-stable-snapshot.js';
import { type PageWorkerRunner, runPageWorker } from './page-worker.js';

/** A database as the previous point of the chain left it (from the page index). */
export interface PreviousPages {
  pageSize: number;
  pageCount: number;
  /** 32 bytes per page, in page order. */
  hashesFile: string;
}

export interface PageChanges {
  kind: 'changes';
  /** Inclusive 1-based ranges, ascending; empty when nothing changed. */
  changedPages: PageRange[];
  changedCount: number;
  /** changedCount / the new page count (0…1). */
  share: number;
  /** The changed pages in order, `page_size` bytes each; null when none changed. */
  pagesFile: { path: string; bytes: number; sha256: string } | null;
}

export interface PagesNeedFull {
  kind: 'needs-full';
  reason: NeedsFullReason;
  /** The share of pages that changed, when it was measured. */
  share?: number;
}

/**
 * Above this share of changed pages an increment costs about what a full backup does and only lengthens the
 * chain (a VACUUM rewrote the database): docs/incremental-backups.md makes the next backup a full one.
 */
export const MAX_CHANGED_SHARE = 0.5;

/**
 * The pages of `current` whose hashes differ from `previous` (pages past its end count as changed), written in
 * order to `pagesFile` (which must not exist; not created when nothing changed), in a worker thread with flat
 * memory. A page size that changed, or more than `maxShare` of the pages changed, answers needs-full (and
 * writes nothing). `name` names the database in the reason's message.
 */
export async function diffPages(
  name: string,
  previous: PreviousPages,
  current: PageSnapshot,
  pagesFile: string,
  options: { maxShare?: number; signal?: AbortSignal; runner?: PageWorkerRunner } = {},
): Promise<PageChanges | PagesNeedFull> {
  if (previous.pageSize !== current.pageSize) return pageSizeChanged(name, previous, current);
  const maxShare = options.maxShare ?? MAX_CHANGED_SHARE;
  const diff = await runPageWorker<RawPageDiff>(
    'pageDiff',
    {
      previousHashes: previous.hashesFile,
      previousPageCount: previous.pageCount,
      hashes: current.hashesFile,
      pageCount: current.pageCount,
      copy: current.file,
      pageSize: current.pageSize,
      pagesFile,
      maxShare,
    },
    options.signal,
    options.runner,
  );
  return pageChangesOf(name, diff, current, pagesFile, maxShare);
}

/** What the page worker answers for a comparison (its pageDiff, or a snapshot's comparison while hashing). */
export interface RawPageDiff {
  /** null when more than maxShare of the pages changed. */
  ranges: PageRange[] | null;
  changed: number;
  share: number;
  pages: { bytes: number; sha256: string } | null;
}

/** The needs-full answer for a database whose page size is not the previous point's. */
export function pageSizeChanged(name: string, previous: PreviousPages, current: Pick<PageSnapshot, 'pageSize'>): PagesNeedFull {
  const message = `Database ${name}: its page size changed from ${previous.pageSize} to ${current.pageSize} bytes since the chain's last point; making a full backup`;
  return { kind: 'needs-full', reason: { code: 'page-size-changed', message, summary: message } };
}

/** The worker's comparison of `current` as changes, or as needs-full when more than `maxShare` of its pages changed. */
export function pageChangesOf(
  name: string,
  diff: RawPageDiff,
  current: Pick<PageSnapshot, 'pageCount'>,
  pagesFile: string,
  maxShare: number,
): PageChanges | PagesNeedFull {
  if (diff.ranges === null) {
    const percent = (diff.share * 100).toFixed(1);
    const message = `Database ${name}: ${diff.changed} of its ${current.pageCount} pages (${percent} %) changed since the chain's last point, more than ${maxShare * 100} % (a VACUUM rewrites every page); making a full backup`;
    return { kind: 'needs-full', reason: { code: 'too-many-pages-changed', message, summary: message }, share: diff.share };
  }
  return {
    kind: 'changes',
    changedPages: diff.ranges,
    changedCount: diff.changed,
    share: diff.share,
    pagesFile: diff.pages && { path: pagesFile, ...diff.pages },
  };
}
