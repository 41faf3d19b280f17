import fs from 'node:fs';
import path from 'node:path';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { formatBytes } from '../format.js';

/** Free bytes available to this process on the filesystem holding `dir` (or its nearest existing parent). */
export async function freeBytes(dir: string): Promise<number> {
  let probe = path.resolve(dir);
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  const stats = await fs.promises.statfs(probe);
  return stats.bavail * stats.bsize;
}

/** Throws InsufficientDiskSpace, saying how much is needed and free, when `dir` has less than `needed` bytes free. */
export async function ensureFreeSpace(dir: string, needed: number, purpose: string, available: Promise<number> = freeBytes(dir)): Promise<void> {
  const free = await available;
  if (free < needed) {
    throw new DomainError(
      ErrorCode.InsufficientDiskSpace,
      `Not enough free disk space for ${purpose}: ${formatBytes(needed)} needed in ${dir}, ${formatBytes(free)} free. Free up space or move the folder to a larger disk`,
      { dir, needed_bytes: needed, free_bytes: free },
    );
  }
}

/** fsync a directory so a rename or unlink in it is durable. */
export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
