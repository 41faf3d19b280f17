/**
 * A real HTTP receiver on loopback for notification tests: records every request (method, path, headers,
 * raw body) and answers with a status and body of the test's choosing, or never answers (`hang`), as a stuck
 * receiver would. `received(n)` waits, on the request event, until n requests have arrived.
 */
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpReceiver {
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  requests: ReceivedRequest[];
  /**
   * The answer to the next requests: a body, or a function of the request (a receiver that echoes it); extra
   * headers (Retry-After); `hang: true` keeps them open without an answer.
   */
  answer: { status: number; body: string | ((request: ReceivedRequest) => string); headers?: Record<string, string>; hang?: boolean };
  /** Called for each request after it is recorded and before it is answered (a test fills a disk there). */
  beforeAnswer?: () => void;
  /** Resolves once at least `count` requests have arrived (recorded when their body has been read). */
  received(count: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** Starts a receiver; `port` reuses a port (a receiver that comes back where it was). */
export async function startHttpReceiver(answer: HttpReceiver['answer'] = { status: 200, body: 'ok' }, port = 0): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const events = new EventEmitter();
  const receiver = { answer } as HttpReceiver;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(request);
      events.emit('request');
      receiver.beforeAnswer?.();
      const { status, body, headers, hang } = receiver.answer;
      if (hang) return;
      res.writeHead(status, { 'Content-Type': 'text/plain', ...headers }).end(typeof body === 'function' ? body(request) : body);
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const actual = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    origin: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    async received(count: number) {
      while (requests.length < count) await once(events, 'request');
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
