import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';
import type { BackupTarget } from '../../common/backup-target.js';
import { ARCHIVE_CHECKS, type ArchiveCheck } from '../archive-reader/archive-problem.js';
import type { VerificationReport } from '../backup-verifier.service.js';

export class DatabaseVerificationDto {
  @ApiProperty({ example: 'universe' })
  name: string;

  @ApiProperty({ example: 'universe.db' })
  filename: string;

  @ApiProperty({ example: 1234567 })
  size_bytes: number;

  @ApiProperty({ description: 'SHA-256 matches backup-metadata.json' })
  checksum_ok: boolean;

  @ApiProperty({ description: 'PRAGMA integrity_check reports ok' })
  integrity_ok: boolean;

  @ApiProperty({ example: 'ok' })
  message: string;
}

export class ArchiveProblemDto {
  @ApiProperty({ enum: ARCHIVE_CHECKS, description: 'The check that failed' })
  check: ArchiveCheck;

  @ApiProperty({ example: 'universe.db', description: 'The entry concerned, or the archive itself' })
  file: string;

  @ApiProperty()
  message: string;
}

export class VerificationReportDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  archive: string;

  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: BackupTarget;

  @ApiProperty({ description: 'True when every check passed: the backup can be restored' })
  ok: boolean;

  @ApiProperty({ example: 'All 7 databases are intact: checksums match and the SQLite integrity check passes' })
  message: string;

  @ApiProperty({ example: '2026-01-09T03:00:12.000Z' })
  checked_at: string;

  @ApiProperty({ example: 5321 })
  duration_ms: number;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-01-08T14:30:22Z',
    description: 'When the backup was made, from its metadata (null when the metadata could not be read)',
  })
  backup_timestamp: string | null;

  @ApiProperty({ type: [DatabaseVerificationDto], description: 'One verdict per database in the archive (empty when the archive itself is unreadable)' })
  databases: DatabaseVerificationDto[];

  @ApiProperty({ type: () => ArchiveProblemDto, nullable: true, description: 'A problem with the archive as a whole' })
  problem: ArchiveProblemDto | null;

  @ApiProperty({ description: 'The backup is encrypted with age (.tar.gz.age)' })
  encrypted: boolean;

  @ApiProperty({
    description:
      'A limited verification: an encrypted backup with no key on the server (write-only mode) and none in the request. Only the stored archive was checked ' +
      '(present, size and SHA-256 equal to the record of its upload, without decrypting it); its databases were not opened (databases is empty). ' +
      'Send its recovery key ("identity") for a full verification',
  })
  limited: boolean;

  @ApiProperty({
    type: Boolean,
    nullable: true,
    description:
      'True when the stored archive (plain or encrypted) is the one this installation wrote (size and SHA-256 as recorded at its upload); false when it ' +
      'differs or there is no record of writing it (a restore of an encrypted one, or of a plain one while encryption is on, then asks for "confirm_unknown"). ' +
      'null: not checked (the archive could not be read far enough)',
  })
  made_here: boolean | null;
}

export function toVerificationReportDto(report: VerificationReport): VerificationReportDto {
  return {
    archive: report.archive,
    target: report.target,
    ok: report.ok,
    message: report.message,
    checked_at: report.checkedAt,
    duration_ms: report.durationMs,
    backup_timestamp: report.backupTimestamp,
    databases: report.databases.map((db) => ({
      name: db.name,
      filename: db.filename,
      size_bytes: db.sizeBytes,
      checksum_ok: db.checksumOk,
      integrity_ok: db.integrityOk,
      message: db.message,
    })),
    problem: report.problem,
    encrypted: report.encrypted ?? false,
    limited: report.limited ?? false,
    made_here: report.madeHere ?? null,
  };
}
