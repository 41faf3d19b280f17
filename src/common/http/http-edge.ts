import { PayloadTooLargeException } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, type NextFunction, type Request, type Response } from 'express';
import type { Environment } from '../../config/environment.js';
import { CanonicalApiPathMiddleware } from './canonical-api-path.middleware.js';
import { CrossSiteRequestMiddleware } from './cross-site-request.middleware.js';
import { HostCheckMiddleware } from './host-check.middleware.js';
import { HostPolicy } from './host-policy.js';
import { JSON_MEDIA_TYPE, JsonBodyOnlyMiddleware } from './json-body-only.middleware.js';
import { JsonDepthLimitMiddleware } from './json-depth-limit.middleware.js';
import { SecurityHeadersMiddleware } from './security-headers.middleware.js';

/** Largest JSON body accepted; a setting's value is at most a few KB. */
export const MAX_JSON_BODY = '100kb';

interface Middleware {
  use(request: Request, response: Response, next: NextFunction): void;
}

/**
 * The checks every request passes before any route, Swagger UI or static file, in this order: headers
 * (so refusals carry them), one spelling of /api, Host, cross-site, JSON only, parse, depth. They are Express middlewares
 * registered before Nest's own, because Swagger UI and the page are not Nest routes. A refusal is a
 * DomainError passed to `next`, which Nest's exception layer hands to DomainErrorFilter like any other.
 *
 * Needs the app created with `bodyParser: false`: only the JSON parser is registered, after the checks.
 */
export function applyHttpEdge(app: NestExpressApplication, env: Environment): void {
  // Helmet removes it too; disabling it at the source also covers responses Helmet never sees.
  app.disable('x-powered-by');
  const policy = new HostPolicy(env.allowedHosts);
  const before: Middleware[] = [
    new SecurityHeadersMiddleware(),
    new CanonicalApiPathMiddleware(),
    new HostCheckMiddleware(policy),
    new CrossSiteRequestMiddleware(policy),
    new JsonBodyOnlyMiddleware(),
  ];
  for (const middleware of before) app.use((request: Request, response: Response, next: NextFunction) => middleware.use(request, response, next));
  const parse = json({
    limit: MAX_JSON_BODY,
    type: (request) =>
      JSON_MEDIA_TYPE.test(
        String(request.headers['content-type'] ?? '')
          .split(';')[0]
          .trim()
          .toLowerCase(),
      ),
  });
  app.use((request: Request, response: Response, next: NextFunction) =>
    parse(request, response, (error?: unknown) => {
      if ((error as { type?: string } | undefined)?.type !== 'entity.too.large') return next(error);
      next(
        new PayloadTooLargeException(
          `The request body is larger than ${MAX_JSON_BODY.replace('kb', ' KB')}: send only the JSON the endpoint takes, such as {"value": 1}`,
        ),
      );
    }),
  );
  const depth = new JsonDepthLimitMiddleware();
  app.use((request: Request, response: Response, next: NextFunction) => depth.use(request, response, next));
}
