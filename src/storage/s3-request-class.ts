/**
 * How Cloudflare R2 bills one S3 request (developers.cloudflare.com/r2/pricing): Class A operations "tend to
 * mutate state" (and listings), Class B "tend to read existing state", deletes and aborts are free.
 */
export type S3RequestClass = 'A' | 'B' | 'free';

/** R2's published Class A list, as SDK command names (ListObjects covers V1 and V2). */
const CLASS_A = new Set([
  'ListBucketsCommand',
  'CreateBucketCommand',
  'ListObjectsCommand',
  'ListObjectsV2Command',
  'PutObjectCommand',
  'CopyObjectCommand',
  'CompleteMultipartUploadCommand',
  'CreateMultipartUploadCommand',
  'ListMultipartUploadsCommand',
  'UploadPartCommand',
  'UploadPartCopyCommand',
  'ListPartsCommand',
  'PutBucketEncryptionCommand',
  'PutBucketCorsCommand',
  'PutBucketLifecycleConfigurationCommand',
]);

/** R2's published Class B list. */
const CLASS_B = new Set([
  'HeadBucketCommand',
  'HeadObjectCommand',
  'GetObjectCommand',
  'GetBucketEncryptionCommand',
  'GetBucketLocationCommand',
  'GetBucketCorsCommand',
  'GetBucketLifecycleConfigurationCommand',
]);

/** R2's free operations (DeleteObjects, the batch form, is not listed; it is counted free like DeleteObject). */
const FREE = new Set(['DeleteObjectCommand', 'DeleteObjectsCommand', 'DeleteBucketCommand', 'AbortMultipartUploadCommand']);

/**
 * The class of one SDK command. A command R2 does not list (PutObjectRetention, GetObjectLockConfiguration...) is
 * classed by what it does, as R2 describes the classes: a Get/Head reads (B), anything else changes state (A).
 */
export function s3RequestClass(commandName: string): S3RequestClass {
  if (CLASS_A.has(commandName)) return 'A';
  if (CLASS_B.has(commandName)) return 'B';
  if (FREE.has(commandName)) return 'free';
  return /^(Get|Head)/.test(commandName) ? 'B' : 'A';
}
