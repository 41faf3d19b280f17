import { Injectable } from '@nestjs/common';
import type { ManagedDatabase } from '../../database/managed-database.js';
import { diffPages, type PageChanges, type PagesNeedFull, type PreviousPages } from '../../incremental/page-diff.js';
import { pageStableSnapshot, type PageSnapshot } from '../../incremental/page-stable-snapshot.js';

/**
 * Port: the page work of a backup of a target with incremental backups on, each step in a worker thread: a
 * page-stable copy of one live database (the online backup API, page n of the copy is page n of the database)
 * with its pages' hashes, and the pages of such a copy that differ from the chain's newest point.
 */
@Injectable()
export class PageSnapshots {
  /** Copies `db` to `dest` (which must not exist), its page hashes beside it (`<dest>.hashes`). */
  snapshot(db: ManagedDatabase, dest: string, signal?: AbortSignal): Promise<PageSnapshot> {
    return pageStableSnapshot(db.path, dest, { signal });
  }

  /** The pages of `current` that differ from `previous`, written in order to `pagesFile`; or why a full backup is needed instead. */
  changes(name: string, previous: PreviousPages, current: PageSnapshot, pagesFile: string, signal?: AbortSignal): Promise<PageChanges | PagesNeedFull> {
    return diffPages(name, previous, current, pagesFile, { signal });
  }
}
