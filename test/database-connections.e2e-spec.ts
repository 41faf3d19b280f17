/**
 * The service's own connections to the managed databases (settings, targets, page counts): what they hold. Backups and
 * restores read the files through connections of their own, in worker threads.
 */
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe("The service's own database connections", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("keep SQLite's own 2 MB page cache, not better-sqlite3's 16 MB, so config.db's check at start does not stay in memory", async () => {
    // config.db's PRAGMA quick_check at open reads every page of it; with a 16 MB cache those pages stayed for the
    // life of the service (the idle service on the bench's 1000 MB data: 130-134 MB, 118-124 MB with 2 MB; bench/results-notes.md, stop 34).
    const registry = t.app.get(DatabaseRegistry);
    const caches: Record<string, number> = {};
    for (const db of registry.list()) {
      const source = await registry.dataSource(db.name);
      const [{ cache_size: kib }] = (await source.query('PRAGMA cache_size')) as Array<{ cache_size: number }>;
      caches[db.name] = kib;
    }
    expect(Object.keys(caches)).toHaveLength(7);
    expect(caches).toEqual(Object.fromEntries(registry.list().map((db) => [db.name, -2000])));
  });
});
