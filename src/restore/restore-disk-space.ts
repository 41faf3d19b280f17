import { Injectable } from '@nestjs/common';
import { freeBytes } from '../common/fs/disk-space.js';

/** Free space on the filesystem of a folder; a class so tests can stand in for a full disk. */
@Injectable()
export class RestoreDiskSpace {
  available(dir: string): Promise<number> {
    return freeBytes(dir);
  }
}
