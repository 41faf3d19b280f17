import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AppConfig } from '../config/app-config.js';
import type { Clock } from '../common/clock.js';
import { SecretCipher } from '../settings/secret-cipher.js';
import { parseChannelInput } from './channel-input.js';
import { DeliveryAttempts } from './delivery-attempts.js';
import { NotificationDispatcher } from './notification-dispatcher.js';
import type { NotificationOptions } from './notification-options.js';
import { NotificationPublisher } from './notification-publisher.js';
import { type ChannelSender, DeliveryError } from './senders/channel-sender.js';
import { ChannelStore } from './store/channel-store.js';
import { DeliveryOutbox } from './store/delivery-outbox.js';
import { NotificationsDatabase } from './store/notifications-database.js';

/** A clock the test moves by hand; the dispatcher computes every due time from it. */
class ManualClock {
  constructor(public time: number) {}
  now(): Date {
    return new Date(this.time);
  }
}

const OPTIONS: NotificationOptions = {
  publicUrl: null,
  sendTimeoutMs: 5_000,
  retryBaseDelayMs: 5_000,
  maxRetryDelayMs: 60_000,
  giveUpAfterMs: 24 * 60 * 60 * 1000,
  keepFinishedMs: 30 * 24 * 60 * 60 * 1000,
  keepFinishedRows: 3,
};

describe('NotificationDispatcher (real outbox file, a sender that always fails, a manual clock)', () => {
  let dir: string;
  let database: NotificationsDatabase;
  let outbox: DeliveryOutbox;
  let dispatcher: NotificationDispatcher;
  let publisher: NotificationPublisher;
  let store: ChannelStore;
  let clock: ManualClock;
  let calls: number;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-dispatcher-'));
    const config = { env: { dataDir: dir, masterKey: 'unit-test-master-passphrase-0123' } } as unknown as AppConfig;
    database = new NotificationsDatabase(config);
    await database.onModuleInit();
    outbox = new DeliveryOutbox(database);
    store = new ChannelStore(database, new SecretCipher(config));
    clock = new ManualClock(Date.parse('2026-12-01T03:00:00.000Z'));
    calls = 0;
    const failing: ChannelSender = {
      type: 'webhook',
      send: () => {
        calls += 1;
        return Promise.reject(new DeliveryError('HTTP 503: down', true, 'HTTP 503'));
      },
    };
    dispatcher = new NotificationDispatcher(outbox, store, new DeliveryAttempts([failing], OPTIONS), OPTIONS, clock as unknown as Clock);
    publisher = new NotificationPublisher(outbox, dispatcher, OPTIONS, clock as unknown as Clock);
  });

  afterEach(async () => {
    await dispatcher.onModuleDestroy();
    await database.onApplicationShutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Wakes the dispatcher and waits until the try numbered `attempts` is recorded. */
  async function tryUntil(attempts: number) {
    dispatcher.wake();
    for (;;) {
      const [row] = await outbox.list({ limit: 1 });
      if (row.attempts >= attempts || row.state !== 'pending') return row;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('retries with a delay that doubles from 5 s up to one minute, then gives up 24 hours after the notification was written', async () => {
    await store.create(parseChannelInput({ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook' }, ['local', 'r2']));
    await publisher.publish({ event: 'backup.failed', target: 'local', title: 'Local backup failed', message: 'x' });
    const delays: number[] = [];
    let row = await tryUntil(1);
    while (delays.length < 7) {
      const due = Date.parse(row.nextAttemptAt!);
      delays.push(due - Date.parse(row.lastAttemptAt!));
      clock.time = due;
      row = await tryUntil(row.attempts + 1);
    }
    expect(delays).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
    expect(row.state).toBe('pending');
    // Near the end of the day: the next try would fall after it, so this one is the last.
    clock.time = Date.parse(row.createdAt) + OPTIONS.giveUpAfterMs - 30_000;
    row = await tryUntil(row.attempts + 1);
    expect(row.state).toBe('given_up');
    expect(row.reason).toMatch(/^still failing after 9 tries in 24 hours; the last: HTTP 503: down/);
    expect(calls).toBe(row.attempts);
  });

  it('prunes the log to the newest finished entries, never a pending one', async () => {
    await store.create(parseChannelInput({ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook' }, ['local', 'r2']));
    const stored = (await store.list())[0];
    const notification = publisher.notificationOf({ event: 'test', target: null, title: 't', message: 'm' });
    for (let i = 0; i < 6; i++) await outbox.record(stored, notification, { kind: 'delivered', answer: 'HTTP 200' }, new Date());
    await publisher.publish({ event: 'backup.failed', target: 'local', title: 'Local backup failed', message: 'x' });
    expect(await outbox.prune(new Date(0), 3)).toBe(3);
    const left = await outbox.list({ limit: 100 });
    expect(left.filter((row) => row.state === 'delivered')).toHaveLength(3);
    expect(left.filter((row) => row.state === 'pending')).toHaveLength(1);
    expect(await outbox.prune(new Date(Date.now() + 1000), 3)).toBe(3);
    expect((await outbox.list({ limit: 100 })).map((row) => row.state)).toEqual(['pending']);
  });
});
