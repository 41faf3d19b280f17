import { NestFactory } from '@nestjs/core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { METADATA_FILENAME } from '../archive-format/backup-metadata.js';
import { formatBytes } from '../common/format.js';
import { parseEnvironment } from '../config/environment.js';
import { type ArchiveCheck, isArchiveInvalid } from '../restore/archive-reader/archive-problem.js';
import type { ExtractedDatabase } from '../restore/archive-reader/archive-extractor.js';
import { type DatabaseVerdict, judgeDatabases } from '../restore/archive-reader/database-checks.js';
import { type ArchiveToUnpack, ArchiveUnpacker } from '../restore/core/archive-unpacker.js';
import { RestoreCoreModule } from '../restore/core/restore-core.module.js';

/** What a verification found: a verdict per database, and the first archive-wide problem, if any. */
export interface ArchiveCheckResult {
  archive: string;
  ok: boolean;
  backupTimestamp: string | null;
  databases: DatabaseVerdict[];
  problem: { check: ArchiveCheck; file: string; message: string } | null;
}

/**
 * Every check of a restore's phase 1 on an archive, with the service's restore core (ArchiveUnpacker in
 * its verification mode: each database gets its verdict; judgeDatabases: checksums and PRAGMA
 * integrity_check), in a scratch DATA_DIR under the system's temp folder (TMPDIR) that is removed
 * afterwards: a verification touches no data folder. `inspect` sees the unpacked databases (all checks passed or not) before they go.
 */
export async function checkArchive(
  archive: ArchiveToUnpack,
  raw: Record<string, string | undefined>,
  inspect?: (databases: readonly ExtractedDatabase[]) => Promise<void>,
): Promise<ArchiveCheckResult> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-backup-verify-'));
  const signal = new AbortController().signal;
  try {
    const core = await NestFactory.createApplicationContext(RestoreCoreModule.standalone(parseEnvironment({ ...raw, DATA_DIR: scratch })), {
      logger: false,
      abortOnError: false,
    });
    try {
      let unpacked;
      try {
        unpacked = await core.get(ArchiveUnpacker).unpack(archive, {
          purpose: 'verification',
          room: (_bytes, metadata) =>
            metadata && {
              bytes: metadata.databases.reduce((sum, db) => sum + db.size_bytes, 0),
              purpose: `the verification of ${archive.name}`,
              refusal: ({ dir, needed, free }) =>
                `Not enough free disk space in ${dir} to verify ${archive.name}: ${formatBytes(needed)} needed, ${formatBytes(free)} available. ` +
                'Point TMPDIR at a folder with room',
            },
          signal,
        });
      } catch (error) {
        if (!isArchiveInvalid(error)) throw error;
        const problem = { check: error.details.check, file: error.details.file, message: error.message };
        return { archive: archive.name, ok: false, backupTimestamp: null, databases: [], problem };
      }
      try {
        const databases = await judgeDatabases(unpacked.databases, signal);
        const problem = unpacked.databaseSetProblem ? { check: 'database-set' as const, file: METADATA_FILENAME, message: unpacked.databaseSetProblem } : null;
        const ok = !problem && databases.every((db) => db.checksumOk && db.integrityOk);
        const result = { archive: archive.name, ok, backupTimestamp: unpacked.metadata.timestamp, databases, problem };
        await inspect?.(unpacked.databases);
        return result;
      } finally {
        await unpacked.discard();
      }
    } finally {
      await core.close();
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The check that failed, as `verify` names it: the archive's problem, else the first bad database's. */
export function failedCheck(result: ArchiveCheckResult): string | undefined {
  if (result.problem) return `${result.problem.check} (${result.problem.file}): ${result.problem.message}`;
  const bad = result.databases.find((db) => !db.checksumOk || !db.integrityOk);
  if (!bad) return undefined;
  return `${bad.checksumOk ? 'integrity' : 'checksum'} (${bad.filename}): ${bad.message}`;
}
