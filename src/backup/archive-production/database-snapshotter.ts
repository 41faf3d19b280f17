import { Injectable } from '@nestjs/common';
import { type FileDigest, snapshotDatabase } from '../../database/sqlite-snapshot.js';
import type { ManagedDatabase } from '../../database/managed-database.js';

/** Port: a consistent copy of one live database, made off the event loop (a worker thread per copy). */
@Injectable()
export class DatabaseSnapshotter {
  /**
   * Copies `db` to `dest` (which must not exist) and returns the copy's size and SHA-256. `signal` stops
   * the copy. Not fsynced: the copy is scratch, read back from the page cache by the archive writer.
   */
  snapshot(db: ManagedDatabase, dest: string, signal?: AbortSignal): Promise<FileDigest> {
    return snapshotDatabase(db.path, dest, { durable: false, signal });
  }
}
