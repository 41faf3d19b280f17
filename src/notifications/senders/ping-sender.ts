import { Injectable } from '@nestjs/common';
import type { Notification } from '../notification.js';
import type { NotificationChannel } from '../notification-channel.js';
import type { ChannelSender, DeliveryReceipt } from './channel-sender.js';
import { deliverHttp, type Receiver } from './http-delivery.js';
import { redactSecrets } from './redact-secrets.js';
import { pingStyle } from './ping-style.js';

const RECEIVER: Receiver = {
  name: 'The ping service',
  gone: 'it does not know that check (deleted, or the URL is mistyped): copy the ping URL of the check again',
  refused: 'it refused the ping: copy the ping URL of the check again (its key may have been regenerated)',
};

/** A /fail body: healthchecks.io keeps up to 100 kB; the last lines matter most, so a long log keeps its end. */
const MAX_BODY_CHARS = 10_000;
/** Uptime Kuma and Cronitor take the message in the query string: kept short. */
const MAX_QUERY_MESSAGE_CHARS = 200;

export type PingKind = 'start' | 'success' | 'fail';

/** backup.started pings /start; a success, a "works again" and a test ping the check; every other event is a failure. */
export function pingKind(notification: Notification): PingKind {
  if (notification.event === 'backup.started') return 'start';
  if (notification.event === 'backup.succeeded' || notification.event === 'test' || notification.resolves !== null) return 'success';
  return 'fail';
}

/**
 * The request for one ping, by the URL's style (docs/notifications.md); undefined when the style has no such
 * signal (Uptime Kuma has no start).
 * - healthchecks.io (and any service of its shape): POST `<url>/start`, `<url>`, `<url>/fail`; the body is the
 *   message, on failure the last lines of the log.
 * - Uptime Kuma push URL (`/api/push/<token>`): GET with `status=up|down` and `msg`.
 * - Cronitor (`cronitor.link`): GET with `state=run|complete|fail` and `message`.
 */
export function pingRequest(href: string, notification: Notification): { url: URL; method: 'GET' | 'POST'; body?: string } | undefined {
  const url = new URL(href);
  const kind = pingKind(notification);
  const summary = `${notification.title}: ${notification.message}`;
  switch (pingStyle(url)) {
    case 'uptime-kuma':
      if (kind === 'start') return undefined;
      url.searchParams.set('status', kind === 'success' ? 'up' : 'down');
      url.searchParams.set('msg', summary.slice(0, MAX_QUERY_MESSAGE_CHARS));
      url.searchParams.delete('ping');
      return { url, method: 'GET' };
    case 'cronitor':
      url.searchParams.set('state', kind === 'start' ? 'run' : kind === 'success' ? 'complete' : 'fail');
      url.searchParams.set('message', summary.slice(0, MAX_QUERY_MESSAGE_CHARS));
      return { url, method: 'GET' };
    case 'healthchecks': {
      if (kind !== 'success') url.pathname = `${url.pathname.replace(/\/+$/, '')}/${kind}`;
      const log = notification.log_lines.join('\n');
      const body = kind === 'fail' && log ? `${summary}\n\n${log}` : summary;
      return { url, method: 'POST', body: body.length > MAX_BODY_CHARS ? body.slice(body.length - MAX_BODY_CHARS) : body };
    }
  }
}

/** Dead-man's-switch pings: the one alarm that still fires when this whole server is down (the service notices the silence). */
@Injectable()
export class PingSender implements ChannelSender {
  readonly type = 'ping' as const;

  async send(channel: NotificationChannel, notification: Notification, signal: AbortSignal): Promise<DeliveryReceipt> {
    if (channel.config.type !== 'ping') throw new Error(`PingSender got a ${channel.config.type} channel`);
    const request = pingRequest(channel.config.url, notification);
    if (!request) return { answer: 'not sent: an Uptime Kuma push monitor has no start signal' };
    return deliverHttp(
      RECEIVER,
      request.url,
      { method: request.method, ...(request.body === undefined ? {} : { headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: request.body }) },
      signal,
      (text) => redactSecrets(text, channel),
    );
  }
}
