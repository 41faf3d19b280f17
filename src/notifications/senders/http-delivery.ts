import { APP_VERSION } from '../../common/app-version.js';
import { formatDuration } from '../../common/format.js';
import { type DeliveryReceipt, DeliveryError } from './channel-sender.js';

/** How a receiver is named in messages, and what to do when it says the address is gone or the token is refused. */
export interface Receiver {
  /** "Slack", "the webhook receiver". */
  name: string;
  /** After "answered HTTP 404:": what it means and what to do. */
  gone: string;
  /** After "answered HTTP 401:". */
  refused: string;
}

export const USER_AGENT = `Sentinel-Backup/${APP_VERSION}`;

/** How much of a receiver's answer is read (the rest is not waited for) and how much of it the log keeps. */
const ANSWER_READ_BYTES = 64 * 1024;
const ANSWER_EXCERPT_CHARS = 200;
/** The longest wait a receiver's Retry-After can ask for; the outbox's backoff and 24-hour give-up still apply. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * One HTTP request to a receiver, on Node's fetch. Redirects are not followed (the URL carries a token, and
 * a receiver that moved must be updated in the channel); a 2xx is a receipt, anything else a DeliveryError
 * whose words say what to do. No message quotes the URL: it holds the token (only the host is named).
 */
export async function deliverHttp(
  receiver: Receiver,
  url: URL,
  init: { method: 'POST' | 'GET'; headers?: Record<string, string>; body?: string },
  signal: AbortSignal,
  /** Takes the channel's secrets out of the answer: applied to all of it, before it is cut to an excerpt. */
  mask: (text: string) => string,
): Promise<DeliveryReceipt> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      headers: { 'User-Agent': USER_AGENT, ...init.headers },
      body: init.body,
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    throw connectionError(receiver, url, error);
  }
  const text = excerptOf(mask(await readBounded(response, signal)));
  const answer = `HTTP ${response.status}${text ? `: ${text}` : ''}`;
  const status = response.status;
  if (status >= 200 && status < 300) return { answer };
  const said = `${receiver.name} answered HTTP ${status}${text ? ` (${text})` : ''}`;
  if (status >= 300 && status < 400) {
    throw new DeliveryError(
      `${said}, a redirect to another address: Sentinel does not follow redirects, since the URL carries a token. Put the final URL in the channel`,
      false,
      answer,
    );
  }
  if (status === 401 || status === 403) throw new DeliveryError(`${said}: ${receiver.refused}`, false, answer);
  if (status === 404 || status === 410) throw new DeliveryError(`${said}: ${receiver.gone}`, false, answer);
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const retryAfterMs = retryAfterOf(response.headers.get('retry-after'), Date.now());
    const when = retryAfterMs === null ? 'it is retried' : `it asked to wait ${formatDuration(retryAfterMs)} (Retry-After), and is retried then`;
    throw new DeliveryError(`${said}: a temporary failure on its side; ${when}`, true, answer, retryAfterMs);
  }
  throw new DeliveryError(`${said}: it refused the message. Check the channel's settings; if they are right, report the answer as a bug`, false, answer);
}

/** The answer as one line of printable text (control characters replaced), cut to an excerpt: after the secrets are masked. */
function excerptOf(text: string): string {
  const line = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return line.length > ANSWER_EXCERPT_CHARS ? `${line.slice(0, ANSWER_EXCERPT_CHARS)}...` : line;
}

/**
 * Retry-After (RFC 9110 10.2.3): a number of seconds, or an HTTP date; null when absent, unreadable or not in
 * the future. Capped at MAX_RETRY_AFTER_MS: a receiver cannot park a notification for days.
 */
export function retryAfterOf(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  const ms = /^\d{1,10}$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms) || ms <= 0) return null;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** The start of the answer's body (at most ANSWER_READ_BYTES), as text, unmasked and uncut. */
async function readBounded(response: Response, signal: AbortSignal): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ANSWER_READ_BYTES && !signal.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short is still an answer: the status says what happened.
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** fetch's failure (TypeError "fetch failed" with the socket error as its cause) in words a user can act on. */
function connectionError(receiver: Receiver, url: URL, error: unknown): DeliveryError {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const name = (error as { name?: string } | undefined)?.name;
  const code = cause?.code ?? '';
  const host = url.host;
  if (name === 'AbortError' || name === 'TimeoutError') return new DeliveryError(`The request to ${receiver.name} was cut off (time limit or stop)`, true);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    return new DeliveryError(
      `The host name ${host} was not found (DNS ${code}): check the URL for a typo, and that this server can resolve names (its DNS settings)`,
      true,
    );
  }
  if (code === 'ECONNREFUSED') {
    return new DeliveryError(`${host} refused the connection: nothing listens there. Check the URL's host and port, and that the receiver is running`, true);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return new DeliveryError(`${host} cannot be reached from this server (${code}): check its network, a firewall or proxy in between`, true);
  }
  if (/CERT|SSL|TLS|EPROTO/i.test(code) || /certificate|ssl|tls/i.test(cause?.message ?? '')) {
    return new DeliveryError(
      `The TLS connection to ${host} failed (${code || 'handshake'}): its certificate is expired, self-signed or for another name, or it does not speak https on that port. ` +
        'Fix the certificate, or use the address the certificate names',
      true,
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code.startsWith('UND_ERR')) {
    return new DeliveryError(`The connection to ${host} broke before an answer (${code}): it is retried`, true);
  }
  return new DeliveryError(`The request to ${host} failed${code ? ` (${code})` : ''}: check the URL and that the receiver is reachable`, true);
}
