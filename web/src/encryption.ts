/**
 * The page's plain rules about encryption (no DOM, unit-tested in encryption.spec.ts): how a key is
 * shown, what the recovery-key file holds, what a pasted or loaded key file gives, and what a refused
 * restore or verify needs from the user before it can be tried again.
 */
import type { ApiError } from './api/client';
import type { EncryptionState, EncryptionStatus } from './api/encryption';

/** `age1abcd…wxyz`: enough to tell keys apart at a glance (the full one goes in a title). */
export function shortRecipient(recipient: string): string {
  return recipient.length <= 14 ? recipient : `${recipient.slice(0, 8)}…${recipient.slice(-4)}`;
}

/** An RFC 3339 time without fractions, as age-keygen writes it (`2026-12-01T21:17:44Z`). */
function ageKeygenTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** recovery-key.txt in the layout of `age-keygen -o`, so `age -d -i recovery-key.txt` reads it as it is. */
export function recoveryKeyFile(recoveryKey: string, recipient: string | null, created: Date): string {
  const lines = [`# created: ${ageKeygenTime(created)}`];
  if (recipient) lines.push(`# public key: ${recipient}`);
  lines.push(recoveryKey.trim(), '');
  return lines.join('\n');
}

const IDENTITY_LINE = /^AGE-SECRET-KEY-1[0-9A-Z]+$/i;

/**
 * The identity to send from what the user pasted or loaded: a bare key, or a key file with
 * age-keygen's comment lines. Null when no line looks like a key (the page says so before sending);
 * several keys are sent as they are, one a line (the service tries each).
 */
export function identityFromText(text: string): string | null {
  const keys = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => IDENTITY_LINE.test(line));
  return keys.length === 0 ? null : keys.join('\n');
}

/** What a refused restore or verify needs before it is tried again: a recovery key, trust in the archive, or nothing the user can give. */
export type AccessNeed = 'key' | 'trust' | null;

export function accessNeeded(error: unknown): AccessNeed {
  const code = (error as Partial<ApiError> | null)?.code;
  if (code === 'ENCRYPTION_KEY_REQUIRED' || code === 'ENCRYPTION_KEY_WRONG' || code === 'ENCRYPTION_KEY_INVALID') return 'key';
  if (code === 'ARCHIVE_NOT_MADE_HERE') return 'trust';
  return null;
}

const STATES: Record<EncryptionState, string> = {
  off: 'Off: new backups are stored unencrypted.',
  awaiting_confirmation: 'Not active yet: new backups stay unencrypted until you confirm that you stored the recovery key.',
  active: 'On: every new backup is encrypted with age.',
};

/** The target's encryption in words. */
export function stateInWords(status: Pick<EncryptionStatus, 'state' | 'write_only'>): string {
  const words = STATES[status.state];
  if (status.state === 'off') return words;
  return status.write_only ? `${words} Write-only: the server keeps no key, so a restore asks for the recovery key.` : words;
}

/** The key a PUT or a rotation just created: the one waiting for confirmation, else the target's key. */
export function createdKeyOf(status: EncryptionStatus): { recipient: string | null; created: Date } {
  const recipient = status.pending_recipient ?? status.key_recipient ?? null;
  const key = status.keys.find((k) => k.recipient === recipient);
  const created = key ? new Date(key.created_at) : new Date();
  return { recipient, created: Number.isNaN(created.getTime()) ? new Date() : created };
}

/** The user's own recipients from the text field: one a line (or separated by commas or spaces), duplicates dropped. */
export function parseRecipientList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((r) => r.length > 0))];
}
