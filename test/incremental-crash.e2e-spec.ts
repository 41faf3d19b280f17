/**
 * kill -9 of the real service (`node dist/main.js`) while it writes an increment (issue 19), to the local folder
 * and to the real S3 server: the next start removes the unfinished file (aborts the multipart upload), no `sentinel-incremental-…` is left in the folder, the page index still names the
 * point before (it moves only once an archive is stored and recorded), and the next backup is an increment whose
 * parent is that point, which the engine's applier rebuilds, on top of the full backup, into the live database.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IncrementalMetadata } from '../src/archive-format/incremental-metadata.js';
import { applyIncrementChain } from '../src/incremental/increment-chain-applier.js';
import { PARTIAL_NAME } from '../src/storage/object-key.js';
import { assertServiceBuilt, getJson, post, type ServiceProcess, startService, waitHealthy, withService } from './fixtures/restore-service.js';
import { r2SettingsFor } from './support/r2-settings.js';
import { createTestBucket, describeS3, listAllKeys, testS3Client } from './support/s3-server.js';
import { makeScratchDir } from './support/test-app.js';
import { until } from './support/until.js';

const MIB = 1024 * 1024;
const ENV = { SENTINEL_DATABASES: 'config,ledger', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' };

async function patch(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function backUp(url: string, target: string): Promise<any> {
  const { id } = (await post(`${url}/api/backups/${target}`, {})).body;
  return until(
    `backup job ${id}`,
    async () => {
      const job = (await getJson(`${url}/api/backup-jobs/${id}`))?.body;
      return job && ['succeeded', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
    },
    120_000,
    100,
  );
}

/** Every row of the blobs table, hashed in order: what a rebuilt copy must hold. */
function blobsDigest(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const hash = createHash('sha256');
    for (const row of db.prepare('SELECT id, b FROM blobs ORDER BY id').iterate() as Iterable<{ id: number; b: Buffer }>)
      hash.update(`${row.id}:`).update(row.b);
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

/**
 * Where a test's backups go: the built-in local folder, or the built-in r2 pointed at a bucket of the real S3
 * server. `unfinished` is what the kill must have caught (an increment's `.partial` file, its multipart upload),
 * `names` the backups stored, `fetch` one of them as a file.
 */
interface CrashTarget {
  id: 'local' | 'r2';
  configure(url: string): Promise<void>;
  unfinished(): Promise<boolean>;
  /** What unfinished stores are left (`.partial` files, multipart uploads). */
  leftovers(): Promise<string[]>;
  names(): Promise<string[]>;
  fetch(name: string, to: string): Promise<string>;
}

function folderTarget(folder: string): CrashTarget {
  return {
    id: 'local',
    configure: async () => undefined,
    unfinished: async () => fs.existsSync(folder) && fs.readdirSync(folder).some((e) => PARTIAL_NAME.test(e) && e.includes('sentinel-incremental-')),
    leftovers: async () => fs.readdirSync(folder).filter((e) => PARTIAL_NAME.test(e)),
    names: async () =>
      fs
        .readdirSync(folder)
        .filter((e) => !e.startsWith('.'))
        .sort(),
    fetch: async (name) => path.join(folder, name),
  };
}

function s3Target(client: S3Client, bucket: string): CrashTarget {
  const uploads = async () => ((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((u) => u.Key as string);
  return {
    id: 'r2',
    configure: async (url) => {
      for (const [key, value] of Object.entries({ ...r2SettingsFor(bucket), r2_backup_enabled: 1 })) {
        const res = await fetch(`${url}/api/settings/${key}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ value }),
        });
        expect({ key, status: res.status }).toEqual({ key, status: 200 });
      }
    },
    unfinished: async () => (await uploads()).some((key) => key.startsWith('sentinel-incremental-')),
    leftovers: uploads,
    names: async () => (await listAllKeys(client, bucket)).sort(),
    fetch: async (name, to) => {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: name }));
      fs.writeFileSync(to, Buffer.from(await object.Body!.transformToByteArray()));
      return to;
    },
  };
}

/**
 * A full backup, then a third of the database rewritten and a kill -9 while its increment is being stored; at the
 * next start: nothing of it left, the index where it was, and the next increment's parent is the full backup.
 */
async function killMidIncrement(root: string, target: CrashTarget): Promise<void> {
  const data = path.join(root, 'data');
  const ledger = path.join(data, 'ledger.db');
  const chainFile = path.join(data, '.incremental', target.id, 'chain.json');
  fs.mkdirSync(data, { recursive: true });
  // 48 MiB that does not compress, so the increment of a third of it takes long enough to be killed mid-write.
  const db = new Database(ledger);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO blobs (id, b) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= 48; i++) insert.run(i, randomBytes(MIB));
  })();
  db.close();

  let full: any;
  let interrupted: string;
  let indexBefore: string;
  const service: ServiceProcess = await startService(root, ENV);
  try {
    await waitHealthy(service);
    await target.configure(service.url);
    const policy = await patch(`${service.url}/api/targets/${target.id}`, { incremental: { enabled: true, full_every: 1000, max_chain_ratio: 10 } });
    expect(policy.status).toBe(200);
    full = await backUp(service.url, target.id);
    expect(full).toMatchObject({ status: 'succeeded', filename: expect.stringMatching(/^sentinel-backup-/) });
    indexBefore = fs.readFileSync(chainFile, 'utf8');
    expect(JSON.parse(indexBefore)).toMatchObject({ base: full.filename, last: full.filename, increments: 0 });

    const writer = new Database(ledger);
    writer.prepare('UPDATE blobs SET b = randomblob(1048576) WHERE id <= 16').run();
    writer.close();
    interrupted = (await post(`${service.url}/api/backups/${target.id}`, {})).body.id;
    await until('an unfinished increment in the target', async () => (await target.unfinished()) || undefined, 60_000, 20);
  } finally {
    service.child.kill('SIGKILL');
    expect((await service.exited).signal).toBe('SIGKILL');
  }
  expect(await target.leftovers()).toHaveLength(1);

  await withService(
    root,
    async (next) => {
      const job = await until('the interrupted job to say what the start-up clean-up did', async () => {
        const j = (await getJson(`${next.url}/api/backup-jobs/${interrupted}`))?.body;
        return j && !/under way/.test(j.error ?? '') ? j : undefined;
      });
      expect(job).toMatchObject({ status: 'failed', error_code: 'BACKUP_INTERRUPTED' });
      // Nothing of the increment is left, and the index still names the full backup as the chain's newest point.
      expect(await target.names()).toEqual([full.filename]);
      expect(await target.leftovers()).toEqual([]);
      expect(fs.readFileSync(chainFile, 'utf8')).toBe(indexBefore);

      const increment = await backUp(next.url, target.id);
      expect(increment).toMatchObject({ status: 'succeeded', filename: expect.stringMatching(/^sentinel-incremental-/) });
      const point = path.join(root, 'point');
      fs.mkdirSync(point);
      execFileSync('tar', ['xzf', await target.fetch(full.filename, path.join(root, full.filename)), '-C', point]);
      const pages = path.join(root, 'increment');
      fs.mkdirSync(pages);
      execFileSync('tar', ['xzf', await target.fetch(increment.filename, path.join(root, increment.filename)), '-C', pages]);
      const metadata = JSON.parse(fs.readFileSync(path.join(pages, 'backup-metadata.json'), 'utf8')) as IncrementalMetadata;
      expect(metadata).toMatchObject({ base: full.filename, parent: full.filename });
      const pagesFiles = new Map(metadata.databases.filter((d) => d.pages_file).map((d) => [d.name, path.join(pages, d.pages_file!)]));
      await applyIncrementChain(point, [{ name: increment.filename, metadata, pagesFiles }], { durable: false });
      expect(blobsDigest(path.join(point, 'ledger.db'))).toBe(blobsDigest(ledger));
      expect(JSON.parse(fs.readFileSync(chainFile, 'utf8'))).toMatchObject({ base: full.filename, last: increment.filename, increments: 1 });
    },
    ENV,
  );
}

describe('kill -9 while an increment is written to the local folder', () => {
  let root: string;
  beforeAll(() => assertServiceBuilt());
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('leaves no partial increment, keeps the page index at the point before, and the next increment has that point as parent and rebuilds the live rows', async () => {
    root = makeScratchDir('sentinel-incremental-crash-');
    await killMidIncrement(root, folderTarget(path.join(root, 'data', 'backups')));
  }, 300_000);
});

describeS3('kill -9 while an increment is uploaded to S3', () => {
  let root: string;
  let client: S3Client;
  beforeAll(() => {
    assertServiceBuilt();
    client = testS3Client();
  });
  afterAll(() => {
    client.destroy();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('aborts the increment’s multipart upload at the next start, keeps the page index at the point before, and the next increment has that point as parent', async () => {
    root = makeScratchDir('sentinel-incremental-crash-s3-');
    await killMidIncrement(root, s3Target(client, await createTestBucket('incremental-crash')));
  }, 300_000);
});
