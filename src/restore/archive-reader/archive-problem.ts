import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';

/**
 * Every check an archive goes through before a restore is staged. The name is part of the API: it is
 * `details.check` of a 422 answer and `problem.check` of a verification report.
 */
export const ARCHIVE_CHECKS = [
  'gzip', // not gzip, or the compressed stream is damaged or cut short
  'tar', // the tar structure is damaged, cut short, or has data after its end
  'absolute-path', // an entry name starting with '/' (or a drive letter)
  'path-traversal', // an entry name with a '..' segment
  'symlink',
  'hardlink',
  'entry-type', // a directory, device, FIFO or other non-regular entry
  'unexpected-entry', // a file the metadata does not list
  'duplicate-entry',
  'metadata-order', // backup-metadata.json is not the first entry
  'metadata-missing',
  'metadata-invalid', // not JSON, too large, or fields missing or malformed
  'database-set', // the archive's databases are not exactly the managed ones
  'missing-database', // listed in the metadata, absent from the archive
  'size', // an entry's size differs from the metadata's size_bytes
  'checksum', // SHA-256 differs from the metadata's checksum
  'integrity', // PRAGMA integrity_check found problems
  'unexpected-encryption', // named .tar.gz, but its bytes are an age-encrypted file
  'missing-encryption', // named .tar.gz.age, but its bytes are a plain gzip (or not age at all)
  'age', // the age encryption is damaged, cut short or malformed (details.reason says which)
  'made-here', // the stored bytes are not the ones this installation wrote (size or SHA-256 differ from its record)
  'chain', // an increment's chain cannot be rebuilt: a link is missing, of another chain, or its pages do not fit (details.file names the link)
] as const;

export type ArchiveCheck = (typeof ARCHIVE_CHECKS)[number];

/** 422: which check failed, on which file (an entry name, or the archive itself). */
export function archiveInvalid(check: ArchiveCheck, file: string, message: string): DomainError {
  return new DomainError(ErrorCode.ArchiveInvalid, message, { check, file });
}

export function isArchiveInvalid(error: unknown): error is DomainError & { details: { check: ArchiveCheck; file: string } } {
  return error instanceof DomainError && error.code === ErrorCode.ArchiveInvalid;
}
