import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import fs from 'node:fs';
import path from 'node:path';
import type { BackupRunEntity } from '../../backup/backup-run.entity.js';
import { BackupJobs } from '../../backup/backup-jobs.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { formatBytes, formatDuration } from '../../common/format.js';
import { DataDirLock, DataDirLockError, describeHolder } from '../../common/lifecycle/data-dir-lock.js';
import { parseEnvironment } from '../../config/environment.js';
import { DataFolderLayout } from '../../restore/core/data-folder-layout.js';
import { RestoreJournalStore } from '../../restore/restore-journal.store.js';
import { TargetRoster } from '../../targets/target-roster.js';
import type { ParsedCommand } from '../cli-arguments.js';
import { CliBackupModule } from '../cli-backup.module.js';
import { CliError } from '../cli-error.js';
import { EXIT, type ExitCode } from '../cli-exit.js';
import type { CliOutput } from '../cli-output.js';

/** One target's outcome, as --json gives it. */
interface BackupOutcome {
  target: string;
  ok: boolean;
  name: string | null;
  size_bytes: number | null;
  sha256: string | null;
  encrypted: boolean | null;
  duration_ms: number | null;
  job_id: string | null;
  error: string | null;
  error_code: string | null;
}

/**
 * `backup`: one backup of a stopped service's DATA_DIR, made by the service's own BackupJobs and ArchiveProducer
 * (CliBackupModule): the same checks, snapshots, metadata, naming, encryption and never-replacing upload, the run
 * recorded in the service's history (trigger `cli`) and the archive in its record of what was made here, so the
 * service lists it as its own when it starts. DATA_DIR's lock is held from before anything is read until the
 * end: a service started meanwhile is refused, naming this command; a lock of a killed run is taken over.
 * Deletes nothing: rotation stays the service's.
 */
export async function backupCommand(command: ParsedCommand, raw: Record<string, string | undefined>, out: CliOutput): Promise<ExitCode> {
  const dataDir = path.resolve(command.dataDir as string);
  await refuseUnsafe(dataDir, raw);
  let lock: DataDirLock;
  try {
    lock = DataDirLock.acquire(dataDir, { command: 'backup' });
  } catch (error) {
    if (error instanceof DataDirLockError) throw new CliError(error.message, /is in use by/.test(error.message) ? EXIT.serviceRunning : EXIT.failed);
    throw error;
  }
  try {
    if (lock.tookOverFrom) out.line(`Took over the stale lock of ${describeHolder(lock.tookOverFrom)} (that process no longer runs)`);
    const context = await NestFactory.createApplicationContext(CliBackupModule.forEnvironment({ ...raw, DATA_DIR: dataDir }), {
      logger: false,
      abortOnError: false,
    });
    try {
      return await backUp(context, command, dataDir, out);
    } finally {
      await context.close();
    }
  } finally {
    lock.release();
  }
}

/**
 * Refusals before the lock is taken (and so before anything is written): a folder that is not a service's
 * DATA_DIR (the registry would create empty databases in it), a running service (exit 4: back up through it),
 * and a restore whose apply was interrupted (the databases may be a mixed set: never archived).
 */
async function refuseUnsafe(dataDir: string, raw: Record<string, string | undefined>): Promise<void> {
  if (!fs.existsSync(path.join(dataDir, 'config.db'))) {
    throw new CliError(`${dataDir} has no config.db: give the service's DATA_DIR (the folder that holds its databases)`);
  }
  const lock = DataDirLock.inspect(dataDir);
  if (lock && lock !== 'unreadable' && lock.running !== false) {
    throw new CliError(
      `${lock.holder.command ? `The command ${describeHolder(lock.holder)}` : `The Sentinel Backup service ${describeHolder(lock.holder)}`} is running on ${dataDir} ` +
        `(lock taken ${lock.holder.locked_at}): while it runs, back up through it: POST /api/backups/<target> (Backup Now on the page), ` +
        'which makes the same backup. This command backs up only a DATA_DIR no service runs on',
      EXIT.serviceRunning,
    );
  }
  const journal = await new RestoreJournalStore(DataFolderLayout.fromEnvironment(parseEnvironment({ ...raw, DATA_DIR: dataDir }))).read();
  if (journal && journal.state !== 'staged') {
    throw new CliError(
      `The restore of ${journal.archive} into ${dataDir} was interrupted (${journal.state.replace('_', ' ')}), so the databases may be a mixed set and are not backed up. ` +
        `Finish it first: start the service, or run sentinel-backup restore ${journal.archive} --data-dir ${dataDir} with its location`,
    );
  }
}

/** The targets named, or every enabled one; one backup each, one after the other, each failure reported and the rest still made. */
async function backUp(context: INestApplicationContext, command: ParsedCommand, dataDir: string, out: CliOutput): Promise<ExitCode> {
  const targets = command.targets?.length ? [...new Set(command.targets)] : await enabledTargets(context, dataDir);
  out.line(`Backing up ${dataDir} to ${targets.join(', ')}${command.targets?.length ? '' : ' (its enabled targets)'}...`);
  const jobs = context.get(BackupJobs);
  const outcomes: BackupOutcome[] = [];
  for (const target of targets) {
    const outcome = await backUpTo(jobs, target);
    outcomes.push(outcome);
    if (outcome.ok) {
      out.line(
        `  ${target}: ${outcome.name}, ${formatBytes(outcome.size_bytes ?? 0)}${outcome.encrypted ? ', encrypted' : ''}, sha256 ${outcome.sha256}, ${formatDuration(outcome.duration_ms ?? 0)}`,
      );
    } else out.line(`  ${target}: FAILED: ${outcome.error}`);
  }
  const failed = outcomes.filter((o) => !o.ok);
  out.document({ ok: failed.length === 0, data_dir: dataDir, backups: outcomes });
  if (failed.length > 0) {
    for (const o of failed) out.problem(`The backup to ${o.target} failed: ${o.error}`);
    if (failed.length < outcomes.length)
      out.line(`${outcomes.length - failed.length} of ${outcomes.length} backups made; ${failed.map((o) => o.target).join(', ')} failed`);
    return EXIT.failed;
  }
  out.line(
    `Done: ${outcomes.length} backup${outcomes.length === 1 ? '' : 's'} made, recorded in the service's history (trigger cli). Nothing was deleted: rotation is the service's`,
  );
  return EXIT.ok;
}

/** What the schedule would back up: the targets that are turned on. None is an error naming how to choose one. */
async function enabledTargets(context: INestApplicationContext, dataDir: string): Promise<string[]> {
  const entries = await context.get(TargetRoster).entries({ strict: true });
  const enabled = entries.filter((entry) => entry.enabled).map((entry) => entry.id);
  if (enabled.length === 0) {
    throw CliError.usage(
      `No target of ${dataDir} is enabled (${entries.map((e) => e.id).join(', ')} are all turned off): name the one to back up to with --target ID`,
      'sentinel-backup backup --help',
    );
  }
  return enabled;
}

/** One target's backup by the service's BackupJobs; a refusal before the job (unknown target, incomplete settings) is a failure like the job's own. */
async function backUpTo(jobs: BackupJobs, target: string): Promise<BackupOutcome> {
  let run: BackupRunEntity;
  try {
    run = await jobs.runToCompletion(target, 'cli');
  } catch (error) {
    return {
      target,
      ok: false,
      name: null,
      size_bytes: null,
      sha256: null,
      encrypted: null,
      duration_ms: null,
      job_id: null,
      error: (error as Error).message,
      error_code: error instanceof DomainError ? error.code : null,
    };
  }
  const ok = run.status === 'succeeded';
  return {
    target,
    ok,
    name: ok ? run.filename : null,
    size_bytes: ok ? run.sizeBytes : null,
    sha256: ok ? run.sha256 : null,
    encrypted: ok ? run.encrypted : null,
    duration_ms: run.durationMs,
    job_id: run.id,
    error: ok ? null : run.error,
    error_code: ok ? null : run.errorCode,
  };
}
