import type { NotificationChannel } from '../notification-channel.js';

/** A secret at least this long is masked wherever it appears; a shorter one only where it stands alone. */
const MASK_ANYWHERE_CHARS = 6;
/** A URL path segment or query value without digits and shorter than this is not masked ("up", "ok" are no secret). */
const MIN_URL_PART_CHARS = 3;
const MASK = '[secret]';

/**
 * Takes a channel's secrets out of a text that came from elsewhere (a receiver's answer, an error of the HTTP
 * client): the URL, its path segments and query values (a Slack token, an ntfy topic: on a public ntfy server
 * the topic name is the only secret), the webhook secret and header values, the ntfy token, the SMTP password.
 * Messages this module writes hold none; this catches a receiver that echoes its URL or headers, or a library
 * that quotes one. Call it on the whole text before cutting it to an excerpt: a cut first would leave the
 * start of a secret that straddles the cut.
 *
 * Every configured secret is masked, whatever its length: where it stands alone (not inside a longer run of
 * letters and digits) when short, so that a header value "yes" masks the word, not every "yes" inside other
 * words; anywhere when it is 6 characters or more. A secret is also masked in its JSON-escaped and
 * URL-encoded forms (a receiver that echoes the request as JSON, or its URL).
 */
export function redactSecrets(text: string, channel: NotificationChannel): string {
  const { anywhere, alone } = secretsOf(channel);
  const forms = (secrets: string[]) =>
    [...new Set(secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]))]
      .filter((form) => form.length > 0)
      .sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of forms(anywhere)) result = result.split(secret).join(MASK);
  for (const secret of forms(alone)) {
    result = result.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(secret)}(?![\\p{L}\\p{N}])`, 'gu'), MASK);
  }
  return result;
}

function secretsOf(channel: NotificationChannel): { anywhere: string[]; alone: string[] } {
  const config = channel.config;
  let whole: string[];
  let url: { anywhere: string[]; alone: string[] } = { anywhere: [], alone: [] };
  switch (config.type) {
    case 'webhook':
      url = urlParts(config.url);
      whole = [...(config.secret ? [config.secret] : []), ...Object.values(config.headers)];
      break;
    case 'ntfy':
      url = urlParts(config.url);
      whole = config.token ? [config.token] : [];
      break;
    case 'email':
      whole = config.smtp_password ? [config.smtp_password] : [];
      break;
    default:
      url = urlParts(config.url);
      whole = [];
  }
  const long = whole.filter((secret) => secret.length >= MASK_ANYWHERE_CHARS);
  const short = whole.filter((secret) => secret.length > 0 && secret.length < MASK_ANYWHERE_CHARS);
  return { anywhere: [...long, ...url.anywhere], alone: [...short, ...url.alone] };
}

/**
 * The URL whole, its path and query, and each path segment and query value: masked anywhere when they look
 * like tokens (long, or with digits), else where they stand alone (a word such as "webhooks" in the URL does
 * not mask the word "webhook" in a message, but a topic "sentinelops" echoed as a value is masked).
 */
function urlParts(href: string): { anywhere: string[]; alone: string[] } {
  try {
    const url = new URL(href);
    const pieces = [...url.pathname.split('/').map(decodeSafely), ...url.searchParams.values()];
    const tokenLike = (part: string) => part.length >= 12 || /\d/.test(part);
    return {
      anywhere: [href, url.pathname + url.search, ...pieces.filter(tokenLike)].filter((part) => part.length > 1),
      alone: pieces.filter((part) => !tokenLike(part) && part.length >= MIN_URL_PART_CHARS),
    };
  } catch {
    return { anywhere: [href], alone: [] };
  }
}

function decodeSafely(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
