/**
 * /api/encryption/{target}: the target's encryption state, and the steps that change it. The recovery
 * key in an answer (turning on, rotating, exporting) is handed to the caller and kept nowhere here.
 */
import { authFetch } from './auth';
import type { Target } from './client';
import { unwrap } from './client';

export type EncryptionState = 'off' | 'awaiting_confirmation' | 'active';

export interface EncryptionKey {
  recipient: string;
  created_at: string;
  confirmed_at: string | null;
  retired_at: string | null;
  identity_stored: boolean;
  current: boolean;
}

export interface EncryptionStatus {
  target: Target;
  state: EncryptionState;
  write_only: boolean;
  recipients: string[];
  key_recipient: string | null;
  pending_recipient: string | null;
  user_recipients: string[];
  keys: EncryptionKey[];
  /** Only in the answer that created a key. */
  recovery_key?: string;
}

export interface ExportedKey {
  recipient: string;
  recovery_key: string;
}

/** A JSON request through the token-aware fetch, with the API client's error handling (ApiError). */
function call<T>(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<T> {
  const request = new Request(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return unwrap<T>(
    authFetch(request).then(async (response) => {
      const parsed: unknown = await response.json().catch(() => undefined);
      return response.ok ? { data: parsed as T, response } : { error: parsed ?? {}, response };
    }),
  );
}

const base = (target: Target): string => `/api/encryption/${target}`;

export const encryptionApi = {
  get: (target: Target) => call<EncryptionStatus>('GET', base(target)),
  enable: (target: Target, options: { write_only: boolean; recipients: string[] }) =>
    call<EncryptionStatus>('PUT', base(target), { enabled: true, write_only: options.write_only, recipients: options.recipients }),
  disable: (target: Target) => call<EncryptionStatus>('PUT', base(target), { enabled: false }),
  confirm: (target: Target) => call<EncryptionStatus>('POST', `${base(target)}/confirm`),
  rotate: (target: Target) => call<EncryptionStatus>('POST', `${base(target)}/rotate`),
  export: (target: Target) => call<ExportedKey>('POST', `${base(target)}/export`),
};
