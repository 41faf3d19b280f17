import { ErrorCode } from './error-code.js';

/**
 * An error a service raises for the caller to see. Services throw these, never HTTP exceptions;
 * DomainErrorFilter turns the code into a status. The message says what was wrong and what to do.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}
