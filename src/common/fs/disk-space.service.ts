import { Injectable } from '@nestjs/common';
import { ensureFreeSpace, freeBytes } from './disk-space.js';

/**
 * Free space on the filesystem of a folder: the one port backup and restore ask before they write,
 * a class so tests can stand in for a full disk.
 */
@Injectable()
export class DiskSpace {
  available(dir: string): Promise<number> {
    return freeBytes(dir);
  }

  /** Throws InsufficientDiskSpace, saying how much is needed and free, when `dir` has less than `needed` bytes free. */
  ensure(dir: string, needed: number, purpose: string): Promise<void> {
    return ensureFreeSpace(dir, needed, purpose, this.available(dir));
  }
}
