import type { S3Client } from '@aws-sdk/client-s3';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { R2Settings } from '../settings/settings.service.js';
import { describeS3Error, type S3Failure } from './s3-errors.js';
import { S3RetryStrategy } from './s3-retry-strategy.js';
import type { ObjectLockRule } from '../targets/target-definition.js';
import type { StorageOptions } from './storage-options.js';
import { meterS3Client, type S3RequestMeter } from './s3-request-meter.js';
import type { S3Sdk } from './s3-sdk.js';

/**
 * Where one S3 destination is and how to sign in: the part of a target's settings that builds a
 * connection. The R2 target's settings are one such; another destination passes its own.
 */
export type S3TargetSettings = Pick<R2Settings, 'accountId' | 'accessKeyId' | 'secretAccessKey' | 'bucket' | 'endpoint' | 'prefix'> & {
  /** The retention each uploaded archive gets (a target's object_lock; r2_object_lock_* for r2), or null. */
  objectLock: ObjectLockRule | null;
  /** The signing region ('auto' for R2, the default). */
  region?: string;
  /** How messages name this destination's settings; the R2 target's by default. */
  names?: S3SettingNames;
};

/**
 * How a message names the settings of one S3 destination, so that "check r2_access_key_id" becomes "check
 * access_key_id (PATCH /api/targets/b2)" for an added target: the user reads the name of what to change.
 */
export interface S3SettingNames {
  /** The target in log lines and messages: 'R2', or the target's label. */
  label: string;
  /** The target's id (for the start-up clean-up's records). */
  target: string;
  endpoint: string;
  /** What sets the endpoint when none is set (R2's account ID), or the endpoint's name again. */
  endpointOrAccount: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** Where the settings are changed. */
  where: string;
}

export const R2_SETTING_NAMES: S3SettingNames = {
  label: 'R2',
  target: 'r2',
  endpoint: 'r2_endpoint',
  endpointOrAccount: 'r2_account_id (or r2_endpoint)',
  accessKeyId: 'r2_access_key_id',
  secretAccessKey: 'r2_secret_access_key',
  bucket: 'r2_bucket_name',
  where: 'Settings → Backup or with PUT /api/settings/<key>',
};

/** The names of an added target's fields: `bucket (target 'b2')`. */
export function addedTargetNames(id: string, label: string): S3SettingNames {
  const field = (name: string) => `${name} (target '${id}')`;
  return {
    label,
    target: id,
    endpoint: field('endpoint'),
    endpointOrAccount: field('endpoint'),
    accessKeyId: field('access_key_id'),
    secretAccessKey: field('secret_access_key'),
    bucket: field('bucket'),
    where: `PATCH /api/targets/${id} or the admin page's Destinations`,
  };
}

/** The time limits and attempts of one SDK client. */
export interface S3ClientLimits {
  maxAttempts: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * Test Connection answers in seconds, whatever the operation limits: its client tries twice and waits
 * at most this long to connect and for an answer, and each of its steps at most `stepTimeoutMs`.
 */
const PROBE_LIMITS = { maxAttempts: 2, connectTimeoutMs: 3_000, requestTimeoutMs: 15_000, stepTimeoutMs: 15_000 } as const;

/** The limits of the operations' client: the configured ones. */
export function operationLimits(options: StorageOptions): S3ClientLimits {
  return { maxAttempts: options.maxAttempts, connectTimeoutMs: options.connectTimeoutMs, requestTimeoutMs: options.requestTimeoutMs };
}

/** Test Connection's client limits, and the time limit of each of its steps. */
export type S3ProbeLimits = S3ClientLimits & { stepTimeoutMs: number };

/** The limits of Test Connection's client and steps: the configured ones, never longer than PROBE_LIMITS. */
export function probeLimits(options: StorageOptions): S3ProbeLimits {
  return {
    maxAttempts: Math.min(PROBE_LIMITS.maxAttempts, options.maxAttempts),
    connectTimeoutMs: Math.min(PROBE_LIMITS.connectTimeoutMs, options.connectTimeoutMs),
    requestTimeoutMs: Math.min(PROBE_LIMITS.requestTimeoutMs, options.requestTimeoutMs),
    stepTimeoutMs: Math.min(PROBE_LIMITS.stepTimeoutMs, options.operationTimeoutMs),
  };
}

/** Where the client talks to, without credentials: safe to show and log. */
export interface S3Endpoint {
  /** https://<account_id>.r2.cloudflarestorage.com, or the r2_endpoint setting. */
  url: string;
  host: string;
  bucket: string;
  /** r2_endpoint is set: another S3-compatible service, path-style addressing. */
  custom: boolean;
  /** How messages name the settings. */
  names: S3SettingNames;
}

const ACCOUNT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/i;

/** What is missing before the R2 target can be used, as one sentence naming the settings; undefined when complete. */
export function missingR2Settings(settings: S3TargetSettings): string | undefined {
  const names = settings.names ?? R2_SETTING_NAMES;
  if (names !== R2_SETTING_NAMES) {
    const absent = [
      ['endpoint', names.endpoint],
      ['accessKeyId', names.accessKeyId],
      ['secretAccessKey', names.secretAccessKey],
      ['bucket', names.bucket],
    ].filter(([key]) => !settings[key as 'endpoint']);
    return absent.length === 0 ? undefined : `${names.label} is not configured: set ${absent.map(([, name]) => name).join(', ')} with ${names.where}`;
  }
  const missing: string[] = [];
  if (!settings.endpoint && !settings.accountId) {
    missing.push('r2_account_id (your Cloudflare account ID; or r2_endpoint for another S3-compatible service)');
  } else if (!settings.endpoint && !ACCOUNT_ID.test(settings.accountId)) {
    return `r2_account_id '${settings.accountId}' is not a Cloudflare account ID (the 32-character hex ID shown in the dashboard's R2 overview): correct it`;
  }
  if (!settings.accessKeyId) missing.push('r2_access_key_id');
  if (!settings.secretAccessKey) missing.push('r2_secret_access_key');
  if (!settings.bucket) missing.push('r2_bucket_name (the bucket the backups go to)');
  if (missing.length === 0) return undefined;
  const credentialsHint = !settings.accessKeyId || !settings.secretAccessKey ? ' (an R2 API token: Cloudflare dashboard → R2 → Manage API tokens)' : '';
  return `R2 is not configured: set ${missing.join(', ')}${credentialsHint} in Settings → Backup or with PUT /api/settings/<key>`;
}

export function resolveS3Endpoint(settings: S3TargetSettings): S3Endpoint {
  const url = settings.endpoint || `https://${settings.accountId}.r2.cloudflarestorage.com`;
  return { url, host: new URL(url).host, bucket: settings.bucket, custom: Boolean(settings.endpoint), names: settings.names ?? R2_SETTING_NAMES };
}

/**
 * One configuration of an S3 destination: the SDK clients built from its settings at one moment.
 * Rebuilt when a storage setting changes, never per request. Operations lease it, so a client
 * replaced by a settings change is destroyed only after the operations using it have finished.
 */
export class S3Connection {
  private active = 0;
  private retiredFlag = false;
  private destroyed = false;
  /** Multipart uploads whose abort failed (the service was down): retried before the next upload. */
  readonly pendingAborts = new Map<string, { key: string }>();
  /** The bucket was seen with Object Lock enabled (which cannot be turned off): not asked again. */
  objectLockConfirmed = false;

  constructor(
    /** The AWS SDK (loadS3Sdk): the commands this connection's clients send. */
    readonly sdk: S3Sdk,
    readonly endpoint: S3Endpoint,
    /** For operations: retries transient errors with backoff. */
    readonly client: S3Client,
    /** For Test Connection: one retry and short limits (probeLimits), so the answer comes in seconds. */
    readonly probeClient: S3Client,
    /** The limits each client was built with, for the wording of a timeout. */
    readonly limits: { operation: S3ClientLimits; probe: S3ProbeLimits },
    /** The credentials, to scrub from any text that leaves this module. */
    readonly secrets: readonly string[],
    /** r2_prefix: '' (the bucket's root) or a folder ending in '/', put before every key of this target. */
    readonly prefix = '',
    /** The retention each uploaded archive gets, or null (see s3-object-lock.ts). */
    readonly objectLock: ObjectLockRule | null = null,
  ) {}

  /** The bucket's key for one of the port's flat keys. */
  objectKey(key: string): string {
    return this.prefix + key;
  }

  get bucket(): string {
    return this.endpoint.bucket;
  }

  /** Shown to users: endpoint and bucket, never credentials. */
  get location(): string {
    return `${this.endpoint.url}/${this.endpoint.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  /** An SDK or socket error of this connection in words a user can act on, credentials scrubbed. */
  describe(error: unknown, operation: string, key?: string, client: 'operation' | 'probe' = 'operation'): S3Failure {
    return describeS3Error(error, { endpoint: this.endpoint, operation, key, secrets: this.secrets, connectTimeoutMs: this.limits[client].connectTimeoutMs });
  }

  get retired(): boolean {
    return this.retiredFlag;
  }

  acquire(): void {
    this.active += 1;
  }

  release(): void {
    this.active -= 1;
    if (this.retiredFlag && this.active === 0) this.destroy();
  }

  /** No new operations; destroyed once the running ones are done. */
  retire(): void {
    this.retiredFlag = true;
    if (this.active === 0) this.destroy();
  }

  private destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.client.destroy();
    this.probeClient.destroy();
  }
}

/**
 * Builds the clients for a destination's settings; StorageNotConfigured names the setting to fill. With a `meter`,
 * every request either client sends is counted for the destination's target (the cost estimate's operations).
 */
export function createS3Connection(sdk: S3Sdk, settings: S3TargetSettings, options: StorageOptions, meter?: S3RequestMeter): S3Connection {
  const missing = missingR2Settings(settings);
  if (missing) throw new DomainError(ErrorCode.StorageNotConfigured, missing, { target: (settings.names ?? R2_SETTING_NAMES).target });
  const endpoint = resolveS3Endpoint(settings);
  const build = (limits: S3ClientLimits) => {
    const client = new sdk.S3Client({
      region: settings.region || 'auto',
      endpoint: endpoint.url,
      forcePathStyle: endpoint.custom,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      // R2 (and this project's test server) reject the SDK's default trailing checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: limits.maxAttempts,
      retryStrategy: new S3RetryStrategy(limits.maxAttempts, options.retryBaseDelayMs),
      requestHandler: {
        connectionTimeout: limits.connectTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        throwOnRequestTimeout: true,
        socketTimeout: options.idleTimeoutMs,
      },
    });
    if (meter) meterS3Client(client, endpoint.names.target, meter);
    return client;
  };
  const limits = { operation: operationLimits(options), probe: probeLimits(options) };
  return new S3Connection(
    sdk,
    endpoint,
    build(limits.operation),
    build(limits.probe),
    limits,
    [settings.accessKeyId, settings.secretAccessKey],
    settings.prefix,
    settings.objectLock,
  );
}
