import type { Logger } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { S3Connection } from './s3-connection.js';
import type { S3ConnectionPool } from './s3-connection-pool.js';
import { toDomainError } from './s3-errors.js';
import { OperationScope } from './operation-scope.js';

/** The SDK marks what it throws, network errors included, with `$metadata`. */
export function isSdkError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$metadata' in error;
}

/** An operation that has begun: its time limit and leased connection, both to be ended by whoever finishes it. */
export interface BegunS3Operation {
  conn: S3Connection;
  scope: OperationScope;
}

/**
 * How every operation of an S3 destination runs: on a leased connection, within the operation time
 * limit (and the caller's cancel), and rejecting with an error a user can read.
 */
export class S3OperationRunner {
  constructor(
    private readonly pool: S3ConnectionPool,
    private readonly operationTimeoutMs: number,
    private readonly logger: Logger,
    /** The target in log lines and time-limit messages: 'R2' (the spec's phrases), or an added target's label. */
    readonly label = 'R2',
  ) {}

  /** Runs `fn` and ends the operation when it settles; `onFailure` runs before the error is reported. */
  async run<T>(
    operation: string,
    key: string | undefined,
    caller: AbortSignal | undefined,
    fn: (conn: S3Connection, scope: OperationScope) => Promise<T>,
    onFailure?: () => void,
  ): Promise<T> {
    const scope = new OperationScope(`${this.label} ${operation}`, this.operationTimeoutMs, caller);
    let conn: S3Connection | undefined;
    try {
      conn = await this.pool.lease();
      return await fn(conn, scope);
    } catch (error) {
      onFailure?.();
      throw this.failure(error, scope, conn, operation, key);
    } finally {
      scope.dispose();
      conn?.release();
    }
  }

  /**
   * Runs the start of an operation that goes on after `fn` resolves (a download, until its stream
   * closes): on success the caller owns the scope and the lease and must end both; on failure they are ended here.
   */
  async begin<T>(operation: string, key: string | undefined, caller: AbortSignal | undefined, fn: (begun: BegunS3Operation) => Promise<T>): Promise<T> {
    const scope = new OperationScope(`${this.label} ${operation}`, this.operationTimeoutMs, caller);
    let conn: S3Connection | undefined;
    try {
      conn = await this.pool.lease();
      return await fn({ conn, scope });
    } catch (error) {
      scope.dispose();
      conn?.release();
      throw this.failure(error, scope, conn, operation, key);
    }
  }

  /** The error an operation rejects with: the abort reason when cancelled or timed out, else a DomainError. */
  failure(error: unknown, scope: OperationScope, conn: S3Connection | undefined, operation: string, key?: string): unknown {
    if (scope.aborted) {
      const reason = scope.reason;
      if (reason instanceof DomainError && reason.code === ErrorCode.StorageTimeout) this.logger.warn(reason.message);
      return reason;
    }
    // Not from the SDK: the caller's source stream failed, or a DomainError of this module.
    if (error instanceof DomainError || !conn || !isSdkError(error)) return error;
    const failure = conn.describe(error, operation, key);
    if (failure.kind !== 'no_object') this.logger.warn(`${this.label} ${operation} failed: ${failure.message}`);
    return toDomainError(failure, key ? { key } : {}, error);
  }
}
