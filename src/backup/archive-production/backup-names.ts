import { namesOfSecond } from '../../archive-format/backup-filename.js';
import type { ObjectStorage } from '../../storage/object-storage.js';

/** How many later seconds a backup's name may move to when backups of its second already exist. */
export const NAME_ATTEMPTS = 60;

/** True when no backup of either kind and either encryption carries the second of `at` in `storage`. */
export async function secondIsFree(storage: ObjectStorage, at: Date): Promise<boolean> {
  for (const name of namesOfSecond(at)) if (await storage.head(name)) return false;
  return true;
}

/**
 * The second a backup made at `at` would be named for (ArchiveProducer's free name: the first second from `at`'s
 * that no backup carries), looked up only while it is not after `until`: past that, a later second is all a caller
 * needs to know, and nothing is asked of the target.
 */
export async function nameSecondUntil(storage: ObjectStorage, at: Date, until: Date): Promise<Date> {
  let second = new Date(Math.floor(at.getTime() / 1000) * 1000);
  for (let offset = 0; offset < NAME_ATTEMPTS && second.getTime() <= until.getTime(); offset++) {
    if (await secondIsFree(storage, second)) return second;
    second = new Date(second.getTime() + 1000);
  }
  return second;
}
