import { Clock } from '../../common/clock.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { DOWNLOAD_TICKET_TTL_MS, DownloadTickets } from './download-tickets.js';

const FILE = { target: 'local', filename: 'sentinel-backup-2026-12-02-143000.tar.gz' } as const;

class FixedClock extends Clock {
  at = Date.parse('2026-12-02T14:30:00Z');
  override now(): Date {
    return new Date(this.at);
  }
}

function refusal(run: () => void): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('DOWNLOAD_LINK_INVALID');
    return (error as DomainError).message;
  }
  throw new Error('not refused');
}

describe('DownloadTickets', () => {
  let clock: FixedClock;
  let tickets: DownloadTickets;
  beforeEach(() => {
    clock = new FixedClock();
    tickets = new DownloadTickets(clock);
  });

  it('hands out a random URL-safe ticket each time, expiring after the TTL', () => {
    const a = tickets.issue(FILE);
    const b = tickets.issue(FILE);
    expect(a.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.ticket).not.toBe(b.ticket);
    expect(a.expiresAt.getTime()).toBe(clock.at + DOWNLOAD_TICKET_TTL_MS);
  });

  it('opens its file once', () => {
    const { ticket } = tickets.issue(FILE);
    tickets.redeem(ticket, FILE);
    expect(refusal(() => tickets.redeem(ticket, FILE))).toMatch(/already used, at 2026-12-02T14:30:00.000Z/);
  });

  it('is valid until just before its expiry, then refused as expired', () => {
    const first = tickets.issue(FILE);
    const second = tickets.issue(FILE);
    clock.at += DOWNLOAD_TICKET_TTL_MS - 1;
    tickets.redeem(first.ticket, FILE);
    clock.at += 1;
    expect(refusal(() => tickets.redeem(second.ticket, FILE))).toMatch(/expired at 2026-12-02T14:31:00.000Z \(links last 60 s\)/);
  });

  it('does not open another file or target, and is used up by trying', () => {
    const { ticket } = tickets.issue(FILE);
    expect(refusal(() => tickets.redeem(ticket, { target: 'r2', filename: FILE.filename }))).toMatch(/is for .* on Local, not for .* on R2/);
    expect(refusal(() => tickets.redeem(ticket, FILE))).toMatch(/already used/);
  });

  it('refuses a ticket it never issued, and forgets old ones after a while', () => {
    expect(refusal(() => tickets.redeem('made-up', FILE))).toMatch(/not valid \(it was never issued/);
    const { ticket } = tickets.issue(FILE);
    clock.at += DOWNLOAD_TICKET_TTL_MS + 10 * 60_000;
    tickets.issue(FILE);
    expect(refusal(() => tickets.redeem(ticket, FILE))).toMatch(/never issued/);
  });
});
