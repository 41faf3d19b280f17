/**
 * Increments the service made itself (issue 19: the policy on, POST /api/backups/{target}) restore and verify through
 * the API like a full backup: plain, and encrypted (`.tar.gz.age`: each link decrypted with the server's key, as a
 * full archive is), in the local folder and in the real S3 server. The markers of every database tell which point
 * is live after the restore.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expectedMarkers, markers, restoreWorkFiles, setMarkers } from './fixtures/restore-app.js';
import { enableEncryption } from './support/age-archives.js';
import { LONG_CHAINS, setIncrementalPolicy } from './support/incremental-policy.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, listAllKeys, testS3Client } from './support/s3-server.js';
import { waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const ENV = { TZ: 'UTC', SENTINEL_DATABASES: 'config,ledger,cache', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' };
const NAMES = ['config', 'ledger', 'cache'];

async function backUp(t: TestApp, target = 'local'): Promise<string> {
  const job = await waitForJob(t.http, (await t.http.post(`/api/backups/${target}`).expect(202)).body.id);
  expect(job).toMatchObject({ status: 'succeeded', error: null });
  return job.filename as string;
}

describe('Increments made by the service restore and verify through the API', () => {
  let root: string;
  let t: TestApp | undefined;
  beforeEach(() => (root = makeScratchDir('sentinel-incr-service-')));
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it.each([
    ['plain', false],
    ['encrypted', true],
  ])(
    '%s: each point verifies, and restoring the middle one brings back its data',
    async (_label, encrypted) => {
      t = await startTestApp(ENV, { root, keep: true });
      await setIncrementalPolicy(t.http, 'local', LONG_CHAINS);
      if (encrypted) await enableEncryption(t, 'local', root);
      const made: string[] = [];
      for (const marker of ['v1', 'v2', 'v3']) {
        await setMarkers(t.app, marker);
        made.push(await backUp(t));
      }
      const suffix = encrypted ? '\\.tar\\.gz\\.age$' : '\\.tar\\.gz$';
      expect(made.map((name) => name.replace(/-\d{4}-.*$/, ''))).toEqual(['sentinel-backup', 'sentinel-incremental', 'sentinel-incremental']);
      for (const name of made) expect(name).toMatch(new RegExp(suffix));

      for (const name of made) {
        const report = await t.http.post(`/api/backups/local/${name}/verify`).expect(200);
        expect({ name, ok: report.body.ok, problem: report.body.problem }).toEqual({ name, ok: true, problem: null });
      }
      // What a restore of an increment would bring back: its databases as the increment leaves them.
      const contents = await t.http.get(`/api/backups/local/${made[2]}/contents`).expect(200);
      expect(contents.body.databases.map((db: { name: string }) => db.name)).toEqual(NAMES);
      await setMarkers(t.app, 'v4');
      await t.http.post('/api/backups/local/restore').send({ filename: made[1], restart: false }).expect(202);
      await t.close();
      t = await startTestApp(ENV, { root, keep: true });
      expect((await t.http.get('/api/restore/status').expect(200)).body.last_apply).toMatchObject({ outcome: 'applied', archive: made[1] });
      expect(await markers(t.app)).toEqual(expectedMarkers('v2', NAMES));
      expect(restoreWorkFiles(path.join(root, 'data'))).toEqual([]);
    },
    120_000,
  );
});

describeS3('The end of a chain in the real S3 server restores through the API', () => {
  let root: string;
  let t: TestApp | undefined;
  beforeEach(() => (root = makeScratchDir('sentinel-incr-service-s3-')));
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a full backup and two increments in the bucket: restoring the last increment brings back its data', async () => {
    t = await startTestApp(ENV, { root, keep: true });
    const bucket = await createTestBucket('incr-restore');
    await configureR2(t, bucket);
    await setIncrementalPolicy(t.http, 'r2', LONG_CHAINS);
    const made: string[] = [];
    for (const marker of ['v1', 'v2', 'v3']) {
      await setMarkers(t.app, marker);
      made.push(await backUp(t, 'r2'));
    }
    const [full, first, last] = made;
    // The chain as the list shows it, and as the S3 server holds it.
    const listed = (await t.http.get('/api/backups/r2').expect(200)).body as Array<{
      filename: string;
      kind: string;
      base: string | null;
      parent: string | null;
    }>;
    expect(made.map((name) => listed.find((b) => b.filename === name))).toEqual([
      expect.objectContaining({ filename: full, kind: 'full' }),
      expect.objectContaining({ filename: first, kind: 'incremental', base: full, parent: full }),
      expect.objectContaining({ filename: last, kind: 'incremental', base: full, parent: first }),
    ]);
    const client = testS3Client();
    try {
      expect(await listAllKeys(client, bucket)).toEqual(expect.arrayContaining(made));
    } finally {
      client.destroy();
    }

    await setMarkers(t.app, 'v4');
    const staged = await t.http.post('/api/backups/r2/restore').send({ filename: last, restart: false }).expect(202);
    expect(staged.body).toMatchObject({ archive: last, target: 'r2', state: 'staged' });
    await t.close();
    t = await startTestApp(ENV, { root, keep: true });
    expect((await t.http.get('/api/restore/status').expect(200)).body.last_apply).toMatchObject({ outcome: 'applied', archive: last, target: 'r2' });
    expect(await markers(t.app)).toEqual(expectedMarkers('v3', NAMES));
    expect(restoreWorkFiles(path.join(root, 'data'))).toEqual([]);
  }, 120_000);
});
