import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from './domain-error.js';
import { ErrorCode } from './error-code.js';
import { requestBodyHint } from './request-body-hint.js';

/** Where the error code of an answer is left for the audit log (Express `res.locals`). */
export const ERROR_CODE_LOCAL = 'errorCode';

/** The one place where domain error codes become HTTP statuses. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.InvalidInput]: HttpStatus.BAD_REQUEST,
  [ErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.Conflict]: HttpStatus.CONFLICT,
  [ErrorCode.Unauthorized]: HttpStatus.UNAUTHORIZED,
  [ErrorCode.TooManyAttempts]: HttpStatus.TOO_MANY_REQUESTS,
  [ErrorCode.UnsupportedMediaType]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [ErrorCode.CrossSiteRequest]: HttpStatus.FORBIDDEN,
  // 421 Misdirected Request: this server does not answer for that Host (RFC 9110 15.5.20), the case of DNS rebinding.
  [ErrorCode.HostNotAllowed]: HttpStatus.MISDIRECTED,
  [ErrorCode.DownloadLinkInvalid]: HttpStatus.FORBIDDEN,
  [ErrorCode.SettingNotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.SettingInvalid]: HttpStatus.BAD_REQUEST,
  [ErrorCode.SecretUnreadable]: HttpStatus.CONFLICT,
  [ErrorCode.StorageNotConfigured]: HttpStatus.CONFLICT,
  [ErrorCode.TargetNotConfigured]: HttpStatus.BAD_REQUEST,
  [ErrorCode.TargetBusy]: HttpStatus.CONFLICT,
  [ErrorCode.StorageUnavailable]: HttpStatus.BAD_GATEWAY,
  [ErrorCode.StorageAccessDenied]: HttpStatus.BAD_GATEWAY,
  [ErrorCode.StorageTimeout]: HttpStatus.GATEWAY_TIMEOUT,
  [ErrorCode.ObjectNotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.ObjectLocked]: HttpStatus.CONFLICT,
  [ErrorCode.ObjectExists]: HttpStatus.CONFLICT,
  [ErrorCode.BackupNameInvalid]: HttpStatus.BAD_REQUEST,
  [ErrorCode.BackupNotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.BackupNotOwn]: HttpStatus.CONFLICT,
  [ErrorCode.BackupHasDependents]: HttpStatus.CONFLICT,
  [ErrorCode.BackupChainInUse]: HttpStatus.CONFLICT,
  [ErrorCode.IncrementalNotEnabled]: HttpStatus.CONFLICT,
  [ErrorCode.BackupInProgress]: HttpStatus.CONFLICT,
  [ErrorCode.BackupFailed]: HttpStatus.INTERNAL_SERVER_ERROR,
  [ErrorCode.ReplicationInProgress]: HttpStatus.CONFLICT,
  [ErrorCode.ReplicationFailed]: HttpStatus.INTERNAL_SERVER_ERROR,
  [ErrorCode.BackupCancelled]: HttpStatus.CONFLICT,
  [ErrorCode.BackupInterrupted]: HttpStatus.CONFLICT,
  [ErrorCode.InsufficientDiskSpace]: HttpStatus.INSUFFICIENT_STORAGE,
  [ErrorCode.JobNotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.JobNotRunning]: HttpStatus.CONFLICT,
  [ErrorCode.JobNotCancellable]: HttpStatus.CONFLICT,
  [ErrorCode.ChannelNotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.ArchiveInvalid]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ErrorCode.EncryptionStateConflict]: HttpStatus.CONFLICT,
  [ErrorCode.EncryptionKeyInvalid]: HttpStatus.BAD_REQUEST,
  [ErrorCode.EncryptionKeyRequired]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ErrorCode.EncryptionKeyWrong]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ErrorCode.ArchiveNotMadeHere]: HttpStatus.CONFLICT,
  [ErrorCode.RestoreInProgress]: HttpStatus.CONFLICT,
  [ErrorCode.RestoreCancelled]: HttpStatus.CONFLICT,
  [ErrorCode.VerificationInProgress]: HttpStatus.CONFLICT,
  [ErrorCode.RestoreNotStaged]: HttpStatus.NOT_FOUND,
  [ErrorCode.DatabaseUnavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.DatabaseDamaged]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.Internal]: HttpStatus.INTERNAL_SERVER_ERROR,
};

/** The JSON parser refused the body (Nest maps body-parser's SyntaxError to a 400 with it as the cause). */
function isUnparsableBody(exception: HttpException): boolean {
  const cause = exception.cause as { type?: unknown } | undefined;
  return exception.getStatus() === 400 && cause instanceof SyntaxError && cause.type === 'entity.parse.failed';
}

/**
 * V8's JSON errors quote the start of the body (`Unexpected token 'x', "{"identity": "AGE-SEC"... is not
 * valid JSON`). A body may hold a secret (a recovery key, a credential), so the excerpt is dropped: the
 * position or the unexpected character (kept) is enough to find the mistake.
 */
function withoutBodyExcerpt(message: string): string {
  return message.replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '');
}

@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) {
      // A streamed download already started: the only honest signal left is to cut the connection.
      response.destroy(exception instanceof Error ? exception : undefined);
      return;
    }
    if (exception instanceof DomainError) {
      const statusCode = STATUS_BY_CODE[exception.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
      const retryAfter = exception.details?.retryAfterSeconds;
      if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
      response.locals[ERROR_CODE_LOCAL] = exception.code;
      response.status(statusCode).json({ statusCode, error: exception.code, message: exception.message, details: exception.details });
      return;
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const body = exception.getResponse();
      const raw = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : body;
      let message = Array.isArray(raw) ? raw.join('; ') : String(raw ?? exception.message);
      if (isUnparsableBody(exception)) {
        const request = host.switchToHttp().getRequest<Request>();
        message = `The request body is not valid JSON (${withoutBodyExcerpt(message)}). ${requestBodyHint(request.method, request.path)}`;
      }
      const error =
        statusCode === 401 ? ErrorCode.Unauthorized : statusCode === 404 ? ErrorCode.NotFound : statusCode < 500 ? ErrorCode.InvalidInput : ErrorCode.Internal;
      response.locals[ERROR_CODE_LOCAL] = error;
      response.status(statusCode).json({ statusCode, error, message });
      return;
    }
    // Unexpected: log the stack for the operator, tell the caller only that it failed.
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    response.locals[ERROR_CODE_LOCAL] = ErrorCode.Internal;
    response.status(500).json({ statusCode: 500, error: ErrorCode.Internal, message: 'Internal error; the service log has the details' });
  }
}
