import fs from 'node:fs';
import path from 'node:path';
import type { BackupTarget } from '../backup-target.js';
import { type SpaceNeed, spaceNeed } from './disk-space.service.js';

export type { SpaceNeed } from './disk-space.service.js';

/** The databases' files as they are now (main file and -wal): what a backup copies. */
export function liveDatabaseBytes(databases: readonly { path: string }[]): number {
  return databases.reduce((sum, db) => sum + fileSize(db.path) + fileSize(`${db.path}-wal`), 0);
}

/**
 * What a backup of `liveBytes` needs, the one estimate the backup's own check and Test Connection
 * share: snapshots as large as the live databases in DATA_DIR, and for a local archive up to the same
 * again in its folder (less once compressed, but the estimate must hold for data that does not compress).
 * Each need includes the margin (spaceNeed); the backup passes them to DiskSpace.ensure.
 */
export function backupSpaceNeeds(target: BackupTarget, dataDir: string, liveBytes: number, localDir?: string): SpaceNeed[] {
  if (localDir !== undefined) {
    if (sameDevice(localDir, dataDir)) return [spaceNeed(dataDir, 2 * liveBytes, 'the database snapshots and the local archive')];
    return [spaceNeed(localDir, liveBytes, 'the local archive'), spaceNeed(dataDir, liveBytes, 'the database snapshots')];
  }
  return [spaceNeed(dataDir, liveBytes, 'the database snapshots')];
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function sameDevice(a: string, b: string): boolean {
  const existing = (p: string) => {
    let probe = path.resolve(p);
    while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
    return probe;
  };
  return fs.statSync(existing(a)).dev === fs.statSync(existing(b)).dev;
}
