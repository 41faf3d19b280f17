import { formatDuration } from '../../common/format.js';
import type { SmtpSecurity } from '../notification-channel.js';
import { DeliveryError } from './channel-sender.js';

/** What a failure message may name about the channel: never its password. */
export interface SmtpFailureContext {
  host: string;
  port: number;
  security: SmtpSecurity;
  user: string | null;
  /** The password: scrubbed, with its base64 forms, from any server answer quoted. */
  password: string | null;
  timeouts: { connectionMs: number; greetingMs: number; socketMs: number };
}

/** The fields of a nodemailer error (smtp-connection's _formatError) and of the Node socket error under it. */
interface NodemailerError {
  name?: string;
  message?: string;
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  timeoutType?: string;
}

/** Longest excerpt of a server answer kept in a message (a hostile server may send a megabyte). */
const MAX_ANSWER_CHARS = 300;

/**
 * The password and what an AUTH exchange makes of it (AUTH LOGIN sends base64(password), AUTH PLAIN
 * base64("\0user\0password")), replaced wherever they appear: a server may echo what it was sent.
 */
export function scrubSmtpSecrets(text: string, user: string | null, password: string | null): string {
  if (!password) return text;
  const forms = [
    password,
    Buffer.from(password).toString('base64'),
    Buffer.from(`\u0000${user ?? ''}\u0000${password}`).toString('base64'),
    Buffer.from(`${user ?? ''}\u0000${user ?? ''}\u0000${password}`).toString('base64'),
    encodeURIComponent(password),
  ];
  let out = text;
  for (const form of forms) if (form) out = out.split(form).join('***');
  return out;
}

/**
 * The server's answer, one line, bounded, secret-free; null when the server said nothing. Scrubbed whole before
 * it is joined and cut: a cut first would leave the start of a password that straddles it.
 */
function answerOf(error: NodemailerError, ctx: SmtpFailureContext): string | null {
  if (typeof error.response !== 'string' || !error.response.trim()) return null;
  const line = scrubSmtpSecrets(error.response, ctx.user, ctx.password)
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim();
  return line.length > MAX_ANSWER_CHARS ? `${line.slice(0, MAX_ANSWER_CHARS)}…` : line;
}

const NODEMAILER_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROTOCOL',
  'EENVELOPE',
  'EMESSAGE',
  'EAUTH',
  'ENOAUTH',
  'EABORT',
  'ESTREAM',
]);

const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
]);

/**
 * Turns a nodemailer failure into what the delivery log and the Test button show: what went wrong, in
 * words, with what to do, the server's reply code and text when it answered, and whether trying again can
 * help. Refused authentication, a rejected address, an untrusted certificate: the channel's settings must
 * change, so the outbox gives up at once; a server that is down, slow or busy (4xx) is tried again.
 */
export function describeSmtpFailure(raw: unknown, ctx: SmtpFailureContext): DeliveryError {
  const error = (raw ?? {}) as NodemailerError;
  const where = `the SMTP server ${ctx.host}:${ctx.port}`;
  const answer = answerOf(error, ctx);
  const replied = answer ? ` It answered: "${answer}".` : '';
  const code = error.code ?? '';
  // nodemailer replaces a socket error's code with its own (ESOCKET, EDNS...) and keeps the first in originalCode.
  const socketCode = error.originalCode ?? (NODEMAILER_CODES.has(code) ? '' : code);
  const rawMessage = scrubSmtpSecrets(error.message ?? '', ctx.user, ctx.password);
  const fail = (message: string, retryable: boolean): DeliveryError => new DeliveryError(message, retryable, answer);
  const reply = error.responseCode ?? 0;

  if (error.name === 'AbortError' || code === 'EABORT') {
    return fail(`Sending to ${where} was cancelled before the server accepted the message (the delivery's time ran out); it will be tried again.`, true);
  }

  // TLS: the certificate, the host name in it, a port that speaks the other kind of TLS, a refused STARTTLS.
  const tlsCode = [error.originalCode, code].find((c) => c && (TLS_UNTRUSTED.has(c) || /^ERR_(TLS|SSL)_|^CERT_/.test(c))) ?? '';
  if (tlsCode === 'ERR_TLS_CERT_ALTNAME_INVALID' || /does not match certificate's altnames/i.test(rawMessage)) {
    return fail(
      `The TLS certificate of ${where} is not valid for the name "${ctx.host}" (${tlsCode || 'hostname mismatch'}). Use the host name the certificate was issued for (the one your provider documents), not an IP address or another alias.`,
      false,
    );
  }
  if (TLS_UNTRUSTED.has(tlsCode) || /self[- ]signed certificate|unable to (verify|get) (the first|local issuer)/i.test(rawMessage)) {
    return fail(
      `The TLS certificate of ${where} is not trusted (${tlsCode || 'untrusted certificate'}): it is self-signed or issued by a private CA. Make Sentinel trust that CA: put its certificate (PEM) in a file and start the service with NODE_EXTRA_CA_CERTS=<that file> (docs/notifications.md, "Trusting a private CA").`,
      false,
    );
  }
  if (tlsCode === 'CERT_HAS_EXPIRED' || tlsCode === 'CERT_NOT_YET_VALID') {
    return fail(
      `The TLS certificate of ${where} ${tlsCode === 'CERT_HAS_EXPIRED' ? 'has expired' : "is not valid yet (check this machine's clock)"} (${tlsCode}). The server's certificate must be renewed; delivery is tried again meanwhile.`,
      true,
    );
  }
  if (
    /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST|UNKNOWN_PROTOCOL)/.test(tlsCode) ||
    /wrong version number|packet length too long/i.test(rawMessage)
  ) {
    return fail(
      `${capital(where)} did not answer with TLS (${tlsCode || 'not a TLS server'}): security "tls" is implicit TLS, usually port 465. On ports 587 and 25 the server starts in plain text: choose security "starttls".`,
      false,
    );
  }
  if (code === 'ETLS' && error.command === 'STARTTLS' && answer) {
    return fail(
      `${capital(where)} does not offer STARTTLS (security "starttls" requires it, so that the password and the message never cross the network in clear).${replied} If the port is 465, choose security "tls"; otherwise ask the provider for its submission port with STARTTLS (usually 587).`,
      false,
    );
  }
  if (code === 'ETLS' || tlsCode) {
    return fail(
      `The TLS connection to ${where} failed (${tlsCode || rawMessage || 'TLS error'}).${replied} Check the port and the security mode (465: "tls", 587: "starttls").`,
      true,
    );
  }

  if (code === 'EAUTH' || code === 'ENOAUTH') {
    if (reply >= 400 && reply < 500) {
      return fail(`${capital(where)} could not check the login for now (reply ${reply}).${replied} It will be tried again.`, true);
    }
    return fail(
      `${capital(where)} refused the login${ctx.user ? ` of user "${ctx.user}"` : ''}${reply ? ` (reply ${reply})` : ''}.${replied} Check the SMTP user and password; providers with two-factor sign-in (Gmail, Outlook, iCloud, Fastmail) need an app password, not the account's password.`,
      false,
    );
  }

  if (code === 'EDNS' || socketCode === 'ENOTFOUND' || socketCode === 'EAI_AGAIN') {
    return fail(`The SMTP host "${ctx.host}" was not found (DNS: ${socketCode || 'no address'}). Check the host name and this machine's DNS.`, true);
  }
  if (socketCode === 'ECONNREFUSED') {
    return fail(
      `Nothing accepts connections on ${ctx.host}:${ctx.port} (connection refused). Check the host and the port (587 for STARTTLS, 465 for TLS, 25 for a relay) and that the mail server is running.`,
      true,
    );
  }
  if (socketCode === 'EHOSTUNREACH' || socketCode === 'ENETUNREACH') {
    return fail(`There is no network route to ${ctx.host} (${socketCode}). Check this machine's network connection.`, true);
  }
  if (code === 'ETIMEDOUT' || socketCode === 'ETIMEDOUT') {
    if (error.timeoutType === 'GREETING_TIMEOUT') {
      const hint = ctx.security === 'tls' ? '' : ` If the port is 465, the server expects TLS from the first byte: choose security "tls".`;
      return fail(`${capital(where)} accepted the connection but never greeted within ${formatDuration(ctx.timeouts.greetingMs)} (timeout).${hint}`, true);
    }
    if (error.timeoutType === 'UPGRADE_TIMEOUT') {
      return fail(
        `The TLS handshake with ${where} did not finish within ${formatDuration(ctx.timeouts.greetingMs)} (timeout). Check the port and the security mode.`,
        true,
      );
    }
    if (error.timeoutType === 'SOCKET_TIMEOUT') {
      return fail(`${capital(where)} stopped answering for ${formatDuration(ctx.timeouts.socketMs)} (timeout); it will be tried again.`, true);
    }
    return fail(
      `Could not connect to ${where} within ${formatDuration(ctx.timeouts.connectionMs)} (timeout): a firewall may drop the port (many hosting providers block port 25). Check the host, the port and the network.`,
      true,
    );
  }

  // The server answered a command with a refusal.
  if (code === 'EENVELOPE' && error.command === 'RCPT TO') {
    const permanent = !(reply >= 400 && reply < 500);
    return fail(
      `${capital(where)} rejected the recipient${reply ? ` (reply ${reply})` : ''}.${replied} ${permanent ? 'Check the addresses in "to"; a relay may also refuse to send outside its own domain without a login (set the SMTP user and password).' : 'It will be tried again.'}`,
      !permanent,
    );
  }
  if (code === 'EENVELOPE' && error.command === 'MAIL FROM') {
    if (reply === 530) {
      return fail(`${capital(where)} requires a login before it sends mail (reply 530).${replied} Set the SMTP user and password.`, false);
    }
    const permanent = !(reply >= 400 && reply < 500);
    return fail(
      `${capital(where)} refused the sender address${reply ? ` (reply ${reply})` : ''}.${replied} ${permanent ? 'Set "from" to an address this account may send as (usually the account\'s own address).' : 'It will be tried again.'}`,
      !permanent,
    );
  }
  if (code === 'EMESSAGE' && (reply === 552 || reply === 523 || /size|too large|larger than allowed/i.test(rawMessage))) {
    return fail(
      `${capital(where)} refused the message as too large${reply ? ` (reply ${reply})` : ''}.${replied} The server's size limit is below this notification's size; raise the limit or use another server.`,
      false,
    );
  }
  if (reply === 530) {
    return fail(`${capital(where)} requires a login (reply 530).${replied} Set the SMTP user and password.`, false);
  }
  if (reply === 538) {
    return fail(`${capital(where)} requires encryption before a login (reply 538).${replied} Choose security "starttls".`, false);
  }
  if (reply >= 500 && reply !== 503) {
    return fail(`${capital(where)} refused the message (reply ${reply}).${replied} Check the channel's settings against the provider's.`, false);
  }
  if (reply >= 400) {
    return fail(`${capital(where)} is not accepting mail for now (reply ${reply}).${replied} It will be tried again.`, true);
  }
  if (socketCode === 'ECONNRESET' || socketCode === 'EPIPE' || code === 'ECONNECTION' || code === 'ESOCKET') {
    return fail(
      `The connection to ${where} was cut before the message was accepted (${socketCode || code}).${replied} Check the port and security mode if this repeats; it will be tried again.`,
      true,
    );
  }
  return fail(`Sending to ${where} failed (${code || error.name || 'error'}: ${rawMessage || 'no details'}). It will be tried again.`, true);
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
