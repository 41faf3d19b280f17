import { NestFactory } from '@nestjs/core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackupMetadata } from '../archive-format/backup-metadata.js';
import { parseEnvironment } from '../config/environment.js';
import type { ExtractedDatabase } from '../restore/archive-reader/archive-extractor.js';
import type { PointToUnpack } from '../restore/core/point-unpacker.js';
import { type ArchiveVerdict, ArchiveVerification } from '../restore/core/archive-verification.js';
import { RestoreCoreModule } from '../restore/core/restore-core.module.js';

/** What a verification found (the service's ArchiveVerdict), for the archive named. */
export interface ArchiveCheckResult extends ArchiveVerdict {
  archive: string;
}

/**
 * Every check of a restore's phase 1 on an archive, with the service's own verification (ArchiveVerification
 * of the restore core: a verdict per database), in a scratch DATA_DIR under the system's temp folder (TMPDIR)
 * that is removed afterwards: a verification touches no data folder. `inspect` sees the unpacked databases
 * (all checks passed or not) before they go.
 */
export async function checkArchive(
  archive: PointToUnpack,
  raw: Record<string, string | undefined>,
  inspect?: (databases: readonly ExtractedDatabase[], metadata: BackupMetadata) => Promise<void>,
): Promise<ArchiveCheckResult> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-backup-verify-'));
  try {
    const core = await NestFactory.createApplicationContext(RestoreCoreModule.standalone(parseEnvironment({ ...raw, DATA_DIR: scratch })), {
      logger: false,
      abortOnError: false,
    });
    try {
      const verdict = await core
        .get(ArchiveVerification)
        .verify(archive, { signal: new AbortController().signal, roomAdvice: 'Point TMPDIR at a folder with room', inspect });
      return { archive: archive.name, ...verdict };
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
