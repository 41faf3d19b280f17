/**
 * Incremental backups made by the service (issue 19, docs/incremental-backups.md): with the policy on, the first
 * backup of a target is full and the next ones are increments (`sentinel-incremental-…`) holding their metadata
 * first and only the pages that changed; every case the doc lists makes a full backup instead, with its log line.
 * Real SQLite files under a writer of its own connection that keeps changing rows while the backups run, the
 * real local folder and the real S3 server; `tar xzf` reads the archives, and the engine's chain applier
 * rebuilds each point from the full backup, which must hold exactly the rows the writer had written at one moment.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { IncrementalMetadata } from '../src/archive-format/incremental-metadata.js';
import { Clock } from '../src/common/clock.js';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { integrityCheck } from '../src/database/sqlite-snapshot.js';
import { applyIncrementChain } from '../src/incremental/increment-chain-applier.js';
import { ageKeygen, decryptedTar, disableEncryption, enableEncryption } from './support/age-archives.js';
import { type IncrementalPolicy, LONG_CHAINS, setIncrementalPolicy } from './support/incremental-policy.js';
import { expectedRows, IncrementalWriter, rowsOf } from './support/incremental-writer.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const ENV = { TZ: 'UTC', SENTINEL_DATABASES: 'config,ledger,cache', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' };

async function backUp(t: TestApp, target: string): Promise<any> {
  const job = await waitForJob(t.http, (await t.http.post(`/api/backups/${target}`).expect(202)).body.id);
  expect(job).toMatchObject({ status: 'succeeded', error: null });
  return job;
}

/** The entries of a tar.gz in archive order, as `tar tzf` lists them. */
function tarList(archive: string): string[] {
  return execFileSync('tar', ['tzf', archive], { encoding: 'utf8' }).trim().split('\n');
}

/** `tar xzf` of `archive` into a new folder `into`. */
function untar(archive: string, into: string): string {
  fs.mkdirSync(into, { recursive: true });
  execFileSync('tar', ['xzf', archive, '-C', into]);
  return into;
}

function metadataOf(folder: string): IncrementalMetadata {
  return JSON.parse(fs.readFileSync(path.join(folder, 'backup-metadata.json'), 'utf8')) as IncrementalMetadata;
}

/** Asserts that `job` made an increment; when it did not, the failure shows the log lines that say why. */
function expectIncrement(t: TestApp, job: any): void {
  expect({ filename: job.filename, fullBackups: fullBackupLines(t) }).toMatchObject({ filename: expect.stringMatching(/^sentinel-incremental-/) });
}

/** The log lines that say why a backup is a full one. */
function fullBackupLines(t: TestApp): string[] {
  return fs
    .readFileSync(t.logFile, 'utf8')
    .split('\n')
    .filter((line) => / backup \(job [^)]+\) is a full backup: /.test(line));
}

describe('Incremental backups made by the service (local folder)', () => {
  let t: TestApp;
  let writer: IncrementalWriter;
  let folder: string;
  let work: string;
  let ledger: string;

  beforeEach(async () => {
    t = await startTestApp(ENV, { keep: true });
    folder = path.join(t.dataDir, 'backups');
    work = path.join(t.root, 'work');
    await seedDatabases(t.app, { rows: 300 });
    ledger = t.app
      .get(DatabaseRegistry)
      .list()
      .find((db) => db.name === 'ledger')!.path;
    writer = new IncrementalWriter(ledger);
    writer.write(10000);
  });
  afterEach(async () => {
    writer.close();
    await t.close();
    fs.rmSync(t.root, { recursive: true, force: true });
  });

  /** Stops the service and the writer, runs `change` on the stopped databases, and starts both again over the same DATA_DIR. */
  async function whileStopped(change: () => void, policy: IncrementalPolicy): Promise<void> {
    writer.close();
    await t.close();
    change();
    t = await startTestApp(ENV, { root: t.root, keep: true });
    writer = new IncrementalWriter(ledger);
    await setIncrementalPolicy(t.http, 'local', policy);
  }

  /** The full backup `full` with the increments `chain` after it applied, in `into`: the databases of the chain's last point. */
  async function rebuild(full: string, chain: string[], into: string): Promise<string> {
    untar(path.join(folder, full), into);
    if (chain.length === 0) return into;
    const increments = chain.map((name, i) => {
      const dir = untar(path.join(folder, name), path.join(into, `.increment-${i}`));
      const metadata = metadataOf(dir);
      const pagesFiles = new Map(metadata.databases.filter((db) => db.pages_file).map((db) => [db.name, path.join(dir, db.pages_file!)]));
      return { name, metadata, pagesFiles };
    });
    await applyIncrementChain(into, increments, { durable: false });
    return into;
  }

  it('makes the first backup full and the next ones increments holding their metadata first and only the changed pages; each point rebuilds to the rows of one moment', async () => {
    await setIncrementalPolicy(t.http, 'local', LONG_CHAINS);
    writer.start();
    const full = await backUp(t, 'local');
    const first = await backUp(t, 'local');
    const second = await backUp(t, 'local');
    writer.stop();

    expect(full.filename).toMatch(/^sentinel-backup-\d{4}-\d{2}-\d{2}-\d{6}\.tar\.gz$/);
    // The log names the index's file; the job says which kind it made, and why a full one, without the server's paths.
    expect(fullBackupLines(t)).toEqual([expect.stringContaining(`Local backup (job ${full.id}) is a full backup: No page index at ${t.dataDir}`)]);
    expect(full).toMatchObject({ backup_kind: 'full', kind_reason: expect.stringContaining('No page index (') });
    expect(full.kind_reason).not.toContain(t.dataDir);
    expect(first).toMatchObject({ backup_kind: 'incremental', kind_reason: null });
    // The full backup is the spec's archive: metadata first, then every database whole.
    expect(tarList(path.join(folder, full.filename))).toEqual(['backup-metadata.json', 'config.db', 'ledger.db', 'cache.db']);

    let previousStep = -1;
    for (const [i, job] of [first, second].entries()) {
      expectIncrement(t, job);
      expect(job.filename).toMatch(/^sentinel-incremental-\d{4}-\d{2}-\d{2}-\d{6}\.tar\.gz$/);
      const dir = untar(path.join(folder, job.filename), path.join(work, job.filename));
      const metadata = metadataOf(dir);
      expect(metadata).toMatchObject({ kind: 'incremental', base: full.filename, parent: i === 0 ? full.filename : first.filename });
      // Every database is listed; only those that changed have a pages file, and the archive holds nothing else.
      expect(metadata.databases.map((db) => db.name)).toEqual(['config', 'ledger', 'cache']);
      const cache = metadata.databases.find((db) => db.name === 'cache')!;
      expect(cache).toMatchObject({ changed_pages: [], pages_file: null, pages_checksum: null });
      const ledger = metadata.databases.find((db) => db.name === 'ledger')!;
      expect(ledger.pages_file).toBe('ledger.db.pages');
      const changed = ledger.changed_pages.reduce((sum, [a, b]) => sum + b - a + 1, 0);
      expect(changed).toBeGreaterThan(0);
      expect(changed).toBeLessThan(ledger.page_count / 2);
      const pagesFiles = metadata.databases.filter((db) => db.pages_file !== null).map((db) => db.pages_file);
      expect(tarList(path.join(folder, job.filename))).toEqual(['backup-metadata.json', ...pagesFiles]);
      expect(fs.statSync(path.join(dir, 'ledger.db.pages')).size).toBe(changed * ledger.page_size);
      expect(job.size_bytes).toBeLessThan(full.size_bytes / 4);

      // The chain up to this point rebuilds to the rows the writer had written after some number of its transactions.
      const rebuilt = await rebuild(full.filename, [first.filename, second.filename].slice(0, i + 1), path.join(work, `point-${i}`));
      expect(await integrityCheck(path.join(rebuilt, 'ledger.db'))).toEqual([]);
      const { step, rows } = rowsOf(path.join(rebuilt, 'ledger.db'));
      expect(step).toBeGreaterThan(previousStep);
      expect(rows).toEqual(expectedRows(step));
      previousStep = step;
    }
    const fullRows = rowsOf(path.join(untar(path.join(folder, full.filename), path.join(work, 'full')), 'ledger.db'));
    expect(fullRows.rows).toEqual(expectedRows(fullRows.step));
    expect(fullRows.step).toBeLessThan(previousStep);

    // The list shows each point with its kind and chain.
    const listed = (await t.http.get('/api/backups/local').expect(200)).body;
    expect(listed.map((b: any) => [b.filename, b.kind, b.base, b.parent])).toEqual([
      [second.filename, 'incremental', full.filename, first.filename],
      [first.filename, 'incremental', full.filename, full.filename],
      [full.filename, 'full', null, null],
    ]);
  }, 180_000);

  it('reads only the databases written to since the chain’s newest point, and catches a commit that leaves the files looking untouched', async () => {
    await setIncrementalPolicy(t.http, 'local', LONG_CHAINS);
    const cacheFile = t.app
      .get(DatabaseRegistry)
      .list()
      .find((db) => db.name === 'cache')!.path;
    /** The line saying which databases an increment did not read, or undefined when it read them all. */
    const notReadLine = (job: any): string | undefined =>
      fs
        .readFileSync(t.logFile, 'utf8')
        .split('\n')
        .find((line) => line.includes(`backup (job ${job.id}): `) && line.includes('not read again'));
    const entryOf = (job: any, name: string) =>
      metadataOf(untar(path.join(folder, job.filename), path.join(work, job.filename))).databases.find((db) => db.name === name)!;
    /** Writes to cache from another process, through its own connection. */
    const writeCache = (sql: string): void => {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      execFileSync(process.execPath, [
        '-e',
        `const D = require(${JSON.stringify(driver)}); const db = new D(${JSON.stringify(cacheFile)}, { timeout: 5000 }); db.exec(${JSON.stringify(sql)}); db.close();`,
      ]);
    };

    const full = await backUp(t, 'local');
    writer.write(50);
    const first = await backUp(t, 'local');
    expectIncrement(t, first);
    // ledger was written to and is read; cache was not, and its point is the full backup's, carried over unread.
    expect(notReadLine(first)).toMatch(
      new RegExp(`: (config, )?cache unchanged since ${full.filename} \\(no commit seen\\), not read again; read: (config, )?ledger$`),
    );
    const fullCache = metadataOf(untar(path.join(folder, full.filename), path.join(work, 'full'))).databases.find((db) => db.name === 'cache')!;
    expect(entryOf(first, 'cache')).toMatchObject({ changed_pages: [], pages_file: null, checksum: fullCache.checksum, size_bytes: fullCache.size_bytes });
    expect(entryOf(first, 'ledger').changed_pages.length).toBeGreaterThan(0);

    // cache written to: read again. Its WAL is then checkpointed with RESTART, so the next writer rewrites it from its start.
    writeCache("UPDATE items SET payload = 'first' WHERE id <= 40; PRAGMA wal_checkpoint(RESTART);");
    const second = await backUp(t, 'local');
    expect(notReadLine(second) ?? '').not.toMatch(/cache unchanged/);
    expect(entryOf(second, 'cache').changed_pages.length).toBeGreaterThan(0);
    const third = await backUp(t, 'local');
    expect(notReadLine(third)).toContain(`cache unchanged since ${second.filename}`);

    // A commit from another process that leaves cache.db's bytes, the WAL's size and both modification times as
    // they were (the times put back to the nanosecond): the next increment still reads cache and holds its change.
    const wal = `${cacheFile}-wal`;
    const before = { file: fs.readFileSync(cacheFile), walSize: fs.statSync(wal).size };
    const times = [cacheFile, wal].map((file) => [file, fs.statSync(file, { bigint: true }).mtimeNs] as const);
    writeCache("UPDATE items SET payload = 'sneaky' WHERE id = 7");
    for (const [file, ns] of times) execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`, file]);
    expect(fs.readFileSync(cacheFile).equals(before.file)).toBe(true);
    expect(fs.statSync(wal).size).toBe(before.walSize);
    expect(times.map(([file]) => fs.statSync(file, { bigint: true }).mtimeNs)).toEqual(times.map(([, ns]) => ns));
    const fourth = await backUp(t, 'local');
    expectIncrement(t, fourth);
    expect(notReadLine(fourth) ?? '').not.toMatch(/cache unchanged/);
    expect(entryOf(fourth, 'cache').changed_pages.length).toBeGreaterThan(0);

    // The chain's end rebuilds to cache as it is now (nobody wrote to it since), sneaky row included.
    const chain = [first, second, third, fourth].map((job) => job.filename as string);
    const rebuilt = await rebuild(full.filename, chain, path.join(work, 'rebuilt'));
    expect(await integrityCheck(path.join(rebuilt, 'cache.db'))).toEqual([]);
    const items = (file: string): unknown[] => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT * FROM items ORDER BY id').all();
      } finally {
        db.close();
      }
    };
    const rows = items(path.join(rebuilt, 'cache.db'));
    expect(rows).toEqual(items(cacheFile));
    expect(rows).toContainEqual(expect.objectContaining({ id: 7, payload: 'sneaky' }));
  }, 180_000);

  it('makes a full backup, with a log line saying why, for each case the doc lists', async () => {
    await setIncrementalPolicy(t.http, 'local', LONG_CHAINS);
    const kinds: string[] = [];
    const next = async (): Promise<any> => {
      writer.write(200);
      const job = await backUp(t, 'local');
      kinds.push(job.filename.startsWith('sentinel-incremental-') ? 'incremental' : 'full');
      return job;
    };
    const reasonOf = (job: any): string => {
      const line = fullBackupLines(t).find((l) => l.includes(`(job ${job.id})`));
      expect(line).toBeDefined();
      return line!;
    };

    const base = await next();
    await next();
    // The index folder lost: one full read, never a wrong backup.
    fs.rmSync(path.join(t.dataDir, '.incremental'), { recursive: true, force: true });
    const rebased = await next();
    expect(reasonOf(rebased)).toContain(`No page index at ${t.dataDir}`);
    expect(rebased.kind_reason).toMatch(/^No page index \(/);
    expect(rebased.kind_reason).not.toContain(t.dataDir);
    await next();
    // The chain's full backup gone from the target.
    const chainBase = rebased.filename as string;
    expect(chainBase).not.toBe(base.filename);
    fs.rmSync(path.join(folder, chainBase));
    expect(reasonOf(await next())).toContain(`the chain's full backup ${chainBase} is no longer in the target`);
    await next();

    // A page size changed (a VACUUM with a new page_size, which SQLite makes only out of WAL mode: with the service stopped).
    await whileStopped(() => {
      const db = new Database(ledger);
      db.exec('PRAGMA journal_mode = DELETE; PRAGMA page_size = 8192; VACUUM; PRAGMA journal_mode = WAL');
      db.close();
    }, LONG_CHAINS);
    expect(reasonOf(await next())).toMatch(/page size changed from 4096 to 8192 bytes/);
    await next();

    // A VACUUM that rewrote most pages.
    writer.exec('DELETE FROM rows WHERE id % 2 = 0 AND id <= 4000; VACUUM');
    expect(reasonOf(await next())).toMatch(/more than 50 %/);

    // full_every reached.
    await setIncrementalPolicy(t.http, 'local', { ...LONG_CHAINS, full_every: 2 });
    await next();
    await next();
    expect(reasonOf(await next())).toContain('already holds 2 increments (full_every 2)');

    // max_chain_ratio exceeded: an increment of many new rows is more than 1 % of the full backup.
    await setIncrementalPolicy(t.http, 'local', { ...LONG_CHAINS, max_chain_ratio: 0.01 });
    writer.write(3000);
    await next();
    expect(reasonOf(await next())).toContain('max_chain_ratio 0.01');

    expect(kinds).toEqual([
      'full',
      'incremental',
      'full', // index lost
      'incremental',
      'full', // base gone
      'incremental',
      'full', // page size
      'incremental',
      'full', // VACUUM
      'incremental',
      'incremental',
      'full', // full_every
      'incremental',
      'full', // max_chain_ratio
    ]);
  }, 300_000);

  it("makes a full backup when the clock was set back to before the chain's newest point, never for a name moved on by a same-second clash", async () => {
    await setIncrementalPolicy(t.http, 'local', LONG_CHAINS);
    const clock = t.app.get(Clock);
    const real = clock.now;
    const at = (iso: string) => (clock.now = () => new Date(iso));
    try {
      at('2026-12-03T10:00:00.200Z');
      const full = await backUp(t, 'local');
      expect(full.filename).toBe('sentinel-backup-2026-12-03-100000.tar.gz');
      // The same second twice more: each name moves a second on past the backups already there, each is an increment.
      writer.write(50);
      const first = await backUp(t, 'local');
      writer.write(50);
      const second = await backUp(t, 'local');
      expect([first, second].map((job) => [job.filename, job.backup_kind, job.kind_reason])).toEqual([
        ['sentinel-incremental-2026-12-03-100001.tar.gz', 'incremental', null],
        ['sentinel-incremental-2026-12-03-100002.tar.gz', 'incremental', null],
      ]);

      // The clock set back an hour: an increment would be named before the point it builds on.
      at('2026-12-03T09:00:00Z');
      writer.write(50);
      const back = await backUp(t, 'local');
      const reason =
        "the time now (2026-12-03T09:00:00Z) is not after the chain's newest point sentinel-incremental-2026-12-03-100002.tar.gz: " +
        'the clock was set back, and an increment named before the point it builds on would break the order of its chain';
      expect(back).toMatchObject({ filename: 'sentinel-backup-2026-12-03-090000.tar.gz', backup_kind: 'full', kind_reason: reason });
      expect(fullBackupLines(t)).toContainEqual(expect.stringContaining(`backup (job ${back.id}) is a full backup: ${reason}`));

      // The new chain starts at that full backup: the next backup builds on it.
      at('2026-12-03T09:05:00Z');
      writer.write(50);
      expect(await backUp(t, 'local')).toMatchObject({
        filename: 'sentinel-incremental-2026-12-03-090500.tar.gz',
        backup_kind: 'incremental',
        kind_reason: null,
      });
    } finally {
      clock.now = real;
    }
  }, 120_000);

  it('makes a full backup when an increment between the full backup and the newest point was deleted by hand, naming that increment', async () => {
    await setIncrementalPolicy(t.http, 'local', LONG_CHAINS);
    const clock = t.app.get(Clock);
    const real = clock.now;
    // One second, held: each backup's name moves a second on past the ones already there (names ahead of the clock,
    // as backups quicker than one a second make them), a day after every other backup of the target.
    const second0 = Math.floor(Date.now() / 1000) * 1000 + 86_400_000;
    clock.now = () => new Date(second0 + 200);
    try {
      const full = await backUp(t, 'local');
      writer.write(50);
      const first = await backUp(t, 'local');
      writer.write(50);
      const second = await backUp(t, 'local');
      expect([first.backup_kind, second.backup_kind]).toEqual(['incremental', 'incremental']);

      // Deleting `first` frees its second, before the newest point's: the links are checked before the clock, so the
      // reason names the missing increment rather than a clock set back.
      fs.rmSync(path.join(folder, first.filename));
      writer.write(50);
      const next = await backUp(t, 'local');
      const reason = `the chain's increment ${first.filename} (1 of 2 after its full backup ${full.filename}) is no longer in the target`;
      expect(next).toMatchObject({ filename: expect.stringMatching(/^sentinel-backup-/), backup_kind: 'full', kind_reason: reason });
      expect(fullBackupLines(t)).toContainEqual(expect.stringContaining(`backup (job ${next.id}) is a full backup: ${reason}`));
      writer.write(50);
      expect(await backUp(t, 'local')).toMatchObject({ backup_kind: 'incremental', kind_reason: null });
    } finally {
      clock.now = real;
    }
  }, 120_000);

  it("makes a full backup when the target's encryption recipients changed since the chain's full backup (a key rotated, encryption turned off)", async () => {
    const keys = path.join(t.root, 'keys');
    fs.mkdirSync(keys);
    await enableEncryption(t, 'local', keys);
    await setIncrementalPolicy(t.http, 'local', LONG_CHAINS);
    const full = await backUp(t, 'local');
    writer.write(50);
    expect(await backUp(t, 'local')).toMatchObject({ backup_kind: 'incremental', encrypted: true });

    // A new key, not yet confirmed: backups stay encrypted to the current one, and the chain goes on.
    await t.http.post('/api/encryption/local/rotate').expect(200);
    writer.write(50);
    expect(await backUp(t, 'local')).toMatchObject({ backup_kind: 'incremental', kind_reason: null });
    await t.http
      .post('/api/encryption/local/confirm')
      .send({})
      .expect((res) => expect([200, 201]).toContain(res.status));
    writer.write(50);
    const rotated = await backUp(t, 'local');
    const reason =
      `the target's encryption recipients changed since the chain's full backup ${full.filename} (1 added, 1 removed: ` +
      'a key rotated, or a recipient added or removed); a chain is read with one set of keys';
    expect(rotated).toMatchObject({ filename: expect.stringMatching(/^sentinel-backup-.*\.tar\.gz\.age$/), backup_kind: 'full', kind_reason: reason });
    expect(fullBackupLines(t)).toContainEqual(expect.stringContaining(`backup (job ${rotated.id}) is a full backup: ${reason}`));
    writer.write(50);
    expect(await backUp(t, 'local')).toMatchObject({ backup_kind: 'incremental', kind_reason: null });

    await disableEncryption(t, 'local');
    writer.write(50);
    expect(await backUp(t, 'local')).toMatchObject({
      filename: expect.stringMatching(/^sentinel-backup-.*\.tar\.gz$/),
      backup_kind: 'full',
      kind_reason: `encryption was turned off since the chain's full backup ${rotated.filename}, which is encrypted; a chain is read with one set of keys`,
    });
  }, 180_000);
});

describeS3('Incremental backups made by the service (S3, encrypted)', () => {
  let t: TestApp;
  let client: S3Client;
  let writer: IncrementalWriter;
  let bucket: string;

  beforeEach(async () => {
    client = testS3Client();
    t = await startTestApp(ENV);
    bucket = await createTestBucket('incremental');
    await configureR2(t, bucket);
    await seedDatabases(t.app, { rows: 300 });
    writer = new IncrementalWriter(
      t.app
        .get(DatabaseRegistry)
        .list()
        .find((db) => db.name === 'ledger')!.path,
    );
    writer.write(10000);
  });
  afterEach(async () => {
    writer.close();
    client.destroy();
    await t.close();
  });

  it('encrypts increments as full backups (.tar.gz.age), with the metadata first and only the changed pages inside', async () => {
    const keys = path.join(t.root, 'keys');
    fs.mkdirSync(keys);
    const recovery = await enableEncryption(t, 'r2', keys, [ageKeygen(keys, 'own').recipient]);
    await setIncrementalPolicy(t.http, 'r2', LONG_CHAINS);
    writer.start();
    const full = await backUp(t, 'r2');
    const increment = await backUp(t, 'r2');
    writer.stop();
    expectIncrement(t, increment);
    expect(fullBackupLines(t)).toEqual([expect.stringContaining(`R2 backup (job ${full.id}) is a full backup: No page index at `)]);
    expect(full.filename).toMatch(/^sentinel-backup-.*\.tar\.gz\.age$/);
    expect(increment.filename).toMatch(/^sentinel-incremental-\d{4}-\d{2}-\d{2}-\d{6}\.tar\.gz\.age$/);
    expect(increment).toMatchObject({ encrypted: true });

    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: increment.filename }));
    const archive = path.join(t.root, increment.filename);
    fs.writeFileSync(archive, Buffer.from(await object.Body!.transformToByteArray()));
    const tar = path.join(t.root, 'increment.tar');
    fs.writeFileSync(tar, decryptedTar(archive, recovery.keyFile));
    const entries = execFileSync('tar', ['tf', tar], { encoding: 'utf8' }).trim().split('\n');
    expect(entries[0]).toBe('backup-metadata.json');
    expect(entries).toContain('ledger.db.pages');
    expect(entries).not.toContain('ledger.db');
    expect(entries).not.toContain('cache.db.pages');
  }, 180_000);
});
