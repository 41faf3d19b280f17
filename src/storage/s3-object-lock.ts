import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { ObjectLock } from './object-storage.js';
import type { S3Connection } from './s3-connection.js';

/**
 * S3 Object Lock for an S3 destination (r2_object_lock_mode / a target's object_lock): each archive is uploaded
 * with a retention, and what the store says of a lock is read the same way everywhere.
 *
 * Why deletes of a locked object name its version: Object Lock buckets are versioned, and there a DELETE without
 * a version id "succeeds" by hiding the object behind a delete marker while the locked bytes stay. Naming the
 * version makes the store itself refuse a delete before the retain-until date, and remove the bytes after it.
 */

/** R2's answer to a write or delete of an object a bucket lock rule protects (403, R2 error 10069). */
const R2_LOCK_CODE = 'ObjectLockedByBucketPolicy';
const DAY_MS = 24 * 60 * 60 * 1000;

/** The retention HeadObject reports, or null (none, or the credentials may not read it). */
export function lockFromHead(out: Pick<HeadObjectCommandOutput, 'ObjectLockMode' | 'ObjectLockRetainUntilDate'>): ObjectLock | null {
  const mode = out.ObjectLockMode?.toLowerCase();
  if ((mode !== 'governance' && mode !== 'compliance') || !out.ObjectLockRetainUntilDate) return null;
  return { mode, retainUntil: new Date(out.ObjectLockRetainUntilDate) };
}

/** The retention an upload asks for: the target's rule, counted from `now`. */
export function requestedLock(conn: S3Connection, now: Date): ObjectLock | undefined {
  if (!conn.objectLock) return undefined;
  return { mode: conn.objectLock.mode, retainUntil: new Date(now.getTime() + conn.objectLock.days * DAY_MS) };
}

/**
 * Whether a refused delete was refused because of a lock: R2's bucket lock rules say so by their code; S3 and
 * Ceph answer AccessDenied, which is a lock when the object is known to carry a retention (or the message says so).
 */
export function isLockRefusal(code: string | undefined, message: string | undefined, knownLock: ObjectLock | null | undefined): boolean {
  if (code === R2_LOCK_CODE) return true;
  if (code !== 'AccessDenied') return false;
  return Boolean(knownLock) || /object ?lock/i.test(message ?? '');
}

/** The words for a delete the store refused because of a lock. */
export function lockRefusalText(conn: S3Connection, key: string, lock: ObjectLock | null | undefined, code: string | undefined): string {
  if (lock) return `'${key}' is locked until ${lock.retainUntil.toISOString()} (S3 Object Lock, ${lock.mode} mode): it can be deleted after that date`;
  const rule = code === R2_LOCK_CODE ? 'an R2 bucket lock rule' : 'a lock';
  return `${conn.endpoint.host} keeps '${key}' because of ${rule} (${code ?? 'refused'}): it can be deleted once the rule lets it go (Cloudflare dashboard → R2 → bucket → Settings → Bucket lock rules)`;
}

/** The ObjectLocked error for one delete the store refused, with the date when known. */
export function objectLockedError(
  conn: S3Connection,
  key: string,
  lock: ObjectLock | null | undefined,
  code: string | undefined,
  cause?: unknown,
): DomainError {
  return new DomainError(
    ErrorCode.ObjectLocked,
    lockRefusalText(conn, key, lock, code),
    { key, retain_until: lock ? lock.retainUntil.toISOString() : null, mode: lock?.mode ?? null },
    { cause },
  );
}

/**
 * Before the first locked upload of a connection: the bucket must have Object Lock enabled, or the archive could
 * not be locked (S3 refuses the upload; Ceph accepts a multipart upload and drops the lock). Said before any byte
 * is sent, so a refused backup leaves nothing behind. Enabled once, Object Lock cannot be turned off: the answer
 * is kept for the connection's life.
 */
export async function assertBucketLockEnabled(conn: S3Connection, signal: AbortSignal): Promise<void> {
  if (conn.objectLockConfirmed || !conn.objectLock) return;
  const problem = await bucketLockProblem(conn, signal);
  if (problem) throw new DomainError(ErrorCode.StorageNotConfigured, problem, { target: 'r2', bucket: conn.bucket });
  conn.objectLockConfirmed = true;
}

/** Why the bucket cannot hold locked archives, in words naming what to do; undefined when it can. Other errors are thrown. */
export async function bucketLockProblem(conn: S3Connection, signal: AbortSignal, client = conn.client): Promise<string | undefined> {
  const wanted = conn.objectLock ? ` as r2_object_lock_mode '${conn.objectLock.mode}' (${conn.objectLock.days} days) asks` : '';
  const off = "or set r2_object_lock_mode to '' to upload without a lock";
  try {
    const out = await client.send(new conn.sdk.GetObjectLockConfigurationCommand({ Bucket: conn.bucket }), { abortSignal: signal });
    if (out.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled') return undefined;
  } catch (error) {
    const name = (error as { name?: string; Code?: string }).Code ?? (error as { name?: string }).name;
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 501 || name === 'NotImplemented') {
      return (
        `${conn.endpoint.url} does not support S3 Object Lock (${name ?? status}), so backups cannot be locked${wanted}: ` +
        `on Cloudflare R2 protect them with a bucket lock rule instead (Cloudflare dashboard → R2 → bucket '${conn.bucket}' → Settings → Bucket lock rules) ${off}`
      );
    }
    if (name !== 'ObjectLockConfigurationNotFoundError' && status !== 404) throw error;
  }
  return (
    `Bucket '${conn.bucket}' at ${conn.endpoint.url} does not have Object Lock enabled, so backups cannot be locked${wanted}: ` +
    `use a bucket created with Object Lock enabled (S3: "Object Lock" when creating the bucket; Ceph/MinIO: --object-lock-enabled-for-bucket), ${off}`
  );
}

/**
 * Gives an uploaded object its retention with PutObjectRetention, for a store that took the upload but not its
 * lock headers (Ceph's radosgw drops them on multipart uploads). Never shortens a retention already there.
 */
export async function applyRetention(conn: S3Connection, key: string, versionId: string | undefined, lock: ObjectLock, signal: AbortSignal): Promise<void> {
  await conn.client.send(
    new conn.sdk.PutObjectRetentionCommand({
      Bucket: conn.bucket,
      Key: conn.objectKey(key),
      VersionId: versionId,
      Retention: { Mode: lock.mode === 'governance' ? 'GOVERNANCE' : 'COMPLIANCE', RetainUntilDate: lock.retainUntil },
    }),
    { abortSignal: signal },
  );
}
