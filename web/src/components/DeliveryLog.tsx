import type { ComponentChildren } from 'preact';
import type { Delivery } from '../api/notifications';
import { formatDateTime, formatRelative } from '../format';
import { EVENT_LABELS } from '../notification-channels';

const STATE_LABELS: Record<Delivery['state'], string> = { pending: 'Pending', delivered: 'Delivered', given_up: 'Given up' };

function eventLabel(event: string): string {
  if (event === 'test') return 'Test message';
  if (event === 'backup.started') return 'Backup started';
  return EVENT_LABELS[event as keyof typeof EVENT_LABELS] ?? event;
}

/** What became of a delivery: the next try, the receiver's answer, or why it was given up. */
function outcome(delivery: Delivery, now: number): ComponentChildren {
  if (delivery.state === 'pending') {
    return (
      <>
        {delivery.attempts > 0 ? `Tried ${delivery.attempts} ${delivery.attempts === 1 ? 'time' : 'times'}` : 'Not sent yet'}
        {delivery.next_attempt_at && (
          <>
            ; next try <time dateTime={delivery.next_attempt_at}>{formatRelative(delivery.next_attempt_at, now)}</time>
          </>
        )}
        {delivery.last_error && <span class="filename">{delivery.last_error}</span>}
      </>
    );
  }
  if (delivery.state === 'delivered') return delivery.answer && <span class="filename">{delivery.answer}</span>;
  return <span class="filename">{delivery.reason ?? delivery.last_error ?? 'No reason was recorded.'}</span>;
}

interface DeliveryLogProps {
  deliveries: Delivery[] | null;
  error: string | null;
  reload: () => Promise<void>;
  now: number;
}

/** The notification outbox, newest first: pending (with the next try), delivered (with the receiver's answer), given up (with why). */
export function DeliveryLog({ deliveries, error, reload, now }: DeliveryLogProps) {
  let body: ComponentChildren;
  if (error && !deliveries) {
    body = <p class="status-error">The delivery log could not be loaded: {error}</p>;
  } else if (!deliveries) {
    body = <p class="muted">Loading…</p>;
  } else if (deliveries.length === 0) {
    body = <p class="muted">Nothing sent yet.</p>;
  } else {
    body = (
      <table class="backups deliveries">
        <caption class="visually-hidden">Notification deliveries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Channel</th>
            <th scope="col">Event</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr key={d.id} data-delivery={d.id} data-state={d.state}>
              <th scope="row" data-label="When">
                <time dateTime={d.created_at}>{formatDateTime(d.created_at)}</time>
              </th>
              <td data-label="Channel">{d.channel_name}</td>
              <td data-label="Event">
                {eventLabel(d.event)}
                {d.title && <span class="filename">{d.title}</span>}
              </td>
              <td data-label="State" class={d.state === 'delivered' ? 'status-ok' : d.state === 'given_up' ? 'status-error' : undefined}>
                {STATE_LABELS[d.state]}
                {outcome(d, now)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return (
    <div class="delivery-log" data-section="deliveries">
      <div class="list-head">
        <h3 id="deliveries-heading">Delivery log</h3>
        <button type="button" class="button button-small" onClick={() => void reload()}>
          Refresh<span class="visually-hidden"> delivery log</span>
        </button>
      </div>
      <p class="hint">
        The newest notifications and tests, newest first. One that fails is tried again for up to 24 hours, at most a minute apart, also after a restart.
      </p>
      {body}
      {error && deliveries && <p class="status-error">The delivery log could not be refreshed: {error}</p>}
    </div>
  );
}
