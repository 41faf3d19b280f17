/**
 * Replication (issue 16), end to end against the real S3 server and real folders: a backup to one target is
 * copied to the target that replicates from it (r2 → local, local → r2), byte-identical (SHA-256) in both,
 * and listed as replicated; a replica that is down fails on its own (its own job, event and notification to
 * a real webhook receiver) while the source's backups succeed, and catches up with everything it missed,
 * oldest first, when it is back; the sync dry run lists exactly what is missing and changes nothing; the
 * replicate_from settings refuse the target itself, unknown targets and cycles with 400 naming the key.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { InstallationIdentity } from '../src/common/installation/installation-identity.js';
import { ownerSidecarName } from '../src/storage/object-key.js';
import { S3TargetStorage } from '../src/storage/s3-target-storage.js';
import { ReplicationCompletedEvent, ReplicationFailedEvent } from '../src/replication/replication.events.js';
import type { Notification } from '../src/notifications/notification.js';
import { startHttpReceiver, type HttpReceiver } from './support/http-receiver.js';
import { configureR2, putSettings } from './support/r2-settings.js';
import { endedReplications, replications } from './support/replication-jobs.js';
import { createTestBucket, describeS3, listAllKeys, startS3, stopS3, testS3, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const fileSha = (file: string) => sha256Of(fs.createReadStream(file));

async function objectSha(client: S3Client, bucket: string, key: string): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return sha256Of(out.Body as Readable);
}

/** Runs a backup to `target` through the API and returns its finished job (which must have succeeded). */
async function backup(t: TestApp, target: 'local' | 'r2'): Promise<any> {
  const started = await t.http.post(`/api/backups/${target}`).expect(202);
  const job = await waitForJob(t.http, started.body.id);
  expect({ status: job.status, error: job.error }).toEqual({ status: 'succeeded', error: null });
  return job;
}

describeS3('Replication between the built-in targets (real S3 server, real folders)', () => {
  let t: TestApp;
  let bucket: string;
  let client: S3Client;
  let localDir: string;
  let receiver: HttpReceiver;
  const events: Array<ReplicationCompletedEvent | ReplicationFailedEvent> = [];

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    bucket = await createTestBucket('replication');
    client = testS3Client();
    t = await startTestApp({
      SENTINEL_STORAGE_MAX_ATTEMPTS: '1',
      SENTINEL_NOTIFY_RETRY_BASE_MS: '50',
      SENTINEL_DUPLICATE_WINDOW_MINUTES: '0',
    });
    localDir = path.join(t.dataDir, 'backups');
    await seedDatabases(t.app, { rows: 50 });
    await configureR2(t, bucket);
    const emitter = t.app.get(EventEmitter2);
    emitter.on(ReplicationCompletedEvent.eventName, (event: ReplicationCompletedEvent) => events.push(event));
    emitter.on(ReplicationFailedEvent.eventName, (event: ReplicationFailedEvent) => events.push(event));
    await t.http
      .post('/api/notifications/channels')
      .send({ name: 'replication', type: 'webhook', url: `${receiver.origin}/hook`, events: ['replication.failed', 'backup.failed'] })
      .expect(201);
  });
  afterAll(async () => {
    await startS3();
    await t?.close();
    await receiver?.close();
    client?.destroy();
  });

  describe('the replicate_from settings', () => {
    it('refuse the target itself, an unknown target, a cycle and a malformed id with 400 naming the key, and change nothing', async () => {
      const self = await t.http.put('/api/settings/r2_replicate_from').send({ value: 'r2' }).expect(400);
      expect(self.body.message).toMatch(/r2_replicate_from cannot be 'r2' itself/);
      const unknown = await t.http.put('/api/settings/local_replicate_from').send({ value: 'nas' }).expect(400);
      expect(unknown.body.message).toMatch(/local_replicate_from must name an existing target: there is no target 'nas'/);
      const malformed = await t.http.put('/api/settings/local_replicate_from').send({ value: 'R2/../x' }).expect(400);
      expect(malformed.body.message).toMatch(/local_replicate_from must be a target id/);

      await putSettings(t, { local_replicate_from: 'r2' });
      const cycle = await t.http.put('/api/settings/r2_replicate_from').send({ value: 'local' }).expect(400);
      expect(cycle.body.message).toMatch(/r2_replicate_from 'local' would make a replication cycle/);
      expect((await t.http.get('/api/settings/r2_replicate_from').expect(200)).body.value).toBe('');
      await putSettings(t, { local_replicate_from: '' });
      // With local replicating from nothing, r2 may replicate from local.
      await putSettings(t, { r2_replicate_from: 'local' });
      await putSettings(t, { r2_replicate_from: '' });
    });

    it('answers 400 naming replicate_from for a sync of a target that replicates from none', async () => {
      const res = await t.http.post('/api/targets/r2/sync').expect(400);
      expect(res.body.message).toMatch(/replicates from no target.*r2_replicate_from/);
      await t.http.post('/api/targets/nas/sync').expect(404);
      await t.http.post('/api/targets/r2/sync?dry_run=maybe').expect(400);
    });
  });

  describe('r2 → local', () => {
    it('copies each R2 backup to the local folder, byte-identical, and lists it as replicated', async () => {
      await putSettings(t, { local_replicate_from: 'r2' });
      const job = await backup(t, 'r2');
      const [replication] = await endedReplications(t, 'local', 1);
      expect(replication).toMatchObject({
        kind: 'replication',
        source: 'r2',
        target: 'local',
        trigger: 'after_backup',
        status: 'succeeded',
        copied: [job.filename],
      });

      const inR2 = await objectSha(client, bucket, job.filename);
      const inLocal = await fileSha(path.join(localDir, job.filename));
      expect(inR2).toBe(job.sha256);
      expect(inLocal).toBe(job.sha256);

      const r2List = (await t.http.get('/api/backups/r2').expect(200)).body;
      expect(r2List.find((b: any) => b.filename === job.filename)).toMatchObject({ replicas: ['local'], replicas_unknown: [] });
      // On the replica it is this installation's own (rotation manages it) and recorded as made here.
      const localList = (await t.http.get('/api/backups/local').expect(200)).body;
      expect(localList.find((b: any) => b.filename === job.filename)).toMatchObject({ own: true, made_here: true });
      // The source's backup job is a backup, the copy a replication: each in the history under its kind.
      expect((await t.http.get(`/api/backup-jobs/${job.id}`).expect(200)).body).toMatchObject({ kind: 'backup', source: null, copied: null });
      expect(events.find((e) => e.jobId === replication.id)).toBeInstanceOf(ReplicationCompletedEvent);
      await putSettings(t, { local_replicate_from: '' });
    }, 600_000);
  });

  describe('local → r2, with r2 down during three backups', () => {
    it('fails each replication on its own while the backups succeed, then catches up oldest first', async () => {
      await putSettings(t, { r2_replicate_from: 'local' });
      const before = (await replications(t, 'r2')).length;
      const hooksBefore = receiver.requests.length;
      await stopS3();
      const made: any[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          made.push(await backup(t, 'local'));
          await endedReplications(t, 'r2', before + i + 1);
        }
        const failed = (await endedReplications(t, 'r2', before + 3)).slice(before);
        expect(failed.map((job) => [job.status, job.kind, job.source, job.target])).toEqual(Array(3).fill(['failed', 'replication', 'local', 'r2']));
        expect(failed[0].error).toMatch(/Replication to R2 from Local failed/);
        // The source's jobs stay succeeded.
        for (const job of made) expect((await t.http.get(`/api/backup-jobs/${job.id}`).expect(200)).body.status).toBe('succeeded');
        const failures = events.filter((e): e is ReplicationFailedEvent => e instanceof ReplicationFailedEvent && failed.some((job) => job.id === e.jobId));
        expect(failures.map((e) => [e.source, e.target])).toEqual(Array(3).fill(['local', 'r2']));
        // The first failure is notified (the repeat rule holds the next two back), as a replication failure.
        const hook = await until('the replication.failed webhook', () =>
          receiver.requests
            .slice(hooksBefore)
            .map((r) => JSON.parse(r.body.toString('utf8')) as Notification)
            .find((n) => n.event === 'replication.failed'),
        );
        expect(hook).toMatchObject({ target: 'r2', title: 'Replication to R2 failed', severity: 'critical' });
        expect(hook.message).toMatch(/The backup to Local itself succeeded/);
        expect(hook.details).toMatchObject({ job_id: failed[0].id, source: 'local' });
        // No backup.failed was sent for any of it.
        expect(receiver.requests.slice(hooksBefore).map((r) => JSON.parse(r.body.toString('utf8')).event)).not.toContain('backup.failed');
        // The metrics count them as replication failures of r2, not as backup failures.
        const metrics = (await t.http.get('/metrics').expect(200)).text;
        expect(metrics).toMatch(/^sentinel_replication_failures_total\{target="r2"\} 3$/m);
        expect(metrics).toMatch(/^sentinel_backup_job_failures_total\{target="r2"\} 0$/m);
        // The source's list says the three are on no replica.
        const localList = (await t.http.get('/api/backups/local').expect(200)).body;
        for (const job of made) expect(localList.find((b: any) => b.filename === job.filename)).toMatchObject({ replicas: [], replicas_unknown: ['r2'] });
      } finally {
        await startS3();
      }

      // Back: the dry run lists exactly the three, oldest first, and copies nothing.
      const dry = await t.http.post('/api/targets/r2/sync?dry_run=true').expect(200);
      const mine = made.map((job) => job.filename);
      expect(dry.body).toMatchObject({ target: 'r2', source: 'local', dry_run: true });
      expect(dry.body.copies.map((c: any) => c.filename)).toEqual(mine);
      expect(dry.body.copies.map((c: any) => c.reason)).toEqual(['missing', 'missing', 'missing']);
      expect(dry.body.bytes_total).toBe(made.reduce((sum, job) => sum + job.size_bytes, 0));
      expect((await listAllKeys(client, bucket)).filter((key) => mine.includes(key))).toEqual([]);
      expect((await replications(t, 'r2')).length).toBe(before + 3);

      // The next backup's replication copies all it missed, oldest first, the new one last.
      const fourth = await backup(t, 'local');
      const [caughtUp] = (await endedReplications(t, 'r2', before + 4)).slice(-1);
      expect(caughtUp).toMatchObject({ status: 'succeeded', trigger: 'after_backup', copied: [...mine, fourth.filename] });
      for (const job of [...made, fourth]) {
        expect(await objectSha(client, bucket, job.filename)).toBe(job.sha256);
        expect(await fileSha(path.join(localDir, job.filename))).toBe(job.sha256);
      }
      const localList = (await t.http.get('/api/backups/local').expect(200)).body;
      for (const job of [...made, fourth]) expect(localList.find((b: any) => b.filename === job.filename).replicas).toEqual(['r2']);
      // And "works again" is told once.
      await until('the replication works-again webhook', () =>
        receiver.requests.map((r) => JSON.parse(r.body.toString('utf8')) as Notification).find((n) => n.event === 'replication.failed' && n.resolves !== null),
      );

      // Nothing is missing now: the dry run is empty, and a sync copies nothing.
      expect((await t.http.post('/api/targets/r2/sync?dry_run=true').expect(200)).body.copies).toEqual([]);
      const sync = await t.http.post('/api/targets/r2/sync').expect(202);
      expect(sync.body).toMatchObject({ kind: 'replication', source: 'local', target: 'r2', trigger: 'manual' });
      expect(await waitForJob(t.http, sync.body.id)).toMatchObject({ status: 'succeeded', copied: [] });
    }, 600_000);

    it('a sync copies a backup deleted from the replica, and the dry run lists only that one', async () => {
      const list = (await t.http.get('/api/backups/r2').expect(200)).body;
      const victim = list.at(-1).filename;
      await t.http.delete(`/api/backups/r2/${victim}`).expect(200);
      const dry = (await t.http.post('/api/targets/r2/sync?dry_run=true').expect(200)).body;
      expect(dry.copies.map((c: any) => c.filename)).toEqual([victim]);
      const sync = await t.http.post('/api/targets/r2/sync').expect(202);
      const done = await waitForJob(t.http, sync.body.id);
      expect(done).toMatchObject({ status: 'succeeded', copied: [victim] });
      expect(await objectSha(client, bucket, victim)).toBe(await fileSha(path.join(localDir, victim)));
      await putSettings(t, { r2_replicate_from: '' });
    }, 600_000);

    it('never overwrites an object of the same name in the bucket: a byte-identical one counts as the copy, another fails that copy and stays', async () => {
      await putSettings(t, { r2_replicate_from: 'local' });
      const [same, other] = [3, 2].map((h) => backupFilename(new Date(Date.now() - h * 60 * 60 * 1000)));
      fs.mkdirSync(localDir, { recursive: true });
      for (const name of [same, other]) {
        fs.writeFileSync(path.join(localDir, ownerSidecarName(name)), `${t.app.get(InstallationIdentity).id}\n`);
        fs.writeFileSync(path.join(localDir, name), `source ${name}\n`);
      }
      // Put into the bucket by another tool: one the same bytes, one other bytes of the same size.
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: same, Body: `source ${same}\n` }));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: other, Body: `SOURCE ${other}\n` }));
      const job = await waitForJob(t.http, (await t.http.post('/api/targets/r2/sync').expect(202)).body.id);
      expect(job.status).toBe('failed');
      expect(job.error).toContain(`'r2' already holds ${other} with other bytes`);
      expect(job.copied).toEqual([]);
      const body = async (key: string) => (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
      expect(await body(other)).toBe(`SOURCE ${other}\n`);
      const list = (await t.http.get('/api/backups/local').expect(200)).body;
      expect(list.find((b: any) => b.filename === same).replicas).toEqual(['r2']);
      expect(list.find((b: any) => b.filename === other).replicas).toEqual([]);
      await putSettings(t, { r2_replicate_from: '' });
    }, 600_000);
  });

  describe('r2 → an added S3 target and an added folder target', () => {
    it('copies each R2 backup to both, byte-identical (SHA-256) in all three, and lists both replicas', async () => {
      const s3 = testS3();
      const offsiteBucket = await createTestBucket('replica-offsite');
      const nasDir = fs.mkdtempSync(path.join(os.tmpdir(), 'replica-nas-'));
      await t.http
        .post('/api/targets')
        .send({
          id: 'offsite',
          kind: 's3',
          endpoint: s3.endpoint,
          bucket: offsiteBucket,
          prefix: 'eu/',
          access_key_id: s3.accessKeyId,
          secret_access_key: s3.secretAccessKey,
          enabled: false,
          replicate_from: 'r2',
        })
        .expect(201);
      await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nasDir, enabled: false, replicate_from: 'r2' }).expect(201);
      try {
        const job = await backup(t, 'r2');
        for (const replica of ['offsite', 'nas']) {
          const copy = await until(`the copy of ${job.filename} in ${replica}`, async () =>
            (await replications(t, replica)).find((r) => r.status !== 'queued' && r.status !== 'running' && r.copied?.includes(job.filename)),
          );
          expect(copy).toMatchObject({ kind: 'replication', source: 'r2', target: replica, status: 'succeeded' });
        }

        expect(await objectSha(client, bucket, job.filename)).toBe(job.sha256);
        expect(await objectSha(client, offsiteBucket, `eu/${job.filename}`)).toBe(job.sha256);
        expect(await fileSha(path.join(nasDir, job.filename))).toBe(job.sha256);

        const listed = (await t.http.get('/api/backups/r2').expect(200)).body.find((b: any) => b.filename === job.filename);
        expect([...listed.replicas].sort()).toEqual(['nas', 'offsite']);
        expect(listed.replicas_unknown).toEqual([]);
        // An S3 replica's listing is reused (each costs requests): three reads of the source's list, one listing of
        // offsite; a copy the service deletes shows at once all the same.
        const lists = jest.spyOn(S3TargetStorage.prototype, 'list');
        try {
          const offsiteLists = () => lists.mock.contexts.filter((self) => (self as S3TargetStorage).target === 'offsite').length;
          for (let i = 0; i < 3; i++) {
            const again = (await t.http.get('/api/backups/r2').expect(200)).body.find((b: any) => b.filename === job.filename);
            expect([...again.replicas].sort()).toEqual(['nas', 'offsite']);
          }
          expect(offsiteLists()).toBeLessThanOrEqual(1);
          await t.http.delete(`/api/backups/offsite/${job.filename}`).expect(200);
          const after = (await t.http.get('/api/backups/r2').expect(200)).body.find((b: any) => b.filename === job.filename);
          expect(after.replicas).toEqual(['nas']);
        } finally {
          lists.mockRestore();
        }
        // Each replica lists it as its own backup, so its rotation manages the copy.
        for (const replica of ['nas']) {
          const list = (await t.http.get(`/api/backups/${replica}`).expect(200)).body;
          expect(list.find((b: any) => b.filename === job.filename)).toMatchObject({ own: true, made_here: true });
        }
      } finally {
        await t.http.delete('/api/targets/offsite?confirm=true').expect(200);
        await t.http.delete('/api/targets/nas?confirm=true').expect(200);
      }
    }, 600_000);
  });
});
