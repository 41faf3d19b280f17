import { Inject, Injectable, Optional } from '@nestjs/common';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Notification } from '../notification.js';
import { isLoopbackHost } from '../host-address.js';
import type { ChannelConfig, NotificationChannel } from '../notification-channel.js';
import { DeliveryError, type ChannelSender, type DeliveryReceipt } from './channel-sender.js';
import { renderEmail } from './email-message.js';
import { describeSmtpFailure, scrubSmtpSecrets, type SmtpFailureContext } from './smtp-failure.js';

type EmailConfig = Extract<ChannelConfig, { type: 'email' }>;

/** How long one attempt may wait at each step; the outbox's signal bounds the whole attempt as well. */
export interface SmtpTimeouts {
  /** Connecting, the DNS lookup included. */
  connectionMs: number;
  /** From the connection to the server's greeting, and for a STARTTLS handshake. */
  greetingMs: number;
  /** Silence from the server in the middle of the session. */
  socketMs: number;
}

/** Injection token for other timeouts than the defaults (tests: a server that never greets). */
export const SMTP_TIMEOUTS = Symbol('SMTP_TIMEOUTS');

/**
 * Under the outbox's per-attempt limit (SENTINEL_NOTIFY_TIMEOUT_MS, 15 s by default), so that a server that
 * hangs is reported by what it did not do (connect, greet, answer) rather than by the generic limit. The
 * connection time bounds connecting, the greeting and a STARTTLS handshake together (nodemailer cuts the
 * greeting's wait to what is left of it); real servers greet within a second or two.
 */
export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = { connectionMs: 10_000, greetingMs: 10_000, socketMs: 10_000 };

/**
 * nodemailer, loaded when the first email is sent: most installations never send one, and loaded at start
 * it stayed resident in every one (bench/results-notes.md, "Idle memory").
 */
let mailer: Promise<typeof import('nodemailer')> | undefined;
function loadMailer(): Promise<typeof import('nodemailer')> {
  mailer ??= import('nodemailer').catch((error: unknown) => {
    mailer = undefined;
    throw error;
  });
  return mailer;
}

/** Longest server answer kept in a receipt. */
const MAX_RECEIPT_CHARS = 300;

/**
 * Sends a notification as an email over SMTP (nodemailer), once per call, on a connection of its own.
 *
 * Security: "tls" is TLS from the first byte (port 465); "starttls" requires the upgrade (port 587) and
 * fails rather than continue in clear, so the password never crosses the network unencrypted; "none" is
 * plain SMTP (a relay on this host or port 25 inside a trusted network) and never attempts TLS. With "none",
 * a password is sent only to a loopback address. Certificates are always verified against Node's CAs: a
 * private CA is added with NODE_EXTRA_CA_CERTS (docs/notifications.md), never by switching checks off.
 *
 * Nothing here logs; the password is in no error or receipt (server answers quoted are scrubbed of it).
 */
@Injectable()
export class EmailSender implements ChannelSender {
  readonly type = 'email' as const;
  private readonly timeouts: SmtpTimeouts;

  constructor(@Optional() @Inject(SMTP_TIMEOUTS) timeouts?: SmtpTimeouts) {
    this.timeouts = timeouts ?? DEFAULT_SMTP_TIMEOUTS;
  }

  async send(channel: NotificationChannel, notification: Notification, signal: AbortSignal): Promise<DeliveryReceipt> {
    if (channel.config.type !== 'email') {
      throw new DeliveryError(`The channel "${channel.name}" is a ${channel.config.type} channel, not an email channel.`, false);
    }
    const config = channel.config;
    const ctx: SmtpFailureContext = {
      host: config.smtp_host,
      port: config.smtp_port,
      security: config.smtp_security,
      user: config.smtp_user,
      password: config.smtp_password,
      timeouts: this.timeouts,
    };
    refuseUnsafeSettings(config);

    const message = renderEmail(notification, channel.name);
    const { default: nodemailer } = await loadMailer();
    const transport = nodemailer.createTransport(this.transportOptions(config));
    try {
      const info = await transport.sendMail({
        from: config.from,
        to: config.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        // The same notification retried keeps its Message-ID, so a mail client shows a duplicate once.
        messageId: messageIdOf(notification.id, config.from),
        headers: { 'X-Sentinel-Event': notification.event, 'X-Sentinel-Delivery': notification.id },
        signal,
      });
      return { answer: receiptOf(info, config) };
    } catch (error) {
      throw describeSmtpFailure(error, ctx);
    } finally {
      transport.close();
    }
  }

  private transportOptions(config: EmailConfig): SMTPTransport.Options {
    return {
      host: config.smtp_host,
      port: config.smtp_port,
      secure: config.smtp_security === 'tls',
      requireTLS: config.smtp_security === 'starttls',
      ignoreTLS: config.smtp_security === 'none',
      auth: config.smtp_user ? { user: config.smtp_user, pass: config.smtp_password ?? '' } : undefined,
      connectionTimeout: this.timeouts.connectionMs,
      dnsTimeout: this.timeouts.connectionMs,
      greetingTimeout: this.timeouts.greetingMs,
      socketTimeout: this.timeouts.socketMs,
      // rejectUnauthorized stays on (Node's default): there is no setting that turns certificate checks off.
      tls: { minVersion: 'TLSv1.2' },
      // No SMTP transcript anywhere: it would hold the AUTH exchange.
      logger: false,
      debug: false,
      // The message is built here from text; nothing in it may make nodemailer read a file or fetch a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
    };
  }
}

/** Settings that would send the password badly, or cannot log in at all: refused before connecting. */
function refuseUnsafeSettings(config: EmailConfig): void {
  if (config.smtp_password && !config.smtp_user) {
    throw new DeliveryError("The email channel has an SMTP password but no SMTP user: set the user (usually the account's email address).", false);
  }
  if (config.smtp_user && !config.smtp_password) {
    throw new DeliveryError(
      `The email channel has the SMTP user "${config.smtp_user}" but no password: set the password (or clear the user for a relay without login).`,
      false,
    );
  }
  if (config.smtp_security === 'none' && config.smtp_password && !isLoopbackHost(config.smtp_host)) {
    throw new DeliveryError(
      `The email channel would send its SMTP password in clear to ${config.smtp_host} (security "none"). Choose security "starttls" (port 587) or "tls" (port 465).`,
      false,
    );
  }
}

function messageIdOf(id: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'sentinel-backup.invalid';
  return `<sentinel-${id.replace(/[^A-Za-z0-9.-]/g, '')}@${domain}>`;
}

/** "250 2.0.0 queued as 1234", and the recipients the server refused when it took the others. */
function receiptOf(info: SMTPTransport.SentMessageInfo, config: EmailConfig): string {
  const bound = (text: string): string => {
    // Scrubbed before the line breaks are joined and the line is cut, so that no part of the password is left.
    const line = scrubSmtpSecrets(text, config.smtp_user, config.smtp_password)
      .replace(/\s*[\r\n]+\s*/g, ' ')
      .trim();
    return line.length > MAX_RECEIPT_CHARS ? `${line.slice(0, MAX_RECEIPT_CHARS)}…` : line;
  };
  const accepted = (info.accepted ?? []).map(String);
  const rejected = (info.rejected ?? []).map(String);
  let answer = bound(info.response ?? 'accepted');
  answer += ` (accepted for ${accepted.length} recipient${accepted.length === 1 ? '' : 's'}`;
  if (rejected.length) {
    const why = (info.rejectedErrors ?? []).map((e) => bound((e as { response?: string }).response ?? e.message));
    answer += `; REJECTED: ${rejected.join(', ')}${why.length ? `: ${why.join('; ')}` : ''}`;
  }
  return `${answer})`;
}
