import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { ALLOWED_QUERY, inferredAllowedQuery } from './allowed-query.js';

/**
 * Refuses, for every API route, a query parameter the endpoint does not take and one given twice.
 * Ignoring them silently lets a typo (`?limt=5`) look like it worked, and `?limit=1&limit=2` would
 * reach a DTO as an array. The allowed names come from @AllowedQuery or, without it, from the DTO of the
 * handler's @Query() parameter; an endpoint with neither takes none. Swagger UI and the page's files are not Nest routes: untouched.
 */
@Injectable()
export class QueryParametersInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    if (!request.path.startsWith('/api/')) return next.handle();
    const allowed =
      this.reflector.get<string[] | undefined>(ALLOWED_QUERY, context.getHandler()) ?? inferredAllowedQuery(context.getClass(), context.getHandler());
    const query = (request.query ?? {}) as Record<string, unknown>;
    const endpoint = `${request.method} ${request.route?.path ?? request.path}`;
    const takes = allowed.length ? `it takes ${allowed.join(', ')}` : 'it takes no query parameters';
    const unknown = Object.keys(query).filter((key) => !allowed.includes(key));
    if (unknown.length) {
      throw new DomainError(
        ErrorCode.InvalidInput,
        `Unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => `'${bounded(key)}'`).join(', ')} for ${endpoint}: ${takes}. Remove ${unknown.length > 1 ? 'them' : 'it'}`,
        { unknown: unknown.map(bounded), allowed },
      );
    }
    const repeated = Object.keys(query).filter((key) => typeof query[key] !== 'string');
    if (repeated.length) {
      throw new DomainError(
        ErrorCode.InvalidInput,
        `The query parameter${repeated.length > 1 ? 's' : ''} ${repeated.map((key) => `'${key}'`).join(', ')} of ${endpoint} must be given once, as a single value`,
        { repeated, allowed },
      );
    }
    return next.handle();
  }
}

/** A parameter name as an error quotes it: short and printable (it is whatever the caller sent). */
function bounded(key: string): string {
  const printable = JSON.stringify(key).slice(1, -1);
  return printable.length > 40 ? `${printable.slice(0, 37)}...` : printable;
}
