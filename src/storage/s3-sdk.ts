import type * as ClientS3 from '@aws-sdk/client-s3';
import type { Upload } from '@aws-sdk/lib-storage';

/** The parts of the AWS SDK this service uses: the S3 client and its commands, and lib-storage's multipart Upload. */
export type S3Sdk = typeof ClientS3 & { Upload: typeof Upload };

let loading: Promise<S3Sdk> | undefined;

/**
 * The AWS SDK, loaded at the first connection to an S3 destination rather than at start: it holds about 5 MiB of
 * resident memory after a collection (bench/results-notes.md, "Where a backup's memory goes"), which an
 * installation that backs up only to a local folder never needs, and which counts against every backup's peak
 * (issues 14 and 19: at most 200 MB).
 */
export function loadS3Sdk(): Promise<S3Sdk> {
  loading ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]).then(([client, storage]) => ({ ...client, Upload: storage.Upload }));
  return loading;
}
