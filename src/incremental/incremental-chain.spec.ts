import Database from 'better-sqlite3';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { incrementalBackupFilename } from '../archive-format/backup-filename.js';
import { type IncrementalMetadata, incrementalMetadataProblems } from '../archive-format/incremental-metadata.js';
import { integrityCheck } from '../database/sqlite-snapshot.js';
import { IncrementChainError } from './increment-chain-error.js';
import { applyIncrementChain, type IncrementToApply } from './increment-chain-applier.js';
import { incrementEntryOf } from './increment-entry.js';
import { diffPages, type PageChanges } from './page-diff.js';
import { previousPagesOf } from './page-index.js';
import { PageIndexStore } from './page-index-store.js';
import { type PageSnapshot, pageStableSnapshot } from './page-stable-snapshot.js';
import { PageWorkerPool } from './page-worker-pool.js';

const driver = createRequire(import.meta.url).resolve('better-sqlite3');
const FULL = 'sentinel-backup-2026-12-03-030000.tar.gz';

/**
 * A second process that writes to the live database without pause: each transaction inserts a row, updates
 * two rows anywhere in the table and keeps a counter equal to the number of rows, so a copy that mixed two points in
 * time would show a counter that disagrees with its rows.
 */
const WRITER = String.raw`
const Database = require(process.argv[2]);
const db = new Database(process.argv[3], { timeout: 10000 });
db.pragma('synchronous = NORMAL');
const write = db.transaction((i) => {
  db.prepare('INSERT INTO t (v) VALUES (?)').run(Buffer.alloc(300, i % 251));
  db.prepare('UPDATE t SET v = ? WHERE id IN (?, ?)').run(Buffer.alloc(300, (i * 7) % 251), 1 + ((i * 7919) % 6000), 1 + ((i * 104729) % 6000));
  db.prepare('UPDATE counter SET n = (SELECT count(*) FROM t)').run();
});
let i = 0;
// setImmediate between commits only lets the 'ready' message out: the writer never pauses.
const loop = () => {
  write(i++);
  if (i === 100) process.send('ready');
  setImmediate(loop);
};
loop();
`;

function createLive(file: string, rows: number): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB); CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(Buffer.alloc(300, i % 251));
  })();
  db.exec('UPDATE counter SET n = (SELECT count(*) FROM t)');
  return db;
}

/**
 * Every table's rows, in order, as the database at `file` holds them: one SHA-256 per table of its rows as JSON
 * (blobs in hex), as deep equality of tens of thousands of rows of blobs takes jest half a minute.
 */
function isBufferJson(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer';
}

function tableRows(file: string): Record<string, string> {
  const db = new Database(file, { readonly: true });
  const json = (rows: unknown[]) => JSON.stringify(rows, (_key, value: unknown) => (isBufferJson(value) ? Buffer.from(value.data).toString('hex') : value));
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(
      tables.map((t) => [
        t,
        createHash('sha256')
          .update(json(db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()))
          .digest('hex'),
      ]),
    );
  } finally {
    db.close();
  }
}

describe('incremental backups: page-stable snapshots, page diffs, the page index and chains', () => {
  let dir: string;
  let writer: ChildProcess | undefined;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'incr-'))));
  afterEach(async () => {
    if (writer && writer.exitCode === null && writer.signalCode === null) {
      const exited = new Promise((resolve) => writer!.once('exit', resolve));
      writer.kill('SIGKILL');
      await exited;
    }
    writer = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function snapshotInto(live: string, folder: string): Promise<PageSnapshot> {
    fs.mkdirSync(folder, { recursive: true });
    return pageStableSnapshot(live, path.join(folder, 'ledger.db'));
  }

  it('rebuilds each point of a chain (full + 3 increments) taken under a concurrent writer, byte for byte', async () => {
    const live = path.join(dir, 'ledger.db');
    createLive(live, 6000).close();
    fs.writeFileSync(path.join(dir, 'writer.cjs'), WRITER);
    writer = spawn(process.execPath, [path.join(dir, 'writer.cjs'), driver, live], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((resolve) => writer!.once('message', resolve));
    const store = new PageIndexStore(path.join(dir, 'data'));

    const full = await snapshotInto(live, path.join(dir, 'point-0'));
    await store.write('local', {
      base: FULL,
      base_size: full.bytes,
      last: FULL,
      increments: 0,
      increments_bytes: 0,
      databases: [{ name: 'ledger', page_size: full.pageSize, page_count: full.pageCount, sha256: full.sha256, hashes: full.hashesFile }],
    });
    const increments: IncrementToApply[] = [];
    const points: PageSnapshot[] = [full];
    for (let k = 1; k <= 3; k++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const folder = path.join(dir, `point-${k}`);
      const snapshot = await snapshotInto(live, folder);
      const read = await store.read('local');
      if (!read.usable) throw new Error(read.reason.message);
      const previous = read.index.databases[0];
      const changes = await diffPages('ledger', previousPagesOf(previous, read.folder), snapshot, path.join(folder, 'ledger.db.pages'), {
        // However fast the writer is on this machine, this test is about what a chain rebuilds, not when it is too long.
        maxShare: 1,
      });
      if (changes.kind !== 'changes') throw new Error(changes.reason.message);
      expect(changes.changedCount).toBeGreaterThan(0);
      const name = incrementalBackupFilename(new Date(Date.UTC(2026, 11, 3, 9, k * 15)));
      const metadata: IncrementalMetadata = {
        timestamp: `2026-12-03T09:${k * 15}:00Z`,
        version: '1.0.0',
        sentinel_version: '0.1.0',
        kind: 'incremental',
        base: FULL,
        parent: read.index.last,
        databases: [incrementEntryOf('ledger', snapshot, changes)],
      };
      expect(incrementalMetadataProblems(metadata, new Map([['ledger', changes.pagesFile!.bytes]]))).toEqual([]);
      increments.push({ name, metadata, pagesFiles: new Map([['ledger', changes.pagesFile!.path]]) });
      points.push(snapshot);
      await store.write('local', {
        ...read.index,
        last: name,
        increments: k,
        increments_bytes: read.index.increments_bytes + changes.pagesFile!.bytes,
        databases: [{ name: 'ledger', page_size: snapshot.pageSize, page_count: snapshot.pageCount, sha256: snapshot.sha256, hashes: snapshot.hashesFile }],
      });
    }
    const stopped = new Promise((resolve) => writer!.once('exit', resolve));
    writer.kill('SIGKILL');
    await stopped;

    for (let k = 1; k <= 3; k++) {
      const rebuild = path.join(dir, `rebuild-${k}`);
      fs.mkdirSync(rebuild);
      fs.copyFileSync(full.file, path.join(rebuild, 'ledger.db'));
      const [rebuilt] = await applyIncrementChain(rebuild, increments.slice(0, k));
      expect(rebuilt.sha256).toBe(points[k].sha256);
      expect(fs.readFileSync(rebuilt.file).equals(fs.readFileSync(points[k].file))).toBe(true);
      const rows = tableRows(rebuilt.file);
      expect(rows).toEqual(tableRows(points[k].file));
      // One point in time: the counter agrees with the rows it counts.
      const copy = new Database(rebuilt.file, { readonly: true });
      expect(copy.prepare('SELECT (SELECT n FROM counter) = (SELECT count(*) FROM t) AS consistent').get()).toEqual({ consistent: 1 });
      copy.close();
      expect(await integrityCheck(rebuilt.file)).toEqual([]);
    }
    // The points differ from one another: the writer went on between them.
    expect(new Set(points.map((p) => p.sha256)).size).toBe(4);
  });

  it('writes about 1 % of the database when 1 % of its pages changed, and no pages file when nothing changed', async () => {
    const live = path.join(dir, 'ledger.db');
    const db = createLive(live, 12000);
    const before = await snapshotInto(live, path.join(dir, 'a'));
    const same = await snapshotInto(live, path.join(dir, 'b'));
    const unchanged = await diffPages('ledger', { ...before }, same, path.join(dir, 'b', 'ledger.db.pages'));
    expect(unchanged).toEqual({ kind: 'changes', changedPages: [], changedCount: 0, share: 0, pagesFile: null });
    expect(fs.existsSync(path.join(dir, 'b', 'ledger.db.pages'))).toBe(false);

    // About 13 rows a page: one row in each of 1 % of the leaf pages.
    const leafPages = Math.floor(before.pageCount * 0.01);
    const update = db.prepare('UPDATE t SET v = ? WHERE id = ?');
    for (let i = 0; i < leafPages; i++) update.run(Buffer.alloc(300, 7), 1 + i * Math.floor(12000 / leafPages));
    db.close();
    const after = await snapshotInto(live, path.join(dir, 'c'));
    const changes = await diffPages('ledger', before, after, path.join(dir, 'c', 'ledger.db.pages'));
    if (changes.kind !== 'changes') throw new Error(changes.reason.message);
    expect(changes.share).toBeGreaterThan(0.008);
    expect(changes.share).toBeLessThan(0.015);
    expect(changes.pagesFile!.bytes).toBe(changes.changedCount * after.pageSize);
    expect(fs.statSync(changes.pagesFile!.path).size / after.bytes).toBeLessThan(0.015);
  });

  it('finds, while a snapshot is hashed, exactly the pages diffPages finds (changed, grown, freed, none, too many, page size)', async () => {
    const live = path.join(dir, 'ledger.db');
    const db = createLive(live, 12000);
    let previous = await snapshotInto(live, path.join(dir, 'p0'));
    /** A snapshot that compares with `previous` as it hashes, against diffPages of the same copy into another file. */
    const both = async (k: number, maxShare?: number) => {
      const folder = path.join(dir, `p${k}`);
      fs.mkdirSync(folder);
      const pagesFile = path.join(folder, 'ledger.db.pages');
      const snapshot = await pageStableSnapshot(live, path.join(folder, 'ledger.db'), {
        compareWith: { name: 'ledger', previous, pagesFile, maxShare },
      });
      const separately = await diffPages('ledger', previous, snapshot, path.join(folder, 'separately.pages'), { maxShare });
      const { pagesFile: inlineFile, ...inline } = snapshot.changes as Extract<PageSnapshot['changes'], { kind: 'changes' }>;
      if (separately.kind === 'changes') {
        const { pagesFile: separateFile, ...rest } = separately;
        expect(inline).toEqual(rest);
        expect(inlineFile === null).toBe(separateFile === null);
        if (inlineFile && separateFile) {
          expect({ bytes: inlineFile.bytes, sha256: inlineFile.sha256 }).toEqual({ bytes: separateFile.bytes, sha256: separateFile.sha256 });
          expect(fs.readFileSync(inlineFile.path).equals(fs.readFileSync(separateFile.path))).toBe(true);
        } else expect(fs.existsSync(pagesFile)).toBe(false);
      } else {
        expect(snapshot.changes).toEqual(separately);
        expect(fs.existsSync(pagesFile)).toBe(false);
      }
      previous = snapshot;
      return snapshot.changes!;
    };

    expect(await both(1)).toEqual({ kind: 'changes', changedPages: [], changedCount: 0, share: 0, pagesFile: null });
    db.prepare('UPDATE t SET v = ? WHERE id % 97 = 3').run(Buffer.alloc(300, 9));
    const scattered = await both(2);
    expect(scattered).toMatchObject({ kind: 'changes', pagesFile: { bytes: expect.any(Number) } });
    expect((scattered as PageChanges).changedPages.length).toBeGreaterThan(10);
    // Grown: the new pages past the previous end count as changed; then rows deleted (pages freed).
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 1500; i++) insert.run(Buffer.alloc(300, 4));
    })();
    const grown = (await both(3)) as PageChanges;
    expect(grown.changedPages.at(-1)![1]).toBe(previous.pageCount);
    db.exec('DELETE FROM t WHERE id > 12500');
    db.pragma('wal_checkpoint(TRUNCATE)');
    await both(4);
    // More than maxShare changed: no pages file, the share measured.
    db.prepare('UPDATE t SET v = ? WHERE id % 2 = 0').run(Buffer.alloc(300, 5));
    expect(await both(5, 0.2)).toMatchObject({ kind: 'needs-full', reason: { code: 'too-many-pages-changed' } });
    db.pragma('journal_mode = DELETE');
    db.pragma('page_size = 8192');
    db.exec('VACUUM');
    db.close();
    expect(await both(6)).toMatchObject({ kind: 'needs-full', reason: { code: 'page-size-changed' } });
  });

  it('answers needs-full when a VACUUM rewrote the database, with the share of changed pages', async () => {
    const live = path.join(dir, 'ledger.db');
    const db = createLive(live, 3000);
    db.exec('CREATE TABLE other (v BLOB)');
    const insert = db.prepare('INSERT INTO other VALUES (?)');
    for (let i = 0; i < 3000; i++) insert.run(Buffer.alloc(200, 1));
    db.exec('DELETE FROM t WHERE id % 2 = 0');
    const before = await snapshotInto(live, path.join(dir, 'a'));
    db.exec('VACUUM');
    db.close();
    const after = await snapshotInto(live, path.join(dir, 'b'));
    const result = await diffPages('ledger', before, after, path.join(dir, 'b', 'ledger.db.pages'));
    expect(result).toMatchObject({ kind: 'needs-full', reason: { code: 'too-many-pages-changed' } });
    expect(result.share).toBeGreaterThan(0.9);
    expect(fs.existsSync(path.join(dir, 'b', 'ledger.db.pages'))).toBe(false);
  });

  it('stops a snapshot when its signal is aborted', async () => {
    const live = path.join(dir, 'ledger.db');
    createLive(live, 3000).close();
    const controller = new AbortController();
    const snapshot = pageStableSnapshot(live, path.join(dir, 'copy.db'), { signal: controller.signal });
    controller.abort(new Error('cancelled by the test'));
    await expect(snapshot).rejects.toThrow('cancelled by the test');
  });

  it('runs snapshots in kept threads (PageWorkerPool) as in threads of their own; one stopped by its signal leaves the pool usable', async () => {
    const live = path.join(dir, 'ledger.db');
    createLive(live, 3000).close();
    const own = await snapshotInto(live, path.join(dir, 'own'));
    const pool = new PageWorkerPool(60_000);
    try {
      fs.mkdirSync(path.join(dir, 'pooled'));
      const pooled = await Promise.all([0, 1, 2, 3].map((i) => pageStableSnapshot(live, path.join(dir, 'pooled', `${i}.db`), { runner: pool })));
      for (const snapshot of pooled) expect({ ...snapshot, file: '', hashesFile: '' }).toEqual({ ...own, file: '', hashesFile: '' });
      expect(fs.readFileSync(pooled[3].hashesFile).equals(fs.readFileSync(own.hashesFile))).toBe(true);

      const controller = new AbortController();
      const stopped = pageStableSnapshot(live, path.join(dir, 'pooled', 'stopped.db'), { runner: pool, signal: controller.signal });
      controller.abort(new Error('cancelled by the test'));
      await expect(stopped).rejects.toThrow('cancelled by the test');
      // A failing operation answers its error, and the next one runs.
      await expect(pageStableSnapshot(live, path.join(dir, 'pooled', '0.db'), { runner: pool })).rejects.toThrow('already exists');
      const after = await pageStableSnapshot(live, path.join(dir, 'pooled', 'after.db'), { runner: pool });
      expect(after.sha256).toBe(own.sha256);
    } finally {
      await pool.close();
    }
    await expect(pageStableSnapshot(live, path.join(dir, 'pooled', 'closed.db'), { runner: pool })).rejects.toThrow('shut down');
  });

  it('answers needs-full when the page size changed', async () => {
    const live = path.join(dir, 'ledger.db');
    const db = createLive(live, 500);
    const before = await snapshotInto(live, path.join(dir, 'a'));
    db.pragma('journal_mode = DELETE');
    db.pragma('page_size = 8192');
    db.exec('VACUUM');
    db.close();
    const after = await snapshotInto(live, path.join(dir, 'b'));
    expect(after.pageSize).toBe(8192);
    const result = await diffPages('ledger', before, after, path.join(dir, 'b', 'ledger.db.pages'));
    expect(result).toMatchObject({ kind: 'needs-full', reason: { code: 'page-size-changed', message: expect.stringContaining('from 4096 to 8192') } });
  });

  it('refuses a damaged pages file naming the increment, before writing any page; the points before it still rebuild', async () => {
    const live = path.join(dir, 'ledger.db');
    const db = createLive(live, 3000);
    const full = await snapshotInto(live, path.join(dir, 'point-0'));
    const increments: IncrementToApply[] = [];
    let previous: PageSnapshot = full;
    let parent = FULL;
    for (let k = 1; k <= 2; k++) {
      db.prepare('UPDATE t SET v = ? WHERE id % 50 = ?').run(Buffer.alloc(300, k), k);
      const folder = path.join(dir, `point-${k}`);
      const snapshot = await snapshotInto(live, folder);
      const changes = await diffPages('ledger', previous, snapshot, path.join(folder, 'ledger.db.pages'));
      if (changes.kind !== 'changes') throw new Error(changes.reason.message);
      const name = incrementalBackupFilename(new Date(Date.UTC(2026, 11, 3, 10, k)));
      const metadata: IncrementalMetadata = {
        timestamp: `2026-12-03T10:0${k}:00Z`,
        version: '1.0.0',
        sentinel_version: '0.1.0',
        kind: 'incremental',
        base: FULL,
        parent,
        databases: [incrementEntryOf('ledger', snapshot, changes)],
      };
      increments.push({ name, metadata, pagesFiles: new Map([['ledger', changes.pagesFile!.path]]) });
      previous = snapshot;
      parent = name;
    }
    db.close();
    const damaged = increments[1].pagesFiles.get('ledger')!;
    const fd = fs.openSync(damaged, 'r+');
    fs.writeSync(fd, Buffer.from([0xff, 0x00, 0xff]), 0, 3, 100);
    fs.closeSync(fd);

    const rebuild = path.join(dir, 'rebuild');
    fs.mkdirSync(rebuild);
    fs.copyFileSync(full.file, path.join(rebuild, 'ledger.db'));
    const refused = applyIncrementChain(rebuild, increments);
    await expect(refused).rejects.toThrow(IncrementChainError);
    await expect(refused).rejects.toThrow(`Increment ${increments[1].name}, database ledger: its ledger.db.pages has sha256:`);
    // Nothing was written: the file is still the full backup's.
    expect(fs.readFileSync(path.join(rebuild, 'ledger.db')).equals(fs.readFileSync(full.file))).toBe(true);

    // A cut pages file and a missing one are refused the same way, nothing written.
    fs.truncateSync(damaged, 4096);
    await expect(applyIncrementChain(rebuild, increments)).rejects.toThrow(
      `Increment ${increments[1].name}, database ledger: its ledger.db.pages holds 4096 bytes, not the`,
    );
    fs.rmSync(damaged);
    await expect(applyIncrementChain(rebuild, increments)).rejects.toThrow(
      `Increment ${increments[1].name}, database ledger: its ledger.db.pages cannot be read`,
    );
    await expect(applyIncrementChain(rebuild, [increments[0], { ...increments[1], pagesFiles: new Map() }])).rejects.toThrow(
      `Increment ${increments[1].name}, database ledger: its ledger.db.pages is missing`,
    );
    expect(fs.readFileSync(path.join(rebuild, 'ledger.db')).equals(fs.readFileSync(full.file))).toBe(true);

    const [first] = await applyIncrementChain(rebuild, increments.slice(0, 1));
    expect(fs.readFileSync(first.file).equals(fs.readFileSync(path.join(dir, 'point-1', 'ledger.db')))).toBe(true);

    // A link missing from the chain is named too.
    fs.copyFileSync(full.file, path.join(rebuild, 'ledger.db'));
    await expect(applyIncrementChain(rebuild, increments.slice(1))).rejects.toThrow(
      `Increment ${increments[1].name}: it was made after ${increments[0].name}, not after ${FULL}`,
    );
  });
});
