import type { Setting } from '../api/client';
import type { FieldSpec } from '../settings-fields';

/** A field's edited value: text, a checkbox, or null for "remove this secret". */
export type Draft = string | boolean | null;

interface FieldProps {
  spec: FieldSpec;
  setting: Setting | undefined;
  value: Draft;
  edited: boolean;
  error?: string;
  onChange: (value: Draft) => void;
  onRevert: () => void;
}

export function fieldId(key: string): string {
  return `setting-${key}`;
}

/** The value a field shows for a stored setting (a secret's input starts empty: its value is never sent). */
export function storedDraft(spec: FieldSpec, setting: Setting | undefined): Draft {
  if (spec.kind === 'flag') return setting?.value === 1 || setting?.value === '1';
  if (spec.kind === 'secret') return '';
  return setting?.value === null || setting?.value === undefined ? '' : String(setting.value);
}

export function Field({ spec, setting, value, edited, error, onChange, onRevert }: FieldProps) {
  const id = fieldId(spec.key);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const fromEnvironment = setting?.source === 'environment' && !edited;
  // Stored encrypted under another master key (or damaged): set, but useless until entered again. A shown one (the
  // access key ID) then comes back empty, so the field says why rather than look as if nothing were stored.
  const unreadable = (setting?.is_set ?? false) && setting?.readable === false;
  const describedBy =
    [spec.hint || fromEnvironment || spec.kind === 'secret' || unreadable ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const errorText = error && (
    <p id={errorId} class="field-error">
      {error}
    </p>
  );
  const hint = (
    <>
      {spec.hint}
      {fromEnvironment && ` Now taken from the environment variable ${spec.key.toUpperCase()}; a value saved here takes precedence.`}
    </>
  );

  if (spec.kind === 'flag') {
    return (
      <div class="field field-flag">
        <input
          id={id}
          type="checkbox"
          class="switch"
          checked={value === true}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />
        <label for={id}>{spec.label}</label>
        {describedBy?.includes(hintId) && (
          <p id={hintId} class="hint">
            {hint}
          </p>
        )}
        {errorText}
      </div>
    );
  }

  const unreadableHint = ` Set, but it cannot be read with the current master key: enter it again. ${setting?.problem ?? ''}`;

  if (spec.kind === 'secret') {
    const isSet = setting?.is_set ?? false;
    const clearing = value === null;
    const secretProps = {
      id,
      spellcheck: false,
      value: typeof value === 'string' ? value : '',
      disabled: clearing,
      placeholder: unreadable ? 'Cannot be read – type it again' : isSet ? 'Stored – type a new value to replace it' : 'Not set',
      'aria-invalid': error ? true : undefined,
      'aria-describedby': describedBy,
      onInput: (e: Event) => onChange((e.currentTarget as HTMLInputElement).value),
    } as const;
    return (
      <div class="field">
        <div class="label-row">
          <label for={id}>{spec.label}</label>
          <span class={`badge ${isSet && !clearing && !unreadable ? 'badge-ok' : ''}`}>
            {clearing ? 'Will be removed' : unreadable ? 'Set, but unreadable' : isSet ? 'Set' : 'Not set'}
          </span>
        </div>
        <div class="input-row">
          {spec.inputType === 'password' ? (
            <input type="password" autocomplete="new-password" {...secretProps} />
          ) : (
            <input type="text" autocomplete="off" {...secretProps} />
          )}
          {isSet && !clearing && (
            <button type="button" class="button button-small" onClick={() => onChange(null)}>
              Remove<span class="visually-hidden"> {spec.label}</span>
            </button>
          )}
          {clearing && (
            <button type="button" class="button button-small" onClick={onRevert}>
              Keep<span class="visually-hidden"> {spec.label}</span>
            </button>
          )}
        </div>
        <p id={hintId} class="hint">
          {spec.hint}
          Write-only: the stored value is never shown.
          {unreadable && !clearing && unreadableHint}
          {fromEnvironment && ` Now taken from the environment variable ${spec.key.toUpperCase()}; a value saved here takes precedence.`}
        </p>
        {errorText}
      </div>
    );
  }

  const common = {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy,
  } as const;

  // Typed again, the new value replaces the unreadable one: the badge goes with the edit.
  const showUnreadable = unreadable && !edited;
  return (
    <div class="field">
      {showUnreadable ? (
        <div class="label-row">
          <label for={id}>{spec.label}</label>
          <span class="badge">Set, but unreadable</span>
        </div>
      ) : (
        <label for={id}>{spec.label}</label>
      )}
      {spec.kind === 'choice' ? (
        <select {...common} value={String(value ?? '')} onChange={(e) => onChange(e.currentTarget.value)}>
          {withCurrent(setting?.allowed_values ?? spec.choices ?? Object.keys(spec.choiceLabels ?? {}), value).map((choice) => (
            <option key={choice} value={choice}>
              {spec.choiceLabels?.[choice] ?? choice}
            </option>
          ))}
        </select>
      ) : (
        <input
          {...common}
          type="text"
          inputMode={spec.kind === 'integer' ? 'numeric' : spec.inputType === 'url' ? 'url' : undefined}
          class={spec.kind === 'integer' ? 'input-short' : undefined}
          autocomplete="off"
          spellcheck={false}
          placeholder={showUnreadable ? 'Cannot be read – type it again' : spec.placeholder}
          value={String(value ?? '')}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      )}
      {describedBy?.includes(hintId) && (
        <p id={hintId} class="hint">
          {hint}
          {showUnreadable && unreadableHint}
        </p>
      )}
      {errorText}
    </div>
  );
}

/**
 * The choices, with the current value added when it is not one of them (a schedule set to `cron:...` through
 * the API), so the list shows what is stored instead of silently showing the first choice.
 */
function withCurrent(choices: readonly string[], value: unknown): string[] {
  const current = value === null || value === undefined || value === '' ? null : String(value);
  return current === null || choices.includes(current) ? [...choices] : [...choices, current];
}
