/**
 * The outbox, in the real app with real receivers on loopback: a failed try is retried with the same
 * notification id until it is delivered, once; a refusal is given up at once; deliveries to one channel
 * arrive in order; a receiver that hangs delays neither a real backup nor the other channels, and its
 * delivery is retried after the time limit; stopping the service aborts a send in flight, leaves it pending,
 * sends nothing more, and the next start delivers it.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { DiskSpaceWatch } from '../src/backup/disk-space-watch.js';
import { NotificationPublisher } from '../src/notifications/notification-publisher.js';
import { waitForJob } from './support/seed.js';
import { startHttpReceiver, type HttpReceiver } from './support/http-receiver.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';
import { fillDisk, mountTmpfs, unmountTmpfs } from './support/tmpfs.js';
import { until } from './support/until.js';

const FAST = { SENTINEL_NOTIFY_TIMEOUT_MS: '500', SENTINEL_NOTIFY_RETRY_BASE_MS: '50' };
const failure = (message: string) => ({ event: 'backup.failed' as const, target: 'local' as const, title: 'Local backup failed', message });

describe('notification outbox', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function app(env: Record<string, string> = {}, options: { root?: string; keep?: boolean; imports?: never[] } = {}): Promise<TestApp> {
    const t = await startTestApp({ ...FAST, ...env }, options);
    cleanup.push(() => t.close());
    return t;
  }
  async function receiver(answer?: HttpReceiver['answer'], port?: number): Promise<HttpReceiver> {
    const r = await startHttpReceiver(answer, port);
    cleanup.push(() => r.close());
    return r;
  }
  async function channel(t: TestApp, body: Record<string, unknown>): Promise<string> {
    const res = await t.http.post('/api/notifications/channels').send(body);
    expect(res.status).toBe(201);
    return res.body.id as string;
  }
  const deliveries = async (t: TestApp, query = '') => (await t.http.get(`/api/notifications/deliveries${query}`)).body as any[];

  it('retries a failed try with the same notification id until it is delivered, once', async () => {
    const t = await app();
    const r = await receiver({ status: 503, body: 'busy' });
    const id = await channel(t, { name: 'hook', type: 'webhook', url: `${r.origin}/hook` });
    const notification = (await t.app.get(NotificationPublisher).publish(failure('disk full')))!;
    await r.received(2);
    r.answer = { status: 200, body: 'thanks' };
    const delivered = await until('delivered', async () => (await deliveries(t, `?channel=${id}&state=delivered`))[0]);
    expect(delivered).toMatchObject({ notification_id: notification.id, answer: 'HTTP 200: thanks', last_error: null });
    expect(delivered.attempts).toBe(r.requests.length);
    expect(new Set(r.requests.map((q) => q.headers['x-sentinel-delivery']))).toEqual(new Set([notification.id]));
  });

  it('gives up at once when the receiver refuses for good (404), with why', async () => {
    const t = await app();
    const r = await receiver({ status: 404, body: 'Unknown Webhook' });
    const id = await channel(t, { name: 'discord', type: 'discord', url: `${r.origin}/api/webhooks/1/gone` });
    await t.app.get(NotificationPublisher).publish(failure('x'));
    const given = await until('given up', async () => (await deliveries(t, `?channel=${id}&state=given_up`))[0]);
    expect(given.attempts).toBe(1);
    expect(given.reason).toMatch(/^refused: Discord answered HTTP 404 \(Unknown Webhook\): the webhook was deleted/);
    expect(r.requests).toHaveLength(1);
  });

  it("waits what a receiver's Retry-After asks on 429 and 503 (seconds or an HTTP date, capped at an hour), then delivers", async () => {
    const t = await app();
    const pendingAfterOneTry = async (id: string) =>
      until('a failed try, left pending', async () => (await deliveries(t, `?channel=${id}&state=pending`)).find((d) => d.attempts >= 1));
    const waited = (d: { next_attempt_at: string; last_attempt_at: string }) => Date.parse(d.next_attempt_at) - Date.parse(d.last_attempt_at);
    const publisher = t.app.get(NotificationPublisher);

    const seconds = await receiver({ status: 429, body: 'slow down', headers: { 'Retry-After': '120' } });
    const secondsId = await channel(t, { name: 'seconds', type: 'webhook', url: `${seconds.origin}/hook` });
    const inDate = new Date(Date.now() + 10 * 60_000);
    const date = await receiver({ status: 503, body: 'maintenance', headers: { 'Retry-After': inDate.toUTCString() } });
    const dateId = await channel(t, { name: 'date', type: 'webhook', url: `${date.origin}/hook` });
    const absurd = await receiver({ status: 503, body: 'later', headers: { 'Retry-After': '86400' } });
    const absurdId = await channel(t, { name: 'absurd', type: 'webhook', url: `${absurd.origin}/hook` });
    await publisher.publish(failure('x'));

    const bySeconds = await pendingAfterOneTry(secondsId);
    expect(waited(bySeconds)).toBe(120_000); // not the 50 ms backoff
    expect(bySeconds.last_error).toMatch(/HTTP 429 \(slow down\).*asked to wait 2 min \(Retry-After\)/);
    const byDate = await pendingAfterOneTry(dateId);
    expect(waited(byDate)).toBeGreaterThan(9 * 60_000);
    expect(waited(byDate)).toBeLessThanOrEqual(10 * 60_000);
    expect(waited(await pendingAfterOneTry(absurdId))).toBe(60 * 60_000);

    // A short Retry-After: the delivery is tried again once it has passed, and arrives.
    const brief = await receiver({ status: 503, body: 'busy', headers: { 'Retry-After': '1' } });
    const briefId = await channel(t, { name: 'brief', type: 'webhook', url: `${brief.origin}/hook`, events: ['disk.low'] });
    await publisher.publish({ event: 'disk.low', target: 'local', title: 'Disk low', message: 'y' });
    expect(waited(await pendingAfterOneTry(briefId))).toBe(1000);
    brief.answer = { status: 200, body: 'ok' };
    const delivered = await until('delivered after the wait', async () => (await deliveries(t, `?channel=${briefId}&state=delivered`))[0]);
    expect(delivered.attempts).toBeGreaterThanOrEqual(2);
  });

  it('delivers to one channel in the order published, even across failed tries', async () => {
    const t = await app();
    const r = await receiver({ status: 500, body: 'down' });
    await channel(t, { name: 'hook', type: 'webhook', url: `${r.origin}/hook` });
    const publisher = t.app.get(NotificationPublisher);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await publisher.publish(failure(`number ${n}`)))!.id);
    await r.received(2);
    r.answer = { status: 200, body: 'ok' };
    await until('all delivered', async () => ((await deliveries(t, '?state=delivered')).length === 3 ? true : undefined));
    const accepted = r.requests.slice(-3).map((q) => q.headers['x-sentinel-delivery']);
    expect(accepted).toEqual(ids);
    // Before the first was accepted, only it was tried: the later ones waited their turn.
    const firstOk = r.requests.length - 3;
    expect(r.requests.slice(0, firstOk).every((q) => q.headers['x-sentinel-delivery'] === ids[0])).toBe(true);
  });

  it('a receiver that hangs delays neither a real backup nor another channel, and its delivery is retried', async () => {
    // The real rules (BackupRules) publish the start and the success of the backup.
    const t = await app();
    const stuck = await receiver({ status: 200, body: '', hang: true });
    const fine = await receiver();
    const stuckId = await channel(t, { name: 'stuck', type: 'ping', url: `${stuck.origin}/ping/abc` });
    await channel(t, { name: 'fine', type: 'ping', url: `${fine.origin}/ping/def` });
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job.status).toBe('succeeded');
    // The other channel got the start and the success while the stuck one still holds the start.
    const got = await fine.received(2);
    expect(got.map((q) => q.url)).toEqual(['/ping/def/start', '/ping/def']);
    const retried = await until('the stuck delivery retried after the time limit', async () => {
      const pending = (await deliveries(t, `?channel=${stuckId}&state=pending`)).find((d) => d.event === 'backup.started');
      return pending?.attempts >= 1 ? pending : undefined;
    });
    expect(retried.last_error).toMatch(/did not answer within 500 ms/);
    stuck.answer = { status: 200, body: 'OK' };
    await until('the stuck channel served, in order', async () =>
      (await deliveries(t, `?channel=${stuckId}&state=delivered`)).length === 2 ? true : undefined,
    );
    expect(stuck.requests.at(-1)!.url).toBe('/ping/abc');
  });

  it('stopping aborts a send in flight and leaves it pending; nothing is sent after; the next start delivers it', async () => {
    const root = makeScratchDir();
    cleanup.push(async () => (await import('node:fs')).rmSync(root, { recursive: true, force: true }));
    const r = await receiver({ status: 200, body: '', hang: true });
    const first = await startTestApp({ SENTINEL_NOTIFY_TIMEOUT_MS: '60000' }, { root, keep: true });
    const id = await channel(first, { name: 'hook', type: 'webhook', url: `${r.origin}/hook` });
    const notification = (await first.app.get(NotificationPublisher).publish(failure('x')))!;
    await r.received(1);
    await first.close();
    expect(r.requests).toHaveLength(1);

    r.answer = { status: 200, body: 'ok' };
    const second = await app({}, { root, keep: true });
    const delivered = await until('delivered after the restart', async () => (await deliveries(second, `?channel=${id}&state=delivered`))[0]);
    expect(delivered).toMatchObject({ notification_id: notification.id, attempts: 1 });
    expect(r.requests.map((q) => q.headers['x-sentinel-delivery'])).toEqual([notification.id, notification.id]);
  });

  it('a delivery whose outcome a full disk refuses is sent once, and recorded once space is freed', async () => {
    const root = makeScratchDir();
    const mount = mountTmpfs(path.join(root, 'data'), '32m');
    if (!mount) return;
    cleanup.push(async () => {
      unmountTmpfs(mount);
      fs.rmSync(root, { recursive: true, force: true });
    });
    // Time enough to fill the disk before the receiver answers.
    const t = await app({ SENTINEL_NOTIFY_TIMEOUT_MS: '30000' }, { root, keep: true });
    // The start's disk check finds the small disk short for a backup (disk.low): it has run before the channel
    // exists, so the only notification this channel gets is the test's own.
    await t.app.get(DiskSpaceWatch).check();
    const r = await receiver({ status: 200, body: 'thanks' });
    const id = await channel(t, { name: 'hook', type: 'webhook', url: `${r.origin}/hook` });
    // The receiver fills DATA_DIR's disk as the notification arrives: sent, but its outcome cannot be written.
    let free: (() => void) | undefined;
    r.beforeAnswer = () => {
      free ??= fillDisk(mount);
    };
    const notification = (await t.app.get(NotificationPublisher).publish(failure('disk full')))!;
    await r.received(1);
    const refusals = () => (fs.existsSync(t.logFile) ? fs.readFileSync(t.logFile, 'utf8').split('could not be recorded').length - 1 : 0);
    // Two refused records: the dispatcher has had its chance to send again after the first.
    await until('the outcome refused twice', () => (refusals() >= 2 ? true : undefined));
    free!();
    const delivered = await until('delivered', async () => (await deliveries(t, `?channel=${id}&state=delivered`))[0]);
    expect(delivered).toMatchObject({ notification_id: notification.id, answer: 'HTTP 200: thanks', attempts: 1 });
    expect(r.requests.map((q) => q.headers['x-sentinel-delivery'])).toEqual([notification.id]);
  });
});
