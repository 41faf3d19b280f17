import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import type { ManagedDatabase } from './managed-database.js';

/**
 * What a database looked like to the watch at one moment. Two of them of the same database compare equal only
 * when no transaction was committed to it in between (DatabaseChangeWatch.unchangedSince).
 */
export interface DatabaseVersion {
  /** The watch's connection that read `dataVersion` (a version read by another connection compares with nothing). */
  readonly connection: number;
  /** `PRAGMA data_version` of that connection. */
  readonly dataVersion: number;
  /** The database file's and its WAL's identity, size and modification time (a WAL that does not exist: null). */
  readonly file: FileState;
  readonly wal: FileState | null;
}

interface FileState {
  dev: number;
  ino: number;
  size: number;
  mtimeNs: string;
}

/** Numbers the watch's connections across instances: a version compares only with the connection that read it. */
let nextConnectionId = 1;

/**
 * Tells, without reading a database, whether anyone committed to it since an earlier moment (issue 19: "unchanged
 * databases are not read twice"). The signal is SQLite's own: `PRAGMA data_version` of one connection changes when
 * any other connection, in this process or another, committed since that connection's previous read; it is what
 * keeps SQLite's page cache coherent (in WAL mode the wal-index header changes with every commit, in rollback mode
 * the header's change counter), so it does not miss a commit that leaves the file's size, the header's change
 * counter or the WAL's size as they were (a WAL rewritten from its start after a checkpoint). The watch keeps one
 * connection of its own per database, opened at the first question and never used to write, so that its version
 * moves only with other connections' commits.
 *
 * The file's and the WAL's identity, size and modification time are compared too, belt and braces: a file replaced
 * under its name (another inode, which the watch's connection does not see) or anything else that touched the
 * files counts as a change. Every doubt answers "changed": a connection that could not be opened or read, another
 * connection than the one that took the earlier version (the service restarted: the first backup reads everything).
 * A false "changed" costs one read of the database; a false "unchanged" would be a wrong backup, so there is none.
 */
@Injectable()
export class DatabaseChangeWatch implements OnApplicationShutdown {
  private readonly logger = new Logger('Backup');
  private readonly connections = new Map<string, { id: number; db: Database.Database }>();

  /**
   * The database's version now; null when it cannot be read (the database is then read as if it had changed).
   * Take it before the snapshot's read transaction starts: a commit between the two then shows as a change.
   */
  versionOf(db: ManagedDatabase): DatabaseVersion | null {
    try {
      const connection = this.connectionOf(db.path);
      // Read the files first: a commit after them changes data_version, one before shows in both.
      const file = fileState(db.path);
      if (!file) throw new Error(`${db.path} is not there`);
      const wal = fileState(`${db.path}-wal`);
      const dataVersion = connection.db.pragma('data_version', { simple: true }) as number;
      return { connection: connection.id, dataVersion, file, wal };
    } catch (error) {
      this.logger.warn(`Cannot tell whether database ${db.name} changed since the last backup (${(error as Error).message}); it is read whole`);
      this.forget(db.path);
      return null;
    }
  }

  /** True only when nothing was committed to `db` since `earlier` was taken. */
  unchangedSince(db: ManagedDatabase, earlier: DatabaseVersion): boolean {
    const now = this.versionOf(db);
    return (
      now !== null &&
      now.connection === earlier.connection &&
      now.dataVersion === earlier.dataVersion &&
      sameFile(now.file, earlier.file) &&
      (now.wal === null ? earlier.wal === null : earlier.wal !== null && sameFile(now.wal, earlier.wal))
    );
  }

  onApplicationShutdown(): void {
    for (const path of [...this.connections.keys()]) this.forget(path);
  }

  private connectionOf(path: string): { id: number; db: Database.Database } {
    const known = this.connections.get(path);
    if (known) return known;
    // timeout 0: on the event loop, a lock held by a writer (rollback-journal mode) answers at once, as a change.
    const db = new Database(path, { fileMustExist: true, timeout: 0 });
    try {
      // Never writes: its data_version then moves only with other connections' commits. A first read makes the
      // WAL and its index exist (in WAL mode), so that the files' state read next is the one later reads compare with.
      db.pragma('query_only = ON');
      db.pragma('data_version');
    } catch (error) {
      db.close();
      throw error;
    }
    const connection = { id: nextConnectionId++, db };
    this.connections.set(path, connection);
    return connection;
  }

  private forget(path: string): void {
    const connection = this.connections.get(path);
    this.connections.delete(path);
    try {
      connection?.db.close();
    } catch {
      // Closing a connection that failed: nothing more to do, the next question opens another (and counts as a change).
    }
  }
}

function fileState(file: string): FileState | null {
  const stat = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  if (!stat) return null;
  return { dev: Number(stat.dev), ino: Number(stat.ino), size: Number(stat.size), mtimeNs: stat.mtimeNs.toString() };
}

function sameFile(a: FileState, b: FileState): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}
