/**
 * The email channel through the whole service: created with POST /api/notifications/channels, tested with
 * POST .../{id}/test (the answer is the SMTP server's reply, or the cause in words), and a real backup failure
 * (R2 pointed at a port where nothing listens) arriving as the failure email at a real SMTP server on loopback.
 * The password is in no API answer, no mail and no line of LOG_FILE.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { putSettings } from './support/r2-settings.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { closedPort, startTestSmtpServer, type TestSmtpServer } from './support/smtp-test-server.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const USER = 'sentinel@example.test';
const PASSWORD = 'Api-Smtp-Pa55word-4e8d2b';
const WRONG_PASSWORD = 'Api-Wrong-Pa55word-0c1f7a';
const SECRETS = [PASSWORD, WRONG_PASSWORD, Buffer.from(PASSWORD).toString('base64'), Buffer.from(`\u0000${USER}\u0000${PASSWORD}`).toString('base64')];

describe('email channel through the API', () => {
  let app: TestApp;
  let smtp: TestSmtpServer;
  const answers: string[] = [];
  const keep = <T extends { text: string }>(res: T): T => {
    answers.push(res.text);
    return res;
  };

  const emailChannel = (overrides: Record<string, unknown> = {}) => ({
    name: 'Ops mail',
    type: 'email',
    smtp_host: '127.0.0.1',
    smtp_port: smtp.port,
    smtp_security: 'none',
    smtp_user: USER,
    smtp_password: PASSWORD,
    from: 'sentinel@example.test',
    to: ['ops@example.test', 'oncall@example.test'],
    ...overrides,
  });

  beforeAll(async () => {
    smtp = await startTestSmtpServer({ mode: 'plain', login: { user: USER, password: PASSWORD } });
    app = await startTestApp({ SENTINEL_PUBLIC_URL: 'https://backup.example.test/', SENTINEL_NOTIFY_RETRY_BASE_MS: '60000' });
  });
  afterAll(async () => {
    await app?.close();
    await smtp?.close();
  });

  it('creates an email channel and answers it without the password', async () => {
    const created = keep(await app.http.post('/api/notifications/channels').send(emailChannel({ name: 'Only created' })));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), type: 'email', smtp_host: '127.0.0.1', smtp_user: USER, smtp_password_set: true });
    expect(created.body).not.toHaveProperty('smtp_password');
    keep(await app.http.delete(`/api/notifications/channels/${created.body.id}`).expect(204));
  });

  it("the test button sends a test mail and answers with the SMTP server's reply", async () => {
    const created = keep(await app.http.post('/api/notifications/channels').send(emailChannel({ name: 'Test me' })));
    expect(created.status).toBe(201);
    const before = smtp.received.length;
    const tested = keep(await app.http.post(`/api/notifications/channels/${created.body.id}/test`));
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ delivered: true, answer: expect.stringMatching(/^250 2\.0\.0 Ok: queued as TEST\d+ \(accepted for 2 recipients\)$/) });

    const mail = await smtp.nextMail(before);
    expect(mail.envelope.to).toEqual(['ops@example.test', 'oncall@example.test']);
    expect(mail.parsed.subject).toBe('[Sentinel] ℹ Sentinel Backup test notification');
    expect(mail.parsed.text).toContain('This is a test message: the email channel works. Nothing happened to your backups.');
    expect(mail.parsed.text).toContain("What happened: This is a test of the channel 'Test me'.");
    expect(mail.parsed.text).toContain('Admin page: https://backup.example.test/');
    keep(await app.http.delete(`/api/notifications/channels/${created.body.id}`).expect(204));
  });

  it('takes a display name in from ("Name <address>"): the mail is from that name, the envelope from the address', async () => {
    const created = keep(
      await app.http.post('/api/notifications/channels').send(emailChannel({ name: 'Named', from: '"Sentinel Backup, Ops" <sentinel@example.test>' })),
    );
    expect(created.status).toBe(201);
    expect(created.body.from).toBe('"Sentinel Backup, Ops" <sentinel@example.test>');
    const before = smtp.received.length;
    const tested = keep(await app.http.post(`/api/notifications/channels/${created.body.id}/test`));
    expect(tested.body.delivered).toBe(true);
    const mail = await smtp.nextMail(before);
    expect(mail.envelope.from).toBe('sentinel@example.test');
    expect(mail.parsed.from?.value).toEqual([{ name: 'Sentinel Backup, Ops', address: 'sentinel@example.test' }]);
    keep(await app.http.delete(`/api/notifications/channels/${created.body.id}`).expect(204));
  });

  it('the test button with a wrong password answers that the login was refused and what to do', async () => {
    const created = keep(await app.http.post('/api/notifications/channels').send(emailChannel({ name: 'Wrong password', smtp_password: WRONG_PASSWORD })));
    const tested = keep(await app.http.post(`/api/notifications/channels/${created.body.id}/test`));
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({
      delivered: false,
      answer: '535 5.7.8 Authentication credentials invalid',
      message: expect.stringMatching(/refused the login of user "sentinel@example\.test" \(reply 535\)\..*Check the SMTP user and password/),
    });
    keep(await app.http.delete(`/api/notifications/channels/${created.body.id}`).expect(204));
  });

  it('the test button with nothing listening answers connection refused', async () => {
    const port = await closedPort();
    const created = keep(await app.http.post('/api/notifications/channels').send(emailChannel({ name: 'Nobody home', smtp_port: port })));
    const tested = keep(await app.http.post(`/api/notifications/channels/${created.body.id}/test`));
    expect(tested.body).toMatchObject({
      delivered: false,
      message: `Nothing accepts connections on 127.0.0.1:${port} (connection refused). Check the host and the port (587 for STARTTLS, 465 for TLS, 25 for a relay) and that the mail server is running.`,
    });
    keep(await app.http.delete(`/api/notifications/channels/${created.body.id}`).expect(204));
  });

  it('a real R2 backup failure arrives as the failure email, with what to do, the page link and the log lines', async () => {
    const created = keep(await app.http.post('/api/notifications/channels').send(emailChannel({ name: 'Failures' })));
    expect(created.status).toBe(201);
    await seedDatabases(app.app, { rows: 20 });
    const port = await closedPort();
    await putSettings(app, {
      r2_endpoint: `http://127.0.0.1:${port}`,
      r2_access_key_id: 'test-access-key',
      r2_secret_access_key: 'test-secret-key-for-a-dead-endpoint',
      r2_bucket_name: 'backups',
      r2_backup_enabled: 1,
    });
    const before = smtp.received.length;
    const started = keep(await app.http.post('/api/backups/r2'));
    expect(started.status).toBe(202);
    const job = await waitForJob(app.http, started.body.id);
    expect(job).toMatchObject({ status: 'failed' });

    const mail = await smtp.nextMail(before);
    expect(mail.parsed.subject).toBe('[Sentinel] ✖ R2 backup failed');
    expect(mail.envelope.to).toEqual(['ops@example.test', 'oncall@example.test']);
    const text = mail.parsed.text ?? '';
    expect(text).toContain('Target: R2');
    expect(text).toContain(`Error code: ${job.error_code}`);
    expect(text).toContain('Last successful backup: none yet');
    expect(text).toContain('Admin page: https://backup.example.test/');
    expect(text).toMatch(/What happened: .*connection refused/);
    expect(text).toMatch(/What to do: \S/);
    expect(text).toContain(`job id: ${job.id}`);
    expect(text).toMatch(/Recent log lines:\n {2}\S.*R2 backup/);
    expect(mail.parsed.html).toContain('<a href="https://backup.example.test/">https://backup.example.test/</a>');

    const deliveries = keep(await app.http.get('/api/notifications/deliveries'));
    expect(deliveries.status).toBe(200);
    expect(deliveries.text).toMatch(/queued as TEST\d+/);
  });

  it('no password in any answer, mail or line of LOG_FILE', () => {
    const log = fs.readFileSync(app.logFile, 'utf8');
    expect(log).toMatch(/Test of channel 'Wrong password' \(email\)/);
    for (const secret of SECRETS) {
      for (const answer of answers) expect(answer).not.toContain(secret);
      for (const mail of smtp.received) expect(mail.raw).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
  });
});
