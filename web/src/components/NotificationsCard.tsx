import { useRef, useState } from 'preact/hooks';
import { errorMessage } from '../api/client';
import type { Channel } from '../api/notifications';
import { useDeliveries } from '../hooks/useDeliveries';
import { type ChannelTest, useNotificationChannels } from '../hooks/useNotificationChannels';
import { CHANNEL_TYPE_LABELS, EVENT_LABELS } from '../notification-channels';
import { ChannelForm } from './ChannelForm';
import { useConfirm } from './ConfirmDialog';
import { DeliveryLog } from './DeliveryLog';

/** Where a channel sends, from what the API returns: a host or the recipients, never a URL (URLs carry tokens). */
function destination(channel: Channel): string {
  if (channel.type === 'email') return `to ${channel.to?.join(', ') ?? ''} through ${channel.smtp_host ?? ''}:${channel.smtp_port ?? ''}`;
  return channel.url_host ? `to ${channel.url_host}` : '';
}

function TestOutcome({ test }: { test: ChannelTest }) {
  if (test.error !== undefined) {
    return (
      <div class="test-result test-failed" role="alert">
        <p>
          <strong>The test did not run:</strong> {test.error}
        </p>
      </div>
    );
  }
  const { result } = test;
  return (
    <div
      class={`test-result ${result.delivered ? 'test-ok' : 'test-failed'}`}
      role={result.delivered ? 'status' : 'alert'}
      data-test={result.delivered ? 'delivered' : 'failed'}
    >
      <p>
        <strong>{result.delivered ? 'Test message delivered' : 'Test message not delivered'}</strong>
      </p>
      {/* Delivered: "the receiver answered HTTP 200: …"; failed: the cause and what to do. */}
      <p class="test-answer">{result.message}</p>
      {!result.delivered && result.answer && <pre class="receiver-answer">{result.answer}</pre>}
    </div>
  );
}

interface NotificationsCardProps {
  /** Off while the service restarts. */
  enabled: boolean;
  now: number;
}

/** The notification channels (add, edit, delete, Test) and the delivery log. */
export function NotificationsCard({ enabled, now }: NotificationsCardProps) {
  const channels = useNotificationChannels(enabled);
  const deliveries = useDeliveries(enabled);
  const confirm = useConfirm();
  /** The open form: a channel's id, 'new', or none (one form at a time keeps its field ids unique). */
  const [editing, setEditing] = useState<string | null>(null);
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const addButton = useRef<HTMLButtonElement>(null);

  const closeForm = (saved: Channel | null, wasNew: boolean): void => {
    setEditing(null);
    if (saved) setStatus({ kind: 'ok', text: wasNew ? `Channel ${saved.name} added.` : `Channel ${saved.name} saved.` });
    // Back to where the form was opened from.
    setTimeout(() => (saved && !wasNew ? document.getElementById(`channel-${saved.id}-edit`) : addButton.current)?.focus(), 0);
  };

  const remove = async (channel: Channel): Promise<void> => {
    const answer = await confirm({
      title: 'Delete this channel?',
      body: (
        <p>
          <strong>{channel.name}</strong> ({CHANNEL_TYPE_LABELS[channel.type]}) stops receiving notifications, and its stored URL and secrets are deleted.
          Messages still waiting for it are not sent.
        </p>
      ),
      confirmLabel: 'Delete channel',
      danger: true,
    });
    if (!answer.confirmed) return;
    try {
      await channels.remove(channel.id);
      setStatus({ kind: 'ok', text: `Channel ${channel.name} deleted.` });
      addButton.current?.focus();
    } catch (error) {
      setStatus({ kind: 'error', text: `Channel ${channel.name} was not deleted: ${errorMessage(error)}` });
    }
  };

  const test = async (channel: Channel): Promise<void> => {
    setStatus(null);
    await channels.test(channel.id);
    deliveries.poke();
  };

  const list = channels.channels;
  return (
    <section class="card notifications" aria-labelledby="notifications-heading" data-section="notifications">
      <div class="list-head">
        <h2 id="notifications-heading">Notifications</h2>
        {editing !== 'new' && (
          <button
            ref={addButton}
            type="button"
            class="button button-small"
            onClick={() => {
              setStatus(null);
              setEditing('new');
            }}
          >
            Add channel
          </button>
        )}
      </div>
      <p class="card-intro">
        Where the service reports failed, overdue and (if you choose) successful backups: a webhook, Slack, Discord, ntfy, email, or a ping URL that raises the
        alarm when the pings stop, even when this whole server is down.
      </p>
      {channels.error && (
        <div class="notice notice-error" role="alert">
          <p>The channels could not be loaded: {channels.error}</p>
          <button type="button" class="button button-small" onClick={() => void channels.load()}>
            Try again
          </button>
        </div>
      )}
      {editing === 'new' && <ChannelForm channel={null} onSave={(body) => channels.save(null, body)} onClose={(saved) => closeForm(saved, true)} />}
      {list && list.length === 0 && editing !== 'new' && <p class="muted">No channels yet: failures are only in the service log and on this page.</p>}
      {list && list.length > 0 && (
        <ul class="channel-list">
          {list.map((channel) => {
            const outcome = channels.tests[channel.id];
            const testing = channels.testing === channel.id;
            return (
              <li key={channel.id} class="channel" data-channel={channel.id}>
                {editing === channel.id ? (
                  <ChannelForm channel={channel} onSave={(body) => channels.save(channel.id, body)} onClose={(saved) => closeForm(saved, false)} />
                ) : (
                  <>
                    <div class="channel-head">
                      <h3 id={`channel-${channel.id}-name`}>{channel.name}</h3>
                      <span class="badge">{CHANNEL_TYPE_LABELS[channel.type]}</span>
                      <span class={`badge ${channel.enabled ? 'badge-ok' : ''}`}>{channel.enabled ? 'Enabled' : 'Off'}</span>
                    </div>
                    {destination(channel) && <p class="channel-destination">Sends {destination(channel)}</p>}
                    <p class="channel-events">
                      <span class="muted">Events:</span> {channel.events.length ? channel.events.map((e) => EVENT_LABELS[e]).join(', ') : 'none'}
                    </p>
                    <div class="actions">
                      <button
                        type="button"
                        class="button button-small"
                        aria-disabled={channels.testing !== null}
                        aria-busy={testing}
                        onClick={() => void test(channel)}
                      >
                        {testing ? 'Testing…' : 'Test'}
                        <span class="visually-hidden"> {channel.name}</span>
                      </button>
                      <button
                        id={`channel-${channel.id}-edit`}
                        type="button"
                        class="button button-small"
                        onClick={() => {
                          setStatus(null);
                          setEditing(channel.id);
                        }}
                      >
                        Edit<span class="visually-hidden"> {channel.name}</span>
                      </button>
                      <button type="button" class="button button-small button-danger-quiet" onClick={() => void remove(channel)}>
                        Delete<span class="visually-hidden"> {channel.name}</span>
                      </button>
                    </div>
                    {outcome && <TestOutcome test={outcome} />}
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <div class="form-status" role="status">
        {status && <p class={status.kind === 'ok' ? 'status-ok' : 'status-error'}>{status.text}</p>}
      </div>
      <DeliveryLog deliveries={deliveries.deliveries} error={deliveries.error} reload={deliveries.load} now={now} />
    </section>
  );
}
