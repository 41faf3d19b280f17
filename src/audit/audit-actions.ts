/**
 * The state-changing endpoints by name. The subject is taken from the path (or, for a restore, the
 * body's file name); nothing else of a request is kept. A state-changing request that matches none
 * is still recorded, as `METHOD /path`. Order matters: `restore/staged` before `:filename`.
 */
const ACTIONS: ReadonlyArray<{ method: string; path: RegExp; action: string }> = [
  { method: 'PUT', path: /^\/api\/settings\/(?<subject>[^/]+)$/, action: 'setting.change' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/restore$/, action: 'restore.stage' },
  { method: 'DELETE', path: /^\/api\/backups\/(?<target>[^/]+)\/restore\/staged$/, action: 'restore.cancel' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/rotate$/, action: 'backup.rotate' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/test$/, action: 'connection.test' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/(?<subject>[^/]+)\/verify$/, action: 'backup.verify' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)\/(?<subject>[^/]+)\/adopt$/, action: 'backup.adopt' },
  { method: 'DELETE', path: /^\/api\/backups\/(?<target>[^/]+)\/(?<subject>[^/]+)$/, action: 'backup.delete' },
  { method: 'POST', path: /^\/api\/backups\/(?<target>[^/]+)$/, action: 'backup.start' },
];

export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface NamedAction {
  action: string;
  target: string | null;
  subject: string | null;
}

/** The action a request stands for; `body` is read only for a restore's file name. */
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
    if (entry.action === 'restore.stage') {
      const filename = (body as { filename?: unknown } | undefined)?.filename;
      subject = typeof filename === 'string' ? filename : null;
    }
    return { action: entry.action, target: decode(match.groups?.target), subject };
  }
  return { action: `${method} ${trimmed}`, target: null, subject: null };
}
