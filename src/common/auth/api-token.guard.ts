import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppConfig } from '../../config/app-config.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { FAILED_ATTEMPT_WINDOW_MS, FailedAuthLimiter, MAX_FAILED_ATTEMPTS } from './failed-auth-limiter.js';
import { IS_PUBLIC, IS_SCRAPE } from './public.decorator.js';

/**
 * When SENTINEL_API_TOKEN is set, every API route but @Public() ones needs `Authorization: Bearer <token>`.
 * A @Scrape() route (GET /metrics) also takes SENTINEL_METRICS_TOKEN, and needs one of the two when either is set.
 * The API can download and replace every database, so this is the one door to it. Wrong tokens are
 * counted per client address, each distinct one once (FailedAuthLimiter; a @Scrape() route apart from the API), and logged with the address and user agent, never
 * with what was sent. A request without a token is not a guess (the page asks for the token on its
 * first 401) and is not counted.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;
  private readonly metricsExpected: Buffer | undefined;
  private readonly logger = new Logger('Auth');

  constructor(
    config: AppConfig,
    private readonly reflector: Reflector,
    private readonly limiter: FailedAuthLimiter,
  ) {
    const token = config.env.apiToken;
    // Hashing both sides gives equal lengths, so the comparison is constant-time whatever was sent.
    this.expected = token ? createHash('sha256').update(token).digest() : undefined;
    const metricsToken = config.env.metricsToken;
    this.metricsExpected = metricsToken ? createHash('sha256').update(metricsToken).digest() : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const scrape = this.reflector.getAllAndOverride<boolean>(IS_SCRAPE, targets) === true;
    const accepted = [this.expected, ...(scrape ? [this.metricsExpected] : [])].filter((hash): hash is Buffer => hash !== undefined);
    if (accepted.length === 0) return true;
    const variable = scrape ? 'SENTINEL_METRICS_TOKEN or SENTINEL_API_TOKEN' : 'SENTINEL_API_TOKEN';
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match) {
      const address = request.socket.remoteAddress ?? 'unknown';
      // The scrape has an allowance of its own: behind a reverse proxy every client shares one address, and
      // wrong tokens at the API must not blind monitoring (guesses at /metrics are still limited).
      const door = scrape ? 'scrape' : '';
      const retryAfterSeconds = this.limiter.retryAfterSeconds(address, door);
      if (retryAfterSeconds > 0) {
        throw new DomainError(
          ErrorCode.TooManyAttempts,
          `Too many wrong API tokens from this address (${MAX_FAILED_ATTEMPTS} within ${FAILED_ATTEMPT_WINDOW_MS / 1000} s): try again in ${retryAfterSeconds} s with the value of ${variable}`,
          { retryAfterSeconds },
        );
      }
      const given = createHash('sha256').update(match[1].trim()).digest();
      // Every accepted token is compared, so the time taken does not say which one came close.
      if (accepted.map((hash) => timingSafeEqual(given, hash)).includes(true)) return true;
      // A hash of a wrong token is all the limiter keeps, to count a token sent again only once.
      const { failures, repeated } = this.limiter.recordFailure(address, given.toString('base64'), door);
      const agent = JSON.stringify((request.headers['user-agent'] ?? '(none)').slice(0, 200));
      const count = `${repeated ? 'the same wrong token again, still ' : ''}${failures} of ${MAX_FAILED_ATTEMPTS} allowed per ${FAILED_ATTEMPT_WINDOW_MS / 1000} s`;
      this.logger.warn(`Wrong API token from ${address} (user agent ${agent}), ${count}`);
    }
    throw new DomainError(
      ErrorCode.Unauthorized,
      match
        ? `The API token is wrong: send the value of ${variable} as "Authorization: Bearer <token>"`
        : `This ${scrape ? 'endpoint' : 'API'} needs a token: send "Authorization: Bearer <${variable}>"`,
    );
  }
}
