import { Injectable } from '@nestjs/common';
import fs from 'node:fs';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { formatBytes } from '../format.js';
import { bounded, nearestExisting } from './bounded-fs.js';

/**
 * Room kept free beyond every estimate of what a write needs (a backup's snapshots and archive, a
 * restore's staged databases and safety copy, a verification's scratch folder), so that none of them
 * fills a disk to its last byte: SQLite, the log and the other programs on the disk still need some.
 * The one margin of the service: every free-space need is made with spaceNeed().
 */
export const FREE_SPACE_MARGIN = 64 * 1024 * 1024;

/** Free space some work needs in one folder: `bytes` must be free there, the margin included. */
export interface SpaceNeed {
  dir: string;
  bytes: number;
  /** What the space is for, in words: "the database snapshots". */
  purpose: string;
}

/** The need for an estimate of `estimate` bytes written into `dir`: the estimate plus the margin. */
export function spaceNeed(dir: string, estimate: number, purpose: string): SpaceNeed {
  return { dir, bytes: estimate + FREE_SPACE_MARGIN, purpose };
}

/** What a refused check knew, for a caller that words the refusal itself. */
export interface SpaceShortfall {
  dir: string;
  needed: number;
  free: number;
}

/**
 * Free space on the filesystem of a folder: the one port backup, restore and verification ask before
 * they write, a class so tests can stand in for a full disk. Every probe is bounded in time.
 */
@Injectable()
export class DiskSpace {
  /** Free bytes available to this process on the filesystem holding `dir` (or its nearest existing parent). */
  async available(dir: string): Promise<number> {
    const probe = await bounded('Looking up the folder', dir, nearestExisting(dir));
    const stats = await bounded('Reading the free space', probe, fs.promises.statfs(probe));
    return stats.bavail * stats.bsize;
  }

  /**
   * Throws InsufficientDiskSpace (507), saying how much is needed and free, when `dir` has less than
   * `needed` bytes free (make `needed` with spaceNeed(), which adds the margin). `refusal` words the
   * message for a caller whose user needs more than the default (what the space is made of, say).
   */
  async ensure(dir: string, needed: number, purpose: string, refusal?: (shortfall: SpaceShortfall) => string): Promise<void> {
    const free = await this.available(dir);
    if (free >= needed) return;
    const message =
      refusal?.({ dir, needed, free }) ??
      `Not enough free disk space for ${purpose}: ${formatBytes(needed)} needed in ${dir}, ${formatBytes(free)} free. Free up space or move the folder to a larger disk`;
    throw new DomainError(ErrorCode.InsufficientDiskSpace, message, { path: dir, needed_bytes: needed, available_bytes: free });
  }
}
