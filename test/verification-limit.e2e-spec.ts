/**
 * Bounded verification work: one verification per target at a time (409 naming the running one),
 * the scheduled one included, and a verification whose client went away is cancelled (its scratch
 * folder removed, the next one accepted at once).
 *
 * The first verification is held deterministically by a loopback proxy in front of the real S3
 * server: it forwards every request, but the body of an archive download stops after its first
 * chunk until the test releases it.
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { VERIFY_PREFIX } from '../src/restore/restore-paths.js';
import { ScheduledJobRunner } from '../src/scheduling/scheduled-job-runner.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, testS3 } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

/** A transparent proxy to the test S3 server that can hold archive downloads after their first chunk. */
class HoldingProxy {
  readonly server: http.Server;
  private holding = false;
  private releaseAll: () => void = () => undefined;
  private released = Promise.resolve();
  /** Archive downloads started and currently held. */
  held = 0;
  downloadsClosed = 0;

  constructor(upstreamPort: number) {
    this.server = http.createServer((req, res) => {
      const upstream = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const isArchive = req.method === 'GET' && /\.tar\.gz(\?|$)/.test(req.url ?? '');
        if (isArchive) res.once('close', () => this.downloadsClosed++);
        if (!(isArchive && this.holding)) return void upRes.pipe(res);
        const gate = this.released;
        upRes.once('data', (chunk: Buffer) => {
          upRes.pause();
          res.write(chunk);
          this.held++;
          void gate.then(() => {
            this.held--;
            upRes.pipe(res);
          });
        });
      });
      res.once('close', () => upstream.destroy());
      upstream.once('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  hold(): void {
    this.holding = true;
    this.released = new Promise((resolve) => (this.releaseAll = resolve));
  }

  release(): void {
    this.holding = false;
    this.releaseAll();
  }

  close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const scratchFolders = (t: TestApp) => fs.readdirSync(t.dataDir).filter((name) => name.startsWith(VERIFY_PREFIX));

describeS3('Verification: one at a time per target, cancelled with its request', () => {
  let t: TestApp;
  let proxy: HoldingProxy;
  let url: string;
  let filename: string;

  beforeEach(async () => {
    t = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '60000' });
    proxy = new HoldingProxy(testS3().port);
    const endpoint = await proxy.listen();
    await configureR2(t, await createTestBucket('verify-limit'), { r2_endpoint: endpoint });
    await seedDatabases(t.app, { rows: 4000, payloadBytes: 400 });
    const started = await t.http.post('/api/backups/r2').expect(202);
    filename = (await waitForJob(t.http, started.body.id)).filename;
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as net.AddressInfo).port}`;
  });
  afterEach(async () => {
    await proxy.close();
    await t.close();
  });

  it('a second verification of the target while one runs answers 409 naming it; so does the scheduled one (skipped); the first then completes', async () => {
    proxy.hold();
    const first = fetch(`${url}/api/backups/r2/${filename}/verify`, { method: 'POST' });
    await until('the first verification to be downloading', () => (proxy.held === 1 && scratchFolders(t).length === 1 ? true : undefined));

    const second = await t.http.post(`/api/backups/r2/${filename}/verify`).expect(409);
    expect(second.body).toMatchObject({
      error: 'VERIFICATION_IN_PROGRESS',
      details: { target: 'r2', filename, started_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) },
    });
    expect(second.body.message).toMatch(
      new RegExp(
        `^A verification of the R2 backup ${filename.replace(/\./g, '\\.')} is already running \\(started .+\\)\\. .*wait for it to finish, then try again$`,
      ),
    );

    const scheduled = await t.app.get(ScheduledJobRunner).verifyNewest('r2');
    expect(scheduled).toMatchObject({
      outcome: 'skipped',
      message: expect.stringMatching(/^R2 backup verification skipped: A verification of the R2 backup .* is already running/),
    });
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain('R2 backup verification skipped: A verification of the R2 backup');
    // The skipped run is not a verification result.
    expect((await t.http.get('/api/verifications').expect(200)).body).toEqual([]);

    proxy.release();
    const answer = await first;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ ok: true, archive: filename });
    expect(scratchFolders(t)).toEqual([]);
    // Free again.
    await t.http.post(`/api/backups/r2/${filename}/verify`).expect(200);
  });

  it('a client that goes away cancels its verification: the download stops, the scratch folder goes, the next verification is accepted at once', async () => {
    proxy.hold();
    const aborted = new AbortController();
    const gone = fetch(`${url}/api/backups/r2/${filename}/verify`, { method: 'POST', signal: aborted.signal }).catch((error: unknown) => error);
    await until('the verification to be downloading', () => (proxy.held === 1 && scratchFolders(t).length === 1 ? true : undefined));
    const closedBefore = proxy.downloadsClosed;
    aborted.abort();
    expect(await gone).toMatchObject({ name: 'AbortError' });

    // Cancelled while its download is still held: nothing but the cancel can end it.
    await until('the scratch folder to be removed', () => (scratchFolders(t).length === 0 ? true : undefined), 10_000);
    expect(proxy.downloadsClosed).toBe(closedBefore + 1);
    expect(proxy.held).toBe(1); // the held body was never released: the service closed the download itself
    // The verifier logs the stop after the unpacker has removed its folder (and the log file is written
    // asynchronously): wait for the line rather than read the log the moment the folder is gone.
    const stopped = new RegExp(`R2 backup verification of ${filename.replace(/\./g, '\\.')} stopped: Cancelled: the client closed the connection`);
    await until('the verification to log that it stopped', () => (stopped.test(fs.readFileSync(t.logFile, 'utf8')) ? true : undefined), 10_000);

    proxy.release();
    const next = await t.http.post(`/api/backups/r2/${filename}/verify`).expect(200);
    expect(next.body).toMatchObject({ ok: true, archive: filename });
  });
});
