import { type DraftErrors, FULL_EVERY, type FullEvery, type TargetDraft } from '../target-form';

const FULL_EVERY_LABELS: Record<FullEvery, string> = {
  daily: 'Day',
  weekly: 'Week',
  count: 'After a number of increments',
};

/** The draft fields of the incremental policy (docs/incremental-backups.md). */
export type IncrementalDraft = Pick<TargetDraft, 'incremental_enabled' | 'full_every' | 'full_every_count' | 'max_chain_percent'>;
export type IncrementalField = keyof IncrementalDraft;

interface IncrementalPolicyFieldsProps {
  draft: IncrementalDraft;
  errors: Pick<DraftErrors, IncrementalField>;
  /** The element id of a field: the form's own scheme, so its error handling can focus it. */
  idOf: (key: IncrementalField) => string;
  onChange: (key: IncrementalField, value: IncrementalDraft[IncrementalField]) => void;
}

/**
 * The incremental-backup policy of one target: on or off and, when on, when a full backup is made instead.
 * Shared by the form of an added target and the cards of the built-in ones, which save it the same way
 * (PATCH /api/targets/{id} with incremental, only when changed).
 */
export function IncrementalPolicyFields({ draft, errors, idOf, onChange }: IncrementalPolicyFieldsProps) {
  const errorOf = (key: IncrementalField) =>
    errors[key] && (
      <p id={`${idOf(key)}-error`} class="field-error">
        {errors[key]}
      </p>
    );
  const describedBy = (key: IncrementalField, hint = false) =>
    [hint ? `${idOf(key)}-hint` : '', errors[key] ? `${idOf(key)}-error` : ''].filter(Boolean).join(' ') || undefined;
  const number = (key: 'full_every_count' | 'max_chain_percent', label: string, hint?: string, placeholder?: string) => (
    <div class="field" key={key}>
      <label for={idOf(key)}>{label}</label>
      <input
        class="input-short"
        value={draft[key]}
        placeholder={placeholder}
        id={idOf(key)}
        inputMode="numeric"
        type="text"
        autocomplete="off"
        spellcheck={false}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={describedBy(key, hint !== undefined)}
        onInput={(e) => onChange(key, e.currentTarget.value)}
      />
      {hint && (
        <p id={`${idOf(key)}-hint`} class="hint">
          {hint}
        </p>
      )}
      {errorOf(key)}
    </div>
  );

  return (
    <fieldset class="field-group">
      <legend>Incremental backups</legend>
      <div class="field field-flag">
        <input
          id={idOf('incremental_enabled')}
          type="checkbox"
          class="switch"
          checked={draft.incremental_enabled}
          aria-invalid={errors.incremental_enabled ? true : undefined}
          aria-describedby={describedBy('incremental_enabled')}
          onChange={(e) => onChange('incremental_enabled', e.currentTarget.checked)}
        />
        <label for={idOf('incremental_enabled')}>Incremental backups between full ones</label>
      </div>
      {errorOf('incremental_enabled')}
      {draft.incremental_enabled && (
        <>
          <div class="field">
            <label for={idOf('full_every')}>Full backup every</label>
            <select
              id={idOf('full_every')}
              value={draft.full_every}
              aria-invalid={errors.full_every ? true : undefined}
              aria-describedby={describedBy('full_every')}
              onChange={(e) => onChange('full_every', e.currentTarget.value as FullEvery)}
            >
              {FULL_EVERY.map((k) => (
                <option key={k} value={k}>
                  {FULL_EVERY_LABELS[k]}
                </option>
              ))}
            </select>
            {errorOf('full_every')}
          </div>
          {draft.full_every === 'count' && number('full_every_count', 'Increments before a full backup', undefined, '24')}
          {number(
            'max_chain_percent',
            'Full backup when increments exceed % of the full',
            'When the increments since the last full backup add up to more than this share of its size, the next backup is a full one.',
          )}
        </>
      )}
    </fieldset>
  );
}
