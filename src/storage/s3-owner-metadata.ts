import { mapConcurrently } from '../common/concurrency.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { formatBytes } from '../common/format.js';
import type { ObjectLock, StoredObject } from './object-storage.js';
import { headObject, httpStatusOf, OWNER_METADATA } from './s3-object-head.js';
import type { S3OperationRunner } from './s3-operation-runner.js';

/**
 * HeadObject requests in flight when reading owners: enough to hide the round trip to R2 over the
 * internet, few enough not to flood the service (what is known of its effect: bench/results.md).
 */
const OWNER_HEAD_CONCURRENCY = 32;
/** Cached owners; past this the cache starts over (a bucket that large is read again, not kept in memory). */
const OWNER_CACHE_LIMIT = 50_000;
/** The largest object one CopyObject request can copy. */
const MAX_COPY_BYTES = 5 * 1024 * 1024 * 1024;

/** What identifies one version of an object for the owner cache. */
function ownerVersion(object: StoredObject): string {
  // Seconds: HeadObject's Last-Modified has no milliseconds, listings do.
  return `${object.etag ?? ''}|${object.size}|${Math.floor(object.lastModified.getTime() / 1000)}`;
}

/**
 * The owner of each archive in an S3 destination, kept in the object's user metadata (OWNER_METADATA),
 * read with HeadObject (listings carry no metadata) and cached per version of the object.
 */
/** What one HeadObject says of an object beyond its listing entry. */
interface HeadFacts {
  owner: string | null;
  recipients: string[] | null;
  lock: ObjectLock | null;
  versionId: string | undefined;
}

export class S3OwnerMetadata {
  /** Owners, recipients and locks read with HeadObject, by key, valid for one version of the object (see owners()). */
  private readonly cache = new Map<string, HeadFacts & { version: string }>();

  constructor(private readonly runner: S3OperationRunner) {}

  /** Another bucket or prefix may hold other objects under the same keys: called when the destination changes. */
  forgetAll(): void {
    this.cache.clear();
  }

  /**
   * One HeadObject per object not seen before, OWNER_HEAD_CONCURRENCY at a time. Archives never change
   * in place, so an owner is cached by key, ETag, size and time: a new upload or an adoption
   * (CopyObject, here or by another installation) gives a new time and is read again. Objects that
   * vanished since the listing are left out of the map.
   */
  async owners(objects: StoredObject[]): Promise<Map<string, string | null>> {
    const found = await this.lookUp(objects);
    return new Map([...found].map(([key, { owner }]) => [key, owner]));
  }

  /**
   * The recipients recorded with each object (null: none), read by the same HeadObject as its owner and
   * cached with it: after owners() of a listing, the recipients of the same versions cost no request.
   */
  async recipients(objects: StoredObject[]): Promise<Map<string, string[] | null>> {
    const found = await this.lookUp(objects);
    return new Map([...found].map(([key, { recipients }]) => [key, recipients]));
  }

  /**
   * The Object Lock retention of each object (null: none), read by the same HeadObject as its owner and cached
   * with it, so a rotation after a listing costs no request per backup. A retention extended since it was cached
   * shows when the store refuses the delete (and the entry is then forgotten); one shortened by hand is seen
   * after the cache is dropped (a settings change or a restart), erring on the side of keeping.
   */
  async locks(objects: StoredObject[]): Promise<Map<string, ObjectLock | null>> {
    const found = await this.lookUp(objects);
    return new Map([...found].map(([key, { lock }]) => [key, lock]));
  }

  /** What the last HeadObject of `key` said (lock and version id), if it is cached. */
  cached(key: string): Pick<HeadFacts, 'lock' | 'versionId'> | undefined {
    return this.cache.get(key);
  }

  /** Forgets one object's entry (its lock changed, or it was deleted). */
  forget(key: string): void {
    this.cache.delete(key);
  }

  private async lookUp(objects: StoredObject[]): Promise<Map<string, HeadFacts>> {
    const found = new Map<string, HeadFacts>();
    const missing: StoredObject[] = [];
    for (const object of objects) {
      const cached = this.cache.get(object.key);
      if (cached !== undefined && cached.version === ownerVersion(object)) found.set(object.key, cached);
      else missing.push(object);
    }
    if (missing.length === 0) return found;
    return this.runner.run(`owner lookup of ${missing.length} objects`, undefined, undefined, async (conn, scope) => {
      await mapConcurrently(missing, OWNER_HEAD_CONCURRENCY, async (object) => {
        const head = await headObject(conn, object.key, scope.signal);
        if (!head) return;
        const facts: HeadFacts = { owner: head.owner ?? null, recipients: head.recipients ?? null, lock: head.lock ?? null, versionId: head.versionId };
        found.set(object.key, facts);
        if (this.cache.size >= OWNER_CACHE_LIMIT) this.cache.clear();
        // Cached under the version the listing showed only when HEAD saw that same version.
        if (object.etag !== undefined && ownerVersion(head) === ownerVersion(object)) this.cache.set(object.key, { version: ownerVersion(object), ...facts });
      });
      return found;
    });
  }

  /**
   * CopyObject onto itself with MetadataDirective REPLACE: the same bytes, the other metadata and the
   * content headers kept, the owner replaced. Conditional on the ETag just read, so an archive replaced
   * meanwhile is not stamped. S3 copies at most 5 GiB in one request.
   */
  async setOwner(key: string, owner: string): Promise<void> {
    await this.runner.run(`owner change of '${key}'`, key, undefined, async (conn, scope) => {
      const objectKey = conn.objectKey(key);
      let head;
      try {
        head = await conn.client.send(new conn.sdk.HeadObjectCommand({ Bucket: conn.bucket, Key: objectKey }), { abortSignal: scope.signal });
      } catch (error) {
        if (httpStatusOf(error) !== 404) throw error;
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
        new conn.sdk.CopyObjectCommand({
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
      this.cache.delete(key);
    });
  }
}
