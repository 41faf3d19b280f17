import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** A certificate and its key (PEM), self-signed, and the file the certificate is in (for NODE_EXTRA_CA_CERTS). */
export interface TestCertificate {
  key: string;
  cert: string;
  certFile: string;
}

/**
 * A self-signed certificate for the given names (DNS names and IP addresses), made by the `openssl` command
 * (Debian's openssl, in .ci/run's packages): no npm dependency just to mint a test certificate.
 */
export function selfSignedCertificate(dir: string, names: string[]): TestCertificate {
  const base = path.join(dir, `cert-${names[0].replace(/[^A-Za-z0-9]/g, '_')}`);
  const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'].concat([
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${san}`,
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.pem`,
    ]),
    { stdio: 'pipe' },
  );
  return { key: fs.readFileSync(`${base}.key`, 'utf8'), cert: fs.readFileSync(`${base}.pem`, 'utf8'), certFile: `${base}.pem` };
}

export interface ReceivedMail {
  /** MAIL FROM and RCPT TO, as the server saw them. */
  envelope: { from: string; to: string[] };
  /** The message as it arrived, byte for byte. */
  raw: string;
  parsed: ParsedMail;
  /** Whether the session was encrypted when the message was sent. */
  secure: boolean;
}

export interface TestSmtpOptions {
  /** "tls": TLS from the first byte; "starttls": plain, offers STARTTLS; "plain": no STARTTLS at all. */
  mode: 'tls' | 'starttls' | 'plain';
  certificate?: TestCertificate;
  /** The only login accepted; without it, no AUTH is offered. */
  login?: { user: string; password: string };
  /** The reply to a refused login (a hostile server may quote what it was sent). */
  authFailure?: (password: string) => string;
  /** Recipients refused with 550. */
  rejectRecipients?: string[];
  /** Advertised SIZE: a longer message is refused with 552. */
  maxSize?: number;
}

export interface TestSmtpServer {
  port: number;
  received: ReceivedMail[];
  /** Resolves with the next message that arrives (or the one already there at `index`). */
  nextMail(index?: number): Promise<ReceivedMail>;
  /** What each login attempt sent (user and whether the password matched), and whether it was encrypted. */
  logins: Array<{ user: string; accepted: boolean; secure: boolean }>;
  close(): Promise<void>;
}

/** A real SMTP server (the smtp-server package) on 127.0.0.1 and an ephemeral port, for one test file. */
export async function startTestSmtpServer(options: TestSmtpOptions): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const logins: TestSmtpServer['logins'] = [];
  const waiters: Array<() => void> = [];
  const serverOptions: SMTPServerOptions = {
    secure: options.mode === 'tls',
    ...(options.certificate ? { key: options.certificate.key, cert: options.certificate.cert } : {}),
    disabledCommands: [...(options.mode === 'plain' ? ['STARTTLS'] : []), ...(options.login ? [] : ['AUTH'])],
    // A plain session may log in too: "none" on a loopback relay; the sender never does this elsewhere.
    allowInsecureAuth: true,
    authOptional: !options.login,
    authMethods: ['PLAIN', 'LOGIN'],
    size: options.maxSize,
    logger: false,
    onAuth(auth, session, callback) {
      const accepted = !!options.login && auth.username === options.login.user && auth.password === options.login.password;
      logins.push({ user: auth.username ?? '', accepted, secure: session.secure });
      if (accepted) return callback(null, { user: auth.username });
      const reply = Object.assign(new Error(options.authFailure?.(auth.password ?? '') ?? '5.7.8 Authentication credentials invalid'), { responseCode: 535 });
      return callback(reply);
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.includes(address.address)) {
        return callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown`), { responseCode: 550 }));
      }
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          return callback(Object.assign(new Error('5.3.4 Message size exceeds fixed maximum message size'), { responseCode: 552 }));
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            received.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              raw,
              parsed,
              secure: session.secure,
            });
            waiters.splice(0).forEach((wake) => wake());
            callback(null, `2.0.0 Ok: queued as TEST${received.length}`);
          },
          (error: Error) => callback(error),
        );
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.on('error', () => undefined);
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as net.AddressInfo).port));
  });
  return {
    port,
    received,
    logins,
    async nextMail(index = received.length) {
      while (received.length <= index) await new Promise<void>((wake) => waiters.push(wake));
      return received[index];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A TCP server that accepts connections and never says a word: an SMTP server that never greets. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A scratch folder for certificates. */
export function certificateDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-smtp-'));
}
