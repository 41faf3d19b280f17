import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { PARTIAL_NAME } from '../common/fs/work-folder.js';

/** Longest key in bytes: leaves room for the local adapter's temporary name within a 255-byte file name. */
export const MAX_KEY_BYTES = 200;

/**
 * The local adapter's temporary names (`.<key>.<16 hex>.partial`, see work-folder.ts; the sweeper tells
 * its own by them). No key may look like one.
 */
export { PARTIAL_NAME, PARTIAL_SUFFIX } from '../common/fs/work-folder.js';

/**
 * The local adapter's owner sidecars: `.<key>.owner` beside each archive, naming the installation that
 * made it. Hidden (never a backup name), never listed, and no key may look like one.
 */
export const OWNER_SIDECAR_NAME = /^\..+\.owner$/;

/** The sidecar that records who owns `key` in a folder. */
export function ownerSidecarName(key: string): string {
  return `.${key}.owner`;
}

/**
 * The local adapter's recipients sidecars: `.<key>.recipients` beside an encrypted archive, one age
 * recipient a line. Hidden, never listed, and no key may look like one.
 */
export const RECIPIENTS_SIDECAR_NAME = /^\..+\.recipients$/;

/** The sidecar that records whom `key` was encrypted to in a folder. */
export function recipientsSidecarName(key: string): string {
  return `.${key}.recipients`;
}

/** Recipients as stored: joined by `separator` (a comma in S3 metadata, a newline in a sidecar). */
export function formatRecipients(recipients: readonly string[], separator: string): string {
  return recipients.join(separator);
}

/**
 * The recipients in a marker's text: null when there is no marker or it names none. Only what looks like an
 * age recipient is kept: the text comes from storage anyone with access can write.
 */
export function parseRecipients(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  const recipients = text
    .split(/[\s,]+/)
    .map((r) => r.trim().toLowerCase())
    .filter((r) => /^age1[02-9ac-hj-np-z]{58}$/.test(r));
  return recipients.length ? recipients : null;
}

/**
 * An owner as stored (S3 metadata, sidecar): an installation id. Anything else found there is shown as
 * this value and counts as another installation's, so a damaged marker never makes an archive deletable.
 */
export const UNREADABLE_OWNER = 'unreadable';
const OWNER_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The owner recorded in a marker's text: null when there is no marker, UNREADABLE_OWNER when it is not an id. */
export function parseOwner(text: string | undefined): string | null {
  if (text === undefined) return null;
  const id = text.trim().toLowerCase();
  return OWNER_FORMAT.test(id) ? id : UNREADABLE_OWNER;
}

/** Why `key` is not a plain file name, or undefined when it is one. */
export function objectKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'a key must be a non-empty file name';
  if (key === '.' || key === '..') return `'${key}' is not a file name`;
  if (/[/\\]/.test(key)) return 'keys are plain file names without / or \\';
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'keys must not contain NUL or other control characters';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `keys are at most ${MAX_KEY_BYTES} bytes long`;
  if (PARTIAL_NAME.test(key)) return 'the name is reserved for unfinished uploads of the local folder';
  if (OWNER_SIDECAR_NAME.test(key)) return "the name is reserved for the local folder's owner markers";
  if (RECIPIENTS_SIDECAR_NAME.test(key)) return "the name is reserved for the local folder's recipients markers";
  return undefined;
}

/**
 * Keys are flat names (the backup archives' file names), the same rule for every adapter, so a key
 * that works on one target works on the other. Anything else is refused with InvalidInput.
 */
export function assertObjectKey(key: unknown): asserts key is string {
  const problem = objectKeyProblem(key);
  if (problem) {
    const shown = typeof key === 'string' ? JSON.stringify(key.slice(0, 100)) : typeof key;
    throw new DomainError(ErrorCode.InvalidInput, `Invalid object key ${shown}: ${problem}`, { key: typeof key === 'string' ? key.slice(0, 100) : undefined });
  }
}

/** A prefix for `list`: empty, or the start of a plain file name. */
export function assertKeyPrefix(prefix: unknown): asserts prefix is string {
  if (prefix === '') return;
  if (typeof prefix !== 'string' || /[/\\\u0000-\u001f\u007f]/.test(prefix) || Buffer.byteLength(prefix) > MAX_KEY_BYTES) {
    throw new DomainError(ErrorCode.InvalidInput, `Invalid list prefix ${JSON.stringify(prefix)}: a prefix is the start of a plain file name`);
  }
}
