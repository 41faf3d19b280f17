/**
 * A loopback HTTP relay in front of the test S3 server that makes archive transfers slow, the way a far or
 * congested store is: the bodies of archive downloads (GET of a .tar.gz) and archive uploads (PUT, UploadPart)
 * pass at a set rate, or stop after their first chunk until released. Everything else (listings, HEAD, the
 * metadata reads) passes at once, and every request goes on unchanged (its Host header included, which SigV4
 * signs), so radosgw answers it as if it came directly. The browser tests use it to watch progress lines and
 * "Still waiting… Cancel" against the real server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { testS3 } from './s3-server.js';

/** How archive bodies pass: at once, at `bytesPerSecond`, or held after their first chunk until `release()`. */
export type RelayPace = { kind: 'free' } | { kind: 'rate'; bytesPerSecond: number } | { kind: 'hold' };

export interface SlowS3Relay {
  /** http://127.0.0.1:<port>: the endpoint to give the service. */
  endpoint: string;
  /** The pace of archive transfers that start from now on (and of held ones, once released). */
  pace(pace: RelayPace): void;
  /** Lets held transfers go on, at the pace set then. */
  release(): void;
  /** Archive transfers currently held after their first chunk. */
  held(): number;
  close(): Promise<void>;
}

/** Slices of a paced body: small enough that the rate is steady at a test's scale. */
const SLICE_BYTES = 16 * 1024;

function isArchiveTransfer(req: http.IncomingMessage): boolean {
  const path = new URL(req.url ?? '/', 'http://relay').pathname;
  return /\.tar\.gz(\.age)?$/.test(path) && (req.method === 'GET' || req.method === 'PUT');
}

export async function startSlowS3Relay(): Promise<SlowS3Relay> {
  const target = new URL(testS3().endpoint);
  let current: RelayPace = { kind: 'free' };
  let held = 0;
  let releaseHeld: () => void = () => undefined;
  let released = Promise.resolve();
  // Its own agent, destroyed on close: the global one keeps sockets to radosgw open after the test.
  const agent = new http.Agent({ keepAlive: false });

  /** A stream that passes bytes at the pace set when it began (a hold turns into the pace set at its release). */
  const paced = (): Transform => {
    let pace = current;
    let passed = 0;
    let started = Date.now();
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    return new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        void (async () => {
          for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
            const slice = chunk.subarray(at, at + SLICE_BYTES);
            if (pace.kind === 'hold' && passed > 0) {
              held += 1;
              await released;
              held -= 1;
              pace = current.kind === 'hold' ? { kind: 'free' } : current;
              passed = 0;
              started = Date.now();
            }
            // A rate set free lets the rest pass at once (a test done watching).
            if (pace.kind === 'rate' && current.kind === 'free') pace = current;
            if (pace.kind === 'rate') {
              const due = started + ((passed + slice.length) / pace.bytesPerSecond) * 1000;
              if (due > Date.now()) await wait(due - Date.now());
            }
            passed += slice.length;
            this.push(slice);
          }
        })().then(() => callback(), callback);
      },
    });
  };

  const server = http.createServer((req, res) => {
    const slow = isArchiveTransfer(req);
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (slow && req.method === 'GET') answer.pipe(paced()).pipe(res);
      else answer.pipe(res);
    });
    upstream.on('error', (error) => res.destroy(error));
    // The client went away (a cancelled request): the transfer to radosgw stops too.
    res.once('close', () => upstream.destroy());
    if (slow && req.method === 'PUT') req.pipe(paced()).pipe(upstream);
    else req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pace: (pace) => {
      if (pace.kind === 'hold' && current.kind !== 'hold') released = new Promise((resolve) => (releaseHeld = resolve));
      current = pace;
    },
    release: () => {
      if (current.kind === 'hold') current = { kind: 'free' };
      releaseHeld();
    },
    held: () => held,
    close: () =>
      new Promise<void>((resolve) => {
        releaseHeld();
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
