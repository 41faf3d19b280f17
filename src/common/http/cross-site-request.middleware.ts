import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import type { HostPolicy } from './host-policy.js';
import { quoted } from './quoted.js';

/** Methods that change nothing; a browser sends them cross-site freely (links, images), so they must stay harmless. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request from another site is refused. A browser tells us where a request comes from:
 * `Origin` on every non-GET request (Chromium, Firefox and Safari alike), and `Sec-Fetch-Site` in current
 * browsers. Forms and no-cors fetches need no CORS preflight, so without this check any page the user opens
 * could start a backup, rotate, or stage a restore. curl and scripts send neither header and pass.
 *
 * `same-site` is refused too: another port on localhost is the same site, but it is another program.
 */
export class CrossSiteRequestMiddleware {
  constructor(private readonly policy: HostPolicy) {}

  use(request: Request, _response: Response, next: NextFunction): void {
    if (SAFE_METHODS.has(request.method)) return next();
    const origin = request.headers.origin;
    const fetchSite = request.headers['sec-fetch-site'];
    if (origin !== undefined) {
      if (this.policy.isOwnOrigin(origin, request.headers.host)) return next();
      return next(this.refusal(`it comes from a page on another origin (Origin: ${quoted(origin)})`));
    }
    if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
      return next(this.refusal(`it comes from a page on another site (Sec-Fetch-Site: ${fetchSite})`));
    }
    next();
  }

  private refusal(reason: string): DomainError {
    return new DomainError(
      ErrorCode.CrossSiteRequest,
      `Refused because ${reason}: only the admin page served by this service, Swagger UI at /api/docs and clients that send no Origin (curl, scripts) may change anything. ` +
        'To use the page under another name, add that name to SENTINEL_ALLOWED_HOSTS.',
    );
  }
}
