/**
 * Issue 12, finding 3: two installations sharing one bucket (or one folder) deleted each other's
 * backups. Two real apps with their own DATA_DIR (so their own installation id) on one radosgw bucket
 * and on one local folder: rotation deletes only its own, each lists the other's as not its own and
 * can restore it, adoption hands a backup over, backups of the previous version (no owner) rotate only
 * while no other owner shares the place, and r2_prefix keeps installations apart in one bucket.
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';
import type { Response } from 'superagent';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import type { BackupTarget } from '../src/common/backup-target.js';
import { Clock } from '../src/common/clock.js';
import { StorageTargets } from '../src/storage/storage-targets.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, isTestS3Enabled, listAllKeys, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const DAY = 24 * 60 * 60 * 1000;

interface Listed {
  filename: string;
  installation_id: string | null;
  own: boolean;
}

const daysAgo = (days: number) => backupFilename(new Date(Date.now() - days * DAY - 60_000));

async function installationId(t: TestApp): Promise<string> {
  const id = (await t.http.get('/api/health').expect(200)).body.installation_id as string;
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  return id;
}

/** An archive stored the way `t`'s backups are (through its adapter, with its owner), named as of `days` ago. */
async function storeOwn(t: TestApp, target: BackupTarget, days: number): Promise<string> {
  const name = daysAgo(days);
  await t.app
    .get(StorageTargets)
    .builtIn(target as 'local' | 'r2')
    .upload(name, Readable.from([Buffer.from(`archive ${name}`)]), { owner: await installationId(t) });
  return name;
}

/** A real backup made by `t` as if at `at` (its clock moved for the job). */
async function backupAt(t: TestApp, target: BackupTarget, at: Date): Promise<string> {
  const clock = t.app.get(Clock);
  const original = clock.now;
  clock.now = () => new Date(at);
  try {
    const job = await waitForJob(t.http, (await t.http.post(`/api/backups/${target}`).expect(202)).body.id);
    expect(job).toMatchObject({ status: 'succeeded' });
    return job.filename as string;
  } finally {
    clock.now = original;
  }
}

async function list(t: TestApp, target: BackupTarget): Promise<Listed[]> {
  return (await t.http.get(`/api/backups/${target}`).expect(200)).body as Listed[];
}

function ownership(items: Listed[]): Record<string, { installation_id: string | null; own: boolean }> {
  return Object.fromEntries(items.map((b) => [b.filename, { installation_id: b.installation_id, own: b.own }]));
}

/** One place shared by two installations: a bucket on radosgw, or a local folder. */
interface Place {
  target: BackupTarget;
  configure(t: TestApp, overrides?: Record<string, unknown>): Promise<void>;
  /** Every name in the place, hidden files and other keys included. */
  names(): Promise<string[]>;
  /** Puts an archive as the previous version stored it: no owner. */
  putUnowned(name: string): Promise<void>;
  /** The owner recorded on an archive, read without the service. */
  ownerMarker(name: string): Promise<string | undefined>;
  close(): void;
}

function bucketPlace(bucket: string): Place {
  const client: S3Client = testS3Client();
  return {
    target: 'r2',
    configure: (t, overrides = {}) => configureR2(t, bucket, overrides),
    names: () => listAllKeys(client, bucket),
    putUnowned: async (name) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: name, Body: `old ${name}` }));
    },
    ownerMarker: async (name) => (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: name }))).Metadata?.['sentinel-installation'],
    close: () => client.destroy(),
  };
}

function folderPlace(dir: string): Place {
  return {
    target: 'local',
    configure: async (t) => {
      await t.http.put('/api/settings/local_backup_dir').send({ value: dir }).expect(200);
    },
    names: async () => fs.readdirSync(dir),
    putUnowned: async (name) => fs.writeFileSync(path.join(dir, name), `old ${name}`),
    ownerMarker: async (name) => {
      const sidecar = path.join(dir, `.${name}.owner`);
      return fs.existsSync(sidecar) ? fs.readFileSync(sidecar, 'utf8').trim() : undefined;
    },
    close: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

const places: Array<[string, () => Promise<Place>]> = [
  ['one local folder', async () => folderPlace(makeScratchDir('sentinel-shared-folder-'))],
  ...(isTestS3Enabled()
    ? [['one bucket on a real S3 server', async () => bucketPlace(await createTestBucket('shared'))] as [string, () => Promise<Place>]]
    : []),
];

describe.each(places)('Two installations sharing %s', (_label, makePlace) => {
  let a: TestApp;
  let b: TestApp;
  let place: Place;
  let target: BackupTarget;

  beforeEach(async () => {
    place = await makePlace();
    target = place.target;
    a = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
    b = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
    await place.configure(a);
    await place.configure(b);
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    place.close();
  });

  it("rotation in one deletes none of the other's (the first one's only backup survives); each lists the other's as not its own and can restore it", async () => {
    const [idA, idB] = [await installationId(a), await installationId(b)];
    expect(idA).not.toBe(idB);
    await seedDatabases(a.app, { rows: 50 });
    // Finding 3's scenario: A's only backup is 30 days old; B has newer ones and retention 7.
    const onlyA = await backupAt(a, target, new Date(Date.now() - 30 * DAY));
    const ownB = [
      await storeOwn(b, target, 1),
      await storeOwn(b, target, 2),
      await storeOwn(b, target, 3),
      await storeOwn(b, target, 20),
      await storeOwn(b, target, 40),
    ];
    expect(await place.ownerMarker(onlyA)).toBe(idA);
    expect(await place.ownerMarker(ownB[0])).toBe(idB);

    await b.http.put(`/api/settings/${target}_backup_retention_days`).send({ value: 7 }).expect(200);
    const rotation = (await b.http.post(`/api/backups/${target}/rotate`).expect(200)).body;
    expect(rotation).toMatchObject({ deleted: [ownB[4], ownB[3]], kept: 4, not_own: 1, failed: [] });
    expect((await place.names()).filter((n) => n.startsWith('sentinel-backup-')).sort()).toEqual([onlyA, ...ownB.slice(0, 3)].sort());

    const expected = {
      [onlyA]: { installation_id: idA },
      [ownB[0]]: { installation_id: idB },
      [ownB[1]]: { installation_id: idB },
      [ownB[2]]: { installation_id: idB },
    };
    const seenByA = ownership(await list(a, target));
    const seenByB = ownership(await list(b, target));
    expect(Object.keys(seenByA).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, { installation_id }] of Object.entries(expected)) {
      expect(seenByA[name]).toEqual({ installation_id, own: installation_id === idA });
      expect(seenByB[name]).toEqual({ installation_id, own: installation_id === idB });
    }

    // A's rotation leaves B's alone too.
    await a.http.put(`/api/settings/${target}_backup_retention_days`).send({ value: 1 }).expect(200);
    expect((await a.http.post(`/api/backups/${target}/rotate`).expect(200)).body).toMatchObject({ deleted: [], not_own: 3 });

    // Disaster recovery: B stages a restore of A's backup.
    const staged = await b.http.post(`/api/backups/${target}/restore`).send({ filename: onlyA, restart: false }).expect(202);
    expect(staged.body).toMatchObject({ archive: onlyA, target, state: 'staged' });
    await b.http.delete(`/api/backups/${target}/restore/staged`).expect(200);
  });

  it("adopting another installation's backup makes it its own: its rotation manages it, the other's no longer counts it", async () => {
    const [idA, idB] = [await installationId(a), await installationId(b)];
    const fromA = await storeOwn(a, target, 30);
    const ownB = [await storeOwn(b, target, 1), await storeOwn(b, target, 2), await storeOwn(b, target, 3)];
    const before = await place.names();

    await b.http.post(`/api/backups/${target}/${daysAgo(99)}/adopt`).expect(404, /GET \/api\/backups/);
    await b.http.post(`/api/backups/${target}/notes.txt/adopt`).expect(400, /not a backup name/);
    const adopted = (await b.http.post(`/api/backups/${target}/${fromA}/adopt`).expect(200)).body;
    expect((await b.http.get('/api/audit?limit=1').expect(200)).body[0]).toMatchObject({ action: 'backup.adopt', target, subject: fromA, outcome: 'ok' });
    expect(adopted).toEqual({ filename: fromA, installation_id: idB, previous_installation_id: idA });
    expect(await place.ownerMarker(fromA)).toBe(idB);
    // The archive's bytes are unchanged and nothing else appeared.
    const download = await b.http.get(`/api/backups/${target}/${fromA}/download`).buffer(true).parse(collect).expect(200);
    expect((download.body as Buffer).toString()).toBe(`archive ${fromA}`);
    expect((await place.names()).sort()).toEqual(before.sort());
    expect(ownership(await list(b, target))[fromA]).toEqual({ installation_id: idB, own: true });
    expect(ownership(await list(a, target))[fromA]).toEqual({ installation_id: idB, own: false });
    // Adopting again changes nothing.
    expect((await b.http.post(`/api/backups/${target}/${fromA}/adopt`).expect(200)).body).toMatchObject({ previous_installation_id: idB });

    await a.http.put(`/api/settings/${target}_backup_retention_days`).send({ value: 7 }).expect(200);
    expect((await a.http.post(`/api/backups/${target}/rotate`).expect(200)).body.deleted).toEqual([]);
    await b.http.put(`/api/settings/${target}_backup_retention_days`).send({ value: 7 }).expect(200);
    expect((await b.http.post(`/api/backups/${target}/rotate`).expect(200)).body.deleted).toEqual([fromA]);
    expect((await place.names()).filter((n) => n.startsWith('sentinel-backup-')).sort()).toEqual([...ownB].sort());
  });

  it("deleting another installation's backup through the API needs ?confirm_foreign=true", async () => {
    const idA = await installationId(a);
    const fromA = await storeOwn(a, target, 5);
    const ownB = await storeOwn(b, target, 5.5);

    const refused = await b.http.delete(`/api/backups/${target}/${fromA}`).expect(409);
    expect(refused.body).toMatchObject({ error: 'BACKUP_NOT_OWN' });
    expect(refused.body.message).toContain(`belongs to installation ${idA}`);
    expect(refused.body.message).toContain('confirm_foreign=true');
    await b.http.delete(`/api/backups/${target}/${fromA}?confirm_foreign=maybe`).expect(400, /confirm_foreign must be true or false/);
    expect(await place.names()).toContain(fromA);

    await b.http.delete(`/api/backups/${target}/${fromA}?confirm_foreign=true`).expect(200, { filename: fromA, deleted: true });
    await b.http.delete(`/api/backups/${target}/${ownB}`).expect(200);
    // The folder's owner markers go with their archives.
    expect(await place.names()).toEqual([]);
    // The audit log tells the confirmed deletion of another installation's backup from an ordinary one.
    const audit = (await b.http.get('/api/audit?limit=3').expect(200)).body as { action: string; subject: string }[];
    expect(audit.slice(0, 2).map((e) => [e.action, e.subject])).toEqual([
      ['backup.delete', ownB],
      ['backup.delete-foreign', fromA],
    ]);
  });

  it('backups without an owner (previous version) rotate while no other owner is present, and are kept once one appears', async () => {
    const old = [1, 2, 3, 20, 30].map(daysAgo);
    for (const name of old) await place.putUnowned(name);
    expect(ownership(await list(a, target))[old[3]]).toEqual({ installation_id: null, own: true });
    await a.http.put(`/api/settings/${target}_backup_retention_days`).send({ value: 7 }).expect(200);
    expect((await a.http.post(`/api/backups/${target}/rotate`).expect(200)).body).toMatchObject({ deleted: [old[4], old[3]], not_own: 0 });

    // Another installation's backup appears beside them: the unowned ones are no longer A's to delete.
    const older = [40, 50].map(daysAgo);
    for (const name of older) await place.putUnowned(name);
    const fromB = await storeOwn(b, target, 4);
    const listed = ownership(await list(a, target));
    expect(listed[older[0]]).toEqual({ installation_id: null, own: false });
    expect(listed[fromB]).toEqual({ installation_id: await installationId(b), own: false });
    expect((await a.http.post(`/api/backups/${target}/rotate`).expect(200)).body).toMatchObject({ deleted: [], not_own: 6 });
    expect((await place.names()).filter((n) => n.startsWith('sentinel-backup-')).sort()).toEqual([...old.slice(0, 3), ...older, fromB].sort());
    // Nest's static logger writes to the log of the app created last, so both logs are searched.
    expect(
      await logLine(
        [a, b],
        /left 5 backups without an owner alone .*adopt the ones that are this installation's with POST \/api\/backups\/(r2|local)\/<filename>\/adopt/,
      ),
    ).toBeDefined();
    // Deleting one of them through the API now needs the confirmation too.
    await a.http.delete(`/api/backups/${target}/${older[1]}`).expect(409, /no owner and another installation shares this target/);
  });
});

describeS3('r2_prefix: installations in one bucket under different prefixes', () => {
  let a: TestApp;
  let b: TestApp;
  let client: S3Client;
  let bucket: string;

  beforeEach(async () => {
    client = testS3Client();
    bucket = await createTestBucket('prefix');
    a = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
    b = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
  });
  afterEach(async () => {
    client.destroy();
    await a.close();
    await b.close();
  });

  it('keeps every key of a target under its prefix: each lists, downloads and rotates only its own keys', async () => {
    await configureR2(a, bucket, { r2_prefix: 'team-a' });
    await configureR2(b, bucket, { r2_prefix: 'offices/team-b/' });
    expect((await a.http.get('/api/settings/r2_prefix').expect(200)).body.value).toBe('team-a/');
    const atRoot = daysAgo(50);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: atRoot, Body: 'at the root' }));

    await seedDatabases(a.app, { rows: 20 });
    const real = (await waitForJob(a.http, (await a.http.post('/api/backups/r2').expect(202)).body.id)).filename as string;
    const namesA = [real, await storeOwn(a, 'r2', 10)];
    const namesB = [await storeOwn(b, 'r2', 12), await storeOwn(b, 'r2', 13)];
    expect((await listAllKeys(client, bucket)).sort()).toEqual(
      [atRoot, ...namesA.map((n) => `team-a/${n}`), ...namesB.map((n) => `offices/team-b/${n}`)].sort(),
    );

    expect((await list(a, 'r2')).map((x) => x.filename).sort()).toEqual([...namesA].sort());
    expect((await list(b, 'r2')).map((x) => x.filename).sort()).toEqual([...namesB].sort());
    expect((await list(a, 'r2')).every((x) => x.own)).toBe(true);
    await a.http.get(`/api/backups/r2/${namesB[0]}/download`).expect(404);
    await a.http.get(`/api/backups/r2/${real}/download`).expect(200);

    const probe = (await a.http.post('/api/backups/r2/test').expect(200)).body;
    expect(probe).toMatchObject({ ok: true });
    expect(probe.location).toMatch(/\/team-a\/$/);

    await a.http.delete(`/api/backups/r2/${namesA[1]}`).expect(200);
    expect((await listAllKeys(client, bucket)).sort()).toEqual([atRoot, `team-a/${real}`, ...namesB.map((n) => `offices/team-b/${n}`)].sort());
  });

  it('refuses a prefix that is not a plain folder path, and changes nothing', async () => {
    await configureR2(a, bucket, { r2_prefix: 'kept/' });
    for (const bad of ['/abs', 'a/../b', '..', 'a//b', './a', 'a\\b', 'tab\there', 'x'.repeat(300)]) {
      const res = await a.http.put('/api/settings/r2_prefix').send({ value: bad }).expect(400);
      expect(res.body.message).toMatch(/^r2_prefix must/);
    }
    await a.http
      .put('/api/settings/r2_prefix')
      .send({ value: 42 })
      .expect(400, /r2_prefix must be a string/);
    expect((await a.http.get('/api/settings/r2_prefix').expect(200)).body.value).toBe('kept/');
    await a.http.put('/api/settings/r2_prefix').send({ value: '' }).expect(200);
    expect((await a.http.get('/api/settings/r2_prefix').expect(200)).body.value).toBe('');
  });
});

describeS3('Listing 1,000 backups with their owners', () => {
  it('reads every owner with bounded concurrency and caches them: the measured time is printed', async () => {
    const t = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '60000' });
    const client = testS3Client();
    try {
      const bucket = await createTestBucket('owners');
      await configureR2(t, bucket);
      const id = await installationId(t);
      const other = '00000000-0000-4000-8000-000000000001';
      const names = Array.from({ length: 1000 }, (_, i) => backupFilename(new Date(Date.now() - (i + 1) * 3_600_000)));
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < names.length) {
            const i = next++;
            const owner = i % 2 === 0 ? id : other;
            await client.send(new PutObjectCommand({ Bucket: bucket, Key: names[i], Body: `fake ${i}`, Metadata: { 'sentinel-installation': owner } }));
          }
        }),
      );

      let started = Date.now();
      const cold = await list(t, 'r2');
      const coldMs = Date.now() - started;
      started = Date.now();
      const warm = await list(t, 'r2');
      const warmMs = Date.now() - started;
      process.stdout.write(`\nLISTING 1,000 backups with owners (radosgw): first ${coldMs} ms (1,000 HeadObject, 32 at a time), cached ${warmMs} ms\n`);

      expect(cold).toHaveLength(1000);
      expect(cold.filter((x) => x.own)).toHaveLength(500);
      expect(cold.find((x) => x.filename === names[1])).toMatchObject({ installation_id: other, own: false });
      expect(warm.map((x) => [x.filename, x.installation_id, x.own])).toEqual(cold.map((x) => [x.filename, x.installation_id, x.own]));
      expect(coldMs).toBeLessThan(60_000);
      expect(warmMs).toBeLessThan(coldMs / 4);
    } finally {
      client.destroy();
      await t.close();
    }
    // The listing has its own limit above; jest's default 60 s would also have to cover the 1,000 uploads
    // that set it up, which a machine busy with other work does not always finish in time.
  }, 180_000);
});

/** The first line of the apps' logs matching `pattern`, waiting for the files to be written (they are buffered). */
async function logLine(apps: TestApp[], pattern: RegExp): Promise<string | undefined> {
  for (let waited = 0; waited < 5000; waited += 100) {
    const line = apps.flatMap((t) => fs.readFileSync(t.logFile, 'utf8').split('\n')).find((l) => pattern.test(l));
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

function collect(response: Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}
