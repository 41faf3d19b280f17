import { type Environment, integer } from '../config/environment.js';

const MIB = 1024 * 1024;

/**
 * Tuning of the storage clients, read once from the environment. Only SENTINEL_STORAGE_TIMEOUT_MS
 * is part of the validated Environment; the rest are storage-specific knobs with safe defaults.
 * Same shape as the environment validation: a bad value stops the start naming the variable.
 */
export abstract class StorageOptions {
  /** Whole-operation limit: an upload, a download (until its stream ends), a list... (spec: 30 min). */
  abstract readonly operationTimeoutMs: number;
  /** Multipart part size, at least R2's 5 MiB; an upload that announces its maximum size may use larger parts. */
  abstract readonly partSizeBytes: number;
  /** Attempts per S3 request, the first included (transient errors: 5xx, throttling, resets, timeouts). */
  abstract readonly maxAttempts: number;
  /** First retry delay; doubled per retry, half of it fixed and half random (S3RetryStrategy), capped at 20 s. */
  abstract readonly retryBaseDelayMs: number;
  /** TCP/TLS connect limit, so a dead endpoint fails in seconds. */
  abstract readonly connectTimeoutMs: number;
  /** Limit from sending a request until the response headers arrive (includes sending one part). */
  abstract readonly requestTimeoutMs: number;
  /** A socket with no traffic this long is cut (a stalled download or upload). */
  abstract readonly idleTimeoutMs: number;

  static fromEnvironment(env: Pick<Environment, 'storageTimeoutMs' | 'raw'>): StorageOptions {
    const raw = env.raw;
    return {
      operationTimeoutMs: env.storageTimeoutMs,
      partSizeBytes: integer(raw, 'SENTINEL_STORAGE_PART_SIZE_MB', 5, 5, 5 * 1024) * MIB,
      maxAttempts: integer(raw, 'SENTINEL_STORAGE_MAX_ATTEMPTS', 5, 1, 20),
      retryBaseDelayMs: integer(raw, 'SENTINEL_STORAGE_RETRY_BASE_MS', 500, 1, 60_000),
      connectTimeoutMs: integer(raw, 'SENTINEL_STORAGE_CONNECT_TIMEOUT_MS', 5_000, 100, 120_000),
      requestTimeoutMs: integer(raw, 'SENTINEL_STORAGE_REQUEST_TIMEOUT_MS', 5 * 60_000, 1_000, 60 * 60_000),
      idleTimeoutMs: integer(raw, 'SENTINEL_STORAGE_IDLE_TIMEOUT_MS', 60_000, 1_000, 60 * 60_000),
    };
  }
}
