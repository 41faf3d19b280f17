import { type Environment, EnvironmentError, integer } from '../config/environment.js';

/**
 * The outbox's timing and the page's address, read once from the environment; a bad value stops the start
 * naming the variable. The defaults are what users get; tests shorten the timeout and the first retry delay.
 */
export abstract class NotificationOptions {
  /** SENTINEL_PUBLIC_URL: the admin page's address, the `link` of every notification; null when unset. */
  abstract readonly publicUrl: string | null;
  /** One attempt's limit (SENTINEL_NOTIFY_TIMEOUT_MS, default 15 s): a receiver that hangs is cut and retried. */
  abstract readonly sendTimeoutMs: number;
  /** First retry delay (SENTINEL_NOTIFY_RETRY_BASE_MS, default 5 s), doubled per failed attempt up to `maxRetryDelayMs`. */
  abstract readonly retryBaseDelayMs: number;
  /** The longest wait between two tries: one minute, so a receiver that comes back is served within a minute or two. */
  abstract readonly maxRetryDelayMs: number;
  /** How long a delivery is retried before it is given up (24 hours from when it was written). */
  abstract readonly giveUpAfterMs: number;
  /** Delivered and given-up entries older than this are pruned from the log (30 days). */
  abstract readonly keepFinishedMs: number;
  /** At most this many delivered and given-up entries are kept (the newest). */
  abstract readonly keepFinishedRows: number;

  static fromEnvironment(env: Pick<Environment, 'raw'>): NotificationOptions {
    return {
      publicUrl: publicUrl(env.raw.SENTINEL_PUBLIC_URL),
      sendTimeoutMs: integer(env.raw, 'SENTINEL_NOTIFY_TIMEOUT_MS', 15_000, 100, 120_000),
      retryBaseDelayMs: integer(env.raw, 'SENTINEL_NOTIFY_RETRY_BASE_MS', 5_000, 10, 60_000),
      maxRetryDelayMs: 60_000,
      giveUpAfterMs: 24 * 60 * 60 * 1000,
      keepFinishedMs: 30 * 24 * 60 * 60 * 1000,
      keepFinishedRows: 5_000,
    };
  }
}

function publicUrl(value: string | undefined): string | null {
  const text = value?.trim() ?? '';
  if (text === '') return null;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new EnvironmentError(
      'SENTINEL_PUBLIC_URL',
      `'${text.slice(0, 80)}' is not an http(s) address: give the admin page's address as users open it, for example https://backup.example.lan`,
    );
  }
  return url.toString();
}
