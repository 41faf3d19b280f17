import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../api/client';
import { type Channel, type ChannelRequest, type ChannelTestResult, notificationsApi } from '../api/notifications';

/** What the last Test of a channel showed: the receiver's answer, or why the test could not run. */
export type ChannelTest = { result: ChannelTestResult; error?: undefined } | { result?: undefined; error: string };

export interface NotificationChannels {
  /** The channels as the service keeps them (no secrets); null until the first answer. */
  channels: Channel[] | null;
  /** Why the list could not be loaded. */
  error: string | null;
  load: () => Promise<void>;
  /** Creates (`id` null) or updates a channel; rejects with the ApiError for the form to show. */
  save: (id: string | null, body: ChannelRequest) => Promise<Channel>;
  /** Deletes a channel; rejects with the ApiError. */
  remove: (id: string) => Promise<void>;
  /** Sends a channel's test message; its outcome lands in `tests`. */
  test: (id: string) => Promise<void>;
  tests: Record<string, ChannelTest>;
  /** The channel whose test is running. */
  testing: string | null;
}

/** The notification channels: loaded when the page opens and whenever `enabled` turns on again. */
export function useNotificationChannels(enabled: boolean): NotificationChannels {
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, ChannelTest>>({});
  const [testing, setTesting] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setChannels(await notificationsApi.list());
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    if (enabled) void load();
  }, [enabled, load]);

  const save = async (id: string | null, body: ChannelRequest): Promise<Channel> => {
    const saved = id === null ? await notificationsApi.create(body) : await notificationsApi.update(id, body);
    // A changed channel's last test no longer says anything about it.
    setTests(({ [saved.id]: _old, ...rest }) => rest);
    await load();
    return saved;
  };

  const remove = async (id: string): Promise<void> => {
    await notificationsApi.remove(id);
    setTests(({ [id]: _old, ...rest }) => rest);
    await load();
  };

  const test = async (id: string): Promise<void> => {
    if (testing) return;
    setTesting(id);
    setTests(({ [id]: _old, ...rest }) => rest);
    try {
      const result = await notificationsApi.test(id);
      setTests((t) => ({ ...t, [id]: { result } }));
    } catch (e) {
      setTests((t) => ({ ...t, [id]: { error: errorMessage(e) } }));
    } finally {
      setTesting(null);
    }
  };

  return { channels, error, load, save, remove, test, tests, testing };
}
