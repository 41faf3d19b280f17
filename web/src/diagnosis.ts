/**
 * One cause, one diagnosis: what went wrong, in a few words, and what to do about it. The connection test
 * (a failed check), the status strip (a target's last failure) and a failed backup all read this one table,
 * so a wrong secret reads "Credentials rejected" wherever it shows. The service's own message stays beside it
 * as the detail.
 */

/** Where a target keeps its backups: an S3 bucket or a folder (TargetDto.kind). */
export type PlaceKind = 's3' | 'folder';

export interface Diagnosis {
  /** What went wrong: the heading of a failure ("Credentials rejected"). */
  heading: string;
  /** What to do about it. */
  advice: string;
}

type Cause =
  | 'not_configured'
  | 'unreachable'
  | 'credentials'
  | 'bucket_missing'
  | 'lock'
  | 'folder_missing'
  | 'folder_not_writable'
  | 'disk_full'
  | 'data_changed'
  | 'busy'
  | 'interrupted'
  | 'has_dependents'
  | 'unknown';

const DIAGNOSES: Record<Cause, Diagnosis> = {
  not_configured: { heading: 'Settings incomplete', advice: 'Fill in the settings the message names, Save, and test again.' },
  unreachable: {
    heading: 'Endpoint unreachable',
    advice: 'Check the endpoint (or account ID) and that this machine can reach it: network, firewall, proxy, DNS.',
  },
  credentials: {
    heading: 'Credentials rejected',
    advice: 'Check the access key ID and the secret, and that the API token may read and write this bucket; create a new token if the secret is lost.',
  },
  bucket_missing: { heading: 'Bucket not found', advice: 'Create the bucket, or correct the bucket name (and the endpoint or account it lives in).' },
  lock: { heading: 'Object Lock not usable', advice: 'Enable Object Lock on the bucket, or turn the lock setting off.' },
  folder_missing: { heading: 'Folder not found', advice: 'Create the folder, or point the setting at one that exists.' },
  folder_not_writable: {
    heading: 'Folder not writable',
    advice: 'Give the user the service runs as write access to the folder, or choose another folder.',
  },
  disk_full: { heading: 'Not enough disk space', advice: 'Free space on that disk, lower the retention, or choose a bigger disk.' },
  data_changed: { heading: 'Data changed in transit', advice: 'Something between here and the store changes data: check proxies and the store itself.' },
  busy: { heading: 'Another job was running', advice: 'Wait for it to finish; the next run tries again.' },
  interrupted: { heading: 'Backup interrupted', advice: 'The service stopped during the backup; the next run tries again.' },
  has_dependents: {
    heading: 'Other backups depend on it',
    advice: 'Delete the increments that need it first, newest first, or let rotation delete the whole chain once no kept backup needs it.',
  },
  unknown: { heading: 'Check failed', advice: 'The message below says what happened; the service log has the details.' },
};

/** An error code of the API (a job's error_code, a status' last_error.code) → its cause, per kind of place. */
function causeOfCode(code: string, kind: PlaceKind): Cause {
  switch (code) {
    case 'TARGET_NOT_CONFIGURED':
      return 'not_configured';
    case 'STORAGE_UNAVAILABLE':
    case 'STORAGE_TIMEOUT':
      return kind === 's3' ? 'unreachable' : 'folder_not_writable';
    case 'STORAGE_ACCESS_DENIED':
      return kind === 's3' ? 'credentials' : 'folder_not_writable';
    case 'STORAGE_NOT_CONFIGURED':
      return kind === 's3' ? 'bucket_missing' : 'folder_missing';
    case 'INSUFFICIENT_DISK_SPACE':
      return 'disk_full';
    case 'OBJECT_LOCKED':
      return 'lock';
    case 'BACKUP_IN_PROGRESS':
    case 'TARGET_BUSY':
      return 'busy';
    case 'BACKUP_INTERRUPTED':
    case 'BACKUP_CANCELLED':
      return 'interrupted';
    case 'BACKUP_HAS_DEPENDENTS':
      return 'has_dependents';
    default:
      return 'unknown';
  }
}

/** The error code a failed check of Test Connection stands for: the one a backup would fail with for the same cause. */
function codeOfCheck(name: string, message: string, kind: PlaceKind): string {
  const refused = /AccessDenied|EACCES|EPERM|read-only|permission/i.test(message);
  switch (name) {
    case 'configuration':
      return 'TARGET_NOT_CONFIGURED';
    case 'endpoint':
      return 'STORAGE_UNAVAILABLE';
    case 'credentials':
      return 'STORAGE_ACCESS_DENIED';
    case 'bucket':
      return refused ? 'STORAGE_ACCESS_DENIED' : 'STORAGE_NOT_CONFIGURED';
    case 'object lock':
      return 'OBJECT_LOCKED';
    case 'folder':
      if (/space|ENOSPC|too small/i.test(message)) return 'INSUFFICIENT_DISK_SPACE';
      return /does not exist|ENOENT|not a folder/i.test(message) ? 'STORAGE_NOT_CONFIGURED' : 'STORAGE_ACCESS_DENIED';
    case 'write':
    case 'read':
    case 'delete':
      if (name === 'read' && /came back different/.test(message)) return 'DATA_CHANGED';
      if (/space|ENOSPC/i.test(message)) return 'INSUFFICIENT_DISK_SPACE';
      return refused || kind === 'folder' ? 'STORAGE_ACCESS_DENIED' : 'STORAGE_UNAVAILABLE';
    default:
      return 'UNKNOWN';
  }
}

/** The diagnosis of an API error code (a failed backup, a target's last failure). */
export function diagnoseError(code: string | null | undefined, kind: PlaceKind): Diagnosis {
  if (code === 'DATA_CHANGED') return DIAGNOSES.data_changed;
  return DIAGNOSES[causeOfCode(code ?? '', kind)];
}

/**
 * The diagnosis of an error an action on a backup answered (Delete), or null when its code is none the table knows:
 * then the service's message alone says what happened (a heading "Check failed" would name the wrong thing).
 */
export function diagnoseActionError(code: string | null | undefined, kind: PlaceKind): Diagnosis | null {
  const diagnosis = diagnoseError(code, kind);
  return diagnosis === DIAGNOSES.unknown ? null : diagnosis;
}

/** The diagnosis of a failed Test Connection check: the same as a backup that failed for the same cause. */
export function diagnoseCheck(check: { name: string; message: string }, kind: PlaceKind): Diagnosis {
  return diagnoseError(codeOfCheck(check.name, check.message, kind), kind);
}
