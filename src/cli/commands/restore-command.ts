import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import fs from 'node:fs';
import path from 'node:path';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { DataDirLock, DataDirLockError, describeHolder } from '../../common/lifecycle/data-dir-lock.js';
import { parseEnvironment } from '../../config/environment.js';
import { formatBytes } from '../../common/format.js';
import { digestFile } from '../../database/sqlite-snapshot.js';
import { RestoreApplier } from '../../restore/apply/restore-applier.js';
import { DataDirLockHolder } from '../../restore/core/data-dir-lock-holder.js';
import { DataFolderLayout } from '../../restore/core/data-folder-layout.js';
import { RestoreCoreModule } from '../../restore/core/restore-core.module.js';
import { RestoreStager } from '../../restore/core/restore-stager.js';
import type { LastApply } from '../../restore/last-apply.store.js';
import { type RestoreJournal, RestoreJournalStore } from '../../restore/restore-journal.store.js';
import { checkArchive, failedCheck } from '../archive-check.js';
import type { ParsedCommand } from '../cli-arguments.js';
import { CliError } from '../cli-error.js';
import { EXIT, type ExitCode } from '../cli-exit.js';
import type { CliOutput } from '../cli-output.js';
import { openBackupSource } from '../backup-locations.js';
import { type ArchiveAccess, type ArchiveOrigin, describeArchiveFailure, wrongKey } from '../archive-access.js';
import { meteredPoint, openPointAccess, type PointAccess } from '../point-access.js';
import { describeRecipients } from '../../restore/archive-reader/describe-recipients.js';
import { printVerdict, verdictDocument } from './verify-command.js';

/** One database in a dry run: as it is in DATA_DIR now (null: absent) and as the backup would make it. */
interface DatabaseChange {
  name: string;
  filename: string;
  current: { size_bytes: number; sha256: string } | null;
  restored: { size_bytes: number; sha256: string };
  changes: boolean;
}

/** The refusal while a service runs on the DATA_DIR: exit 4, saying how to stop it. */
function serviceRunning(dataDir: string): CliError | undefined {
  const lock = DataDirLock.inspect(dataDir);
  if (!lock || lock === 'unreadable' || lock.running === false) return undefined;
  return new CliError(
    `The Sentinel Backup service ${describeHolder(lock.holder)} is running on ${dataDir} (lock taken ${lock.holder.locked_at}): a restore there needs it stopped. ` +
      `Stop it (systemctl stop sentinel-backup, or kill -TERM ${lock.holder.pid}), then run this command again`,
    EXIT.serviceRunning,
  );
}

/** `restore`: stages and applies a backup into a stopped service's DATA_DIR with the service's restore core; or with --dry-run, says what would change. */
export async function restoreCommand(command: ParsedCommand, raw: Record<string, string | undefined>, out: CliOutput): Promise<ExitCode> {
  const dataDir = path.resolve(command.dataDir as string);
  if (command.dryRun) return dryRun(command, dataDir, raw, out);
  const running = serviceRunning(dataDir);
  if (running) throw running;
  const env = parseEnvironment({ ...raw, DATA_DIR: dataDir });
  const source = await openBackupSource(command.location, raw);
  let access: PointAccess;
  let core: INestApplicationContext;
  try {
    // Before DATA_DIR is touched (its lock, its installation id): a backup that needs a key, or that DIR's records
    // do not know, is refused with DIR as it was.
    access = await openPointAccess(command.backup as string, source, command, raw, { restore: true });
    // Takes DATA_DIR's lock (a stale one of a process that is gone is taken over): no service can start on it until the restore is done.
    core = await NestFactory.createApplicationContext(RestoreCoreModule.standalone(env), { logger: false, abortOnError: false });
  } catch (error) {
    await source.close();
    if (error instanceof DataDirLockError) throw new CliError(error.message, /is in use by/.test(error.message) ? EXIT.serviceRunning : EXIT.failed);
    throw error;
  }
  try {
    const applier = core.get(RestoreApplier);
    const closed = core.get(DataDirLockHolder).databasesClosed();
    let staged: RestoreJournal;
    try {
      const { archive } = access;
      // A restore of this command (or of the service) killed in its apply: finished or undone first, with the service's journal.
      const interrupted = await core.get(RestoreJournalStore).read();
      if (interrupted && interrupted.state !== 'staged') {
        out.line(`Finishing the restore of ${interrupted.archive} that was interrupted (${interrupted.state.replace('_', ' ')})...`);
        const finished = await applier.applyPending(closed);
        out.line(`  ${finished?.outcome ?? 'nothing to do'}: ${finished?.message ?? ''}`);
        if (finished && (finished.outcome === 'resumed' || finished.outcome === 'applied') && interrupted.archive === archive.name) {
          return report(dataDir, interrupted, finished, out);
        }
      }
      out.line(`Restoring ${archive.name} from ${source.where} into ${dataDir}`);
      if (access.encrypted) out.line(`It is encrypted ${describeRecipients(access.recipients)}: decrypting it with ${access.keySources.join(' and ')}`);
      out.line(ORIGIN_LINES[access.origin](dataDir));
      out.line('Downloading and checking it (checksums, SQLite integrity, the set of databases)...');
      staged = await core
        .get(RestoreStager)
        .stage(meteredPoint(archive, 'Restoring', out.json), {
          target: source.target,
          restartRequested: false,
          signal: new AbortController().signal,
          onChecking: () => out.line('Checking the databases...'),
        })
        .catch((error: unknown) => {
          throw alreadyStaged(describeArchiveFailure(error, access), dataDir);
        });
    } finally {
      // Before the apply: a configured target's config.db connection is closed with it.
      await source.close();
    }
    out.line(`Staged and checked; applying (a safety copy of the current databases first)...`);
    return report(dataDir, staged, await applier.applyPending(closed), out, access);
  } finally {
    await core.close();
  }
}

/** What a restore says about the archive's origin (no silent swaps; see ArchiveOrigin). */
const ORIGIN_LINES: Record<ArchiveOrigin, (dataDir: string) => string> = {
  'made-here': () => 'This installation recorded writing it: its bytes are compared with that record while it is read',
  'confirmed-unknown': () => 'This installation has no record of writing it (or the comparison was skipped): restoring it as you confirmed (--confirm-unknown)',
  unchecked: (dataDir) =>
    `Its origin cannot be checked: ${dataDir} holds no record of the archives this installation wrote (a new machine). Make sure it is your backup`,
  'not-asked': () => '',
};

/** A restore the service staged and has not applied yet: this command does not replace it behind the user's back. */
function alreadyStaged(error: unknown, dataDir: string): unknown {
  if (!(error instanceof DomainError) || error.code !== ErrorCode.RestoreInProgress) return error;
  const { archive, target } = (error.details ?? {}) as { archive?: string; target?: string };
  return new CliError(
    `A restore of ${archive} is already staged in ${dataDir}, waiting for the service's next start. Start the service to apply it, ` +
      `or cancel it there (DELETE /api/backups/${target}/restore/staged), then run this command again`,
  );
}

/** The outcome of an apply, for people and scripts: exit 0 when the restored set is in place, else 1. */
function report(dataDir: string, staged: RestoreJournal, outcome: LastApply | undefined, out: CliOutput, access?: ArchiveAccess): ExitCode {
  const applied = outcome?.outcome === 'applied' || outcome?.outcome === 'resumed';
  out.document({
    ok: applied,
    ...(access && { encrypted: access.encrypted, origin: access.origin }),
    data_dir: dataDir,
    archive: staged.archive,
    backup_timestamp: staged.backup_timestamp,
    outcome: outcome?.outcome ?? null,
    message: outcome?.message ?? null,
    safety_copy: outcome?.safety_copy ?? null,
    databases: staged.databases.map((db) => ({ name: db.name, filename: db.filename, size_bytes: db.size_bytes, checksum: db.checksum })),
  });
  if (!applied) {
    out.problem(`The restore of ${staged.archive} was not applied (${outcome?.outcome ?? 'nothing to apply'}): ${outcome?.message ?? ''}`);
    return EXIT.failed;
  }
  out.line(`Restored ${staged.databases.length} databases from ${staged.archive} (backup of ${staged.backup_timestamp}).`);
  if (outcome?.safety_copy) out.line(`The databases as they were are in ${path.join(dataDir, outcome.safety_copy)}`);
  out.line(`Start the service on ${dataDir} (npm start) to use them.`);
  return EXIT.ok;
}

/**
 * What a restore would change, changing nothing: the archive is checked in a scratch folder (as `verify`
 * does) and each database's current and restored size and checksum are set side by side. The DATA_DIR is
 * only read: no lock is taken, no file written, so it runs while the service runs too (and says so).
 */
async function dryRun(command: ParsedCommand, dataDir: string, raw: Record<string, string | undefined>, out: CliOutput): Promise<ExitCode> {
  const layout = DataFolderLayout.fromEnvironment(parseEnvironment({ ...raw, DATA_DIR: dataDir }));
  const source = await openBackupSource(command.location, raw);
  try {
    const access = await openPointAccess(command.backup as string, source, command, raw, { restore: false });
    const { archive } = access;
    out.line(`Dry run: restoring ${archive.name} from ${source.where} into ${dataDir} would do this (nothing is changed):`);
    const changes: DatabaseChange[] = [];
    const result = await checkArchive(meteredPoint(archive, 'Checking', out.json), raw, async (databases) => {
      for (const db of databases) {
        const file = layout.databases.find((d) => d.name === db.name)?.path ?? path.join(dataDir, db.filename);
        const current = fs.existsSync(file) ? await digestFile(file) : null;
        const restored = { size_bytes: db.sizeBytes, sha256: db.sha256 };
        changes.push({
          name: db.name,
          filename: db.filename,
          current: current && { size_bytes: current.bytes, sha256: current.sha256 },
          restored,
          changes: current?.sha256 !== db.sha256,
        });
      }
    });
    if (result.wrongKey) throw wrongKey(access);
    printVerdict(result, out);
    for (const change of changes) {
      const now = change.current ? `${formatBytes(change.current.size_bytes)} sha256 ${change.current.sha256.slice(0, 12)}` : 'absent';
      out.line(
        `  ${change.filename}: ${now} -> ${formatBytes(change.restored.size_bytes)} sha256 ${change.restored.sha256.slice(0, 12)}${change.changes ? '' : ' (unchanged)'}`,
      );
    }
    const running = serviceRunning(dataDir);
    out.document({
      ok: result.ok,
      dry_run: true,
      data_dir: dataDir,
      location: source.where,
      ...verdictDocument(result),
      changes,
      service_running: Boolean(running),
    });
    const failed = failedCheck(result);
    if (failed) {
      out.line(`Verification FAILED: ${failed}. This backup would not be restored`);
      return EXIT.verificationFailed;
    }
    if (running) out.line(`The service is running on ${dataDir}: stop it before the restore itself (exit code 4 until then)`);
    out.line(`Nothing was changed. Without --dry-run, the current databases are first copied to ${dataDir}/pre-restore-backup-<time>/`);
    return EXIT.ok;
  } finally {
    await source.close();
  }
}
