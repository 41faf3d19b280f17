import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { quoted } from './quoted.js';

/** application/json and the structured-syntax types (application/problem+json, …). */
export const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;

/**
 * Request bodies are JSON or nothing. The three types a browser may send cross-site without a preflight
 * (urlencoded, multipart, text/plain) are thereby refused before anything reads them, and no form of
 * another page can fill in a request. A request without a body (a bare POST) needs no Content-Type.
 */
export class JsonBodyOnlyMiddleware {
  use(request: Request, _response: Response, next: NextFunction): void {
    const length = request.headers['content-length'];
    const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length.trim() !== '0');
    if (!hasBody) return next();
    const type = request.headers['content-type'];
    const mediaType = (type ?? '').split(';')[0].trim().toLowerCase();
    if (JSON_MEDIA_TYPE.test(mediaType)) return next();
    next(
      new DomainError(
        ErrorCode.UnsupportedMediaType,
        `This API accepts request bodies only as JSON (got Content-Type ${quoted(type)}): send the body as JSON with Content-Type: application/json, such as {"value": 1}`,
      ),
    );
  }
}
