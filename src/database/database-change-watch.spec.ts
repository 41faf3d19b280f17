import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { DatabaseChangeWatch } from './database-change-watch.js';
import type { ManagedDatabase } from './managed-database.js';

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** `sql` committed by another process, through its own connection. */
function writeFromAnotherProcess(file: string, sql: string): void {
  const source = `const D = require(${JSON.stringify(driver)}); const db = new D(${JSON.stringify(file)}, { timeout: 5000 }); db.exec(${JSON.stringify(sql)}); db.close();`;
  execFileSync(process.execPath, ['-e', source]);
}

/** The file's modification time to the nanosecond, and a way to put it back exactly (touch -d @seconds.nanoseconds). */
function mtimeOf(file: string): { ns: bigint; restore: () => void } {
  const ns = fs.statSync(file, { bigint: true }).mtimeNs;
  const stamp = `@${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
  return { ns, restore: () => execFileSync('touch', ['-m', '-d', stamp, file]) };
}

describe('DatabaseChangeWatch: whether anyone committed to a database, without reading it', () => {
  let dir: string;
  let watch: DatabaseChangeWatch;
  let db: ManagedDatabase;
  let own: Database.Database;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-'));
    db = { name: 'cache', filename: 'cache.db', path: path.join(dir, 'cache.db') };
    // The service's own connection, as DatabaseRegistry holds one: it stays open, so the WAL is never removed.
    own = new Database(db.path);
    own.pragma('journal_mode = WAL');
    own.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const insert = own.prepare('INSERT INTO t (v) VALUES (?)');
    own.transaction(() => {
      for (let i = 0; i < 200; i++) insert.run('x'.repeat(100));
    })();
    watch = new DatabaseChangeWatch();
  });
  afterEach(() => {
    watch.onApplicationShutdown();
    own.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers unchanged while nobody writes, also when other connections only read', () => {
    const version = watch.versionOf(db)!;
    expect(version).not.toBeNull();
    own.prepare('SELECT count(*) FROM t').get();
    const reader = new Database(db.path, { readonly: true });
    reader.prepare('SELECT * FROM t').all();
    reader.close();
    expect(watch.unchangedSince(db, version)).toBe(true);
    expect(watch.unchangedSince(db, version)).toBe(true);
  });

  it('answers changed after a commit by the service’s own connection or another process', () => {
    const first = watch.versionOf(db)!;
    own.exec("UPDATE t SET v = 'y' WHERE id = 1");
    expect(watch.unchangedSince(db, first)).toBe(false);
    const second = watch.versionOf(db)!;
    writeFromAnotherProcess(db.path, "UPDATE t SET v = 'z' WHERE id = 2");
    expect(watch.unchangedSince(db, second)).toBe(false);
  });

  it('catches a commit that leaves the file, the header’s change counter, the WAL’s size and both modification times as they were', () => {
    // The WAL holds frames and is then checkpointed with RESTART: the next writer writes its frames from the WAL's
    // start again, so the WAL keeps its size; the database file is not touched before the next checkpoint.
    own.exec("UPDATE t SET v = 'a' WHERE id <= 100");
    own.pragma('wal_checkpoint(RESTART)');
    const version = watch.versionOf(db)!;
    const wal = `${db.path}-wal`;
    const before = { file: fs.readFileSync(db.path), walSize: fs.statSync(wal).size };
    const dbTime = mtimeOf(db.path);
    const walTime = mtimeOf(wal);

    writeFromAnotherProcess(db.path, "UPDATE t SET v = 'b' WHERE id = 3");
    dbTime.restore();
    walTime.restore();
    // Everything a look at the files could compare is as it was…
    expect(fs.readFileSync(db.path).equals(before.file)).toBe(true);
    expect(fs.statSync(wal).size).toBe(before.walSize);
    expect(fs.statSync(db.path, { bigint: true }).mtimeNs).toBe(dbTime.ns);
    expect(fs.statSync(wal, { bigint: true }).mtimeNs).toBe(walTime.ns);
    // …and the commit is still seen.
    expect(watch.unchangedSince(db, version)).toBe(false);
    expect(own.prepare('SELECT v FROM t WHERE id = 3').pluck().get()).toBe('b');
  });

  it('answers changed when the file was replaced under its name, and for a version another watch (a restart) took', () => {
    const version = watch.versionOf(db)!;
    const other = new DatabaseChangeWatch();
    try {
      const theirs = other.versionOf(db)!;
      expect(watch.unchangedSince(db, theirs)).toBe(false);
    } finally {
      other.onApplicationShutdown();
    }
    // A copy moved over the name: same bytes, another file.
    own.pragma('wal_checkpoint(TRUNCATE)');
    fs.copyFileSync(db.path, path.join(dir, 'copy.db'));
    fs.renameSync(path.join(dir, 'copy.db'), db.path);
    expect(watch.unchangedSince(db, version)).toBe(false);
  });

  it('answers null (read it) when the database cannot be opened', () => {
    expect(watch.versionOf({ ...db, path: path.join(dir, 'missing.db') })).toBeNull();
  });
});
