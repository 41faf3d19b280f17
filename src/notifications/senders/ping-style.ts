/**
 * How a ping URL is pinged (docs/notifications.md): an Uptime Kuma push URL (`/api/push/<token>`) takes
 * `?status=up|down&msg=...`; a cronitor.link telemetry URL takes `?state=run|complete|fail&message=...`;
 * any other is pinged the healthchecks.io way (`<url>/start`, `<url>`, `<url>/fail`), which healthchecks.io,
 * its self-hosted copies and most dead-man's-switch services (Dead Man's Snitch excepted) understand.
 */
export type PingStyle = 'healthchecks' | 'uptime-kuma' | 'cronitor';

export function pingStyle(url: URL): PingStyle {
  if (/\/api\/push\/[^/]+\/?$/.test(url.pathname)) return 'uptime-kuma';
  if (url.hostname === 'cronitor.link' || url.hostname.endsWith('.cronitor.link')) return 'cronitor';
  return 'healthchecks';
}
