import { Injectable } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { formatBytes } from '../format.js';

/**
 * Free space on the filesystem of a folder: the one port backup and restore ask before they write,
 * a class so tests can stand in for a full disk.
 */
@Injectable()
export class DiskSpace {
  /** Free bytes available to this process on the filesystem holding `dir` (or its nearest existing parent). */
  async available(dir: string): Promise<number> {
    let probe = path.resolve(dir);
    while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
    const stats = await fs.promises.statfs(probe);
    return stats.bavail * stats.bsize;
  }

  /** Throws InsufficientDiskSpace, saying how much is needed and free, when `dir` has less than `needed` bytes free. */
  async ensure(dir: string, needed: number, purpose: string): Promise<void> {
    const free = await this.available(dir);
    if (free < needed) {
      throw new DomainError(
        ErrorCode.InsufficientDiskSpace,
        `Not enough free disk space for ${purpose}: ${formatBytes(needed)} needed in ${dir}, ${formatBytes(free)} free. Free up space or move the folder to a larger disk`,
        { path: dir, needed_bytes: needed, available_bytes: free },
      );
    }
  }
}
