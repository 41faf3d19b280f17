import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { formatDuration } from '../common/format.js';
import type { S3Endpoint } from './s3-connection.js';

/** What went wrong, in the terms Test Connection reports and the error mapping uses. */
export type S3FailureKind =
  /** No HTTP answer: refused, unknown host, no route, TLS, connect/response timeout, reset. */
  | 'unreachable'
  /** The service does not know the access key ID. */
  | 'unknown_access_key'
  /** The secret does not match the access key ID. */
  | 'wrong_secret'
  /** Credentials accepted, permission refused. */
  | 'access_denied'
  | 'clock_skew'
  | 'no_bucket'
  | 'no_object'
  /** 5xx or throttling, after the retries. */
  | 'service'
  | 'other';

export interface S3Failure {
  kind: S3FailureKind;
  code: ErrorCode;
  /** For a user: what failed and what to do. Credentials never appear in it. */
  message: string;
  /** The service's error code or the socket error code, for the details. */
  cause: string;
}

export interface S3ErrorContext {
  endpoint: S3Endpoint;
  /** "list", "upload of 'x'"... */
  operation: string;
  key?: string;
  secrets: readonly string[];
  /** Which client answered, for the timeout wording. */
  connectTimeoutMs: number;
}

interface SdkLikeError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  errors?: Array<{ code?: string }>;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPROTO',
]);

/**
 * The socket-level code of an error, looking into AggregateError (happy eyeballs) and causes. When
 * the SDK had to wrap an error it did not recognise as an Error (one from another realm, as under a
 * test runner's vm), only the text is left: "AWS SDK error wrapper for Error: connect ECONNREFUSED ...".
 */
function socketCode(error: SdkLikeError, depth = 0): string | undefined {
  if (typeof error.code === 'string' && error.code) return error.code;
  for (const inner of error.errors ?? []) if (inner?.code) return inner.code;
  if (depth < 3 && error.cause && typeof error.cause === 'object') return socketCode(error.cause as SdkLikeError, depth + 1);
  const fromText = /\b(E[A-Z]{3,}|ERR_[A-Z_]+|[A-Z_]*CERT[A-Z_]*|DEPTH_ZERO_SELF_SIGNED_CERT)\b/.exec(error.message ?? '');
  return fromText?.[1];
}

function isTlsCode(code: string): boolean {
  return code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code);
}

/** Removes credentials from text that came from elsewhere (an SDK or socket message). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('***');
  return out;
}

/** Turns an SDK or socket error into what a user reads, and the ErrorCode the API answers with. */
export function describeS3Error(raw: unknown, ctx: S3ErrorContext): S3Failure {
  const error = (raw ?? {}) as SdkLikeError;
  const { url, host, bucket, custom, names } = ctx.endpoint;
  const endpointSetting = custom ? names.endpoint : names.endpointOrAccount;
  const r2 = names.target === 'r2';
  const status = error.$metadata?.httpStatusCode;
  const attempts = error.$metadata?.attempts;
  const afterAttempts = attempts && attempts > 1 ? ` (after ${attempts} attempts)` : '';
  const sdkCode = error.Code ?? (status !== undefined ? error.name : undefined);
  const failure = (kind: S3FailureKind, code: ErrorCode, message: string, cause: string): S3Failure => ({
    kind,
    code,
    message: scrubSecrets(message, ctx.secrets),
    cause: scrubSecrets(cause, ctx.secrets),
  });

  if (status === undefined) {
    const code = socketCode(error) ?? error.name ?? 'Error';
    const cannot = `The ${ctx.operation} failed: could not reach ${url}`;
    if (code === 'ECONNREFUSED') {
      return failure(
        'unreachable',
        ErrorCode.StorageUnavailable,
        `${cannot}: connection refused (nothing answers on that address)${afterAttempts}. Check ${endpointSetting} and that the service is running`,
        code,
      );
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return failure(
        'unreachable',
        ErrorCode.StorageUnavailable,
        `${cannot}: the host name ${host} could not be resolved (DNS)${afterAttempts}. Check ${endpointSetting} and this machine's network/DNS`,
        code,
      );
    }
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return failure(
        'unreachable',
        ErrorCode.StorageUnavailable,
        `${cannot}: no network route to ${host}${afterAttempts}. Check this machine's network connection`,
        code,
      );
    }
    if (isTlsCode(code)) {
      return failure(
        'unreachable',
        ErrorCode.StorageUnavailable,
        `${cannot}: its TLS certificate was not accepted (${code}). Check ${endpointSetting}; a private CA must be trusted by Node.js (NODE_EXTRA_CA_CERTS)`,
        code,
      );
    }
    if (error.name === 'TimeoutError' || code === 'ETIMEDOUT') {
      const connecting = /connect|establish/i.test(error.message ?? '');
      const what = connecting ? `did not accept a connection within ${formatDuration(ctx.connectTimeoutMs)}` : 'stopped answering (request or socket timeout)';
      return failure(
        'unreachable',
        ErrorCode.StorageUnavailable,
        `${cannot}: ${host} ${what}${afterAttempts}. Check ${endpointSetting}, the firewall and the network`,
        code,
      );
    }
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') {
      return failure(
        'unreachable',
        ErrorCode.StorageUnavailable,
        `${cannot}: the connection was cut (${code})${afterAttempts}. The service may be restarting or a proxy interferes; try again`,
        code,
      );
    }
    if (UNREACHABLE_CODES.has(code)) {
      return failure('unreachable', ErrorCode.StorageUnavailable, `${cannot}: ${code}${afterAttempts}`, code);
    }
    return failure('other', ErrorCode.StorageUnavailable, `The ${ctx.operation} failed at ${url}: ${error.message ?? code}`, code);
  }

  const answered = `${url} answered ${status}${sdkCode && sdkCode !== 'Unknown' ? ` ${sdkCode}` : ''}`;
  switch (sdkCode) {
    case 'InvalidAccessKeyId':
      return failure(
        'unknown_access_key',
        ErrorCode.StorageAccessDenied,
        `The access key ID is not known to ${url} (InvalidAccessKeyId): check ${names.accessKeyId}${r2 ? ', or create a new R2 API token (Cloudflare dashboard → R2 → Manage API tokens)' : ", or create a new access key in the store's console"}`,
        sdkCode,
      );
    case 'SignatureDoesNotMatch':
      return failure(
        'wrong_secret',
        ErrorCode.StorageAccessDenied,
        `The secret access key does not match the access key ID (SignatureDoesNotMatch): check ${names.secretAccessKey}; it is shown only once when the API token is created, so create a new token if it is lost`,
        sdkCode,
      );
    case 'RequestTimeTooSkewed':
      return failure(
        'clock_skew',
        ErrorCode.StorageUnavailable,
        `${url} refused the request because this machine's clock is wrong by more than 15 minutes (RequestTimeTooSkewed): set the clock (NTP)`,
        sdkCode,
      );
    case 'NoSuchBucket':
      return failure(
        'no_bucket',
        ErrorCode.StorageNotConfigured,
        `Bucket '${bucket}' does not exist at ${url} (NoSuchBucket): create it${r2 ? ' (Cloudflare dashboard → R2 → Create bucket)' : ''} or correct ${names.bucket}`,
        sdkCode,
      );
    case 'NoSuchKey':
      return failure('no_object', ErrorCode.ObjectNotFound, `Object '${ctx.key ?? ''}' does not exist in bucket '${bucket}'`, sdkCode);
    case 'AccessDenied':
    case 'AllAccessDisabled':
    case 'AccountProblem':
      return failure(
        'access_denied',
        ErrorCode.StorageAccessDenied,
        `${answered} to the ${ctx.operation} in bucket '${bucket}': the credentials are valid but lack permission. Give the API token "Object Read & Write" on this bucket`,
        sdkCode,
      );
  }
  if (status === 404 && error.name === 'NotFound' && ctx.key !== undefined) {
    return failure('no_object', ErrorCode.ObjectNotFound, `Object '${ctx.key ?? ''}' does not exist in bucket '${bucket}'`, 'NotFound');
  }
  if (status === 403) {
    return failure(
      'access_denied',
      ErrorCode.StorageAccessDenied,
      `${answered} to the ${ctx.operation} in bucket '${bucket}': access denied. Check ${names.accessKeyId}, ${names.secretAccessKey} and the API token's permissions`,
      sdkCode ?? '403',
    );
  }
  if (status === 429 || status >= 500) {
    return failure(
      'service',
      ErrorCode.StorageUnavailable,
      `The ${ctx.operation} failed: ${answered}${afterAttempts}. The service has a problem or is throttling; try again later`,
      sdkCode ?? String(status),
    );
  }
  if (!error.Code) {
    // No S3 error document in the answer (or a HEAD, which has no body).
    return failure(
      'other',
      ErrorCode.StorageUnavailable,
      `The ${ctx.operation} failed: ${answered} without an S3 error. Is ${url} an S3-compatible endpoint? Check ${endpointSetting}`,
      String(status),
    );
  }
  return failure(
    'other',
    ErrorCode.StorageUnavailable,
    `The ${ctx.operation} failed: ${answered}${error.message && error.message !== 'UnknownError' ? `: ${error.message}` : ''}`,
    error.Code,
  );
}

export function toDomainError(failure: S3Failure, details: Record<string, unknown> = {}, cause?: unknown): DomainError {
  return new DomainError(failure.code, failure.message, { target: 'r2', cause: failure.cause, ...details }, { cause });
}
