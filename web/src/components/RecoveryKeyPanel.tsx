import { useEffect, useRef, useState } from 'preact/hooks';
import { shortRecipient, recoveryKeyFile } from '../encryption';
import type { RevealedKey } from '../hooks/useEncryption';

interface RecoveryKeyPanelProps {
  /** Prefixes the ids (one panel per target). */
  idPrefix: string;
  revealed: RevealedKey;
  confirming: boolean;
  /** A created key: the user confirms they stored it (encryption turns active). */
  onConfirm: () => void;
  /** An exported key: closing the panel forgets it. */
  onClose: () => void;
}

/** Print only the panel: the body gets this class for the print dialog's duration (styles.css hides the rest). */
const PRINTING_CLASS = 'printing-recovery-key';

/**
 * The recovery key, shown once: to download as recovery-key.txt (age-keygen's layout, so `age -d -i`
 * reads it), print or copy. A created key needs the user's word that they stored it elsewhere before
 * Confirm turns encryption on. The key lives in the page's memory only while this panel is open.
 */
export function RecoveryKeyPanel({ idPrefix, revealed, confirming, onConfirm, onClose }: RecoveryKeyPanelProps) {
  const [stored, setStored] = useState(false);
  const [copyStatus, setCopyStatus] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  const ids = {
    heading: `${idPrefix}-heading`,
    key: `${idPrefix}-key`,
    keyHint: `${idPrefix}-key-hint`,
    stored: `${idPrefix}-stored`,
    hint: `${idPrefix}-confirm-hint`,
  };
  const created = revealed.kind === 'created';

  // The panel appears after a button press elsewhere: take the keyboard to it.
  useEffect(() => heading.current?.focus(), []);

  const download = (): void => {
    const blob = new Blob([recoveryKeyFile(revealed.recoveryKey, revealed.recipient, revealed.created)], { type: 'text/plain' });
    const href = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = href;
    link.download = 'recovery-key.txt';
    link.click();
    // The blob holds the key: let it go as soon as the download has started.
    setTimeout(() => URL.revokeObjectURL(href), 1000);
  };

  const print = (): void => {
    document.body.classList.add(PRINTING_CLASS);
    const done = (): void => {
      document.body.classList.remove(PRINTING_CLASS);
      window.removeEventListener('afterprint', done);
    };
    window.addEventListener('afterprint', done);
    window.print();
  };

  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(revealed.recoveryKey);
      setCopyStatus('Copied to the clipboard.');
    } catch {
      field.current?.select();
      setCopyStatus('The browser did not allow copying: the key is selected, press Ctrl+C (⌘C on a Mac).');
    }
  };

  return (
    <div class="recovery-panel" role="region" aria-labelledby={ids.heading}>
      <h3 id={ids.heading} ref={heading} tabIndex={-1}>
        {created ? 'Your recovery key' : 'Recovery key (exported)'}
      </h3>
      <p>
        {created
          ? 'This is the only time the page shows it. Keep it somewhere other than this server (a password manager, a printout in a safe): if this server is lost, it is the only way to open the encrypted backups.'
          : 'Keep it somewhere other than this server. The export is recorded in the activity log.'}
      </p>
      <div class="field">
        <label for={ids.key}>Recovery key</label>
        <textarea
          id={ids.key}
          ref={field}
          class="key-field"
          readOnly
          rows={2}
          spellcheck={false}
          autocomplete="off"
          aria-describedby={ids.keyHint}
          value={revealed.recoveryKey}
        />
        {revealed.recipient && (
          <p id={ids.keyHint} class="hint">
            Its public key: <code title={revealed.recipient}>{revealed.recipient}</code>
          </p>
        )}
      </div>
      <div class="actions">
        <button type="button" class="button" onClick={download}>
          Download recovery-key.txt
        </button>
        <button type="button" class="button" onClick={print}>
          Print
        </button>
        <button type="button" class="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <div role="status" class="hint">
        {copyStatus}
      </div>
      {created ? (
        <>
          <div class="field field-flag">
            <input id={ids.stored} type="checkbox" checked={stored} onChange={(e) => setStored(e.currentTarget.checked)} aria-describedby={ids.hint} />
            <label for={ids.stored}>I have stored this recovery key somewhere other than this server</label>
          </div>
          <div class="actions">
            <button type="button" class="button button-primary" disabled={!stored || confirming} aria-busy={confirming} onClick={onConfirm}>
              {confirming ? 'Confirming…' : 'Confirm'}
            </button>
          </div>
          <p id={ids.hint} class="hint">
            Encryption is not active until you confirm: until then new backups are made with the previous setting.
            {revealed.recipient && ` Key ${shortRecipient(revealed.recipient)}.`}
          </p>
        </>
      ) : (
        <div class="actions">
          <button type="button" class="button" onClick={onClose}>
            Close<span class="visually-hidden"> the recovery key</span>
          </button>
        </div>
      )}
    </div>
  );
}
