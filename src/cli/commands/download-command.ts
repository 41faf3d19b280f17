import fs from 'node:fs';
import path from 'node:path';
import { isEncryptedBackupName } from '../../archive-format/backup-filename.js';
import { formatBytes } from '../../common/format.js';
import { objectVersion } from '../../storage/object-storage.js';
import type { ArchiveToUnpack } from '../../restore/core/archive-unpacker.js';
import { type ArchiveAccess, openArchiveAccess, wrongKey } from '../archive-access.js';
import { checkArchive, failedCheck } from '../archive-check.js';
import { openBackupSource } from '../backup-locations.js';
import { StorageBackupSource, type StoredBackup } from '../backup-source.js';
import type { ParsedCommand } from '../cli-arguments.js';
import { CliError } from '../cli-error.js';
import { EXIT, type ExitCode } from '../cli-exit.js';
import type { CliOutput } from '../cli-output.js';
import { meteredArchive, meteredBody } from '../metered-archive.js';
import { PartialDownload } from '../partial-download.js';
import { ProgressMeter } from '../progress-meter.js';
import { verdictDocument } from './verify-command.js';

/** What the download's checks found; `failed` names the first that failed. */
interface DownloadChecks {
  /** The object's SHA-256 against the one the service recorded when it wrote it. */
  object_sha256: 'matched' | 'mismatch' | 'not-recorded';
  recorded_sha256: string | null;
  /** The archive's own checks (verify's): checksums, SQLite integrity, the set of databases. */
  archive: 'passed' | 'failed' | 'wrong-key' | 'skipped-encrypted' | 'not-run';
  /** verify's verdict per database, when the archive's checks ran. */
  verdict: Record<string, unknown> | null;
  /** The first check that failed: its name as `verify` gives it (or object-sha256), and what it found. */
  failed: { check: string; message: string } | null;
}

/**
 * `download`: a backup's archive into a file, resumable (PartialDownload: `<output>.partial` with a sidecar
 * naming the object, continued with a ranged read after an interruption) and checked before it gets its
 * name: the object's SHA-256 against the service's record of it, when the location has one, and every
 * check `verify` runs (checkArchive, the service's restore core) on the downloaded file. A failed check
 * leaves no file (exit 3).
 */
export async function downloadCommand(command: ParsedCommand, raw: Record<string, string | undefined>, out: CliOutput): Promise<ExitCode> {
  const source = await openBackupSource(command.location, raw);
  try {
    // The parser refuses an archive file's path for download, so the backups are in a store.
    if (!(source instanceof StorageBackupSource)) throw CliError.usage('download takes a backup name or latest', 'sentinel-backup download --help');
    const backup = await source.locate(command.backup as string);
    const output = outputPath(command.output, backup.name);
    // The archive as the checks read it: the downloaded file, whole (the object's size) once fetchRest is done.
    const downloaded: ArchiveToUnpack = {
      name: backup.name,
      open: async () => ({ body: fs.createReadStream(PartialDownload.pathFor(output)), size: backup.object.size }),
    };
    // An encrypted archive's keys (--identity, else the installation's with --data-dir/--target) before a byte is
    // fetched: a key file that cannot be read, or keys that do not open the stored archive's header, are refused
    // with nothing written. No key is no refusal here.
    const access = await openArchiveAccess(downloaded, source, command, raw, {
      restore: false,
      keysOptional: true,
      probe: await source.find(backup.name),
    });
    const partial = await PartialDownload.prepare(output, {
      archive: backup.name,
      size: backup.object.size,
      version: objectVersion(backup.object),
      location: source.where,
    });
    out.line(`Downloading ${backup.name} (${formatBytes(backup.object.size)}) from ${source.where} to ${output}`);
    if (partial.restarted) out.line(`  ${partial.restarted}`);
    if (partial.resumedFrom > 0) out.line(`  Resuming from ${formatBytes(partial.resumedFrom)} (${partial.partial}, from an interrupted run)`);
    await fetchRest(backup, partial, out.json);
    const checks = await check(backup, partial, access, raw, out);
    const document = {
      archive: backup.name,
      location: source.where,
      output,
      size_bytes: backup.object.size,
      sha256: partial.sha256(),
      resumed_from_bytes: partial.resumedFrom,
      restarted: partial.restarted ?? null,
      encrypted: isEncryptedBackupName(backup.name),
      checks,
    };
    if (checks.archive === 'wrong-key') {
      await partial.discard();
      throw wrongKey(access);
    }
    if (checks.failed) {
      await partial.discard();
      out.document({ ok: false, ...document, output: null, failed_check: checks.failed.check });
      out.problem(
        `${backup.name} failed its ${checks.failed.check} check (${checks.failed.message}) and was not kept. Do not restore this backup; download an older one (sentinel-backup list)`,
      );
      return EXIT.verificationFailed;
    }
    await partial.complete();
    out.document({ ok: true, ...document });
    out.line(`Saved ${output} (${formatBytes(backup.object.size)}, sha256 ${document.sha256})`);
    return EXIT.ok;
  } finally {
    await source.close();
  }
}

/** --output as given (a folder: the backup's name in it), else the backup's name in the current folder. */
function outputPath(option: string | undefined, name: string): string {
  if (option === undefined) return path.resolve(name);
  const resolved = path.resolve(option);
  const stat = fs.statSync(resolved, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return path.join(resolved, name);
  if (!fs.existsSync(path.dirname(resolved))) throw new CliError(`The folder ${path.dirname(resolved)} does not exist: create it, or give another --output`);
  return resolved;
}

/** The bytes the `.partial` does not have yet, by a ranged read from its length. */
async function fetchRest(backup: StoredBackup, partial: PartialDownload, json: boolean): Promise<void> {
  const size = backup.object.size;
  if (partial.bytes >= size) return;
  const signal = new AbortController().signal;
  try {
    const { body } = await backup.read(partial.bytes, signal);
    await partial.append(meteredBody(body, ProgressMeter.onStderr('Downloading', size, json, partial.bytes)), signal);
  } catch (error) {
    if (partial.bytes === 0) throw error;
    throw new CliError(
      `${(error as Error).message}. The ${formatBytes(partial.bytes)} downloaded so far are kept in ${partial.partial}: run the same command again to continue`,
    );
  }
  if (partial.bytes !== size) {
    throw new CliError(
      `${backup.name} changed while it was downloaded (${formatBytes(partial.bytes)} read of ${formatBytes(size)}): run this again; the download starts over if it is another object now`,
    );
  }
}

/**
 * The object's SHA-256 against the record when there is one, then the archive's own checks (verify's) on the
 * file, an encrypted one decrypted with the keys of `access`; skipped, and said how to run them, when it has none.
 */
async function check(
  backup: StoredBackup,
  partial: PartialDownload,
  access: ArchiveAccess,
  raw: Record<string, string | undefined>,
  out: CliOutput,
): Promise<DownloadChecks> {
  const recorded = await backup.recorded();
  const sha256 = partial.sha256();
  const checks: DownloadChecks = { object_sha256: 'not-recorded', recorded_sha256: recorded?.sha256 ?? null, archive: 'not-run', verdict: null, failed: null };
  if (recorded) {
    if (recorded.sha256 !== sha256 || recorded.sizeBytes !== partial.bytes) {
      checks.object_sha256 = 'mismatch';
      checks.failed = {
        check: 'object-sha256',
        message:
          `the downloaded bytes (${partial.bytes} bytes, SHA-256 ${sha256}) are not what the service wrote ` +
          `(${recorded.sizeBytes} bytes, SHA-256 ${recorded.sha256}, ${recorded.createdAt.toISOString()}): the object was replaced or damaged`,
      };
      return checks;
    }
    checks.object_sha256 = 'matched';
    out.line(`  SHA-256 matches the one recorded when the service wrote it (${recorded.createdAt.toISOString()})`);
  } else {
    out.line('  No SHA-256 of this archive is recorded here (the service records it in its DATA_DIR: --data-dir DIR --target ID checks it too)');
  }
  if (access.encrypted && access.keySources.length === 0) {
    // The age layer's checks need a key: without one, only the bytes are checked.
    checks.archive = 'skipped-encrypted';
    out.line(
      `  The archive's inner checks were skipped: it is encrypted (age), and they need its recovery key. ` +
        `Run them with: sentinel-backup verify ${partial.output} --identity KEY`,
    );
    return checks;
  }
  out.line(
    `  Checking the archive (checksums, SQLite integrity, the set of databases)${access.encrypted ? `, decrypting it with ${access.keySources.join(' and ')}` : ''}...`,
  );
  const result = await checkArchive(meteredArchive(access.archive, 'Checking', out.json), raw);
  if (result.wrongKey) {
    checks.archive = 'wrong-key';
    return checks;
  }
  const failed = failedCheck(result);
  const verdict = verdictDocument(result);
  checks.archive = failed ? 'failed' : 'passed';
  checks.verdict = verdict;
  checks.failed = failed ? { check: String(verdict.failed_check), message: failed } : null;
  if (!failed) out.line(`  Archive checks passed: all ${result.databases.length} databases intact`);
  else out.line(`  Archive check FAILED: ${failed}`);
  return checks;
}
