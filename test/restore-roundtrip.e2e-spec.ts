/**
 * The full round trip with backups made by the service itself: back up, change the data, restore,
 * the data is back and the safety copy holds the changed data. Local folder, and R2 on the real S3
 * test server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ALL_DATABASES } from './fixtures/restore-archives.js';
import { expectedMarkers, inspectFiles, markers, restoreWorkFiles, safetyCopies, setMarkers } from './fixtures/restore-app.js';
import { putSettings, r2SettingsFor } from './support/r2-settings.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const NAMES = ALL_DATABASES;
type Booted = TestApp;

function boot(root: string): Promise<TestApp> {
  return startTestApp({}, { root, keep: true });
}

async function backUp(t: Booted, target: 'local' | 'r2'): Promise<string> {
  const started = await t.http.post(`/api/backups/${target}`).expect(202);
  const job = await waitForJob(t.http, started.body.id);
  expect(job).toMatchObject({ status: 'succeeded' });
  return job.filename as string;
}

async function roundTrip(root: string, target: 'local' | 'r2', configure: (t: Booted) => Promise<void>): Promise<void> {
  let t = await boot(root);
  try {
    await configure(t);
    await setMarkers(t.app, 'backed-up');
    const filename = await backUp(t, target);
    await setMarkers(t.app, 'changed');

    const verified = await t.http.post(`/api/backups/${target}/${filename}/verify`).expect(200);
    expect(verified.body).toMatchObject({ ok: true, problem: null });
    expect(verified.body.databases.map((d: { name: string }) => d.name)).toEqual(NAMES);

    await t.http.post(`/api/backups/${target}/restore`).send({ filename, restart: false }).expect(202);
    await t.close();
    t = await boot(root);

    expect(await markers(t.app)).toEqual(expectedMarkers('backed-up', NAMES));
    const status = await t.http.get('/api/restore/status').expect(200);
    expect(status.body.last_apply).toMatchObject({ outcome: 'applied', archive: filename, target });
    const [safety] = safetyCopies(t.dataDir);
    expect(inspectFiles(path.join(t.dataDir, safety), NAMES)).toEqual(Object.fromEntries(NAMES.map((n) => [n, { marker: `changed:${n}`, integrity: 'ok' }])));
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
  } finally {
    await t.close();
  }
}

describe('Restore round trip with backups made by the service', () => {
  let root: string;
  beforeEach(() => (root = makeScratchDir('sentinel-roundtrip-')));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('local folder: back up, change, restore; the data is back and the safety copy holds the change', async () => {
    await roundTrip(root, 'local', async () => undefined);
  });

  describeS3('R2 (the real S3 test server)', () => {
    it('back up to R2, change, restore from R2', async () => {
      const bucket = await createTestBucket('restore');
      await roundTrip(root, 'r2', (t) => putSettings(t, r2SettingsFor(bucket)));
    });
  });
});
