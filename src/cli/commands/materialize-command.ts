import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type BackupMetadata, METADATA_FORMAT_VERSION } from '../../archive-format/backup-metadata.js';
import { ArchiveWriter, fullArchiveContents } from '../../backup/archive-writer/archive-writer.js';
import { formatBytes } from '../../common/format.js';
import { atomicTempName, fsyncPath, placeWithoutReplacing } from '../../common/fs/durable-fs.js';
import type { ExtractedDatabase } from '../../restore/archive-reader/archive-extractor.js';
import { wrongKey } from '../archive-access.js';
import { checkArchive, failedCheck } from '../archive-check.js';
import { openBackupSource } from '../backup-locations.js';
import type { ParsedCommand } from '../cli-arguments.js';
import { CliError } from '../cli-error.js';
import { EXIT, type ExitCode } from '../cli-exit.js';
import type { CliOutput } from '../cli-output.js';
import { meteredPoint, openPointAccess } from '../point-access.js';
import { printVerdict, verdictDocument } from './verify-command.js';

/**
 * `materialize`: the point a backup restores, as one ordinary full archive in FILE. The point is unpacked and
 * checked exactly as `verify` does it (an increment rebuilt from its chain by the restore core: every link
 * checked, each rebuilt database compared with the increment's checksum, then PRAGMA integrity_check), and the
 * checked databases are written by the service's own ArchiveWriter (backup-metadata.json first with the spec's
 * fields, then each `<name>.db`, gzip) to a temporary file beside FILE while they are still in the scratch folder.
 * FILE appears only once every check passed and the archive is complete and fsynced, under its name by a link that
 * never replaces a file: a failure, a failed check or a kill leaves no FILE (at most the temporary `FILE.tmp-<pid>`
 * of a killed run, which a later run of the same process id would not reuse: it is created exclusively).
 */
export async function materializeCommand(command: ParsedCommand, raw: Record<string, string | undefined>, out: CliOutput): Promise<ExitCode> {
  const file = path.resolve(command.out as string);
  if (!fs.existsSync(path.dirname(file))) throw new CliError(`The folder ${path.dirname(file)} does not exist: create it, or give another --out`);
  if (fs.existsSync(file)) throw new CliError(`${file} already exists: materialize never replaces a file; give a new name with --out`);
  const temp = atomicTempName(file);
  const source = await openBackupSource(command.location, raw);
  let written: { bytes: number } | undefined;
  try {
    const access = await openPointAccess(command.backup as string, source, command, raw, { restore: false });
    const { archive } = access;
    out.line(
      `Materializing ${archive.name} from ${source.where} into ${file}${access.encrypted ? `, decrypting it with ${access.keySources.join(' and ')}` : ''}...`,
    );
    const result = await checkArchive(meteredPoint(archive, 'Reading', out.json), raw, async (databases, metadata) => {
      // Written only when every database can be: a bad one fails the checks, and nothing is written.
      if (databases.some((db) => !db.checksumOk)) return;
      written = await writeFullArchive(databases, metadata, temp);
    });
    if (result.wrongKey) throw wrongKey(access);
    printVerdict(result, out);
    const failed = failedCheck(result);
    if (failed || !written) {
      out.document({ ok: false, location: source.where, output: null, ...verdictDocument(result) });
      out.line(`Materialize FAILED: ${failed ?? 'the archive was not written'}. Nothing was written to ${file}`);
      return EXIT.verificationFailed;
    }
    await fsyncPath(temp);
    if (!(await placeWithoutReplacing(temp, file)))
      throw new CliError(`${file} appeared meanwhile: materialize never replaces a file; give a new name with --out`);
    await fsyncPath(path.dirname(file));
    out.document({ ok: true, location: source.where, output: file, size_bytes: written.bytes, ...verdictDocument(result) });
    out.line(`Wrote ${file} (${formatBytes(written.bytes)}): a full archive of ${result.databases.length} databases as of ${result.backupTimestamp}`);
    out.line(`Read it with: tar xzf ${path.basename(file)} (backup-metadata.json lists each database's SHA-256 for sha256sum -c)`);
    return EXIT.ok;
  } finally {
    fs.rmSync(temp, { force: true });
    await source.close();
  }
}

/**
 * The databases as the spec's full archive in `temp` (created exclusively): the metadata's fields are exactly a full
 * backup's (an increment's chain fields and pages left out), each database's checksum the one it was checked against.
 */
async function writeFullArchive(databases: readonly ExtractedDatabase[], point: BackupMetadata, temp: string): Promise<{ bytes: number }> {
  const dir = path.dirname(databases[0].path);
  const metadata: BackupMetadata = {
    timestamp: point.timestamp,
    version: METADATA_FORMAT_VERSION,
    sentinel_version: point.sentinel_version,
    databases: databases.map((db) => ({ name: db.name, filename: db.filename, size_bytes: db.sizeBytes, checksum: `sha256:${db.sha256}` })),
  };
  // No write steps: the archive is plain, as tar xzf reads it.
  const stream = new ArchiveWriter([]).open(fullArchiveContents(dir, metadata), { target: 'cli' });
  await pipeline(stream, fs.createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
  return { bytes: fs.statSync(temp).size };
}
