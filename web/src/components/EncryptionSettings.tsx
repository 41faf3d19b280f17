import { useRef, useState } from 'preact/hooks';
import { TARGET_NAMES, type Target } from '../api/client';
import type { EncryptionStatus } from '../api/encryption';
import { parseRecipientList, shortRecipient, stateInWords } from '../encryption';
import { useEncryption } from '../hooks/useEncryption';
import { useConfirm } from './ConfirmDialog';
import { RecoveryKeyPanel } from './RecoveryKeyPanel';

interface EncryptionSettingsProps {
  target: Target;
  /** The target's name on the page (its label for an added target). */
  name?: string;
  /** Off while the service restarts; the state is read again when it is back. */
  enabled: boolean;
  /** After an audited step (the export), so the activity list shows it. */
  onAudited?: () => void;
}

function Recipient({ recipient }: { recipient: string }) {
  return (
    <code title={recipient}>
      <span aria-hidden="true">{shortRecipient(recipient)}</span>
      <span class="visually-hidden">{recipient}</span>
    </code>
  );
}

function KeyList({ status }: { status: EncryptionStatus }) {
  const serverKey = status.key_recipient;
  const own = status.user_recipients;
  if (!serverKey && own.length === 0) return null;
  return (
    <ul class="key-list">
      {serverKey && (
        <li>
          {status.write_only ? 'Recovery key (not kept on this server)' : 'Key of this installation'}: <Recipient recipient={serverKey} />
        </li>
      )}
      {status.pending_recipient && status.pending_recipient !== serverKey && (
        <li>
          New key waiting for confirmation: <Recipient recipient={status.pending_recipient} />
        </li>
      )}
      {own.map((r) => (
        <li key={r}>
          Your recipient: <Recipient recipient={r} />
        </li>
      ))}
    </ul>
  );
}

/** A target's encryption: its state in words, turning it on (recovery key shown once, then confirmed), rotating, exporting, turning off. */
export function EncryptionSettings({ target, name: given, enabled, onAudited }: EncryptionSettingsProps) {
  const encryption = useEncryption(target, enabled);
  const confirm = useConfirm();
  // The form starts from the stored choices (turning encryption on again keeps them unless changed).
  const [writeOnlyDraft, setWriteOnly] = useState<boolean | null>(null);
  const [recipientsDraft, setRecipients] = useState<string | null>(null);
  const [stored, setStored] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const { status, busy, revealed } = encryption;
  const name = given ?? TARGET_NAMES[target] ?? target;
  const id = `encryption-${target}`;
  const writeOnly = writeOnlyDraft ?? status?.write_only ?? false;
  const recipients = recipientsDraft ?? status?.user_recipients.join('\n') ?? '';
  const awaiting = status !== null && (status.state === 'awaiting_confirmation' || status.pending_recipient !== null);

  /** After a step that closes the panel or changes the state: say so, and bring the keyboard back to the section. */
  const after = (ok: boolean, message: string): void => {
    if (!ok) return;
    setDone(message);
    heading.current?.focus();
  };

  const confirmKey = async (): Promise<void> => {
    after(await encryption.confirm(), `Encryption is active: ${name}’s new backups are encrypted.`);
    setStored(false);
  };

  const turnOn = async (event: Event): Promise<void> => {
    event.preventDefault();
    setDone(null);
    if (await encryption.enable({ write_only: writeOnly, recipients: parseRecipientList(recipients) })) {
      setWriteOnly(null);
      setRecipients(null);
    }
  };

  /** The key awaiting confirmation was not kept: the first key is made again by turning on again, a rotation by rotating again. */
  const newKey = async (): Promise<void> => {
    if (busy || !status) return;
    setDone(null);
    setStored(false);
    if (status.state === 'awaiting_confirmation') await encryption.enable({ write_only: status.write_only, recipients: status.user_recipients });
    else await encryption.rotate();
  };

  const rotate = async (): Promise<void> => {
    if (busy) return;
    const answer = await confirm({
      title: 'Rotate the encryption key?',
      body: (
        <p>
          A new key is created for {name}’s future backups, and shown once as a recovery key. Older backups keep needing the key they were made with; the server
          keeps it{status?.write_only ? ' only as its public part: keep the old recovery key too' : ''}.
        </p>
      ),
      confirmLabel: 'Rotate key',
    });
    setDone(null);
    if (answer.confirmed) await encryption.rotate();
  };

  const exportKey = async (): Promise<void> => {
    if (busy) return;
    const answer = await confirm({
      title: 'Show the recovery key?',
      body: (
        <p>The key that opens {name}’s encrypted backups is shown on this page. The export is recorded in the activity log, with the time and from where.</p>
      ),
      confirmLabel: 'Export key',
    });
    if (!answer.confirmed) return;
    await encryption.exportKey();
    onAudited?.();
  };

  const turnOff = async (): Promise<void> => {
    if (busy) return;
    const answer = await confirm({
      title: 'Turn off encryption?',
      body: (
        <p>
          {name}’s new backups are stored unencrypted. Older encrypted backups stay restorable: their keys stay{' '}
          {status?.write_only ? 'with you (the recovery key)' : 'in this server’s keyring'}.
        </p>
      ),
      confirmLabel: 'Turn off encryption',
      danger: true,
    });
    if (answer.confirmed) after(await encryption.disable(), `Encryption is off: ${name}’s new backups are stored unencrypted.`);
  };

  let body;
  if (!status) {
    body = <p class="muted">{encryption.error ? '' : 'Loading…'}</p>;
  } else if (revealed) {
    body = (
      <RecoveryKeyPanel
        key={`${revealed.kind}-${revealed.recipient}`}
        idPrefix={`${id}-recovery`}
        revealed={revealed}
        confirming={busy === 'confirm'}
        onConfirm={() => void confirmKey()}
        onClose={() => {
          encryption.closePanel();
          heading.current?.focus();
        }}
      />
    );
  } else if (status.state === 'off') {
    body = (
      <form class="encryption-form" onSubmit={(e) => void turnOn(e)} noValidate>
        <div class="field field-flag">
          <input
            id={`${id}-write-only`}
            type="checkbox"
            checked={writeOnly}
            onChange={(e) => setWriteOnly(e.currentTarget.checked)}
            aria-describedby={`${id}-write-only-hint`}
          />
          <label for={`${id}-write-only`}>Write-only: the server keeps no key</label>
          <p id={`${id}-write-only-hint`} class="hint">
            Only the public key stays here, so someone who takes this server cannot read the backups either; restoring one then asks for your recovery key.
          </p>
        </div>
        <div class="field">
          <label for={`${id}-recipients`}>Your own recipients (optional)</label>
          <textarea
            id={`${id}-recipients`}
            class="key-field"
            rows={2}
            spellcheck={false}
            autocomplete="off"
            placeholder="age1…"
            aria-describedby={`${id}-recipients-hint`}
            value={recipients}
            onInput={(e) => setRecipients(e.currentTarget.value)}
          />
          <p id={`${id}-recipients-hint`} class="hint">
            Public keys of yours (<code>age1…</code>, one a line), for example an offline key: every backup is encrypted to each of them as well.
          </p>
        </div>
        <div class="actions">
          <button type="submit" class="button button-primary" aria-disabled={busy !== null} aria-busy={busy === 'enable'}>
            {busy === 'enable' ? 'Turning on…' : 'Turn on encryption'}
          </button>
        </div>
      </form>
    );
  } else {
    body = (
      <>
        <KeyList status={status} />
        {awaiting && (
          <div class="notice">
            <div>
              <p>
                The recovery key of the new key was shown when it was made, and is not shown again. Confirm once you have stored it; if you did not, make a new
                key instead.
              </p>
              <div class="field field-flag">
                <input id={`${id}-stored`} type="checkbox" checked={stored} onChange={(e) => setStored(e.currentTarget.checked)} />
                <label for={`${id}-stored`}>I have stored this recovery key somewhere other than this server</label>
              </div>
              <button
                type="button"
                class="button button-primary"
                disabled={!stored || busy !== null}
                aria-busy={busy === 'confirm'}
                onClick={() => void confirmKey()}
              >
                {busy === 'confirm' ? 'Confirming…' : 'Confirm'}
              </button>{' '}
              <button type="button" class="button" aria-disabled={busy !== null} onClick={() => void newKey()}>
                Make a new key instead
              </button>
            </div>
          </div>
        )}
        <div class="actions">
          {status.state === 'active' && !awaiting && (
            <button type="button" class="button" aria-disabled={busy !== null} aria-busy={busy === 'rotate'} onClick={() => void rotate()}>
              {busy === 'rotate' ? 'Rotating…' : 'Rotate key'}
            </button>
          )}
          {!status.write_only && status.state === 'active' && (
            <button type="button" class="button" aria-disabled={busy !== null} aria-busy={busy === 'export'} onClick={() => void exportKey()}>
              {busy === 'export' ? 'Exporting…' : 'Export key'}
            </button>
          )}
          <button type="button" class="button button-danger-quiet" aria-disabled={busy !== null} aria-busy={busy === 'disable'} onClick={() => void turnOff()}>
            {busy === 'disable' ? 'Turning off…' : 'Turn off encryption'}
          </button>
        </div>
      </>
    );
  }

  return (
    <section class={`card encryption encryption-${target}`} aria-labelledby={`${id}-heading`} data-target={target} data-state={status?.state}>
      <h2 id={`${id}-heading`} ref={heading} tabIndex={-1}>
        {name}: encryption
      </h2>
      <p class="card-intro">
        Backups encrypted on this server with age before they are stored: a leaked bucket, token or copied folder reveals nothing, and the <code>age</code>{' '}
        command opens them with the recovery key.
      </p>
      {status && (
        <p class="encryption-state" data-state={status.state}>
          {stateInWords(status)}
        </p>
      )}
      {body}
      <div role="status" class="encryption-status">
        {encryption.error ? <p class="status-error">{encryption.error}</p> : done && <p class="status-ok">{done}</p>}
      </div>
    </section>
  );
}
