import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { Clock } from '../common/clock.js';
import { Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import {
  type ConnectionTestResult,
  assertDownloadOffset,
  type DeleteManyResult,
  type DownloadOptions,
  type DownloadResult,
  type LeftoverReport,
  type ObjectLock,
  ObjectStorage,
  type StoredObject,
  type TransferOptions,
} from './object-storage.js';
import { assertKeyPrefix, assertObjectKey } from './object-key.js';
import { missingR2Settings, type S3TargetSettings } from './s3-connection.js';
import { S3ConnectionPool } from './s3-connection-pool.js';
import { S3ConnectionTest } from './s3-connection-test.js';
import { guardedDownloadBody } from './s3-download-body.js';
import { S3MultipartAborter } from './s3-multipart-aborter.js';
import { S3ObjectDeleter } from './s3-object-deleter.js';
import { headObject, httpStatusOf } from './s3-object-head.js';
import { S3ObjectUploader } from './s3-object-uploader.js';
import { S3OperationRunner } from './s3-operation-runner.js';
import { S3OwnerMetadata } from './s3-owner-metadata.js';
import type { S3RequestMeter } from './s3-request-meter.js';
import { S3UnfinishedUploadSweep } from './s3-unfinished-upload-sweep.js';
import { S3UploadJournal } from './s3-upload-journal.js';
import { StorageOptions } from './storage-options.js';

/**
 * An S3 target behind the ObjectStorage port: the built-in R2 (S3ObjectStorage, from the r2_* settings) or a
 * destination added through /api/targets (from its definition). This class is the facade: it hands the
 * target's settings, as a loader, to the parts that do the work, none of which knows which target it serves:
 * - S3ConnectionPool: the clients for the current settings, leased per operation, replaced on change;
 * - S3OperationRunner: every operation within its time limit, errors made readable;
 * - S3ObjectUploader (with S3MultipartAborter and the S3UploadJournal): multipart uploads by R2's rules;
 * - S3OwnerMetadata, S3ObjectDeleter, guardedDownloadBody: owners, deletes, download bodies;
 * - S3ConnectionTest and S3UnfinishedUploadSweep: Test Connection and the start-up clean-up.
 */
export class S3TargetStorage extends ObjectStorage {
  protected readonly logger: Logger;
  private readonly pool: S3ConnectionPool;
  private readonly runner: S3OperationRunner;
  private readonly uploader: S3ObjectUploader | undefined;
  private readonly ownerMetadata: S3OwnerMetadata;
  private readonly deleter: S3ObjectDeleter;
  private readonly connectionTest: S3ConnectionTest;
  private readonly unfinishedUploads: S3UnfinishedUploadSweep | undefined;

  constructor(
    readonly target: string,
    /** How log lines and time-limit messages name the target: the spec's 'R2' for r2, an added target's label. */
    label: string,
    /** Reads the target's settings as they are now (secrets opened). */
    private readonly loadSettings: () => Promise<S3TargetSettings>,
    options: StorageOptions,
    /**
     * The record of started uploads (in DATA_DIR), which uploads and the start-up clean-up of unfinished uploads
     * need. Undefined for an adapter that only lists and reads (the command line's `--bucket`): there is no
     * DATA_DIR of its own to write records to.
     */
    journal: S3UploadJournal | undefined,
    clock: Clock,
    /** Counts every request sent (the cost estimate); the command line's read-only adapter has none. */
    meter?: S3RequestMeter,
  ) {
    super();
    this.logger = new Logger(target === 'r2' ? 'R2Storage' : `S3Storage ${target}`);
    this.pool = new S3ConnectionPool(this.loadSettings, options, this.logger, label, meter);
    this.runner = new S3OperationRunner(this.pool, options.operationTimeoutMs, this.logger, label);
    const aborter = new S3MultipartAborter(options.operationTimeoutMs, this.logger, label);
    this.uploader = journal && new S3ObjectUploader(this.runner, aborter, journal, options.partSizeBytes, this.logger, () => clock.now());
    this.ownerMetadata = new S3OwnerMetadata(this.runner);
    this.deleter = new S3ObjectDeleter(this.runner, this.ownerMetadata, this.logger);
    this.connectionTest = new S3ConnectionTest(this.loadSettings, options, this.logger, target, meter);
    this.unfinishedUploads = journal && new S3UnfinishedUploadSweep(this.pool, aborter, journal, this.logger, target);
  }

  /** The settings changed, or the target goes: the client is rebuilt on next use; the current one goes once idle. */
  dropConnection(): void {
    this.pool.drop();
    // Another bucket or prefix may hold other objects under the same keys.
    this.ownerMetadata.forgetAll();
  }

  /** On failure `body` is destroyed (without an error), so whatever produces it stops. */
  async upload(key: string, body: Readable, options: TransferOptions = {}): Promise<StoredObject> {
    try {
      assertObjectKey(key);
    } catch (error) {
      if (!body.destroyed) body.destroy();
      throw error;
    }
    if (!this.uploader) {
      body.destroy();
      throw readOnly(this.target);
    }
    return this.uploader.upload(key, body, options);
  }

  async download(key: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    assertObjectKey(key);
    const offset = options.offset ?? 0;
    assertDownloadOffset(key, offset, Number.MAX_SAFE_INTEGER);
    const operation = offset > 0 ? `download of '${key}' from byte ${offset}` : `download of '${key}'`;
    return this.runner.begin(operation, key, options.signal, async (begun) => {
      const { conn, scope } = begun;
      const guarded = (body: Readable, size: number) =>
        guardedDownloadBody(body, size, begun, `${this.runner.label} ${operation}`, key, this.logger, options.onProgress);
      let out: GetObjectCommandOutput;
      try {
        out = await conn.client.send(
          new conn.sdk.GetObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key), Range: offset > 0 ? `bytes=${offset}-` : undefined }),
          { abortSignal: scope.signal },
        );
      } catch (error) {
        // 416: the range starts at or past the end. At the end is an empty read (a resumed download that had every byte).
        if (offset === 0 || httpStatusOf(error) !== 416) throw error;
        const object = await headObject(conn, key, scope.signal);
        if (!object) throw error;
        assertDownloadOffset(key, offset, object.size);
        return { body: guarded(Readable.from([]), 0), size: 0 };
      }
      const size = out.ContentLength ?? 0;
      // A store that ignores Range answers 200 with the whole object: appended to what a resumed download has, that would corrupt it.
      if (offset > 0 && !out.ContentRange?.startsWith(`bytes ${offset}-`)) {
        (out.Body as Readable | undefined)?.destroy();
        throw new DomainError(
          ErrorCode.StorageUnavailable,
          `${this.runner.label} did not answer the ${operation} with that range (Content-Range: ${out.ContentRange ?? 'none'}): this store cannot resume a download`,
          { key },
        );
      }
      return { body: guarded(out.Body as Readable, size), size };
    });
  }

  async list(prefix = ''): Promise<StoredObject[]> {
    assertKeyPrefix(prefix);
    return this.runner.run('list', undefined, undefined, async (conn, scope) => {
      const objects: StoredObject[] = [];
      let token: string | undefined;
      do {
        const page = await conn.client.send(
          new conn.sdk.ListObjectsV2Command({ Bucket: conn.bucket, Prefix: conn.objectKey(prefix) || undefined, ContinuationToken: token }),
          { abortSignal: scope.signal },
        );
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined || !item.Key.startsWith(conn.prefix)) continue;
          objects.push({ key: item.Key.slice(conn.prefix.length), size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0), etag: item.ETag });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
        if (page.IsTruncated && !token) {
          throw new DomainError(
            ErrorCode.StorageUnavailable,
            `${conn.endpoint.url} returned a truncated listing without a continuation token: the listing is incomplete`,
          );
        }
      } while (token);
      return objects;
    });
  }

  async head(key: string): Promise<StoredObject | undefined> {
    assertObjectKey(key);
    return this.runner.run(`lookup of '${key}'`, key, undefined, (conn, scope) => headObject(conn, key, scope.signal));
  }

  async owners(objects: StoredObject[]): Promise<Map<string, string | null>> {
    return this.ownerMetadata.owners(objects);
  }

  async locks(objects: StoredObject[]): Promise<Map<string, ObjectLock | null>> {
    return this.ownerMetadata.locks(objects);
  }

  async recipients(objects: StoredObject[]): Promise<Map<string, string[] | null>> {
    return this.ownerMetadata.recipients(objects);
  }

  async setOwner(key: string, owner: string): Promise<void> {
    assertObjectKey(key);
    await this.ownerMetadata.setOwner(key, owner);
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.deleter.delete(key);
  }

  async deleteMany(keys: string[]): Promise<DeleteManyResult> {
    return this.deleter.deleteMany(keys);
  }

  async missingConfiguration(): Promise<string | undefined> {
    return missingR2Settings(await this.loadSettings());
  }

  async testConnection(): Promise<ConnectionTestResult> {
    return this.connectionTest.run();
  }

  async removeLeftovers(): Promise<LeftoverReport> {
    if (!this.unfinishedUploads) throw readOnly(this.target);
    return this.unfinishedUploads.sweep();
  }
}

function readOnly(target: string): DomainError {
  return new DomainError(ErrorCode.Internal, `The bucket of ${target} was opened for reading only (sentinel-backup): it cannot be written or cleaned up here`);
}
