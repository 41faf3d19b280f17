// Helpers of the storage e2e tests: generated streams of unknown length, hashing, a test app whose
// R2 settings point at the test S3 server, and the contract suite every ObjectStorage adapter passes.
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '../src/common/errors/domain-error.js';
import { ErrorCode } from '../src/common/errors/error-code.js';
import type { ObjectStorage } from '../src/storage/object-storage.js';
import { StorageTargets } from '../src/storage/storage-targets.js';
import { putSettings, r2SettingsFor } from './support/r2-settings.js';
import { startTestApp, type TestApp } from './support/test-app.js';

export const MIB = 1024 * 1024;

export interface GeneratedStream {
  stream: Readable;
  /** sha256 (hex) of everything produced so far; the whole content's once the stream has ended. */
  sha256(): string;
  produced(): number;
}

/**
 * A Readable of `total` random bytes made as it is read, of unknown length to the consumer (no
 * Buffer, no ContentLength). `failAt`: emits an error once that many bytes were produced.
 * `delayMs`: pause per chunk (to keep an upload in flight). `hold`: a promise to await before `holdAt` bytes.
 */
export function generatedStream(
  total: number,
  options: { chunk?: number; failAt?: number; delayMs?: number; holdAt?: number; hold?: Promise<unknown> } = {},
): GeneratedStream {
  const chunk = options.chunk ?? 256 * 1024;
  const hash = createHash('sha256');
  let produced = 0;
  let digest: string | undefined;
  async function* generate() {
    while (produced < total) {
      if (options.failAt !== undefined && produced >= options.failAt) throw new Error('source failed: disk read error (test)');
      if (options.hold && options.holdAt !== undefined && produced >= options.holdAt) await options.hold;
      if (options.delayMs) await sleep(options.delayMs);
      const bytes = randomBytes(Math.min(chunk, total - produced));
      hash.update(bytes);
      produced += bytes.length;
      yield bytes;
    }
  }
  return {
    stream: Readable.from(generate(), { objectMode: false }),
    // Cached only once the stream is complete: a digest taken mid-stream covers a prefix.
    sha256: () => (produced >= total ? (digest ??= hash.digest('hex')) : hash.copy().digest('hex')),
    produced: () => produced,
  };
}

export async function sha256Of(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export function sha256(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}

/** Env for short timeouts and retries, so failure tests finish in seconds. */
export const FAST_FAILURE_ENV = {
  SENTINEL_STORAGE_TIMEOUT_MS: '15000',
  SENTINEL_STORAGE_MAX_ATTEMPTS: '2',
  SENTINEL_STORAGE_RETRY_BASE_MS: '100',
  SENTINEL_STORAGE_PART_SIZE_MB: '5',
};

export { putSettings, r2SettingsFor } from './support/r2-settings.js';

/** A test app whose R2 target is the test S3 server's `bucket`. */
export async function startR2TestApp(bucket: string, env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const t = await startTestApp(env);
  await putSettings(t, r2SettingsFor(bucket));
  return t;
}

export function storageOf(t: TestApp, target: 'r2' | 'local'): ObjectStorage {
  return t.app.get(StorageTargets).builtIn(target);
}

export async function unfinishedUploads(client: S3Client, bucket: string): Promise<string[]> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (out.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
}

export function expectDomainError(error: unknown, code: ErrorCode, message?: RegExp): void {
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  if (message) expect((error as DomainError).message).toMatch(message);
}

export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, it succeeded');
}

export interface ContractFixture {
  storage(): ObjectStorage;
  /** What the store holds besides listed objects that a failed upload could leave: unfinished multipart uploads, temp files. */
  leftovers(): Promise<string[]>;
  /** Every key/file in the store, unfiltered (to see that nothing half-written is there). */
  rawNames(): Promise<string[]>;
  /** Part size of the adapter: a failure after one part exercises multipart cleanup. */
  partSize: number;
}

/**
 * The ObjectStorage contract: every adapter passes these. `fixture` is ready in beforeAll of the
 * caller and gives an empty store.
 */
/** Two installation ids (the owner format), for uploads that must keep apart whose archive is whose. */
const OWNERS = [randomUUID(), randomUUID()];

export function storageContract(name: string, fixture: ContractFixture): void {
  describe(`${name}: ObjectStorage contract`, () => {
    const s = () => fixture.storage();

    it('round-trips a small object byte for byte, and head/list show its size', async () => {
      const body = randomBytes(1000 + 17);
      const stored = await s().upload('small.bin', Readable.from([body]));
      expect(stored).toMatchObject({ key: 'small.bin', size: body.length });
      expect(stored.lastModified).toBeInstanceOf(Date);
      const down = await s().download('small.bin');
      expect(down.size).toBe(body.length);
      expect(await sha256Of(down.body)).toEqual({ sha256: sha256(body), bytes: body.length });
      expect(await s().head('small.bin')).toMatchObject({ key: 'small.bin', size: body.length });
      expect((await s().list()).map((o) => [o.key, o.size])).toContainEqual(['small.bin', body.length]);
    });

    it('round-trips a 60 MB stream of unknown length byte for byte, reporting progress', async () => {
      const total = 60 * MIB + 12345;
      const source = generatedStream(total);
      const progress: number[] = [];
      const stored = await s().upload('big.bin', source.stream, { onProgress: (bytes) => progress.push(bytes) });
      expect(stored.size).toBe(total);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress[progress.length - 1]).toBe(total);
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);
      const down = await s().download('big.bin');
      expect(down.size).toBe(total);
      expect(await sha256Of(down.body)).toEqual({ sha256: source.sha256(), bytes: total });
      await s().delete('big.bin');
    });

    it('never replaces an object: a second upload under its key fails with ObjectExists and the first stays, owner included', async () => {
      const first = Buffer.from('the first archive');
      await s().upload('taken.bin', Readable.from([first]), { owner: OWNERS[0] });
      // A small body (one request) and one of more than a part (a multipart upload, refused at its completion).
      for (const body of [Buffer.from('a second archive'), randomBytes(fixture.partSize + 1234)]) {
        const error = await failureOf(s().upload('taken.bin', Readable.from([body]), { owner: OWNERS[1] }));
        expectDomainError(error, ErrorCode.ObjectExists, /taken\.bin/);
      }
      const kept = await s().download('taken.bin');
      expect((await sha256Of(kept.body)).sha256).toBe(sha256(first));
      expect(await s().head('taken.bin')).toMatchObject({ size: first.length, owner: OWNERS[0] });
      expect((await s().list()).map((o) => o.key)).toEqual(expect.arrayContaining(['taken.bin']));
      await s().delete('taken.bin');
    });

    it('lets only one of two uploads racing for one key store it; the other fails with ObjectExists', async () => {
      const bodies = [randomBytes(fixture.partSize + 77), randomBytes(fixture.partSize + 99)];
      const results = await Promise.allSettled(bodies.map((body, i) => s().upload('race.bin', Readable.from([body]), { owner: OWNERS[i] })));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expectDomainError(lost.reason, ErrorCode.ObjectExists, /race\.bin/);
      const stored = await s().download('race.bin');
      expect((await sha256Of(stored.body)).sha256).toBe(sha256(bodies[won[0]]));
      expect((await s().head('race.bin'))?.owner).toBe(OWNERS[won[0]]);
      await s().delete('race.bin');
    });

    it('shows nothing under the key until the upload is complete', async () => {
      let release!: () => void;
      const hold = new Promise<void>((resolve) => (release = resolve));
      const source = generatedStream(fixture.partSize + 3 * MIB, { holdAt: fixture.partSize + MIB, hold });
      let partDone!: () => void;
      const partStored = new Promise<void>((resolve) => (partDone = resolve));
      const uploading = s().upload('fresh.bin', source.stream, { onProgress: (bytes) => bytes >= fixture.partSize && partDone() });
      // The adapter reports a whole part done (stored in the bucket, or written to the folder's .partial file).
      await Promise.race([partStored, uploading.then(() => Promise.reject(new Error('the upload ended while its source was held')))]);
      expect(await s().head('fresh.bin')).toBeUndefined();
      expect((await s().list()).map((o) => o.key)).not.toContain('fresh.bin');
      await expect(s().download('fresh.bin')).rejects.toMatchObject({ code: ErrorCode.ObjectNotFound });
      release();
      expect((await uploading).size).toBe(fixture.partSize + 3 * MIB);
      expect((await s().head('fresh.bin'))?.size).toBe(fixture.partSize + 3 * MIB);
      await s().delete('fresh.bin');
    });

    it('reads from an offset (a resumed download): the rest of the object byte for byte, empty at its end, InvalidInput beyond it', async () => {
      // More than a part: a multipart object on S3, whose ranges cross its parts.
      const body = randomBytes(fixture.partSize + 4321);
      await s().upload('ranged.bin', Readable.from([body]));
      for (const offset of [0, 1, fixture.partSize - 7, body.length - 1]) {
        const progress: number[] = [];
        const down = await s().download('ranged.bin', { offset, onProgress: (bytes) => progress.push(bytes) });
        expect({ offset, size: down.size }).toEqual({ offset, size: body.length - offset });
        expect(await sha256Of(down.body)).toEqual({ sha256: sha256(body.subarray(offset)), bytes: body.length - offset });
        // Progress counts the bytes of this read, not the offset.
        expect(progress[progress.length - 1]).toBe(body.length - offset);
      }
      const atEnd = await s().download('ranged.bin', { offset: body.length });
      expect(atEnd.size).toBe(0);
      expect(await sha256Of(atEnd.body)).toEqual({ sha256: sha256(Buffer.alloc(0)), bytes: 0 });
      for (const offset of [body.length + 1, -1, 1.5]) {
        expectDomainError(await failureOf(s().download('ranged.bin', { offset })), ErrorCode.InvalidInput, /from byte/);
      }
      expectDomainError(await failureOf(s().download('missing.bin', { offset: 10 })), ErrorCode.ObjectNotFound, /missing\.bin/);
      // The object is as it was.
      expect(await s().head('ranged.bin')).toMatchObject({ size: body.length });
      await s().delete('ranged.bin');
    });

    it('lists by prefix, heads a missing key as undefined and refuses to download it with ObjectNotFound', async () => {
      await Promise.all(['pre-a', 'pre-b', 'other'].map((key) => s().upload(key, Readable.from([Buffer.from(key)]))));
      expect((await s().list('pre-')).map((o) => o.key).sort()).toEqual(['pre-a', 'pre-b']);
      expect(await s().head('missing.bin')).toBeUndefined();
      const error = await failureOf(s().download('missing.bin'));
      expectDomainError(error, ErrorCode.ObjectNotFound, /missing\.bin/);
      await s().deleteMany(['pre-a', 'pre-b', 'other']);
    });

    it('deletes one object, and deleting a missing object is not an error', async () => {
      await s().upload('gone.bin', Readable.from([Buffer.from('x')]));
      await s().delete('gone.bin');
      expect(await s().head('gone.bin')).toBeUndefined();
      await expect(s().delete('gone.bin')).resolves.toBeUndefined();
    });

    it('deletes many objects, reporting per key what failed', async () => {
      await Promise.all(['m1', 'm2', 'm3'].map((key) => s().upload(key, Readable.from([Buffer.from(key)]))));
      const result = await s().deleteMany(['m1', 'm2', 'never-existed', 'bad/key']);
      expect(result.deleted.sort()).toEqual(['m1', 'm2', 'never-existed']);
      expect(result.failed).toEqual([{ key: 'bad/key', message: expect.stringMatching(/plain file names/) }]);
      expect((await s().list('m')).map((o) => o.key)).toEqual(['m3']);
      expect(await s().deleteMany([])).toEqual({ deleted: [], failed: [], locked: [] });
      await s().delete('m3');
    });

    it('refuses keys that are not plain file names with InvalidInput', async () => {
      for (const key of ['a/b', '..', '.', '', 'nul\0byte', 'back\\slash', 'x'.repeat(201), '.k.0123456789abcdef.partial']) {
        const error = await failureOf(s().upload(key, Readable.from([Buffer.from('x')])));
        expectDomainError(error, ErrorCode.InvalidInput, /key/);
        expectDomainError(await failureOf(s().download(key)), ErrorCode.InvalidInput);
        expectDomainError(await failureOf(s().head(key)), ErrorCode.InvalidInput);
      }
    });

    it('leaves no object and nothing unfinished when the source stream fails halfway', async () => {
      const before = await fixture.rawNames();
      const source = generatedStream(fixture.partSize * 3, { failAt: Math.floor(fixture.partSize * 1.5) });
      const error = await failureOf(s().upload('broken.bin', source.stream));
      expect((error as Error).message).toMatch(/source failed/);
      expect(source.produced()).toBeGreaterThan(fixture.partSize); // a part had been sent
      expect(await s().head('broken.bin')).toBeUndefined();
      expect(await fixture.leftovers()).toEqual([]);
      expect(await fixture.rawNames()).toEqual(before);
    });

    it('cancels an upload when the caller aborts it, leaving nothing behind', async () => {
      const before = await fixture.rawNames();
      const controller = new AbortController();
      const source = generatedStream(fixture.partSize * 4, { delayMs: 5 });
      const uploading = s().upload('cancelled.bin', source.stream, {
        signal: controller.signal,
        onProgress: () => controller.abort(new Error('backup cancelled by the user (test)')),
      });
      // Abort after the first part was stored (progress), or after 1.5 parts were read if progress comes later.
      const watchdog = setInterval(() => source.produced() > fixture.partSize * 1.5 && controller.abort(new Error('backup cancelled by the user (test)')), 10);
      const error = await failureOf(uploading);
      clearInterval(watchdog);
      expect((error as Error).message).toBe('backup cancelled by the user (test)');
      expect(source.stream.destroyed).toBe(true);
      expect(source.produced()).toBeLessThan(fixture.partSize * 4);
      expect(await s().head('cancelled.bin')).toBeUndefined();
      expect(await fixture.leftovers()).toEqual([]);
      expect(await fixture.rawNames()).toEqual(before);
    });

    it('cancels a download when the caller aborts it', async () => {
      await s().upload('abort-read.bin', generatedStream(3 * MIB).stream);
      const controller = new AbortController();
      const down = await s().download('abort-read.bin', { signal: controller.signal });
      const chunks = down.body[Symbol.asyncIterator]();
      expect((await chunks.next()).done).toBe(false);
      controller.abort(new Error('restore cancelled (test)'));
      const error = await failureOf(
        (async () => {
          for (;;) if ((await chunks.next()).done) return;
        })(),
      );
      expect((error as Error).message).toBe('restore cancelled (test)');
      await s().delete('abort-read.bin');
    });
  });
}
