import { Injectable } from '@nestjs/common';
import { Clock } from '../clock.js';

/** Wrong tokens allowed per client address within one window. */
export const MAX_FAILED_ATTEMPTS = 10;
export const FAILED_ATTEMPT_WINDOW_MS = 60_000;
/** Addresses tracked at most; beyond it the stalest entry is dropped, so many addresses cannot exhaust memory. */
export const MAX_TRACKED_CLIENTS = 10_000;

interface Attempts {
  windowStart: number;
  /** Fingerprints of the distinct wrong tokens of this window (at most MAX_FAILED_ATTEMPTS: then the address is held). */
  tokens: Set<string>;
}

/** What recordFailure counted. */
export interface RecordedFailure {
  /** Distinct wrong tokens from the address in the current window. */
  failures: number;
  /** The same wrong token was sent before in this window, so it did not count again. */
  repeated: boolean;
}

/**
 * Counts wrong API tokens per client address in fixed windows. After MAX_FAILED_ATTEMPTS within a window,
 * every request from that address that carries a token is refused until the window ends, the right
 * token included: answering the right one would tell a guesser that it is right. 10 guesses a minute
 * against 32+ random characters is hopeless; before, 2,000 guesses took 0.7 s.
 *
 * What counts is distinct wrong tokens: sending a token already refused tells a guesser nothing new, while a
 * client that retries honestly sends it many times: the page, whose first requests all wait for the token the
 * user types and then all retry with it, would otherwise spend most of the allowance on one typo.
 *
 * IPv6 clients are counted per /64, the block one host usually owns, so rotating addresses gains nothing.
 */
@Injectable()
export class FailedAuthLimiter {
  private readonly clients = new Map<string, Attempts>();

  constructor(private readonly clock: Clock) {}

  /**
   * Seconds until `address` may try again, or 0 when it may try now. `door` counts a separate allowance for
   * the same address (the metrics scrape: guesses at the API must not lock Prometheus out, nor the reverse).
   */
  retryAfterSeconds(address: string, door = ''): number {
    const entry = this.current(FailedAuthLimiter.key(address, door));
    if (!entry || entry.tokens.size < MAX_FAILED_ATTEMPTS) return 0;
    return Math.max(1, Math.ceil((entry.windowStart + FAILED_ATTEMPT_WINDOW_MS - this.clock.now().getTime()) / 1000));
  }

  /**
   * Records a wrong token, known by `fingerprint` (a hash of it: the token itself is never kept), and says how many
   * distinct wrong tokens this address has sent in the current window.
   */
  recordFailure(address: string, fingerprint: string, door = ''): RecordedFailure {
    const key = FailedAuthLimiter.key(address, door);
    const entry = this.current(key) ?? { windowStart: this.clock.now().getTime(), tokens: new Set<string>() };
    const repeated = entry.tokens.has(fingerprint);
    if (!repeated && entry.tokens.size < MAX_FAILED_ATTEMPTS) entry.tokens.add(fingerprint);
    // Re-inserting keeps the Map in order of last failure, so the first entry is always the stalest.
    this.clients.delete(key);
    this.clients.set(key, entry);
    this.evict();
    return { failures: entry.tokens.size, repeated };
  }

  get trackedClients(): number {
    return this.clients.size;
  }

  private current(key: string): Attempts | undefined {
    const entry = this.clients.get(key);
    if (entry && this.clock.now().getTime() - entry.windowStart >= FAILED_ATTEMPT_WINDOW_MS) {
      this.clients.delete(key);
      return undefined;
    }
    return entry;
  }

  private evict(): void {
    for (const key of this.clients.keys()) {
      if (this.clients.size <= MAX_TRACKED_CLIENTS) break;
      this.clients.delete(key);
    }
  }

  static key(address: string, door = ''): string {
    return door ? `${FailedAuthLimiter.clientKey(address)} ${door}` : FailedAuthLimiter.clientKey(address);
  }

  private static clientKey(address: string): string {
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (v4) return v4[1];
    if (!address.includes(':')) return address;
    const [head, tail = ''] = address.toLowerCase().split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
    return `${groups
      .slice(0, 4)
      .map((g) => g.replace(/^0+(?=.)/, ''))
      .join(':')}::/64`;
  }
}
