/**
 * Replication of large archives: memory stays flat while a 200 MB archive is copied from the local folder to
 * the real S3 server (it is streamed, never held whole), and a kill -9 of the real service (`node
 * dist/main.js`) during a copy leaves no partial or unchecked object on the replica after the next start,
 * where the interrupted job says so, and the next sync completes the copy, byte-identical.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { ownerSidecarName } from '../src/storage/object-key.js';
import { assertServiceBuilt, getJson, post, type ServiceProcess, startService, waitHealthy } from './fixtures/restore-service.js';
import { MIB, unfinishedUploads } from './storage-support.js';
import { r2SettingsFor } from './support/r2-settings.js';
import { createTestBucket, describeS3, listAllKeys, testS3Client } from './support/s3-server.js';
import { makeScratchDir } from './support/test-app.js';
import { until } from './support/until.js';

/** The service with a memory probe driven by signals (see the fixture). */
const MEMORY_PROBE_SERVICE = path.resolve('test', 'fixtures', 'service-with-memory-probe.mjs');

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A backup name of `hoursAgo` hours ago (UTC), as the service names its archives. */
function backupName(hoursAgo: number): string {
  const at = new Date(Date.now() - hoursAgo * 3600_000).toISOString();
  return `sentinel-backup-${at.slice(0, 10)}-${at.slice(11, 19).replaceAll(':', '')}.tar.gz`;
}

/** Writes `mib` MiB of random bytes to `file` without holding them (chunk by chunk). */
async function writeRandomFile(file: string, mib: number): Promise<string> {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < mib; i++) {
      const chunk = randomBytes(MIB);
      hash.update(chunk);
      fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

async function objectSha(client: S3Client, bucket: string, key: string): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return sha256Of(out.Body as Readable);
}

/** Moves `prepared` into the service's local folder as a backup of this installation leaves it (its owner marker first). */
async function placeLocalArchive(service: ServiceProcess, prepared: string): Promise<void> {
  const health = (await getJson(`${service.url}/api/health`))!.body;
  const localDir = path.join(path.dirname(prepared), 'data', 'backups');
  fs.mkdirSync(localDir, { recursive: true });
  fs.writeFileSync(path.join(localDir, ownerSidecarName(path.basename(prepared))), `${health.installation_id}\n`);
  fs.renameSync(prepared, path.join(localDir, path.basename(prepared)));
}

/** Configures r2 on `bucket` as a replica of the local folder, through the API. */
async function replicateLocalTo(service: ServiceProcess, bucket: string): Promise<void> {
  for (const [key, value] of Object.entries({ ...r2SettingsFor(bucket), r2_replicate_from: 'local' })) {
    const res = await fetch(`${service.url}/api/settings/${key}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value }),
    });
    expect({ key, status: res.status }).toEqual({ key, status: 200 });
  }
}

/** The job once it has ended (succeeded or failed). */
function jobEnd(service: ServiceProcess, id: string): Promise<any> {
  return until(
    'the job to end',
    async () => {
      const job = (await getJson(`${service.url}/api/backup-jobs/${id}`))?.body;
      return job?.status === 'succeeded' || job?.status === 'failed' ? job : undefined;
    },
    1_200_000,
    100,
  );
}

describeS3('Replication of large archives', () => {
  let client: S3Client;
  beforeAll(() => {
    client = testS3Client();
  });
  afterAll(() => client?.destroy());

  it('holds far less than the archive in memory while a 200 MB archive is copied local → r2, and the copy is byte-identical', async () => {
    assertServiceBuilt();
    const bucket = await createTestBucket('repl-memory');
    const root = makeScratchDir('sentinel-repl-memory-');
    const name = backupName(1);
    const prepared = path.join(root, name);
    const sha = await writeRandomFile(prepared, 200);
    // The real service in a process of its own, so the memory measured is the copy's, not the test runner's.
    const service = await startService(root, { SENTINEL_STORAGE_PART_SIZE_MB: '5' }, MEMORY_PROBE_SERVICE);
    try {
      await waitHealthy(service, 180_000);
      await placeLocalArchive(service, prepared);
      await replicateLocalTo(service, bucket);
      service.child.kill('SIGUSR1');
      await until('the memory probe to start', async () => (service.output().includes('memory-probe started') ? true : undefined), 10_000, 10);
      const started = await post(`${service.url}/api/targets/r2/sync`, {});
      expect(started.status).toBe(202);
      const job = await jobEnd(service, started.body.id);
      service.child.kill('SIGUSR2');
      const peak = Number((await until('the memory peak', async () => /memory-peak (\d+)/.exec(service.output())?.[1], 10_000, 10)) as string);
      expect(job).toMatchObject({ status: 'succeeded', kind: 'replication', copied: [name], size_bytes: 200 * MIB, sha256: sha });
      expect(await objectSha(client, bucket, name)).toBe(sha);
      // Up and read back, 5 MiB parts: a few parts in flight. A copy held whole would hold 200 MiB for the whole
      // upload, which a sample every 0.5 s cannot miss. The bound is half that: every buffer of the process counts
      // (the read-back, sockets, the SDK), which reached 63.1 MB once on Node 24 (a .ci/run rehearsal, stop 33).
      expect(peak).toBeLessThan(100 * MIB);
    } finally {
      await service.stop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 1_500_000);

  it('after a kill -9 during a copy, the next start leaves no partial object and the next sync completes it', async () => {
    assertServiceBuilt();
    const bucket = await createTestBucket('repl-crash');
    const root = makeScratchDir('sentinel-repl-crash-');
    const env = { SENTINEL_STORAGE_PART_SIZE_MB: '5' };
    // Written before the service starts: a long pause between requests would outlive the HTTP keep-alive.
    const name = backupName(2);
    const prepared = path.join(root, name);
    const sha = await writeRandomFile(prepared, 150);
    let service = await startService(root, env);
    try {
      await waitHealthy(service, 180_000);
      await placeLocalArchive(service, prepared);
      await replicateLocalTo(service, bucket);
      const started = await post(`${service.url}/api/targets/r2/sync`, {});
      expect(started.status).toBe(202);
      // Killed once the copy is under way (its progress is written every second).
      await until(
        'the replication to be copying',
        async () => {
          const job = (await getJson(`${service.url}/api/backup-jobs/${started.body.id}`))?.body;
          if (job?.status === 'succeeded' || job?.status === 'failed') throw new Error(`the replication ended before the kill: ${JSON.stringify(job)}`);
          return job.bytes_done > 0 ? true : undefined;
        },
        300_000,
        5,
      );
      service.child.kill('SIGKILL');
      expect((await service.exited).signal).toBe('SIGKILL');

      service = await startService(root, env);
      await waitHealthy(service, 180_000);
      const interrupted = await until(
        'the interrupted replication to say what the start did',
        async () => {
          const job = (await getJson(`${service.url}/api/backup-jobs/${started.body.id}`))?.body;
          return job?.error?.includes('copying') && !job.error.includes('under way') ? job : undefined;
        },
        60_000,
        50,
      );
      expect(interrupted).toMatchObject({ status: 'failed', kind: 'replication', error_code: 'BACKUP_INTERRUPTED' });
      // Nothing of the copy is left on the replica: no object, no unfinished multipart upload.
      await until(
        'the start-up clean-up of the unfinished upload',
        async () => ((await unfinishedUploads(client, bucket)).length === 0 ? true : undefined),
        60_000,
        100,
      );
      expect(await listAllKeys(client, bucket)).toEqual([]);

      // The dry run lists it as missing; the sync copies it whole.
      const dry = await post(`${service.url}/api/targets/r2/sync?dry_run=true`, {});
      expect(dry.body.copies.map((c: any) => [c.filename, c.reason])).toEqual([[name, 'missing']]);
      const sync = await post(`${service.url}/api/targets/r2/sync`, {});
      expect(sync.status).toBe(202);
      const done = await jobEnd(service, sync.body.id);
      expect(done).toMatchObject({ status: 'succeeded', copied: [name], sha256: sha });
      expect(await objectSha(client, bucket, name)).toBe(sha);
      expect(await unfinishedUploads(client, bucket)).toEqual([]);
    } finally {
      if (service.child.exitCode === null && service.child.signalCode === null) await service.stop();
      await sleep(10);
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 1_500_000);
});
