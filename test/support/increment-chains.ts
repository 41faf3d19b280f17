/**
 * Chains of a full backup and increments for the restore tests, made honestly with the engine's own classes
 * (docs/incremental-backups.md) from real SQLite files while another process writes to them: each point is a
 * page-stable snapshot of every database (pageStableSnapshot: SQLite's online backup API), the full backup's
 * archive written by the service's ArchiveWriter, an increment's pages found by diffPages against the previous
 * point's page hashes and described by incrementEntryOf, packed as the format says (backup-metadata.json first,
 * then the `<name>.db.pages` files) by the service's ArchiveWriter. Each point keeps the rows its snapshot holds: what a full
 * backup made at that moment would restore.
 */
import Database from 'better-sqlite3';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { backupFilename, incrementalBackupFilename } from '../../src/archive-format/backup-filename.js';
import type { BackupMetadata } from '../../src/archive-format/backup-metadata.js';
import type { IncrementalDatabaseEntry, IncrementalMetadata } from '../../src/archive-format/incremental-metadata.js';
import { ArchiveWriter, fullArchiveContents } from '../../src/backup/archive-writer/archive-writer.js';
import { incrementEntryOf } from '../../src/incremental/increment-entry.js';
import { diffPages, type PreviousPages } from '../../src/incremental/page-diff.js';
import { pageStableSnapshot } from '../../src/incremental/page-stable-snapshot.js';
import { ALL_DATABASES, writeDatabase } from '../fixtures/restore-archives.js';

/** Every table's rows, by table, in rowid order. */
export type TableRows = Record<string, unknown[]>;

/** One restorable point of a chain. */
export interface ChainPoint {
  name: string;
  kind: 'full' | 'incremental';
  /** By database: what a full backup made at that moment holds. */
  rows: Record<string, TableRows>;
  /** The point's work folder: its snapshots (and an increment's pages files and metadata). */
  work: string;
}

/** Every table of a SQLite file and its rows (rowid order), read with a read-only connection of its own. */
export function tableRows(file: string): TableRows {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
  } finally {
    db.close();
  }
}

/** The rows of each database in `dir`, for the tables `like` holds (a service may add tables of its own after a restore). */
export function rowsIn(dir: string, like: Record<string, TableRows>): Record<string, TableRows> {
  return Object.fromEntries(
    Object.entries(like).map(([name, tables]) => {
      const found = tableRows(path.join(dir, `${name}.db`));
      return [name, Object.fromEntries(Object.keys(tables).map((table) => [table, found[table]]))];
    }),
  );
}

/**
 * A chain being made from the databases in `source` into `folder` (a local target's backup folder), one point per
 * call, each a second after the last. Work folders live in `scratch`.
 */
export class TestChain {
  readonly points: ChainPoint[] = [];
  private previous = new Map<string, PreviousPages>();
  private base: string | undefined;
  private clock: Date;

  constructor(
    private readonly source: string,
    private readonly names: readonly string[],
    private readonly folder: string,
    private readonly scratch: string,
    start = new Date(Date.UTC(2026, 11, 3, 3, 0, 0)),
  ) {
    this.clock = start;
  }

  /** A full backup of the source as it is now (page-stable snapshots, the service's archive writer). */
  async full(): Promise<ChainPoint> {
    const at = this.tick();
    const name = backupFilename(at);
    const work = this.workFolder(name);
    const databases: BackupMetadata['databases'] = [];
    const rows: Record<string, TableRows> = {};
    const previous = new Map<string, PreviousPages>();
    for (const db of this.names) {
      const snapshot = await pageStableSnapshot(path.join(this.source, `${db}.db`), path.join(work, `${db}.db`), {
        hashesFile: path.join(work, `${db}.hashes`),
      });
      databases.push({ name: db, filename: `${db}.db`, size_bytes: snapshot.bytes, checksum: `sha256:${snapshot.sha256}` });
      previous.set(db, { pageSize: snapshot.pageSize, pageCount: snapshot.pageCount, hashesFile: snapshot.hashesFile });
      rows[db] = tableRows(snapshot.file);
    }
    const metadata: BackupMetadata = { timestamp: iso(at), version: '1.0.0', sentinel_version: '0.1.0', databases };
    await pipeline(
      new ArchiveWriter([]).open(fullArchiveContents(work, metadata), { target: 'local' }),
      fs.createWriteStream(path.join(this.folder, name), { flags: 'wx' }),
    );
    this.previous = previous;
    this.base = name;
    return this.add({ name, kind: 'full', rows, work });
  }

  /** An increment of the source as it is now against the chain's last point (diffPages of page-stable snapshots). */
  async increment(): Promise<ChainPoint> {
    if (!this.base) throw new Error('make the full backup first');
    const at = this.tick();
    const name = incrementalBackupFilename(at);
    const work = this.workFolder(name);
    const databases: IncrementalDatabaseEntry[] = [];
    const rows: Record<string, TableRows> = {};
    const previous = new Map<string, PreviousPages>();
    for (const db of this.names) {
      const snapshot = await pageStableSnapshot(path.join(this.source, `${db}.db`), path.join(work, `${db}.db`), {
        hashesFile: path.join(work, `${db}.hashes`),
      });
      // Every share of changed pages is an increment here: the test decides what a point holds, not the policy.
      const changes = await diffPages(db, this.previous.get(db) as PreviousPages, snapshot, path.join(work, `${db}.db.pages`), { maxShare: 1 });
      if (changes.kind !== 'changes') throw new Error(`the test chain needs an increment of ${db}: ${changes.reason.message}`);
      databases.push(incrementEntryOf(db, snapshot, changes));
      previous.set(db, { pageSize: snapshot.pageSize, pageCount: snapshot.pageCount, hashesFile: snapshot.hashesFile });
      rows[db] = tableRows(snapshot.file);
    }
    const parent = this.points[this.points.length - 1].name;
    const metadata: IncrementalMetadata = {
      timestamp: iso(at),
      version: '1.0.0',
      sentinel_version: '0.1.0',
      kind: 'incremental',
      base: this.base,
      parent,
      databases,
    };
    await this.pack(work, metadata, path.join(this.folder, name));
    this.previous = previous;
    return this.add({ name, kind: 'incremental', rows, work });
  }

  /** Packs the increment `point` again with one byte of its first pages file flipped: its metadata (pages_checksum) unchanged. */
  async damagePages(point: ChainPoint): Promise<string> {
    const metadata = JSON.parse(fs.readFileSync(path.join(point.work, 'backup-metadata.json'), 'utf8')) as IncrementalMetadata;
    const changed = metadata.databases.find((db) => db.pages_file !== null) as IncrementalDatabaseEntry;
    const damaged = this.workFolder(`${point.name}.damaged`);
    for (const db of metadata.databases) {
      if (db.pages_file) fs.copyFileSync(path.join(point.work, db.pages_file), path.join(damaged, db.pages_file));
    }
    const file = path.join(damaged, changed.pages_file as string);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    fs.writeFileSync(file, bytes);
    fs.rmSync(path.join(this.folder, point.name));
    await this.pack(damaged, metadata, path.join(this.folder, point.name));
    return changed.pages_file as string;
  }

  /** The increment's archive by the service's ArchiveWriter: backup-metadata.json, then only its pages files. */
  private async pack(work: string, metadata: IncrementalMetadata, archive: string): Promise<void> {
    const files = metadata.databases.flatMap((db) => (db.pages_file ? [{ name: db.pages_file, size: fs.statSync(path.join(work, db.pages_file)).size }] : []));
    await pipeline(new ArchiveWriter([]).open({ dir: work, metadata, files }, { target: 'local' }), fs.createWriteStream(archive, { flags: 'wx' }));
  }

  private add(point: ChainPoint): ChainPoint {
    this.points.push(point);
    return point;
  }

  private tick(): Date {
    this.clock = new Date(this.clock.getTime() + 15 * 60 * 1000);
    return this.clock;
  }

  private workFolder(name: string): string {
    const dir = path.join(this.scratch, name);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }
}

function iso(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface ChainUnderWriterOptions {
  /** Where the databases are made (created): `new:<name>`, 600 rows each, then written to while the chain is made. */
  source: string;
  /** The local target's backup folder the archives go to. */
  folder: string;
  /** The points' work folders. */
  scratch: string;
  increments: number;
  names?: readonly string[];
}

/**
 * A full backup and `increments` increments of new databases in `source`, made while a ConcurrentWriter writes to
 * them, with a pause between points so that each point holds other rows than the one before.
 */
export async function chainUnderWriter({ source, folder, scratch, increments, names = ALL_DATABASES }: ChainUnderWriterOptions): Promise<TestChain> {
  fs.mkdirSync(source, { recursive: true });
  for (const name of names) writeDatabase(path.join(source, `${name}.db`), `new:${name}`, 600);
  const writer = new ConcurrentWriter(source, names);
  await writer.start();
  try {
    const chain = new TestChain(source, names, folder, scratch);
    await chain.full();
    for (let i = 0; i < increments; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await chain.increment();
    }
    return chain;
  } finally {
    await writer.stop();
  }
}

/**
 * Another process writing to the databases in `dir` all the time (WAL mode, as the service's own connections):
 * rows inserted into `writes`, some updated and deleted, so each point of a chain catches them mid-flight.
 */
export class ConcurrentWriter {
  private child: ChildProcess | undefined;

  constructor(
    private readonly dir: string,
    private readonly names: readonly string[],
  ) {}

  /** Starts writing; resolves once every database has a `writes` table and a first row. */
  async start(): Promise<void> {
    const script = `
      const Database = require('better-sqlite3');
      const [dir, ...names] = process.argv.slice(1);
      const dbs = names.map((name) => {
        const db = new Database(dir + '/' + name + '.db');
        db.pragma('journal_mode = WAL');
        db.pragma('busy_timeout = 5000');
        db.exec('CREATE TABLE IF NOT EXISTS writes (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, payload TEXT NOT NULL)');
        return db;
      });
      let n = 0;
      const tick = () => {
        for (const db of dbs) {
          db.transaction(() => {
            for (let i = 0; i < 5; i++) db.prepare('INSERT INTO writes (at, payload) VALUES (?, ?)').run(n, 'p'.repeat(200 + (n % 300)) + n);
            db.prepare('UPDATE writes SET payload = ? WHERE id > (SELECT max(id) - 8 FROM writes)').run('u' + n);
            db.prepare('DELETE FROM writes WHERE id = (SELECT min(id) FROM writes) AND ? % 3 = 0').run(n);
          })();
        }
        if (n++ === 0) process.stdout.write('ready\\n');
        setTimeout(tick, 20);
      };
      tick();`;
    const child = spawn(process.execPath, ['-e', script, this.dir, ...this.names], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the concurrent writer exited (${code})`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
