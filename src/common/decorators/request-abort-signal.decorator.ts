import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';

/**
 * An AbortSignal that fires when the client goes away before its answer was sent (the connection
 * closed), so the work done for that request can stop. Not part of the OpenAPI document.
 */
export const RequestAbortSignal = createParamDecorator((_data: unknown, context: ExecutionContext): AbortSignal => {
  const response = context.switchToHttp().getResponse<Response>();
  const controller = new AbortController();
  const abort = () => controller.abort(new DomainError(ErrorCode.Conflict, 'Cancelled: the client closed the connection before the answer'));
  if (response.socket?.destroyed) abort();
  // 'close' on the response: after the answer (nothing to cancel then) or when the connection dropped before it.
  else response.once('close', () => !response.writableFinished && abort());
  return controller.signal;
});
