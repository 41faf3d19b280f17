import { useEffect, useRef, useState } from 'preact/hooks';
import { setTokenPrompt } from '../api/auth';

interface Question {
  message: string;
  rejected: boolean;
  resolve: (token: string) => void;
}

/** Asks for the API token when the API answers 401; the token is then kept for this browser tab. */
export function TokenDialog() {
  const [question, setQuestion] = useState<Question | null>(null);
  const [value, setValue] = useState('');
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setTokenPrompt(({ message, rejected }) => new Promise<string>((resolve) => setQuestion({ message, rejected, resolve })));
    return () => setTokenPrompt(undefined);
  }, []);

  useEffect(() => {
    const element = dialog.current;
    if (question && element && !element.open) {
      element.showModal();
      input.current?.focus();
    }
  }, [question]);

  const submit = (event: Event): void => {
    event.preventDefault();
    const token = value.trim();
    if (!question || !token) {
      input.current?.focus();
      return;
    }
    dialog.current?.close();
    setQuestion(null);
    setValue('');
    question.resolve(token);
  };

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby="token-title"
      aria-describedby="token-message"
      // The page can do nothing without the token, so Escape does not dismiss the question.
      onCancel={(event) => event.preventDefault()}
    >
      {question && (
        <form method="dialog" onSubmit={submit} noValidate>
          <h2 id="token-title">{question.rejected ? 'That token was not accepted' : 'API token needed'}</h2>
          <p id="token-message" class="dialog-body">
            {question.message}
          </p>
          <div class="field">
            <label for="api-token">API token</label>
            <input
              ref={input}
              id="api-token"
              name="token"
              type="password"
              autocomplete="current-password"
              spellcheck={false}
              value={value}
              onInput={(e) => setValue(e.currentTarget.value)}
              aria-describedby="api-token-hint"
            />
            <p id="api-token-hint" class="hint">
              The value of SENTINEL_API_TOKEN on the server. It is kept in this browser tab only, until you close it.
            </p>
          </div>
          <div class="dialog-actions">
            <button type="submit" class="button button-primary">
              Continue
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
