import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';

/** Any spelling of the API's prefix: `/api`, `/API/`, `/Api/...`. */
const ANY_CASE_API = /^\/api(\/|$)/i;

/**
 * Refuses an API path whose `/api` prefix is not in lower case. Express matches routes without regard
 * to case, so `/API/backups/local` reached the endpoint while every check that looks at the path (the
 * audit log, the query-parameter check, `Cache-Control: no-store`) tests the lower-case prefix and let
 * it pass unrecorded. One spelling means those checks cannot be stepped around.
 */
export class CanonicalApiPathMiddleware {
  use(request: Request, _response: Response, next: NextFunction): void {
    const path = request.path;
    if (ANY_CASE_API.test(path) && !path.startsWith('/api')) {
      return next(
        new DomainError(ErrorCode.NotFound, `No such path: the API's paths are in lower case, starting with /api/ (got ${JSON.stringify(path.slice(0, 60))})`),
      );
    }
    next();
  }
}
