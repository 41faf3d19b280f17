import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppConfig } from '../../config/app-config.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { IS_PUBLIC } from './public.decorator.js';

/**
 * When SENTINEL_API_TOKEN is set, every API route but @Public() ones needs `Authorization: Bearer <token>`.
 * The API can download and replace every database, so this is the one door to it.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    const token = config.env.apiToken;
    // Hashing both sides gives equal lengths, so the comparison is constant-time whatever was sent.
    this.expected = token ? createHash('sha256').update(token).digest() : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match) {
      const given = createHash('sha256').update(match[1].trim()).digest();
      if (timingSafeEqual(given, this.expected)) return true;
    }
    throw new DomainError(
      ErrorCode.Unauthorized,
      match ? 'The API token is wrong: send the value of SENTINEL_API_TOKEN as "Authorization: Bearer <token>"' : 'This API needs a token: send "Authorization: Bearer <SENTINEL_API_TOKEN>"',
    );
  }
}
