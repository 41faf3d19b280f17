/**
 * What each endpoint's JSON body looks like, for the error a malformed body gets. A body that does not
 * parse never reaches a route (the JSON parser runs first), so the hint is found from the method and
 * path here. Keep in step with the body DTOs (UpdateSettingDto, StageRestoreDto, VerifyBackupDto, UpdateEncryptionDto, ConfirmEncryptionDto, CreateChannelDto, UpdateChannelDto); every other endpoint
 * takes no body.
 */
const BODY_EXAMPLES: ReadonlyArray<{ method: string; path: RegExp; example: string }> = [
  { method: 'PUT', path: /^\/api\/settings\/[^/]+\/?$/, example: '{"value": 1} or {"value": "daily"} (1/0, a whole number or a string, as the setting takes)' },
  { method: 'POST', path: /^\/api\/backups\/[^/]+\/restore\/?$/, example: '{"filename": "sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz", "restart": true}' },
  {
    method: 'POST',
    path: /^\/api\/backups\/[^/]+\/[^/]+\/verify\/?$/,
    example: '{} or, for an encrypted backup whose key the server does not hold, {"identity": "AGE-SECRET-KEY-1..."}',
  },
  { method: 'PUT', path: /^\/api\/encryption\/[^/]+\/?$/, example: '{"enabled": true, "write_only": false, "recipients": ["age1..."]}' },
  { method: 'POST', path: /^\/api\/encryption\/[^/]+\/confirm\/?$/, example: '{"recipient": "age1..."} (the key awaiting confirmation) or no body' },
  {
    method: 'POST',
    path: /^\/api\/notifications\/channels\/?$/,
    example: '{"name": "Ops", "type": "webhook", "url": "https://example.com/hook", "events": ["backup.failed"]}',
  },
  {
    method: 'PUT',
    path: /^\/api\/notifications\/channels\/[^/]+\/?$/,
    example: '{"events": ["backup.failed", "backup.succeeded"]} (only the fields to change)',
  },
];

/** One sentence saying what to send to `method path`. */
export function requestBodyHint(method: string, path: string): string {
  const found = BODY_EXAMPLES.find((entry) => entry.method === method && entry.path.test(path));
  return found ? `Send JSON such as ${found.example} with Content-Type: application/json` : `${method} ${path} takes no body: send the request without one`;
}
