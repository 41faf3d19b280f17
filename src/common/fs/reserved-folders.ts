import fs from 'node:fs';
import path from 'node:path';
import { SAFETY_COPY_PREFIX, SAFETY_COPY_TEMP_PREFIX, SCRATCH_PREFIX, STAGING_PREFIX, UPLOAD_JOURNAL_DIR_NAME, VERIFY_PREFIX } from './work-folder.js';

/** Names in DATA_DIR the service creates, fills and removes itself: no backup folder may be one of them or inside one. */
const RESERVED: ReadonlyArray<{ matches: (name: string) => boolean; what: string }> = [
  { matches: (n) => n.startsWith(SCRATCH_PREFIX), what: `named like the backup scratch folders (${SCRATCH_PREFIX}*) the service creates and removes` },
  { matches: (n) => n.startsWith(STAGING_PREFIX), what: `named like the restore staging folders (${STAGING_PREFIX}*) the service creates and removes` },
  { matches: (n) => n.startsWith(VERIFY_PREFIX), what: `named like the verification folders (${VERIFY_PREFIX}*) the service creates and removes` },
  {
    matches: (n) => n.startsWith(SAFETY_COPY_TEMP_PREFIX),
    what: `named like the unfinished safety copies (${SAFETY_COPY_TEMP_PREFIX}*) the service creates and removes`,
  },
  { matches: (n) => n.startsWith(SAFETY_COPY_PREFIX), what: `a safety copy folder (${SAFETY_COPY_PREFIX}*) the service writes before a restore` },
  { matches: (n) => n === UPLOAD_JOURNAL_DIR_NAME, what: 'the folder where the service records its unfinished uploads' },
  {
    matches: (n) => n.startsWith('.pending-restore') || n.startsWith('.restore-last-apply') || n.endsWith('.rollback-tmp') || n.startsWith('.service.lock'),
    what: 'named like the temporary files a restore or the DATA_DIR lock writes and removes',
  },
];

/**
 * Why `dir` cannot be the local backup folder, or undefined when it can: DATA_DIR itself (the live
 * databases and the service's own files) or a folder the service owns or sweeps inside it. Symbolic
 * links and relative paths are resolved first, so another spelling of the same folder is caught.
 */
export function reservedFolderProblem(dir: string, dataDir: string): string | undefined {
  const real = realResolve(dir);
  const realData = realResolve(dataDir);
  const rel = path.relative(realData, real);
  const suggestion = `Use a folder of its own, such as the default ${path.join(dataDir, 'backups')}`;
  if (rel === '')
    return `that is DATA_DIR itself, where the live databases and the service's own working files are: backups there would be mixed with them. ${suggestion}`;
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const first = rel.split(path.sep)[0];
  const reserved = RESERVED.find((r) => r.matches(first));
  if (!reserved) return undefined;
  const where = first === rel ? 'that folder is' : `that is inside ${path.join(dataDir, first)}, which is`;
  return `${where} ${reserved.what} in DATA_DIR: backups there could be removed with it. ${suggestion}`;
}

/**
 * The absolute path with symbolic links of its existing part resolved (the rest does not exist yet). A link
 * whose target does not exist yet (a disk not mounted) is followed too, so it names the folder it will be.
 */
export function realResolve(p: string, depth = 0): string {
  let existing = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), ...rest);
    } catch {
      const link = depth < 40 ? readLink(existing) : undefined;
      if (link !== undefined) return realResolve(path.join(path.resolve(path.dirname(existing), link), ...rest), depth + 1);
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(p);
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * The folder's identity on disk: the device and inode of its deepest existing folder, then the part that does
 * not exist yet. Two paths with one identity are one folder even where their real paths differ: a bind mount,
 * or a case-insensitive disk (vfat/exFAT USB disks, CIFS) where `Backups` and `backups` are one folder. The
 * part not created yet is compared as spelled (a case-insensitive disk cannot be told from here). '' when even
 * the root cannot be read.
 */
export function folderIdentity(p: string): string {
  let existing = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      const stat = fs.statSync(existing);
      return [`${stat.dev}:${stat.ino}`, ...rest].join('/');
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return '';
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

function readLink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}
