import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { digestFile, integrityCheck, snapshotDatabase } from './sqlite-snapshot.js';

describe('sqlite snapshot helpers', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snap-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('copies commits that are still in the WAL file, into a self-contained copy', async () => {
    const source = path.join(dir, 'live.db');
    const live = new Database(source);
    live.pragma('journal_mode = WAL');
    live.pragma('wal_autocheckpoint = 0'); // keep every commit in the -wal file
    live.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = live.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 500; i++) insert.run(`row ${i}`);
    expect(fs.statSync(`${source}-wal`).size).toBeGreaterThan(0);

    const dest = path.join(dir, 'copy.db');
    const digest = await snapshotDatabase(source, dest);
    live.close();

    expect(digest.bytes).toBe(fs.statSync(dest).size);
    expect(digest.sha256).toBe(createHash('sha256').update(fs.readFileSync(dest)).digest('hex'));
    expect(fs.existsSync(`${dest}-wal`)).toBe(false);
    const copy = new Database(dest, { readonly: true });
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(copy.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 500 });
    copy.close();
    expect(await integrityCheck(dest)).toEqual([]);
    expect(await digestFile(dest)).toEqual(digest);
  });

  it('reports a damaged database', async () => {
    const file = path.join(dir, 'bad.db');
    const db = new Database(file);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX iv ON t(v)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 2000; i++) insert.run(`value ${i} ${'x'.repeat(50)}`);
    db.close();
    // Overwrite the middle of the file (index and table pages) with garbage.
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, 4096 * 3);
    fs.closeSync(fd);
    const problems = await integrityCheck(file).catch((e: Error) => [e.message]);
    expect(problems.length).toBeGreaterThan(0);
  });

  it('fails clearly when the source does not exist', async () => {
    await expect(snapshotDatabase(path.join(dir, 'missing.db'), path.join(dir, 'out.db'))).rejects.toThrow(/unable to open|does not exist|no such file/i);
  });
});
