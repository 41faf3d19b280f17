/**
 * GET /api/costs against the real S3 server (issue 18, cost and capacity): a known set of backups, a listing and a
 * download to the R2 target, whose endpoint is a relay (S3RequestWitness) that counts every request reaching
 * radosgw. The figures must equal the published R2 prices applied to what the test measured itself: the archives'
 * bytes as the bucket lists them, and the requests as the relay saw them. The multipart parts are checked from first
 * principles too (SENTINEL_STORAGE_PART_SIZE_MB = 5). The counts survive a restart (DATA_DIR/.s3-requests.db).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { archivesInBucket, expectedCost, R2_PUBLISHED_PRICES } from './support/cost-figures.js';
import { putSettings, r2SettingsFor } from './support/r2-settings.js';
import { createTestBucket, describeS3, testS3, testS3Client } from './support/s3-server.js';
import { type S3RequestWitness, startS3RequestWitness } from './support/s3-request-witness.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

const MIB = 1024 * 1024;
const PART_SIZE = 5 * MIB;
const R2 = R2_PUBLISHED_PRICES;
const ENV = { SENTINEL_STORAGE_PART_SIZE_MB: '5', SENTINEL_STORAGE_TIMEOUT_MS: '60000' };

/** Adds `bytes` of random (incompressible) data to the first managed database, so the next archive grows by about as much. */
async function addRandomBytes(t: TestApp, bytes: number): Promise<void> {
  const registry = t.app.get(DatabaseRegistry);
  const source = await registry.dataSource(registry.list()[0].name);
  await source.query('CREATE TABLE IF NOT EXISTS filler (b BLOB NOT NULL)');
  await source.query('INSERT INTO filler (b) VALUES (randomblob(?))', [bytes]);
}

async function costsOf(t: TestApp, target: string) {
  const body = (await t.http.get('/api/costs').expect(200)).body;
  return { body, target: body.targets.find((c: { target: string }) => c.target === target) };
}

describeS3('GET /api/costs against a real S3 server', () => {
  let t: TestApp;
  let root: string;
  let witness: S3RequestWitness;
  let client: S3Client;
  let bucket: string;
  const sizes: number[] = [];

  beforeAll(async () => {
    witness = await startS3RequestWitness();
    client = testS3Client();
    bucket = await createTestBucket('costs');
    root = makeScratchDir();
    t = await startTestApp(ENV, { root, keep: true });
    await seedDatabases(t.app, { rows: 100 });
    await putSettings(t, { ...r2SettingsFor(bucket), r2_endpoint: witness.endpoint, r2_backup_enabled: 1, r2_backup_retention_days: 30 });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    fs.rmSync(root, { recursive: true, force: true });
    await witness?.close();
    client?.destroy();
  });

  it('equals the R2 prices applied to the stored bytes and to the requests that reached the server, each multipart part counted', async () => {
    // Two archives of about 6 MiB and 11 MiB: multipart uploads of 2 and 3 parts of 5 MiB.
    for (const extra of [6 * MIB, 5 * MIB]) {
      await addRandomBytes(t, extra);
      const job = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id);
      expect(job.status).toBe('succeeded');
      sizes.push(job.size_bytes);
    }
    const list = (await t.http.get('/api/backups/r2').expect(200)).body as Array<{ filename: string }>;
    await t.http.get(`/api/backups/r2/${list[0].filename}/download`).buffer(true).expect(200);
    await witness.settled();

    const { body, target: r2 } = await costsOf(t, 'r2');
    await witness.settled();
    const seen = witness.classes();
    const operations = witness.operations();
    const stored = await archivesInBucket(client, bucket);

    // From first principles: each archive above one part is a multipart upload of ceil(size / part size) parts.
    const parts = sizes.map((size) => Math.ceil(size / PART_SIZE));
    expect(parts).toEqual([2, 3]);
    expect(operations).toMatchObject({ CreateMultipartUpload: 2, UploadPart: 5, CompleteMultipartUpload: 2, GetObject: expect.any(Number) });
    expect(operations.ListObjectsV2).toBeGreaterThanOrEqual(2);

    expect(stored.count).toBe(2);
    expect(r2).toMatchObject({
      kind: 's3',
      stored_bytes: stored.bytes,
      stored_backups: 2,
      listing_error: null,
      retention: 'within 30 days',
      newest_backup_bytes: sizes[1],
      requests_30_days: { class_a: seen.A, class_b: seen.B, free: seen.free },
      prices: { storage_per_gb_month: 0.015, class_a_per_million: 4.5, class_b_per_million: 0.36, is_default: true },
    });
    const expected = expectedCost(stored.bytes, seen, R2);
    expect(r2.monthly_cost.storage).toBeCloseTo(expected.storage, 12);
    expect(r2.monthly_cost.class_a).toBeCloseTo(expected.classA, 12);
    expect(r2.monthly_cost.class_b).toBeCloseTo(expected.classB, 12);
    expect(r2.monthly_cost.total).toBeCloseTo(expected.total, 12);
    expect(body.total_monthly_cost).toBeCloseTo(expected.total, 12);
    expect(body).toMatchObject({ currency: 'USD', window_days: 30 });
    // Under "within 30 days" the newest three are kept at least; both backups were made just now.
    expect(r2.projected_backups).toBeGreaterThanOrEqual(3);
    expect(r2.projected_bytes).toBe(r2.projected_backups * sizes[1]);
    expect(r2.monthly_cost.projected_storage).toBeCloseTo((r2.projected_bytes / 1e9) * R2.storagePerGbMonth, 12);

    // The local folder: no prices, its disk's free space, and the data folder among the disks, with room.
    const local = body.targets.find((c: { target: string }) => c.target === 'local');
    expect(local).toMatchObject({ kind: 'folder', prices: null, monthly_cost: null, requests_30_days: null, warnings: [] });
    expect(local.free_bytes).toBeGreaterThan(0);
    expect(body.disks.find((d: { folder: string }) => d.folder === t.dataDir)).toMatchObject({ fits: true });
    // Nothing secret in the answer.
    expect(JSON.stringify(body)).not.toContain(r2SettingsFor(bucket).r2_secret_access_key);
  }, 180_000);

  it('uses the prices set for the target, refuses wrong ones naming the field and changing nothing, and goes back to R2’s on DELETE', async () => {
    const other = { storage_per_gb_month: 0.006, class_a_per_million: 5, class_b_per_million: 0.4 };
    expect((await t.http.put('/api/costs/prices/r2').send(other).expect(200)).body).toEqual({ ...other, is_default: false });

    const refused = await t.http
      .put('/api/costs/prices/r2')
      .send({ ...other, class_b_per_million: -1 })
      .expect(400);
    expect(refused.body.details).toMatchObject({ field: 'class_b_per_million' });
    expect(refused.body.message).toMatch(/class_b_per_million must be a number of US dollars from 0 to 1000/);
    const missing = await t.http.put('/api/costs/prices/r2').send({ storage_per_gb_month: 1 }).expect(400);
    expect(missing.body.message).toMatch(/class_a_per_million is missing/);
    const folder = await t.http.put('/api/costs/prices/local').send(other).expect(400);
    expect(folder.body.message).toMatch(/folder: prices apply to S3 targets/);
    await t.http.put('/api/costs/prices/nosuch').send(other).expect(404);

    const { target: r2 } = await costsOf(t, 'r2');
    await witness.settled();
    const seen = witness.classes();
    const stored = await archivesInBucket(client, bucket);
    expect(r2.prices).toEqual({ ...other, is_default: false });
    expect(r2.requests_30_days).toEqual({ class_a: seen.A, class_b: seen.B, free: seen.free });
    const expected = expectedCost(stored.bytes, seen, { storagePerGbMonth: 0.006, classAPerMillion: 5, classBPerMillion: 0.4 });
    expect(r2.monthly_cost.total).toBeCloseTo(expected.total, 12);

    expect((await t.http.delete('/api/costs/prices/r2').expect(200)).body).toEqual({
      storage_per_gb_month: 0.015,
      class_a_per_million: 4.5,
      class_b_per_million: 0.36,
      is_default: true,
    });
  });

  it('keeps the counts across a restart: the new process adds its own requests to those written by the last', async () => {
    await t.close();
    t = await startTestApp(ENV, { root, keep: true });
    const { target: r2 } = await costsOf(t, 'r2');
    await witness.settled();
    const seen = witness.classes();
    expect(r2.requests_30_days).toEqual({ class_a: seen.A, class_b: seen.B, free: seen.free });
    expect(r2.monthly_cost.total).toBeCloseTo(expectedCost((await archivesInBucket(client, bucket)).bytes, seen, R2).total, 12);
  });

  it("forgets a removed target's prices and request counts: added again under its id, it starts as a new target does", async () => {
    // Straight to radosgw, not through the witness: the r2 target's figures above stay the witness's.
    const s3 = testS3();
    const target = async (id: string, name: string) =>
      t.http
        .post('/api/targets')
        .send({
          id,
          kind: 's3',
          endpoint: s3.endpoint,
          bucket: await createTestBucket(name),
          access_key_id: s3.accessKeyId,
          secret_access_key: s3.secretAccessKey,
        })
        .expect(201);
    const writtenCounts = (id: string) => {
      const db = new Database(path.join(t.dataDir, '.s3-requests.db'), { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM s3_request_days WHERE target = ?').get(id) as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const pricesFile = path.join(t.dataDir, '.cost-prices.json');
    const storedPrices = () => JSON.parse(fs.readFileSync(pricesFile, 'utf8')) as Record<string, unknown>;

    await target('gone', 'costs-gone');
    const other = { storage_per_gb_month: 0.006, class_a_per_million: 5, class_b_per_million: 0.4 };
    await t.http.put('/api/costs/prices/gone').send(other).expect(200);
    expect((await waitForJob(t.http, (await t.http.post('/api/backups/gone').expect(202)).body.id)).status).toBe('succeeded');
    const used = (await costsOf(t, 'gone')).target;
    expect(used.prices).toEqual({ ...other, is_default: false });
    expect(used.requests_30_days.class_a).toBeGreaterThan(0);
    expect(storedPrices().gone).toBeDefined();
    // Written to the file (at most FLUSH_INTERVAL_MS after the requests), so that the forgetting has rows to remove.
    await until('the counts of gone written', () => (writtenCounts('gone') > 0 ? true : undefined), 30_000, 200);

    await t.http.delete('/api/targets/gone?confirm=true').expect(200);
    await until('the prices of gone forgotten', () => (storedPrices().gone === undefined ? true : undefined), 10_000);
    await until('the written counts of gone forgotten', () => (writtenCounts('gone') === 0 ? true : undefined), 10_000);

    // Added again (another bucket), beside a target that never existed: both are reported alike.
    await target('gone', 'costs-gone-again');
    await target('fresh', 'costs-fresh');
    const { target: again, body } = await costsOf(t, 'gone');
    const fresh = body.targets.find((c: { target: string }) => c.target === 'fresh');
    expect(again.prices).toEqual({
      storage_per_gb_month: R2.storagePerGbMonth,
      class_a_per_million: R2.classAPerMillion,
      class_b_per_million: R2.classBPerMillion,
      is_default: true,
    });
    expect(again.requests_30_days).toEqual(fresh.requests_30_days);
    expect(again.requests_30_days.class_a).toBeLessThan(used.requests_30_days.class_a);

    // A removal whose forgetting a crash cut off: prices left in the file for an id no target has are forgotten
    // when a target is added under it.
    await t.close();
    fs.writeFileSync(pricesFile, JSON.stringify({ ...storedPrices(), leftover: { storagePerGbMonth: 1, classAPerMillion: 1, classBPerMillion: 1 } }));
    t = await startTestApp(ENV, { root, keep: true });
    await target('leftover', 'costs-leftover');
    await until('the prices left for leftover forgotten', () => (storedPrices().leftover === undefined ? true : undefined), 10_000);
    expect((await costsOf(t, 'leftover')).target.prices).toMatchObject({ storage_per_gb_month: R2.storagePerGbMonth, is_default: true });
  });
});
