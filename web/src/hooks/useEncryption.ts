import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorMessage, type Target } from '../api/client';
import { encryptionApi, type EncryptionStatus } from '../api/encryption';
import { createdKeyOf } from '../encryption';

/** A recovery key on screen: just created (to be confirmed) or exported (only to be kept). */
export interface RevealedKey {
  kind: 'created' | 'exported';
  recoveryKey: string;
  recipient: string | null;
  created: Date;
}

export type EncryptionBusy = 'enable' | 'confirm' | 'rotate' | 'export' | 'disable' | null;

export interface Encryption {
  status: EncryptionStatus | null;
  /** Why the state could not be read, or why the last step failed. */
  error: string | null;
  busy: EncryptionBusy;
  /** The recovery key panel's key; null once the panel closes. */
  revealed: RevealedKey | null;
  load: () => Promise<void>;
  enable: (options: { write_only: boolean; recipients: string[] }) => Promise<boolean>;
  confirm: () => Promise<boolean>;
  rotate: () => Promise<boolean>;
  exportKey: () => Promise<boolean>;
  disable: () => Promise<boolean>;
  /** Closes the recovery key panel and forgets the key. */
  closePanel: () => void;
}

/**
 * One target's encryption (GET /api/encryption/{target}) and the steps that change it. A recovery key
 * from an answer lives only in this hook's state while its panel is open: never in storage, the URL or
 * the console; the answer object that carried it is not kept.
 */
export function useEncryption(target: Target, enabled: boolean): Encryption {
  const [status, setStatus] = useState<EncryptionStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<EncryptionBusy>(null);
  const [revealed, setRevealed] = useState<RevealedKey | null>(null);

  const load = useCallback(async () => {
    try {
      setStatus(await encryptionApi.get(target));
      setError(null);
    } catch (e) {
      setError(`The encryption state could not be read: ${errorMessage(e)}`);
    }
  }, [target]);

  useEffect(() => {
    if (enabled) void load();
  }, [enabled, load]);

  /** Runs one step; its answer, without any recovery key, becomes the state. */
  const step = async (name: Exclude<EncryptionBusy, null>, run: () => Promise<EncryptionStatus>, failure: string): Promise<boolean> => {
    if (busy) return false;
    setBusy(name);
    setError(null);
    try {
      const { recovery_key: recoveryKey, ...answer } = await run();
      setStatus(answer);
      if (recoveryKey) setRevealed({ kind: 'created', recoveryKey, ...createdKeyOf(answer) });
      return true;
    } catch (e) {
      setError(`${failure}: ${errorMessage(e)}`);
      await load();
      return false;
    } finally {
      setBusy(null);
    }
  };

  const enable = (options: { write_only: boolean; recipients: string[] }) =>
    step('enable', () => encryptionApi.enable(target, options), 'Encryption was not turned on');
  const rotate = () => step('rotate', () => encryptionApi.rotate(target), 'The key was not rotated');
  const disable = async (): Promise<boolean> => {
    const done = await step('disable', () => encryptionApi.disable(target), 'Encryption was not turned off');
    if (done) setRevealed(null);
    return done;
  };
  const confirm = async (): Promise<boolean> => {
    // The key on screen, else the one awaiting that the page showed before it was reloaded: a key made meanwhile elsewhere is refused.
    const recipient = revealed?.recipient ?? status?.pending_recipient ?? null;
    const done = await step('confirm', () => encryptionApi.confirm(target, recipient), 'The recovery key was not confirmed');
    if (done) setRevealed(null);
    return done;
  };

  const exportKey = async (): Promise<boolean> => {
    if (busy) return false;
    setBusy('export');
    setError(null);
    try {
      const exported = await encryptionApi.export(target);
      const key = status?.keys.find((k) => k.recipient === exported.recipient);
      setRevealed({
        kind: 'exported',
        recoveryKey: exported.recovery_key,
        recipient: exported.recipient,
        created: key ? new Date(key.created_at) : new Date(),
      });
      return true;
    } catch (e) {
      setError(`The key was not exported: ${errorMessage(e)}`);
      return false;
    } finally {
      setBusy(null);
    }
  };

  const closePanel = useCallback(() => setRevealed(null), []);

  return { status, error, busy, revealed, load, enable, confirm, rotate, exportKey, disable, closePanel };
}
