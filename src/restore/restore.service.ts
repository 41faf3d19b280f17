import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import fs from 'node:fs';
import { assertBackupName } from '../archive-format/backup-name.js';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { DomainEventBus } from '../common/events/domain-event-bus.js';
import { RestartSignal } from '../common/lifecycle/restart-signal.js';
import { RestoreStager } from './core/restore-stager.js';
import { type LastApply, LastApplyStore } from './last-apply.store.js';
import { type RestoreJournal, RestoreJournalStore } from './restore-journal.store.js';
import { RestoreCancelledEvent, RestoreStagedEvent, RestoreStagingFailedEvent } from './restore.events.js';
import { type ArchiveRequest, StoredArchiveAccess } from './stored-archive-access.js';

export type StagingPhase = 'downloading' | 'checking';

/** A restore being staged right now. */
export interface StagingProgress {
  target: BackupTarget;
  archive: string;
  startedAt: string;
  phase: StagingPhase;
  bytesRead: number;
  archiveBytes: number;
}

export interface RestoreStatus {
  staged: RestoreJournal | null;
  staging: StagingProgress | null;
  lastApply: LastApply | null;
}

interface RunningStage {
  progress: StagingProgress;
  abort: AbortController;
  done: Promise<unknown>;
}

/**
 * Phase 1 of the two-phase restore as the API offers it: stage a stored backup (one at a time, with
 * its progress; RestoreStager downloads, extracts, verifies and writes the `.pending-restore` flag),
 * cancel a staged restore, and report the state. The live databases are never touched here;
 * RestoreApplier swaps them in at the next start. Emits RestoreStagedEvent and RestoreCancelledEvent.
 */
@Injectable()
export class RestoreService implements OnModuleDestroy {
  private readonly logger = new Logger('Restore');
  private running: RunningStage | undefined;

  constructor(
    private readonly access: StoredArchiveAccess,
    private readonly stager: RestoreStager,
    private readonly journals: RestoreJournalStore,
    private readonly lastApply: LastApplyStore,
    private readonly restart: RestartSignal,
    private readonly clock: Clock,
    private readonly events: DomainEventBus,
  ) {}

  /**
   * Stages `filename` of `target` for restore. Any failure leaves nothing behind: no staging folder,
   * no flag, live databases untouched. With `restart`, the service then restarts and applies it;
   * without, it applies at the next start, whenever that comes, and can be cancelled until then.
   * `request`: an encrypted archive's key and confirmation (StoredArchiveAccess), for this restore only.
   * `signal`: the asker gave up (the page's Cancel, a closed connection): the staging stops and leaves nothing, as any failure does.
   */
  async stage(target: BackupTarget, filename: string, options: { restart: boolean; request?: ArchiveRequest; signal?: AbortSignal }): Promise<RestoreJournal> {
    assertBackupName(filename);
    if (this.running) {
      const { progress } = this.running;
      throw new DomainError(
        ErrorCode.RestoreInProgress,
        `A restore of ${progress.archive} (${targetLabel(progress.target)}) is being staged since ${progress.startedAt}; only one restore is staged at a time. Wait for it to finish (GET /api/restore/status)`,
        { archive: progress.archive, target: progress.target },
      );
    }
    // Registered before the first await, so a second request in the same tick gets 409.
    const running: RunningStage = {
      progress: { target, archive: filename, startedAt: this.clock.now().toISOString(), phase: 'downloading', bytesRead: 0, archiveBytes: 0 },
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    this.running = running;
    // Recorded as cancelled, not failed: the asker stopped it (as a backup's cancel is BACKUP_CANCELLED).
    const giveUp = () =>
      running.abort.abort(
        new DomainError(
          ErrorCode.RestoreCancelled,
          'Cancelled: the request was closed before the staging finished; nothing was staged and the databases are unchanged',
        ),
      );
    if (options.signal?.aborted) giveUp();
    else options.signal?.addEventListener('abort', giveUp, { once: true });
    const work = this.runStage(running, options.restart, options.request ?? { identities: [] });
    running.done = work.catch(() => undefined);
    try {
      return await work;
    } finally {
      options.signal?.removeEventListener('abort', giveUp);
      this.running = undefined;
    }
  }

  private async runStage(running: RunningStage, restart: boolean, request: ArchiveRequest): Promise<RestoreJournal> {
    const { target, archive } = running.progress;
    const label = `${targetLabel(target)} restore of ${archive}`;
    const signal = running.abort.signal;
    const started = Date.now();
    try {
      this.logger.log(`${label}: staging`);
      const journal = await this.stager.stage(this.access.forRestore(target, archive, request), {
        target,
        restartRequested: restart,
        signal,
        onOpened: (bytes) => (running.progress.archiveBytes = bytes),
        onProgress: (bytes) => (running.progress.bytesRead = bytes),
        onChecking: () => (running.progress.phase = 'checking'),
      });
      this.logger.log(
        `${label}: staged and verified (${journal.databases.length} databases, backup of ${journal.backup_timestamp}); ` +
          (restart ? 'restarting to apply it' : 'it will be applied at the next start'),
      );
      this.events.emit(
        new RestoreStagedEvent(
          target,
          archive,
          journal.databases.map((db) => db.name),
          restart,
          Date.now() - started,
        ),
      );
      if (restart) this.restart.request(`restore of ${archive} staged`);
      return journal;
    } catch (error) {
      const reason = signal.aborted ? (signal.reason as Error) : (error as Error);
      // Another restore is staged: nothing was tried.
      if (reason instanceof DomainError && reason.code === ErrorCode.RestoreInProgress) throw reason;
      const where =
        error instanceof DomainError && typeof error.details?.check === 'string'
          ? ` (${String(error.details.check)} check, ${String(error.details.file)})`
          : '';
      const code = reason instanceof DomainError ? reason.code : ErrorCode.Internal;
      if (code === ErrorCode.RestoreCancelled) this.logger.log(`${label} cancelled: the request was closed. Nothing was staged; the databases are unchanged`);
      else this.logger.error(`${label} failed${where}: ${reason.message}. Nothing was staged; the databases are unchanged`);
      this.events.emit(new RestoreStagingFailedEvent(target, archive, code, reason.message, Date.now() - started));
      throw reason;
    }
  }

  /** Withdraws the staged restore of `target`: removes the flag, then the staging folder. */
  async cancel(target: BackupTarget): Promise<RestoreJournal> {
    if (this.running) {
      throw new DomainError(
        ErrorCode.RestoreInProgress,
        `A restore of ${this.running.progress.archive} is being staged right now; wait for it to finish, then cancel it`,
        {
          archive: this.running.progress.archive,
        },
      );
    }
    const started = Date.now();
    const journal = await this.staged(target);
    await this.journals.remove();
    await fs.promises.rm(this.journals.stagingDir(journal), { recursive: true, force: true });
    this.logger.log(`${targetLabel(journal.target)} restore of ${journal.archive} cancelled; nothing will be applied`);
    this.events.emit(new RestoreCancelledEvent(journal.target, journal.archive, Date.now() - started));
    return journal;
  }

  /**
   * Applies the staged restore now: the restart a restore with `restart` asks for (RestartSignal; main.ts
   * restarts the service and RestoreApplier swaps the databases in before it serves again). `archive` must
   * name the staged restore, and `target`, when given, its target: one staged meanwhile by someone else is not
   * applied unseen (404, like a restore not staged). An `archive` that is not a backup's name is refused first
   * (400, not quoted back unless it reads like a name).
   */
  async applyNow(archive: string, target?: BackupTarget): Promise<RestoreJournal> {
    assertBackupName(archive);
    if (this.running) {
      const { progress } = this.running;
      throw new DomainError(
        ErrorCode.RestoreInProgress,
        `A restore of ${progress.archive} is being staged right now; wait until it is staged (GET /api/restore/status), then apply it`,
        { archive: progress.archive, target: progress.target },
      );
    }
    const journal = await this.journals.read();
    if (!journal) {
      throw new DomainError(
        ErrorCode.RestoreNotStaged,
        'No restore is staged, so there is nothing to apply: stage one first (POST /api/backups/{target}/restore)',
      );
    }
    if (journal.archive !== archive || (target !== undefined && journal.target !== target)) {
      const asked = target === undefined ? archive : `${archive} from ${targetLabel(target)}`;
      throw new DomainError(
        ErrorCode.RestoreNotStaged,
        `No restore of ${asked} is staged; the staged restore is of ${journal.archive} (${targetLabel(journal.target)}). Nothing was applied: check GET /api/restore/status and apply the one you mean`,
        { staged_archive: journal.archive, target: journal.target },
      );
    }
    this.logger.log(`${targetLabel(journal.target)} restore of ${journal.archive}: applying now; restarting`);
    this.restart.request(`staged restore of ${journal.archive} applied on request`);
    return journal;
  }

  /** The staged restore of `target`; 404 when none is (or the staged one comes from the other target). */
  async staged(target: BackupTarget): Promise<RestoreJournal> {
    const journal = await this.journals.read();
    if (!journal) throw new DomainError(ErrorCode.RestoreNotStaged, 'No restore is staged', { target });
    if (journal.target !== target) {
      throw new DomainError(
        ErrorCode.RestoreNotStaged,
        `No restore from ${targetLabel(target)} is staged; the staged restore (${journal.archive}) comes from ${targetLabel(journal.target)}: /api/backups/${journal.target}/restore/staged`,
        { target, staged_target: journal.target },
      );
    }
    return journal;
  }

  async status(): Promise<RestoreStatus> {
    const progress = this.running?.progress;
    return {
      staged: (await this.journals.read()) ?? null,
      staging: progress ? { ...progress } : null,
      lastApply: await this.lastApply.read(),
    };
  }

  /** On shutdown a staging in progress is cancelled and cleaned up (it never writes its flag afterwards). */
  async onModuleDestroy(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.abort.abort(
      new DomainError(ErrorCode.DatabaseUnavailable, 'The service is shutting down; the restore was not staged. Stage it again once the service is back'),
    );
    await running.done;
  }
}
