import type { Logger } from '@nestjs/common';
import type { LeftoverReport } from './object-storage.js';
import type { S3Connection } from './s3-connection.js';
import type { S3ConnectionPool } from './s3-connection-pool.js';
import type { S3MultipartAborter } from './s3-multipart-aborter.js';
import { isSdkError } from './s3-operation-runner.js';
import type { RecordedUpload, S3UploadJournal } from './s3-upload-journal.js';

/**
 * At start, a recorded upload's multipart uploads are those of its key initiated at or after the
 * record's time, less this much for a clock that differs from the bucket's.
 */
const RECORD_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The start-up clean-up of an S3 destination: aborts the multipart uploads that uploads recorded by
 * earlier processes of this installation left unfinished (a kill -9 mid-upload). For each record, the
 * uploads of its key initiated at or after its time; uploads without a record (another installation's,
 * or a person's) are never touched.
 */
export class S3UnfinishedUploadSweep {
  constructor(
    private readonly pool: S3ConnectionPool,
    private readonly aborter: S3MultipartAborter,
    private readonly journal: S3UploadJournal,
    private readonly logger: Logger,
    /** The target swept: only its records are taken (records without a target are the built-in r2's). */
    private readonly target = 'r2',
  ) {}

  async sweep(): Promise<LeftoverReport> {
    const report: LeftoverReport = { removed: [], failed: [] };
    let recorded: RecordedUpload[];
    try {
      recorded = (await this.journal.leftOver()).filter(({ record }) => (record.target ?? 'r2') === this.target);
    } catch (error) {
      report.failed.push(`could not read the records of unfinished uploads: ${(error as Error).message}`);
      return report;
    }
    if (recorded.length === 0) return report;
    let conn: S3Connection;
    try {
      // Incomplete settings reject with the sentence naming what to set.
      conn = await this.pool.lease();
    } catch (error) {
      const text = `could not abort ${recorded.length} unfinished upload(s) to ${this.target === 'r2' ? 'R2' : `target '${this.target}'`} (${recorded.map((r) => r.record.key).join(', ')}): ${(error as Error).message}; the service tries again at the next start`;
      report.failed.push(text);
      this.logger.warn(`Start-up clean-up: ${text}`);
      return report;
    }
    const scope = this.aborter.cleanupScope(`${this.aborter.label} start-up clean-up of unfinished uploads`);
    try {
      for (const { file, record } of recorded) {
        const where = `${record.endpoint}/${record.bucket}${record.prefix ? `/${record.prefix}` : ''}`;
        // A changed r2_prefix counts like a changed bucket: the recorded key is not where the settings now point.
        if (record.endpoint !== conn.endpoint.url || record.bucket !== conn.bucket || (record.prefix ?? '') !== conn.prefix) {
          const text = `the unfinished upload of ${record.key} was made to ${where}, but the ${this.target === 'r2' ? 'R2' : `target '${this.target}'`} settings now point to ${conn.location}: abort it there (a lifecycle rule for incomplete multipart uploads does it); the service tries again at each start while its record ${file} is kept`;
          report.failed.push(text);
          this.logger.warn(`Start-up clean-up: ${text}`);
          continue;
        }
        try {
          const since = Date.parse(record.started_at) - RECORD_CLOCK_SKEW_MS;
          const uploads = (await this.aborter.uploadsOf(conn, record.key, scope.signal)).filter(
            (u) => (u.initiated?.getTime() ?? Number.POSITIVE_INFINITY) >= since,
          );
          let aborted = 0;
          for (const upload of uploads) if (await this.aborter.abort(conn, record.key, upload.id, scope.signal)) aborted += 1;
          if (aborted < uploads.length) throw new Error(`${uploads.length - aborted} abort(s) failed`);
          await this.journal.forget(file);
          if (aborted > 0) {
            report.removed.push(
              `${aborted === 1 ? 'the unfinished multipart upload' : `${aborted} unfinished multipart uploads`} of ${record.key} in ${where}`,
            );
            this.logger.warn(
              `Aborted ${aborted} unfinished multipart upload(s) of ${record.key} in ${where}, left by an upload started at ${record.started_at} by process ${record.pid}`,
            );
          }
        } catch (error) {
          const reason = scope.aborted
            ? (scope.reason as Error).message
            : isSdkError(error)
              ? conn.describe(error, 'abort of an unfinished upload', record.key).message
              : (error as Error).message;
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
}
