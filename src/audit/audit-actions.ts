/**
 * The state-changing endpoints by name. The subject is taken from the path (or, for a restore staged or
 * applied now, the body's file name; for several settings saved at once, the body's keys); nothing else of a request is kept. A state-changing request that matches none
 * is still recorded, as `METHOD /path`. Order matters: `restore/staged` before `:filename`.
 */
const ACTIONS: ReadonlyArray<{ method: string; path: RegExp; action: string }> = [
  { method: 'PUT', path: /^\/api\/settings\/(?<subject>[^/]+)$/, action: 'setting.change' },
  { method: 'PUT', path: /^\/api\/settings$/, action: 'settings.change' },
  { method: 'POST', path: /^\/api\/targets$/, action: 'target.create' },
  { method: 'PATCH', path: /^\/api\/targets\/(?<target>[^/]+)$/, action: 'target.change' },
  { method: 'DELETE', path: /^\/api\/targets\/(?<target>[^/]+)$/, action: 'target.delete' },
  { method: 'POST', path: /^\/api\/targets\/(?<target>[^/]+)\/test$/, action: 'connection.test' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/restore$/, action: 'restore.stage' },
  { method: 'DELETE', path: /^\/api\/backups\/(?<target>[^/]+)\/restore\/staged$/, action: 'restore.cancel' },
  { method: 'POST', path: /^\/api\/restore\/apply$/, action: 'restore.apply-now' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/rotate$/, action: 'backup.rotate' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/test$/, action: 'connection.test' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/(?<subject>[^/]+)\/verify$/, action: 'backup.verify' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/(?<subject>[^/]+)\/adopt$/, action: 'backup.adopt' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/(?<subject>[^/]+)\/download-link$/, action: 'backup.download-link' },
  { method: 'DELETE', path: /^\/api\/backups\/(?<target>[^/]+)\/(?<subject>[^/]+)$/, action: 'backup.delete' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)$/, action: 'backup.start' },
  { method: 'POST', path: /^\/api\/backup-jobs\/(?<subject>[^/]+)\/cancel$/, action: 'backup.cancel' },
  { method: 'PUT', path: /^\/api\/encryption\/(?<target>[^/]+)$/, action: 'encryption.change' },
  { method: 'POST', path: /^\/api\/encryption\/(?<target>[^/]+)\/confirm$/, action: 'encryption.confirm' },
  { method: 'POST', path: /^\/api\/encryption\/(?<target>[^/]+)\/rotate$/, action: 'encryption.rotate' },
  { method: 'POST', path: /^\/api\/encryption\/(?<target>[^/]+)\/export$/, action: 'encryption.export' },
];

/**
 * The shape of a backup's name (archive-format's parser is the authority; audit sits below it and may not
 * import it, and the shape is all the subject needs: no secret or free text fits it).
 */
const BACKUP_NAME_SHAPE = /^sentinel-(?:backup|incremental)-\d{4}-\d{2}-\d{2}-\d{6}\.tar\.gz(?:\.age)?$/;

/**
 * The shape of a setting key: two or more lower-case words joined by underscores, as every key in setting-definitions
 * is (the settings module's list, restated for the same reason). A secret pasted in a key's place (hex, base64) has no
 * underscore or has capitals, so it is not kept.
 */
const SETTING_KEY_SHAPE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
const SETTING_KEY_MAX = 64;

/** The shape of a target id (the targets module's rule, restated for the same reason). */
const TARGET_ID_SHAPE = /^[a-z0-9-]{1,32}$/;

export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface NamedAction {
  action: string;
  target: string | null;
  subject: string | null;
}

/**
 * The action a request stands for; `body` is read only for a restore's file name (staged, or applied now), a new
 * target's id and an encryption change's flags, and for several settings saved at once the keys (never a value).
 */
export function nameAction(method: string, path: string, body: unknown): NamedAction {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  for (const entry of ACTIONS) {
    if (entry.method !== method) continue;
    const match = entry.path.exec(trimmed);
    if (!match) continue;
    const decode = (part: string | undefined) => {
      if (part === undefined) return null;
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    };
    let subject = decode(match.groups?.subject);
    if (entry.action === 'restore.stage' || entry.action === 'restore.apply-now') {
      const named = body as { filename?: unknown; archive?: unknown } | undefined;
      const filename = entry.action === 'restore.stage' ? named?.filename : named?.archive;
      // Only what has a backup's name shape is kept: anything else sent there (a recovery key pasted into the wrong field) is not.
      subject = typeof filename === 'string' && BACKUP_NAME_SHAPE.test(filename) ? filename : null;
    }
    if (entry.action === 'restore.apply-now') {
      // Its target, when the body names it, is kept only with a target id's shape (as for target.create).
      const target = (body as { target?: unknown } | undefined)?.target;
      return { action: entry.action, target: typeof target === 'string' && TARGET_ID_SHAPE.test(target) ? target : null, subject };
    }
    if (entry.action === 'target.create') {
      const id = (body as { id?: unknown } | undefined)?.id;
      // Only what has a target id's shape is kept: a secret pasted into the wrong field is not.
      return { action: entry.action, target: typeof id === 'string' && TARGET_ID_SHAPE.test(id) ? id : null, subject: null };
    }
    if (entry.action === 'settings.change') return { action: entry.action, target: null, subject: settingKeys(body) };
    if (entry.action === 'encryption.change') return { action: encryptionChange(body), target: decode(match.groups?.target), subject };
    return { action: entry.action, target: decode(match.groups?.target), subject };
  }
  return { action: `${method} ${trimmed}`, target: null, subject: null };
}

/**
 * The keys of PUT /api/settings's `values`, in the order sent, joined by ', ' (null when there is none of a key's
 * shape). Only the keys are read: the values (an R2 secret among them) never reach the audit log.
 */
function settingKeys(body: unknown): string | null {
  const values = typeof body === 'object' && body !== null ? (body as { values?: unknown }).values : undefined;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return null;
  const keys = Object.keys(values).filter((key) => key.length <= SETTING_KEY_MAX && SETTING_KEY_SHAPE.test(key));
  return keys.length > 0 ? keys.join(', ') : null;
}

/**
 * PUT /api/encryption/{target} by what it asked: `encryption.disable`, `encryption.enable-write-only` (the server
 * then holds no identity of the target: any it held were deleted) or `encryption.enable`; `encryption.change`
 * for a body that is not one of them (refused). Only the two flags are read, never a recipient.
 */
function encryptionChange(body: unknown): string {
  const { enabled, write_only: writeOnly } = (typeof body === 'object' && body !== null ? body : {}) as { enabled?: unknown; write_only?: unknown };
  if (enabled === false) return 'encryption.disable';
  if (enabled !== true) return 'encryption.change';
  return writeOnly === true ? 'encryption.enable-write-only' : 'encryption.enable';
}
