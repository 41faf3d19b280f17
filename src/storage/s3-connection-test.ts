import type { Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../common/errors/domain-error.js';
import { formatDuration } from '../common/format.js';
import { CONNECTION_TEST_PREFIX, probeContent } from './connection-probe.js';
import type { ConnectionCheck, ConnectionTestResult } from './object-storage.js';
import { createS3Connection, missingR2Settings, resolveS3Endpoint, type S3Connection, type S3TargetSettings } from './s3-connection.js';
import type { S3Failure } from './s3-errors.js';
import { bucketLockProblem, isLockRefusal } from './s3-object-lock.js';
import { OperationScope } from './operation-scope.js';
import { loadS3Sdk } from './s3-sdk.js';
import type { S3RequestMeter } from './s3-request-meter.js';
import type { StorageOptions } from './storage-options.js';

/**
 * Test Connection of an S3 destination: the settings as they are now (read once), then endpoint,
 * credentials, bucket, and write/read/delete of a probe object, stopping at the first failure. It runs
 * on a connection of its own built from those settings, with the short probe limits, and never throws
 * for a failed check.
 */
export class S3ConnectionTest {
  constructor(
    /** Reads the destination's settings as they are now (secrets decrypted). */
    private readonly loadSettings: () => Promise<S3TargetSettings>,
    private readonly options: StorageOptions,
    private readonly logger: Logger,
    /** The target tested, as results name it. */
    private readonly target = 'r2',
    /** Counts the probe's requests: they are billed like any other. */
    private readonly meter?: S3RequestMeter,
  ) {}

  async run(): Promise<ConnectionTestResult> {
    const started = Date.now();
    const checks: ConnectionCheck[] = [];
    const done = (location: string): ConnectionTestResult => ({
      target: this.target,
      ok: checks.every((c) => c.ok),
      location,
      checks,
      durationMs: Date.now() - started,
    });

    let settings: S3TargetSettings;
    try {
      settings = await this.loadSettings();
    } catch (error) {
      checks.push({
        name: 'configuration',
        ok: false,
        message:
          error instanceof DomainError
            ? error.message
            : `The ${this.target === 'r2' ? 'R2' : `target '${this.target}'`} settings could not be read; the service log has the details`,
      });
      if (!(error instanceof DomainError)) this.logger.error(`Test Connection could not read the ${this.target} settings: ${(error as Error).message}`);
      return done('');
    }
    const missing = missingR2Settings(settings);
    if (missing) {
      checks.push({ name: 'configuration', ok: false, message: missing });
      let location = '';
      try {
        if (settings.endpoint || settings.accountId) location = `${resolveS3Endpoint(settings).url}/${settings.bucket}`;
      } catch {
        // an account ID that makes no host name: nothing to show
      }
      return done(location);
    }

    let conn: S3Connection;
    try {
      conn = createS3Connection(await loadS3Sdk(), settings, this.options, this.meter);
    } catch (error) {
      checks.push({ name: 'configuration', ok: false, message: error instanceof DomainError ? error.message : String(error) });
      return done('');
    }
    checks.push({
      name: 'configuration',
      ok: true,
      message: `${settings.names && settings.names.target !== 'r2' ? 'Endpoint' : 'Account'}, credentials and bucket are set${settings.endpoint ? ` (custom endpoint ${settings.endpoint})` : ''}`,
    });
    try {
      await this.probe(conn, checks);
    } finally {
      conn.retire();
    }
    const result = done(conn.location);
    const failed = result.checks.find((c) => !c.ok);
    this.logger.log(
      `${conn.endpoint.names.label} Test Connection to ${conn.location}: ${result.ok ? 'all checks passed' : `${failed?.name} failed`} in ${formatDuration(result.durationMs)}`,
    );
    return result;
  }

  /** Endpoint, credentials, bucket, then write/read/delete of a probe object; stops at the first failure. */
  private async probe(conn: S3Connection, checks: ConnectionCheck[]): Promise<void> {
    const client = conn.probeClient;
    const step = async <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
      const scope = new OperationScope(`${conn.endpoint.names.label} Test Connection step`, conn.limits.probe.stepTimeoutMs);
      try {
        return await fn(scope.signal);
      } catch (error) {
        throw scope.aborted ? scope.reason : error;
      } finally {
        scope.dispose();
      }
    };
    const message = (error: unknown, operation: string, key?: string): S3Failure =>
      error instanceof DomainError
        ? { kind: 'other', code: error.code, message: error.message, cause: error.code }
        : conn.describe(error, operation, key, 'probe');

    // 1-3: one listing request answers reachability, credentials and the bucket (GET carries an error body).
    try {
      await step((signal) => client.send(new conn.sdk.ListObjectsV2Command({ Bucket: conn.bucket, MaxKeys: 1 }), { abortSignal: signal }));
      checks.push({ name: 'endpoint', ok: true, message: `${conn.endpoint.url} answered` });
      checks.push({ name: 'credentials', ok: true, message: 'The access key ID and secret were accepted' });
      checks.push({ name: 'bucket', ok: true, message: `Bucket '${conn.bucket}' exists and can be listed` });
    } catch (error) {
      const failure = message(error, 'connection test');
      // No answer, an answer that is not S3, or a failing service: the endpoint is the problem.
      if (failure.kind === 'unreachable' || failure.kind === 'service' || failure.kind === 'other') {
        checks.push({ name: 'endpoint', ok: false, message: failure.message });
        return;
      }
      checks.push({ name: 'endpoint', ok: true, message: `${conn.endpoint.url} answered` });
      if (failure.kind === 'unknown_access_key' || failure.kind === 'wrong_secret' || failure.kind === 'clock_skew') {
        checks.push({ name: 'credentials', ok: false, message: failure.message });
        return;
      }
      if (failure.kind === 'no_bucket') {
        checks.push({ name: 'credentials', ok: true, message: 'The access key ID and secret were accepted' });
        checks.push({ name: 'bucket', ok: false, message: failure.message });
        return;
      }
      if (failure.kind === 'access_denied') {
        checks.push({ name: 'credentials', ok: true, message: 'The access key ID and secret were accepted' });
        checks.push({
          name: 'bucket',
          ok: false,
          message: `Listing bucket '${conn.bucket}' was refused (AccessDenied): give the API token "Object Read & Write" on this bucket, or correct ${conn.endpoint.names.bucket}`,
        });
        return;
      }
      checks.push({ name: 'credentials', ok: false, message: failure.message });
      return;
    }

    // Object Lock, when the target locks its uploads: said here rather than by the first night's backup.
    if (conn.objectLock) {
      try {
        const problem = await step((signal) => bucketLockProblem(conn, signal, client));
        checks.push({
          name: 'object lock',
          ok: problem === undefined,
          message:
            problem ??
            `Bucket '${conn.bucket}' has Object Lock enabled: each backup is locked for ${conn.objectLock.days} days in ${conn.objectLock.mode} mode`,
        });
      } catch (error) {
        const failure = message(error, 'Object Lock check');
        checks.push({
          name: 'object lock',
          ok: false,
          message:
            failure.kind === 'access_denied'
              ? `Reading the Object Lock configuration of bucket '${conn.bucket}' was refused (AccessDenied): give the API key s3:GetBucketObjectLockConfiguration, s3:PutObjectRetention and s3:GetObjectRetention`
              : failure.message,
        });
      }
      if (!checks[checks.length - 1].ok) return;
    }

    // 4-6: write, read back and delete a small object with a name no backup can have.
    // Under r2_prefix like every key of the target: a token limited to that prefix passes too.
    const probeKey = conn.objectKey(`${CONNECTION_TEST_PREFIX}${randomBytes(8).toString('hex')}`);
    const content = probeContent();
    try {
      await step((signal) =>
        client.send(
          // Content-MD5: S3 refuses a write without an integrity checksum to a bucket with a default Object Lock retention.
          new conn.sdk.PutObjectCommand({
            Bucket: conn.bucket,
            Key: probeKey,
            Body: content,
            ContentType: 'text/plain',
            ContentMD5: createHash('md5').update(content).digest('base64'),
          }),
          { abortSignal: signal },
        ),
      );
      checks.push({ name: 'write', ok: true, message: `Wrote the probe object ${probeKey}` });
    } catch (error) {
      const failure = message(error, `write of the probe object ${probeKey}`, probeKey);
      checks.push({
        name: 'write',
        ok: false,
        message:
          failure.kind === 'access_denied'
            ? `Writing to bucket '${conn.bucket}' was refused (AccessDenied): the API token can read but not write; give it "Object Read & Write"`
            : failure.message,
      });
      return;
    }
    try {
      const text = await step(async (signal) => {
        const out = await client.send(new conn.sdk.GetObjectCommand({ Bucket: conn.bucket, Key: probeKey }), { abortSignal: signal });
        return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      });
      const readOk = text.equals(content);
      checks.push({
        name: 'read',
        ok: readOk,
        message: readOk
          ? 'Read the probe object back unchanged'
          : `The probe object ${probeKey} came back different (${text.length} bytes instead of ${content.length}): something between here and the bucket changes data`,
      });
    } catch (error) {
      checks.push({ name: 'read', ok: false, message: message(error, `read of the probe object ${probeKey}`, probeKey).message });
    }
    try {
      await step((signal) => client.send(new conn.sdk.DeleteObjectCommand({ Bucket: conn.bucket, Key: probeKey }), { abortSignal: signal }));
      checks.push({ name: 'delete', ok: true, message: 'Deleted the probe object' });
    } catch (error) {
      const failure = message(error, `delete of the probe object ${probeKey}`, probeKey);
      if (isLockRefusal(failure.cause, undefined, undefined)) {
        // An R2 bucket lock rule over the whole bucket keeps the probe too: the lock works, rotation will keep what it covers.
        checks.push({
          name: 'delete',
          ok: true,
          message: `The probe object ${probeKey} is kept by a bucket lock rule (${failure.cause}), as backups will be: rotation keeps locked backups and deletes them once the rule lets them go; remove the probe by hand once the rule lets it go`,
        });
        return;
      }
      const text =
        failure.kind === 'access_denied'
          ? `Deleting from bucket '${conn.bucket}' was refused (AccessDenied): old backups could not be rotated; give the API token "Object Read & Write"`
          : failure.message;
      checks.push({ name: 'delete', ok: false, message: `${text}. Remove ${probeKey} from the bucket by hand` });
    }
  }
}
