import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DatabaseRegistry } from '../database/database-registry.js';
import { RestoreApplier } from './apply/restore-applier.js';

/**
 * Runs once per boot, before any database connection exists: applies (or finishes, or undoes) a
 * staged restore if there is one, then opens the databases.
 *
 * Why nothing can touch a database while its file is swapped:
 * - Connections: DatabaseRegistry opens none until `open()`, and only this hook calls it, after the
 *   apply. Every user of a database (settings, backups, jobs) goes through `registry.dataSource()`,
 *   which waits on that gate. In an in-process restart, the previous application instance was closed
 *   (`app.close()` closes every connection) before this one boots.
 * - Requests: main.ts calls `app.listen()`, which runs every bootstrap hook (this one included) to
 *   completion before the HTTP server starts listening; the test harness's `app.init()` does the same.
 * - Jobs: cron jobs are mounted during bootstrap too, but a job that fires meanwhile waits on the gate.
 * The apply runs before the gate opens, so the first reader sees the complete restored set.
 *
 * If the databases cannot be made one complete set (RestoreApplyFatalError), this hook throws: the
 * start fails with that message and the gate stays shut, rather than serving a possible mix.
 */
@Injectable()
export class RestoreOnStartHook implements OnApplicationBootstrap {
  private readonly logger = new Logger('Restore');

  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly applier: RestoreApplier,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.applier.applyPending();
    } catch (error) {
      this.logger.error(`Restore: the service cannot start: ${(error as Error).message}`);
      throw error;
    }
    await this.registry.open();
  }
}
