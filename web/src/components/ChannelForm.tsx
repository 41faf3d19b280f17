import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../api/client';
import type { Channel, ChannelRequest, ChannelType } from '../api/notifications';
import {
  CHANNEL_TYPE_LABELS,
  CHANNEL_TYPES,
  type ChannelDraft,
  draftFieldOf,
  draftOf,
  type DraftErrors,
  EVENT_LABELS,
  EVENT_NAMES,
  fieldsOf,
  newDraft,
  type RemovableSecret,
  requestOf,
  SMTP_SECURITY_LABELS,
  type SmtpSecurity,
} from '../notification-channels';

const ID = 'channel-form';
const fieldId = (key: keyof ChannelDraft | 'events'): string => `${ID}-${key}`;

/** The fields' labels; an API error that starts with the field's name starts with its label instead. */
const LABELS = {
  smtp_host: 'SMTP server',
  smtp_port: 'Port',
  smtp_security: 'Security',
  smtp_user: 'User (optional)',
  smtp_password: 'Password (optional)',
  from: 'From',
  to: 'To',
  url: 'URL',
  secret: 'Signing secret (optional)',
  headers: 'Extra headers (optional)',
  token: 'Access token (optional)',
  name: 'Name',
  type: 'Type',
  events: 'Events',
} as const satisfies Partial<Record<keyof ChannelDraft, string>>;

const URL_HINTS: Record<Exclude<ChannelType, 'email'>, string> = {
  webhook: 'Any http(s) URL: the service POSTs a JSON body to it.',
  slack: 'The incoming webhook URL Slack gives you: https://hooks.slack.com/services/…',
  discord: 'The webhook URL from the channel’s Integrations: https://discord.com/api/webhooks/…',
  ntfy: 'The topic URL: https://ntfy.sh/your-topic, or the same on your own ntfy server.',
  ping: 'A healthchecks.io, Uptime Kuma or Cronitor check URL: /start is pinged when a backup starts, the URL itself on success, /fail on failure.',
};

interface ChannelFormProps {
  /** The channel being edited; null for a new one. */
  channel: Channel | null;
  onSave: (body: ChannelRequest) => Promise<Channel>;
  /** After a save, with the saved channel's name; or after Cancel (null). */
  onClose: (saved: Channel | null) => void;
}

/** Add or edit a notification channel: fields that follow the type, events as checkboxes, secrets write-only. */
export function ChannelForm({ channel, onSave, onClose }: ChannelFormProps) {
  const [draft, setDraft] = useState<ChannelDraft>(() => (channel ? draftOf(channel) : newDraft()));
  const [errors, setErrors] = useState<DraftErrors>({});
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const stored = channel !== null;
  const fields = fieldsOf(draft.type);
  const title = stored ? `Edit ${channel.name}` : 'Add a channel';
  const headersStored = stored && (channel.header_names?.length ?? 0) > 0;

  // The keyboard follows the form when it opens.
  useEffect(() => heading.current?.focus(), []);

  const change = <K extends keyof ChannelDraft>(key: K, value: ChannelDraft[K]): void => {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors(({ [key]: _fixed, ...rest }) => rest);
    setStatus(null);
  };
  const changeType = (type: ChannelType): void => {
    // The events follow the type while the user has not chosen any: a ping URL takes backups only.
    setDraft((d) => ({ ...newDraft(type), name: d.name, enabled: d.enabled }));
    setErrors({});
    setStatus(null);
  };
  const toggleEvent = (name: ChannelDraft['events'][number], on: boolean): void => {
    change('events', on ? EVENT_NAMES.filter((e) => e === name || draft.events.includes(e)) : draft.events.filter((e) => e !== name));
    setErrors(({ events: _fixed, ...rest }) => rest);
  };

  const focusFirstError = (found: Partial<Record<string, string>>): void => {
    const first = ['name', 'type', ...fields, 'events'].find((key) => found[key]);
    if (first)
      setTimeout(
        () =>
          document
            .getElementById(first === 'events' ? `${fieldId('events')}-${draft.events[0] ?? EVENT_NAMES[0]}` : fieldId(first as keyof ChannelDraft))
            ?.focus(),
        0,
      );
  };

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    const request = requestOf(draft, stored);
    if ('errors' in request) {
      setErrors(request.errors);
      setStatus('The channel was not saved: see the field marked below.');
      focusFirstError(request.errors);
      return;
    }
    setBusy(true);
    setStatus(null);
    try {
      const saved = await onSave(request.body);
      onClose(saved);
    } catch (error) {
      const key = draftFieldOf(error);
      if (key) {
        // "url must be an http(s) URL" reads "URL must be …" next to the field labelled URL.
        const found = {
          [key]: errorMessage(error).replace(new RegExp(`^${key}\\b`), (LABELS[key as keyof typeof LABELS] ?? key).replace(/ \(optional\)$/, '')),
        };
        setErrors(found);
        setStatus('The channel was not saved: see the field marked below.');
        focusFirstError(found);
      } else {
        setErrors({});
        setStatus(`The channel was not saved: ${errorMessage(error)}`);
      }
    } finally {
      setBusy(false);
    }
  };

  /** A labelled field with its hint and its error (aria-describedby both). */
  const field = (key: keyof ChannelDraft, label: string, control: (props: Record<string, unknown>) => ComponentChildren, hint?: ComponentChildren) => {
    const id = fieldId(key);
    const error = errors[key];
    const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
    return (
      <div class="field" key={key}>
        <label for={id}>{label}</label>
        {control({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
        {hint && (
          <p id={`${id}-hint`} class="hint">
            {hint}
          </p>
        )}
        {error && (
          <p id={`${id}-error`} class="field-error">
            {error}
          </p>
        )}
      </div>
    );
  };
  const text = (key: keyof ChannelDraft, label: string, hint?: ComponentChildren, options: { placeholder?: string; short?: boolean } = {}) =>
    field(
      key,
      label,
      (props) => (
        <input
          {...props}
          type="text"
          class={options.short ? 'input-short' : undefined}
          autocomplete="off"
          spellcheck={false}
          placeholder={options.placeholder}
          value={draft[key] as string}
          onInput={(e) => change(key, e.currentTarget.value as never)}
        />
      ),
      hint,
    );
  /** Remove (an optional secret a stored channel has) and Keep (after Remove), as the settings' secrets have. */
  const removal = (key: RemovableSecret, label: string, isSet: boolean) =>
    draft[key] === null ? (
      <button type="button" class="button button-small" onClick={() => change(key, '')}>
        Keep<span class="visually-hidden"> {label}</span>
      </button>
    ) : (
      stored &&
      isSet && (
        <button type="button" class="button button-small" onClick={() => change(key, null)}>
          Remove<span class="visually-hidden"> {label}</span>
        </button>
      )
    );
  const secretHint = (isSet: boolean, key: keyof ChannelDraft, hint?: string) => (
    <>
      {hint && `${hint} `}
      Write-only: the stored value is never shown
      {draft[key] === null ? '; it is removed when you save' : stored && isSet ? '; leave empty to keep it' : ''}.
    </>
  );
  /** A write-only field: empty on a stored channel, and left empty it keeps the stored value. */
  const secret = (key: 'url' | RemovableSecret, label: string, isSet: boolean, hint?: string, placeholder?: string) =>
    field(
      key,
      label,
      (props) => {
        const common = {
          ...props,
          spellcheck: false,
          disabled: draft[key] === null,
          placeholder: draft[key] === null ? 'Will be removed' : stored && isSet ? 'Stored – leave empty to keep it' : placeholder,
          value: draft[key] ?? '',
          onInput: (e: Event) => change(key, (e.currentTarget as HTMLInputElement).value),
        };
        // A URL carries its token like a password, but is pasted and checked by eye: shown as typed.
        const input =
          key === 'url' ? (
            <input type="text" inputMode="url" autocomplete="off" {...common} />
          ) : (
            <input type="password" autocomplete="new-password" {...common} />
          );
        return key === 'url' ? (
          input
        ) : (
          <div class="input-row">
            {input}
            {removal(key, label, isSet)}
          </div>
        );
      },
      secretHint(isSet, key, hint),
    );

  let destination: ComponentChildren;
  if (draft.type === 'email') {
    destination = (
      <>
        {text('smtp_host', LABELS.smtp_host, undefined, { placeholder: 'smtp.example.com' })}
        {text('smtp_port', LABELS.smtp_port, undefined, { short: true })}
        {field('smtp_security', LABELS.smtp_security, (props) => (
          <select {...props} value={draft.smtp_security} onChange={(e) => change('smtp_security', e.currentTarget.value as SmtpSecurity)}>
            {(Object.keys(SMTP_SECURITY_LABELS) as SmtpSecurity[]).map((s) => (
              <option key={s} value={s}>
                {SMTP_SECURITY_LABELS[s]}
              </option>
            ))}
          </select>
        ))}
        {text('smtp_user', LABELS.smtp_user)}
        {secret('smtp_password', LABELS.smtp_password, channel?.smtp_password_set ?? false)}
        {text('from', LABELS.from, undefined, { placeholder: 'backup@example.com' })}
        {text('to', LABELS.to, 'One or more addresses, separated by commas.', { placeholder: 'ops@example.com' })}
      </>
    );
  } else {
    destination = (
      <>
        {secret('url', LABELS.url, stored, URL_HINTS[draft.type], draft.type === 'ntfy' ? 'https://ntfy.sh/your-topic' : 'https://')}
        {fields.has('secret') &&
          secret('secret', LABELS.secret, channel?.secret_set ?? false, 'Each request carries X-Sentinel-Signature: sha256=<HMAC of the body>.')}
        {fields.has('headers') &&
          field(
            'headers',
            LABELS.headers,
            (props) => (
              <div class="input-row">
                <textarea
                  {...props}
                  class="key-field"
                  rows={2}
                  spellcheck={false}
                  disabled={draft.headers === null}
                  placeholder={draft.headers === null ? 'Will be removed' : headersStored ? 'Stored – leave empty to keep them' : 'Authorization: Bearer …'}
                  value={draft.headers ?? ''}
                  onInput={(e) => change('headers', e.currentTarget.value)}
                />
                {removal('headers', 'Extra headers', headersStored)}
              </div>
            ),
            <>
              One “Name: value” a line; the values are write-only
              {draft.headers === null
                ? ': the stored headers are removed when you save'
                : headersStored
                  ? ` (stored: ${channel.header_names?.join(', ')}; typing here replaces them all)`
                  : ''}
              .
            </>,
          )}
        {fields.has('token') && secret('token', LABELS.token, channel?.token_set ?? false, 'For a protected ntfy topic.')}
      </>
    );
  }

  const eventsError = errors.events;
  return (
    <form class="channel-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${ID}-heading`}>
      <h3 id={`${ID}-heading`} ref={heading} tabIndex={-1}>
        {title}
      </h3>
      {text('name', LABELS.name, undefined, { placeholder: 'Ops webhook' })}
      {field('type', LABELS.type, (props) => (
        <select {...props} value={draft.type} disabled={stored} onChange={(e) => changeType(e.currentTarget.value as ChannelType)}>
          {CHANNEL_TYPES.map((t) => (
            <option key={t} value={t}>
              {CHANNEL_TYPE_LABELS[t]}
            </option>
          ))}
        </select>
      ))}
      <fieldset class="field-group">
        <legend>Where it sends</legend>
        {destination}
      </fieldset>
      <fieldset class="field-group" aria-describedby={eventsError ? `${fieldId('events')}-error` : undefined}>
        <legend>Events</legend>
        {draft.type === 'ping' && <p class="hint">A ping URL hears when each backup starts, and whether it succeeded or failed.</p>}
        <div class="event-choices">
          {EVENT_NAMES.map((name) => (
            <div class="field field-flag" key={name}>
              <input
                id={`${fieldId('events')}-${name}`}
                type="checkbox"
                checked={draft.events.includes(name)}
                onChange={(e) => toggleEvent(name, e.currentTarget.checked)}
              />
              <label for={`${fieldId('events')}-${name}`}>{EVENT_LABELS[name]}</label>
            </div>
          ))}
        </div>
        {eventsError && (
          <p id={`${fieldId('events')}-error`} class="field-error">
            {eventsError}
          </p>
        )}
      </fieldset>
      <div class="field field-flag">
        <input id={fieldId('enabled')} type="checkbox" class="switch" checked={draft.enabled} onChange={(e) => change('enabled', e.currentTarget.checked)} />
        <label for={fieldId('enabled')}>Enabled</label>
      </div>
      <div class="actions">
        <button type="submit" class="button button-primary" aria-disabled={busy} aria-busy={busy}>
          {busy ? 'Saving…' : stored ? 'Save channel' : 'Add channel'}
        </button>
        <button type="button" class="button" onClick={() => onClose(null)}>
          Cancel
        </button>
      </div>
      <div class="form-status" role="status">
        {status && <p class="status-error">{status}</p>}
      </div>
    </form>
  );
}
