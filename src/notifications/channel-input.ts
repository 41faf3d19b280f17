import type { BackupTarget } from '../common/backup-target.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { jsonType } from '../common/format.js';
import { CHANNEL_TYPES, type ChannelType, type SmtpSecurity } from './notification-channel.js';
import { DEFAULT_CHANNEL_EVENTS, isNotificationEventName, NOTIFICATION_EVENTS, type NotificationEventName } from './notification-events.js';
import { isLinkLocalHost, isLoopbackHost } from './host-address.js';
import { pingStyle } from './senders/ping-style.js';

/** A channel's secret fields: sealed at rest, never answered, never logged. */
export const SECRET_FIELDS = ['url', 'secret', 'headers', 'token', 'smtp_password'] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

/** What a channel of each type takes besides name, type, events, targets and enabled. */
export const TYPE_FIELDS: Record<ChannelType, readonly string[]> = {
  webhook: ['url', 'secret', 'headers'],
  slack: ['url'],
  discord: ['url'],
  ntfy: ['url', 'token'],
  ping: ['url'],
  email: ['smtp_host', 'smtp_port', 'smtp_security', 'smtp_user', 'smtp_password', 'from', 'to'],
};

/** A ping channel pings the URL on success and /fail on a failure: it takes backup.succeeded and the failure events. */
export const PING_EVENTS: readonly NotificationEventName[] = ['backup.succeeded', ...DEFAULT_CHANNEL_EVENTS];
export const DEFAULT_PING_EVENTS: readonly NotificationEventName[] = ['backup.succeeded', 'backup.failed'];

/** The non-secret part of a channel's configuration, stored in clear and shown by the API. */
export interface ChannelSettings {
  url_host?: string;
  ping_style?: 'healthchecks' | 'uptime-kuma' | 'cronitor';
  header_names?: string[];
  smtp_host?: string;
  smtp_port?: number;
  smtp_security?: SmtpSecurity;
  smtp_user?: string | null;
  from?: string;
  to?: string[];
}

/** A secret field's new value: a string to seal, null to remove it; a field left out keeps its stored value. */
export type SecretChanges = Partial<Record<SecretField, string | null>>;

export interface ChannelChange {
  name: string;
  type: ChannelType;
  events: NotificationEventName[];
  targets: BackupTarget[] | null;
  enabled: boolean;
  settings: ChannelSettings;
  secrets: SecretChanges;
}

/** What PUT starts from: the stored channel's clear fields, and which secrets it has. */
export interface ChannelBase {
  name: string;
  type: ChannelType;
  events: NotificationEventName[];
  targets: BackupTarget[] | null;
  enabled: boolean;
  settings: ChannelSettings;
  secretsSet: SecretField[];
}

const MAX_HEADERS = 20;
const MAX_RECIPIENTS = 20;
/** Headers the service sets itself, or that the HTTP client owns: a custom header must not replace them. */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  'transfer-encoding',
  'connection',
  'user-agent',
  'expect',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** Visible ASCII, space and tab: no CR or LF (header injection), no other control character. */
const HEADER_VALUE = /^[\t\x20-\x7e]{0,2048}$/;
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;
const HOSTNAME =
  /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$|^\[[0-9a-fA-F:.]+\]$|^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$/;

/** Why a link-local address is refused (docs/notifications.md, "Receivers on your network"). */
const LINK_LOCAL = (field: string) =>
  `${field} is a link-local address (169.254.0.0/16, fe80::/10), where cloud metadata services live and no receiver does: give the receiver's own address (LAN addresses are fine)`;

/** The host as a URL normalizes it (2852039166 or 0xa9.0xfe.0xa9.0xfe: 169.254.169.254), as the resolver would read it. */
function normalizedHost(host: string): string {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return host;
  }
}

function invalid(field: string, message: string): DomainError {
  return new DomainError(ErrorCode.InvalidInput, message, { field });
}

/**
 * Checks a create (base undefined) or a partial update (base: the stored channel) and returns the channel's new
 * state. Every refusal is a 400 that names the field; a secret's value is never quoted in it. `targetIds` are the
 * targets there are (local, r2 and the added ones), which a `targets` filter may name.
 */
export function parseChannelInput(body: Record<string, unknown>, targetIds: readonly BackupTarget[], base?: ChannelBase): ChannelChange {
  const type = parseType(body.type, base?.type);
  const allowed = TYPE_FIELDS[type];
  for (const field of Object.keys(body)) {
    if (['name', 'type', 'events', 'targets', 'enabled'].includes(field) || allowed.includes(field)) continue;
    throw invalid(field, `${field} is not a field of a ${type} channel: it takes ${allowed.join(', ')} (besides name, events, targets, enabled)`);
  }
  const name = body.name === undefined && base ? base.name : parseName(body.name);
  const events =
    body.events === undefined ? (base?.events ?? [...(type === 'ping' ? DEFAULT_PING_EVENTS : DEFAULT_CHANNEL_EVENTS)]) : parseEvents(body.events, type);
  const targets = body.targets === undefined ? (base?.targets ?? null) : parseTargets(body.targets, targetIds);
  const enabled = body.enabled === undefined ? (base?.enabled ?? true) : parseBoolean('enabled', body.enabled);
  const settings: ChannelSettings = { ...(base?.settings ?? {}) };
  const secrets: SecretChanges = {};
  const has = (field: SecretField) => (field in secrets ? secrets[field] != null : (base?.secretsSet.includes(field) ?? false));

  if (type === 'email') {
    parseEmailFields(body, settings, secrets, base === undefined);
    // The settings EmailSender refuses at send time (refuseUnsafeSettings), refused here already, on create and PUT alike.
    if (settings.smtp_user == null && has('smtp_password')) {
      throw invalid('smtp_user', 'smtp_password is set but smtp_user is not: give the SMTP user too, or set smtp_password to null');
    }
    if (settings.smtp_user != null && !has('smtp_password')) {
      throw invalid(
        'smtp_password',
        'smtp_user is set but smtp_password is not: give the SMTP password, or set smtp_user to null for a relay that takes mail without login',
      );
    }
    if (settings.smtp_security === 'none' && has('smtp_password') && !isLoopbackHost(settings.smtp_host ?? '')) {
      throw invalid(
        'smtp_security',
        `smtp_security none would send the SMTP password in clear to ${settings.smtp_host}: choose starttls (port 587) or tls (port 465); none with a password is only for a relay on this machine (localhost, 127.0.0.1)`,
      );
    }
  } else {
    if (body.url !== undefined || !base) {
      const url = parseUrl(body.url, type);
      secrets.url = url.href;
      settings.url_host = `${url.protocol}//${url.host}`;
      if (type === 'ping') settings.ping_style = pingStyle(url);
    }
    if (type === 'webhook') {
      if (body.secret !== undefined) secrets.secret = parseOptionalSecret('secret', body.secret, 1024);
      if (body.headers !== undefined) {
        const headers = parseHeaders(body.headers);
        secrets.headers = headers === null ? null : JSON.stringify(headers);
        settings.header_names = headers === null ? [] : Object.keys(headers);
      }
      settings.header_names ??= [];
    }
    if (type === 'ntfy' && body.token !== undefined) secrets.token = parseOptionalSecret('token', body.token, 1024);
  }
  return { name, type, events, targets, enabled, settings, secrets };
}

function parseType(value: unknown, stored: ChannelType | undefined): ChannelType {
  if (stored !== undefined) {
    if (value !== undefined && value !== stored) {
      throw invalid('type', `type cannot change (the channel is a ${stored} channel): delete it and create a new one`);
    }
    return stored;
  }
  if (value === undefined) throw invalid('type', `type is missing: one of ${CHANNEL_TYPES.join(', ')}`);
  if (typeof value !== 'string' || !(CHANNEL_TYPES as readonly string[]).includes(value)) {
    throw invalid('type', `type must be one of ${CHANNEL_TYPES.join(', ')} (got ${typeof value === 'string' ? `'${value.slice(0, 40)}'` : jsonType(value)})`);
  }
  return value as ChannelType;
}

/** Control characters, line and paragraph separators, and format characters (zero-width, bidi overrides such as U+202E). */
const INVISIBLE_IN_NAME = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
/** A letter, digit, punctuation mark or symbol: what makes a name visible (not only spaces or combining marks). */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

function parseName(value: unknown): string {
  if (value === undefined) throw invalid('name', 'name is missing: give the channel a name of 1 to 100 characters');
  if (typeof value !== 'string' || value.trim().length === 0 || value.trim().length > 100 || /[\x00-\x1f\x7f]/.test(value)) {
    throw invalid(
      'name',
      `name must be 1 to 100 characters without control characters (got ${typeof value === 'string' ? `${value.trim().length} characters` : jsonType(value)})`,
    );
  }
  // A name is shown in the page, the log and every message: one that reads differently from what it holds
  // (a right-to-left override) or shows nothing (zero-width characters) would mislead whoever reads them.
  if (!VISIBLE.test(value)) throw invalid('name', 'name must have at least one visible character (a letter, digit or sign), not only spaces');
  if (INVISIBLE_IN_NAME.test(value)) {
    throw invalid('name', 'name holds an invisible formatting character (zero-width, or a text direction override such as U+202E): remove it');
  }
  return value.trim();
}

function parseEvents(value: unknown, type: ChannelType): NotificationEventName[] {
  if (!Array.isArray(value)) throw invalid('events', `events must be an array of event names (got ${jsonType(value)}): ${NOTIFICATION_EVENTS.join(', ')}`);
  for (const event of value) {
    if (!isNotificationEventName(event)) {
      const shown = typeof event === 'string' ? `'${event.slice(0, 40)}'` : jsonType(event);
      throw invalid('events', `events holds ${shown}, which is not an event name: use ${NOTIFICATION_EVENTS.join(', ')}`);
    }
    if (type === 'ping' && !PING_EVENTS.includes(event)) {
      throw invalid(
        'events',
        `A ping channel cannot take ${event}: it pings the URL on backup.succeeded and /fail on a failure event (${PING_EVENTS.join(', ')})`,
      );
    }
  }
  return [...new Set(value as NotificationEventName[])];
}

function parseTargets(value: unknown, targetIds: readonly BackupTarget[]): BackupTarget[] | null {
  if (value === null) return null;
  const existing = targetIds.map((id) => `'${id}'`).join(', ');
  if (!Array.isArray(value) || value.length === 0 || value.some((target) => typeof target !== 'string')) {
    throw invalid('targets', `targets must be a non-empty array of target ids (${existing}), or null for every target`);
  }
  const unknown = (value as string[]).find((target) => !targetIds.includes(target));
  if (unknown !== undefined) {
    const shown = JSON.stringify(unknown.length > 40 ? `${unknown.slice(0, 37)}...` : unknown);
    throw invalid('targets', `targets names ${shown}, which is no target: use ids of existing targets (${existing}), or null for every target`);
  }
  return [...new Set(value as BackupTarget[])];
}

function parseBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(field, `${field} must be true or false (got ${jsonType(value)})`);
  return value;
}

/** An http(s) URL without credentials in it; the error names the field and never quotes the URL (it may hold a token). */
function parseUrl(value: unknown, type: ChannelType): URL {
  const what = {
    webhook: 'the webhook URL',
    slack: 'the Slack incoming webhook URL (https://hooks.slack.com/services/...)',
    discord: 'the Discord webhook URL (https://discord.com/api/webhooks/...)',
    ntfy: 'the ntfy topic URL (https://ntfy.sh/your-topic)',
    ping: 'the ping URL of the check (https://hc-ping.com/<uuid>, an Uptime Kuma push URL, ...)',
    email: 'a URL',
  }[type];
  if (value === undefined) throw invalid('url', `url is missing: give ${what}`);
  if (typeof value !== 'string' || value.length > 2048) throw invalid('url', `url must be ${what}, a string of at most 2048 characters`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw invalid('url', `url is not a URL: give ${what}, starting with https://`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid('url', `url must be an http(s) URL (it starts with ${url.protocol.slice(0, 20)}): give ${what}`);
  }
  if (url.username || url.password) {
    throw invalid('url', 'url must not hold a user name or password (user:password@host): for a webhook put credentials in headers, for ntfy use token');
  }
  if (url.port === '0') throw invalid('url', 'url has port 0, which no receiver listens on: give the port of the receiver, or none for 80/443');
  if (isLinkLocalHost(url.hostname)) throw invalid('url', LINK_LOCAL('url'));
  url.hash = '';
  return url;
}

function parseOptionalSecret(field: string, value: unknown, max: number): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalid(
      field,
      `${field} must be a string of 1 to ${max} characters, or null to remove it (got ${typeof value === 'string' ? `${value.length} characters` : jsonType(value)})`,
    );
  }
  if (field === 'token' && !HEADER_VALUE.test(value)) throw invalid(field, 'token must be printable ASCII (it is sent in a header)');
  return value;
}

function parseHeaders(value: unknown): Record<string, string> | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalid('headers', `headers must be an object of header names to values (got ${jsonType(value)})`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) throw invalid('headers', `headers holds ${entries.length} headers: at most ${MAX_HEADERS}`);
  const seen = new Set<string>();
  for (const [name, headerValue] of entries) {
    const shown = JSON.stringify(name.slice(0, 40));
    if (!HEADER_NAME.test(name)) throw invalid('headers', `headers: ${shown} is not a valid HTTP header name (letters, digits and !#$%&'*+.^_\`|~- only)`);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-sentinel-')) {
      throw invalid('headers', `headers: ${shown} is set by the service itself (Content-Type, User-Agent, X-Sentinel-*) or by HTTP: remove it`);
    }
    if (seen.has(lower)) throw invalid('headers', `headers: ${shown} is given twice (header names are case-insensitive)`);
    seen.add(lower);
    if (typeof headerValue !== 'string' || !HEADER_VALUE.test(headerValue)) {
      throw invalid('headers', `headers: the value of ${shown} must be a string of printable ASCII (no line breaks), at most 2048 characters`);
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * An address, or a display name and an address in angle brackets: "Sentinel Backup <sentinel@example.com>" or
 * "\"Backups, Inc.\" <sentinel@example.com>". An unquoted name cannot hold , ; : " < > \ or @ (nodemailer would read a
 * comma as a second address); any name holds no control or invisible formatting character.
 */
function isSenderAddress(value: string): boolean {
  if (EMAIL.test(value)) return true;
  const named = /^(?:"([^"\\]{1,100})"|([^"<>,;:\\@]{1,100}?))\s*<([^<>]+)>$/.exec(value);
  if (!named) return false;
  const name = named[1] ?? named[2];
  return !INVISIBLE_IN_NAME.test(name) && VISIBLE.test(name) && EMAIL.test(named[3]);
}

function parseEmailFields(body: Record<string, unknown>, settings: ChannelSettings, secrets: SecretChanges, creating: boolean): void {
  const missing = (field: string, what: string) => invalid(field, `${field} is missing: an email channel needs ${what}`);
  if (body.smtp_host !== undefined || creating) {
    const host = body.smtp_host;
    if (host === undefined) throw missing('smtp_host', 'the SMTP server (smtp_host)');
    if (typeof host !== 'string' || !HOSTNAME.test(host.trim()))
      throw invalid('smtp_host', 'smtp_host must be a host name or IP address, without scheme or port (smtp.example.com)');
    if (isLinkLocalHost(normalizedHost(host.trim()))) throw invalid('smtp_host', LINK_LOCAL('smtp_host'));
    settings.smtp_host = host.trim();
  }
  if (body.smtp_port !== undefined || creating) {
    const port = body.smtp_port;
    if (port === undefined) throw missing('smtp_port', 'the SMTP port (smtp_port: 587 for starttls, 465 for tls)');
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw invalid('smtp_port', `smtp_port must be a whole number from 1 to 65535 (got ${typeof port === 'number' ? port : jsonType(port)})`);
    }
    settings.smtp_port = port;
  }
  if (body.smtp_security !== undefined || creating) {
    const security = body.smtp_security;
    if (security === undefined) throw missing('smtp_security', 'smtp_security: starttls, tls or none');
    if (security !== 'none' && security !== 'starttls' && security !== 'tls') throw invalid('smtp_security', 'smtp_security must be none, starttls or tls');
    settings.smtp_security = security;
  }
  if (body.smtp_user !== undefined) {
    const user = body.smtp_user;
    if (user !== null && (typeof user !== 'string' || user.length === 0 || user.length > 256 || /[\x00-\x1f\x7f]/.test(user))) {
      throw invalid('smtp_user', 'smtp_user must be 1 to 256 characters without control characters, or null for no authentication');
    }
    settings.smtp_user = user;
  }
  settings.smtp_user ??= null;
  if (body.smtp_password !== undefined) secrets.smtp_password = parseOptionalSecret('smtp_password', body.smtp_password, 1024);
  if (body.from !== undefined || creating) {
    if (body.from === undefined) throw missing('from', 'a sender address (from)');
    if (typeof body.from !== 'string' || !isSenderAddress(body.from.trim())) {
      throw invalid('from', 'from must be an email address (sentinel@example.com), or a name and an address (Sentinel Backup <sentinel@example.com>)');
    }
    settings.from = body.from.trim();
  }
  if (body.to !== undefined || creating) {
    const to = body.to;
    if (to === undefined) throw missing('to', 'one or more recipient addresses (to)');
    if (!Array.isArray(to) || to.length === 0 || to.length > MAX_RECIPIENTS)
      throw invalid('to', `to must be an array of 1 to ${MAX_RECIPIENTS} email addresses`);
    for (const address of to) {
      if (typeof address !== 'string' || !EMAIL.test(address.trim())) {
        throw invalid('to', `to holds ${typeof address === 'string' ? `'${address.slice(0, 60)}'` : jsonType(address)}, which is not an email address`);
      }
    }
    settings.to = [...new Set((to as string[]).map((address) => address.trim()))];
  }
}
