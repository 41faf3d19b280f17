import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { type BackupTarget, targetLabel } from '../../common/backup-target.js';
import { Clock } from '../../common/clock.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';

/** How long a ticket can be used: long enough to start a download the page asked for, too short to matter once written down. */
export const DOWNLOAD_TICKET_TTL_MS = 60_000;
/**
 * How long a used or expired ticket is remembered, so that using it again is refused with the reason
 * ("already used", "expired") rather than "unknown". Only its hash is kept.
 */
const REMEMBERED_MS = 10 * 60_000;
/** Tickets held at most (each needs the API token to be made): the oldest are forgotten first. */
const MAX_TICKETS = 1000;

/** One backup of one target: what a ticket opens, and nothing else. */
export interface TicketedFile {
  target: BackupTarget;
  filename: string;
}

interface Ticket extends TicketedFile {
  expiresAt: number;
  usedAt: number | null;
}

/**
 * Single-use, short-lived download tickets: how the admin page streams an archive to disk while an API
 * token is set. A browser's own download (a link) cannot send the Authorization header, and fetching
 * the archive with it holds the whole archive in the page's memory; so the page asks for a ticket with
 * the token (a POST, guarded like every change: token and cross-site checks), then lets the browser
 * download the link that carries the ticket.
 *
 * A ticket is 256 random bits, bound to one target and file, valid for DOWNLOAD_TICKET_TTL_MS, and used up
 * by its first use, that of another file included (a ticket shown to the wrong file has leaked). Only its
 * SHA-256 is held, in memory: a restart forgets them all. It travels in the query string, which no log of
 * this service keeps (the audit log and the in-flight list keep the path only).
 */
@Injectable()
export class DownloadTickets {
  private readonly tickets = new Map<string, Ticket>();

  constructor(private readonly clock: Clock) {}

  issue(file: TicketedFile): { ticket: string; expiresAt: Date } {
    const now = this.clock.now().getTime();
    this.forgetOld(now);
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = now + DOWNLOAD_TICKET_TTL_MS;
    this.tickets.set(hashOf(ticket), { target: file.target, filename: file.filename, expiresAt, usedAt: null });
    return { ticket, expiresAt: new Date(expiresAt) };
  }

  /** Uses the ticket up for `file` (a valid backup name); throws DOWNLOAD_LINK_INVALID, saying why, when it does not open that file now. */
  redeem(ticket: string, file: TicketedFile): void {
    const now = this.clock.now().getTime();
    const held = this.tickets.get(hashOf(ticket));
    const renew = `ask for a new link: download again from the admin page, or POST /api/backups/${file.target}/${file.filename}/download-link with the API token`;
    if (!held) {
      throw invalid(`This download link is not valid (it was never issued, or the service has restarted since): ${renew}`);
    }
    if (held.usedAt !== null) {
      throw invalid(`This download link was already used, at ${new Date(held.usedAt).toISOString()}: each link downloads once; ${renew}`);
    }
    held.usedAt = now;
    if (now >= held.expiresAt) {
      throw invalid(`This download link expired at ${new Date(held.expiresAt).toISOString()} (links last ${DOWNLOAD_TICKET_TTL_MS / 1000} s): ${renew}`);
    }
    if (held.target !== file.target || held.filename !== file.filename) {
      throw invalid(
        `This download link is for ${held.filename} on ${targetLabel(held.target)}, not for ${file.filename} on ${targetLabel(file.target)}; ` +
          `it is used up now: ${renew}`,
      );
    }
  }

  private forgetOld(now: number): void {
    for (const [hash, ticket] of this.tickets) {
      if (ticket.expiresAt + REMEMBERED_MS <= now || this.tickets.size >= MAX_TICKETS) this.tickets.delete(hash);
    }
  }
}

function hashOf(ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url');
}

function invalid(message: string): DomainError {
  return new DomainError(ErrorCode.DownloadLinkInvalid, message);
}
