/**
 * Increments the service made itself (issue 19: the policy on, POST /api/backups/local) restore and verify through
 * the API like a full backup: plain, and encrypted (`.tar.gz.age`: each link decrypted with the server's key, as a
 * full archive is). The markers of every database tell which point is live after the restore.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expectedMarkers, markers, restoreWorkFiles, setMarkers } from './fixtures/restore-app.js';
import { enableEncryption } from './support/age-archives.js';
import { LONG_CHAINS, setIncrementalPolicy } from './support/incremental-policy.js';
import { waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const ENV = { TZ: 'UTC', SENTINEL_DATABASES: 'config,ledger,cache', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' };
const NAMES = ['config', 'ledger', 'cache'];

async function backUp(t: TestApp): Promise<string> {
  const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
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
