/**
 * A loopback HTTP relay in front of the test S3 server that names and counts every S3 request passing through it,
 * by R2's billing class: the cost tests point a target's endpoint at it and compare what the service says it sent
 * with what reached the server. The request goes on unchanged (its Host header included, which SigV4 signs), so
 * radosgw answers it as if it came directly.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testS3 } from './s3-server.js';

export type WitnessedClass = 'A' | 'B' | 'free';

export interface S3RequestWitness {
  /** http://127.0.0.1:<port>: the endpoint to give the service. */
  endpoint: string;
  /** Requests answered with a status R2 bills (not 401/403), by S3 operation name. */
  operations(): Record<string, number>;
  /** The same, by R2's class. */
  classes(): Record<WitnessedClass, number>;
  /** Resolves once no request has passed for `quietMs` (background listings have ended). */
  settled(quietMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The S3 operation of a path-style request, from its method, path and query (the forms the AWS SDK sends). */
export function operationOf(method: string, url: string, headers: http.IncomingHttpHeaders): string {
  const parsed = new URL(url, 'http://relay');
  const q = parsed.searchParams;
  const segments = parsed.pathname.split('/').filter(Boolean);
  const onObject = segments.length > 1;
  const copy = headers['x-amz-copy-source'] !== undefined;
  switch (method) {
    case 'HEAD':
      return onObject ? 'HeadObject' : 'HeadBucket';
    case 'GET':
      if (segments.length === 0) return 'ListBuckets';
      if (!onObject) {
        if (q.get('list-type') === '2') return 'ListObjectsV2';
        if (q.has('uploads')) return 'ListMultipartUploads';
        if (q.has('object-lock')) return 'GetObjectLockConfiguration';
        if (q.has('location')) return 'GetBucketLocation';
        if (q.has('versions')) return 'ListObjectVersions';
        return 'ListObjects';
      }
      if (q.has('uploadId')) return 'ListParts';
      if (q.has('retention')) return 'GetObjectRetention';
      return 'GetObject';
    case 'PUT':
      if (!onObject) return 'CreateBucket';
      if (q.has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
      if (q.has('retention')) return 'PutObjectRetention';
      return copy ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (!onObject && q.has('delete')) return 'DeleteObjects';
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      return `POST ${parsed.pathname}`;
    case 'DELETE':
      if (q.has('uploadId')) return 'AbortMultipartUpload';
      return onObject ? 'DeleteObject' : 'DeleteBucket';
    default:
      return `${method} ${parsed.pathname}`;
  }
}

/** R2's class of an operation (developers.cloudflare.com/r2/pricing), written out here independently of the service's table. */
export function classOf(operation: string): WitnessedClass {
  if (['DeleteObject', 'DeleteObjects', 'DeleteBucket', 'AbortMultipartUpload'].includes(operation)) return 'free';
  if (['HeadBucket', 'HeadObject', 'GetObject', 'GetBucketLocation', 'GetObjectLockConfiguration', 'GetObjectRetention'].includes(operation)) return 'B';
  return 'A';
}

export async function startS3RequestWitness(): Promise<S3RequestWitness> {
  const target = new URL(testS3().endpoint);
  const counts: Record<string, number> = {};
  let last = Date.now();
  let inFlight = 0;
  // Its own agent, destroyed on close: the global one keeps sockets to radosgw open after the test.
  const agent = new http.Agent({ keepAlive: false });
  const server = http.createServer((req, res) => {
    inFlight += 1;
    last = Date.now();
    const operation = operationOf(req.method ?? 'GET', req.url ?? '/', req.headers);
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      const status = answer.statusCode ?? 0;
      if (status !== 401 && status !== 403) counts[operation] = (counts[operation] ?? 0) + 1;
      res.writeHead(status, answer.headers);
      answer.pipe(res);
      answer.on('end', () => {
        inFlight -= 1;
        last = Date.now();
      });
    });
    upstream.on('error', (error) => {
      inFlight -= 1;
      res.destroy(error);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    operations: () => ({ ...counts }),
    classes: () => {
      const byClass: Record<WitnessedClass, number> = { A: 0, B: 0, free: 0 };
      for (const [operation, n] of Object.entries(counts)) byClass[classOf(operation)] += n;
      return byClass;
    },
    settled: async (quietMs = 1500) => {
      while (inFlight > 0 || Date.now() - last < quietMs) await new Promise((r) => setTimeout(r, 100));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
