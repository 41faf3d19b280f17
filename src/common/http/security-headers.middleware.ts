import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

/** Where Swagger UI lives (SwaggerModule.setup in src/openapi/openapi-document.ts). */
const DOCS_PATH = '/api/docs';
/** The Prometheus metrics (src/monitoring): data like the API's, never cached either. */
const METRICS_PATH = '/metrics';

/** Headers both policies share: HSTS is left to a TLS proxy in front (this service speaks plain HTTP). */
const COMMON = { strictTransportSecurity: false, xFrameOptions: { action: 'deny' }, referrerPolicy: { policy: 'no-referrer' } } as const;

/**
 * Security headers on every response, set before anything else runs so refusals carry them too (Helmet:
 * nosniff, no framing, same-origin resource and opener policies, no X-Powered-By).
 *
 * - API responses are data, never a document: `default-src 'none'`, and `Cache-Control: no-store` so no
 *   setting or archive stays in a browser or proxy cache.
 * - Swagger UI (/api/docs) loads its own script and stylesheet and uses inline styles and data: images.
 * - The admin page's HTML gets its own CSP from the static file server (src/web/web-assets.ts), which
 *   replaces the API one set here; its script and style files need none.
 */
export class SecurityHeadersMiddleware {
  private readonly api = helmet({
    ...COMMON,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
  });

  private readonly docs = helmet({
    ...COMMON,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
      },
    },
  });

  use(request: Request, response: Response, next: NextFunction): void {
    const path = request.path;
    const isDocs = path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`);
    if (!isDocs && (path === '/api' || path.startsWith('/api/') || path === METRICS_PATH)) response.setHeader('Cache-Control', 'no-store');
    (isDocs ? this.docs : this.api)(request, response, next);
  }
}
