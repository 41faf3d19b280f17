import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { SettingsChangedEvent } from '../settings/settings-changed.event.js';
import { findDefinition } from '../settings/setting-definitions.js';
import { SettingsService } from '../settings/settings.service.js';
import {
  type ConnectionCheck,
  type ConnectionTestResult,
  type DeleteManyResult,
  type DownloadResult,
  type LeftoverReport,
  ObjectStorage,
  type StoredObject,
  type TransferOptions,
} from './object-storage.js';
import { byteCounter } from '../common/streams/byte-counter.js';
import { formatBytes, formatDuration } from '../common/format.js';
import { CONNECTION_TEST_PREFIX, probeContent } from './connection-probe.js';
import { assertKeyPrefix, assertObjectKey, objectKeyProblem, parseOwner } from './object-key.js';
import { OperationScope } from './operation-scope.js';
import { mapConcurrently } from '../common/concurrency.js';
import { createS3Connection, missingR2Settings, resolveS3Endpoint, type S3Connection } from './s3-connection.js';
import { describeS3Error, type S3Failure, scrubSecrets, toDomainError } from './s3-errors.js';
import { StorageOptions } from './storage-options.js';
import { type RecordedUpload, S3UploadJournal } from './s3-upload-journal.js';

/** What identifies one version of an object for the owner cache. */
function ownerVersion(object: StoredObject): string {
  // Seconds: HeadObject's Last-Modified has no milliseconds, listings do.
  return `${object.etag ?? ''}|${object.size}|${Math.floor(object.lastModified.getTime() / 1000)}`;
}

/** The SDK marks what it throws, network errors included, with `$metadata`. */
function isSdkError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$metadata' in error;
}

/** S3 and R2 allow at most 10,000 parts in one multipart upload. */
const MAX_PARTS = 10_000;
const MIB = 1024 * 1024;
/** S3 answers at most 1,000 keys per DeleteObjects call. */
const DELETE_BATCH = 1000;
/** Per step of Test Connection: it answers in seconds, whatever the operation timeout. */
const PROBE_STEP_TIMEOUT_MS = 15_000;
/** Cleaning up a failed multipart upload gets its own time, after the operation's own ran out. */
const CLEANUP_TIMEOUT_MS = 60_000;
/** User metadata naming the installation that made an archive (header x-amz-meta-sentinel-installation). */
export const OWNER_METADATA = 'sentinel-installation';
/** HeadObject requests in flight when reading owners: enough to hide the round trip to R2 (radosgw gains nothing past 16), few enough not to flood it. */
const OWNER_HEAD_CONCURRENCY = 32;
/** Cached owners; past this the cache starts over (a bucket that large is read again, not kept in memory). */
const OWNER_CACHE_LIMIT = 50_000;
/** The largest object one CopyObject request can copy. */
const MAX_COPY_BYTES = 5 * 1024 * MIB;
/**
 * At start, a recorded upload's multipart uploads are those of its key initiated at or after the
 * record's time, less this much for a clock that differs from the bucket's.
 */
const RECORD_CLOCK_SKEW_MS = 5 * 60_000;

/** The requests one upload has started, so its cleanup knows what to wait for and what to abort. */
interface UploadTracker {
  uploadId?: string;
  createSent: boolean;
  inflight: Set<Promise<unknown>>;
  /** The first request of the upload that failed (not by cancellation). */
  firstError?: unknown;
}

/**
 * The R2 target: Cloudflare R2 (or any S3-compatible service through r2_endpoint) with
 * @aws-sdk/client-s3 and lib-storage, following R2's rules: WHEN_REQUIRED checksums (no trailing
 * checksums), multipart parts all of `partSize` but the last with at most 2 in flight, listing
 * paginated past 1,000 keys, DeleteObjects in batches of 1,000 with its per-key errors read, and a
 * failed or cancelled upload's multipart upload aborted (and the abort awaited) before it reports.
 */
@Injectable()
export class S3ObjectStorage extends ObjectStorage implements OnModuleDestroy {
  readonly target = 'r2' as const;
  private readonly logger = new Logger('R2Storage');
  /** The connection for the current settings, built on first use; dropped when a storage setting changes. */
  private connection?: Promise<S3Connection>;
  private current?: S3Connection;
  private generation = 0;
  /** Owners read with HeadObject, by key, valid for one version of the object (see owners()). */
  private readonly ownerCache = new Map<string, { version: string; owner: string | null }>();

  constructor(
    private readonly settings: SettingsService,
    private readonly options: StorageOptions,
    private readonly journal: S3UploadJournal,
  ) {
    super();
  }

  @OnDomainEvent(SettingsChangedEvent)
  onSettingsChanged(event: SettingsChangedEvent): void {
    if (findDefinition(event.key)?.storage !== 'r2') return;
    this.logger.log(`Setting ${event.key} changed: the R2 client is rebuilt on next use`);
    this.dropConnection();
  }

  onModuleDestroy(): void {
    this.dropConnection();
  }

  // ---- the port ----

  /** On failure `body` is destroyed (without an error), so whatever produces it stops. */
  async upload(key: string, body: Readable, options: TransferOptions = {}): Promise<StoredObject> {
    const destroyBody = () => {
      if (!body.destroyed) body.destroy();
    };
    try {
      assertObjectKey(key);
    } catch (error) {
      destroyBody();
      throw error;
    }
    const started = Date.now();
    const result = await this.run(`upload of '${key}'`, key, options.signal, (conn, scope) => this.uploadWith(conn, key, body, scope, this.partSizeFor(options.maxBytes), options.onProgress, options.owner), destroyBody);
    this.logger.log(`R2 upload of ${key} done: ${formatBytes(result.size)} in ${formatDuration(Date.now() - started)}`);
    return result;
  }

  async download(key: string, options: TransferOptions = {}): Promise<DownloadResult> {
    assertObjectKey(key);
    const operation = `download of '${key}'`;
    const scope = new OperationScope(`R2 ${operation}`, this.options.operationTimeoutMs, options.signal);
    let conn: S3Connection | undefined;
    try {
      conn = await this.lease();
      const out = await conn.client.send(new GetObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key) }), { abortSignal: scope.signal });
      const source = out.Body as Readable;
      const size = out.ContentLength ?? 0;
      return { body: this.guardDownload(source, size, conn, scope, operation, key, options.onProgress), size };
    } catch (error) {
      scope.dispose();
      conn?.release();
      throw this.failure(error, scope, conn, operation, key);
    }
  }

  async list(prefix = ''): Promise<StoredObject[]> {
    assertKeyPrefix(prefix);
    return this.run('list', undefined, undefined, async (conn, scope) => {
      const objects: StoredObject[] = [];
      let token: string | undefined;
      do {
        const page = await conn.client.send(
          new ListObjectsV2Command({ Bucket: conn.bucket, Prefix: conn.objectKey(prefix) || undefined, ContinuationToken: token }),
          { abortSignal: scope.signal },
        );
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined || !item.Key.startsWith(conn.prefix)) continue;
          objects.push({ key: item.Key.slice(conn.prefix.length), size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0), etag: item.ETag });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
        if (page.IsTruncated && !token) {
          throw new DomainError(ErrorCode.StorageUnavailable, `${conn.endpoint.url} returned a truncated listing without a continuation token: the listing is incomplete`);
        }
      } while (token);
      return objects;
    });
  }

  async head(key: string): Promise<StoredObject | undefined> {
    assertObjectKey(key);
    return this.run(`lookup of '${key}'`, key, undefined, (conn, scope) => this.headWith(conn, conn.client, key, scope.signal));
  }

  /**
   * One HeadObject per object not seen before (S3 listings carry no metadata), 16 at a time. Archives
   * never change in place, so an owner is cached by key, ETag, size and time: a new upload or an
   * adoption (CopyObject, here or by another installation) gives a new time and is read again.
   * Objects that vanished since the listing are left out of the map.
   */
  async owners(objects: StoredObject[]): Promise<Map<string, string | null>> {
    const owners = new Map<string, string | null>();
    const missing: StoredObject[] = [];
    for (const object of objects) {
      const cached = this.ownerCache.get(object.key);
      if (cached !== undefined && cached.version === ownerVersion(object)) owners.set(object.key, cached.owner);
      else missing.push(object);
    }
    if (missing.length === 0) return owners;
    return this.run(`owner lookup of ${missing.length} objects`, undefined, undefined, async (conn, scope) => {
      await mapConcurrently(missing, OWNER_HEAD_CONCURRENCY, async (object) => {
        const head = await this.headWith(conn, conn.client, object.key, scope.signal);
        if (!head) return;
        const owner = head.owner ?? null;
        owners.set(object.key, owner);
        if (this.ownerCache.size >= OWNER_CACHE_LIMIT) this.ownerCache.clear();
        // Cached under the version the listing showed only when HEAD saw that same version.
        if (object.etag !== undefined && ownerVersion(head) === ownerVersion(object)) this.ownerCache.set(object.key, { version: ownerVersion(object), owner });
      });
      return owners;
    });
  }

  /**
   * CopyObject onto itself with MetadataDirective REPLACE: the same bytes, the other metadata and the
   * content headers kept, the owner replaced. Conditional on the ETag just read, so an archive replaced
   * meanwhile is not stamped. S3 copies at most 5 GiB in one request.
   */
  async setOwner(key: string, owner: string): Promise<void> {
    assertObjectKey(key);
    await this.run(`owner change of '${key}'`, key, undefined, async (conn, scope) => {
      const objectKey = conn.objectKey(key);
      let head;
      try {
        head = await conn.client.send(new HeadObjectCommand({ Bucket: conn.bucket, Key: objectKey }), { abortSignal: scope.signal });
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
        throw new DomainError(ErrorCode.ObjectNotFound, `'${key}' does not exist in bucket '${conn.bucket}'`, { key });
      }
      if ((head.ContentLength ?? 0) > MAX_COPY_BYTES) {
        throw new DomainError(
          ErrorCode.StorageUnavailable,
          `'${key}' is ${formatBytes(head.ContentLength ?? 0)}, more than the 5 GiB S3 can copy in one request, so its owner cannot be changed here: set the metadata ${OWNER_METADATA}=${owner} with your provider's tools`,
          { key },
        );
      }
      await conn.client.send(
        new CopyObjectCommand({
          Bucket: conn.bucket,
          Key: objectKey,
          CopySource: `${conn.bucket}/${objectKey.split('/').map(encodeURIComponent).join('/')}`,
          CopySourceIfMatch: head.ETag,
          MetadataDirective: 'REPLACE',
          Metadata: { ...head.Metadata, [OWNER_METADATA]: owner },
          ContentType: head.ContentType,
          ContentEncoding: head.ContentEncoding,
          ContentDisposition: head.ContentDisposition,
          ContentLanguage: head.ContentLanguage,
          CacheControl: head.CacheControl,
        }),
        { abortSignal: scope.signal },
      );
      this.ownerCache.delete(key);
    });
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.run(`delete of '${key}'`, key, undefined, async (conn, scope) => {
      await conn.client.send(new DeleteObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key) }), { abortSignal: scope.signal });
    });
  }

  async deleteMany(keys: string[]): Promise<DeleteManyResult> {
    const result: DeleteManyResult = { deleted: [], failed: [] };
    const valid: string[] = [];
    for (const key of new Set(keys)) {
      const problem = objectKeyProblem(key);
      if (problem) result.failed.push({ key, message: `Invalid key: ${problem}` });
      else valid.push(key);
    }
    if (valid.length === 0) return result;
    return this.run(`delete of ${valid.length} objects`, undefined, undefined, async (conn, scope) => {
      for (let i = 0; i < valid.length; i += DELETE_BATCH) {
        const batch = valid.slice(i, i + DELETE_BATCH);
        let errors: Array<{ Key?: string; Code?: string; Message?: string }>;
        try {
          const out = await conn.client.send(
            new DeleteObjectsCommand({ Bucket: conn.bucket, Delete: { Objects: batch.map((key) => ({ Key: conn.objectKey(key) })), Quiet: true } }),
            { abortSignal: scope.signal },
          );
          errors = out.Errors ?? [];
        } catch (error) {
          // A service without DeleteObjects (501): one request per key.
          if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 501) throw error;
          errors = await this.deleteOneByOne(conn, batch, scope);
        }
        const failedKeys = new Map<string, string>();
        for (const e of errors) {
          if (e.Key === undefined) continue;
          failedKeys.set(e.Key.startsWith(conn.prefix) ? e.Key.slice(conn.prefix.length) : e.Key, this.describeKeyError(conn, e.Code, e.Message));
        }
        for (const key of batch) {
          const message = failedKeys.get(key);
          if (message === undefined) result.deleted.push(key);
          else result.failed.push({ key, message });
        }
      }
      if (result.failed.length > 0) this.logger.warn(`R2 delete: ${result.failed.length} of ${keys.length} objects could not be deleted (first: ${result.failed[0].key}: ${result.failed[0].message})`);
      return result;
    });
  }

  async missingConfiguration(): Promise<string | undefined> {
    return missingR2Settings(await this.settings.r2Settings());
  }

  async testConnection(): Promise<ConnectionTestResult> {
    const started = Date.now();
    const checks: ConnectionCheck[] = [];
    const done = (location: string): ConnectionTestResult => ({
      target: 'r2',
      ok: checks.every((c) => c.ok),
      location,
      checks,
      durationMs: Date.now() - started,
    });

    let settings;
    try {
      settings = await this.settings.r2Settings();
    } catch (error) {
      checks.push({ name: 'configuration', ok: false, message: error instanceof DomainError ? error.message : 'The R2 settings could not be read; the service log has the details' });
      if (!(error instanceof DomainError)) this.logger.error(`Test Connection could not read the R2 settings: ${(error as Error).message}`);
      return done('');
    }
    const missing = missingR2Settings(settings);
    if (missing) {
      checks.push({ name: 'configuration', ok: false, message: missing });
      let location = '';
      try {
        if (settings.endpoint || settings.accountId) location = `${resolveS3Endpoint(settings).url}/${settings.bucket}`;
      } catch {
        // an account ID that makes no host name: nothing to show
      }
      return done(location);
    }
    checks.push({ name: 'configuration', ok: true, message: `Account, credentials and bucket are set${settings.endpoint ? ` (custom endpoint ${settings.endpoint})` : ''}` });

    let conn: S3Connection;
    try {
      conn = await this.lease();
    } catch (error) {
      checks[0] = { name: 'configuration', ok: false, message: error instanceof DomainError ? error.message : String(error) };
      return done('');
    }
    try {
      await this.probe(conn, checks);
    } finally {
      conn.release();
    }
    const result = done(conn.location);
    const failed = result.checks.find((c) => !c.ok);
    this.logger.log(`R2 Test Connection to ${conn.location}: ${result.ok ? 'all checks passed' : `${failed?.name} failed`} in ${formatDuration(result.durationMs)}`);
    return result;
  }

  // ---- connection lifecycle ----

  /** A connection for one operation; release it when done. Built from the settings on first use. */
  private async lease(): Promise<S3Connection> {
    for (;;) {
      if (!this.connection) {
        const generation = this.generation;
        const building = this.settings.r2Settings().then((settings) => {
          const conn = createS3Connection(settings, this.options);
          if (generation === this.generation) this.current = conn;
          else conn.retire(); // settings changed while building: its waiters take the next one
          return conn;
        });
        // A failure (settings incomplete, secret unreadable) is not kept: the next call tries again.
        building.catch(() => {
          if (this.connection === building) this.connection = undefined;
        });
        this.connection = building;
      }
      const conn = await this.connection;
      if (!conn.retired) {
        conn.acquire();
        return conn;
      }
    }
  }

  private dropConnection(): void {
    this.generation += 1;
    // Another bucket or prefix may hold other objects under the same keys.
    this.ownerCache.clear();
    this.connection = undefined;
    if (this.current) {
      if (this.current.pendingAborts.size > 0) {
        this.logger.warn(`Dropping the R2 client with ${this.current.pendingAborts.size} multipart upload(s) not yet aborted (${[...this.current.pendingAborts.keys()].join(', ')}); the bucket's lifecycle rule removes them`);
      }
      this.current.retire();
      this.current = undefined;
    }
  }

  /** Runs one operation on a leased connection within its time limit, with errors made readable. */
  private async run<T>(operation: string, key: string | undefined, caller: AbortSignal | undefined, fn: (conn: S3Connection, scope: OperationScope) => Promise<T>, onFailure?: () => void): Promise<T> {
    const scope = new OperationScope(`R2 ${operation}`, this.options.operationTimeoutMs, caller);
    let conn: S3Connection | undefined;
    try {
      conn = await this.lease();
      return await fn(conn, scope);
    } catch (error) {
      onFailure?.();
      throw this.failure(error, scope, conn, operation, key);
    } finally {
      scope.dispose();
      conn?.release();
    }
  }

  /** The error an operation rejects with: the abort reason when cancelled or timed out, else a DomainError. */
  private failure(error: unknown, scope: OperationScope, conn: S3Connection | undefined, operation: string, key?: string): unknown {
    if (scope.aborted) {
      const reason = scope.reason;
      if (reason instanceof DomainError && reason.code === ErrorCode.StorageTimeout) this.logger.warn(reason.message);
      return reason;
    }
    // Not from the SDK: the caller's source stream failed, or a DomainError of this module.
    if (error instanceof DomainError || !conn || !isSdkError(error)) return error;
    const failure = this.describe(error, conn, operation, key);
    if (failure.kind !== 'no_object') this.logger.warn(`R2 ${operation} failed: ${failure.message}`);
    return toDomainError(failure, key ? { key } : {}, error);
  }

  private describe(error: unknown, conn: S3Connection, operation: string, key?: string, probe = false): S3Failure {
    return describeS3Error(error, {
      endpoint: conn.endpoint,
      operation,
      key,
      secrets: conn.secrets,
      connectTimeoutMs: probe ? Math.min(3_000, this.options.connectTimeoutMs) : this.options.connectTimeoutMs,
    });
  }

  // ---- upload ----

  /**
   * The configured part size (default 5 MiB, R2's minimum), raised in whole MiB when an object of
   * `maxBytes` would need more than 10,000 parts. Small parts keep memory low: lib-storage holds
   * about four parts at a time (one filling, its copy, two in flight).
   */
  private partSizeFor(maxBytes: number | undefined): number {
    const configured = this.options.partSizeBytes;
    if (maxBytes === undefined || maxBytes <= configured * MAX_PARTS) return configured;
    return Math.ceil(maxBytes / MAX_PARTS / MIB) * MIB;
  }

  private async uploadWith(conn: S3Connection, key: string, body: Readable, scope: OperationScope, partSize: number, onProgress?: (bytes: number) => void, owner?: string): Promise<StoredObject> {
    await this.retryPendingAborts(conn);
    // Durable before the first request: a kill -9 from here on leaves a record the next start acts on.
    const record = await this.journal.record(conn.endpoint.url, conn.bucket, key, conn.prefix);
    try {
      const stored = await this.uploadRecorded(conn, key, body, scope, partSize, onProgress, owner);
      await this.journal.forget(record);
      return stored;
    } catch (error) {
      // Kept while an abort is still owed (the service was down): the next start finishes it.
      if (!this.owesAbort(conn, key)) await this.journal.forget(record).catch(() => undefined);
      throw error;
    }
  }

  private owesAbort(conn: S3Connection, key: string): boolean {
    return [...conn.pendingAborts.values()].some((pending) => pending.key === key) || this.unsureKeys.has(key);
  }

  /** Keys whose unfinished upload could not even be looked up after a failure. */
  private readonly unsureKeys = new Set<string>();

  private async uploadRecorded(
    conn: S3Connection,
    key: string,
    body: Readable,
    scope: OperationScope,
    partSize: number,
    onProgress?: (bytes: number) => void,
    owner?: string,
  ): Promise<StoredObject> {
    this.unsureKeys.delete(key);
    const tracker: UploadTracker = { createSent: false, inflight: new Set() };
    // Counts what is read from the source. An error of the source itself is the caller's and is
    // passed on as it is; the source is not destroyed here when the upload stops reading (run() does).
    const counter = byteCounter();
    let sourceError: unknown;
    body.on('error', (error) => {
      sourceError ??= error;
      counter.destroy(error);
    });
    body.pipe(counter);
    const upload = new Upload({
      client: this.scopedClient(conn.client, scope.signal, tracker),
      params: {
        Bucket: conn.bucket,
        Key: conn.objectKey(key),
        Body: counter,
        ContentType: key.endsWith('.gz') ? 'application/gzip' : 'application/octet-stream',
        // The owner travels with the object from its first byte (CreateMultipartUpload or PutObject).
        Metadata: owner === undefined ? undefined : { [OWNER_METADATA]: owner },
      },
      queueSize: 2,
      partSize,
      // Cleanup is done here, after every request of the upload has settled (lib-storage's own
      // abort runs in the background after done() has already rejected).
      leavePartsOnError: true,
    });
    if (onProgress) upload.on('httpUploadProgress', (progress) => onProgress(progress.loaded ?? 0));
    const onAbort = () => {
      void upload.abort();
      counter.destroy(scope.reason instanceof Error ? scope.reason : undefined);
    };
    scope.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } catch (error) {
      await this.cleanUpUpload(conn, key, tracker);
      if (scope.aborted) throw error;
      if (sourceError !== undefined) throw sourceError;
      // When one part fails, lib-storage stops reading the source, which makes its other workers fail
      // with an AbortError; it reports whichever came first. The request that failed first is the cause.
      if (tracker.firstError !== undefined) throw tracker.firstError;
      if (error instanceof Error && /Exceeded \d+ parts/.test(error.message)) {
        throw new DomainError(
          ErrorCode.StorageUnavailable,
          `The upload of '${key}' needs more than 10,000 parts of ${formatBytes(partSize)}: raise SENTINEL_STORAGE_PART_SIZE_MB`,
        );
      }
      throw error;
    } finally {
      scope.signal.removeEventListener('abort', onAbort);
    }
    // The upload's own result has no reliable ETag or size (CompleteMultipartUpload's ETag is empty
    // on some services): what is stored is what HeadObject says, and it must be what was sent.
    const stored = await this.headWith(conn, conn.client, key, scope.signal);
    if (!stored || stored.size !== counter.bytes) {
      await conn.client.send(new DeleteObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key) }), { abortSignal: scope.signal }).catch(() => undefined);
      throw new DomainError(
        ErrorCode.StorageUnavailable,
        `The upload of '${key}' did not arrive whole: ${formatBytes(counter.bytes)} were sent, the bucket holds ${stored ? formatBytes(stored.size) : 'nothing'}; the object was removed, try again`,
      );
    }
    return stored;
  }

  /**
   * The client as the Upload sees it: every request carries the operation's abort signal (lib-storage
   * does not pass one, so an abort would otherwise leave parts uploading), and the upload id is noted
   * as soon as CreateMultipartUpload answers.
   */
  private scopedClient(client: S3Client, signal: AbortSignal, tracker: UploadTracker): S3Client {
    const scoped = Object.create(client) as S3Client;
    const send = (command: Parameters<S3Client['send']>[0]) => {
      const isCreate = command instanceof CreateMultipartUploadCommand;
      if (isCreate) tracker.createSent = true;
      const request = client.send(command, { abortSignal: signal }).then((output) => {
        if (isCreate) tracker.uploadId = (output as { UploadId?: string }).UploadId;
        return output;
      });
      const settled = request.then(
        () => undefined,
        (error: unknown) => {
          if (!signal.aborted) tracker.firstError ??= error;
        },
      );
      tracker.inflight.add(settled);
      void settled.then(() => tracker.inflight.delete(settled));
      return request;
    };
    scoped.send = send as S3Client['send'];
    return scoped;
  }

  /**
   * After a failed or aborted upload: wait until none of its requests is running, then abort its
   * multipart upload and wait for the answer, so no parts stay behind. If CreateMultipartUpload was
   * cut off before it answered, the uploads for this key are looked up and aborted. When the service
   * cannot be reached the upload id is kept and the abort retried before the next upload.
   */
  private async cleanUpUpload(conn: S3Connection, key: string, tracker: UploadTracker): Promise<void> {
    while (tracker.inflight.size > 0) await Promise.all([...tracker.inflight]);
    if (!tracker.createSent) return;
    const scope = new OperationScope(`R2 cleanup of the failed upload of '${key}'`, Math.min(CLEANUP_TIMEOUT_MS, this.options.operationTimeoutMs));
    try {
      let ids = tracker.uploadId ? [tracker.uploadId] : [];
      if (ids.length === 0) {
        try {
          ids = (await this.multipartUploads(conn, key, scope.signal)).map((upload) => upload.id);
        } catch (error) {
          this.logger.warn(`Could not look up the unfinished multipart upload of ${key} after a failed upload: ${this.describe(error, conn, 'lookup of unfinished uploads', key).message}`);
          this.unsureKeys.add(key);
          return;
        }
      }
      for (const uploadId of ids) await this.abortMultipart(conn, key, uploadId, scope.signal);
    } finally {
      scope.dispose();
    }
  }

  private async abortMultipart(conn: S3Connection, key: string, uploadId: string, signal: AbortSignal): Promise<boolean> {
    try {
      await conn.client.send(new AbortMultipartUploadCommand({ Bucket: conn.bucket, Key: conn.objectKey(key), UploadId: uploadId }), { abortSignal: signal });
      conn.pendingAborts.delete(uploadId);
      return true;
    } catch (error) {
      const failure = this.describe(error, conn, 'abort of an unfinished multipart upload', key);
      if ((error as { name?: string }).name === 'NoSuchUpload' || failure.kind === 'no_object') {
        conn.pendingAborts.delete(uploadId);
        return true;
      }
      conn.pendingAborts.set(uploadId, { key });
      this.logger.warn(`Could not abort the multipart upload ${uploadId} of ${key}; will retry before the next upload: ${failure.message}`);
      return false;
    }
  }

  private async retryPendingAborts(conn: S3Connection): Promise<void> {
    if (conn.pendingAborts.size === 0) return;
    const scope = new OperationScope('R2 cleanup of earlier failed uploads', Math.min(CLEANUP_TIMEOUT_MS, this.options.operationTimeoutMs));
    try {
      for (const [uploadId, { key }] of [...conn.pendingAborts]) {
        if (await this.abortMultipart(conn, key, uploadId, scope.signal)) this.logger.log(`Aborted the multipart upload ${uploadId} left by an earlier failed upload of ${key}`);
      }
    } finally {
      scope.dispose();
    }
  }

  private async multipartUploads(conn: S3Connection, key: string, signal: AbortSignal): Promise<Array<{ id: string; initiated?: Date }>> {
    const ids: Array<{ id: string; initiated?: Date }> = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await conn.client.send(
        new ListMultipartUploadsCommand({ Bucket: conn.bucket, Prefix: conn.objectKey(key), KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        { abortSignal: signal },
      );
      for (const upload of page.Uploads ?? []) if (upload.Key === conn.objectKey(key) && upload.UploadId) ids.push({ id: upload.UploadId, initiated: upload.Initiated });
      if (!page.IsTruncated) return ids;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  // ---- start-up clean-up ----

  /**
   * Aborts the multipart uploads that uploads recorded by earlier processes of this installation left
   * unfinished (a kill -9 mid-upload): for each record, the uploads of its key initiated at or after
   * its time. Uploads without a record (another installation's, or a person's) are never touched.
   */
  async removeLeftovers(): Promise<LeftoverReport> {
    const report: LeftoverReport = { removed: [], failed: [] };
    let recorded: RecordedUpload[];
    try {
      recorded = await this.journal.leftOver();
    } catch (error) {
      report.failed.push(`could not read the records of unfinished uploads: ${(error as Error).message}`);
      return report;
    }
    if (recorded.length === 0) return report;
    let conn: S3Connection;
    try {
      const settings = await this.settings.r2Settings();
      const missing = missingR2Settings(settings);
      if (missing) throw new DomainError(ErrorCode.StorageNotConfigured, missing);
      conn = await this.lease();
    } catch (error) {
      const text = `could not abort ${recorded.length} unfinished upload(s) to R2 (${recorded.map((r) => r.record.key).join(', ')}): ${(error as Error).message}; the service tries again at the next start`;
      report.failed.push(text);
      this.logger.warn(`Start-up clean-up: ${text}`);
      return report;
    }
    const scope = new OperationScope('R2 start-up clean-up of unfinished uploads', Math.min(CLEANUP_TIMEOUT_MS, this.options.operationTimeoutMs));
    try {
      for (const { file, record } of recorded) {
        const where = `${record.endpoint}/${record.bucket}${record.prefix ? `/${record.prefix}` : ''}`;
        // A changed r2_prefix counts like a changed bucket: the recorded key is not where the settings now point.
        if (record.endpoint !== conn.endpoint.url || record.bucket !== conn.bucket || (record.prefix ?? '') !== conn.prefix) {
          const text = `the unfinished upload of ${record.key} was made to ${where}, but the R2 settings now point to ${conn.location}: abort it there (a lifecycle rule for incomplete multipart uploads does it); the service tries again at each start while its record ${file} is kept`;
          report.failed.push(text);
          this.logger.warn(`Start-up clean-up: ${text}`);
          continue;
        }
        try {
          const since = Date.parse(record.started_at) - RECORD_CLOCK_SKEW_MS;
          const uploads = (await this.multipartUploads(conn, record.key, scope.signal)).filter((u) => (u.initiated?.getTime() ?? Number.POSITIVE_INFINITY) >= since);
          let aborted = 0;
          for (const upload of uploads) if (await this.abortMultipart(conn, record.key, upload.id, scope.signal)) aborted += 1;
          if (aborted < uploads.length) throw new Error(`${uploads.length - aborted} abort(s) failed`);
          await this.journal.forget(file);
          if (aborted > 0) {
            report.removed.push(`${aborted === 1 ? 'the unfinished multipart upload' : `${aborted} unfinished multipart uploads`} of ${record.key} in ${where}`);
            this.logger.warn(`Aborted ${aborted} unfinished multipart upload(s) of ${record.key} in ${where}, left by an upload started at ${record.started_at} by process ${record.pid}`);
          }
        } catch (error) {
          const reason = scope.aborted ? (scope.reason as Error).message : isSdkError(error) ? this.describe(error, conn, 'abort of an unfinished upload', record.key).message : (error as Error).message;
          const text = `could not abort the unfinished upload of ${record.key} in ${where}: ${reason}; the service tries again at the next start`;
          report.failed.push(text);
          this.logger.warn(`Start-up clean-up: ${text}`);
        }
      }
    } finally {
      scope.dispose();
      conn.release();
    }
    return report;
  }

  // ---- download, head, delete helpers ----

  /**
   * The body handed to the caller: counts progress, checks the length, turns a cut connection into
   * a readable DomainError, and ends the operation (time limit, connection lease) when it closes.
   */
  private guardDownload(source: Readable, size: number, conn: S3Connection, scope: OperationScope, operation: string, key: string, onProgress?: (bytes: number) => void): Readable {
    let received = 0;
    const body = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        onProgress?.(received);
        callback(null, chunk);
      },
      flush(callback) {
        if (received !== size) {
          callback(new DomainError(ErrorCode.StorageUnavailable, `The R2 ${operation} ended after ${formatBytes(received)} of ${formatBytes(size)}: try again`, { key }));
        } else callback();
      },
    });
    const onAbort = () => {
      const reason = scope.reason;
      if (reason instanceof DomainError) this.logger.warn(reason.message);
      body.destroy(reason instanceof Error ? reason : new DomainError(ErrorCode.StorageUnavailable, `The R2 ${operation} was cancelled`));
    };
    scope.signal.addEventListener('abort', onAbort, { once: true });
    source.on('error', (error) => {
      if (scope.aborted) return;
      const failure = this.describe(error, conn, operation, key);
      this.logger.warn(`R2 ${operation} was interrupted: ${failure.message}`);
      body.destroy(toDomainError(failure, { key }, error));
    });
    body.once('close', () => {
      scope.signal.removeEventListener('abort', onAbort);
      if (!source.destroyed) source.destroy();
      scope.dispose();
      conn.release();
    });
    source.pipe(body);
    return body;
  }

  /** HeadObject; a 404 is "no such object" only once the bucket is known to exist (HEAD has no error body). */
  private async headWith(conn: S3Connection, client: S3Client, key: string, signal: AbortSignal): Promise<StoredObject | undefined> {
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key) }), { abortSignal: signal });
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0), etag: out.ETag, owner: parseOwner(out.Metadata?.[OWNER_METADATA]) };
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
      await client.send(new ListObjectsV2Command({ Bucket: conn.bucket, MaxKeys: 1 }), { abortSignal: signal });
      return undefined;
    }
  }

  private async deleteOneByOne(conn: S3Connection, keys: string[], scope: OperationScope): Promise<Array<{ Key?: string; Code?: string; Message?: string }>> {
    const errors: Array<{ Key?: string; Code?: string; Message?: string }> = [];
    for (const key of keys) {
      try {
        await conn.client.send(new DeleteObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key) }), { abortSignal: scope.signal });
      } catch (error) {
        if (scope.aborted) throw error;
        const failure = this.describe(error, conn, `delete of '${key}'`, key);
        errors.push({ Key: key, Code: failure.cause, Message: failure.message });
      }
    }
    return errors;
  }

  private describeKeyError(conn: S3Connection, code: string | undefined, message: string | undefined): string {
    const text = scrubSecrets(message && message !== 'UnknownError' ? message : '', conn.secrets);
    if (code === 'AccessDenied') return `Access denied (AccessDenied): the API token needs delete permission (Object Read & Write) on bucket '${conn.bucket}'`;
    return `${code ?? 'Error'}${text ? `: ${text}` : ''}`;
  }

  // ---- Test Connection ----

  /** Endpoint, credentials, bucket, then write/read/delete of a probe object; stops at the first failure. */
  private async probe(conn: S3Connection, checks: ConnectionCheck[]): Promise<void> {
    const client = conn.probeClient;
    const step = async <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
      const scope = new OperationScope('R2 Test Connection step', Math.min(PROBE_STEP_TIMEOUT_MS, this.options.operationTimeoutMs));
      try {
        return await fn(scope.signal);
      } catch (error) {
        throw scope.aborted ? scope.reason : error;
      } finally {
        scope.dispose();
      }
    };
    const message = (error: unknown, operation: string, key?: string): S3Failure =>
      error instanceof DomainError ? { kind: 'other', code: error.code, message: error.message, cause: error.code } : this.describe(error, conn, operation, key, true);

    // 1-3: one listing request answers reachability, credentials and the bucket (GET carries an error body).
    try {
      await step((signal) => client.send(new ListObjectsV2Command({ Bucket: conn.bucket, MaxKeys: 1 }), { abortSignal: signal }));
      checks.push({ name: 'endpoint', ok: true, message: `${conn.endpoint.url} answered` });
      checks.push({ name: 'credentials', ok: true, message: 'The access key ID and secret were accepted' });
      checks.push({ name: 'bucket', ok: true, message: `Bucket '${conn.bucket}' exists and can be listed` });
    } catch (error) {
      const failure = message(error, 'connection test');
      // No answer, an answer that is not S3, or a failing service: the endpoint is the problem.
      if (failure.kind === 'unreachable' || failure.kind === 'service' || failure.kind === 'other') {
        checks.push({ name: 'endpoint', ok: false, message: failure.message });
        return;
      }
      checks.push({ name: 'endpoint', ok: true, message: `${conn.endpoint.url} answered` });
      if (failure.kind === 'unknown_access_key' || failure.kind === 'wrong_secret' || failure.kind === 'clock_skew') {
        checks.push({ name: 'credentials', ok: false, message: failure.message });
        return;
      }
      if (failure.kind === 'no_bucket') {
        checks.push({ name: 'credentials', ok: true, message: 'The access key ID and secret were accepted' });
        checks.push({ name: 'bucket', ok: false, message: failure.message });
        return;
      }
      if (failure.kind === 'access_denied') {
        checks.push({ name: 'credentials', ok: true, message: 'The access key ID and secret were accepted' });
        checks.push({ name: 'bucket', ok: false, message: `Listing bucket '${conn.bucket}' was refused (AccessDenied): give the API token "Object Read & Write" on this bucket, or correct r2_bucket_name` });
        return;
      }
      checks.push({ name: 'credentials', ok: false, message: failure.message });
      return;
    }

    // 4-6: write, read back and delete a small object with a name no backup can have.
    // Under r2_prefix like every key of the target: a token limited to that prefix passes too.
    const probeKey = conn.objectKey(`${CONNECTION_TEST_PREFIX}${randomBytes(8).toString('hex')}`);
    const content = probeContent();
    try {
      await step((signal) => client.send(new PutObjectCommand({ Bucket: conn.bucket, Key: probeKey, Body: content, ContentType: 'text/plain' }), { abortSignal: signal }));
      checks.push({ name: 'write', ok: true, message: `Wrote the probe object ${probeKey}` });
    } catch (error) {
      const failure = message(error, `write of the probe object ${probeKey}`, probeKey);
      checks.push({ name: 'write', ok: false, message: failure.kind === 'access_denied' ? `Writing to bucket '${conn.bucket}' was refused (AccessDenied): the API token can read but not write; give it "Object Read & Write"` : failure.message });
      return;
    }
    let readOk = false;
    try {
      const text = await step(async (signal) => {
        const out = await client.send(new GetObjectCommand({ Bucket: conn.bucket, Key: probeKey }), { abortSignal: signal });
        return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      });
      readOk = text.equals(content);
      checks.push({
        name: 'read',
        ok: readOk,
        message: readOk ? 'Read the probe object back unchanged' : `The probe object ${probeKey} came back different (${text.length} bytes instead of ${content.length}): something between here and the bucket changes data`,
      });
    } catch (error) {
      checks.push({ name: 'read', ok: false, message: message(error, `read of the probe object ${probeKey}`, probeKey).message });
    }
    try {
      await step((signal) => client.send(new DeleteObjectCommand({ Bucket: conn.bucket, Key: probeKey }), { abortSignal: signal }));
      checks.push({ name: 'delete', ok: true, message: 'Deleted the probe object' });
    } catch (error) {
      const failure = message(error, `delete of the probe object ${probeKey}`, probeKey);
      const text = failure.kind === 'access_denied' ? `Deleting from bucket '${conn.bucket}' was refused (AccessDenied): old backups could not be rotated; give the API token "Object Read & Write"` : failure.message;
      checks.push({ name: 'delete', ok: false, message: `${text}. Remove ${probeKey} from the bucket by hand` });
    }
  }
}
