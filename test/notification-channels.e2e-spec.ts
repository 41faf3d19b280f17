/**
 * The channels API: validation answers 400 naming the field and changes nothing; secrets (URL tokens, the
 * webhook secret and header values, the ntfy token, the SMTP password) are sealed at rest and never appear in
 * an answer, LOG_FILE or the delivery log, even when a receiver echoes them; PUT keeps an omitted secret;
 * DELETE gives up the channel's pending deliveries; the test endpoint answers what the receiver said or the
 * cause in words (200, 404, 401, connection refused, unknown host, no answer in time).
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NotificationPublisher } from '../src/notifications/notification-publisher.js';
import { freePort } from './fixtures/restore-service.js';
import { startHttpReceiver, type HttpReceiver } from './support/http-receiver.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

const SECRETS = {
  urlToken: 'urltoken-3f9a8c7e6d5b',
  secret: 'webhook-secret-77ab12',
  header: 'header-value-5c4d3e2f',
  ntfy: 'tk_ntfysecret_9081',
  smtp: 'smtp-password-6a5b4c',
};

describe('notification channels API', () => {
  let app: TestApp;
  let receiver: HttpReceiver;
  const answers: string[] = [];

  /** Every answer body is kept, to search them all for the secrets at the end. */
  const keep = <T extends { text: string }>(res: T): T => {
    answers.push(res.text);
    return res;
  };

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    app = await startTestApp({ SENTINEL_NOTIFY_TIMEOUT_MS: '1000', SENTINEL_NOTIFY_RETRY_BASE_MS: '60000' });
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  const create = async (body: Record<string, unknown>) => keep(await app.http.post('/api/notifications/channels').send(body));

  it.each([
    [{ name: 'x', type: 'webhook', url: 'ftp://example.com/hook' }, 'url', /http\(s\)/],
    [{ name: 'x', type: 'webhook', url: 'not a url' }, 'url', /not a URL/],
    [{ name: 'x', type: 'slack' }, 'url', /url is missing/],
    [{ name: 'x', type: 'webhook', url: 'https://user:pw@example.com/' }, 'url', /user name or password/],
    [{ name: 'x', type: 'pager', url: 'https://example.com/' }, 'type', /one of webhook, slack/],
    [{ type: 'slack', url: 'https://example.com/' }, 'name', /name is missing/],
    [{ name: 'x', type: 'slack', url: 'https://example.com/', events: ['backup.exploded'] }, 'events', /'backup.exploded'.*not an event name/],
    [
      { name: 'x', type: 'slack', url: 'https://example.com/', targets: ['s3'] },
      'targets',
      /targets names "s3", which is no target: use ids of existing targets \('local', 'r2'\)/,
    ],
    [{ name: 'x', type: 'slack', url: 'https://example.com/', enabled: 'yes' }, 'enabled', /true or false/],
    [{ name: 'x', type: 'slack', url: 'https://example.com/', token: 'abc' }, 'token', /not a field of a slack channel/],
    [{ name: 'x', type: 'ping', url: 'https://example.com/', events: ['restore.applied'] }, 'events', /ping channel cannot take restore.applied/],
    [{ name: 'x', type: 'webhook', url: 'https://example.com/', headers: { 'Bad Header': 'v' } }, 'headers', /not a valid HTTP header name/],
    [{ name: 'x', type: 'webhook', url: 'https://example.com/', headers: { 'X-Ok': 'a\r\nX-Evil: 1' } }, 'headers', /printable ASCII/],
    [{ name: 'x', type: 'webhook', url: 'https://example.com/', headers: { 'X-Sentinel-Signature': 'forged' } }, 'headers', /set by the service itself/],
    [{ name: 'x', type: 'webhook', url: 'https://example.com/', headers: { 'content-type': 'text/plain' } }, 'headers', /set by the service itself/],
    [
      { name: 'x', type: 'email', smtp_port: 587, smtp_security: 'starttls', from: 'a@example.com', to: ['b@example.com'] },
      'smtp_host',
      /smtp_host is missing/,
    ],
    [
      { name: 'x', type: 'email', smtp_host: 'smtp.example.com', smtp_port: 70000, smtp_security: 'starttls', from: 'a@example.com', to: ['b@example.com'] },
      'smtp_port',
      /1 to 65535/,
    ],
    [
      { name: 'x', type: 'email', smtp_host: 'smtp.example.com', smtp_port: 587, smtp_security: 'ssl', from: 'a@example.com', to: ['b@example.com'] },
      'smtp_security',
      /none, starttls or tls/,
    ],
    [
      { name: 'x', type: 'email', smtp_host: 'smtp.example.com', smtp_port: 587, smtp_security: 'starttls', from: 'not-an-address', to: ['b@example.com'] },
      'from',
      /email address/,
    ],
    [
      {
        name: 'x',
        type: 'email',
        smtp_host: 'smtp.example.com',
        smtp_port: 587,
        smtp_security: 'starttls',
        from: 'a@example.com',
        to: ['b@example.com', 'nope'],
      },
      'to',
      /'nope', which is not an email address/,
    ],
    [{ name: 'x', type: 'email', smtp_host: 'smtp.example.com', smtp_port: 587, smtp_security: 'starttls', from: 'a@example.com', to: [] }, 'to', /1 to 20/],
    [{ name: 'x', type: 'webhook', url: 'http://127.0.0.1:0/x' }, 'url', /port 0/],
    [{ name: '\u200b', type: 'slack', url: 'https://example.com/' }, 'name', /visible character/],
    [{ name: ' \u2060 ', type: 'slack', url: 'https://example.com/' }, 'name', /visible character/],
    [{ name: 'backup\u202egpj.exe', type: 'slack', url: 'https://example.com/' }, 'name', /invisible formatting/],
    [{ name: 'x', type: 'webhook', url: 'http://169.254.169.254/latest/meta-data/' }, 'url', /link-local/],
    [{ name: 'x', type: 'webhook', url: 'http://2852039166/latest/meta-data/' }, 'url', /link-local/],
    [{ name: 'x', type: 'webhook', url: 'http://[fe80::1]/hook' }, 'url', /link-local/],
    [{ name: 'x', type: 'webhook', url: 'http://[febf::1]/hook' }, 'url', /link-local/],
    [{ name: 'x', type: 'webhook', url: 'http://[::ffff:169.254.169.254]/hook' }, 'url', /link-local/],
    [
      { name: 'x', type: 'email', smtp_host: '169.254.169.254', smtp_port: 25, smtp_security: 'none', from: 'a@example.com', to: ['b@example.com'] },
      'smtp_host',
      /link-local/,
    ],
    [
      {
        name: 'x',
        type: 'email',
        smtp_host: 'smtp.example.com',
        smtp_port: 587,
        smtp_security: 'starttls',
        smtp_user: 'sentinel',
        from: 'a@example.com',
        to: ['b@example.com'],
      },
      'smtp_password',
      /smtp_user is set but smtp_password is not/,
    ],
    [
      {
        name: 'x',
        type: 'email',
        smtp_host: 'smtp.example.com',
        smtp_port: 25,
        smtp_security: 'none',
        smtp_user: 'sentinel',
        smtp_password: 'pw-in-clear',
        from: 'a@example.com',
        to: ['b@example.com'],
      },
      'smtp_security',
      /in clear to smtp\.example\.com.*starttls.*tls/,
    ],
    [
      {
        name: 'x',
        type: 'email',
        smtp_host: 'smtp.example.com',
        smtp_port: 587,
        smtp_security: 'starttls',
        from: 'Ops, Team <a@example.com>',
        to: ['b@example.com'],
      },
      'from',
      /email address/,
    ],
  ])('refuses %j with 400 naming %s, and creates nothing', async (body, field, message) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('INVALID_INPUT');
    expect(res.body.details).toMatchObject({ field });
    expect(res.body.message).toMatch(message);
    expect((await app.http.get('/api/notifications/channels')).body).toEqual([]);
  });

  it('refuses an unknown field instead of dropping it, and never quotes a secret in an error', async () => {
    const res = await create({ name: 'x', type: 'webhook', url: `https://example.com/${SECRETS.urlToken}`, secrett: 'typo' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/Unknown field "secrett"/);
    const bad = await create({ name: 'x', type: 'webhook', url: `gopher://example.com/${SECRETS.urlToken}` });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain(SECRETS.urlToken);
  });

  it('PUT cannot reach an email setting the sender would refuse: a remote host with security none keeps its password out of clear text', async () => {
    const mail = await create({
      name: 'relay',
      type: 'email',
      smtp_host: '127.0.0.1',
      smtp_port: 25,
      smtp_security: 'none',
      smtp_user: 'sentinel',
      smtp_password: 'pw-local-relay',
      from: 'Sentinel Backup <sentinel@example.com>',
      to: ['ops@example.com'],
    });
    expect(mail.status).toBe(201);
    expect(mail.body.from).toBe('Sentinel Backup <sentinel@example.com>');
    const moved = keep(await app.http.put(`/api/notifications/channels/${mail.body.id}`).send({ smtp_host: 'smtp.example.com' }));
    expect(moved.status).toBe(400);
    expect(moved.body.details).toEqual({ field: 'smtp_security' });
    const noPassword = keep(await app.http.put(`/api/notifications/channels/${mail.body.id}`).send({ smtp_password: null }));
    expect(noPassword.status).toBe(400);
    expect(noPassword.body.details).toEqual({ field: 'smtp_password' });
    const unchanged = await app.http.get(`/api/notifications/channels/${mail.body.id}`);
    expect(unchanged.body).toMatchObject({ smtp_host: '127.0.0.1', smtp_password_set: true });
    await app.http.delete(`/api/notifications/channels/${mail.body.id}`).expect(204);
  });

  it('answers 404 CHANNEL_NOT_FOUND for an id that is no channel', async () => {
    for (const res of [
      await app.http.get('/api/notifications/channels/nope'),
      await app.http.put('/api/notifications/channels/nope').send({ name: 'y' }),
      await app.http.delete('/api/notifications/channels/nope'),
      await app.http.post('/api/notifications/channels/nope/test'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('CHANNEL_NOT_FOUND');
      expect(res.body.message).toMatch(/No notification channel has the id 'nope'/);
    }
  });

  it('seals every secret: answers show the URL host and what is set, never a secret; PUT keeps an omitted secret', async () => {
    const hook = await create({
      name: 'Ops hook',
      type: 'webhook',
      url: `${receiver.origin}/hooks/${SECRETS.urlToken}?key=${SECRETS.urlToken}`,
      secret: SECRETS.secret,
      headers: { Authorization: `Bearer ${SECRETS.header}` },
      targets: ['r2'],
    });
    expect(hook.status).toBe(201);
    expect(hook.body).toMatchObject({
      name: 'Ops hook',
      type: 'webhook',
      url_host: receiver.origin,
      secret_set: true,
      header_names: ['Authorization'],
      targets: ['r2'],
      enabled: true,
    });
    const ntfy = await create({ name: 'phone', type: 'ntfy', url: `${receiver.origin}/topic-${SECRETS.urlToken}`, token: SECRETS.ntfy });
    expect(ntfy.body).toMatchObject({ token_set: true, url_host: receiver.origin });
    const mail = await create({
      name: 'mail',
      type: 'email',
      smtp_host: 'smtp.example.com',
      smtp_port: 587,
      smtp_security: 'starttls',
      smtp_user: 'sentinel',
      smtp_password: SECRETS.smtp,
      from: 'sentinel@example.com',
      to: ['ops@example.com'],
    });
    expect(mail.status).toBe(201);
    expect(mail.body).toMatchObject({
      smtp_host: 'smtp.example.com',
      smtp_port: 587,
      smtp_user: 'sentinel',
      smtp_password_set: true,
      to: ['ops@example.com'],
      url_host: null,
    });

    // A partial PUT: the name changes, the secret, headers and URL are kept (the test below signs with the old secret).
    const renamed = keep(await app.http.put(`/api/notifications/channels/${hook.body.id}`).send({ name: 'Ops webhook', events: ['backup.failed'] }));
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Ops webhook', events: ['backup.failed'], secret_set: true, header_names: ['Authorization'] });
    const typeChange = keep(await app.http.put(`/api/notifications/channels/${hook.body.id}`).send({ type: 'slack' }));
    expect(typeChange.status).toBe(400);
    expect(typeChange.body.details).toEqual({ field: 'type' });

    // The receiver echoes the whole request back: the answer in the API and the log must not carry the tokens.
    receiver.answer = { status: 200, body: 'echo' };
    const before = receiver.requests.length;
    const tested = keep(await app.http.post(`/api/notifications/channels/${hook.body.id}/test`));
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ delivered: true, answer: 'HTTP 200: echo' });
    const request = receiver.requests[before];
    expect(request.url).toBe(`/hooks/${SECRETS.urlToken}?key=${SECRETS.urlToken}`);
    expect(request.headers.authorization).toBe(`Bearer ${SECRETS.header}`);
    expect(request.headers['x-sentinel-signature']).toBe(`sha256=${createHmac('sha256', SECRETS.secret).update(request.body).digest('hex')}`);
    expect(JSON.parse(request.body.toString()).event).toBe('test');

    receiver.answer = { status: 500, body: `error at /hooks/${SECRETS.urlToken} with Bearer ${SECRETS.header}` };
    const echoed = keep(await app.http.post(`/api/notifications/channels/${hook.body.id}/test`));
    expect(echoed.body.delivered).toBe(false);
    expect(echoed.body.answer).toContain('[secret]');
    receiver.answer = { status: 200, body: 'ok' };

    keep(await app.http.get('/api/notifications/channels'));
    keep(await app.http.get(`/api/notifications/channels/${ntfy.body.id}`));
    keep(await app.http.post(`/api/notifications/channels/${ntfy.body.id}/test`));
    const log = keep(await app.http.get('/api/notifications/deliveries'));
    expect(log.body.length).toBeGreaterThanOrEqual(3);

    const everything = answers.join('\n') + fs.readFileSync(app.logFile, 'utf8');
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
    // At rest: the database file and its WAL hold only ciphertext.
    const db = path.join(app.dataDir, '.notifications.db');
    const raw = Buffer.concat([fs.readFileSync(db), ...(fs.existsSync(`${db}-wal`) ? [fs.readFileSync(`${db}-wal`)] : [])]).toString('latin1');
    for (const secret of Object.values(SECRETS)) expect(raw).not.toContain(secret);
    expect(fs.statSync(db).mode & 0o077).toBe(0);

    for (const id of [hook.body.id, ntfy.body.id, mail.body.id]) await app.http.delete(`/api/notifications/channels/${id}`).expect(204);
  });

  /** Every place a receiver's answer ends up: the test's answer, the delivery log, LOG_FILE, the database and its WAL. */
  const everywhere = async (...extra: string[]): Promise<string> => {
    const db = path.join(app.dataDir, '.notifications.db');
    const log = keep(await app.http.get('/api/notifications/deliveries'));
    return [
      ...extra,
      log.text,
      fs.readFileSync(app.logFile, 'utf8'),
      fs.readFileSync(db).toString('latin1'),
      fs.existsSync(`${db}-wal`) ? fs.readFileSync(`${db}-wal`).toString('latin1') : '',
    ].join('\n');
  };

  it('masks a secret the receiver echoes past the start of the excerpt: no first part of it survives the cut', async () => {
    const key = 'ZZSECRETHEADERVALUE0123456789ABCDEF';
    const shortValue = 'k9Z!'; // under 6 characters: still masked where it stands alone
    const tabbed = 'tab\tsep-QQ77'; // a header value with a tab, echoed as a raw tab
    const created = await create({
      name: 'echo',
      type: 'webhook',
      url: `${receiver.origin}/echo`,
      headers: { 'X-Api-Key': key, 'X-Short': shortValue, 'X-Tabbed': tabbed },
    });
    expect(created.status).toBe(201);
    // 78 characters of padding, then the request's headers as JSON: the key starts inside the first 200 characters and ends after them.
    receiver.answer = { status: 500, body: (request) => `${'p'.repeat(78)}${JSON.stringify(request.headers)}` };
    const res = keep(await app.http.post(`/api/notifications/channels/${created.body.id}/test`));
    expect(res.body.delivered).toBe(false);
    expect(res.body.answer).toMatch(/^HTTP 500: p{78}/);
    expect(res.body.answer).toContain('"x-api-key":"[secret]"');
    receiver.answer = { status: 500, body: `short=${shortValue}; tabbed=${tabbed}` };
    const short = keep(await app.http.post(`/api/notifications/channels/${created.body.id}/test`));
    expect(short.body.answer).toBe('HTTP 500: short=[secret]; tabbed=[secret]');
    receiver.answer = { status: 200, body: 'ok' };

    const text = await everywhere(res.text, short.text);
    for (const part of [key.slice(0, 12), shortValue, 'sep-QQ77']) expect(text).not.toContain(part);
    await app.http.delete(`/api/notifications/channels/${created.body.id}`).expect(204);
  });

  it('masks an ntfy topic (a short word without digits: the secret on a public server) when the receiver echoes it alone', async () => {
    const created = await create({ name: 'topic', type: 'ntfy', url: `${receiver.origin}/sentinelops` });
    expect(created.status).toBe(201);
    receiver.answer = { status: 400, body: '{"topic":"sentinelops","error":"bad"}' };
    const res = keep(await app.http.post(`/api/notifications/channels/${created.body.id}/test`));
    expect(res.body.delivered).toBe(false);
    expect(res.body.answer).toBe('HTTP 400: {"topic":"[secret]","error":"bad"}');
    receiver.answer = { status: 200, body: 'ok' };
    expect(await everywhere(res.text)).not.toContain('sentinelops');
    await app.http.delete(`/api/notifications/channels/${created.body.id}`).expect(204);
  });

  it('test: the cause in words for 404, 401, connection refused, an unknown host and a receiver that does not answer', async () => {
    const test = async (body: Record<string, unknown>) => {
      const created = await create({ name: `t-${Math.random()}`, ...body });
      expect(created.status).toBe(201);
      const res = keep(await app.http.post(`/api/notifications/channels/${created.body.id}/test`));
      expect(res.status).toBe(200);
      await app.http.delete(`/api/notifications/channels/${created.body.id}`).expect(204);
      return res.body as { delivered: boolean; answer: string | null; message: string; delivery_id: number };
    };
    receiver.answer = { status: 404, body: 'no_service' };
    const gone = await test({ type: 'slack', url: `${receiver.origin}/services/T1/B1/deadbeef` });
    expect(gone).toMatchObject({ delivered: false, answer: 'HTTP 404: no_service' });
    expect(gone.message).toMatch(/Slack answered HTTP 404 \(no_service\): the incoming webhook was deleted.*create a new incoming webhook/);

    receiver.answer = { status: 401, body: '{"message": "Invalid Webhook Token", "code": 50027}' };
    const refused = await test({ type: 'discord', url: `${receiver.origin}/api/webhooks/1/xyz` });
    expect(refused.delivered).toBe(false);
    expect(refused.message).toMatch(/Discord answered HTTP 401.*refused the webhook's token/);

    const closed = await freePort();
    const down = await test({ type: 'webhook', url: `http://127.0.0.1:${closed}/hook` });
    expect(down).toMatchObject({ delivered: false, answer: null });
    expect(down.message).toMatch(/127\.0\.0\.1:\d+ refused the connection: nothing listens there/);

    const unknown = await test({ type: 'ntfy', url: 'http://sentinel-no-such-host.invalid/topic' });
    expect(unknown.delivered).toBe(false);
    expect(unknown.message).toMatch(/The host name sentinel-no-such-host\.invalid was not found/);

    receiver.answer = { status: 200, body: '', hang: true };
    const hung = await test({ type: 'webhook', url: `${receiver.origin}/slow` });
    expect(hung.delivered).toBe(false);
    expect(hung.message).toMatch(/did not answer within 1 s/);
    receiver.answer = { status: 200, body: 'ok' };

    // Each test is in the delivery log, given up with its cause.
    const log = await app.http.get(`/api/notifications/deliveries?state=given_up`);
    expect(log.body.filter((d: { event: string }) => d.event === 'test').length).toBeGreaterThanOrEqual(5);
  });

  it("DELETE gives up the channel's pending deliveries, kept in the log with why", async () => {
    receiver.answer = { status: 503, body: 'busy' };
    const created = await create({ name: 'retrying', type: 'webhook', url: `${receiver.origin}/busy` });
    const notification = (await app.app
      .get(NotificationPublisher)
      .publish({ event: 'backup.failed', target: 'local', title: 'Local backup failed', message: 'disk full' }))!;
    const pending = await until('a failed try, left pending', async () => {
      const res = await app.http.get(`/api/notifications/deliveries?channel=${created.body.id}&state=pending`);
      return res.body.find((d: { attempts: number }) => d.attempts >= 1);
    });
    expect(pending).toMatchObject({
      notification_id: notification.id,
      last_error: expect.stringMatching(/HTTP 503.*retried/),
      next_attempt_at: expect.any(String),
    });
    await app.http.delete(`/api/notifications/channels/${created.body.id}`).expect(204);
    const after = await app.http.get(`/api/notifications/deliveries?channel=${created.body.id}`);
    expect(after.body).toHaveLength(1);
    expect(after.body[0]).toMatchObject({ state: 'given_up', reason: 'the channel was deleted', channel_name: 'retrying', next_attempt_at: null });
    receiver.answer = { status: 200, body: 'ok' };
  });

  it('the deliveries list refuses a bad filter with 400 naming it', async () => {
    const res = await app.http.get('/api/notifications/deliveries?state=lost');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/state must be pending, delivered or given_up/);
    expect((await app.http.get('/api/notifications/deliveries?limit=0')).status).toBe(400);
  });
});
