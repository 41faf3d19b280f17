import { Injectable } from '@nestjs/common';
import fs from 'node:fs';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { formatBytes } from '../format.js';
import { bounded, nearestExisting } from './bounded-fs.js';

/**
 * Free space on the filesystem of a folder: the one port backup and restore ask before they write,
 * a class so tests can stand in for a full disk. Every probe is bounded in time.
 */
@Injectable()
export class DiskSpace {
  /** Free bytes available to this process on the filesystem holding `dir` (or its nearest existing parent). */
  async available(dir: string): Promise<number> {
    const probe = await bounded('Looking up the folder', dir, nearestExisting(dir));
    const stats = await bounded('Reading the free space', probe, fs.promises.statfs(probe));
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
