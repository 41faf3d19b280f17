import type { BackupCatalogService, ListedBackup } from '../backup/backup-catalog.service.js';
import { BackupCompletedEvent } from '../backup/backup.events.js';
import { Clock } from '../common/clock.js';
import { StoredBackupsCache } from './stored-backups.cache.js';

class TestClock extends Clock {
  at = Date.parse('2026-06-01T12:00:00Z');
  override now(): Date {
    return new Date(this.at);
  }
}

/** A catalog whose listings the test answers one by one. */
class TestCatalog {
  calls = 0;
  private pending: Array<{ resolve: (list: ListedBackup[]) => void; reject: (error: Error) => void }> = [];
  list(): Promise<ListedBackup[]> {
    this.calls++;
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  answer(sizes: number[]): void {
    this.pending.shift()!.resolve(sizes.map((sizeBytes) => ({ sizeBytes }) as ListedBackup));
  }
  fail(message: string): void {
    this.pending.shift()!.reject(new Error(message));
  }
}

describe('StoredBackupsCache', () => {
  let clock: TestClock;
  let catalog: TestCatalog;
  let cache: StoredBackupsCache;
  beforeEach(() => {
    clock = new TestClock();
    catalog = new TestCatalog();
    cache = new StoredBackupsCache(catalog as unknown as BackupCatalogService, { overdueGrace: 0.25, storedBackupsMaxAgeMs: 300_000 }, clock);
  });

  it('lists once, then answers from the listing until it is older than the maximum age', async () => {
    const first = cache.get('local');
    catalog.answer([100, 200]);
    expect(await first).toMatchObject({ count: 2, bytes: 300 });
    clock.at += 299_000;
    expect(await cache.get('local')).toMatchObject({ count: 2, bytes: 300 });
    expect(catalog.calls).toBe(1);
    clock.at += 1000;
    // Stale: answered with the earlier listing at once, the new one made behind it.
    expect(await cache.get('local')).toMatchObject({ count: 2, bytes: 300 });
    catalog.answer([100]);
    await cache.refresh('local');
    expect(await cache.get('local')).toMatchObject({ count: 1, bytes: 100 });
    expect(catalog.calls).toBe(2);
  });

  it('never holds a scrape on a listing that hangs when an earlier listing exists: it answers with that one at once', async () => {
    const first = cache.get('r2');
    catalog.answer([5]);
    await first;
    clock.at += 300_000;
    // The wait allowed is far beyond the test's timeout: only an answer that does not wait can pass.
    expect(await cache.get('r2', 2_000_000_000)).toMatchObject({ count: 1, bytes: 5 });
    expect(catalog.calls).toBe(2);
    // The hanging listing is not started again by the next scrape, nor waited for.
    expect(await cache.get('r2', 2_000_000_000)).toMatchObject({ count: 1 });
    expect(catalog.calls).toBe(2);
    expect(cache.lastListingSucceeded('r2')).toBe(true);
    catalog.fail('timed out');
    await cache.refresh('r2');
    expect(cache.lastListingSucceeded('r2')).toBe(false);
  });

  it('a first listing that hangs is waited for once (at most the wait), not again by the next scrapes', async () => {
    expect(await cache.get('r2', 5)).toBeUndefined();
    expect(cache.lastListingSucceeded('r2')).toBeUndefined();
    clock.at += 60_000;
    expect(await cache.get('r2', 2_000_000_000)).toBeUndefined();
    expect(catalog.calls).toBe(1);
  });

  it('lists again after a backup completed, and keeps the previous values when a listing fails, trying again a minute later', async () => {
    const first = cache.get('local');
    catalog.answer([1]);
    await first;
    cache.onBackupCompleted(new BackupCompletedEvent('job', 'local', 'f', 2, 1, { sha256: 'x', encrypted: false, recipients: null }, 'full', null));
    expect(catalog.calls).toBe(2);
    catalog.answer([1, 2]);
    await cache.refresh('local');
    expect(await cache.get('local')).toMatchObject({ count: 2, bytes: 3 });

    clock.at += 300_000;
    expect(await cache.get('local')).toMatchObject({ count: 2, bytes: 3 });
    catalog.fail('storage unreachable');
    await cache.refresh('local');
    expect(await cache.get('local')).toMatchObject({ count: 2, bytes: 3 });
    expect(cache.lastListingSucceeded('local')).toBe(false);
    clock.at += 59_000;
    await cache.get('local');
    expect(catalog.calls).toBe(3);
    clock.at += 1000;
    await cache.get('local');
    catalog.answer([]);
    await cache.refresh('local');
    expect(await cache.get('local')).toMatchObject({ count: 0, bytes: 0 });
    expect(cache.lastListingSucceeded('local')).toBe(true);
  });
});
