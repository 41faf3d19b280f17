import type { StoredObject, TransferOptions } from './object-storage.js';
import { lockFromHead } from './s3-object-lock.js';
import { formatRecipients, parseOwner, parseRecipients } from './object-key.js';
import type { S3Connection } from './s3-connection.js';

/** User metadata naming the installation that made an archive (header x-amz-meta-sentinel-installation). */
export const OWNER_METADATA = 'sentinel-installation';
/**
 * User metadata naming the age recipients an encrypted archive was encrypted to (header
 * x-amz-meta-sentinel-recipients, comma-separated `age1...`), so a new machine can tell which key it needs.
 */
export const RECIPIENTS_METADATA = 'sentinel-recipients';

/** The user metadata an upload sets: its owner, and an encrypted archive's recipients; undefined when none. */
export function uploadMetadata(options: TransferOptions): Record<string, string> | undefined {
  const metadata: Record<string, string> = {};
  if (options.owner !== undefined) metadata[OWNER_METADATA] = options.owner;
  if (options.recipients?.length) metadata[RECIPIENTS_METADATA] = formatRecipients(options.recipients, ',');
  return Object.keys(metadata).length ? metadata : undefined;
}

/** The HTTP status of an SDK error, if it got an answer. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** What HeadObject says of an object: its listing entry, owner, recipients and lock, and its version id in a versioned bucket. */
export type S3HeadResult = StoredObject & { versionId?: string };

/**
 * HeadObject: the object's size, time, ETag, owner, recipients, lock and version. A 404 is "no such object" (undefined) only once
 * the bucket is known to exist, since a HEAD answer has no error body to tell the two apart.
 */
export async function headObject(conn: S3Connection, key: string, signal: AbortSignal): Promise<S3HeadResult | undefined> {
  try {
    const out = await conn.client.send(new conn.sdk.HeadObjectCommand({ Bucket: conn.bucket, Key: conn.objectKey(key) }), { abortSignal: signal });
    return {
      key,
      size: out.ContentLength ?? 0,
      lastModified: out.LastModified ?? new Date(0),
      etag: out.ETag,
      owner: parseOwner(out.Metadata?.[OWNER_METADATA]),
      recipients: parseRecipients(out.Metadata?.[RECIPIENTS_METADATA]),
      lock: lockFromHead(out),
      versionId: out.VersionId,
    };
  } catch (error) {
    if (httpStatusOf(error) !== 404) throw error;
    await conn.client.send(new conn.sdk.ListObjectsV2Command({ Bucket: conn.bucket, MaxKeys: 1 }), { abortSignal: signal });
    return undefined;
  }
}
