/**
 * The chains incremental backups build on stay whole (issue 19: "a full backup is kept as long as any kept increment
 * needs it"; "deleting a backup that others depend on answers 409 naming them"; docs/incremental-backups.md,
 * "While an increment is made" and "Rotation, replication and deletion"):
 * - while an increment is being made, DELETE of any link of its chain (base..last) answers 409 naming the job and
 *   rotation keeps them; a link that goes anyway (by hand) fails the job, its increment is not kept, and the next
 *   backup is full;
 * - a full backup (policy off too) starts a new chain, so an increment never builds past a newer full backup;
 * - an increment whose chain is not recorded is never used to delete a backup it might need, and adopting it
 *   records its chain from its own metadata.
 * Real SQLite files, the real API and the real local folder; a job is held between its snapshots and its increment
 * at a gate on the service's own PageSnapshots, as CopyGate holds a replication.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { PageSnapshots } from '../src/backup/incremental-production/page-snapshots.js';
import { Clock } from '../src/common/clock.js';
import { InstallationIdentity } from '../src/common/installation/installation-identity.js';
import { ArchiveProvenance } from '../src/encryption/archive-provenance.store.js';
import { objectVersion } from '../src/storage/object-storage.js';
import { StorageTargets } from '../src/storage/storage-targets.js';
import { type IncrementalWriter, ledgerWriter } from './support/incremental-writer.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

const ENV = { TZ: 'UTC', SENTINEL_DATABASES: 'config,ledger,cache', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' };
const LONG_CHAINS = { enabled: true, full_every: 1000, max_chain_ratio: 10 };
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/**
 * Holds every increment's snapshot of a changed database at a gate until `release()`: a job whose chain is planned
 * and held, before its increment exists. (An increment compares a database's pages while it copies it: the
 * snapshots with `compareWith` are an increment's; the databases nobody wrote to are not copied at all.)
 */
class IncrementGate {
  waiting = 0;
  private open!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));

  constructor(t: TestApp) {
    const pages = t.app.get(PageSnapshots);
    const snapshot = pages.snapshot.bind(pages);
    pages.snapshot = async (...args) => {
      if (args[3] !== undefined) {
        this.waiting++;
        await this.gate;
      }
      return snapshot(...args);
    };
  }

  release(): void {
    this.open();
  }
}

describe('Chains of increments stay whole', () => {
  let t: TestApp;
  let writer: IncrementalWriter;
  let folder: string;
  /** Added to the real time: the service's clock, moved forward where a test needs its backups to be old. */
  let offset = 0;
  /** The test's gate, opened at the end whatever happened, so the held job ends before the service stops. */
  let gate: IncrementGate | undefined;

  beforeEach(async () => {
    offset = 0;
    t = await startTestApp(ENV);
    t.app.get(Clock).now = () => new Date(Date.now() + offset);
    folder = path.join(t.dataDir, 'backups');
    await seedDatabases(t.app, { rows: 200 });
    writer = ledgerWriter(t.app);
    writer.write(2000);
    await t.http.patch('/api/targets/local').send({ incremental: LONG_CHAINS }).expect(200);
  });
  afterEach(async () => {
    gate?.release();
    gate = undefined;
    writer.close();
    await t.close();
  });

  async function backUp(body?: object): Promise<any> {
    writer.write(50);
    const job = await waitForJob(
      t.http,
      (
        await t.http
          .post('/api/backups/local')
          .send(body ?? {})
          .expect(202)
      ).body.id,
    );
    expect(job).toMatchObject({ status: 'succeeded', error: null });
    return job;
  }

  /** Starts a backup and waits until it is held at `gate`, its chain planned and held. */
  async function heldBackup(held: IncrementGate): Promise<string> {
    writer.write(50);
    const id = (await t.http.post('/api/backups/local').expect(202)).body.id as string;
    await until('the job to reach the gate', () => (held.waiting > 0 ? true : undefined));
    return id;
  }

  const listed = async () => (await t.http.get('/api/backups/local').expect(200)).body as any[];

  /** Stores `name` in the local folder as this installation's own full backup, recorded as the producer records one. */
  async function place(name: string): Promise<void> {
    const content = `archive ${name}\n`;
    const stored = await (
      await t.app.get(StorageTargets).get('local')
    ).upload(name, Readable.from([Buffer.from(content)]), {
      owner: t.app.get(InstallationIdentity).id,
    });
    await t.app.get(ArchiveProvenance).record({
      target: 'local',
      filename: name,
      sha256: createHash('sha256').update(content).digest('hex'),
      sizeBytes: stored.size,
      recipients: null,
      createdAt: new Date(),
      version: objectVersion(stored),
      kind: 'full',
    });
  }

  it('refuses DELETE of every link of the chain a running increment builds on (409 naming the job); the files stay and the increment is whole', async () => {
    const base = (await backUp()).filename;
    const first = (await backUp()).filename;
    const second = (await backUp()).filename;
    expect([base, first, second]).toEqual([
      expect.stringMatching(/^sentinel-backup-/),
      expect.stringMatching(/^sentinel-incremental-/),
      expect.stringMatching(/^sentinel-incremental-/),
    ]);

    gate = new IncrementGate(t);
    const id = await heldBackup(gate);
    for (const name of [second, first, base]) {
      const refused = await t.http.delete(`/api/backups/local/${name}`).expect(409);
      expect(refused.body).toMatchObject({ error: 'BACKUP_CHAIN_IN_USE', details: { filename: name, job_id: id, base, last: second } });
      expect(refused.body.message).toContain(`${name} cannot be deleted now: backup job ${id} is making an increment on the chain from ${base} to ${second}`);
      expect(fs.existsSync(path.join(folder, name))).toBe(true);
    }
    gate.release();
    const job = await waitForJob(t.http, id);
    expect(job).toMatchObject({ status: 'succeeded', backup_kind: 'incremental' });
    expect((await listed()).find((b) => b.filename === job.filename)).toMatchObject({ kind: 'incremental', base, parent: second });
    const verified = await t.http.post(`/api/backups/local/${job.filename}/verify`).expect(200);
    expect(verified.body).toMatchObject({ ok: true, problem: null });

    // Once the job has ended the chain is free again: the newest increment, which nothing needs, can go.
    await t.http.delete(`/api/backups/local/${job.filename}`).expect(200);
  }, 120_000);

  it('rotation during a running increment keeps its chain, saying which job holds it; the next rotation deletes it once nothing needs it', async () => {
    const base = (await backUp()).filename;
    const first = (await backUp()).filename;
    // Three newer own backups (placed, not made: the page index still points at base..first), and ten days later
    // a rule of one day: it keeps the newest three, and base and first are no kept point's chain.
    const later = [1, 2, 3].map((h) => backupFilename(new Date(Date.now() + h * HOUR)));
    for (const name of later) await place(name);
    offset = 10 * DAY;
    await t.http.patch('/api/targets/local').send({ retention_days: 1 }).expect(200);
    const preview = (await t.http.post('/api/backups/local/rotate?dry_run=true').expect(200)).body;
    expect(preview.deleted).toEqual([base, first]);

    gate = new IncrementGate(t);
    const id = await heldBackup(gate);
    const rotated = (await t.http.post('/api/backups/local/rotate').expect(200)).body;
    expect(rotated.deleted).toEqual([]);
    const reasons = Object.fromEntries(rotated.kept_backups.map((k: any) => [k.filename, k.reasons]));
    expect(reasons[base]).toContain(`held by backup job ${id}, which is making an increment on it`);
    expect(reasons[first]).toEqual([`held by backup job ${id}, which is making an increment on it`]);
    expect(fs.existsSync(path.join(folder, base)) && fs.existsSync(path.join(folder, first))).toBe(true);

    gate.release();
    const job = await waitForJob(t.http, id);
    expect(job).toMatchObject({ status: 'succeeded', backup_kind: 'incremental' });
    // The new increment is the newest point: it keeps its chain by the rule now.
    const after = (await t.http.post('/api/backups/local/rotate?dry_run=true').expect(200)).body;
    expect(after.deleted).toEqual([later[0]]);
    expect(Object.fromEntries(after.kept.map((k: any) => [k.filename, k.reasons]))[base]).toEqual([`needed to restore ${job.filename} (its chain)`]);
  }, 120_000);

  it('a link removed by hand while an increment is made fails the job: the increment is not kept, the log says why, and the next backup is full', async () => {
    const base = (await backUp()).filename;
    const first = (await backUp()).filename;
    const second = (await backUp()).filename;
    gate = new IncrementGate(t);
    const id = await heldBackup(gate);
    fs.rmSync(path.join(folder, first));
    gate.release();
    const job = await waitForJob(t.http, id);
    expect(job.status).toBe('failed');
    expect(job.error).toContain(`The chain this increment was made on lost ${first} while it was being made`);
    expect(job.error).toContain('the page index was removed, so the next backup is a full one');
    // Named after its chain's newest point, never in the second the lost link freed (backups a second apart run
    // ahead of the clock: an increment named there would sort before its parent and pass for the lost link).
    const made = /so (sentinel-incremental-\S+) was deleted/.exec(job.error)?.[1];
    expect(made! > second).toBe(true);
    expect((await listed()).map((b) => b.filename)).toEqual([second, base]);
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain(`lost ${first} while it was being made`);

    const next = await backUp();
    expect(next.filename).toMatch(/^sentinel-backup-/);
  }, 120_000);

  it('a full backup starts a new chain, with the policy off too: the next increment never builds past a newer full backup', async () => {
    await backUp();
    await backUp();
    await t.http
      .patch('/api/targets/local')
      .send({ incremental: { enabled: false } })
      .expect(200);
    const off = (await backUp()).filename;
    expect(fs.existsSync(path.join(t.dataDir, '.incremental', 'local', 'chain.json'))).toBe(false);
    await t.http
      .patch('/api/targets/local')
      .send({ incremental: { enabled: true } })
      .expect(200);
    const restarted = await backUp();
    expect(restarted.filename).toMatch(/^sentinel-backup-/);
    const next = await backUp();
    expect((await listed()).find((b) => b.filename === next.filename)).toMatchObject({ kind: 'incremental', base: restarted.filename });
    expect(off < restarted.filename).toBe(true);

    // An asked-for full backup too.
    const full = await backUp({ kind: 'full' });
    const after = await backUp();
    expect((await listed()).find((b) => b.filename === after.filename)).toMatchObject({ base: full.filename, parent: full.filename });
  }, 180_000);

  it('never lets an increment whose chain is not recorded give up a backup it might need; adopting it records its chain from its metadata', async () => {
    // base and first now; a full backup a day later (`between`, placed: made with the policy off, say); `stray` three
    // days later on base's chain, and its record lost (.encryption.db restored from before it, say): its chain is
    // unknown. The newest full backup before it is `between`, which is not its base.
    const base = (await backUp()).filename;
    const first = (await backUp()).filename;
    const between = backupFilename(new Date(Date.now() + DAY));
    await place(between);
    offset = 3 * DAY;
    const stray = (await backUp()).filename;
    expect((await listed()).find((b) => b.filename === stray)).toMatchObject({ kind: 'incremental', base, parent: first });
    await t.app.get(ArchiveProvenance).forget('local', stray);
    expect((await listed()).find((b) => b.filename === stray)).toMatchObject({ kind: 'incremental', base: null, parent: null });

    // Its parent and base are needed by it as far as anyone can tell: DELETE refuses them, and rotation keeps them.
    const refused = await t.http.delete(`/api/backups/local/${first}`).expect(409);
    expect(refused.body).toMatchObject({ error: 'BACKUP_HAS_DEPENDENTS', details: { dependents: [stray] } });
    for (const h of [1, 2, 3]) await place(backupFilename(new Date(Date.now() + 3 * DAY + h * HOUR)));
    offset = 3 * DAY + 4 * HOUR;
    await t.http.patch('/api/targets/local').send({ retention_days: 1 }).expect(200);
    const rotated = (await t.http.post('/api/backups/local/rotate').expect(200)).body;
    expect(rotated.deleted).toEqual([]);
    const reasons = Object.fromEntries(rotated.kept_backups.map((k: any) => [k.filename, k.reasons]));
    for (const name of [between, first, base]) {
      expect(reasons[name]).toEqual([`might be needed to restore ${stray} (its chain is not recorded: every older backup is kept)`]);
    }
    expect(fs.readFileSync(t.logFile, 'utf8')).toMatch(/the chain of 1 kept increment is not recorded or is broken/);

    // Adopting it reads its chain from its own metadata; rotation then follows it, and `between` goes.
    await t.http.post(`/api/backups/local/${stray}/adopt`).expect(200);
    expect((await listed()).find((b) => b.filename === stray)).toMatchObject({ base, parent: first });
    expect((await t.http.post('/api/backups/local/rotate').expect(200)).body.deleted).toEqual([between]);
  }, 180_000);
});
