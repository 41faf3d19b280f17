import { Injectable } from '@nestjs/common';
import type { BackupTarget } from '../../common/backup-target.js';
import { DatabaseChangeWatch, type DatabaseVersion } from '../../database/database-change-watch.js';
import type { ManagedDatabase } from '../../database/managed-database.js';
import type { PageIndex } from '../../incremental/page-index.js';

/** A database as a point of a target's chain holds it, and its version when its snapshot was taken. */
export interface SeenDatabase {
  name: string;
  /** null: the version could not be read; the database is read at the next backup. */
  version: DatabaseVersion | null;
  sha256: string;
  pageCount: number;
  pageSize: number;
}

/**
 * Which databases of a target nobody wrote to since the newest point of its chain, so that an increment need not
 * read them (issue 19: "unchanged databases are not read twice"). It remembers, per target, the point this process
 * last made and indexed, and for each database the version (DatabaseChangeWatch) taken before its snapshot's read
 * transaction began: a database whose version is unchanged since then holds exactly what that snapshot copied.
 * Memory only, on purpose: a restart forgets, and the first increment after it reads every database (a version
 * means something only to the connection that read it). The index on disk must still describe that very point
 * (its `last`, and the database's checksum, page count and page size): anything else, and the database is read.
 */
@Injectable()
export class UnchangedDatabases {
  private readonly points = new Map<BackupTarget, { last: string; databases: Map<string, SeenDatabase> }>();

  constructor(private readonly watch: DatabaseChangeWatch) {}

  /** The database's version now: take it before its snapshot's read transaction starts. */
  versionOf(db: ManagedDatabase): DatabaseVersion | null {
    return this.watch.versionOf(db);
  }

  /**
   * The databases of `databases` with no commit since `index.last`, the newest point of `target`'s chain, was made,
   * by name, with the version their snapshot was taken at (still theirs).
   */
  since(target: BackupTarget, index: PageIndex, databases: readonly ManagedDatabase[]): Map<string, DatabaseVersion> {
    const unchanged = new Map<string, DatabaseVersion>();
    const point = this.points.get(target);
    if (!point || point.last !== index.last) return unchanged;
    for (const db of databases) {
      const seen = point.databases.get(db.name);
      const indexed = index.databases.find((d) => d.name === db.name);
      if (!seen?.version || !indexed) continue;
      if (indexed.sha256 !== seen.sha256 || indexed.page_count !== seen.pageCount || indexed.page_size !== seen.pageSize) continue;
      if (this.watch.unchangedSince(db, seen.version)) unchanged.set(db.name, seen.version);
    }
    return unchanged;
  }

  /** `last` is now the newest point of `target`'s index, with `databases` as it holds them. */
  remember(target: BackupTarget, last: string, databases: readonly SeenDatabase[]): void {
    this.points.set(target, { last, databases: new Map(databases.map((db) => [db.name, db])) });
  }

  /** The target's index did not move to the point just made (or is gone): nothing is known of its databases. */
  forget(target: BackupTarget): void {
    this.points.delete(target);
  }
}
