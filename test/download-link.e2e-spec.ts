/**
 * Issue 18, downloads that stream: with an API token set, POST …/download-link (the token, and the cross-site
 * checks of every change) hands out a single-use link valid for 60 s; GET on it streams the archive as stored
 * without the token, once, for that one file. Real HTTP through supertest against the whole app, the local
 * folder target, and R2 on the real S3 server (skipped with SENTINEL_TEST_S3=off); real archives, plain and age-encrypted.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { Clock } from '../src/common/clock.js';
import { enableEncryption, disableEncryption } from './support/age-archives.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const TOKEN = 'download-link-test-token-0123456789abcdef';
const BEARER = `Bearer ${TOKEN}`;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Reads a response body as raw bytes, whatever its type. */
function bytes(response: request.Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
}

describe('Download links (single-use, streamed, no token in the URL)', () => {
  let t: TestApp;
  /** The same app as `t`, every request with the API token (what the page sends). */
  let authed: TestApp;
  /** The test clock: the real time plus `shift`, through the app's one Clock. */
  let shift = 0;
  /** Every link handed out, to check none shows up in a log. */
  const issued: string[] = [];
  let plain: string;
  let second: string;

  const backUp = async (): Promise<{ filename: string; sha256: string }> => {
    const started = await authed.http.post('/api/backups/local').expect(202);
    const job = await waitForJob(authed.http, started.body.id);
    expect(job).toMatchObject({ status: 'succeeded' });
    return job;
  };
  const link = async (filename: string): Promise<{ url: string; filename: string; size_bytes: number; expires_at: string }> => {
    const answer = await authed.http.post(`/api/backups/local/${filename}/download-link`).expect(201);
    issued.push(answer.body.url);
    return answer.body;
  };
  /** GET without any token, as the browser's download manager does. */
  const fetchLink = (url: string) => t.http.get(url).buffer(true).parse(bytes);
  const stored = (filename: string) => fs.readFileSync(path.join(t.dataDir, 'backups', filename));

  beforeAll(async () => {
    t = await startTestApp({ SENTINEL_API_TOKEN: TOKEN });
    authed = { ...t, http: request.agent(t.app.getHttpServer()).set('Authorization', BEARER) };
    const clock = t.app.get(Clock);
    const realNow = clock.now.bind(clock);
    jest.spyOn(clock, 'now').mockImplementation(() => new Date(realNow().getTime() + shift));
    await seedDatabases(t.app, { rows: 300 });
    plain = (await backUp()).filename;
    second = (await backUp()).filename;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
  });
  afterEach(() => {
    shift = 0;
  });

  it('downloads the archive once, as stored, without the token; a second use is refused saying it was used', async () => {
    const before = Date.now();
    const made = await link(plain);
    expect(made.filename).toBe(plain);
    expect(made.size_bytes).toBe(stored(plain).length);
    expect(made.url).toMatch(new RegExp(`^/api/backups/local/${plain.replace(/\./g, '\\.')}/download-link\\?ticket=[A-Za-z0-9_-]{43}$`));
    expect(made.url).not.toContain(TOKEN);
    const expires = Date.parse(made.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60_000);

    const first = await fetchLink(made.url).expect(200);
    expect(first.headers['content-type']).toBe('application/gzip');
    expect(first.headers['content-disposition']).toBe(`attachment; filename="${plain}"`);
    expect(first.headers['content-length']).toBe(String(stored(plain).length));
    expect((first.body as Buffer).equals(stored(plain))).toBe(true);

    const again = await t.http.get(made.url).expect(403);
    expect(again.body.error).toBe('DOWNLOAD_LINK_INVALID');
    expect(again.body.message).toMatch(/^This download link was already used, at \d{4}-\d{2}-\d{2}T[\d:.]+Z: each link downloads once; ask for a new link/);
    expect(again.body.message).toContain(`POST /api/backups/local/${plain}/download-link`);
  });

  it('leaves the API download as it was: the token in the header, 401 without it', async () => {
    await t.http.get(`/api/backups/local/${plain}/download`).expect(401);
    const res = await authed.http.get(`/api/backups/local/${plain}/download`).buffer(true).parse(bytes).expect(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${plain}"`);
    expect((res.body as Buffer).equals(stored(plain))).toBe(true);
  });

  it('is refused after its 60 s, saying it expired (and works until then)', async () => {
    const early = await link(plain);
    const late = await link(plain);
    shift = 59_000;
    await fetchLink(early.url).expect(200);
    shift = 60_500;
    const expired = await t.http.get(late.url).expect(403);
    expect(expired.body.error).toBe('DOWNLOAD_LINK_INVALID');
    expect(expired.body.message).toBe(
      `This download link expired at ${late.expires_at} (links last 60 s): ask for a new link: download again from the admin page, ` +
        `or POST /api/backups/local/${plain}/download-link with the API token`,
    );
    // Still refused with the clock back: an expired ticket is used up.
    shift = 0;
    expect((await t.http.get(late.url).expect(403)).body.message).toMatch(/already used/);
  });

  it('opens its own file only: another file or target is refused, and the ticket is used up by the attempt', async () => {
    const made = await link(plain);
    const ticket = made.url.split('?')[1];
    const other = await t.http.get(`/api/backups/local/${second}/download-link?${ticket}`).expect(403);
    expect(other.body.error).toBe('DOWNLOAD_LINK_INVALID');
    expect(other.body.message).toMatch(
      new RegExp(`^This download link is for ${plain.replace(/\./g, '\\.')} on Local, not for ${second.replace(/\./g, '\\.')} on Local`),
    );
    // A ticket shown to the wrong file has leaked: it no longer opens even its own.
    expect((await t.http.get(made.url).expect(403)).body.message).toMatch(/already used/);

    const made2 = await link(plain);
    const onR2 = await t.http.get(`/api/backups/r2/${plain}/download-link?${made2.url.split('?')[1]}`).expect(403);
    expect(onR2.body.message).toMatch(/is for .* on Local, not for .* on R2/);
  });

  it('refuses a made-up ticket, a link without one, and HEAD (which leaves the link valid)', async () => {
    const madeUp = await t.http.get(`/api/backups/local/${plain}/download-link?ticket=${'A'.repeat(43)}`).expect(403);
    expect(madeUp.body.message).toMatch(/^This download link is not valid \(it was never issued, or the service has restarted since\)/);
    const none = await t.http.get(`/api/backups/local/${plain}/download-link`).expect(400);
    expect(none.body.message).toMatch(/has no ticket: use the whole url that POST .*download-link answered/);
    const twice = await t.http.get(`/api/backups/local/${plain}/download-link?ticket=a&ticket=b`).expect(400);
    expect(twice.body.message).toMatch(/'ticket' .* must be given once/);

    const made = await link(plain);
    await t.http.head(made.url).expect(400);
    await fetchLink(made.url).expect(200);
  });

  it('is handed out only with the token, and never to another site’s page', async () => {
    const path_ = `/api/backups/local/${plain}/download-link`;
    expect((await t.http.post(path_).expect(401)).body.error).toBe('UNAUTHORIZED');
    await t.http.post(path_).set('Authorization', 'Bearer not-the-token-not-the-token').expect(401);
    const crossOrigin = await authed.http.post(path_).set('Origin', 'https://evil.example').expect(403);
    expect(crossOrigin.body).toMatchObject({ error: 'CROSS_SITE_REQUEST' });
    expect(crossOrigin.body.url).toBeUndefined();
    const crossSite = await authed.http.post(path_).set('Sec-Fetch-Site', 'cross-site').expect(403);
    expect(crossSite.body).toMatchObject({ error: 'CROSS_SITE_REQUEST' });
    // The page's own origin is allowed, as for every change.
    const own = await authed.http.post(path_).set('Host', 'localhost:8080').set('Origin', 'http://localhost:8080');
    expect(own.status).toBe(201);
    issued.push(own.body.url);
    // A link to no backup is not made: the page reports it instead of a failed download.
    const missing = await authed.http.post('/api/backups/local/sentinel-backup-2020-01-01-000000.tar.gz/download-link').expect(404);
    expect(missing.body.error).toBe('BACKUP_NOT_FOUND');
    await authed.http.post('/api/backups/local/not-a-backup.txt/download-link').expect(400);
  });

  it('streams an encrypted .tar.gz.age as stored: opaque bytes under its own name', async () => {
    const keys = path.join(t.root, 'keys');
    fs.mkdirSync(keys, { recursive: true });
    await enableEncryption(authed, 'local', keys);
    try {
      const job = await backUp();
      expect(job.filename).toMatch(/\.tar\.gz\.age$/);
      const made = await link(job.filename);
      expect(made.url).toContain(`/api/backups/local/${job.filename}/download-link?ticket=`);
      const res = await fetchLink(made.url).expect(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${job.filename}"`);
      const body = res.body as Buffer;
      expect(body.equals(stored(job.filename))).toBe(true);
      expect(sha256(body)).toBe(job.sha256);
      expect(body.subarray(0, 'age-encryption.org/v1\n'.length).toString()).toBe('age-encryption.org/v1\n');
    } finally {
      await disableEncryption(authed, 'local');
    }
  });

  it('records each link made in the audit log by file, and keeps neither the token nor a ticket in the log file or the audit log', async () => {
    expect(issued.length).toBeGreaterThanOrEqual(8);
    const audit = (await authed.http.get('/api/audit?limit=1000').expect(200)).body as Array<Record<string, unknown>>;
    const made = audit.filter((entry) => entry.action === 'backup.download-link' && entry.outcome === 'ok');
    expect(made.length).toBe(issued.length);
    expect(made[made.length - 1]).toMatchObject({ target: 'local', subject: plain, status_code: 201 });
    // A refused use is recorded by its path; the query string (the ticket) is not kept.
    expect(audit.some((entry) => entry.method === 'GET' && entry.outcome === 'refused' && entry.path === `/api/backups/local/${plain}/download-link`)).toBe(
      true,
    );
    const log = fs.readFileSync(t.logFile, 'utf8');
    const auditText = JSON.stringify(audit);
    expect(log.length).toBeGreaterThan(0);
    for (const text of [log, auditText]) {
      expect(text).not.toContain(TOKEN);
      for (const url of issued) expect(text).not.toContain(url.split('ticket=')[1]);
      expect(text).not.toContain('ticket=');
    }
  });
});

describeS3('Download links from R2 (real S3 server)', () => {
  let t: TestApp;
  let authed: TestApp;
  let bucket: string;
  beforeAll(async () => {
    bucket = await createTestBucket('download-link');
    t = await startTestApp({ SENTINEL_API_TOKEN: TOKEN });
    authed = { ...t, http: request.agent(t.app.getHttpServer()).set('Authorization', BEARER) };
    await seedDatabases(t.app, { rows: 300 });
    await configureR2(authed, bucket);
  });
  afterAll(() => t?.close());

  it('streams the object as the bucket holds it, once, plain and encrypted', async () => {
    const keys = path.join(t.root, 'keys');
    fs.mkdirSync(keys, { recursive: true });
    const client = testS3Client();
    for (const encrypted of [false, true]) {
      if (encrypted) await enableEncryption(authed, 'r2', keys);
      const job = await waitForJob(authed.http, (await authed.http.post('/api/backups/r2').expect(202)).body.id);
      expect(job).toMatchObject({ status: 'succeeded' });
      expect(job.filename.endsWith('.tar.gz.age')).toBe(encrypted);
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: job.filename }));
      const stored = Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());

      const made = (await authed.http.post(`/api/backups/r2/${job.filename}/download-link`).expect(201)).body;
      expect(made.size_bytes).toBe(stored.length);
      const res = await t.http.get(made.url).buffer(true).parse(bytes).expect(200);
      expect(res.headers['content-type']).toBe(encrypted ? 'application/octet-stream' : 'application/gzip');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${job.filename}"`);
      expect((res.body as Buffer).equals(stored)).toBe(true);
      expect((await t.http.get(made.url).expect(403)).body.message).toMatch(/already used/);
    }
    await disableEncryption(authed, 'r2');
    expect(fs.readFileSync(t.logFile, 'utf8')).not.toContain(TOKEN);
  });
});
