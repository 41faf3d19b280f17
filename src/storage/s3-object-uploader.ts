import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { formatBytes, formatDuration } from '../common/format.js';
import { byteCounter } from '../common/streams/byte-counter.js';
import type { ObjectLock, StoredObject, TransferOptions } from './object-storage.js';
import { ObjectExists } from './object-exists.error.js';
import { oneAtATime } from './one-at-a-time.js';
import type { OperationScope } from './operation-scope.js';
import type { S3Connection } from './s3-connection.js';
import type { S3MultipartAborter } from './s3-multipart-aborter.js';
import { headObject, type S3HeadResult, uploadMetadata } from './s3-object-head.js';
import { applyRetention, assertBucketLockEnabled, requestedLock } from './s3-object-lock.js';
import type { S3OperationRunner } from './s3-operation-runner.js';
import type { S3UploadJournal } from './s3-upload-journal.js';

/** S3 and R2 allow at most 10,000 parts in one multipart upload. */
const MAX_PARTS = 10_000;
const MIB = 1024 * 1024;

/** The requests one upload has started, so its cleanup knows what to wait for and what to abort. */
interface UploadTracker {
  uploadId?: string;
  createSent: boolean;
  inflight: Set<Promise<unknown>>;
  /** The first request of the upload that failed (not by cancellation). */
  firstError?: unknown;
}

/**
 * One object streamed into an S3 destination with lib-storage, by R2's rules: parts all of one size
 * but the last, at most 2 in flight, the owner (and an encrypted archive's recipients) in the object's metadata from its first byte, the result
 * checked with HeadObject. The upload is recorded in the journal before its first request, and a failed
 * or cancelled upload's multipart upload is aborted (and the abort awaited) before it reports.
 */
export class S3ObjectUploader {
  /** Keys whose unfinished upload could not even be looked up after a failure. */
  private readonly unsureKeys = new Set<string>();

  constructor(
    private readonly runner: S3OperationRunner,
    private readonly aborter: S3MultipartAborter,
    private readonly journal: S3UploadJournal,
    /** The configured part size (SENTINEL_STORAGE_PART_SIZE_MB). */
    private readonly partSizeBytes: number,
    private readonly logger: Logger,
    /** The service's clock: a locked archive's retain-until date counts from it. */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** On failure `body` is destroyed (without an error), so whatever produces it stops. */
  async upload(key: string, body: Readable, options: TransferOptions): Promise<StoredObject> {
    const destroyBody = () => {
      if (!body.destroyed) body.destroy();
    };
    const started = Date.now();
    const partSize = this.partSizeFor(options.maxBytes);
    const result = await this.runner.run(
      `upload of '${key}'`,
      key,
      options.signal,
      (conn, scope) => this.recorded(conn, key, body, scope, partSize, options.onProgress, uploadMetadata(options)),
      destroyBody,
    );
    this.logger.log(`${this.runner.label} upload of ${key} done: ${formatBytes(result.size)} in ${formatDuration(Date.now() - started)}`);
    return result;
  }

  /**
   * The configured part size (default 5 MiB, R2's minimum), raised in whole MiB when an object of
   * `maxBytes` would need more than 10,000 parts. Small parts keep memory low: lib-storage holds
   * about four parts at a time (one filling, its copy, two in flight).
   */
  private partSizeFor(maxBytes: number | undefined): number {
    const configured = this.partSizeBytes;
    if (maxBytes === undefined || maxBytes <= configured * MAX_PARTS) return configured;
    return Math.ceil(maxBytes / MAX_PARTS / MIB) * MIB;
  }

  private async recorded(
    conn: S3Connection,
    key: string,
    body: Readable,
    scope: OperationScope,
    partSize: number,
    onProgress?: (bytes: number) => void,
    metadata?: Record<string, string>,
  ): Promise<StoredObject> {
    await this.aborter.retryPending(conn);
    // Before any byte: a bucket that cannot lock is said now, and nothing is left behind.
    await assertBucketLockEnabled(conn, scope.signal);
    const lock = requestedLock(conn, this.now());
    // Durable before the first request: a kill -9 from here on leaves a record the next start acts on.
    const record = await this.journal.record(conn.endpoint.url, conn.bucket, key, conn.prefix, conn.endpoint.names.target);
    try {
      const stored = await this.send(conn, key, body, scope, partSize, onProgress, metadata, lock);
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

  private async send(
    conn: S3Connection,
    key: string,
    body: Readable,
    scope: OperationScope,
    partSize: number,
    onProgress?: (bytes: number) => void,
    metadata?: Record<string, string>,
    lock?: ObjectLock,
  ): Promise<StoredObject> {
    this.unsureKeys.delete(key);
    const tracker: UploadTracker = { createSent: false, inflight: new Set() };
    // Counts what is read from the source. An error of the source itself is the caller's and is
    // passed on as it is; the source is not destroyed here when the upload stops reading (the runner's
    // failure path does).
    const counter = byteCounter();
    let sourceError: unknown;
    body.on('error', (error) => {
      sourceError ??= error;
      counter.destroy(error);
    });
    body.pipe(counter);
    const upload = new conn.sdk.Upload({
      client: this.scopedClient(
        conn,
        conn.client,
        scope.signal,
        tracker,
        lock !== undefined,
        (work) => oneAtATime(`${conn.endpoint.url} ${conn.bucket} ${conn.objectKey(key)}`, work),
        async () => {
          if (await headObject(conn, key, scope.signal)) throw new ObjectExists(conn.endpoint.names.target, key, `bucket '${conn.bucket}'`);
        },
      ),
      params: {
        Bucket: conn.bucket,
        Key: conn.objectKey(key),
        Body: counter,
        ContentType: key.endsWith('.gz') ? 'application/gzip' : 'application/octet-stream',
        // The owner and recipients travel with the object from its first byte (CreateMultipartUpload or PutObject).
        Metadata: metadata,
        // Never replaces an object (lib-storage sends it with PutObject and CompleteMultipartUpload): a second
        // writer of one name is refused by the store, atomically, instead of overwriting the first's archive.
        IfNoneMatch: '*',
        // So does the lock (S3 Object Lock), where the store honours it on the upload itself.
        ...(lock ? { ObjectLockMode: lock.mode === 'governance' ? 'GOVERNANCE' : 'COMPLIANCE', ObjectLockRetainUntilDate: lock.retainUntil } : {}),
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
      await this.cleanUp(conn, key, tracker);
      if (scope.aborted) throw error;
      if (sourceError !== undefined) throw sourceError;
      // When one part fails, lib-storage stops reading the source, which makes its other workers fail
      // with an AbortError; it reports whichever came first. The request that failed first is the cause.
      const cause = tracker.firstError ?? error;
      if (isNameTaken(cause)) throw new ObjectExists(conn.endpoint.names.target, key, `bucket '${conn.bucket}'`);
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
    const stored = await headObject(conn, key, scope.signal);
    if (!stored || stored.size !== counter.bytes) {
      await conn.client
        .send(new conn.sdk.DeleteObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key), VersionId: stored?.versionId }), { abortSignal: scope.signal })
        .catch(() => undefined);
      throw new DomainError(
        ErrorCode.StorageUnavailable,
        `The upload of '${key}' did not arrive whole: ${formatBytes(counter.bytes)} were sent, the bucket holds ${stored ? formatBytes(stored.size) : 'nothing'}; the object was removed, try again`,
      );
    }
    return lock ? this.locked(conn, key, stored, lock, scope) : stored;
  }

  /**
   * Checks that the stored archive has the retention asked for, and gives it with PutObjectRetention where the
   * store took the upload without it (Ceph's radosgw drops the lock headers of a multipart upload). An archive
   * that cannot be locked is removed (it has no retention, so its version can be) and the upload fails.
   */
  private async locked(conn: S3Connection, key: string, stored: S3HeadResult, lock: ObjectLock, scope: OperationScope): Promise<StoredObject> {
    const holds = (found: ObjectLock | null | undefined) => found?.mode === lock.mode && found.retainUntil.getTime() >= lock.retainUntil.getTime() - 1000;
    if (holds(stored.lock)) return stored;
    try {
      await applyRetention(conn, key, stored.versionId, lock, scope.signal);
      const again = await headObject(conn, key, scope.signal);
      if (again && holds(again.lock)) return again;
      throw new Error(`the store reports ${again?.lock ? `a ${again.lock.mode} lock until ${again.lock.retainUntil.toISOString()}` : 'no lock'}`);
    } catch (error) {
      await conn.client
        .send(new conn.sdk.DeleteObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key), VersionId: stored.versionId }), { abortSignal: scope.signal })
        .catch(() => undefined);
      const why = error instanceof Error ? conn.describe(error, `lock of '${key}'`, key).message : String(error);
      throw new DomainError(
        ErrorCode.StorageUnavailable,
        `The upload of '${key}' arrived, but ${conn.endpoint.host} did not lock it (${lock.mode} mode until ${lock.retainUntil.toISOString()}): ${why}. ` +
          `The unlocked archive was removed; check that the API key may set object retention (s3:PutObjectRetention), or set r2_object_lock_mode to ''`,
        { key },
      );
    }
  }

  /**
   * The client as the Upload sees it: every request carries the operation's abort signal (lib-storage
   * does not pass one, so an abort would otherwise leave parts uploading), and the upload id is noted
   * as soon as CreateMultipartUpload answers.
   */
  /**
   * `beforeFinal` runs right before the request that makes the object appear (PutObject, CompleteMultipartUpload):
   * the test server (Ceph radosgw) ignores IfNoneMatch, and stores that do not honour it are kept from replacing
   * an object by this check. `finalStep` runs the check and the request one key at a time in this process (a
   * replica's backup and a copy into it are both this service's), so only another process can slip in between.
   */
  private scopedClient(
    conn: S3Connection,
    client: S3Client,
    signal: AbortSignal,
    tracker: UploadTracker,
    locked: boolean,
    finalStep: <T>(work: () => Promise<T>) => Promise<T>,
    beforeFinal: () => Promise<void>,
  ): S3Client {
    const scoped = Object.create(client) as S3Client;
    const send = (command: Parameters<S3Client['send']>[0]) => {
      if (command instanceof conn.sdk.PutObjectCommand || command instanceof conn.sdk.CompleteMultipartUploadCommand) {
        return finalStep(() =>
          beforeFinal().then(
            () => sendNow(command),
            (error: unknown) => {
              tracker.firstError ??= error;
              throw error;
            },
          ),
        );
      }
      return sendNow(command);
    };
    const sendNow = (command: Parameters<S3Client['send']>[0]) => {
      // S3 refuses a PutObject or UploadPart of a locked upload without an integrity checksum; the SDK sends none
      // under WHEN_REQUIRED (which R2 and Ceph need), so Content-MD5 of the part (a buffer lib-storage holds) is added.
      if (locked && (command instanceof conn.sdk.PutObjectCommand || command instanceof conn.sdk.UploadPartCommand)) {
        const input = command.input as { Body?: unknown; ContentMD5?: string };
        if (input.Body instanceof Uint8Array) input.ContentMD5 ??= createHash('md5').update(input.Body).digest('base64');
      }
      const isCreate = command instanceof conn.sdk.CreateMultipartUploadCommand;
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
  private async cleanUp(conn: S3Connection, key: string, tracker: UploadTracker): Promise<void> {
    while (tracker.inflight.size > 0) await Promise.all([...tracker.inflight]);
    if (!tracker.createSent) return;
    const scope = this.aborter.cleanupScope(`R2 cleanup of the failed upload of '${key}'`);
    try {
      let ids = tracker.uploadId ? [tracker.uploadId] : [];
      if (ids.length === 0) {
        try {
          ids = (await this.aborter.uploadsOf(conn, key, scope.signal)).map((upload) => upload.id);
        } catch (error) {
          this.logger.warn(
            `Could not look up the unfinished multipart upload of ${key} after a failed upload: ${conn.describe(error, 'lookup of unfinished uploads', key).message}`,
          );
          this.unsureKeys.add(key);
          return;
        }
      }
      for (const uploadId of ids) await this.aborter.abort(conn, key, uploadId, scope.signal);
    } finally {
      scope.dispose();
    }
  }
}

/**
 * The store's refusal of IfNoneMatch: '*': 412 PreconditionFailed when the name is taken, or 409
 * ConditionalRequestConflict when another upload of that name completed meanwhile (S3, R2).
 */
function isNameTaken(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const name = e?.name ?? e?.Code;
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || e?.$metadata?.httpStatusCode === 412;
}
