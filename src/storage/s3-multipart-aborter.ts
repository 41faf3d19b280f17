import type { Logger } from '@nestjs/common';
import { OperationScope } from './operation-scope.js';
import type { S3Connection } from './s3-connection.js';

/** Cleaning up a failed multipart upload gets its own time, after the operation's own ran out. */
export const CLEANUP_TIMEOUT_MS = 60_000;

/** A multipart upload the service lists for a key. */
export interface MultipartUploadInfo {
  id: string;
  initiated?: Date;
}

/**
 * Aborts unfinished multipart uploads (whose parts a bucket keeps, and bills, until then). An abort that
 * fails (the service was down) is remembered on the connection and retried before its next upload.
 */
export class S3MultipartAborter {
  constructor(
    /** The operation time limit: a cleanup never gets longer than an operation. */
    private readonly operationTimeoutMs: number,
    private readonly logger: Logger,
    /** The target in log lines and time-limit messages: 'R2' (the spec's phrases), or an added target's label. */
    readonly label = 'R2',
  ) {}

  /** A time limit for cleanup work. */
  cleanupScope(description: string): OperationScope {
    return new OperationScope(description, Math.min(CLEANUP_TIMEOUT_MS, this.operationTimeoutMs));
  }

  /** True when the upload is gone (aborted now, or already); false when the abort is still owed. */
  async abort(conn: S3Connection, key: string, uploadId: string, signal: AbortSignal): Promise<boolean> {
    try {
      await conn.client.send(new conn.sdk.AbortMultipartUploadCommand({ Bucket: conn.bucket, Key: conn.objectKey(key), UploadId: uploadId }), {
        abortSignal: signal,
      });
      conn.pendingAborts.delete(uploadId);
      return true;
    } catch (error) {
      const failure = conn.describe(error, 'abort of an unfinished multipart upload', key);
      if ((error as { name?: string }).name === 'NoSuchUpload' || failure.kind === 'no_object') {
        conn.pendingAborts.delete(uploadId);
        return true;
      }
      conn.pendingAborts.set(uploadId, { key });
      this.logger.warn(`Could not abort the multipart upload ${uploadId} of ${key}; will retry before the next upload: ${failure.message}`);
      return false;
    }
  }

  /** Retries the aborts that failed earlier on this connection. */
  async retryPending(conn: S3Connection): Promise<void> {
    if (conn.pendingAborts.size === 0) return;
    const scope = this.cleanupScope(`${this.label} cleanup of earlier failed uploads`);
    try {
      for (const [uploadId, { key }] of [...conn.pendingAborts]) {
        if (await this.abort(conn, key, uploadId, scope.signal))
          this.logger.log(`Aborted the multipart upload ${uploadId} left by an earlier failed upload of ${key}`);
      }
    } finally {
      scope.dispose();
    }
  }

  /** The unfinished multipart uploads of exactly `key`, however many pages the listing takes. */
  async uploadsOf(conn: S3Connection, key: string, signal: AbortSignal): Promise<MultipartUploadInfo[]> {
    const ids: MultipartUploadInfo[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await conn.client.send(
        new conn.sdk.ListMultipartUploadsCommand({ Bucket: conn.bucket, Prefix: conn.objectKey(key), KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        { abortSignal: signal },
      );
      for (const upload of page.Uploads ?? [])
        if (upload.Key === conn.objectKey(key) && upload.UploadId) ids.push({ id: upload.UploadId, initiated: upload.Initiated });
      if (!page.IsTruncated) return ids;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }
}
