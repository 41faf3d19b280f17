import type { DataSource, EntityManager } from 'typeorm';

/** What TypeORM's better-sqlite3 driver holds: one connection and one query runner for every operation. */
interface BetterSqlite3Driver {
  databaseConnection?: { inTransaction: boolean; exec(sql: string): unknown };
  queryRunner?: { isTransactionActive: boolean; transactionDepth: number };
}

/**
 * `work` in one transaction of `source` (TypeORM on better-sqlite3), leaving the connection idle when it fails.
 *
 * Why not `source.transaction` alone: on some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM) SQLite rolls the
 * transaction back by itself; TypeORM's own ROLLBACK then fails ("no transaction is active") and its single
 * query runner stays marked as inside a transaction. Every later "transaction" would then be a savepoint inside
 * an outer transaction nobody commits: the writes look saved (later reads on the same connection see them) and
 * are lost when the file is closed. After a failure this rolls back whatever SQLite still has open and marks the
 * runner idle, so the next write is a transaction of its own again.
 *
 * Only for a source whose writes the caller runs one at a time (a queue): the repair assumes no other
 * transaction of this source is in flight.
 */
export async function sqliteTransaction<T>(source: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  try {
    return await source.transaction(work);
  } catch (error) {
    restoreIdleConnection(source);
    throw error;
  }
}

/**
 * Rolls back what SQLite still has open on `source`'s connection and marks TypeORM's query runner idle. Never
 * throws (the caller rethrows the write's own error): a ROLLBACK that fails leaves SQLite's transaction open, so
 * the next write's BEGIN fails loudly and comes back here to try again, instead of nesting into it.
 */
export function restoreIdleConnection(source: DataSource): void {
  const driver = source.driver as unknown as BetterSqlite3Driver;
  const connection = driver.databaseConnection;
  try {
    if (connection?.inTransaction) connection.exec('ROLLBACK');
  } catch {
    // See above: the next write repairs again.
  }
  const runner = driver.queryRunner;
  if (runner) {
    runner.isTransactionActive = false;
    runner.transactionDepth = 0;
  }
}
