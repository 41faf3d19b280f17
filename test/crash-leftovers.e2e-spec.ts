/**
 * Issue 12, finding 5: a kill -9 of the real service (`node dist/main.js`) mid-backup leaves nothing
 * that outlives the next start. The local folder's `.partial` file and DATA_DIR's scratch folder are
 * removed at start; on R2 the unfinished multipart upload is aborted (ListMultipartUploads empty),
 * while an upload this installation never recorded (another installation's) is left alone; the
 * interrupted job says what the start-up clean-up did, and the next backup works.
 */
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PARTIAL_NAME } from '../src/storage/object-key.js';
import { assertServiceBuilt, getJson, post, type ServiceProcess, startService, waitHealthy, withService } from './fixtures/restore-service.js';
import { startHttpReceiver } from './support/http-receiver.js';
import { r2SettingsFor } from './support/r2-settings.js';
import { createTestBucket, describeS3, listAllKeys, testS3, testS3Client } from './support/s3-server.js';
import { makeScratchDir } from './support/test-app.js';

const MIB = 1024 * 1024;

/** universe.db with `mib` MiB that does not compress, so a backup takes long enough to be killed mid-write. */
function writeLargeDatabase(data: string, mib: number): void {
  fs.mkdirSync(data, { recursive: true });
  const db = new Database(path.join(data, 'universe.db'));
  db.exec('CREATE TABLE blobs (b BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO blobs (b) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < mib; i++) insert.run(randomBytes(MIB));
  })();
  db.close();
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 5): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function killHard(service: ServiceProcess): Promise<void> {
  service.child.kill('SIGKILL');
  expect((await service.exited).signal).toBe('SIGKILL');
}

async function putSetting(url: string, key: string, value: string | number): Promise<void> {
  const res = await fetch(`${url}/api/settings/${key}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
  expect({ key, status: res.status }).toEqual({ key, status: 200 });
}

/** The job as the restarted service reports it, once the start-up clean-up has said what it did. */
async function describedJob(url: string, id: string): Promise<any> {
  return until(
    'the interrupted job to say what the start-up clean-up did',
    async () => {
      const job = (await getJson(`${url}/api/backup-jobs/${id}`))?.body;
      return job && !/under way/.test(job.error ?? '') ? job : undefined;
    },
    60_000,
    50,
  );
}

function scratchFolders(data: string): string[] {
  return fs.readdirSync(data).filter((e) => e.startsWith('.backup-tmp-'));
}

describe('kill -9 mid-backup to the local folder', () => {
  let root: string;
  beforeAll(() => assertServiceBuilt());
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('leaves no .partial file and no scratch folder after the next start, the job says what was removed, and a webhook hears of the failure', async () => {
    root = makeScratchDir('sentinel-crash-local-');
    const data = path.join(root, 'data');
    const folder = path.join(data, 'backups');
    writeLargeDatabase(data, 64);
    const receiver = await startHttpReceiver();
    const service = await startService(root);
    let jobId: string;
    try {
      await waitHealthy(service);
      const channel = await post(`${service.url}/api/notifications/channels`, { name: 'hook', type: 'webhook', url: `${receiver.origin}/hook` });
      expect(channel.status).toBe(201);
      jobId = (await post(`${service.url}/api/backups/local`, {})).body.id;
      await until('a .partial file in the backup folder', () => fs.existsSync(folder) && fs.readdirSync(folder).some((e) => PARTIAL_NAME.test(e)));
    } finally {
      await killHard(service);
    }
    const partials = fs.readdirSync(folder).filter((e) => PARTIAL_NAME.test(e));
    expect(partials).toHaveLength(1);
    expect(scratchFolders(data)).toHaveLength(1);
    const scratch = scratchFolders(data)[0];

    await withService(root, async (next) => {
      const job = await describedJob(next.url, jobId);
      expect(fs.readdirSync(folder)).toEqual([]);
      expect(scratchFolders(data)).toEqual([]);
      expect(job.status).toBe('failed');
      expect(job.error_code).toBe('BACKUP_INTERRUPTED');
      expect(job.error).toBe(
        `Interrupted: the service stopped while this local backup was running. At the next start it removed what the backup had left: ` +
          `its scratch folder ${scratch} in DATA_DIR; the unfinished file ${partials[0]} in ${folder}. Run the backup again`,
      );
      const again = (await post(`${next.url}/api/backups/local`, {})).body;
      const done = await until(
        'the next backup',
        async () => {
          const j = (await getJson(`${next.url}/api/backup-jobs/${again.id}`))?.body;
          return j && ['succeeded', 'failed'].includes(j.status) ? j : undefined;
        },
        120_000,
        100,
      );
      expect(done.status).toBe('succeeded');
      expect(fs.readdirSync(folder).sort()).toEqual([`.${done.filename}.owner`, done.filename]); // the archive and its owner file
      // The job a kill ended could emit nothing; the next start announces it as a failed backup, once.
      const announced = () => receiver.requests.map((r) => JSON.parse(r.body.toString('utf8'))).filter((n) => n.event === 'backup.failed');
      // The works-again message follows the failure on the channel's one lane: once it is there, so is everything before it.
      await until('the works-again message', () => announced().some((n) => n.resolves !== null));
      const failed = announced().filter((n) => n.resolves === null);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ target: 'local', error_code: 'BACKUP_INTERRUPTED', details: expect.objectContaining({ job_id: jobId }) });
      expect(failed[0].message).toContain('Interrupted: the service stopped while this local backup was running');
    });
    await receiver.close();
  }, 240_000);
});

describeS3('kill -9 mid-upload to R2', () => {
  let root: string;
  let client: S3Client;
  let bucket: string;
  beforeAll(async () => {
    assertServiceBuilt();
    client = testS3Client();
    bucket = await createTestBucket('crash-upload');
  });
  afterAll(() => {
    client.destroy();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function uploads(): Promise<Array<{ key: string; id: string }>> {
    const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return (out.Uploads ?? []).map((u) => ({ key: u.Key as string, id: u.UploadId as string }));
  }

  it('aborts its own unfinished multipart upload at the next start and leaves one it never recorded alone', async () => {
    root = makeScratchDir('sentinel-crash-r2-');
    const data = path.join(root, 'data');
    writeLargeDatabase(data, 64);
    // Another installation sharing the bucket, mid-upload: this service has no record of it.
    const foreign = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'sentinel-backup-2026-01-08-143022.tar.gz' }));
    const service = await startService(root);
    let jobId: string;
    try {
      await waitHealthy(service);
      for (const [key, value] of Object.entries(r2SettingsFor(bucket))) {
        await putSetting(service.url, key, value);
      }
      jobId = (await post(`${service.url}/api/backups/r2`, {})).body.id;
      await until('the backup’s multipart upload', async () => ((await uploads()).length > 1 ? true : undefined), 60_000, 20);
    } finally {
      await killHard(service);
    }
    const own = (await uploads()).filter((u) => u.id !== foreign.UploadId);
    expect(own).toHaveLength(1);
    expect(scratchFolders(data)).toHaveLength(1);
    const scratch = scratchFolders(data)[0];

    try {
      await withService(root, async (next) => {
        const job = await describedJob(next.url, jobId);
        expect(await uploads()).toEqual([{ key: 'sentinel-backup-2026-01-08-143022.tar.gz', id: foreign.UploadId }]);
        const records = path.join(data, '.s3-uploads');
        expect(fs.existsSync(records) ? fs.readdirSync(records) : []).toEqual([]);
        expect(scratchFolders(data)).toEqual([]);
        expect(await listAllKeys(client, bucket)).toEqual([]);
        expect(job.error).toBe(
          `Interrupted: the service stopped while this R2 backup was running. At the next start it removed what the backup had left: ` +
            `its scratch folder ${scratch} in DATA_DIR; the unfinished multipart upload of ${own[0].key} in ${testS3().endpoint}/${bucket}. Run the backup again`,
        );
      });
    } finally {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'sentinel-backup-2026-01-08-143022.tar.gz', UploadId: foreign.UploadId }));
    }
  }, 240_000);
});
