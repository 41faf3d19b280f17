/**
 * A last line of defence for what the log says (LOG_FILE, the console, the lines a notification quotes):
 * nothing logs a secret on purpose (settings never hand secret values to a logger, errors name no secret),
 * but an error message from a library can quote a URL, and a notification's log lines leave the machine.
 * What has a recognisable shape is masked:
 * - age identities (`AGE-SECRET-KEY-1…`);
 * - a URL's user and password (`https://user:pass@host`);
 * - the token part of Slack and Discord webhook URLs (the whole URL is the credential);
 * - query parameters that carry a credential (`?token=`, a download link's `?ticket=`, `X-Amz-Signature=`, `api_key=`, …).
 * R2 secret keys and SMTP passwords have no shape to recognise; they are never logged (tests check it).
 */
export function redactSecrets(text: string): string {
  if (!/[:=]|SECRET-KEY/i.test(text)) return text;
  return text
    .replace(/AGE-SECRET-KEY-1[0-9A-Z]+/gi, 'AGE-SECRET-KEY-1[redacted]')
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@:]+:[^/\s@]*@/gi, '$1[redacted]@')
    .replace(/\b(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[^\s"'<>]+/gi, '$1[redacted]')
    .replace(/\b((?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/)[^\s"'<>]+/gi, '$1[redacted]')
    .replace(
      /([?&][^=&\s"'<>]*(?:token|ticket|secret|signature|password|passwd|credential|api[_-]?key|access[_-]?key|auth)[^=&\s"'<>]*=)[^&\s"'<>]+/gi,
      '$1[redacted]',
    );
}
