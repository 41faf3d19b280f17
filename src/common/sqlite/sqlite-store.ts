import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions, type EntityManager, type QueryRunner } from 'typeorm';

export interface SqliteStoreOptions {
  /** The database file (absolute). Its folder is created owner-only when missing. */
  file: string;
  entities: NonNullable<DataSourceOptions['entities']>;
  /** Created owner-only (0600) before SQLite first writes to it: for files that hold sealed secrets. SQLite gives its -wal and -shm files the same mode. */
  ownerOnly?: boolean;
  /** PRAGMAs set on the connection before the schema is synchronised, such as `secure_delete = ON` or `synchronous = FULL`. */
  pragmas?: readonly string[];
  /** Work to do once the schema is in place, before the first queued read or write (a WAL checkpoint); outside a transaction. */
  afterOpen?: (source: DataSource) => Promise<void>;
}

/** better-sqlite3's Database, as far as this file uses it (public API: `inTransaction`, `exec`). */
interface Connection {
  readonly inTransaction: boolean;
  exec(sql: string): unknown;
}

/**
 * One of the service's own SQLite files (not a managed database) through its own TypeORM DataSource on better-sqlite3,
 * in WAL mode: the shared part of `.encryption.db`, `.notifications.db` and `.backup-runs.db`.
 *
 * Every read and write goes through one queue, and each write is one SQLite transaction: the driver has a single
 * connection (and a single query runner), so two transactions interleaved at their awaits would nest or read each
 * other's uncommitted rows; a kill -9 leaves either the whole change or none of it.
 *
 * A failed write leaves the connection idle. On some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite rolls
 * the transaction back by itself, and TypeORM's ROLLBACK then fails ("no transaction is active"), leaving its query
 * runner marked as inside a transaction: every later write would be a savepoint inside a transaction nobody
 * commits, seen by later reads on this connection and lost when the file is closed. So the store asks SQLite
 * (better-sqlite3's `inTransaction`) whether its transaction is still open: when it is not, it opens an empty one
 * for TypeORM's own ROLLBACK to end, so TypeORM's bookkeeping is brought back by TypeORM itself, through its public
 * API; no private field is written (one public flag is, when TypeORM's BEGIN itself fails). Should the runner still be in a transaction when the next one starts (a
 * ROLLBACK the disk refused), that one fails with a clear error instead of nesting, and tries the repair again.
 */
export class SqliteStore {
  private source: DataSource | undefined;
  private opening: Promise<DataSource> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: SqliteStoreOptions) {}

  get file(): string {
    return this.options.file;
  }

  /** Opens the file (once): called at start by the owner, so a damaged file stops the start with its name. */
  open(): Promise<DataSource> {
    this.opening ??= this.initialize();
    return this.opening;
  }

  /** Refuses new work, waits for the queued work, and closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    if (this.source?.isInitialized) await this.source.destroy();
  }

  /** `work` in one transaction, after every earlier read and write has finished; a failed one leaves the connection idle. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.serial(async () => inTransaction(await this.open(), work));
  }

  /** `work` outside a transaction (reads, PRAGMAs), in the same queue, so it never sees a half-done write. */
  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.serial(async () => work((await this.open()).manager));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${this.options.file} is closed: the service is stopping`));
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async initialize(): Promise<DataSource> {
    const { file, entities, ownerOnly, pragmas = [], afterOpen } = this.options;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (ownerOnly) {
      fs.closeSync(fs.openSync(file, 'a', 0o600));
      fs.chmodSync(file, 0o600);
    }
    const source = new DataSource({
      type: 'better-sqlite3',
      database: file,
      entities,
      synchronize: true,
      enableWAL: true,
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        for (const pragma of pragmas) db.pragma(pragma);
      },
    });
    await source.initialize();
    try {
      if (afterOpen) await afterOpen(source);
    } catch (error) {
      await source.destroy().catch(() => undefined);
      throw error;
    }
    this.source = source;
    return source;
  }
}

/** `work` in one transaction of `source`'s single query runner; on failure, the runner and SQLite are both idle again. */
async function inTransaction<T>(source: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  const runner = source.createQueryRunner(); // better-sqlite3: the driver's one runner on its one connection
  if (runner.isTransactionActive) {
    // A transaction whose ROLLBACK failed earlier: never nest into it (its writes would never be committed).
    await rollBack(source, runner);
    if (runner.isTransactionActive) throw new Error(`${String(source.options.database)}: an earlier failed write could not be rolled back; try again`);
  }
  try {
    await runner.startTransaction();
  } catch (error) {
    // TypeORM marks its runner as in a transaction before it sends BEGIN: a BEGIN that failed leaves none open.
    if (!connectionOf(source).inTransaction) (runner as { isTransactionActive: boolean }).isTransactionActive = false;
    throw error;
  }
  try {
    const result = await work(runner.manager);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    await rollBack(source, runner);
    throw error;
  }
}

/** Ends the runner's transaction through TypeORM's own ROLLBACK; never throws (the caller rethrows the write's error). */
async function rollBack(source: DataSource, runner: QueryRunner): Promise<void> {
  if (!runner.isTransactionActive) return;
  const connection = connectionOf(source);
  try {
    // SQLite already rolled back (SQLITE_FULL ...): an empty transaction for TypeORM's ROLLBACK to end.
    if (!connection.inTransaction) connection.exec('BEGIN');
    await runner.rollbackTransaction();
  } catch {
    // The runner stays in its transaction: the next write sees it and repairs again before it begins.
  }
}

/** The driver's better-sqlite3 connection (BetterSqlite3Driver.databaseConnection, a public property). */
function connectionOf(source: DataSource): Connection {
  return (source.driver as unknown as { databaseConnection: Connection }).databaseConnection;
}
