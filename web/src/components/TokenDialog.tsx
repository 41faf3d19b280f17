import { useEffect, useRef, useState } from 'preact/hooks';
import { setTokenPrompt } from '../api/auth';
import { forPeople } from '../words';

interface Question {
  message: string;
  rejected: boolean;
  resolve: (token: string) => void;
}

/** Asks for the access token (SENTINEL_API_TOKEN) when the API answers 401, in words for a person; kept for this browser tab. */
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
    // The field as it is now, not `value`: a fill followed at once by Continue, before the re-render of onInput's
    // update, would otherwise submit what the field held before.
    const token = (input.current?.value ?? value).trim();
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
          <h2 id="token-title">{question.rejected ? 'That token was not accepted' : 'Access token needed'}</h2>
          <div id="token-message" class="dialog-body">
            <p>
              {question.rejected
                ? forPeople(question.message)
                : 'This Sentinel service is protected: it shows and changes backups only for someone who gives its access token.'}
            </p>
            <p>
              The token is a password chosen by whoever installed the service (the setting SENTINEL_API_TOKEN, in its environment or .env file). Ask them for
              it, or read it there.
            </p>
          </div>
          <div class="field">
            <label for="api-token">Access token</label>
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
              Kept in this browser tab only, until you close it or click “Forget token” at the top of the page.
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
