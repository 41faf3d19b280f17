import type { Logger } from '@nestjs/common';
import { mapConcurrently } from '../common/concurrency.js';
import type { DeleteManyResult, ObjectLock } from './object-storage.js';
import { objectKeyProblem } from './object-key.js';
import type { OperationScope } from './operation-scope.js';
import type { S3Connection } from './s3-connection.js';
import { scrubSecrets } from './s3-errors.js';
import { headObject, httpStatusOf } from './s3-object-head.js';
import { isLockRefusal, lockRefusalText, objectLockedError } from './s3-object-lock.js';
import type { S3OperationRunner } from './s3-operation-runner.js';
import type { S3OwnerMetadata } from './s3-owner-metadata.js';

/** HeadObject requests at once when the version of objects to delete must be looked up (few: the cache usually has them). */
const VERSION_LOOKUP_CONCURRENCY = 8;

/** What a delete of one key needs to know: its lock and, in a versioned bucket, the version to delete. */
interface DeleteTarget {
  key: string;
  lock: ObjectLock | null;
  versionId?: string;
}

/** S3 answers at most 1,000 keys per DeleteObjects call. */
const DELETE_BATCH = 1000;

type KeyError = { Key?: string; Code?: string; Message?: string };

/**
 * Deletes in an S3 destination: DeleteObjects in batches of 1,000 with its per-key errors read (a
 * service without DeleteObjects gets one request per key), each failure said in words. A delete the store
 * refuses because of a lock (S3 Object Lock, an R2 bucket lock rule) is reported as locked, not failed. An
 * object with a retention, or any object of a target that locks its uploads, is deleted by its version id
 * (see s3-object-lock.ts): the store then enforces the lock instead of hiding the object behind a delete marker.
 */
export class S3ObjectDeleter {
  constructor(
    private readonly runner: S3OperationRunner,
    private readonly metadata: S3OwnerMetadata,
    private readonly logger: Logger,
  ) {}

  /** One HeadObject first (a single delete is rare): it says the lock and the version to delete. */
  async delete(key: string): Promise<void> {
    await this.runner.run(`delete of '${key}'`, key, undefined, async (conn, scope) => {
      const head = await headObject(conn, key, scope.signal);
      if (!head) return;
      const target = this.byVersion(conn, { key, lock: head.lock ?? null, versionId: head.versionId });
      try {
        await conn.client.send(new conn.sdk.DeleteObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key), VersionId: target.versionId }), {
          abortSignal: scope.signal,
        });
        this.metadata.forget(key);
      } catch (error) {
        const failure = error as { Code?: string; name?: string; message?: string };
        const code = failure.Code ?? failure.name;
        if (scope.aborted || !isLockRefusal(code, failure.message, target.lock)) throw error;
        this.metadata.forget(key);
        throw objectLockedError(conn, key, target.lock, code, error);
      }
    });
  }

  /** Names the version to delete when the object has a lock, or the target locks its uploads. */
  private byVersion(conn: S3Connection, target: DeleteTarget): DeleteTarget {
    return target.versionId !== undefined && (target.lock !== null || conn.objectLock !== null) ? target : { key: target.key, lock: target.lock };
  }

  /**
   * The lock and version of each key: from the HeadObject cache filled by the listing before (no request), else,
   * when it matters (the target locks its uploads), a HeadObject each.
   */
  private async targets(conn: S3Connection, keys: string[], scope: OperationScope): Promise<DeleteTarget[]> {
    return mapConcurrently(keys, VERSION_LOOKUP_CONCURRENCY, async (key) => {
      const cached = this.metadata.cached(key);
      if (cached) return this.byVersion(conn, { key, lock: cached.lock, versionId: cached.versionId });
      if (conn.objectLock === null) return { key, lock: null };
      const head = await headObject(conn, key, scope.signal);
      return this.byVersion(conn, { key, lock: head?.lock ?? null, versionId: head?.versionId });
    });
  }

  /** Each key once; an invalid key is reported as failed, never sent. */
  async deleteMany(keys: string[]): Promise<DeleteManyResult> {
    const result: DeleteManyResult = { deleted: [], failed: [], locked: [] };
    const valid: string[] = [];
    for (const key of new Set(keys)) {
      const problem = objectKeyProblem(key);
      if (problem) result.failed.push({ key, message: `Invalid key: ${problem}` });
      else valid.push(key);
    }
    if (valid.length === 0) return result;
    return this.runner.run(`delete of ${valid.length} objects`, undefined, undefined, async (conn, scope) => {
      for (let i = 0; i < valid.length; i += DELETE_BATCH) {
        const batch = await this.targets(conn, valid.slice(i, i + DELETE_BATCH), scope);
        let errors: KeyError[];
        try {
          const out = await conn.client.send(
            new conn.sdk.DeleteObjectsCommand({
              Bucket: conn.bucket,
              Delete: { Objects: batch.map((t) => ({ Key: conn.objectKey(t.key), VersionId: t.versionId })), Quiet: true },
            }),
            { abortSignal: scope.signal },
          );
          errors = out.Errors ?? [];
        } catch (error) {
          // A service without DeleteObjects (501): one request per key.
          if (httpStatusOf(error) !== 501) throw error;
          errors = await this.deleteOneByOne(conn, batch, scope);
        }
        const keyErrors = new Map<string, KeyError>();
        for (const e of errors) {
          if (e.Key === undefined) continue;
          keyErrors.set(e.Key.startsWith(conn.prefix) ? e.Key.slice(conn.prefix.length) : e.Key, e);
        }
        for (const { key, lock } of batch) {
          const e = keyErrors.get(key);
          this.metadata.forget(key);
          if (e === undefined) result.deleted.push(key);
          else if (isLockRefusal(e.Code, e.Message, lock))
            result.locked.push({ key, retainUntil: lock?.retainUntil ?? null, message: lockRefusalText(conn, key, lock, e.Code) });
          else result.failed.push({ key, message: this.describeKeyError(conn, e.Code, e.Message) });
        }
      }
      if (result.locked.length > 0)
        this.logger.log(
          `${this.runner.label} delete: ${result.locked.length} of ${keys.length} objects are kept by a lock (first: ${result.locked[0].message})`,
        );
      if (result.failed.length > 0)
        this.logger.warn(
          `${this.runner.label} delete: ${result.failed.length} of ${keys.length} objects could not be deleted (first: ${result.failed[0].key}: ${result.failed[0].message})`,
        );
      return result;
    });
  }

  private async deleteOneByOne(conn: S3Connection, targets: DeleteTarget[], scope: OperationScope): Promise<KeyError[]> {
    const errors: KeyError[] = [];
    for (const { key, versionId } of targets) {
      try {
        await conn.client.send(new conn.sdk.DeleteObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key), VersionId: versionId }), {
          abortSignal: scope.signal,
        });
      } catch (error) {
        if (scope.aborted) throw error;
        const failure = conn.describe(error, `delete of '${key}'`, key);
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
}
