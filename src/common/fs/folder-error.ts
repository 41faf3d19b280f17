import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { formatBytes } from '../format.js';

/** What was known when a write failed: for a message that says how far it got. */
export interface WriteFacts {
  written?: number;
  free?: number;
}

/**
 * A file-system error on a folder in words a user can act on: what could not be done, where, why,
 * and what to do. `setting` is what to change (local_backup_dir for the backup folder); `target` the folder
 * target the error is about (the built-in local when not given).
 */
export function folderError(
  error: unknown,
  action: string,
  dir: string,
  options: { setting?: string; what?: string; facts?: WriteFacts; target?: string } = {},
): DomainError {
  if (error instanceof DomainError) return error;
  const setting = options.setting ?? 'local_backup_dir';
  const code = (error as NodeJS.ErrnoException)?.code;
  const details = { target: options.target ?? 'local', dir, cause: code };
  const cannot = `Could not ${action} ${options.what ?? 'the backup folder'} ${dir}`;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new DomainError(
        ErrorCode.StorageAccessDenied,
        `${cannot}: permission denied. Give the service's user read and write access to it, or change ${setting}`,
        details,
        { cause: error },
      );
    case 'EROFS':
      return new DomainError(ErrorCode.StorageAccessDenied, `${cannot}: the file system is read-only. Change ${setting}`, details, { cause: error });
    case 'ENOSPC':
    case 'EDQUOT': {
      const { written, free } = options.facts ?? {};
      const sizes = [
        written !== undefined ? `${formatBytes(written)} written before it filled up` : '',
        free !== undefined ? `${formatBytes(free)} free now` : '',
      ]
        .filter(Boolean)
        .join(', ');
      const full = code === 'EDQUOT' ? 'the disk quota is used up' : 'the disk is full';
      return new DomainError(
        ErrorCode.InsufficientDiskSpace,
        `${cannot}: ${full}${sizes ? ` (${sizes})` : ''}. The unfinished file was removed. Free space, lower the retention days, or change ${setting} to a larger disk`,
        { ...details, ...(written !== undefined ? { written_bytes: written } : {}), ...(free !== undefined ? { available_bytes: free } : {}) },
        { cause: error },
      );
    }
    case 'ENOTDIR':
    case 'EEXIST':
      return new DomainError(ErrorCode.StorageNotConfigured, `${cannot}: part of the path is a file, not a folder. Point ${setting} at a folder`, details, {
        cause: error,
      });
    case 'ENOENT':
      return new DomainError(
        ErrorCode.StorageNotConfigured,
        `${cannot}: it or a folder above it does not exist and cannot be created there. Point ${setting} at a folder on a disk`,
        details,
        { cause: error },
      );
    default:
      return new DomainError(ErrorCode.StorageUnavailable, `${cannot}: ${code ?? (error as Error)?.message ?? 'unknown error'}`, details, { cause: error });
  }
}
