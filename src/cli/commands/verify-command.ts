import type { ParsedCommand } from '../cli-arguments.js';
import { EXIT, type ExitCode } from '../cli-exit.js';
import type { CliOutput } from '../cli-output.js';
import { openBackupSource } from '../backup-locations.js';
import { type ArchiveCheckResult, checkArchive, failedCheck } from '../archive-check.js';
import { wrongKey } from '../archive-access.js';
import { meteredPoint, openPointAccess } from '../point-access.js';

/** The verdict as `verify` and `restore --dry-run` print it. */
export function printVerdict(result: ArchiveCheckResult, out: CliOutput): void {
  if (result.backupTimestamp) out.line(`Backup made ${result.backupTimestamp}`);
  for (const db of result.databases)
    out.line(`  ${db.checksumOk && db.integrityOk ? 'ok    ' : 'FAILED'}  ${db.filename}${db.message === 'ok' ? '' : `: ${db.message}`}`);
  if (result.problem) out.line(`  FAILED  ${result.problem.file}: ${result.problem.message}`);
}

export function verdictDocument(result: ArchiveCheckResult): Record<string, unknown> {
  return {
    archive: result.archive,
    backup_timestamp: result.backupTimestamp,
    failed_check: result.ok ? null : (result.problem?.check ?? (result.databases.find((db) => !db.checksumOk) ? 'checksum' : 'integrity')),
    problem: result.problem,
    databases: result.databases.map((db) => ({
      name: db.name,
      filename: db.filename,
      size_bytes: db.sizeBytes,
      checksum_ok: db.checksumOk,
      integrity_ok: db.integrityOk,
      ok: db.checksumOk && db.integrityOk,
      message: db.message,
    })),
  };
}

/** `verify`: every restore check, a verdict per database; exit 3 when the backup would not restore. */
export async function verifyCommand(command: ParsedCommand, raw: Record<string, string | undefined>, out: CliOutput): Promise<ExitCode> {
  const source = await openBackupSource(command.location, raw);
  try {
    const access = await openPointAccess(command.backup as string, source, command, raw, { restore: false });
    const { archive } = access;
    out.line(`Verifying ${archive.name} from ${source.where}${access.encrypted ? `, decrypting it with ${access.keySources.join(' and ')}` : ''}...`);
    const result = await checkArchive(meteredPoint(archive, 'Verifying', out.json), raw);
    if (result.wrongKey) throw wrongKey(access);
    printVerdict(result, out);
    const failed = failedCheck(result);
    out.document({ ok: result.ok, location: source.where, encrypted: access.encrypted, ...verdictDocument(result) });
    if (failed) {
      out.line(`Verification FAILED: ${failed}. Do not restore this backup; verify an older one (sentinel-backup list)`);
      return EXIT.verificationFailed;
    }
    out.line(`Verification passed: all ${result.databases.length} databases are intact (checksums match, SQLite integrity check passes)`);
    return EXIT.ok;
  } finally {
    await source.close();
  }
}
