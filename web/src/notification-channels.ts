/**
 * The notification channel form's plain parts: the events and types in words, the form's draft, and the
 * request body it becomes. A channel's secrets (every URL, the webhook's secret and header values, ntfy's
 * token, the SMTP password) are write-only: a draft of a stored channel starts with them empty, an empty
 * secret is left out of an update, so the service keeps the stored one, and null removes an optional one.
 */
import { ApiError } from './api/client';
import type { Channel, ChannelRequest, ChannelType, EventName } from './api/notifications';

export const CHANNEL_TYPES: readonly ChannelType[] = ['webhook', 'slack', 'discord', 'ntfy', 'email', 'ping'];

export const CHANNEL_TYPE_LABELS: Record<ChannelType, string> = {
  webhook: 'Webhook',
  slack: 'Slack',
  discord: 'Discord',
  ntfy: 'ntfy',
  email: 'Email',
  ping: 'Ping URL (dead-man’s switch)',
};

/** The events in the order the form lists them: failures first. */
export const EVENT_NAMES: readonly EventName[] = [
  'backup.failed',
  'backup.overdue',
  'verification.failed',
  'rotation.failed',
  'restore.failed',
  'replication.failed',
  'disk.low',
  'backup.succeeded',
  'replication.succeeded',
  'restore.staged',
  'restore.applied',
];

export const EVENT_LABELS: Record<EventName, string> = {
  'backup.failed': 'Backup failed',
  'backup.overdue': 'Backup overdue',
  'verification.failed': 'Verification failed',
  'rotation.failed': 'Rotation failed',
  'restore.failed': 'Restore failed',
  'disk.low': 'Local disk low',
  'backup.succeeded': 'Backup succeeded',
  'restore.staged': 'Restore staged',
  'restore.applied': 'Restore applied',
  'replication.failed': 'Replication failed',
  'replication.succeeded': 'Replication succeeded',
};

/** A new channel's events: every failure on, successes off (the service's own default). */
export const DEFAULT_EVENTS: readonly EventName[] = ['backup.failed', 'backup.overdue', 'verification.failed', 'rotation.failed', 'restore.failed', 'disk.low'];

/** A ping URL takes the start, success and failure of backups only. */
export const PING_EVENTS: readonly EventName[] = ['backup.failed', 'backup.succeeded'];

export type SmtpSecurity = 'none' | 'starttls' | 'tls';

export const SMTP_SECURITY_LABELS: Record<SmtpSecurity, string> = {
  starttls: 'STARTTLS (usually port 587)',
  tls: 'TLS from the start (usually port 465)',
  none: 'None (only on a trusted network)',
};

/** What the form holds: every field as typed (the service judges the values). */
export interface ChannelDraft {
  name: string;
  type: ChannelType;
  events: EventName[];
  enabled: boolean;
  url: string;
  /** null: remove the stored one (the optional secrets only). */
  secret: string | null;
  /** One `Name: value` a line; null: remove the stored headers. */
  headers: string | null;
  token: string | null;
  smtp_host: string;
  smtp_port: string;
  smtp_security: SmtpSecurity;
  smtp_user: string;
  smtp_password: string | null;
  from: string;
  /** Addresses separated by commas, spaces or lines. */
  to: string;
}

export function newDraft(type: ChannelType = 'webhook'): ChannelDraft {
  return {
    name: '',
    type,
    events: [...(type === 'ping' ? PING_EVENTS : DEFAULT_EVENTS)],
    enabled: true,
    url: '',
    secret: '',
    headers: '',
    token: '',
    smtp_host: '',
    smtp_port: '587',
    smtp_security: 'starttls',
    smtp_user: '',
    smtp_password: '',
    from: '',
    to: '',
  };
}

/** The write-only fields a stored channel can drop (null in the draft and in the request). */
export type RemovableSecret = 'secret' | 'headers' | 'token' | 'smtp_password';

/** A stored channel's draft: what the API returns, with every secret empty ("leave empty to keep"). */
export function draftOf(channel: Channel): ChannelDraft {
  const draft = { ...newDraft(channel.type), name: channel.name, events: [...channel.events], enabled: channel.enabled };
  if (channel.type === 'email') {
    draft.smtp_host = channel.smtp_host ?? '';
    draft.smtp_port = channel.smtp_port === null || channel.smtp_port === undefined ? '' : String(channel.smtp_port);
    draft.smtp_security = channel.smtp_security ?? 'starttls';
    draft.smtp_user = channel.smtp_user ?? '';
    draft.from = channel.from ?? '';
    draft.to = (channel.to ?? []).join(', ');
  }
  return draft;
}

/** Which of the draft's fields a channel type has. */
export function fieldsOf(type: ChannelType): ReadonlySet<keyof ChannelDraft> {
  switch (type) {
    case 'webhook':
      return new Set(['url', 'secret', 'headers']);
    case 'ntfy':
      return new Set(['url', 'token']);
    case 'email':
      return new Set(['smtp_host', 'smtp_port', 'smtp_security', 'smtp_user', 'smtp_password', 'from', 'to']);
    default:
      return new Set(['url']);
  }
}

/** The draft's own mistakes, found before anything is sent: only what the page parses itself (the headers). */
export type DraftErrors = Partial<Record<keyof ChannelDraft, string>>;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `Name: value` lines as a record; blank lines are skipped. Throws a message naming the bad line. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!HEADER_NAME.test(name)) {
      throw new Error(`Line ${index + 1} is not a header: write one “Name: value” a line.`);
    }
    headers[name] = line.slice(colon + 1).trim();
  });
  return headers;
}

export function parseRecipients(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The body of POST (new channel) or PUT (stored channel) for a draft, or the draft's own errors. An update
 * leaves out a secret left empty, and the headers when none are typed: the service keeps what it has.
 */
export function requestOf(draft: ChannelDraft, stored: boolean): { body: ChannelRequest } | { errors: DraftErrors } {
  const fields = fieldsOf(draft.type);
  const body: ChannelRequest = { name: draft.name.trim(), type: draft.type, events: [...draft.events], enabled: draft.enabled };
  if (fields.has('url') && (draft.url !== '' || !stored)) body.url = draft.url.trim();
  for (const key of ['secret', 'token', 'smtp_password'] as const) {
    const value = draft[key];
    if (!fields.has(key) || value === '') continue;
    if (value !== null) body[key] = value;
    else if (stored) body[key] = null;
  }
  if (fields.has('headers')) {
    if (draft.headers === null) {
      if (stored) body.headers = null;
    } else if (draft.headers.trim() !== '') {
      try {
        body.headers = parseHeaders(draft.headers);
      } catch (error) {
        return { errors: { headers: (error as Error).message } };
      }
    }
  }
  if (draft.type === 'email') {
    body.smtp_host = draft.smtp_host.trim();
    const port = draft.smtp_port.trim();
    // A number when it is one; otherwise as typed, for the service to say what is wrong with it.
    body.smtp_port = /^\d+$/.test(port) ? Number(port) : (port as unknown as number);
    body.smtp_security = draft.smtp_security;
    body.smtp_user = draft.smtp_user.trim() || null;
    body.from = draft.from.trim();
    body.to = parseRecipients(draft.to);
  }
  return { body };
}

/** The form field an API refusal concerns: the API names it in details.field ("to", "headers", "events"); undefined for any other error. */
export function draftFieldOf(error: unknown): keyof ChannelDraft | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const named = error.key ?? (typeof error.details.field === 'string' ? error.details.field : undefined);
  const key = named?.split(/[.[]/)[0];
  return key && key in newDraft() ? (key as keyof ChannelDraft) : undefined;
}
