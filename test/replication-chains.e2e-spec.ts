/**
 * Replication of incremental chains (issue 19, docs/incremental-backups.md): the service makes a real chain in
 * the local folder (the incremental policy on, a writer of its own connection changing rows between backups),
 * and a replica on the real S3 server receives it whole and in order, a full backup before its increments, each
 * byte-identical, its record carrying the source's kind, base and parent (so the replica's list and DELETE see
 * the same chain). An increment whose parent is gone from the source is never copied alone: the dry run and the
 * log say why, and the replica holds no broken chain.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { ArchiveProvenance } from '../src/encryption/archive-provenance.store.js';
import { LONG_CHAINS, setIncrementalPolicy } from './support/incremental-policy.js';
import { IncrementalWriter } from './support/incremental-writer.js';
import { configureR2, putSettings } from './support/r2-settings.js';
import { endedReplications } from './support/replication-jobs.js';
import { createTestBucket, describeS3, listAllKeys, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** A backup of `target` through the API; its finished job, which must have succeeded. */
async function backUp(t: TestApp, target: string): Promise<any> {
  const job = await waitForJob(t.http, (await t.http.post(`/api/backups/${target}`).expect(202)).body.id);
  expect({ status: job.status, error: job.error }).toEqual({ status: 'succeeded', error: null });
  return job;
}

/** The list entries of `target` as chain points, oldest first. */
async function chainOf(
  t: TestApp,
  target: string,
): Promise<Array<{ filename: string; kind: string; base: string | null; parent: string | null; size_bytes: number }>> {
  const list = (await t.http.get(`/api/backups/${target}`).expect(200)).body as any[];
  return list.map(({ filename, kind, base, parent, size_bytes }) => ({ filename, kind, base, parent, size_bytes })).reverse();
}

describeS3('Replication of incremental chains (local folder → real S3 server)', () => {
  let t: TestApp;
  let bucket: string;
  let client: S3Client;
  let writer: IncrementalWriter;
  const made: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ TZ: 'UTC', SENTINEL_DATABASES: 'config,ledger', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0', SENTINEL_STORAGE_MAX_ATTEMPTS: '1' });
    bucket = await createTestBucket('replication-chains');
    client = testS3Client();
    await seedDatabases(t.app, { rows: 100 });
    await configureR2(t, bucket);
    const ledger = t.app
      .get(DatabaseRegistry)
      .list()
      .find((db) => db.name === 'ledger')!.path;
    writer = new IncrementalWriter(ledger);
    writer.write(2000);
    // The local target's incremental policy, set as a user sets it (long chains: no full backup in between).
    await setIncrementalPolicy(t.http, 'local', LONG_CHAINS);
  });
  afterAll(async () => {
    writer?.close();
    await t?.close();
    client?.destroy();
  });

  it('a replica receives the chain whole and in order, each record with the source’s kind, base and parent', async () => {
    for (let i = 0; i < 3; i++) {
      made.push((await backUp(t, 'local')).filename);
      writer.write(40);
    }
    const [full, inc1, inc2] = made;
    expect(made.map((name) => name.replace(/-\d{4}-.*/, ''))).toEqual(['sentinel-backup', 'sentinel-incremental', 'sentinel-incremental']);

    await putSettings(t, { r2_replicate_from: 'local' });
    const dry = (await t.http.post('/api/targets/r2/sync?dry_run=true').expect(200)).body;
    expect(dry.copies.map((c: any) => c.filename)).toEqual([full, inc1, inc2]);
    expect(dry.skipped).toEqual([]);

    await t.http.post('/api/targets/r2/sync').expect(202);
    const [job] = await endedReplications(t, 'r2', 1);
    expect(job).toMatchObject({ status: 'succeeded', copied: [full, inc1, inc2] });

    const source = await chainOf(t, 'local');
    expect(source.map((p) => [p.filename, p.kind, p.base, p.parent])).toEqual([
      [full, 'full', null, null],
      [inc1, 'incremental', full, full],
      [inc2, 'incremental', full, inc1],
    ]);
    // The replica lists the same chain; each copy's record has the source record's SHA-256, kind, base and parent.
    expect(await chainOf(t, 'r2')).toEqual(source);
    const provenance = t.app.get(ArchiveProvenance);
    const recorded = async (target: string) =>
      [...(await provenance.findAll(target)).values()]
        .sort((a, b) => a.filename.localeCompare(b.filename))
        .map(({ filename, sha256, sizeBytes, kind, base, parent }) => ({ filename, sha256, sizeBytes, kind, base, parent }));
    expect(await recorded('r2')).toEqual(await recorded('local'));
    expect((await recorded('r2')).map((r) => r.kind)).toEqual(['full', 'incremental', 'incremental']);
    expect((await listAllKeys(client, bucket)).filter((key) => key.startsWith('sentinel-') && !key.includes('.owner'))).toEqual(
      expect.arrayContaining([full, inc1, inc2]),
    );

    // The replica's DELETE sees the chain too: its full backup is needed by both increments.
    const refused = await t.http.delete(`/api/backups/r2/${full}`).expect(409);
    expect(refused.body).toMatchObject({ error: 'BACKUP_HAS_DEPENDENTS', details: { filename: full, dependents: [inc2, inc1] } });
  }, 600_000);

  it('never copies an increment whose parent is gone from the source: the dry run and the log say why, and the replica keeps a whole chain', async () => {
    await putSettings(t, { r2_replicate_from: '' });
    const inc3 = (await backUp(t, 'local')).filename;
    writer.write(40);
    const inc4 = (await backUp(t, 'local')).filename;
    expect([inc3, inc4].every((name) => name.startsWith('sentinel-incremental-'))).toBe(true);
    // inc3 lost from the folder (by hand: the service refuses to delete a backup others need).
    fs.rmSync(path.join(t.dataDir, 'backups', inc3));

    await putSettings(t, { r2_replicate_from: 'local' });
    const dry = (await t.http.post('/api/targets/r2/sync?dry_run=true').expect(200)).body;
    expect(dry.copies).toEqual([]);
    const reason = `its parent ${inc3} is neither in 'local' any more nor in 'r2': copied alone it could not be restored from 'r2', so it is not copied`;
    expect(dry.skipped).toEqual([{ filename: inc4, reason }]);

    await t.http.post('/api/targets/r2/sync').expect(202);
    const jobs = await endedReplications(t, 'r2', 2);
    expect(jobs[1]).toMatchObject({ status: 'succeeded', copied: [] });
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain(`Not replicated to`);
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain(`${inc4}: ${reason}`);
    expect((await chainOf(t, 'r2')).map((p) => p.filename)).toEqual(made);
    expect(await listAllKeys(client, bucket)).not.toContain(inc4);
  }, 600_000);
});
