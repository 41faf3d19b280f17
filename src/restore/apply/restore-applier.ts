import { Injectable, Logger } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { targetLabel } from '../../common/backup-target.js';
import { Clock } from '../../common/clock.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { formatBytes } from '../../common/format.js';
import { digestFile, snapshotDatabase } from '../../database/sqlite-snapshot.js';
import { copyFileDurably, exists, fsyncPath, removeStaleAtomicTemps, sizeOf } from '../../common/fs/durable-fs.js';
import { type LastApply, LastApplyStore } from '../last-apply.store.js';
import { DiskSpace, spaceNeed } from '../../common/fs/disk-space.service.js';
import { LeftoverSweeper } from '../../common/fs/leftover-sweeper.js';
import { WORK_FOLDER_MARKER, writeWorkFolderMarker } from '../../common/fs/work-folder.js';
import { InstallationIdentity } from '../../common/installation/installation-identity.js';
import { DataFolderLayout } from '../core/data-folder-layout.js';
import { type JournalDatabase, type PreviousDatabase, type RestoreJournal, RestoreJournalStore } from '../restore-journal.store.js';
import {
  compactTimestamp,
  LAST_APPLY_FILE,
  RESTORE_FLAG,
  SAFETY_COPY_PREFIX,
  SAFETY_COPY_PURPOSE,
  SAFETY_COPY_README,
  SAFETY_COPY_TEMP_PREFIX,
  SAFETY_COPY_TEMP_SUFFIX,
  SQLITE_SIDE_SUFFIXES,
} from '../restore-paths.js';
import { DatabasesClosed } from './databases-closed.js';
import { RestoreFaults } from './restore-faults.js';

const ROLLBACK_TEMP_SUFFIX = '.rollback-tmp';

/** The databases cannot be brought to one complete set automatically: the service must not start. */
export class RestoreApplyFatalError extends DomainError {
  constructor(
    message: string,
    /** The restore that could not be finished or undone. */
    readonly restore: Pick<RestoreJournal, 'archive' | 'target'>,
  ) {
    super(ErrorCode.Internal, message);
    this.name = 'RestoreApplyFatalError';
  }
}

/**
 * Phase 2: applies a staged restore while no database connection exists, which the caller proves
 * (DatabasesClosed): the service's start before the registry opens any (RestoreOnStartHook), or a
 * program holding DATA_DIR's lock (RestoreCoreModule.standalone, DataDirLockHolder). It knows the
 * databases only as files (DataFolderLayout).
 * The `.pending-restore` journal makes it crash-safe; what a kill at each point leaves, and what the
 * next start does about it:
 *
 * 1. Checks (journal `staged`): the staged files are re-hashed against the journal and the set is
 *    compared with the managed databases. Crash: nothing was touched; the next start begins again.
 *    Failure: nothing was touched; the staged restore is withdrawn (flag and staging folder removed,
 *    outcome `failed`) so the service starts on its current databases instead of failing every start.
 * 2. Safety copy (journal `staged`): a consistent copy of every live database (SQLite's `VACUUM INTO`, the
 *    same as a backup makes) into `.pre-restore-backup-<ts>.partial/`, fsynced, then renamed to
 *    `pre-restore-backup-<ts>/` and DATA_DIR fsynced. Crash: the live databases are untouched; the
 *    `.partial` folder is removed at the next start, which begins again. Failure: as in 1.
 * 3. Journal `applying`, recording the safety copy and each copy's checksum (atomic write). From here
 *    the next start never begins again: it finishes or undoes.
 * 4. Swaps: for each database, remove the live file's stale -wal/-shm/-journal, then rename the
 *    staged file over the live one (atomic: the path holds the old file or the new one, never a
 *    mix of both). A stale side file never sits next to a swapped-in database: SQLite would replay an
 *    old -wal into the new file. Then a final sweep of side files and an fsync of DATA_DIR.
 *    Crash: the next start finds the journal `applying` and checks each database: its staged file is
 *    still in the staging folder with the right checksum (not swapped yet), or the live file has the
 *    staged checksum (swapped; nothing has opened it since). When every database is one or the other
 *    it rolls forward (outcome `resumed`); otherwise (a staged file lost or damaged) it rolls back.
 *    Failure (an I/O error): roll back at once.
 * 5. Outcome written to `.restore-last-apply.json`, then the flag removed (fsync), then the staging
 *    folder. Crash before the flag is gone: the next start rolls forward again, finding everything
 *    swapped, which is idempotent. Crash after: the orphaned staging folder is removed at start.
 *
 * Roll back (journal `rolling_back`, written first so a crash mid-way carries on undoing): each
 * database is copied from the safety copy to a temp file beside it, fsynced and renamed over the
 * live file (its side files removed first); a database that did not exist before is removed. The
 * safety copy itself stays for the user. If the safety copy is missing or damaged, the databases
 * cannot be made one complete set automatically: the start fails with RestoreApplyFatalError and the
 * journal stays, rather than opening a possible mix.
 */
@Injectable()
export class RestoreApplier {
  private readonly logger = new Logger('Restore');

  constructor(
    private readonly layout: DataFolderLayout,
    private readonly journals: RestoreJournalStore,
    private readonly lastApply: LastApplyStore,
    private readonly faults: RestoreFaults,
    private readonly disk: DiskSpace,
    private readonly clock: Clock,
    private readonly sweeper: LeftoverSweeper,
    private readonly identity: InstallationIdentity,
  ) {}

  private get dataDir(): string {
    return this.layout.dataDir;
  }

  /**
   * Applies, finishes or undoes whatever the journal says is pending, and removes leftovers of
   * interrupted work. Returns the outcome when there was a restore to apply. Throws only when the
   * databases cannot be made one complete set (the caller must then not open them), or when `closed`
   * does not prove that no connection to a database of this DATA_DIR exists (then nothing is touched).
   */
  async applyPending(closed: DatabasesClosed): Promise<LastApply | undefined> {
    closed.check(this.dataDir);
    await fs.promises.mkdir(this.dataDir, { recursive: true });
    const journal = await this.journals.read();
    await this.removeLeftovers(journal);
    if (!journal) return undefined;
    switch (journal.state) {
      case 'staged':
        return this.apply(journal);
      case 'applying':
        return this.recover(journal);
      case 'rolling_back':
        this.logger.warn(
          `Restore: carrying on with the roll-back of ${journal.archive} that was interrupted (${journal.apply?.rollback_reason ?? 'no reason recorded'})`,
        );
        return this.rollBack(journal, journal.apply?.rollback_reason ?? 'an interrupted roll-back');
    }
  }

  private async apply(journal: RestoreJournal): Promise<LastApply> {
    const label = `${journal.archive} (${targetLabel(journal.target)})`;
    this.logger.log(`Restore: applying the staged restore of ${label}, staged at ${journal.staged_at}`);
    this.faults.reached('apply:start');
    try {
      await this.checkStaged(journal);
    } catch (error) {
      return this.abandon(journal, `The staged files cannot be applied: ${(error as Error).message}`);
    }
    let safety: { name: string; previous: PreviousDatabase[] };
    try {
      safety = await this.makeSafetyCopy(journal);
    } catch (error) {
      return this.abandon(journal, `The safety copy of the current databases could not be made: ${(error as Error).message}`);
    }
    this.faults.reached('apply:safety-copy-done');
    journal.state = 'applying';
    journal.apply = { started_at: this.now(), safety_copy: safety.name, previous: safety.previous };
    await this.journals.write(journal);
    this.faults.reached('apply:journal-applying');
    try {
      return await this.rollForward(journal, 'applied');
    } catch (error) {
      this.logger.error(`Restore: swapping in ${label} failed: ${(error as Error).message}; rolling back`);
      return this.rollBack(journal, `swapping the databases in failed: ${(error as Error).message}`);
    }
  }

  /** After a crash while `applying`: roll forward when every database is either swapped or still staged intact; else roll back. */
  private async recover(journal: RestoreJournal): Promise<LastApply> {
    const label = `${journal.archive} (${targetLabel(journal.target)})`;
    this.logger.warn(`Restore: the restore of ${label} was interrupted while being applied (started ${journal.apply?.started_at}); checking each database`);
    const staging = this.journals.stagingDir(journal);
    const blocked: string[] = [];
    let swapped = 0;
    for (const db of journal.databases) {
      if (await this.hasChecksum(path.join(staging, db.filename), db)) continue;
      if (await this.hasChecksum(path.join(this.dataDir, db.filename), db)) {
        swapped++;
        continue;
      }
      blocked.push(db.filename);
    }
    if (blocked.length > 0) {
      return this.rollBack(journal, `the staged copy of ${blocked.join(', ')} is missing or damaged, so the interrupted restore cannot be finished`);
    }
    this.logger.warn(`Restore: rolling forward: ${swapped} of ${journal.databases.length} databases had been swapped in before the interruption; finishing`);
    try {
      return await this.rollForward(journal, 'resumed');
    } catch (error) {
      return this.rollBack(journal, `finishing the interrupted restore failed: ${(error as Error).message}`);
    }
  }

  private async rollForward(journal: RestoreJournal, outcome: 'applied' | 'resumed'): Promise<LastApply> {
    const staging = this.journals.stagingDir(journal);
    let swapped = 0;
    for (const db of journal.databases) {
      const staged = path.join(staging, db.filename);
      const live = path.join(this.dataDir, db.filename);
      if (!(await exists(staged))) continue; // swapped before an interruption (recover() checked its checksum)
      await this.removeSideFiles(live);
      await fs.promises.rename(staged, live);
      swapped++;
      this.faults.reached(`apply:swapped-${swapped}`);
    }
    for (const db of journal.databases) await this.removeSideFiles(path.join(this.dataDir, db.filename));
    await fsyncPath(this.dataDir);
    this.faults.reached('apply:swaps-done');

    const safety = journal.apply?.safety_copy ?? null;
    const message =
      outcome === 'applied'
        ? `Restored ${journal.databases.length} databases from ${journal.archive} (${targetLabel(journal.target)}, backup of ${journal.backup_timestamp}). The databases as they were are in ${safety}`
        : `A restore of ${journal.archive} was interrupted while being applied and was finished at this start (rolled forward). The databases as they were before are in ${safety}`;
    const result = await this.finish(journal, outcome, message);
    this.logger.log(`Restore: ${message}`);
    return result;
  }

  private async rollBack(journal: RestoreJournal, reason: string): Promise<LastApply> {
    const safetyDir = this.journals.safetyCopyDir(journal);
    const apply = journal.apply;
    if (!apply || !safetyDir) throw new RestoreApplyFatalError(`Restore: cannot roll back ${journal.archive}: the journal names no safety copy`, journal);
    if (journal.state !== 'rolling_back') {
      journal.state = 'rolling_back';
      apply.rollback_reason = reason;
      await this.journals.write(journal);
    }
    this.logger.warn(`Restore: rolling back ${journal.archive} from the safety copy ${apply.safety_copy}: ${reason}`);
    this.faults.reached('rollback:start');
    for (const prev of apply.previous) {
      if (!prev.present) continue;
      const copy = path.join(safetyDir, prev.filename);
      const problem = !(await exists(copy))
        ? 'is missing'
        : `sha256:${(await digestFile(copy)).sha256}` !== prev.checksum
          ? 'does not match its checksum'
          : undefined;
      const missingSide = (prev.side_files ?? []).find((side) => !fs.existsSync(`${copy}${side}`));
      if (problem || missingSide) {
        throw new RestoreApplyFatalError(
          `Restore: cannot roll back ${journal.archive}: the safety copy ${path.join(apply.safety_copy, prev.filename)}${missingSide ?? ''} ${problem ?? 'is missing'}. ` +
            `The databases may be a mix of the old and the restored set, so the service does not start. The flag ${RESTORE_FLAG} lists which file is which; see the restore documentation ("When a restore fails").`,
          journal,
        );
      }
    }
    let restored = 0;
    for (const prev of apply.previous) {
      const live = path.join(this.dataDir, prev.filename);
      await this.removeSideFiles(live);
      if (prev.present) {
        await this.putBack(path.join(safetyDir, prev.filename), live);
        for (const side of prev.side_files ?? []) await this.putBack(path.join(safetyDir, `${prev.filename}${side}`), `${live}${side}`);
      } else {
        await fs.promises.rm(live, { force: true });
      }
      restored++;
      this.faults.reached(`rollback:restored-${restored}`);
    }
    await fsyncPath(this.dataDir);
    const message = `The restore of ${journal.archive} was rolled back: ${reason}. The databases are as they were before the restore (put back from ${apply.safety_copy}, which is kept).`;
    const result = await this.finish(journal, 'rolled_back', message);
    this.logger.error(`Restore: ${message}`);
    return result;
  }

  /** Nothing live was touched: withdraw the staged restore and start on the current databases. */
  private async abandon(journal: RestoreJournal, reason: string): Promise<LastApply> {
    const message = `${reason}. Nothing was changed: the databases are as they were, and the staged restore of ${journal.archive} was withdrawn; stage it again once the cause is fixed.`;
    const result = await this.finish(journal, 'failed', message);
    this.logger.error(`Restore: ${message}`);
    return result;
  }

  /** Records the outcome, then removes the flag (the commit point of the clean-up), then the staging folder. */
  private async finish(journal: RestoreJournal, outcome: LastApply['outcome'], message: string): Promise<LastApply> {
    const result: LastApply = {
      outcome,
      at: this.now(),
      archive: journal.archive,
      target: journal.target,
      message,
      safety_copy: journal.apply?.safety_copy ?? null,
    };
    await this.lastApply.write(result);
    this.faults.reached('apply:recorded');
    await this.journals.remove();
    this.faults.reached('apply:flag-removed');
    await fs.promises.rm(this.journals.stagingDir(journal), { recursive: true, force: true });
    return result;
  }

  private async checkStaged(journal: RestoreJournal): Promise<void> {
    const managed = this.layout.names;
    const staged = journal.databases.map((db) => db.name);
    if (managed.length !== staged.length || managed.some((name) => !staged.includes(name))) {
      throw new Error(`the staged databases (${staged.join(', ')}) are not the ones this service manages now (${managed.join(', ')})`);
    }
    const staging = this.journals.stagingDir(journal);
    for (const db of journal.databases) {
      const file = path.join(staging, db.filename);
      if (!(await exists(file))) throw new Error(`${db.filename} is missing from the staging folder ${path.basename(staging)}`);
      if (!(await this.hasChecksum(file, db)))
        throw new Error(`${db.filename} in the staging folder no longer matches the checksum verified when it was staged`);
    }
  }

  private async hasChecksum(file: string, db: JournalDatabase): Promise<boolean> {
    if (!(await exists(file))) return false;
    try {
      const digest = await digestFile(file);
      return `sha256:${digest.sha256}` === db.checksum && digest.bytes === db.size_bytes;
    } catch {
      return false;
    }
  }

  /**
   * A consistent copy of every live database, in a `.partial` folder renamed into place when complete.
   * A database SQLite cannot open (the reason for many restores) is copied as raw files instead.
   */
  private async makeSafetyCopy(journal: RestoreJournal): Promise<{ name: string; previous: PreviousDatabase[] }> {
    const databases = this.layout.databases;
    let live = 0;
    for (const db of databases) live += (await sizeOf(db.path)) + (await sizeOf(`${db.path}-wal`));
    const need = spaceNeed(this.dataDir, live, SAFETY_COPY_PURPOSE);
    await this.disk.ensure(
      need.dir,
      need.bytes,
      need.purpose,
      ({ dir, needed, free }) => `not enough free disk space in ${dir}: ${formatBytes(needed)} needed, ${formatBytes(free)} available`,
    );
    const name = await this.freeSafetyName();
    const temp = path.join(this.dataDir, `${SAFETY_COPY_TEMP_PREFIX}${name.slice(SAFETY_COPY_PREFIX.length)}${SAFETY_COPY_TEMP_SUFFIX}`);
    await fs.promises.mkdir(temp, { mode: 0o700 });
    const previous: PreviousDatabase[] = [];
    try {
      await writeWorkFolderMarker(this.identity, temp, 'safety-copy');
      for (const db of databases) {
        previous.push(await this.copyForSafety(db.name, db.filename, db.path, path.join(temp, db.filename)));
        if (previous.length === 1) this.faults.reached('apply:safety-copy-partial');
      }
      const info = {
        made_at: this.now(),
        reason: `The databases as they were just before ${journal.archive} (${targetLabel(journal.target)}, backup of ${journal.backup_timestamp}) was restored over them.`,
        how_to_use:
          'Each <name>.db is a complete SQLite database. To go back to them, stop the service and copy them into DATA_DIR (removing any <name>.db-wal and <name>.db-shm there).',
        databases: previous,
      };
      await fs.promises.writeFile(path.join(temp, SAFETY_COPY_README), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
      await fsyncPath(path.join(temp, SAFETY_COPY_README));
      // The finished copy is the user's, not a work folder: it must not carry the sweep's marker.
      await fs.promises.rm(path.join(temp, WORK_FOLDER_MARKER), { force: true });
      await fsyncPath(temp);
      await fs.promises.rename(temp, path.join(this.dataDir, name));
      await fsyncPath(this.dataDir);
    } catch (error) {
      await fs.promises.rm(temp, { recursive: true, force: true });
      throw error;
    }
    this.logger.log(`Restore: safety copy of the current databases made in ${name}`);
    return { name, previous };
  }

  private async copyForSafety(name: string, filename: string, live: string, copy: string): Promise<PreviousDatabase> {
    if (!(await exists(live))) return { name, filename, present: false };
    try {
      const digest = await snapshotDatabase(live, copy);
      return { name, filename, present: true, copy: 'snapshot', checksum: `sha256:${digest.sha256}` };
    } catch (error) {
      this.logger.warn(`Restore: SQLite cannot read ${filename} (${(error as Error).message}); its files are copied as they are into the safety copy`);
      await fs.promises.rm(copy, { force: true });
      const sides = SQLITE_SIDE_SUFFIXES.filter((suffix) => suffix !== '-shm' && fs.existsSync(`${live}${suffix}`));
      await copyFileDurably(live, copy);
      for (const side of sides) await copyFileDurably(`${live}${side}`, `${copy}${side}`);
      return { name, filename, present: true, copy: 'raw', checksum: `sha256:${(await digestFile(copy)).sha256}`, side_files: sides };
    }
  }

  private async freeSafetyName(): Promise<string> {
    const base = `${SAFETY_COPY_PREFIX}${compactTimestamp(this.clock.now())}`;
    for (let n = 1; ; n++) {
      const name = n === 1 ? base : `${base}-${n}`;
      if (!(await exists(path.join(this.dataDir, name)))) return name;
    }
  }

  /** Copies `source` beside `live`, fsyncs it, and renames it over `live`. */
  private async putBack(source: string, live: string): Promise<void> {
    const temp = path.join(path.dirname(live), `.${path.basename(live)}${ROLLBACK_TEMP_SUFFIX}`);
    await fs.promises.rm(temp, { force: true });
    await copyFileDurably(source, temp);
    await fs.promises.rename(temp, live);
  }

  private async removeSideFiles(live: string): Promise<void> {
    for (const suffix of SQLITE_SIDE_SUFFIXES) await fs.promises.rm(`${live}${suffix}`, { force: true });
  }

  /**
   * Working files of interrupted operations: none of them holds the only copy of anything. Work
   * folders (of backups too) go through the sweeper, which removes only those whose marker proves
   * them ours; the temp files below carry names only this code writes, directly in DATA_DIR.
   */
  private async removeLeftovers(journal: RestoreJournal | undefined): Promise<void> {
    const keep = journal ? [path.basename(this.journals.stagingDir(journal))] : [];
    await this.sweeper.sweepDataDir({ keep });
    const rollbackTemps = new Set(this.layout.databases.map((db) => `.${db.filename}${ROLLBACK_TEMP_SUFFIX}`));
    for (const entry of await fs.promises.readdir(this.dataDir, { withFileTypes: true })) {
      if (!rollbackTemps.has(entry.name)) continue;
      // Only files, exactly as this code names them: a folder (a user's backups, say) is never one of ours.
      if (!entry.isFile()) {
        this.leftAlone(path.join(this.dataDir, entry.name));
        continue;
      }
      await fs.promises.rm(path.join(this.dataDir, entry.name), { force: true });
      this.logger.warn(`Restore: removed ${entry.name}, left by an interrupted restore`);
    }
    for (const file of [RESTORE_FLAG, LAST_APPLY_FILE]) {
      const { removed, notFiles } = await removeStaleAtomicTemps(this.layout.file(file));
      for (const temp of removed) this.logger.warn(`Restore: removed ${path.basename(temp)}, left by an interrupted restore`);
      for (const temp of notFiles) this.leftAlone(temp);
    }
  }

  private leftAlone(name: string): void {
    this.logger.warn(`Restore: left ${name} alone: it is named like a temporary file of the restore but is not a file`);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
