// The real S3 server for the benchmark, started exactly as the test suite starts it
// (test/setup/global-setup.ts): Ceph's RADOS Gateway on a one-node throwaway cluster on 127.0.0.1
// via test/s3/start-rgw.sh, free ports, random keys, a fresh temp dir; stopped with test/s3/stop-rgw.sh.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** Distinct free TCP ports on 127.0.0.1, outside 6800-7300 (where Ceph's storage daemon binds). */
export async function freePorts(n) {
  const ports = new Set();
  while (ports.size < n) {
    const port = await new Promise((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    if (port && (port < 6800 || port > 7300)) ports.add(port);
  }
  return [...ports];
}

function run(cmd, args, env, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}): ${out.slice(-3000)}`));
    });
  });
}

/**
 * Starts radosgw; resolves with { endpoint, accessKeyId, secretAccessKey, dir, port, pids(), client(), stop() }.
 * stop() is synchronous so it can run from exit handlers.
 */
export async function startS3Server(repoDir) {
  const scriptsDir = path.join(repoDir, 'test', 's3');
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [port, monPort] = await freePorts(2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-bench-rgw-'));
    const accessKeyId = 'SBB' + randomBytes(9).toString('hex').toUpperCase().slice(0, 17);
    const secretAccessKey = randomBytes(30).toString('base64url');
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      spawnSync('bash', [path.join(scriptsDir, 'stop-rgw.sh'), dir], { stdio: 'ignore', timeout: 60_000 });
      fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
      await run(
        'bash',
        [path.join(scriptsDir, 'start-rgw.sh'), dir, String(port), accessKeyId, secretAccessKey],
        { ...process.env, MONPORT: String(monPort) },
        120_000,
      );
    } catch (error) {
      lastError = error;
      stop();
      continue;
    }
    const endpoint = `http://127.0.0.1:${port}`;
    const client = () =>
      new S3Client({
        endpoint,
        region: 'auto',
        credentials: { accessKeyId, secretAccessKey },
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
    /** The pids of the cluster's daemons (radosgw, osd, mon), for CPU accounting. */
    const pids = () =>
      fs
        .readdirSync(path.join(dir, 'run'))
        .filter((n) => n.endsWith('.pid'))
        .map((n) => Number(fs.readFileSync(path.join(dir, 'run', n), 'utf8').trim()))
        .filter((p) => Number.isInteger(p) && p > 0);
    return { endpoint, accessKeyId, secretAccessKey, dir, port, client, pids, stop };
  }
  throw new Error(`could not start radosgw (3 attempts): ${lastError?.message}`);
}

export async function createBucket(server, name) {
  const client = server.client();
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
}
