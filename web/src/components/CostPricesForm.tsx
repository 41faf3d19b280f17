import { useEffect, useState } from 'preact/hooks';
import { ApiError, errorMessage } from '../api/client';
import { type CostPrices, type CostPricesInput, resetPrices, savePrices } from '../api/costs';
import { priceValue } from '../costs';

type Field = keyof CostPricesInput;

const FIELDS: ReadonlyArray<{ key: Field; label: string; hint: string }> = [
  { key: 'storage_per_gb_month', label: 'Storage (US$ per GB-month)', hint: 'R2: 0.015. 1 GB = 1,000,000,000 bytes' },
  { key: 'class_a_per_million', label: 'Class A operations (US$ per million)', hint: 'Writes and listings. R2: 4.50' },
  { key: 'class_b_per_million', label: 'Class B operations (US$ per million)', hint: 'Reads. R2: 0.36' },
];

/** The fields' texts for `prices`. */
function draftOf(prices: CostPrices): Record<Field, string> {
  return {
    storage_per_gb_month: String(prices.storage_per_gb_month),
    class_a_per_million: String(prices.class_a_per_million),
    class_b_per_million: String(prices.class_b_per_million),
  };
}

interface CostPricesFormProps {
  target: string;
  name: string;
  prices: CostPrices;
  /** After a save or a reset: the figures are loaded again. */
  onChanged: () => Promise<void>;
}

/** An S3 target's prices, editable: another store's (or a contract's) instead of the spec's R2 prices. */
export function CostPricesForm({ target, name, prices, onChanged }: CostPricesFormProps) {
  const [draft, setDraft] = useState<Record<Field, string>>(() => draftOf(prices));
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const id = (key: Field) => `cost-${target}-${key}`;

  // New figures (a save, a reset, another tab): the fields show the prices in use.
  useEffect(() => setDraft(draftOf(prices)), [prices]);

  const run = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await work();
      setErrors({});
      setMessage({ ok: true, text: done });
      await onChanged();
    } catch (error) {
      if (error instanceof ApiError && error.field && FIELDS.some((f) => f.key === error.field)) {
        setErrors({ [error.field]: error.message });
        document.getElementById(id(error.field as Field))?.focus();
      } else setMessage({ ok: false, text: `The prices were not saved: ${errorMessage(error)}` });
    } finally {
      setBusy(false);
    }
  };

  const save = (event: Event) => {
    event.preventDefault();
    const found: Partial<Record<Field, string>> = {};
    const values = {} as CostPricesInput;
    for (const { key } of FIELDS) {
      const value = priceValue(draft[key]);
      if (value === null) found[key] = 'Enter a price in US dollars, such as 0.015 (digits and a decimal point)';
      else values[key] = value;
    }
    setErrors(found);
    const first = FIELDS.find((f) => found[f.key]);
    if (first) {
      document.getElementById(id(first.key))?.focus();
      return;
    }
    void run(() => savePrices(target, values), `Prices saved for ${name}`);
  };

  return (
    <form class="cost-prices" aria-label={`Prices for ${name}`} onSubmit={save} noValidate>
      {FIELDS.map(({ key, label, hint }) => {
        const describedBy = [`${id(key)}-hint`, errors[key] ? `${id(key)}-error` : ''].filter(Boolean).join(' ');
        return (
          <div class="field" key={key}>
            <label for={id(key)}>{label}</label>
            <input
              id={id(key)}
              type="text"
              inputMode="decimal"
              value={draft[key]}
              aria-invalid={errors[key] ? true : undefined}
              aria-describedby={describedBy}
              onInput={(e) => {
                const value = (e.target as HTMLInputElement).value;
                setDraft((d) => ({ ...d, [key]: value }));
                setMessage(null);
              }}
            />
            <p id={`${id(key)}-hint`} class="hint">
              {hint}
            </p>
            {errors[key] && (
              <p id={`${id(key)}-error`} class="field-error">
                {errors[key]}
              </p>
            )}
          </div>
        );
      })}
      <div class="actions">
        <button type="submit" class="button button-small" disabled={busy}>
          Save prices
        </button>
        {!prices.is_default && (
          <button
            type="button"
            class="button button-small"
            disabled={busy}
            onClick={() => void run(() => resetPrices(target), `${name} uses the R2 prices again`)}
          >
            Use the R2 prices
          </button>
        )}
      </div>
      <p class={message?.ok === false ? 'field-error' : 'hint'} role="status">
        {message?.text ?? ''}
      </p>
    </form>
  );
}
