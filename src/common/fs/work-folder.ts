import fs from 'node:fs';
import path from 'node:path';
import type { InstallationIdentity } from '../installation/installation-identity.js';

/**
 * The file inside every scratch, staging and verify folder the service creates in DATA_DIR. It is how
 * a later sweep proves a folder is its own: a folder merely *named* like ours (a user's backup folder
 * called `.backup-tmp-archive`, say) has no valid marker and is never removed.
 */
export const WORK_FOLDER_MARKER = '.sentinel-work-folder.json';

/** Snapshots of a running backup. */
export const SCRATCH_PREFIX = '.backup-tmp-';
/** An extracted, verified archive waiting to be applied. */
export const STAGING_PREFIX = '.restore-staging-';
/** An archive extracted to be checked, then removed. */
export const VERIFY_PREFIX = '.restore-verify-';
/** A safety copy being written; renamed to `pre-restore-backup-<ts>` once every copy is on disk. */
export const SAFETY_COPY_TEMP_PREFIX = '.pre-restore-backup-';
export const SAFETY_COPY_TEMP_SUFFIX = '.partial';
/** DATA_DIR's folder of records of unfinished uploads to R2 (S3UploadJournal). */
export const UPLOAD_JOURNAL_DIR_NAME = '.s3-uploads';
/** The user's safety copies: never removed by the service. */
export const SAFETY_COPY_PREFIX = 'pre-restore-backup-';

/**
 * Temporary files written beside their final name in a backup folder: `.<base>.<16 hex>.partial`, the
 * hex being the installation's tag (PARTIAL_TAG_LENGTH hex, an HMAC of its id for PARTIAL_TAG_SUBJECT)
 * and random hex. The tag is the proof of ownership: a sweep removes only a `.partial` file carrying it.
 */
export const PARTIAL_NAME = /^\..+\.[0-9a-f]{16}\.partial$/;
export const PARTIAL_SUFFIX = '.partial';
/** What the installation's tag in `.partial` names is computed for (InstallationIdentity.tag); changing it disowns every such file. */
export const PARTIAL_TAG_SUBJECT = 'local-partial';
export const PARTIAL_TAG_LENGTH = 8;

/** What a work folder is for; shown in logs and in the interrupted job's message. */
export type WorkFolderKind = 'backup-scratch' | 'restore-staging' | 'restore-verify' | 'safety-copy';

export interface WorkFolderMarker {
  installation_id: string;
  process_token: string;
  pid: number;
  created_at: string;
  kind: WorkFolderKind;
  /** The backup job whose snapshots the folder holds, for backup scratch folders. */
  job_id?: string;
}

const KINDS: readonly WorkFolderKind[] = ['backup-scratch', 'restore-staging', 'restore-verify', 'safety-copy'];

/** The kind of work folder an entry of DATA_DIR is named like, if any. */
export function workFolderKindOf(name: string): WorkFolderKind | undefined {
  if (name.startsWith(SCRATCH_PREFIX)) return 'backup-scratch';
  if (name.startsWith(STAGING_PREFIX)) return 'restore-staging';
  if (name.startsWith(VERIFY_PREFIX)) return 'restore-verify';
  if (name.startsWith(SAFETY_COPY_TEMP_PREFIX) && name.endsWith(SAFETY_COPY_TEMP_SUFFIX)) return 'safety-copy';
  return undefined;
}

/**
 * Creates `parent/<prefix><random>` (mkdtemp) and writes its marker (fsynced) before anything else
 * goes in. A kill between the two leaves an empty folder, which the sweep removes with rmdir (which
 * cannot remove anything inside a folder).
 */
export async function createWorkFolder(
  identity: InstallationIdentity,
  parent: string,
  prefix: string,
  kind: WorkFolderKind,
  extra: { jobId?: string } = {},
): Promise<string> {
  const dir = await fs.promises.mkdtemp(path.join(parent, prefix));
  await writeWorkFolderMarker(identity, dir, kind, extra);
  return dir;
}

/** Marks an existing folder (made with another name scheme, e.g. the safety copy's) as ours. */
export async function writeWorkFolderMarker(identity: InstallationIdentity, dir: string, kind: WorkFolderKind, extra: { jobId?: string } = {}): Promise<void> {
  const marker: WorkFolderMarker = {
    installation_id: identity.id,
    process_token: identity.processToken,
    pid: identity.pid,
    created_at: new Date().toISOString(),
    kind,
    ...(extra.jobId ? { job_id: extra.jobId } : {}),
  };
  const file = await fs.promises.open(path.join(dir, WORK_FOLDER_MARKER), 'wx', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(marker)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** The folder's marker when it is present and well-formed; undefined otherwise (never throws). */
export function readWorkFolderMarker(dir: string): WorkFolderMarker | undefined {
  let text: string;
  try {
    const file = path.join(dir, WORK_FOLDER_MARKER);
    // A marker is a regular file of a few hundred bytes; anything else is not one of ours.
    const stat = fs.lstatSync(file);
    if (!stat.isFile() || stat.size > 4096) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(text) as Partial<WorkFolderMarker>;
    if (typeof m.installation_id !== 'string' || typeof m.process_token !== 'string' || typeof m.pid !== 'number') return undefined;
    if (typeof m.created_at !== 'string' || !KINDS.includes(m.kind as WorkFolderKind)) return undefined;
    if (m.job_id !== undefined && typeof m.job_id !== 'string') return undefined;
    return m as WorkFolderMarker;
  } catch {
    return undefined;
  }
}
