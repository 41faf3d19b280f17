import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { ManagedDatabase } from './managed-database.js';

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * The single place that knows which databases exist (name → path → connection). Backup, restore
 * and settings ask it; nothing else names the databases.
 *
 * Opening is a gate. No connection exists until `open()` is called, and `dataSource()` waits for it.
 * `open()` is called once per boot by the restore module's OnApplicationBootstrap hook, after it has
 * applied any staged restore (see RestoreOnStartHook): so no database file is ever swapped while a
 * connection holds it, and nothing reads a database before the swap is done. For that reason no
 * other start-up hook may *await* `dataSource()`: Nest runs bootstrap hooks one module at a time, and
 * waiting on the gate from a hook that runs before the restore module's would never finish.
 */
@Injectable()
export class DatabaseRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseRegistry.name);
  private readonly databases: readonly ManagedDatabase[];
  private readonly sources = new Map<string, DataSource>();
  private state: 'closed' | 'opening' | 'open' | 'shut' = 'closed';
  private gate!: Promise<void>;
  private openGate!: () => void;
  private failGate!: (error: Error) => void;

  constructor(private readonly config: AppConfig) {
    const dir = config.env.dataDir;
    this.databases = Object.freeze(
      config.env.databases.map((name) => Object.freeze({ name, filename: `${name}.db`, path: path.join(dir, `${name}.db`) })),
    );
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

  /** Opens every database, creating missing files, in WAL mode. Idempotent. */
  async open(): Promise<void> {
    if (this.state !== 'closed') return this.gate;
    this.state = 'opening';
    try {
      // Owner-only: the databases hold the user's whole financial state.
      fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
      for (const db of this.databases) {
        const source = new DataSource({
          type: 'better-sqlite3',
          database: db.path,
          timeout: BUSY_TIMEOUT_MS,
          prepareDatabase: (connection: BetterSqlite3.Database) => {
            connection.pragma('journal_mode = WAL');
            // NORMAL is durable in WAL mode across application crashes; only a power loss may lose the last commits.
            connection.pragma('synchronous = NORMAL');
          },
        });
        await source.initialize();
        this.sources.set(db.name, source);
      }
      this.state = 'open';
      this.logger.log(`Opened ${this.databases.length} databases in ${this.dataDir}`);
      this.openGate();
    } catch (error) {
      await this.closeSources();
      this.state = 'closed';
      const failure = new DomainError(ErrorCode.DatabaseUnavailable, `Cannot open the databases in ${this.dataDir}: ${(error as Error).message}`, undefined, { cause: error });
      this.failGate(failure);
      this.resetGate();
      throw failure;
    }
  }

  /** The TypeORM connection of a managed database; waits until the databases are open. */
  async dataSource(name: string): Promise<DataSource> {
    await this.gate;
    const source = this.sources.get(name);
    if (!source) {
      throw new DomainError(ErrorCode.DatabaseUnavailable, `The database '${name}' is not managed by this service (managed: ${this.databases.map((d) => d.name).join(', ')})`);
    }
    return source;
  }

  /** Closes every connection (checkpointing the WAL into the main file). */
  async close(): Promise<void> {
    await this.closeSources();
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
