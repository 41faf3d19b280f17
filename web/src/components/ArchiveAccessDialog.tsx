import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../api/client';
import { type AccessNeed, accessNeeded, identityFromText } from '../encryption';

/** What a restore or verify request may carry beyond the first wave's body. */
export interface ArchiveAccess {
  identity?: string;
  confirm_unknown?: boolean;
}

export interface AccessRequest {
  action: 'restore' | 'verify';
  filename: string;
  /** The refusal that needs the user: ENCRYPTION_KEY_REQUIRED / _WRONG / _INVALID or ARCHIVE_NOT_MADE_HERE. */
  error: unknown;
  /** Sends the request again with what the user gave; rejects with the service's refusal. */
  attempt: (access: ArchiveAccess) => Promise<void>;
}

/** Resolves true when a retry went through, false when the user cancelled; rejects with an error the dialog cannot help with. */
type AskAccess = (request: AccessRequest) => Promise<boolean>;

const AccessContext = createContext<AskAccess>(() => Promise.resolve(false));

export function useArchiveAccess(): AskAccess {
  return useContext(AccessContext);
}

interface Pending {
  request: AccessRequest;
  resolve: (done: boolean) => void;
  reject: (error: unknown) => void;
  returnFocus: HTMLElement | null;
}

const ACTION: Record<AccessRequest['action'], { verb: string; busy: string }> = {
  restore: { verb: 'Restore', busy: 'Restoring…' },
  verify: { verb: 'Verify', busy: 'Verifying…' },
};

/**
 * The modal that asks for what a refused restore or verify needs: the recovery key (typed, pasted or
 * loaded from recovery-key.txt) or the user's trust in an archive this installation did not make, and
 * tries again. A refusal of the retry shows here, in words; the key is dropped after each request.
 */
export function ArchiveAccessProvider({ children }: { children: ComponentChildren }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const [need, setNeed] = useState<AccessNeed>(null);
  const [reason, setReason] = useState('');
  const [keyText, setKeyText] = useState('');
  const [keyProblem, setKeyProblem] = useState<string | null>(null);
  const [trusted, setTrusted] = useState(false);
  const [trustGiven, setTrustGiven] = useState(false);
  /** Trust asked for right after a key was sent: the key went with that request, so the form asks for both at once. */
  const [keyAgain, setKeyAgain] = useState(false);
  const [busy, setBusy] = useState(false);
  /** How many refusals this dialog has shown (on the form as data-refusals: a test waits for the next answer by it). */
  const [refusals, setRefusals] = useState(0);
  const dialog = useRef<HTMLDialogElement>(null);
  const keyField = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const show = (error: unknown): void => {
    setRefusals((n) => n + 1);
    setNeed(accessNeeded(error));
    setReason(errorMessage(error));
  };

  const ask = useCallback<AskAccess>(
    (request) =>
      new Promise((resolve, reject) => {
        show(request.error);
        setKeyText('');
        setKeyProblem(null);
        setTrusted(false);
        setTrustGiven(false);
        setKeyAgain(false);
        setPending({ request, resolve, reject, returnFocus: document.activeElement instanceof HTMLElement ? document.activeElement : null });
      }),
    [],
  );

  useEffect(() => {
    const element = dialog.current;
    if (pending && element && !element.open) element.showModal();
  }, [pending]);

  const forgetKey = (): void => {
    setKeyText('');
    if (fileInput.current) fileInput.current.value = '';
  };

  const finish = (settle: (p: Pending) => void): void => {
    if (!pending) return;
    dialog.current?.close();
    forgetKey();
    setPending(null);
    setNeed(null);
    settle(pending);
    if (pending.returnFocus?.isConnected) pending.returnFocus.focus();
  };

  const loadFile = async (event: Event): Promise<void> => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    setKeyText(await file.text());
    setKeyProblem(null);
  };

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (!pending || busy) return;
    const access: ArchiveAccess = {};
    if (trustGiven || (need === 'trust' && trusted)) access.confirm_unknown = true;
    if (need === 'trust' && !trusted) {
      setKeyProblem('Tick “I trust this archive” to go on, or cancel.');
      return;
    }
    if (need === 'key' || keyAgain) {
      const identity = identityFromText(keyText);
      if (!identity) {
        setKeyProblem('That is not a recovery key: paste the line that starts with AGE-SECRET-KEY-1, or load recovery-key.txt.');
        keyField.current?.focus();
        return;
      }
      access.identity = identity;
    }
    setKeyProblem(null);
    setBusy(true);
    try {
      await pending.request.attempt(access);
      finish((p) => p.resolve(true));
    } catch (error) {
      if (accessNeeded(error)) {
        if (access.confirm_unknown) setTrustGiven(true);
        setKeyAgain(accessNeeded(error) === 'trust' && access.identity !== undefined);
        show(error);
        // The next field to fill takes the keyboard.
        setTimeout(() => (accessNeeded(error) === 'key' ? keyField.current?.focus() : dialog.current?.querySelector<HTMLInputElement>('input')?.focus()), 0);
      } else {
        finish((p) => p.reject(error));
      }
    } finally {
      // The key is used for this one request: typed or loaded, it goes now.
      forgetKey();
      setBusy(false);
    }
  };

  const request = pending?.request;
  const words = request ? ACTION[request.action] : ACTION.restore;
  return (
    <AccessContext.Provider value={ask}>
      {children}
      <dialog
        ref={dialog}
        class="dialog"
        aria-labelledby="access-title"
        aria-describedby="access-reason"
        onCancel={(event) => {
          event.preventDefault();
          if (!busy) finish((p) => p.resolve(false));
        }}
      >
        {request && (
          <form method="dialog" onSubmit={(e) => void submit(e)} noValidate data-refusals={refusals}>
            <h2 id="access-title">{need === 'trust' ? 'This backup was not made by this installation' : 'This backup needs its recovery key'}</h2>
            <div class="dialog-body">
              <p>
                <strong class="filename">{request.filename}</strong>
              </p>
              <p id="access-reason" class="status-error" role="alert">
                {reason}
              </p>
            </div>
            {need === 'trust' && (
              <div class="field field-flag">
                <input
                  id="access-trust"
                  type="checkbox"
                  checked={trusted}
                  onChange={(e) => setTrusted(e.currentTarget.checked)}
                  aria-describedby="access-trust-hint"
                />
                <label for="access-trust">I trust this archive</label>
                <p id="access-trust-hint" class="hint">
                  Anyone with a public key can make an archive that decrypts; go on only if you know where this one comes from.
                </p>
              </div>
            )}
            {(need === 'key' || keyAgain) && (
              <>
                {keyAgain && <p class="hint">The recovery key you gave was used for that one request and then dropped: give it again with your answer.</p>}
                <div class="field">
                  <label for="access-key">Recovery key</label>
                  <textarea
                    id="access-key"
                    ref={keyField}
                    class="key-field"
                    rows={3}
                    spellcheck={false}
                    autocomplete="off"
                    placeholder="AGE-SECRET-KEY-1…"
                    aria-describedby={`access-key-hint${keyProblem ? ' access-problem' : ''}`}
                    aria-invalid={keyProblem ? true : undefined}
                    value={keyText}
                    onInput={(e) => setKeyText(e.currentTarget.value)}
                    autofocus
                  />
                  <p id="access-key-hint" class="hint">
                    Paste the key, or load the recovery-key.txt you downloaded. It is sent with this one request and not stored.
                  </p>
                </div>
                <div class="field">
                  <label for="access-file">Or load recovery-key.txt</label>
                  <input id="access-file" ref={fileInput} type="file" accept=".txt,text/plain" onChange={(e) => void loadFile(e)} />
                </div>
              </>
            )}
            {keyProblem && (
              <p id="access-problem" class="field-error">
                {keyProblem}
              </p>
            )}
            <div class="dialog-actions">
              <button type="button" class="button" aria-disabled={busy} onClick={() => !busy && finish((p) => p.resolve(false))}>
                Cancel
              </button>
              <button type="submit" class="button button-primary" aria-busy={busy} aria-disabled={busy}>
                {busy ? words.busy : need === 'trust' ? `${words.verb} this archive` : `${words.verb} with this key`}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </AccessContext.Provider>
  );
}
