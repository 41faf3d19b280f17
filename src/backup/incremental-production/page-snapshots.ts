import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ManagedDatabase } from '../../database/managed-database.js';
import { diffPages, type PageChanges, type PagesNeedFull, type PreviousPages } from '../../incremental/page-diff.js';
import { type PageComparison, pageStableSnapshot, type PageSnapshot } from '../../incremental/page-stable-snapshot.js';
import { PageWorkerPool } from '../../incremental/page-worker-pool.js';

/**
 * Port: the page work of a backup of a target with incremental backups on, each step in a worker thread: a
 * page-stable copy of one live database (the online backup API, page n of the copy is page n of the database)
 * with its pages' hashes, and the pages of such a copy that differ from the chain's newest point. The threads
 * are kept from one database to the next (PageWorkerPool): a backup's databases do not each start one; they end as soon
 * as the backup's page work is done (endIdleWorkers), not beside the archive's own thread.
 */
@Injectable()
export class PageSnapshots implements OnApplicationShutdown {
  private readonly workers = new PageWorkerPool();

  /**
   * Copies `db` to `dest` (which must not exist), its page hashes beside it (`<dest>.hashes`); with `compareWith`,
   * the pages that differ from the chain's newest point too, found in the same read (the snapshot's `changes`).
   */
  snapshot(db: ManagedDatabase, dest: string, signal?: AbortSignal, compareWith?: PageComparison): Promise<PageSnapshot> {
    return pageStableSnapshot(db.path, dest, { signal, compareWith, runner: this.workers });
  }

  /** The pages of `current` that differ from `previous`, written in order to `pagesFile`; or why a full backup is needed instead. */
  changes(name: string, previous: PreviousPages, current: PageSnapshot, pagesFile: string, signal?: AbortSignal): Promise<PageChanges | PagesNeedFull> {
    return diffPages(name, previous, current, pagesFile, { signal, runner: this.workers });
  }

  /** The backup's page work is done: its threads end now, before the archive is written (PageWorkerPool.endIdle). */
  endIdleWorkers(): Promise<void> {
    return this.workers.endIdle();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.workers.close();
  }
}
