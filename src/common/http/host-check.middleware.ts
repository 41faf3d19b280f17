import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import type { HostPolicy } from './host-policy.js';
import { quoted } from './quoted.js';

/**
 * Every request, the page and /api/docs included, is answered only for a Host that is ours. A page that
 * rebinds its own name to 127.0.0.1 is same-origin with us in the browser's eyes and could otherwise read
 * every setting and download every backup; its requests still carry its name in Host, and are refused here.
 */
export class HostCheckMiddleware {
  constructor(private readonly policy: HostPolicy) {}

  use(request: Request, _response: Response, next: NextFunction): void {
    const host = request.headers.host;
    if (this.policy.isAllowedHost(host)) return next();
    next(
      new DomainError(
        ErrorCode.HostNotAllowed,
        `This service does not answer for Host ${quoted(host)}: only loopback names (localhost, 127.0.0.1, [::1]) and the names in SENTINEL_ALLOWED_HOSTS are served. ` +
          'If you reach the service by this name on purpose, add it to SENTINEL_ALLOWED_HOSTS and restart it.',
      ),
    );
  }
}
