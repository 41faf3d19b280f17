import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';

export interface ConfirmOptions {
  title: string;
  body: ComponentChildren;
  confirmLabel: string;
  /** The label of the button that declines (default "Cancel"): say "Keep running" when the action itself is a cancel. */
  cancelLabel?: string;
  /** The confirm button is red: the action destroys or replaces data. */
  danger?: boolean;
  /** A checkbox shown in the dialog; its state comes back in the result. */
  option?: { label: string; hint?: string; defaultChecked: boolean };
}

export interface ConfirmResult {
  confirmed: boolean;
  option: boolean;
}

type Confirm = (options: ConfirmOptions) => Promise<ConfirmResult>;

const ConfirmContext = createContext<Confirm>(() => Promise.resolve({ confirmed: false, option: false }));

/** Asks the user to confirm in a modal <dialog>; resolves when they answer (Escape cancels). */
export function useConfirm(): Confirm {
  return useContext(ConfirmContext);
}

interface Pending {
  options: ConfirmOptions;
  resolve: (result: ConfirmResult) => void;
  returnFocus: HTMLElement | null;
}

export function ConfirmProvider({ children }: { children: ComponentChildren }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const [option, setOption] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);

  const confirm = useCallback<Confirm>(
    (options) =>
      new Promise((resolve) => {
        setOption(options.option?.defaultChecked ?? false);
        setPending({ options, resolve, returnFocus: document.activeElement instanceof HTMLElement ? document.activeElement : null });
      }),
    [],
  );

  useEffect(() => {
    const element = dialog.current;
    if (pending && element && !element.open) element.showModal();
  }, [pending]);

  const finish = (confirmed: boolean): void => {
    if (!pending) return;
    dialog.current?.close();
    setPending(null);
    pending.resolve({ confirmed, option });
    // Back to the button that opened it (if it is still on the page).
    if (pending.returnFocus?.isConnected) pending.returnFocus.focus();
  };

  const options = pending?.options;
  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      <dialog
        ref={dialog}
        class="dialog"
        aria-labelledby="confirm-title"
        aria-describedby="confirm-body"
        onCancel={(event) => {
          event.preventDefault();
          finish(false);
        }}
      >
        {options && (
          <form
            method="dialog"
            onSubmit={(event) => {
              event.preventDefault();
              finish(true);
            }}
          >
            <h2 id="confirm-title">{options.title}</h2>
            <div id="confirm-body" class="dialog-body">
              {options.body}
            </div>
            {options.option && (
              <div class="field field-flag">
                <input id="confirm-option" type="checkbox" checked={option} onChange={(e) => setOption(e.currentTarget.checked)} />
                <label for="confirm-option">{options.option.label}</label>
                {options.option.hint && <p class="hint">{options.option.hint}</p>}
              </div>
            )}
            <div class="dialog-actions">
              <button type="button" class="button" autofocus onClick={() => finish(false)}>
                {options.cancelLabel ?? 'Cancel'}
              </button>
              <button type="submit" class={`button ${options.danger ? 'button-danger' : 'button-primary'}`}>
                {options.confirmLabel}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </ConfirmContext.Provider>
  );
}
