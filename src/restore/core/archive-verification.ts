import { Injectable } from '@nestjs/common';
import { type BackupMetadata, METADATA_FILENAME } from '../../archive-format/backup-metadata.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { formatBytes } from '../../common/format.js';
import { type ArchiveCheck, isArchiveInvalid } from '../archive-reader/archive-problem.js';
import type { ExtractedDatabase } from '../archive-reader/archive-extractor.js';
import { type DatabaseVerdict, judgeDatabases } from '../archive-reader/database-checks.js';
import { PointUnpacker, type PointToUnpack } from './point-unpacker.js';

/** A problem with the archive as a whole (its structure, its metadata, its encryption, its set of databases). */
export interface ArchiveProblem {
  check: ArchiveCheck;
  file: string;
  message: string;
}

/** What the checks of a restore's phase 1 found in one archive. */
export interface ArchiveVerdict {
  /** Every database intact and no archive-wide problem. */
  ok: boolean;
  /** The archive was read to its end (false: `problem` stopped it, and there are no database verdicts). */
  read: boolean;
  /** The metadata's timestamp, when the metadata could be read. */
  backupTimestamp: string | null;
  /** A verdict per database (empty when the archive could not be read that far). */
  databases: DatabaseVerdict[];
  problem: ArchiveProblem | null;
  /**
   * The keys at hand do not open the encrypted archive (ENCRYPTION_KEY_WRONG, naming the recipients it needs):
   * the archive may be fine; `problem` is then an 'age' problem with the same message.
   */
  wrongKey?: DomainError;
}

export interface VerifyOptions {
  signal: AbortSignal;
  /** Appended to the refusal when the folder has too little room for the databases (what to do about it). */
  roomAdvice?: string;
  /** Sees the unpacked databases (whatever their verdicts) and the point's metadata before their scratch folder is removed. */
  inspect?: (databases: readonly ExtractedDatabase[], metadata: BackupMetadata) => Promise<void>;
  /** The archive's size once it is open, and the bytes of it read so far (a verification's progress). */
  onOpened?: (archiveBytes: number) => void;
  onProgress?: (bytes: number) => void;
}

/**
 * Every check of a restore's phase 1 on an archive, without stopping at the first bad database: unpacked
 * by ArchiveUnpacker in its verification mode (structure, metadata, decryption with the keys the archive
 * is opened with, checksums, the set of databases) into a scratch work folder of DATA_DIR, then PRAGMA
 * integrity_check on each database (judgeDatabases); the folder is removed afterwards. Archive problems
 * and a key that does not open the archive are reported, not thrown; anything else (storage, a cancel) is thrown.
 *
 * The one implementation the service's BackupVerifier (which adds the comparison with the record of the
 * upload) and the command line's `verify` and `restore --dry-run` share.
 */
@Injectable()
export class ArchiveVerification {
  constructor(private readonly unpacker: PointUnpacker) {}

  async verify(archive: PointToUnpack, options: VerifyOptions): Promise<ArchiveVerdict> {
    const { signal } = options;
    let unpacked;
    try {
      unpacked = await this.unpacker.unpack(archive, {
        purpose: 'verification',
        // Nothing to check before the metadata says how large the databases are.
        room: (_archiveBytes, metadata) =>
          metadata && {
            bytes: metadata.databases.reduce((sum, db) => sum + db.size_bytes, 0),
            purpose: `the verification of ${archive.name}`,
            refusal: ({ dir, needed, free }) =>
              `Not enough free disk space in ${dir} to verify ${archive.name}: ${formatBytes(needed)} needed for its databases, ${formatBytes(free)} available` +
              (options.roomAdvice ? `. ${options.roomAdvice}` : ''),
          },
        signal,
        onOpened: options.onOpened,
        onProgress: options.onProgress,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      const failed = (problem: ArchiveProblem, wrongKey?: DomainError): ArchiveVerdict => ({
        ok: false,
        read: false,
        backupTimestamp: null,
        databases: [],
        problem,
        ...(wrongKey && { wrongKey }),
      });
      // A verdict, not an error: the weekly verification must record that the keys at hand cannot open the
      // backup (a restore would fail the same way), and say which key it needs.
      if (error instanceof DomainError && error.code === ErrorCode.EncryptionKeyWrong) {
        return failed({ check: 'age', file: archive.name, message: error.message }, error);
      }
      if (!isArchiveInvalid(error)) throw error;
      return failed({ check: error.details.check, file: error.details.file, message: error.message });
    }
    try {
      const databases = await judgeDatabases(unpacked.databases, signal);
      const problem: ArchiveProblem | null = unpacked.databaseSetProblem
        ? { check: 'database-set', file: METADATA_FILENAME, message: unpacked.databaseSetProblem }
        : null;
      await options.inspect?.(unpacked.databases, unpacked.metadata);
      return {
        ok: !problem && databases.every((db) => db.checksumOk && db.integrityOk),
        read: true,
        backupTimestamp: unpacked.metadata.timestamp,
        databases,
        problem,
      };
    } finally {
      await unpacked.discard();
    }
  }
}
