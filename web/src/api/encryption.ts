/**
 * /api/encryption/{target}: the target's encryption state, and the steps that change it. The recovery
 * key in an answer (turning on, rotating, exporting) is handed to the caller and kept nowhere here.
 */
import { api, type Target, unwrap } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];
/** A change's answer: the status, with `recovery_key` when the change made a key. */
export type EncryptionStatus = Schemas['EncryptionChangeDto'];
export type EncryptionKey = Schemas['EncryptionKeyDto'];
export type EncryptionState = EncryptionStatus['state'];
export type ExportedKey = Schemas['ExportedKeyDto'];

const at = (target: Target) => ({ params: { path: { target } } });

export const encryptionApi = {
  get: (target: Target): Promise<EncryptionStatus> => unwrap(api.GET('/api/encryption/{target}', at(target))),
  enable: (target: Target, options: { write_only: boolean; recipients: string[] }): Promise<EncryptionStatus> =>
    unwrap(api.PUT('/api/encryption/{target}', { ...at(target), body: { enabled: true, write_only: options.write_only, recipients: options.recipients } })),
  disable: (target: Target): Promise<EncryptionStatus> => unwrap(api.PUT('/api/encryption/{target}', { ...at(target), body: { enabled: false } })),
  /** `recipient`: the key the user was shown; the service refuses the confirm when another key awaits (another tab made one meanwhile). */
  confirm: (target: Target, recipient: string | null): Promise<EncryptionStatus> =>
    unwrap(api.POST('/api/encryption/{target}/confirm', { ...at(target), body: recipient ? { recipient } : {} })),
  rotate: (target: Target): Promise<EncryptionStatus> => unwrap(api.POST('/api/encryption/{target}/rotate', at(target))),
  export: (target: Target): Promise<ExportedKey> => unwrap(api.POST('/api/encryption/{target}/export', { ...at(target), body: {} })),
};
