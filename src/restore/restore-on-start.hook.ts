import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SERVICE_CLIENT } from '../audit/audit-entry.js';
import { AuditLog } from '../audit/audit-log.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { DatabaseRegistry } from '../database/database-registry.js';
import { DatabasesClosed } from './apply/databases-closed.js';
import { RestoreApplier, RestoreApplyFatalError } from './apply/restore-applier.js';
import { DataFolderLayout } from './core/data-folder-layout.js';
import type { LastApply } from './last-apply.store.js';
import type { RestoreJournal } from './restore-journal.store.js';
import { RestoreAppliedEvent, RestoreApplyFailedEvent, RestoreRolledBackEvent } from './restore.events.js';

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
 * - Jobs: timers are set up during bootstrap too, but a job that fires meanwhile waits on the gate.
 * The apply runs before the gate opens, so the first reader sees the complete restored set.
 *
 * If the databases cannot be made one complete set (RestoreApplyFatalError), this hook throws: the
 * start fails with that message and the gate stays shut, rather than serving a possible mix.
 *
 * The apply's outcome is emitted here (RestoreApplied/RolledBack/ApplyFailedEvent), before the hook
 * returns or throws. Listeners are registered by then: the event emitter registers them in its own
 * bootstrap hook, and its module is global, which Nest bootstraps before any feature module. When the
 * service is about to refuse to start, the process exits right after this hook throws, so the
 * listeners of that event (a notifier sending its message, `async: true` or not) are waited for, at
 * most LISTENERS_GRACE_MS (DomainEventBus.emitAndWait); the ones still busy then are named in the log.
 */
/** How long a failed start waits for the listeners of RestoreApplyFailedEvent before it goes on failing. */
export const LISTENERS_GRACE_MS = 10_000;

@Injectable()
export class RestoreOnStartHook implements OnApplicationBootstrap {
  private readonly logger = new Logger('Restore');

  constructor(
    private readonly registry: DatabaseRegistry,
    private readonly applier: RestoreApplier,
    private readonly layout: DataFolderLayout,
    private readonly audit: AuditLog,
    private readonly events: DomainEventBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const closed = DatabasesClosed.beforeRegistryOpens(this.registry, this.layout.dataDir);
    const started = Date.now();
    try {
      const applied = await this.applier.applyPending(closed);
      if (applied) {
        this.recordApply(applied);
        this.emitOutcome(applied, Date.now() - started);
      }
    } catch (error) {
      this.logger.error(`Restore: the service cannot start: ${(error as Error).message}`);
      this.audit.record({
        action: 'restore.apply',
        target: null,
        subject: null,
        outcome: 'error',
        status_code: null,
        error: 'RESTORE_APPLY_FAILED',
        client: SERVICE_CLIENT,
        user_agent: null,
        method: null,
        path: null,
      });
      const restore: Partial<Pick<RestoreJournal, 'archive' | 'target'>> = error instanceof RestoreApplyFatalError ? error.restore : {};
      await this.announceNotStarted(
        new RestoreApplyFailedEvent(restore.target ?? null, restore.archive ?? null, 'not_started', (error as Error).message, Date.now() - started),
      );
      throw error;
    }
    await this.registry.open();
  }

  /**
   * Emits the event and waits (bounded) for its listeners to finish, `async: true` ones included: the
   * one event a notifier must not miss, and the process ends as soon as the start has failed. The wait
   * keeps the process alive, so a listener that never settles delays the failure, never hides it.
   */
  private async announceNotStarted(event: RestoreApplyFailedEvent): Promise<void> {
    const busy = await this.events.emitAndWait(event, LISTENERS_GRACE_MS);
    if (busy.length > 0) {
      this.logger.error(
        `Restore: stopped waiting for the listeners of ${RestoreApplyFailedEvent.eventName} after ${LISTENERS_GRACE_MS / 1000} s; still busy: ${busy.join(', ')}`,
      );
    }
  }

  private emitOutcome(applied: LastApply, durationMs: number): void {
    switch (applied.outcome) {
      case 'applied':
      case 'resumed':
        // The apply checked that the staged set is exactly the managed one.
        this.events.emit(
          new RestoreAppliedEvent(
            applied.target,
            applied.archive,
            this.registry.list().map((db) => db.name),
            applied.safety_copy,
            applied.outcome === 'resumed',
            durationMs,
          ),
        );
        return;
      case 'rolled_back':
        this.events.emit(new RestoreRolledBackEvent(applied.target, applied.archive, applied.message, applied.safety_copy, durationMs));
        return;
      case 'failed':
        this.events.emit(new RestoreApplyFailedEvent(applied.target, applied.archive, 'withdrawn', applied.message, durationMs));
    }
  }

  /**
   * The apply in the audit log, under the client and user agent of the request that staged it (the
   * audit log outlives the restore), or as the service's own when no staging request is on record.
   */
  private recordApply(applied: LastApply): void {
    const staged = this.audit.latest('restore.stage', applied.target, applied.archive);
    const done = applied.outcome === 'applied' || applied.outcome === 'resumed';
    this.audit.record({
      action: 'restore.apply',
      target: applied.target,
      subject: applied.archive,
      outcome: done ? 'ok' : 'error',
      status_code: null,
      error: done ? null : applied.outcome.toUpperCase(),
      client: staged?.client ?? SERVICE_CLIENT,
      user_agent: staged?.user_agent ?? null,
      method: null,
      path: null,
    });
  }
}
