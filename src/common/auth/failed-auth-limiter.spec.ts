import { Clock } from '../clock.js';
import { FAILED_ATTEMPT_WINDOW_MS, FailedAuthLimiter, MAX_FAILED_ATTEMPTS, MAX_TRACKED_CLIENTS } from './failed-auth-limiter.js';

class FakeClock extends Clock {
  at = Date.parse('2026-12-01T12:00:00Z');
  override now(): Date {
    return new Date(this.at);
  }
}

describe('FailedAuthLimiter', () => {
  let clock: FakeClock;
  let limiter: FailedAuthLimiter;
  beforeEach(() => {
    clock = new FakeClock();
    limiter = new FailedAuthLimiter(clock);
  });

  it('lets an address fail 10 times, then holds it until the window that began with its first failure ends', () => {
    for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) {
      expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
      limiter.recordFailure('10.0.0.1', `guess-${i}`);
    }
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(60);
    expect(limiter.retryAfterSeconds('10.0.0.2')).toBe(0);
    clock.at += 45_500;
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(15);
    clock.at += FAILED_ATTEMPT_WINDOW_MS - 45_500;
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
    expect(limiter.recordFailure('10.0.0.1', 'guess-0')).toEqual({ failures: 1, repeated: false });
  });

  it('counts a wrong token sent again once: a client retrying with the same token is not guessing', () => {
    expect(limiter.recordFailure('10.0.0.1', 'typo')).toEqual({ failures: 1, repeated: false });
    for (let i = 0; i < 50; i++) expect(limiter.recordFailure('10.0.0.1', 'typo')).toEqual({ failures: 1, repeated: true });
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(0);
    for (let i = 1; i < MAX_FAILED_ATTEMPTS; i++) expect(limiter.recordFailure('10.0.0.1', `guess-${i}`).failures).toBe(i + 1);
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(60);
    // A new window forgets the tokens of the last one.
    clock.at += FAILED_ATTEMPT_WINDOW_MS;
    expect(limiter.recordFailure('10.0.0.1', 'typo')).toEqual({ failures: 1, repeated: false });
  });

  it('counts each door of an address apart: guesses at the API do not hold the scrape, and guesses at the scrape are held too', () => {
    for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) limiter.recordFailure('10.0.0.1', `guess-${i}`);
    expect(limiter.retryAfterSeconds('10.0.0.1')).toBe(60);
    expect(limiter.retryAfterSeconds('10.0.0.1', 'scrape')).toBe(0);
    for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) limiter.recordFailure('::ffff:10.0.0.1', `scrape-guess-${i}`, 'scrape');
    expect(limiter.retryAfterSeconds('10.0.0.1', 'scrape')).toBe(60);
  });

  it('counts IPv6 clients per /64 and IPv4-mapped addresses as IPv4', () => {
    expect(FailedAuthLimiter.key('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(FailedAuthLimiter.key('2001:0db8:0001:0002:ffff:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(FailedAuthLimiter.key('::1')).toBe('0:0:0:0::/64');
    expect(FailedAuthLimiter.key('::ffff:127.0.0.1')).toBe('127.0.0.1');
    for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) limiter.recordFailure(`2001:db8:1:2::${i.toString(16)}`, `guess-${i}`);
    expect(limiter.retryAfterSeconds('2001:db8:1:2::ffff')).toBeGreaterThan(0);
  });

  it('keeps at most MAX_TRACKED_CLIENTS addresses, dropping the stalest', () => {
    for (let i = 0; i < MAX_TRACKED_CLIENTS + 500; i++) limiter.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'guess');
    expect(limiter.trackedClients).toBe(MAX_TRACKED_CLIENTS);
  });
});
