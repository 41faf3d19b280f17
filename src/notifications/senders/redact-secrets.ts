import type { NotificationChannel } from '../notification-channel.js';

const MIN_SECRET_PART = 6;

/**
 * Takes a channel's secrets out of a text that came from elsewhere (a receiver's answer, an error of the HTTP
 * client): the URL and its path segments and query values (tokens), the webhook secret and header values, the
 * ntfy token, the SMTP password. Messages this module writes hold none; this catches a receiver that echoes
 * its URL or a library that quotes one.
 */
export function redactSecrets(text: string, channel: NotificationChannel): string {
  const secrets = secretsOf(channel)
    .filter((secret) => secret.length >= MIN_SECRET_PART)
    .sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('[secret]');
  return result;
}

function secretsOf(channel: NotificationChannel): string[] {
  const config = channel.config;
  switch (config.type) {
    case 'webhook':
      return [...urlParts(config.url), ...(config.secret ? [config.secret] : []), ...Object.values(config.headers)];
    case 'ntfy':
      return [...urlParts(config.url), ...(config.token ? [config.token] : [])];
    case 'email':
      return config.smtp_password ? [config.smtp_password] : [];
    default:
      return urlParts(config.url);
  }
}

function urlParts(href: string): string[] {
  try {
    const url = new URL(href);
    // Path segments and query values that look like tokens (long, or with digits), not words such as "services" or "webhooks".
    const pieces = [...url.pathname.split('/').map(decodeSafely), ...url.searchParams.values()].filter((part) => part.length >= 12 || /\d/.test(part));
    return [href, url.pathname + url.search, ...pieces].filter((part) => part.length > 1);
  } catch {
    return [href];
  }
}

function decodeSafely(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
