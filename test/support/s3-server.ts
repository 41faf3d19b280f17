/**
 * The real S3-compatible server the e2e tests talk to: Ceph's RADOS Gateway on 127.0.0.1, one cluster
 * per jest worker, started by test/setup/global-setup.ts (random ports, random keys, fresh temp dirs)
 * and stopped by test/setup/global-teardown.ts. The connection details come from the JSON files named
 * by the env var SENTINEL_TEST_S3_FILE, which the global setup sets: this worker's is the Nth
 * (JEST_WORKER_ID).
 *
 *   const s3 = testS3();                       // { endpoint, accessKeyId, secretAccessKey, region: 'auto', dir, port }
 *   const bucket = await createTestBucket('restore');
 *   const client = testS3Client();              // an S3Client configured for it (call client.destroy() after)
 *   await stopS3(); ...; await startS3();       // take only radosgw down and bring it back (same port, same data)
 *   describeS3('...', () => { ... });           // describe, or describe.skip when SENTINEL_TEST_S3=off
 *
 * Server behaviour worth knowing (same as Cloudflare R2 where it matters): clients need
 * forcePathStyle: true and requestChecksumCalculation / responseChecksumValidation 'WHEN_REQUIRED'
 * (no aws-chunked trailing checksums: a streamed PutObject otherwise fails with 411
 * MissingContentLength); CompleteMultipartUpload returns an empty ETag (HeadObject has the real one);
 * Upload.abort() rejects done() before its background AbortMultipartUpload has finished.
 *
 * stopS3()/startS3() change the server of this worker, which the test files run one after another in
 * this worker share (test files in other workers have their own): always startS3() again (e.g. in a
 * finally or afterAll).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe } from '@jest/globals';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** Env var naming the JSON file with the connection details (set by test/setup/global-setup.ts). */
export const TEST_S3_FILE_ENV = 'SENTINEL_TEST_S3_FILE';

export interface TestS3 {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: 'auto';
  /** The cluster's temp dir (ceph.conf, run/*.pid, log/). */
  dir: string;
  /** radosgw's port on 127.0.0.1. */
  port: number;
}

interface ConnectionFile extends TestS3 {
  monPort: number;
  scriptsDir: string;
  ownerPid: number;
}

let cached: { file: string; conn: ConnectionFile } | undefined;

/** This worker's connection file: jest numbers its workers from 1 (1 in band). */
function connectionFile(): string | undefined {
  const files = process.env[TEST_S3_FILE_ENV]?.split(delimiter);
  if (!files) return undefined;
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  if (!(worker >= 1 && worker <= files.length)) {
    throw new Error(`No test S3 server for jest worker ${process.env.JEST_WORKER_ID}: the global setup started ${files.length}, one per worker`);
  }
  return files[worker - 1];
}

function connection(): ConnectionFile {
  const file = connectionFile();
  if (!file || !existsSync(file)) {
    throw new Error(
      'No test S3 server: it is started by test/setup/global-setup.ts (jest globalSetup) unless ' +
        'SENTINEL_TEST_S3=off. Guard S3 tests with describeS3 or isTestS3Enabled().',
    );
  }
  if (cached?.file !== file) cached = { file, conn: JSON.parse(readFileSync(file, 'utf8')) as ConnectionFile };
  return cached.conn;
}

/** True when the global setup started the test S3 server (false with SENTINEL_TEST_S3=off). */
export function isTestS3Enabled(): boolean {
  const file = connectionFile();
  return !!file && existsSync(file);
}

/** `describe` when the test S3 server is running, `describe.skip` when it is not (SENTINEL_TEST_S3=off). */
export const describeS3 = (name: string, fn: () => void): void => (isTestS3Enabled() ? describe(name, fn) : describe.skip(name, fn));

/** Connection details of the test S3 server. */
export function testS3(): TestS3 {
  const { endpoint, accessKeyId, secretAccessKey, region, dir, port } = connection();
  return { endpoint, accessKeyId, secretAccessKey, region, dir, port };
}

/** An S3Client for the test server with the settings it needs; `overrides` win. Call destroy() when done. */
export function testS3Client(overrides: Partial<S3ClientConfig> = {}): S3Client {
  const s3 = testS3();
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...overrides,
  });
}

/**
 * Creates a bucket with a unique name starting with `prefix` (lower-cased, reduced to [a-z0-9-]) and
 * returns its name, e.g. createTestBucket('restore') -> 'restore-m3x9k2a1-4f9c0a1b'.
 * `{ objectLock: true }`: with S3 Object Lock enabled (and so versioning), as only bucket creation can do.
 */
export async function createTestBucket(prefix = 'test', options: { objectLock?: boolean } = {}): Promise<string> {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'test';
  const name = `${clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const client = testS3Client();
  try {
    await client.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: options.objectLock || undefined }));
  } finally {
    client.destroy();
  }
  return name;
}

function gateway(action: 'stop' | 'start', signal?: 'KILL' | 'TERM'): Promise<void> {
  const conn = connection();
  const args = [join(conn.scriptsDir, 'rgw-gateway.sh'), conn.dir, action, ...(signal ? [signal] : [])];
  return new Promise((resolve, reject) => {
    execFile('bash', args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`rgw-gateway.sh ${action} failed: ${err.message} ${stderr}`.trim()));
      else resolve();
    });
  });
}

/**
 * Takes the S3 server down: kills only the radosgw daemon (the Ceph monitor and storage daemon, and
 * so all buckets and objects, stay). Resolves once the port refuses connections; requests then fail
 * with ECONNREFUSED, and connections open at that moment are cut (ECONNRESET / socket hang up).
 * Default: SIGKILL, abrupt like a crash, ~1 s. `{ graceful: true }`: SIGTERM, ~5 s.
 * No-op if it is already down.
 */
export async function stopS3(options: { graceful?: boolean } = {}): Promise<void> {
  await gateway('stop', options.graceful ? 'TERM' : 'KILL');
}

/**
 * Brings radosgw back on the same port with the same data; resolves once it accepts connections
 * (~0.1-0.2 s). No-op if it is running.
 */
export async function startS3(): Promise<void> {
  await gateway('start');
}

/** Every key in `bucket`, sorted, read straight from the S3 server (past 1,000 keys too). */
export async function listAllKeys(client: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

/** Puts small objects under `keys` (their body names them), 32 at a time: fake backups for listing and rotation tests. */
export async function putMany(client: S3Client, bucket: string, keys: string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < keys.length) {
        const key = keys[next++];
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `fake ${key}` }));
      }
    }),
  );
}
