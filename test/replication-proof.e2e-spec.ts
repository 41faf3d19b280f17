/**
 * What proves that a replica holds a backup (issue 19's replication, and the list's `replicas`): the SHA-256 the
 * service recorded, never the size alone. A copy the replication made and checked is recorded with its SHA-256 and
 * the stored version (a folder's size and mtime, an S3 ETag); an object put under that name since, of the same size
 * but other bytes (replaced in a shared bucket, damaged, or a wrong copy), is no copy: the source's list does not
 * show the replica, the dry run names it as unverified, and the sync hashes it, finds other bytes, leaves it as it
 * is and fails naming it. An increment after such a link is not copied on top of it. Real folders, a real chain made
 * by the service, the real S3 server, the real API.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { ArchiveProvenance } from '../src/encryption/archive-provenance.store.js';
import { configureR2, putSettings } from './support/r2-settings.js';
import { endedReplications } from './support/replication-jobs.js';
import { createTestBucket, describeS3, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

/** A backup of `target` through the API (with `body`, e.g. a kind); its finished job, which must have succeeded. */
async function backUp(t: TestApp, target: string, body?: object): Promise<any> {
  const started = body === undefined ? t.http.post(`/api/backups/${target}`) : t.http.post(`/api/backups/${target}`).send(body);
  const job = await waitForJob(t.http, (await started.expect(202)).body.id);
  expect({ status: job.status, error: job.error }).toEqual({ status: 'succeeded', error: null });
  return job;
}

async function sync(t: TestApp, target: string): Promise<any> {
  return waitForJob(t.http, (await t.http.post(`/api/targets/${target}/sync`).expect(202)).body.id);
}

const dryRun = async (t: TestApp, target: string) => (await t.http.post(`/api/targets/${target}/sync?dry_run=true`).expect(200)).body;

/** The replicas the source's list names for each of `names`. */
async function replicasOf(t: TestApp, source: string, names: string[]): Promise<string[][]> {
  const list = (await t.http.get(`/api/backups/${source}`).expect(200)).body as any[];
  return names.map((name) => list.find((b) => b.filename === name).replicas);
}

/** Other bytes of the same length: `bytes` with a run in the middle inverted. */
function otherBytesOfSameSize(bytes: Buffer): Buffer {
  const other = Buffer.from(bytes);
  const from = Math.floor(other.length / 2);
  for (let i = from; i < Math.min(other.length, from + 64); i++) other[i] ^= 0xff;
  return other;
}

/** Replaces the archive `name` in the folder `dir` with other bytes of the same size (as another tool would); returns them. */
function replaceInFolder(dir: string, name: string): Buffer {
  const file = path.join(dir, name);
  const other = otherBytesOfSameSize(fs.readFileSync(file));
  fs.writeFileSync(file, other);
  return other;
}

describe('A same-size object with other bytes under a copied name, in a folder replica', () => {
  let t: TestApp;
  let scratch: string;
  let nas: string;

  beforeEach(async () => {
    t = await startTestApp({ TZ: 'UTC', SENTINEL_STORAGE_MAX_ATTEMPTS: '1', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    scratch = makeScratchDir('sentinel-repl-proof-');
    nas = path.join(scratch, 'nas');
    await seedDatabases(t.app, { rows: 20 });
  });
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('a full backup: not listed as on the replica, named by the dry run and the sync, never overwritten', async () => {
    const full = (await backUp(t, 'local')).filename;
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);
    expect(await sync(t, 'nas')).toMatchObject({ status: 'succeeded', copied: [full] });
    expect(await replicasOf(t, 'local', [full])).toEqual([['nas']]);

    const other = replaceInFolder(nas, full);
    expect(fs.statSync(path.join(nas, full)).size).toBe(fs.statSync(path.join(t.dataDir, 'backups', full)).size);

    expect(await replicasOf(t, 'local', [full])).toEqual([[]]);
    const dry = await dryRun(t, 'nas');
    expect(dry.copies.map((c: any) => [c.filename, c.reason])).toEqual([[full, 'unverified']]);
    const job = await sync(t, 'nas');
    expect(job.status).toBe('failed');
    expect(job.error).toContain(`'nas' already holds ${full} with other bytes`);
    expect(job.error).toMatch(/left as it is/);
    // Never overwritten (the service cannot prove it made these bytes), and still not counted as the copy.
    expect(fs.readFileSync(path.join(nas, full)).equals(other)).toBe(true);
    expect(await replicasOf(t, 'local', [full])).toEqual([[]]);
  }, 120_000);

  it("a copy recorded with other bytes than the source's record (the replica's own backup of that name) is no copy either, and is left as it is", async () => {
    const full = (await backUp(t, 'local')).filename;
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);
    expect(await sync(t, 'nas')).toMatchObject({ status: 'succeeded', copied: [full] });
    // The replica's record of that name is of other bytes of the same size (as when nas took a backup of its own in
    // the same second as local's): the object is the one recorded, but not a copy of local's archive.
    const provenance = t.app.get(ArchiveProvenance);
    const recorded = (await provenance.find('nas', full))!;
    await provenance.record({ ...recorded, sha256: 'b'.repeat(64) });
    const before = fs.readFileSync(path.join(nas, full));

    expect(await replicasOf(t, 'local', [full])).toEqual([[]]);
    expect((await dryRun(t, 'nas')).copies.map((c: any) => [c.filename, c.reason])).toEqual([[full, 'unverified']]);
    const job = await sync(t, 'nas');
    expect(job.status).toBe('failed');
    expect(job.error).toContain(`'nas' already holds ${full} with other bytes`);
    expect(job.error).toContain(`SHA-256 ${'b'.repeat(12)}… there`);
    expect(job.error).toContain('which this service wrote there itself');
    expect(fs.readFileSync(path.join(nas, full)).equals(before)).toBe(true);
  }, 120_000);

  it('an increment in a chain: not listed as on the replica, and no later increment is copied on top of it', async () => {
    await t.http
      .patch('/api/targets/local')
      .send({ incremental: { enabled: true, full_every: 100, max_chain_ratio: 10 } })
      .expect(200);
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      made.push((await backUp(t, 'local', { kind: 'incremental' })).filename);
      await seedDatabases(t.app, { rows: 5 });
    }
    const [full, inc1, inc2] = made;
    expect(made.map((name) => name.replace(/-\d{4}-.*/, ''))).toEqual(['sentinel-backup', 'sentinel-incremental', 'sentinel-incremental']);
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);
    expect(await sync(t, 'nas')).toMatchObject({ status: 'succeeded', copied: [full, inc1, inc2] });
    expect(await replicasOf(t, 'local', made)).toEqual([['nas'], ['nas'], ['nas']]);

    const other = replaceInFolder(nas, inc1);
    // inc1 on the replica is no copy; inc2's copy is byte-identical, but cannot be restored from there without inc1.
    expect(await replicasOf(t, 'local', made)).toEqual([['nas'], [], []]);
    expect((await dryRun(t, 'nas')).copies.map((c: any) => [c.filename, c.reason])).toEqual([[inc1, 'unverified']]);

    // The next increment's backup replicates after it: inc3 would be restored through the wrong inc1, so it is not copied.
    const inc3 = (await backUp(t, 'local', { kind: 'incremental' })).filename;
    expect(inc3).toMatch(/^sentinel-incremental-/);
    const [, job] = await endedReplications(t, 'nas', 2);
    expect(job.status).toBe('failed');
    expect(job.copied).toEqual([]);
    expect(job.error).toContain(`'nas' already holds ${inc1} with other bytes`);
    expect(job.error).toContain(`${inc3} was not copied to`);
    expect(job.error).toContain(`after ${inc1}`);
    expect(fs.existsSync(path.join(nas, inc3))).toBe(false);
    expect(fs.readFileSync(path.join(nas, inc1)).equals(other)).toBe(true);
    expect(await replicasOf(t, 'local', [...made, inc3])).toEqual([['nas'], [], [], []]);
  }, 180_000);
});

describeS3('A same-size object with other bytes under a copied name, in an S3 replica', () => {
  let t: TestApp;
  let bucket: string;
  let client: S3Client;

  beforeEach(async () => {
    t = await startTestApp({ TZ: 'UTC', SENTINEL_STORAGE_MAX_ATTEMPTS: '1', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    bucket = await createTestBucket('replication-proof');
    client = testS3Client();
    await seedDatabases(t.app, { rows: 20 });
    await configureR2(t, bucket);
  });
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    client?.destroy();
  });

  it('replaced in the bucket by another tool: not listed as on the replica, named by the dry run and the sync, never overwritten', async () => {
    const full = (await backUp(t, 'local')).filename;
    await putSettings(t, { r2_replicate_from: 'local' });
    expect(await sync(t, 'r2')).toMatchObject({ status: 'succeeded', copied: [full] });
    expect((await dryRun(t, 'r2')).copies).toEqual([]);
    // (The list is read only after the replacement: it keeps an S3 replica's listing for a minute, so a change made
    // in the bucket by another tool shows that much later; the planner lists afresh.)

    const other = otherBytesOfSameSize(fs.readFileSync(path.join(t.dataDir, 'backups', full)));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: full, Body: other }));

    expect(await replicasOf(t, 'local', [full])).toEqual([[]]);
    expect((await dryRun(t, 'r2')).copies.map((c: any) => [c.filename, c.reason])).toEqual([[full, 'unverified']]);
    const job = await sync(t, 'r2');
    expect(job.status).toBe('failed');
    expect(job.error).toContain(`'r2' already holds ${full} with other bytes`);
    const stored = await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: full }))).Body!.transformToByteArray();
    expect(Buffer.from(stored).equals(other)).toBe(true);
    expect(await replicasOf(t, 'local', [full])).toEqual([[]]);
  }, 120_000);
});
