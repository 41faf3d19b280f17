import type { Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { formatBytes } from '../common/format.js';
import { byteCounter } from '../common/streams/byte-counter.js';
import type { BegunS3Operation } from './s3-operation-runner.js';
import { toDomainError } from './s3-errors.js';

/**
 * The body a download hands to its caller: counts progress, checks the length against what the
 * service announced, turns a cut connection into a readable DomainError, and ends the operation
 * (time limit, connection lease) when it closes.
 */
export function guardedDownloadBody(
  source: Readable,
  size: number,
  { conn, scope }: BegunS3Operation,
  operation: string,
  key: string,
  logger: Logger,
  onProgress?: (bytes: number) => void,
): Readable {
  const body = byteCounter(onProgress, (received) =>
    received === size
      ? undefined
      : new DomainError(ErrorCode.StorageUnavailable, `The ${operation} ended after ${formatBytes(received)} of ${formatBytes(size)}: try again`, { key }),
  );
  const onAbort = () => {
    const reason = scope.reason;
    if (reason instanceof DomainError) logger.warn(reason.message);
    body.destroy(reason instanceof Error ? reason : new DomainError(ErrorCode.StorageUnavailable, `The ${operation} was cancelled`));
  };
  scope.signal.addEventListener('abort', onAbort, { once: true });
  // A cancel or time limit can destroy the body before its caller attached a consumer (the caller still
  // awaits a space check or a scratch folder): without a listener of its own, the 'error' that pipe()
  // re-emits would be an uncaught exception that ends the process. The error stays on the stream
  // (`body.errored`), so a pipeline attached later still rejects with it.
  body.on('error', () => undefined);
  source.on('error', (error) => {
    if (scope.aborted) return;
    const failure = conn.describe(error, operation, key);
    logger.warn(`${operation} was interrupted: ${failure.message}`);
    body.destroy(toDomainError(failure, { key }, error));
  });
  body.once('close', () => {
    scope.signal.removeEventListener('abort', onAbort);
    if (!source.destroyed) source.destroy();
    scope.dispose();
    conn.release();
  });
  source.pipe(body);
  return body;
}
