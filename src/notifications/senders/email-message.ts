import { targetLabel } from '../../common/backup-target.js';
import { formatBytes } from '../../common/format.js';
import type { Notification } from '../notification.js';
import type { NotificationSeverity } from '../notification-events.js';

/** What an email channel sends: one subject, a plain-text part and an HTML part that say the same. */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

/** The subject's mark, so that a failure stands out in a list of mails; a "works again" message gets a tick. */
const SEVERITY_MARK: Record<NotificationSeverity, string> = { critical: '✖', warning: '⚠', info: 'ℹ' };
const SEVERITY_COLOUR: Record<NotificationSeverity, string> = { critical: '#b42318', warning: '#b54708', info: '#175cd3' };
const RESOLVED_COLOUR = '#067647';

/** Bounds what event details may add to a mail (a verdict over thousands of rows must not make it too large to send). */
const MAX_LIST_ITEMS = 50;
const MAX_VALUE_CHARS = 2000;
const MAX_LOG_LINES = 30;

/**
 * Renders a notification as an email. Both parts carry the same facts (what happened, what to do, target,
 * time, error code, last success, the page's link, the event's details, recent log lines), so a reader of
 * either misses nothing. Every value inserted in the HTML part is escaped: messages quote file names and
 * server answers, which may hold markup.
 */
export function renderEmail(notification: Notification, channelName: string): EmailMessage {
  const facts = factsOf(notification);
  const resolved = notification.resolves !== null;
  const isTest = notification.event === 'test';
  const mark = resolved ? '✔' : SEVERITY_MARK[notification.severity];
  const title = oneLine(notification.title);
  const subjectTitle = isTest && !/\btest\b/i.test(title) ? `Test: ${title}` : title;
  const intro = isTest ? 'This is a test message: the email channel works. Nothing happened to your backups.' : resolved ? 'A problem has ended.' : null;
  const footer = `Sent by Sentinel Backup through the email channel "${channelName}". Choose its events, or delete it, on the admin page.`;

  const text = [
    notification.title,
    '',
    ...(intro ? [intro, ''] : []),
    `What happened: ${notification.message}`,
    ...(notification.hint ? [`What to do: ${notification.hint}`] : []),
    '',
    ...facts.map(([label, value]) => `${label}: ${value}`),
    ...(notification.link ? [`Admin page: ${notification.link}`] : []),
    ...detailsText(notification.details),
    ...logText(notification.log_lines),
    '',
    '-- ',
    footer,
    '',
  ].join('\n');

  const colour = resolved ? RESOLVED_COLOUR : SEVERITY_COLOUR[notification.severity];
  const link = safeLink(notification.link);
  const html = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark"></head>',
    '<body style="font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; line-height: 1.45; margin: 0; padding: 16px;">',
    `<div style="border-left: 4px solid ${colour}; padding-left: 12px; max-width: 720px;">`,
    `<h1 style="font-size: 18px; margin: 0 0 12px 0; color: ${colour};">${escapeHtml(notification.title)}</h1>`,
    ...(intro ? [`<p><strong>${escapeHtml(intro)}</strong></p>`] : []),
    `<p><strong>What happened:</strong> ${escapeHtml(notification.message)}</p>`,
    ...(notification.hint ? [`<p><strong>What to do:</strong> ${escapeHtml(notification.hint)}</p>`] : []),
    '<table style="border-collapse: collapse; margin: 8px 0;">',
    ...facts.map(([label, value]) => row(label, escapeHtml(value))),
    ...(link ? [row('Admin page', `<a href="${escapeHtml(link)}">${escapeHtml(link)}</a>`)] : []),
    '</table>',
    ...detailsHtml(notification.details),
    ...logHtml(notification.log_lines),
    `<p style="color: #667085; font-size: 12px; margin-top: 16px;">${escapeHtml(footer)}</p>`,
    '</div></body></html>',
    '',
  ].join('\n');

  return { subject: `[Sentinel] ${mark} ${subjectTitle}`, text, html };
}

/** The facts every message lists, as label and value, in this order. */
function factsOf(n: Notification): Array<[string, string]> {
  const facts: Array<[string, string]> = [];
  facts.push(['Target', n.target ? targetLabel(n.target) : 'none']);
  facts.push(['Time', readableTime(n.time)]);
  if (n.error_code) facts.push(['Error code', n.error_code]);
  if (n.target) facts.push(['Last successful backup', n.last_success ? readableTime(n.last_success) : 'none yet']);
  if (n.resolves) {
    facts.push(['Ends', `${n.resolves.event}: ${n.resolves.failures} failure${n.resolves.failures === 1 ? '' : 's'} since ${readableTime(n.resolves.since)}`]);
  }
  facts.push(['Event', n.event]);
  return facts;
}

/** "2026-12-02 00:13:21 UTC": unambiguous for a reader in any zone. A value that is not a date is shown as it is. */
function readableTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A subject is one header line: line breaks and other control characters in a title become spaces. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/** Only http(s) links become anchors (SENTINEL_PUBLIC_URL is checked at start; this keeps `javascript:` out anyway). */
function safeLink(link: string | null): string | null {
  return link && /^https?:\/\//i.test(link) ? link : null;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function row(label: string, valueHtml: string): string {
  return `<tr><th style="text-align: left; padding: 2px 12px 2px 0; vertical-align: top; white-space: nowrap;">${escapeHtml(label)}</th><td style="padding: 2px 0;">${valueHtml}</td></tr>`;
}

/** "checksum_ok" and "checksumOk" read as "checksum ok". */
function labelOf(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .trim();
}

function scalar(key: string, value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'number' && /bytes$/i.test(key) && Number.isFinite(value)) return `${formatBytes(value)} (${value} bytes)`;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}… (${text.length - MAX_VALUE_CHARS} more characters)` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object of scalars on one line: "filename: users.db, checksum ok: yes, message: ok". */
function inline(item: unknown): string {
  if (!isPlainObject(item)) return scalar('', item);
  return Object.entries(item)
    .map(([k, v]) => `${labelOf(k)}: ${scalar(k, v)}`)
    .join(', ');
}

function bounded<T>(items: T[]): { shown: T[]; more: number } {
  return { shown: items.slice(0, MAX_LIST_ITEMS), more: Math.max(0, items.length - MAX_LIST_ITEMS) };
}

/** The event's details, any shape: scalars as "label: value", lists one item a line (a verdict per database), objects indented. */
function detailsText(details: Record<string, unknown>): string[] {
  const entries = Object.entries(details ?? {}).filter(([, v]) => v !== undefined);
  if (!entries.length) return [];
  const lines = ['', 'Details:'];
  const walk = (obj: Record<string, unknown>, indent: string): void => {
    for (const [key, value] of Object.entries(obj)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        const { shown, more } = bounded(value);
        lines.push(`${indent}${labelOf(key)}:${shown.length ? '' : ' none'}`);
        for (const item of shown) lines.push(`${indent}  - ${inline(item)}`);
        if (more) lines.push(`${indent}  … and ${more} more`);
      } else if (isPlainObject(value)) {
        lines.push(`${indent}${labelOf(key)}:`);
        walk(value, `${indent}  `);
      } else {
        lines.push(`${indent}${labelOf(key)}: ${scalar(key, value)}`);
      }
    }
  };
  walk(details, '  ');
  return lines;
}

function detailsHtml(details: Record<string, unknown>): string[] {
  if (!Object.values(details ?? {}).some((v) => v !== undefined)) return [];
  const walk = (obj: Record<string, unknown>): string => {
    const items = Object.entries(obj)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => {
        const label = `<strong>${escapeHtml(labelOf(key))}:</strong>`;
        if (Array.isArray(value)) {
          const { shown, more } = bounded(value);
          if (!shown.length) return `<li>${label} none</li>`;
          const list = shown.map((item) => `<li>${escapeHtml(inline(item))}</li>`).join('');
          return `<li>${label}<ul>${list}${more ? `<li>… and ${more} more</li>` : ''}</ul></li>`;
        }
        if (isPlainObject(value)) return `<li>${label}${walk(value)}</li>`;
        return `<li>${label} ${escapeHtml(scalar(key, value))}</li>`;
      });
    return `<ul style="margin: 4px 0; padding-left: 20px;">${items.join('')}</ul>`;
  };
  return ['<h2 style="font-size: 15px; margin: 16px 0 4px 0;">Details</h2>', walk(details)];
}

function logText(lines: string[]): string[] {
  if (!lines?.length) return [];
  return ['', 'Recent log lines:', ...lines.slice(-MAX_LOG_LINES).map((line) => `  ${line}`)];
}

function logHtml(lines: string[]): string[] {
  if (!lines?.length) return [];
  return [
    '<h2 style="font-size: 15px; margin: 16px 0 4px 0;">Recent log lines</h2>',
    `<pre style="font-size: 12px; white-space: pre-wrap; background: #f2f4f7; color: #101828; padding: 8px;">${escapeHtml(lines.slice(-MAX_LOG_LINES).join('\n'))}</pre>`,
  ];
}
