/**
 * The email channel against a real SMTP server (the smtp-server package) on loopback: plain, STARTTLS and
 * implicit TLS, with a login, and each way it can fail. The sends that need the test's self-signed
 * certificate trusted run the built EmailSender (dist/) in a child process started with NODE_EXTRA_CA_CERTS,
 * the way docs/notifications.md tells a user with a private CA to run the service.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Notification } from '../src/notifications/notification.js';
import type { NotificationChannel, SmtpSecurity } from '../src/notifications/notification-channel.js';
import { DeliveryError } from '../src/notifications/senders/channel-sender.js';
import { EmailSender, type SmtpTimeouts } from '../src/notifications/senders/email-sender.js';
import {
  certificateDir,
  closedPort,
  selfSignedCertificate,
  startSilentServer,
  startTestSmtpServer,
  type TestCertificate,
  type TestSmtpServer,
} from './support/smtp-test-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PASSWORD = 'Smtp-Pa55word-7f3a9c';
const WRONG_PASSWORD = 'Wrong-Pa55word-91bc0d';
const USER = 'sentinel@example.test';
const SECRET_FORMS = [PASSWORD, WRONG_PASSWORD, Buffer.from(PASSWORD).toString('base64'), Buffer.from(`\u0000${USER}\u0000${PASSWORD}`).toString('base64')];
/** Short enough that a server that never greets fails this test quickly; these are limits, not assertions. */
const TIMEOUTS: SmtpTimeouts = { connectionMs: 2000, greetingMs: 500, socketMs: 5000 };

function channel(
  port: number,
  security: SmtpSecurity,
  overrides: Partial<Extract<NotificationChannel['config'], { type: 'email' }>> = {},
): NotificationChannel {
  return {
    id: 'ch-email',
    name: 'Ops mail',
    type: 'email',
    events: ['backup.failed'],
    targets: null,
    enabled: true,
    config: {
      type: 'email',
      smtp_host: '127.0.0.1',
      smtp_port: port,
      smtp_security: security,
      smtp_user: USER,
      smtp_password: PASSWORD,
      from: 'Sentinel <sentinel@example.test>',
      to: ['ops@example.test', 'oncall@example.test'],
      ...overrides,
    },
  };
}

/** A backup failure as the rules build it, with text that is markup (an archive name may hold anything). */
const FAILURE: Notification = {
  id: '5b0e6c1e-3c47-4d0e-9a51-0c7d2b2f9e11',
  event: 'backup.failed',
  severity: 'critical',
  target: 'r2',
  time: '2026-12-02T03:15:00.000Z',
  title: 'R2 backup failed',
  message: 'The upload of sentinel-backup-2026-12-02.tar.gz was refused: <b>403 AccessDenied</b> & nothing was stored',
  hint: 'Check r2_access_key_id and r2_secret_access_key in Settings, then run a backup',
  error_code: 'STORAGE_AUTH_FAILED',
  last_success: '2026-12-01T03:15:07.000Z',
  link: 'https://backup.example.test/',
  resolves: null,
  details: {
    archive: 'sentinel-backup-2026-12-02.tar.gz',
    size_bytes: 5_242_880,
    databases: [
      { filename: 'users.db', checksum_ok: true, message: 'ok' },
      { filename: 'events.db', checksum_ok: false, message: 'checksum mismatch <script>alert(1)</script>' },
    ],
  },
  log_lines: ['2026-12-02T03:15:00.000Z ERROR [BackupService] R2 backup failed: 403 AccessDenied'],
};

const TEST_MESSAGE: Notification = {
  ...FAILURE,
  id: 'test-1',
  event: 'test',
  severity: 'info',
  target: null,
  title: 'Test message from Sentinel Backup',
  message: 'The channel "Ops mail" was tested from the admin page.',
  hint: null,
  error_code: null,
  last_success: null,
  details: {},
  log_lines: [],
};

/** Everything written to this process's stdout and stderr while the tests run (the service log's console side). */
const output: string[] = [];
const restore: Array<() => void> = [];

async function sendExpectingFailure(
  sender: EmailSender,
  ch: NotificationChannel,
  n: Notification = FAILURE,
  signal = AbortSignal.timeout(20_000),
): Promise<DeliveryError> {
  const error = await sender.send(ch, n, signal).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  const failure = error as DeliveryError;
  for (const secret of SECRET_FORMS) {
    expect(failure.message).not.toContain(secret);
    expect(failure.answer ?? '').not.toContain(secret);
  }
  return failure;
}

/** The built sender in a child process started with NODE_EXTRA_CA_CERTS=<caFile>. */
async function sendInChild(
  caFile: string,
  ch: NotificationChannel,
  n: Notification,
): Promise<{ ok: boolean; message?: string; retryable?: boolean; answer?: string | null; receipt?: { answer: string } }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'test/support/send-email-child.mjs')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: caFile, TZ: 'UTC' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(JSON.stringify({ channel: ch, notification: n, timeouts: TIMEOUTS }));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  for (const secret of SECRET_FORMS) {
    expect(stdout).not.toContain(secret);
    expect(stderr).not.toContain(secret);
  }
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(stdout) as { ok: boolean; message?: string; retryable?: boolean; answer?: string | null; receipt?: { answer: string } };
}

function expectNoSecret(raw: string): void {
  for (const secret of SECRET_FORMS) expect(raw).not.toContain(secret);
}

describe('EmailSender against a real SMTP server', () => {
  let dir: string;
  let localCert: TestCertificate;
  let otherNameCert: TestCertificate;
  const sender = new EmailSender(TIMEOUTS);
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeAll(() => {
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
        return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => (stream.write = write));
    }
    dir = certificateDir();
    localCert = selfSignedCertificate(dir, ['localhost', '127.0.0.1']);
    otherNameCert = selfSignedCertificate(dir, ['mail.example.test']);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    restore.forEach((undo) => undo());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function server(options: Parameters<typeof startTestSmtpServer>[0]): Promise<TestSmtpServer> {
    const s = await startTestSmtpServer(options);
    servers.push(s);
    return s;
  }

  it('sends a failure as a mail with subject, From, recipients, and both parts carrying every fact (plain SMTP with a login, on loopback)', async () => {
    const smtp = await server({ mode: 'plain', login: { user: USER, password: PASSWORD } });
    const receipt = await sender.send(channel(smtp.port, 'none'), FAILURE, AbortSignal.timeout(20_000));
    expect(receipt.answer).toMatch(/^250 .*queued as TEST1.*accepted for 2 recipients/);

    const mail = await smtp.nextMail(0);
    expect(smtp.logins).toEqual([{ user: USER, accepted: true, secure: false }]);
    expect(mail.envelope).toEqual({ from: 'sentinel@example.test', to: ['ops@example.test', 'oncall@example.test'] });
    const { parsed } = mail;
    expect(parsed.subject).toBe('[Sentinel] ✖ R2 backup failed');
    expect(parsed.from?.value).toEqual([{ name: 'Sentinel', address: 'sentinel@example.test' }]);
    const to = Array.isArray(parsed.to) ? parsed.to.flatMap((t) => t.value) : (parsed.to?.value ?? []);
    expect(to.map((a) => a.address)).toEqual(['ops@example.test', 'oncall@example.test']);
    expect(parsed.messageId).toBe(`<sentinel-${FAILURE.id}@example.test>`);
    expect(parsed.headers.get('x-sentinel-event')).toBe('backup.failed');

    const text = parsed.text ?? '';
    for (const fact of [
      `What happened: ${FAILURE.message}`,
      `What to do: ${FAILURE.hint}`,
      'Target: R2',
      'Time: 2026-12-02 03:15:00 UTC',
      'Error code: STORAGE_AUTH_FAILED',
      'Last successful backup: 2026-12-01 03:15:07 UTC',
      'Admin page: https://backup.example.test/',
      'archive: sentinel-backup-2026-12-02.tar.gz',
      'size bytes: 5.00 MiB (5242880 bytes)',
      '- filename: users.db, checksum ok: yes, message: ok',
      '- filename: events.db, checksum ok: no, message: checksum mismatch <script>alert(1)</script>',
      FAILURE.log_lines[0],
    ]) {
      expect(text).toContain(fact);
    }

    const html = typeof parsed.html === 'string' ? parsed.html : '';
    for (const fact of [
      '<strong>What happened:</strong> The upload of sentinel-backup-2026-12-02.tar.gz was refused: &lt;b&gt;403 AccessDenied&lt;/b&gt; &amp; nothing was stored',
      `<strong>What to do:</strong> ${FAILURE.hint}`,
      '<td style="padding: 2px 0;">R2</td>',
      '2026-12-02 03:15:00 UTC',
      'STORAGE_AUTH_FAILED',
      '2026-12-01 03:15:07 UTC',
      '<a href="https://backup.example.test/">https://backup.example.test/</a>',
      '<li>filename: events.db, checksum ok: no, message: checksum mismatch &lt;script&gt;alert(1)&lt;/script&gt;</li>',
    ]) {
      expect(html).toContain(fact);
    }
    // Everything inserted was escaped: the only tags are the template's.
    expect(html).not.toMatch(/<script|<b>403/);
    expectNoSecret(mail.raw);
  });

  it('a test message reads as a test', async () => {
    const smtp = await server({ mode: 'plain' });
    await sender.send(channel(smtp.port, 'none', { smtp_user: null, smtp_password: null }), TEST_MESSAGE, AbortSignal.timeout(20_000));
    const { parsed } = await smtp.nextMail(0);
    expect(parsed.subject).toBe('[Sentinel] ℹ Test message from Sentinel Backup');
    expect(parsed.text).toContain('This is a test message: the email channel works. Nothing happened to your backups.');
    expect(parsed.text).toContain('Target: none');
    expect(parsed.html).toContain('This is a test message');
  });

  it('a "works again" message has a tick in its subject and says which failures it ends', async () => {
    const smtp = await server({ mode: 'plain' });
    const recovered: Notification = {
      ...FAILURE,
      event: 'backup.succeeded',
      severity: 'info',
      title: 'R2 backups work again',
      message: 'R2 backups work again after 3 failures since 2026-12-01 03:15 UTC',
      hint: null,
      error_code: null,
      resolves: { event: 'backup.failed', failures: 3, since: '2026-12-01T03:15:00.000Z' },
      details: {},
      log_lines: [],
    };
    await sender.send(channel(smtp.port, 'none', { smtp_user: null, smtp_password: null }), recovered, AbortSignal.timeout(20_000));
    const { parsed } = await smtp.nextMail(0);
    expect(parsed.subject).toBe('[Sentinel] ✔ R2 backups work again');
    expect(parsed.text).toContain('Ends: backup.failed: 3 failures since 2026-12-01 03:15:00 UTC');
  });

  it('STARTTLS with a login: upgraded before the password is sent, certificate trusted through NODE_EXTRA_CA_CERTS', async () => {
    const smtp = await server({ mode: 'starttls', certificate: localCert, login: { user: USER, password: PASSWORD } });
    const result = await sendInChild(localCert.certFile, channel(smtp.port, 'starttls', { smtp_host: 'localhost' }), FAILURE);
    expect(result).toMatchObject({ ok: true, receipt: { answer: expect.stringMatching(/^250 /) } });
    const mail = await smtp.nextMail(0);
    expect(mail.secure).toBe(true);
    expect(smtp.logins).toEqual([{ user: USER, accepted: true, secure: true }]);
    expect(mail.parsed.subject).toBe('[Sentinel] ✖ R2 backup failed');
    expectNoSecret(mail.raw);
  });

  it('implicit TLS with a login, certificate trusted through NODE_EXTRA_CA_CERTS', async () => {
    const smtp = await server({ mode: 'tls', certificate: localCert, login: { user: USER, password: PASSWORD } });
    const result = await sendInChild(localCert.certFile, channel(smtp.port, 'tls'), FAILURE);
    expect(result).toMatchObject({ ok: true });
    const mail = await smtp.nextMail(0);
    expect(mail.secure).toBe(true);
    expect(smtp.logins).toEqual([{ user: USER, accepted: true, secure: true }]);
    expect(mail.envelope.to).toEqual(['ops@example.test', 'oncall@example.test']);
  });

  it('a trusted certificate issued for another name: hostname mismatch, not retried', async () => {
    const smtp = await server({ mode: 'tls', certificate: otherNameCert, login: { user: USER, password: PASSWORD } });
    const result = await sendInChild(otherNameCert.certFile, channel(smtp.port, 'tls'), FAILURE);
    expect(result.ok).toBe(false);
    expect(result.retryable).toBe(false);
    expect(result.message).toMatch(/not valid for the name "127\.0\.0\.1" \(ERR_TLS_CERT_ALTNAME_INVALID\)\. Use the host name the certificate was issued for/);
    expect(smtp.logins).toEqual([]);
  });

  it('an untrusted (self-signed) certificate, implicit TLS or STARTTLS: says how to trust it, sends no password, not retried', async () => {
    const tls = await server({ mode: 'tls', certificate: localCert, login: { user: USER, password: PASSWORD } });
    const starttls = await server({ mode: 'starttls', certificate: localCert, login: { user: USER, password: PASSWORD } });
    for (const [smtp, security] of [
      [tls, 'tls'],
      [starttls, 'starttls'],
    ] as const) {
      const failure = await sendExpectingFailure(sender, channel(smtp.port, security));
      expect(failure.retryable).toBe(false);
      expect(failure.message).toMatch(
        /TLS certificate of the SMTP server 127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\).*NODE_EXTRA_CA_CERTS/,
      );
      expect(smtp.logins).toEqual([]);
      expect(smtp.received).toEqual([]);
    }
  });

  it('STARTTLS chosen but the server does not offer it: no login in clear, a clear TLS message', async () => {
    const smtp = await server({ mode: 'plain', login: { user: USER, password: PASSWORD } });
    const failure = await sendExpectingFailure(sender, channel(smtp.port, 'starttls'));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toMatch(
      /^The SMTP server 127\.0\.0\.1:\d+ does not offer STARTTLS .*never cross the network in clear\)\. It answered: "5\d\d [^"]+"\. If the port is 465, choose security "tls"/,
    );
    expect(failure.answer).toMatch(/^5\d\d /);
    expect(smtp.logins).toEqual([]);
  });

  it('implicit TLS against a server that starts in plain text: says to choose "starttls"', async () => {
    const smtp = await server({ mode: 'plain' });
    const failure = await sendExpectingFailure(sender, channel(smtp.port, 'tls', { smtp_user: null, smtp_password: null }));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toMatch(/did not answer with TLS .*choose security "starttls"/);
  });

  it('a wrong password: authentication refused, not retried, the server reply quoted', async () => {
    const smtp = await server({ mode: 'plain', login: { user: USER, password: PASSWORD } });
    const failure = await sendExpectingFailure(sender, channel(smtp.port, 'none', { smtp_password: WRONG_PASSWORD }));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toBe(
      `The SMTP server 127.0.0.1:${smtp.port} refused the login of user "${USER}" (reply 535). It answered: "535 5.7.8 Authentication credentials invalid". Check the SMTP user and password; providers with two-factor sign-in (Gmail, Outlook, iCloud, Fastmail) need an app password, not the account's password.`,
    );
    expect(failure.answer).toBe('535 5.7.8 Authentication credentials invalid');
    expect(smtp.received).toEqual([]);
  });

  it('a server that echoes the password in its refusal: the password is scrubbed from the message and the answer', async () => {
    const smtp = await server({
      mode: 'plain',
      login: { user: USER, password: 'something else' },
      authFailure: (sent) => `5.7.8 Bad credentials: "${sent}" (${Buffer.from(sent).toString('base64')})`,
    });
    const failure = await sendExpectingFailure(sender, channel(smtp.port, 'none'));
    expect(failure.answer).toBe('535 5.7.8 Bad credentials: "***" (***)');
  });

  it('nothing listening: connection refused, retried', async () => {
    const port = await closedPort();
    const failure = await sendExpectingFailure(sender, channel(port, 'starttls'));
    expect(failure.retryable).toBe(true);
    expect(failure.message).toBe(
      `Nothing accepts connections on 127.0.0.1:${port} (connection refused). Check the host and the port (587 for STARTTLS, 465 for TLS, 25 for a relay) and that the mail server is running.`,
    );
    expect(failure.answer).toBeNull();
  });

  it('a host that does not exist: not found, retried', async () => {
    const failure = await sendExpectingFailure(sender, channel(587, 'starttls', { smtp_host: 'smtp.does-not-exist.invalid' }));
    expect(failure.retryable).toBe(true);
    expect(failure.message).toMatch(/^The SMTP host "smtp\.does-not-exist\.invalid" was not found \(DNS: (ENOTFOUND|EAI_AGAIN)\)/);
  });

  it('a server that never greets: timeout, retried, with the hint about port 465', async () => {
    const silent = await startSilentServer();
    servers.push(silent);
    const failure = await sendExpectingFailure(sender, channel(silent.port, 'starttls'));
    expect(failure.retryable).toBe(true);
    expect(failure.message).toBe(
      `The SMTP server 127.0.0.1:${silent.port} accepted the connection but never greeted within 500 ms (timeout). If the port is 465, the server expects TLS from the first byte: choose security "tls".`,
    );
  });

  it("the outbox's signal aborts a send to a server that hangs", async () => {
    const silent = await startSilentServer();
    servers.push(silent);
    const slow = new EmailSender({ connectionMs: 60_000, greetingMs: 60_000, socketMs: 60_000 });
    const controller = new AbortController();
    const sending = sendExpectingFailure(slow, channel(silent.port, 'none', { smtp_user: null, smtp_password: null }), FAILURE, controller.signal);
    controller.abort(new Error('delivery timeout'));
    const failure = await sending;
    expect(failure.retryable).toBe(true);
    expect(failure.message).toMatch(/was cancelled before the server accepted the message/);
  });

  it('recipients: all refused (550) is not retried; one refused of two is delivered and the receipt names the refused one', async () => {
    const smtp = await server({ mode: 'plain', rejectRecipients: ['ops@example.test', 'oncall@example.test'] });
    const failure = await sendExpectingFailure(sender, channel(smtp.port, 'none', { smtp_user: null, smtp_password: null }));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toMatch(
      /rejected the recipient \(reply 550\)\. It answered: "550 5\.1\.1 <(ops|oncall)@example\.test>: Recipient address rejected: User unknown"\. Check the addresses in "to"/,
    );

    const partial = await server({ mode: 'plain', rejectRecipients: ['oncall@example.test'] });
    const receipt = await sender.send(channel(partial.port, 'none', { smtp_user: null, smtp_password: null }), FAILURE, AbortSignal.timeout(20_000));
    expect(receipt.answer).toMatch(/accepted for 1 recipient; REJECTED: oncall@example\.test: 550 5\.1\.1 <oncall@example\.test>/);
    expect((await partial.nextMail(0)).envelope.to).toEqual(['ops@example.test']);
  });

  it('a server that requires a login, and a channel without one: says to set the user and password, not retried', async () => {
    const smtp = await server({ mode: 'plain', login: { user: USER, password: PASSWORD } });
    const failure = await sendExpectingFailure(sender, channel(smtp.port, 'none', { smtp_user: null, smtp_password: null }));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toMatch(/requires a login before it sends mail \(reply 530\)\. It answered: "530 [^"]+"\. Set the SMTP user and password\./);
  });

  it('a message over the server size limit: refused as too large, not retried', async () => {
    const smtp = await server({ mode: 'plain', maxSize: 1000 });
    const failure = await sendExpectingFailure(sender, channel(smtp.port, 'none', { smtp_user: null, smtp_password: null }));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toMatch(/refused the message as too large \(reply 552\)\. It answered: "552 5\.3\.4 Message size exceeds/);
  });

  it('refuses to send a password in clear to another host than this one (security "none"), before connecting', async () => {
    const failure = await sendExpectingFailure(sender, channel(25, 'none', { smtp_host: 'smtp.example.test' }));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toBe(
      'The email channel would send its SMTP password in clear to smtp.example.test (security "none"). Choose security "starttls" (port 587) or "tls" (port 465).',
    );
  });

  it('wrote nothing holding the password to the console', () => {
    const all = output.join('');
    for (const secret of SECRET_FORMS) expect(all).not.toContain(secret);
  });
});
