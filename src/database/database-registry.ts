import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import fs from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { damagedDatabaseError, type DamagedDatabase, isDamageError } from './database-damage.js';
import { DatabasePresenceRecord } from './database-presence-record.js';
import { type ManagedDatabase, managedDatabases } from './managed-database.js';

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** The page cache of each of the service's own connections, in KiB (see openOne). */
const SERVICE_CACHE_KIB = 2000;

/**
 * The databases this service reads itself (settings), checked with `PRAGMA quick_check` at open: a
 * damaged interior would otherwise surface as an error in the middle of some later request. config.db
 * is small, so the check costs milliseconds; the others are Sentinel's, can be gigabytes, and are
 * only copied here (a restore checks every database of the archive).
 */
const CHECKED_AT_OPEN = new Set(['config']);

/**
 * The databases of the running service (name → path → connection): backup, restore and settings ask
 * it. Which databases exist and where their files are comes from `managedDatabases()`, which the
 * restore core's DataFolderLayout uses too (it works on the files without the service), so the two
 * lists cannot drift apart; only the registry opens connections.
 *
 * Opening is a gate. No connection exists until `open()` is called, and `dataSource()` waits for it.
 * `open()` is called once per boot by the restore module's OnApplicationBootstrap hook, after it has
 * applied any staged restore (see RestoreOnStartHook): so no database file is ever swapped while a
 * connection holds it, and nothing reads a database before the swap is done. For that reason no
 * other start-up hook may *await* `dataSource()`: Nest runs bootstrap hooks one module at a time, and
 * waiting on the gate from a hook that runs before the restore module's would never finish.
 *
 * A damaged database file does not stop the start: if it did, the user could not restore a backup
 * through the API, the way out of exactly that situation. The start logs it (naming the file and what
 * to do), GET /api/health reports it, and `dataSource()` of that database throws the same message
 * (503 DATABASE_DAMAGED). A restore staged meanwhile replaces the file before the next open. Other
 * failures to open (permissions, a read-only disk) still stop the start: a restore cannot fix those.
 *
 * A missing file is created (empty) only when DatabasePresenceRecord does not say it existed at an
 * earlier open: a new installation, or a database added to the configuration. One that existed and is
 * gone is reported like a damaged one (health degraded, backups refused, 503 naming it), not created.
 */
@Injectable()
export class DatabaseRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseRegistry.name);
  private readonly databases: readonly ManagedDatabase[];
  private readonly sources = new Map<string, DataSource>();
  private readonly damaged = new Map<string, DamagedDatabase>();
  private readonly presence: DatabasePresenceRecord;
  private state: 'closed' | 'opening' | 'open' | 'shut' = 'closed';
  private gate!: Promise<void>;
  private openGate!: () => void;
  private failGate!: (error: Error) => void;

  constructor(private readonly config: AppConfig) {
    this.databases = managedDatabases(config.env.dataDir, config.env.databases);
    this.presence = new DatabasePresenceRecord(config.env.dataDir, this.logger);
    this.resetGate();
  }

  /** The data directory that holds the databases. */
  get dataDir(): string {
    return this.config.env.dataDir;
  }

  /** Every managed database, in configuration order. */
  list(): readonly ManagedDatabase[] {
    return this.databases;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** The databases found damaged since the last open, for GET /api/health. */
  damagedDatabases(): readonly DamagedDatabase[] {
    return [...this.damaged.values()];
  }

  /**
   * Refuses work that must not run on a damaged set, such as a backup: its archive would hold the
   * damaged file, and rotation could then delete the good backups that a restore needs.
   */
  assertIntact(): void {
    const [first] = this.damaged.values();
    if (first) throw damagedDatabaseError(first);
  }

  /**
   * For a user of a connection whose query failed: if the error says the file is damaged, the
   * database is marked damaged (health reports it) and the clear error is returned to throw instead.
   */
  reportFailure(name: string, error: unknown): unknown {
    const database = this.databases.find((db) => db.name === name);
    if (!database || !isDamageError(error)) return error;
    if (!this.damaged.has(name)) {
      const damage = { database, reason: (error as Error).message };
      this.damaged.set(name, damage);
      this.logger.error(damagedDatabaseError(damage).message);
    }
    return damagedDatabaseError(this.damaged.get(name)!);
  }

  /** Opens every database in WAL mode, creating the missing files of databases that never existed (see the class). Idempotent. */
  async open(): Promise<void> {
    if (this.state !== 'closed') return this.gate;
    this.state = 'opening';
    this.damaged.clear();
    try {
      // Owner-only: the databases hold the user's whole financial state.
      fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
      await this.presence.removeLeftovers();
      const expected = this.presence.expected();
      const created: string[] = [];
      for (const db of this.databases) {
        if (isMissing(db.path)) {
          if (expected?.has(db.name)) {
            this.damaged.set(db.name, { database: db, reason: 'not found in DATA_DIR', missing: true });
            continue;
          }
          created.push(db.filename);
        }
        const source = await this.openOne(db);
        if (source) this.sources.set(db.name, source);
      }
      if (created.length > 0) {
        this.logger.log(`Created ${created.join(', ')} (empty): ${expected ? 'new in the configuration' : 'no earlier open of this DATA_DIR is recorded'}`);
      }
      await this.recordPresent();
      this.state = 'open';
      const damaged = this.damagedDatabases();
      if (damaged.length === 0) this.logger.log(`Opened ${this.databases.length} databases in ${this.dataDir}`);
      else {
        const named = (missing: boolean) =>
          damaged
            .filter((d) => !!d.missing === missing)
            .map((d) => d.database.filename)
            .join(', ');
        const missing = named(true);
        const broken = named(false);
        this.logger.log(
          `Opened ${this.sources.size} of ${this.databases.length} databases in ${this.dataDir}; ${[missing && `missing: ${missing}`, broken && `damaged: ${broken}`].filter(Boolean).join('; ')}`,
        );
        for (const damage of damaged) this.logger.error(damagedDatabaseError(damage).message);
      }
      this.openGate();
    } catch (error) {
      await this.closeSources();
      this.state = 'closed';
      const failure = new DomainError(ErrorCode.DatabaseUnavailable, `Cannot open the databases in ${this.dataDir}: ${(error as Error).message}`, undefined, {
        cause: error,
      });
      this.failGate(failure);
      this.resetGate();
      throw failure;
    }
  }

  /**
   * Records which databases have a file now (all but those this open found missing: the others existed or were
   * just created), so that one deleted before the next open is reported, not created again. A failed write does
   * not stop the start (the databases are open and sound); it is logged.
   */
  private async recordPresent(): Promise<void> {
    const present = this.databases.filter((db) => !this.damaged.get(db.name)?.missing).map((db) => db.name);
    try {
      await this.presence.record(present);
    } catch (error) {
      this.logger.warn(
        `Could not record which databases exist in DATA_DIR (${(error as Error).message}): a database deleted before the next start would be created again, empty, without a warning`,
      );
    }
  }

  /** One database's connection, or undefined (and recorded) when its file is damaged. */
  private async openOne(db: ManagedDatabase): Promise<DataSource | undefined> {
    const source = new DataSource({
      type: 'better-sqlite3',
      database: db.path,
      timeout: BUSY_TIMEOUT_MS,
      prepareDatabase: (connection: BetterSqlite3.Database) => {
        connection.pragma('journal_mode = WAL');
        // NORMAL is durable in WAL mode across application crashes; only a power loss may lose the last commits.
        connection.pragma('synchronous = NORMAL');
        // SQLite's own default page cache (2 MB), not better-sqlite3's 16 MB: these connections answer small
        // queries (settings, page counts), and config.db's quick_check at open reads every page of it, whose
        // pages a 16 MB cache would then hold for the life of the service. Backups and restores read the
        // files through connections of their own, in worker threads.
        connection.pragma(`cache_size = -${SERVICE_CACHE_KIB}`);
      },
    });
    try {
      await source.initialize();
      if (CHECKED_AT_OPEN.has(db.name)) {
        const rows: Array<{ quick_check: string }> = await source.query('PRAGMA quick_check');
        const problems = rows.map((row) => row.quick_check).filter((line) => line !== 'ok');
        if (problems.length > 0) {
          await source.destroy();
          this.damaged.set(db.name, {
            database: db,
            reason: `PRAGMA quick_check: ${problems[0]}${problems.length > 1 ? ` and ${problems.length - 1} more problems` : ''}`,
          });
          return undefined;
        }
      }
      return source;
    } catch (error) {
      if (source.isInitialized) await source.destroy().catch(() => undefined);
      else closeDriverConnection(source);
      if (isDamageError(error)) {
        this.damaged.set(db.name, { database: db, reason: (error as Error).message });
        return undefined;
      }
      throw new Error(`${db.path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Resolves once every database has been opened (damaged ones recorded as such, see damagedDatabases());
   * rejects when the opening failed or the service shut down first. Waits on the same gate as dataSource().
   */
  whenOpen(): Promise<void> {
    return this.gate;
  }

  /** The TypeORM connection of a managed database; waits until the databases are open. */
  async dataSource(name: string): Promise<DataSource> {
    await this.gate;
    const damage = this.damaged.get(name);
    if (damage) throw damagedDatabaseError(damage);
    const source = this.sources.get(name);
    if (!source) {
      throw new DomainError(
        ErrorCode.DatabaseUnavailable,
        `The database '${name}' is not managed by this service (managed: ${this.databases.map((d) => d.name).join(', ')})`,
      );
    }
    return source;
  }

  /** Closes every connection (checkpointing the WAL into the main file). */
  async close(): Promise<void> {
    await this.closeSources();
    await this.presence.flush();
    if (this.state === 'open') this.logger.log('Closed the databases');
    this.state = 'closed';
    this.resetGate();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
    this.state = 'shut';
    // Anyone still waiting on the gate gets an answer instead of hanging.
    this.failGate(new DomainError(ErrorCode.DatabaseUnavailable, 'The service is shutting down'));
  }

  private async closeSources(): Promise<void> {
    for (const [name, source] of this.sources) {
      try {
        if (source.isInitialized) await source.destroy();
      } catch (error) {
        this.logger.error(`Closing ${name}.db failed: ${(error as Error).message}`);
      }
    }
    this.sources.clear();
  }

  private resetGate(): void {
    this.gate = new Promise<void>((resolve, reject) => {
      this.openGate = resolve;
      this.failGate = reject;
    });
    // A gate nobody awaits must not become an unhandled rejection.
    this.gate.catch(() => undefined);
  }
}

/** Whether nothing is at `file` (other errors, such as no permission on DATA_DIR, are thrown: they stop the start, named). */
function isMissing(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false }) === undefined;
}

/**
 * TypeORM opens the file before `prepareDatabase` runs; when that throws (a damaged file), the
 * connection stays open and initialize() fails without closing it. Closed here so no descriptor of
 * the damaged file outlives the failed open (a restore replaces that file at the next start).
 */
function closeDriverConnection(source: DataSource): void {
  const connection = (source.driver as unknown as { databaseConnection?: BetterSqlite3.Database }).databaseConnection;
  try {
    if (connection?.open) connection.close();
  } catch {
    // Nothing more to release.
  }
}
