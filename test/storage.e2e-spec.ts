// The storage module against real infrastructure: the R2/S3 adapter against the test S3 server
// (Ceph radosgw on loopback, no mocked client), the local-folder adapter against real files, and
// Test Connection through the HTTP API.
import { DeleteBucketPolicyCommand, HeadObjectCommand, PutBucketPolicyCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '../src/common/errors/error-code.js';
import { v8Collector } from '../src/common/memory/buffer-churn.js';
import { InstallationIdentity } from '../src/common/installation/installation-identity.js';
import { PARTIAL_NAME } from '../src/storage/object-key.js';
import {
  expectDomainError,
  FAST_FAILURE_ENV,
  failureOf,
  generatedStream,
  MIB,
  putSettings,
  r2SettingsFor,
  sha256Of,
  startR2TestApp,
  storageContract,
  storageOf,
  unfinishedUploads,
} from './storage-support.js';
import { createTestBucket, describeS3, listAllKeys, startS3, stopS3, testS3, testS3Client } from './support/s3-server.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const PART = 5 * MIB; // FAST_FAILURE_ENV's part size

function denyPolicy(bucket: string, action: string, keyPattern: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Principal: '*', Action: action, Resource: `arn:aws:s3:::${bucket}/${keyPattern}` }],
  });
}

/** A TCP server that accepts connections and never answers: a hung endpoint. */
async function hangingServer(): Promise<{ url: string; open: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.resume(); // reads (and ignores) the request, so it sees the client close the connection
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A proxy in front of the test S3 server that answers the first requests with the given faults
 * (503 SlowDown, or a connection cut before any answer), then passes requests through unchanged.
 */
async function faultyProxy(
  target: string,
  faults: Array<'503' | 'reset'>,
  /** Only requests of this method get the faults (others pass through), e.g. the PUT of an upload. */
  faultyMethod?: string,
): Promise<{ url: string; requests: () => number; log: () => string[]; close: () => Promise<void> }> {
  const upstream = new URL(target);
  const log: string[] = [];
  const server = http.createServer((req, res) => {
    const fault = faultyMethod === undefined || req.method === faultyMethod ? faults.shift() : undefined;
    log.push(`${req.method} ${fault ?? 'ok'}`);
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === '503') {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => log.length,
    log: () => [...log],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describeS3('Storage: R2/S3 adapter', () => {
  let t: TestApp;
  let client: S3Client;
  let bucket: string;

  beforeAll(async () => {
    client = testS3Client();
    bucket = await createTestBucket('storage-contract');
    t = await startR2TestApp(bucket, FAST_FAILURE_ENV);
  });
  afterAll(async () => {
    await t?.close();
    client?.destroy();
  });

  storageContract('R2 adapter', {
    storage: () => storageOf(t, 'r2'),
    leftovers: () => unfinishedUploads(client, bucket),
    rawNames: () => listAllKeys(client, bucket),
    partSize: PART,
  });
});

describe('Storage: local-folder adapter', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    t = await startTestApp(FAST_FAILURE_ENV);
    dir = path.join(t.root, 'local target');
    await putSettings(t, { local_backup_dir: dir });
  });
  afterAll(() => t?.close());

  const names = () => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);
  storageContract('Local adapter', {
    storage: () => storageOf(t, 'local'),
    leftovers: async () => names().filter((name) => PARTIAL_NAME.test(name)),
    rawNames: async () => names(),
    partSize: PART,
  });

  it('writes through a temporary name that is never listed, and creates the folder on demand', async () => {
    const storage = storageOf(t, 'local');
    await putSettings(t, { local_backup_dir: path.join(dir, 'new', 'nested') });
    try {
      expect(await storage.list()).toEqual([]); // a missing folder lists as empty
      let release!: () => void;
      const hold = new Promise<void>((resolve) => (release = resolve));
      const uploading = storage.upload('held.bin', generatedStream(2 * MIB, { holdAt: MIB, hold }).stream);
      const folder = path.join(dir, 'new', 'nested');
      let temp: string[] = [];
      for (let i = 0; i < 200 && temp.length === 0; i++) {
        await sleep(10);
        temp = fs.existsSync(folder) ? fs.readdirSync(folder) : [];
      }
      expect(temp).toEqual([expect.stringMatching(/^\.held\.bin\.[0-9a-f]{16}\.partial$/)]);
      expect(await storage.list()).toEqual([]);
      expect(await storage.head('held.bin')).toBeUndefined();
      release();
      await uploading;
      expect(fs.readdirSync(folder)).toEqual(['held.bin']);
      expect(fs.statSync(path.join(folder, 'held.bin')).mode & 0o777).toBe(0o600);
    } finally {
      await putSettings(t, { local_backup_dir: dir });
    }
  });

  it("writes an archive deleted by hand again (its owner file, left behind, is the same owner), but never over another owner's", async () => {
    const storage = storageOf(t, 'local');
    const me = t.app.get(InstallationIdentity).id;
    await storage.upload('again.bin', Readable.from([Buffer.from('first copy')]), { owner: me });
    // A user tidying the folder deletes the archive and not its hidden owner file.
    fs.rmSync(path.join(dir, 'again.bin'));
    expect(names()).toContain('.again.bin.owner');
    await storage.upload('again.bin', Readable.from([Buffer.from('second copy')]), { owner: me });
    expect(fs.readFileSync(path.join(dir, 'again.bin'), 'utf8')).toBe('second copy');
    expect(await storage.head('again.bin')).toMatchObject({ owner: me });
    await storage.delete('again.bin');

    // An owner file of another installation, whose archive is not there (it may be writing it right now): refused, left as it is.
    const other = '0f6b3c2e-5d4a-4b3c-9e8f-7a6b5c4d3e2f';
    fs.writeFileSync(path.join(dir, '.theirs.bin.owner'), `${other}\n`);
    expectDomainError(
      await failureOf(storage.upload('theirs.bin', Readable.from([Buffer.from('mine')]), { owner: me })),
      ErrorCode.ObjectExists,
      /theirs\.bin/,
    );
    expect(fs.readFileSync(path.join(dir, '.theirs.bin.owner'), 'utf8')).toBe(`${other}\n`);
    expect(names()).not.toContain('theirs.bin');
    fs.rmSync(path.join(dir, '.theirs.bin.owner'));
  });

  it('removes temporary files an interrupted upload left behind, once no upload can still be writing them', async () => {
    const storage = storageOf(t, 'local');
    fs.mkdirSync(dir, { recursive: true });
    // Names as this installation writes them: its tag, then random hex (only its own are ever swept).
    const tag = t.app.get(InstallationIdentity).tag('local-partial');
    const stale = path.join(dir, `.crashed.bin.${tag}01234567.partial`);
    const recent = path.join(dir, `.writing.bin.${tag}76543210.partial`);
    fs.writeFileSync(stale, 'half an upload from before a crash');
    fs.writeFileSync(recent, 'an upload that may still be running');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000); // far past the 30-minute operation limit
    fs.utimesSync(stale, twoDaysAgo, twoDaysAgo);
    try {
      await storage.upload('after-crash.bin', Readable.from([Buffer.from('x')]));
      expect(fs.existsSync(stale)).toBe(false);
      expect(fs.existsSync(recent)).toBe(true);
    } finally {
      fs.rmSync(recent, { force: true });
      await storage.delete('after-crash.bin');
    }
  });
});

describeS3('Storage: R2 adapter behaviour', () => {
  let t: TestApp;
  let client: S3Client;
  let bucket: string;

  beforeAll(async () => {
    client = testS3Client();
    bucket = await createTestBucket('storage-r2');
    t = await startR2TestApp(bucket, FAST_FAILURE_ENV);
  });
  afterAll(async () => {
    await startS3(); // in case the restart test failed half-way
    await t?.close();
    client?.destroy();
  });
  afterEach(async () => {
    await putSettings(t, r2SettingsFor(bucket));
  });

  it('lists 1,100 objects (more than one page) and deletes them all in batches of at most 1,000', async () => {
    const many = await createTestBucket('storage-many');
    const keys = Array.from({ length: 1100 }, (_, i) => `sentinel-backup-${String(i).padStart(5, '0')}.tar.gz`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(keys.slice(i, i + 100).map((Key) => client.send(new PutObjectCommand({ Bucket: many, Key, Body: Key }))));
    }
    await putSettings(t, { r2_bucket_name: many });
    const storage = storageOf(t, 'r2');
    const listed = await storage.list();
    expect(listed).toHaveLength(1100);
    expect(listed.map((o) => o.key).sort()).toEqual(keys);
    expect(listed[0]).toMatchObject({ size: keys[0].length, lastModified: expect.any(Date) });
    expect(await storage.list('sentinel-backup-010')).toHaveLength(100);

    const result = await storage.deleteMany([...keys, keys[0]]);
    expect(result.failed).toEqual([]);
    expect(result.deleted.sort()).toEqual(keys);
    expect(await listAllKeys(client, many)).toEqual([]);
  });

  it('uploads in parts of the configured size, and in larger parts when the announced maximum needs more than 10,000', async () => {
    const storage = storageOf(t, 'r2');
    const size = 4 * PART + 123;
    const payload = generatedStream(size);
    await storage.upload('parts-default.bin', payload.stream);
    // A multipart ETag ends in "-<number of parts>".
    const plain = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'parts-default.bin' }));
    expect(plain.ETag).toMatch(/-5"$/);
    // 100 GB would need 19,074 parts of 5 MiB: parts of 10 MiB (whole MiB, 9,537 parts) instead.
    const second = generatedStream(size);
    await storage.upload('parts-sized.bin', second.stream, { maxBytes: 100e9 });
    const sized = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'parts-sized.bin' }));
    expect(sized.ETag).toMatch(/-3"$/);
    expect(sized.ContentLength).toBe(size);
    expect((await sha256Of((await storage.download('parts-sized.bin')).body)).sha256).toBe(second.sha256());
    await storage.deleteMany(['parts-default.bin', 'parts-sized.bin']);
  });

  it('reads the per-key errors of DeleteObjects and reports them', async () => {
    const storage = storageOf(t, 'r2');
    await Promise.all(['keep-1', 'keep-2', 'free-1'].map((key) => storage.upload(key, Readable.from([Buffer.from(key)]))));
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: denyPolicy(bucket, 's3:DeleteObject', 'keep-*') }));
    try {
      const result = await storage.deleteMany(['keep-1', 'free-1', 'keep-2']);
      expect(result.deleted).toEqual(['free-1']);
      expect(result.failed.map((f) => f.key).sort()).toEqual(['keep-1', 'keep-2']);
      expect(result.failed[0].message).toMatch(/AccessDenied.*delete permission/);
      expect((await storage.list()).map((o) => o.key).sort()).toEqual(['keep-1', 'keep-2']);
    } finally {
      await client.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    }
    await storage.deleteMany(['keep-1', 'keep-2']);
  });

  it('says which setting to fill when R2 is not configured', async () => {
    const storage = storageOf(t, 'r2');
    await putSettings(t, { r2_bucket_name: '' });
    expectDomainError(await failureOf(storage.list()), ErrorCode.StorageNotConfigured, /r2_bucket_name/);
    await putSettings(t, { r2_secret_access_key: '', r2_endpoint: '' });
    const error = await failureOf(storage.upload('x.bin', Readable.from([Buffer.from('x')])));
    expectDomainError(error, ErrorCode.StorageNotConfigured, /r2_account_id.*r2_secret_access_key.*r2_bucket_name/);
  });

  it('fails at once with an error the user can act on for a missing bucket, wrong credentials and an unknown host', async () => {
    const storage = storageOf(t, 'r2');
    await putSettings(t, { r2_bucket_name: 'no-such-bucket-here' });
    let started = Date.now();
    const source = generatedStream(2 * PART);
    const missing = await failureOf(storage.upload('x.bin', source.stream));
    expectDomainError(missing, ErrorCode.StorageNotConfigured, /Bucket 'no-such-bucket-here' does not exist.*r2_bucket_name/);
    expect(source.stream.destroyed).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);

    await putSettings(t, { r2_bucket_name: bucket, r2_secret_access_key: `${testS3().secretAccessKey}x` });
    started = Date.now();
    const wrongSecret = await failureOf(storage.list());
    expectDomainError(wrongSecret, ErrorCode.StorageAccessDenied, /r2_secret_access_key/);
    expect(Date.now() - started).toBeLessThan(2000); // not retried

    await putSettings(t, { r2_secret_access_key: testS3().secretAccessKey, r2_access_key_id: 'AKIDNOTKNOWNHERE0000' });
    expectDomainError(await failureOf(storage.head('x.bin')), ErrorCode.StorageAccessDenied, /r2_access_key_id|access denied/i);
    expectDomainError(await failureOf(storage.download('x.bin')), ErrorCode.StorageAccessDenied, /InvalidAccessKeyId.*r2_access_key_id/);
    await putSettings(t, { r2_access_key_id: testS3().accessKeyId, r2_endpoint: 'http://sentinel-storage-test.invalid:9000' });
    const unknownHost = await failureOf(storage.list());
    expectDomainError(unknownHost, ErrorCode.StorageUnavailable, /sentinel-storage-test\.invalid:9000 could not be resolved.*r2_endpoint/);
    expect((unknownHost as Error).message).not.toMatch(/attempts/); // a name that does not exist is not retried
    for (const error of [wrongSecret, missing])
      expect(JSON.stringify({ m: (error as Error).message, d: (error as { details?: unknown }).details })).not.toContain(testS3().secretAccessKey);
  });

  it('rebuilds the client when a storage setting changes: the next operation uses the new bucket', async () => {
    const storage = storageOf(t, 'r2');
    const other = await createTestBucket('storage-switch');
    await storage.upload('first.bin', Readable.from([Buffer.from('in the first bucket')]));
    await putSettings(t, { r2_bucket_name: other });
    expect(await storage.list()).toEqual([]);
    await storage.upload('second.bin', Readable.from([Buffer.from('in the other bucket')]));
    expect(await listAllKeys(client, other)).toEqual(['second.bin']);
    expect(await listAllKeys(client, bucket)).toContain('first.bin');
    expect(await listAllKeys(client, bucket)).not.toContain('second.bin');
    await putSettings(t, { r2_bucket_name: bucket });
    expect((await storage.list()).map((o) => o.key)).toContain('first.bin');
    await storage.delete('first.bin');
  });

  it('retries transient failures (503 SlowDown, a cut connection) with backoff, but not a permanent one', async () => {
    const proxy = await faultyProxy(testS3().endpoint, ['503', 'reset', '503'], 'PUT');
    const app = await startR2TestApp(bucket, { ...FAST_FAILURE_ENV, SENTINEL_STORAGE_MAX_ATTEMPTS: '4' });
    try {
      await putSettings(app, { r2_endpoint: proxy.url });
      const storage = storageOf(app, 'r2');
      await storage.upload('retried.bin', Readable.from([Buffer.from('arrived after three failures')]));
      // The name is free (HeadObject, and the bucket exists: ListObjectsV2), PutObject fails three times and is
      // retried to its success, then the upload is checked (HeadObject).
      expect(proxy.log()).toEqual(['HEAD ok', 'GET ok', 'PUT 503', 'PUT reset', 'PUT 503', 'PUT ok', 'HEAD ok']);
      expect((await storage.head('retried.bin'))?.size).toBe('arrived after three failures'.length);

      await putSettings(app, { r2_secret_access_key: 'not-the-secret-0123456789' });
      const before = proxy.requests();
      expectDomainError(await failureOf(storage.list()), ErrorCode.StorageAccessDenied, /SignatureDoesNotMatch/);
      expect(proxy.requests() - before).toBe(1);
    } finally {
      await app.close();
      await proxy.close();
    }
    await storageOf(t, 'r2').delete('retried.bin');
  });

  it('cancels an operation that hangs when its time limit passes, and closes the connection', async () => {
    const hung = await hangingServer();
    const app = await startR2TestApp(bucket, { ...FAST_FAILURE_ENV, SENTINEL_STORAGE_TIMEOUT_MS: '1500' });
    try {
      await putSettings(app, { r2_endpoint: hung.url });
      const storage = storageOf(app, 'r2');
      let started = Date.now();
      const error = await failureOf(storage.list());
      expectDomainError(error, ErrorCode.StorageTimeout, /R2 list did not finish within 1.5 s.*SENTINEL_STORAGE_TIMEOUT_MS/);
      expect(Date.now() - started).toBeLessThan(3000);

      // An upload gets the same limit; cleaning up its multipart upload has its own (here also 1.5 s).
      started = Date.now();
      const source = generatedStream(3 * PART);
      expectDomainError(await failureOf(storage.upload('hung.bin', source.stream)), ErrorCode.StorageTimeout);
      expect(Date.now() - started).toBeLessThan(4500);
      expect(source.stream.destroyed).toBe(true);
      for (let i = 0; i < 50 && hung.open() > 0; i++) await sleep(20);
      expect(hung.open()).toBe(0); // the requests were cancelled, not left running
    } finally {
      await app.close();
      await hung.close();
    }
  });

  it('fails cleanly when the S3 server stops in the middle of an upload, and works again once it is back', async () => {
    const storage = storageOf(t, 'r2');
    const source = generatedStream(8 * PART, { delayMs: 25 });
    let stopping: Promise<void> | undefined;
    const started = Date.now();
    const uploading = failureOf(
      storage.upload('interrupted.bin', source.stream, {
        onProgress: () => {
          stopping ??= stopS3(); // once the first part is stored: the multipart upload exists
        },
      }),
    );
    const error = await uploading;
    const failedAfter = Date.now() - started;
    await stopping;
    expectDomainError(error, ErrorCode.StorageUnavailable, /could not reach .*127\.0\.0\.1|connection (was cut|refused)/);
    expect(failedAfter).toBeLessThan(15000);
    expect(source.stream.destroyed).toBe(true);

    await startS3();
    // Before the next upload the adapter aborts the multipart upload it could not abort while the server was down.
    const next = generatedStream(2 * PART + 7);
    const stored = await storage.upload('after-restart.bin', next.stream);
    expect(stored.size).toBe(2 * PART + 7);
    expect((await sha256Of((await storage.download('after-restart.bin')).body)).sha256).toBe(next.sha256());
    expect(await storage.head('interrupted.bin')).toBeUndefined();
    expect(await unfinishedUploads(client, bucket)).toEqual([]);
    await storage.delete('after-restart.bin');
  });

  it('holds only a few parts in memory while uploading and downloading a large stream', async () => {
    // Its own app: the default time limit, as the forced garbage collections slow the transfer down.
    const partSize = 5 * MIB;
    const app = await startR2TestApp(bucket, { SENTINEL_STORAGE_PART_SIZE_MB: String(partSize / MIB) });
    const storage = storageOf(app, 'r2');
    const total = 100 * MIB;
    const source = generatedStream(total);
    // What the upload holds, counted: bytes taken from the source that the store has not yet been sent. It only
    // falls when the upload reports progress, so its highest value is seen just before each report. An upload that
    // read the whole object before sending it would hold all 100 MiB here.
    let sent = 0;
    let heldPeak = 0;
    const onProgress = (bytes: number) => {
      heldPeak = Math.max(heldPeak, source.produced() - sent);
      sent = bytes;
    };
    // Live buffers only: garbage is collected before each sample, so the peak is what is held (by the whole jest
    // worker: the app, the SDK, sockets; hence the wide bound below, which still fails for a buffered transfer).
    const gc = v8Collector();
    if (!gc) throw new Error("V8's collector could not be exposed in this process");
    gc();
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const sampleNow = () => {
      gc();
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
    };
    const sample = setInterval(sampleNow, 400);
    try {
      await storage.upload('large.bin', source.stream, { onProgress });
      expect(sent).toBe(total);
      const uploadPeak = peak;
      peak = 0;
      const down = await storage.download('large.bin');
      sampleNow(); // a download that buffered the object would hold all of it now
      expect(await sha256Of(down.body)).toEqual({ sha256: source.sha256(), bytes: total });
      // lib-storage holds two parts in flight and one filling (queueSize 2), plus a chunk or two of the source.
      expect(heldPeak).toBeGreaterThanOrEqual(partSize); // a part is gathered before it is sent: the count sees it
      expect(heldPeak).toBeLessThanOrEqual(4 * partSize);
      // Measured ~15-40 MiB with 5 MiB parts on Node 20, once 65 MiB on Node 24 (the process's every buffer);
      // a buffered upload holds the 100 MiB on top of that.
      expect(uploadPeak).toBeLessThan(90 * MIB);
      // The download: under 40 MiB on Node 20, once 44 MiB on Node 24 (a quick machine, 2026-12-04); a buffered
      // download holds the whole 100 MiB at the sample taken as it returns.
      expect(peak).toBeLessThan(75 * MIB);
    } finally {
      clearInterval(sample);
      await storage.delete('large.bin');
      await app.close();
    }
    // 100 MiB up and down with a full garbage collection every 0.4 s is CPU work: more than jest's default
    // 60 s on a machine busy with other work (seen in band and with two workers alike).
  }, 180_000);
});

describeS3('Storage: Test Connection API', () => {
  let t: TestApp;
  let client: S3Client;
  let bucket: string;
  const logs: string[] = [];

  interface Check {
    name: string;
    ok: boolean;
    message: string;
  }
  const testConnection = async (target = 'r2') => {
    const started = Date.now();
    const res = await t.http.post(`/api/backups/${target}/test`).expect(200);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(JSON.stringify(res.body)).not.toContain(testS3().secretAccessKey);
    expect(res.body).toEqual({ target, ok: expect.any(Boolean), location: expect.any(String), checks: expect.any(Array), duration_ms: expect.any(Number) });
    return res.body as { target: string; ok: boolean; location: string; checks: Check[]; duration_ms: number };
  };
  const failed = (checks: Check[]) => checks.filter((c) => !c.ok);

  beforeAll(async () => {
    client = testS3Client();
    bucket = await createTestBucket('storage-test-conn');
    t = await startR2TestApp(bucket, FAST_FAILURE_ENV);
    const { Logger } = await import('@nestjs/common');
    // Everything the app logs, to check that no credential ever reaches a log line.
    const capture =
      (level: string) =>
      (message: unknown, ...rest: unknown[]) =>
        logs.push(`${level} ${String(message)} ${rest.map(String).join(' ')}`);
    Logger.overrideLogger({
      log: capture('log'),
      warn: capture('warn'),
      error: capture('error'),
      debug: capture('debug'),
      verbose: capture('verbose'),
      fatal: capture('fatal'),
    });
  });
  afterAll(async () => {
    const { Logger } = await import('@nestjs/common');
    Logger.overrideLogger(false);
    await t?.close();
    client?.destroy();
  });
  afterEach(async () => {
    await putSettings(t, { ...r2SettingsFor(bucket), r2_account_id: '' });
  });

  it('passes every check against a working bucket and removes its probe object', async () => {
    const result = await testConnection();
    expect(result).toMatchObject({ target: 'r2', ok: true, location: `${testS3().endpoint}/${bucket}` });
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ['configuration', true],
      ['endpoint', true],
      ['credentials', true],
      ['bucket', true],
      ['write', true],
      ['read', true],
      ['delete', true],
    ]);
    expect(result.checks.find((c) => c.name === 'write')?.message).toMatch(/\.sentinel-connection-test-[0-9a-f]{16}/);
    expect(await listAllKeys(client, bucket)).toEqual([]);
  });

  it('names the settings to fill when R2 is not configured', async () => {
    await putSettings(t, { r2_endpoint: '', r2_secret_access_key: '' });
    const result = await testConnection();
    expect(result.ok).toBe(false);
    expect(result.checks).toEqual([{ name: 'configuration', ok: false, message: expect.stringMatching(/r2_account_id.*r2_secret_access_key/) }]);
  });

  it('reports a wrong secret as a credentials failure (SignatureDoesNotMatch)', async () => {
    await putSettings(t, { r2_secret_access_key: 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYWRONGKEY' });
    const result = await testConnection();
    expect(result.ok).toBe(false);
    expect(failed(result.checks)).toEqual([
      { name: 'credentials', ok: false, message: expect.stringMatching(/secret access key does not match.*SignatureDoesNotMatch.*r2_secret_access_key/) },
    ]);
    expect(result.checks.find((c) => c.name === 'endpoint')?.ok).toBe(true);
    expect(JSON.stringify(result)).not.toContain('wJalrXUtnFEMI-K7MDENG-bPxRfiCYWRONGKEY');
  });

  it('reports an unknown access key ID as a credentials failure (InvalidAccessKeyId)', async () => {
    await putSettings(t, { r2_access_key_id: 'AKIAIOSFODNN7WRONGID' });
    const result = await testConnection();
    expect(failed(result.checks)).toEqual([
      { name: 'credentials', ok: false, message: expect.stringMatching(/access key ID is not known.*InvalidAccessKeyId.*r2_access_key_id/) },
    ]);
    expect(JSON.stringify(result)).not.toContain('AKIAIOSFODNN7WRONGID');
  });

  it('reports a missing bucket, with the credentials accepted', async () => {
    await putSettings(t, { r2_bucket_name: 'sentinel-nonexistent-bucket' });
    const result = await testConnection();
    expect(result.location).toBe(`${testS3().endpoint}/sentinel-nonexistent-bucket`);
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ['configuration', true],
      ['endpoint', true],
      ['credentials', true],
      ['bucket', false],
    ]);
    expect(failed(result.checks)[0].message).toMatch(/Bucket 'sentinel-nonexistent-bucket' does not exist.*r2_bucket_name/);
  });

  it('reports a dead endpoint (nothing listening) in seconds', async () => {
    const port = await closedPort();
    await putSettings(t, { r2_endpoint: `http://127.0.0.1:${port}` });
    const result = await testConnection();
    expect(failed(result.checks)).toEqual([
      { name: 'endpoint', ok: false, message: expect.stringMatching(new RegExp(`could not reach http://127.0.0.1:${port}: connection refused.*r2_endpoint`)) },
    ]);
    expect(result.checks.map((c) => c.name)).toEqual(['configuration', 'endpoint']);
  });

  it('reports an unknown host', async () => {
    await putSettings(t, { r2_endpoint: 'http://sentinel-storage-test.invalid:9000' });
    const result = await testConnection();
    expect(failed(result.checks)).toEqual([
      { name: 'endpoint', ok: false, message: expect.stringMatching(/sentinel-storage-test\.invalid:9000 could not be resolved.*r2_endpoint/) },
    ]);
  });

  it('reports an endpoint that is not an S3 service', async () => {
    const web = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not here</body></html>'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(web.address() as net.AddressInfo).port}`;
      await putSettings(t, { r2_endpoint: url });
      const result = await testConnection();
      expect(failed(result.checks)).toEqual([
        { name: 'endpoint', ok: false, message: expect.stringMatching(/answered 404 .*without an S3 error.*S3-compatible endpoint.*r2_endpoint/) },
      ]);
    } finally {
      web.closeAllConnections();
      await new Promise<void>((resolve) => web.close(() => resolve()));
    }
  });

  it('reports credentials that may read but not write, and not delete', async () => {
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: denyPolicy(bucket, 's3:PutObject', '.sentinel-connection-test-*') }));
    try {
      const result = await testConnection();
      expect(failed(result.checks)).toEqual([
        { name: 'write', ok: false, message: expect.stringMatching(/Writing to bucket .* was refused \(AccessDenied\).*Object Read & Write/) },
      ]);
      await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: denyPolicy(bucket, 's3:DeleteObject', '.sentinel-connection-test-*') }));
      const noDelete = await testConnection();
      expect(noDelete.checks.map((c) => [c.name, c.ok])).toEqual(
        expect.arrayContaining([
          ['write', true],
          ['read', true],
          ['delete', false],
        ]),
      );
      expect(failed(noDelete.checks)[0].message).toMatch(/Deleting from bucket .* was refused.*Remove \.sentinel-connection-test-[0-9a-f]{16}/);
    } finally {
      await client.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    }
    const { DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
    const leftovers = await listAllKeys(client, bucket);
    if (leftovers.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: leftovers.map((Key) => ({ Key })) } }));
  });

  it('tests the local folder: creates it, writes, reads back and deletes a probe file', async () => {
    const dir = path.join(t.root, 'local-probe', 'backups');
    await putSettings(t, { local_backup_dir: dir });
    const result = await testConnection('local');
    expect(result).toMatchObject({ target: 'local', ok: true, location: dir });
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ['configuration', true],
      ['folder', true],
      ['write', true],
      ['read', true],
      ['delete', true],
    ]);
    expect(result.checks[1].message).toMatch(/Created the folder; .* free/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('reports a local folder path that is a file', async () => {
    const file = path.join(t.root, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    await putSettings(t, { local_backup_dir: file });
    const result = await testConnection('local');
    expect(result.ok).toBe(false);
    expect(failed(result.checks)).toEqual([{ name: 'folder', ok: false, message: expect.stringMatching(/not a folder.*local_backup_dir/) }]);
  });

  it('answers 404 for an unknown target', async () => {
    const res = await t.http.post('/api/backups/dropbox/test').expect(404);
    expect(res.body).toMatchObject({ error: 'NOT_FOUND', message: expect.stringMatching(/dropbox/) });
  });

  it('never logged a credential', () => {
    expect(logs.some((line) => /R2 Test Connection/.test(line))).toBe(true);
    const joined = logs.join('\n');
    for (const secret of [testS3().secretAccessKey, testS3().accessKeyId, 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYWRONGKEY']) expect(joined).not.toContain(secret);
  });
});
