import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';

/** Deepest JSON body accepted. Every body of this API is one or two levels deep. */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses a parsed JSON body nested deeper than MAX_JSON_DEPTH. JSON.parse copes with 45,000 levels, but the
 * validation that follows recurses and overflows the stack (a 500); the walk here is iterative and stops at
 * the first level too deep.
 */
export class JsonDepthLimitMiddleware {
  use(request: Request, _response: Response, next: NextFunction): void {
    const body: unknown = request.body;
    if (body === null || typeof body !== 'object') return next();
    const pending: Array<[unknown, number]> = [[body, 1]];
    while (pending.length > 0) {
      const [value, depth] = pending.pop() as [unknown, number];
      if (depth > MAX_JSON_DEPTH) {
        return next(
          new DomainError(
            ErrorCode.InvalidInput,
            `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep: send a flat document such as {"value": 1}`,
            {
              maxDepth: MAX_JSON_DEPTH,
            },
          ),
        );
      }
      for (const child of Object.values(value as object)) {
        if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
      }
    }
    next();
  }
}
