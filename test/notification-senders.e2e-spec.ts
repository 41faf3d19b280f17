/**
 * Each channel type's request, as a real receiver on loopback gets it, checked against the format the service
 * documents (docs/notifications.md) and the receiver's own documented format: the generic webhook's JSON body
 * and its HMAC-SHA256 signature, Slack's Block Kit message, Discord's embed (within Discord's limits), ntfy's
 * publish request, and the ping URLs of healthchecks.io and Uptime Kuma. Notifications are published through
 * the real NotificationPublisher into the real outbox and sent by the real dispatcher.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NotificationPublisher } from '../src/notifications/notification-publisher.js';
import type { Notification, NotificationInput } from '../src/notifications/notification.js';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from './support/http-receiver.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

const FAILURE: NotificationInput = {
  event: 'backup.failed',
  target: 'r2',
  title: 'R2 backup failed',
  message: 'The upload to R2 was refused: access denied <check> & retry',
  hint: 'Check the R2 access key in Settings → Backup',
  error_code: 'STORAGE_ACCESS_DENIED',
  last_success: '2026-11-30T03:00:00.000Z',
  log_lines: ['03:00:01 backup r2 started', '03:00:09 upload refused: AccessDenied'],
};

describe('notification senders against real receivers', () => {
  let app: TestApp;
  let receiver: HttpReceiver;
  let publisher: NotificationPublisher;

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    app = await startTestApp({ SENTINEL_PUBLIC_URL: 'https://backup.example.lan/' });
    publisher = app.app.get(NotificationPublisher);
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  async function channel(body: Record<string, unknown>): Promise<string> {
    const res = await app.http.post('/api/notifications/channels').send(body);
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  /** Publishes and waits until the receiver has the request whose path starts with `path`; the delivery is then in the log as delivered. */
  async function publishTo(path: string, input: NotificationInput): Promise<{ request: ReceivedRequest; notification: Notification }> {
    const before = receiver.requests.length;
    const notification = (await publisher.publish(input))!;
    expect(notification).toBeDefined();
    const request = await until(`a request to ${path}`, () => receiver.requests.slice(before).find((r) => r.url.startsWith(path)));
    await until('the delivery recorded as delivered', async () => {
      const log = await app.http.get('/api/notifications/deliveries?state=delivered');
      return log.body.find((d: { notification_id: string }) => d.notification_id === notification.id);
    });
    return { request, notification };
  }

  it('webhook: the Notification as JSON, its event and id in headers, a verifiable X-Sentinel-Signature, and the custom headers', async () => {
    const id = await channel({
      name: 'hook',
      type: 'webhook',
      url: `${receiver.origin}/hook`,
      secret: 'shared-secret-1',
      headers: { 'X-Api-Key': 'k-123456' },
    });
    const { request, notification } = await publishTo('/hook', FAILURE);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toMatch(/^Sentinel-Backup\/\d+\.\d+\.\d+/);
    expect(request.headers['x-sentinel-event']).toBe('backup.failed');
    expect(request.headers['x-sentinel-delivery']).toBe(notification.id);
    expect(request.headers['x-api-key']).toBe('k-123456');
    const expected = `sha256=${createHmac('sha256', 'shared-secret-1').update(request.body).digest('hex')}`;
    expect(request.headers['x-sentinel-signature']).toBe(expected);
    const body = JSON.parse(request.body.toString('utf8'));
    expect(body).toEqual({
      id: notification.id,
      event: 'backup.failed',
      severity: 'critical',
      target: 'r2',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      title: 'R2 backup failed',
      message: FAILURE.message,
      hint: FAILURE.hint,
      error_code: 'STORAGE_ACCESS_DENIED',
      last_success: '2026-11-30T03:00:00.000Z',
      link: 'https://backup.example.lan/',
      resolves: null,
      details: {},
      log_lines: FAILURE.log_lines,
    });
    // Without a secret there is no signature header.
    await app.http.put(`/api/notifications/channels/${id}`).send({ secret: null }).expect(200);
    const { request: unsigned } = await publishTo('/hook', FAILURE);
    expect(unsigned.headers['x-sentinel-signature']).toBeUndefined();
    await app.http.delete(`/api/notifications/channels/${id}`).expect(204);
  });

  it("slack: Block Kit with a text fallback, a header, the message with what to do (mrkdwn escaped), the facts and the page's link", async () => {
    const id = await channel({ name: 'slack', type: 'slack', url: `${receiver.origin}/services/T0/B0/slacktoken123` });
    const { request } = await publishTo('/services/', FAILURE);
    expect(request.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request.body.toString('utf8'));
    expect(body.text).toContain('R2 backup failed');
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'R2 backup failed', emoji: true } });
    expect(body.blocks[1].type).toBe('section');
    expect(body.blocks[1].text.type).toBe('mrkdwn');
    expect(body.blocks[1].text.text).toContain('access denied &lt;check&gt; &amp; retry');
    expect(body.blocks[1].text.text).toContain('*What to do:* Check the R2 access key');
    const fields = body.blocks[2].fields.map((f: { text: string }) => f.text);
    expect(fields).toEqual(expect.arrayContaining(['*Event*\nbackup.failed', '*Target*\nR2', '*Error code*\nSTORAGE_ACCESS_DENIED']));
    expect(body.blocks[3].type).toBe('context');
    expect(body.blocks[3].elements[0].text).toContain('<https://backup.example.lan/|Open the admin page>');
    for (const block of body.blocks) expect(['header', 'section', 'context']).toContain(block.type);
    await app.http.delete(`/api/notifications/channels/${id}`).expect(204);
  });

  it("discord: one embed with title, description, the severity's colour, fields and timestamp, mentions off, within Discord's limits", async () => {
    const id = await channel({ name: 'discord', type: 'discord', url: `${receiver.origin}/api/webhooks/1234/discordtoken` });
    const { request, notification } = await publishTo('/api/webhooks/', FAILURE);
    const body = JSON.parse(request.body.toString('utf8'));
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds).toHaveLength(1);
    const embed = body.embeds[0];
    expect(embed.title).toBe('R2 backup failed');
    expect(embed.description).toContain(FAILURE.message);
    expect(embed.description).toContain('Check the R2 access key');
    expect(embed.color).toBe(0xd32f2f);
    expect(embed.timestamp).toBe(notification.time);
    expect(embed.url).toBe('https://backup.example.lan/');
    expect(embed.fields).toEqual(expect.arrayContaining([{ name: 'Event', value: 'backup.failed', inline: true }]));

    // A huge message is cut to Discord's limits: description 4096, title 256, the whole embed 6000.
    const { request: big } = await publishTo('/api/webhooks/', { ...FAILURE, title: 'T'.repeat(400), message: 'x'.repeat(20_000), hint: null });
    const huge = JSON.parse(big.body.toString('utf8')).embeds[0];
    expect(huge.title.length).toBeLessThanOrEqual(256);
    expect(huge.description.length).toBeLessThanOrEqual(4096);
    const total =
      huge.title.length +
      huge.description.length +
      huge.footer.text.length +
      huge.fields.reduce((n: number, f: { name: string; value: string }) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    await app.http.delete(`/api/notifications/channels/${id}`).expect(204);
  });

  it('ntfy: POST to the topic with Title, Priority from the severity, Tags, the token as Bearer, the message as the body', async () => {
    const id = await channel({ name: 'ntfy', type: 'ntfy', url: `${receiver.origin}/sentinel-alerts`, token: 'tk_ntfytoken42' });
    const { request } = await publishTo('/sentinel-alerts', FAILURE);
    expect(request.method).toBe('POST');
    expect(request.headers.title).toBe('R2 backup failed');
    expect(request.headers.priority).toBe('5');
    expect(String(request.headers.tags).split(',')).toEqual(expect.arrayContaining(['rotating_light', 'backup.failed', 'r2']));
    expect(request.headers.authorization).toBe('Bearer tk_ntfytoken42');
    expect(request.headers.click).toBe('https://backup.example.lan/');
    expect(request.body.toString('utf8')).toBe(`${FAILURE.message}\n\nWhat to do: ${FAILURE.hint}`);
    // The channel takes failures only (the default): a success is not even queued for it (publish resolves once the outbox is written).
    const skipped = (await publisher.publish({ event: 'backup.succeeded', target: 'local', title: 'Local backup succeeded', message: 'ok' }))!;
    const queued = await app.http.get(`/api/notifications/deliveries?channel=${id}`);
    expect(queued.body.map((d: { notification_id: string }) => d.notification_id)).not.toContain(skipped.id);
    await app.http
      .put(`/api/notifications/channels/${id}`)
      .send({ events: ['backup.succeeded'] })
      .expect(200);
    const { request: success } = await publishTo('/sentinel-alerts', {
      event: 'backup.succeeded',
      target: 'local',
      title: 'Local backup succeeded',
      message: 'ok',
    });
    expect(success.headers.priority).toBe('3');
    await app.http.delete(`/api/notifications/channels/${id}`).expect(204);
  });

  it('ping (healthchecks.io shape): /start when a backup starts, the URL on success, /fail with the log lines on failure', async () => {
    const id = await channel({ name: 'hc', type: 'ping', url: `${receiver.origin}/ping/5f1e0c3a-uuid` });
    const created = await app.http.get(`/api/notifications/channels/${id}`);
    expect(created.body).toMatchObject({ ping_style: 'healthchecks', events: ['backup.succeeded', 'backup.failed'] });
    const { request: start } = await publishTo('/ping/5f1e0c3a-uuid/start', {
      event: 'backup.started',
      target: 'local',
      title: 'Local backup started',
      message: 'started',
    });
    expect(start.method).toBe('POST');
    const { request: fail } = await publishTo('/ping/5f1e0c3a-uuid/fail', FAILURE);
    expect(fail.body.toString('utf8')).toContain('03:00:09 upload refused: AccessDenied');
    const before = receiver.requests.length;
    const { request: ok } = await publishTo('/ping/5f1e0c3a-uuid', {
      event: 'backup.succeeded',
      target: 'local',
      title: 'Local backup succeeded',
      message: 'done',
    });
    expect(ok.url).toBe('/ping/5f1e0c3a-uuid');
    expect(receiver.requests.length).toBe(before + 1);
    await app.http.delete(`/api/notifications/channels/${id}`).expect(204);
  });

  it('ping (Uptime Kuma push URL): status=down with the message on failure, status=up on success, no request at the start', async () => {
    const id = await channel({ name: 'kuma', type: 'ping', url: `${receiver.origin}/api/push/kumaToken99?status=up&msg=OK&ping=` });
    expect((await app.http.get(`/api/notifications/channels/${id}`)).body.ping_style).toBe('uptime-kuma');
    const { request: down } = await publishTo('/api/push/kumaToken99', FAILURE);
    const query = new URL(down.url, 'http://x').searchParams;
    expect(down.method).toBe('GET');
    expect(query.get('status')).toBe('down');
    expect(query.get('msg')).toContain('R2 backup failed');
    const started = (await publisher.publish({ event: 'backup.started', target: 'local', title: 'Local backup started', message: 'started' }))!;
    const log = await until('the start recorded', async () => {
      const res = await app.http.get(`/api/notifications/deliveries?channel=${id}`);
      return res.body.find((d: { notification_id: string; state: string }) => d.notification_id === started.id && d.state === 'delivered');
    });
    expect(log.answer).toMatch(/no start signal/);
    const { request: up } = await publishTo('/api/push/kumaToken99', { event: 'backup.succeeded', target: 'r2', title: 'R2 backup succeeded', message: 'ok' });
    expect(new URL(up.url, 'http://x').searchParams.get('status')).toBe('up');
    await app.http.delete(`/api/notifications/channels/${id}`).expect(204);
  });

  it('a "works again" message reaches the channels of the failure it ends', async () => {
    const id = await channel({ name: 'recovery', type: 'webhook', url: `${receiver.origin}/recovery`, events: ['backup.failed'] });
    const { request } = await publishTo('/recovery', {
      event: 'backup.succeeded',
      target: 'r2',
      title: 'R2 backups work again',
      message: 'R2 backups work again after 3 failures since 2026-12-01T03:00:00.000Z',
      resolves: { event: 'backup.failed', failures: 3, since: '2026-12-01T03:00:00.000Z' },
    });
    expect(JSON.parse(request.body.toString('utf8')).resolves).toEqual({ event: 'backup.failed', failures: 3, since: '2026-12-01T03:00:00.000Z' });
    await app.http.delete(`/api/notifications/channels/${id}`).expect(204);
  });
});
