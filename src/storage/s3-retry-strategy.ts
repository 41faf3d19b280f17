/** What the SDK's retry middleware tells a strategy about a failed attempt (RetryErrorInfo of @smithy/types). */
interface RetryErrorInfo {
  error?: unknown;
  errorType: 'TRANSIENT' | 'THROTTLING' | 'SERVER_ERROR' | 'CLIENT_ERROR';
  retryAfterHint?: Date;
}

/**
 * Errors the SDK counts as transient that are not: the host name does not exist (NXDOMAIN). A
 * temporary DNS failure is EAI_AGAIN, which is still retried.
 */
const PERMANENT_CODES = new Set(['ENOTFOUND']);

class RetryToken {
  constructor(
    private readonly retryCount: number,
    private readonly retryDelay: number,
  ) {}
  getRetryCount(): number {
    return this.retryCount;
  }
  getRetryDelay(): number {
    return this.retryDelay;
  }
}

const MAX_DELAY_MS = 20_000;

/**
 * The SDK's retry decision with a backoff that outlasts a short outage. The SDK classifies each
 * error (its standard strategy does the same): TRANSIENT covers 500/502/503/504, connection
 * refused/reset, DNS failures, socket and request timeouts; THROTTLING covers 429 and SlowDown.
 * Those are retried. SERVER_ERROR (any other 5xx, such as 501 Not Implemented), CLIENT_ERROR (bad
 * credentials, missing bucket...) and an unknown host fail at once.
 * Retry n (from 1) waits a random time between half of and all of min(20 s, baseDelayMs × 2^(n-1)):
 * half fixed, half random ("equal jitter"): operations that failed together do not retry together,
 * and none retries sooner than half its backoff. A Retry-After from the service lengthens the wait
 * to what it asks, up to 20 s. The middleware sleeps the delay racing the request's abort signal, so
 * a cancelled operation does not wait out its backoff. Unlike the standard strategy there is no
 * shared retry quota: after an outage every operation retries on its own again.
 */
export class S3RetryStrategy {
  readonly mode = 'standard';

  constructor(
    private readonly maxAttempts: number,
    private readonly baseDelayMs: number,
  ) {}

  async acquireInitialRetryToken(_scope: string): Promise<RetryToken> {
    return new RetryToken(0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    const retryable =
      (errorInfo.errorType === 'TRANSIENT' || errorInfo.errorType === 'THROTTLING') &&
      !PERMANENT_CODES.has((errorInfo.error as { code?: string } | undefined)?.code ?? '');
    const attempt = token.getRetryCount() + 1;
    if (!retryable || attempt >= this.maxAttempts) throw new Error('No retry token available');
    const ceiling = Math.min(MAX_DELAY_MS, this.baseDelayMs * 2 ** token.getRetryCount());
    let delay = Math.floor(ceiling / 2 + (Math.random() * ceiling) / 2);
    if (errorInfo.retryAfterHint instanceof Date) {
      delay = Math.max(delay, Math.min(errorInfo.retryAfterHint.getTime() - Date.now(), MAX_DELAY_MS));
    }
    return new RetryToken(attempt, delay);
  }

  recordSuccess(_token: RetryToken): void {}
}
