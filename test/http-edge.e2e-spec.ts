/**
 * The HTTP edge (issue 12, findings 1, 8 and 10) through real HTTP on a loopback port: only JSON bodies,
 * no state change from another origin or site, no answer for a foreign Host (DNS rebinding), wrong tokens
 * limited per address and logged without the token, security headers, and a depth limit on JSON.
 * The browser's view of the same rules is test/hostile-web.e2e-spec.ts.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const TOKEN = 'edge-test-token-0123456789abcdef0123';
const SETTING = '/api/settings/local_backup_retention_days';

interface Listening {
  t: TestApp;
  http: TestAgent;
  port: number;
  origin: string;
}

/** The app on a fixed loopback port, so that its own origin (http://127.0.0.1:<port>) is known. */
async function listen(env: Record<string, string> = {}, options: { keep?: boolean } = {}): Promise<Listening> {
  const t = await startTestApp(env, options);
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return { t, http: request(`http://127.0.0.1:${port}`), port, origin: `http://127.0.0.1:${port}` };
}

async function retention(s: Listening): Promise<unknown> {
  return (await s.http.get(SETTING).expect(200)).body.value;
}

describe('HTTP edge: request bodies, origins and hosts', () => {
  let s: Listening;
  beforeAll(async () => {
    s = await listen();
  });
  afterAll(() => s.t.close());

  it('refuses every body that is not JSON with 415 and says to send JSON, changing nothing', async () => {
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', 'value=5'],
      ['text/plain', '{"value": 5}'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="value"\r\n\r\n5\r\n--x--\r\n'],
    ]) {
      const res = await s.http.put(SETTING).set('Content-Type', type).send(body).expect(415);
      expect(res.body).toMatchObject({ statusCode: 415, error: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(res.body.message).toMatch(/only as JSON.*Content-Type: application\/json/);
    }
    const restore = await s.http.post('/api/backups/local/restore').type('form').send('filename=sentinel-backup-2026-01-01_00-00-00.tar.gz').expect(415);
    expect(restore.body.error).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await retention(s)).toBe(90);
  });

  it('answers the API under one spelling only: /API or /Api would step around the audit log and the query check', async () => {
    for (const path of ['/API/backups/local?bogus=1', '/Api/backups/local']) {
      const res = await s.http.post(path).expect(404);
      expect(res.body.message).toMatch(/lower case, starting with \/api\//);
    }
    await s.http.put('/API/settings/local_backup_retention_days').send({ value: 7 }).expect(404);
    expect(await retention(s)).toBe(90);
    expect((await s.http.get('/api/backup-jobs').expect(200)).body).toEqual([]);
    // Both refusals are in the audit log, with the path as it was sent.
    const audit = (await s.http.get('/api/audit').expect(200)).body as { path: string; status_code: number }[];
    expect(audit.filter((e) => e.path.startsWith('/API/') || e.path.startsWith('/Api/')).map((e) => e.status_code)).toEqual([404, 404, 404]);
  });

  it('keeps the spec curl lines working: JSON bodies, and POSTs without a body', async () => {
    await s.http.put(SETTING).set('Content-Type', 'application/json').send('{"value": 30}').expect(200);
    expect(await retention(s)).toBe(30);
    await s.http.put(SETTING).set('Content-Type', 'application/json; charset=utf-8').send({ value: 90 }).expect(200);
    const started = await s.http.post('/api/backups/local').expect(202);
    expect(await waitForJob(s.http, started.body.id)).toMatchObject({ status: 'succeeded' });
  });

  it('refuses state changes from another origin with 403 saying why, Origin: null included', async () => {
    for (const origin of [
      'http://evil.example',
      'null',
      `http://127.0.0.1:${s.port + 1}`,
      `http://localhost:${s.port}`,
      `https://127.0.0.1:${s.port}.evil.example`,
    ]) {
      const res = await s.http.put(SETTING).set('Origin', origin).send({ value: 5 }).expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'CROSS_SITE_REQUEST' });
      expect(res.body.message).toContain('another origin');
      expect(res.body.message).toContain(JSON.stringify(origin));
    }
    await s.http.post('/api/backups/local/rotate').set('Origin', 'http://evil.example').expect(403);
    expect(await retention(s)).toBe(90);
    // Our own page (same origin) may; reading from another origin is not a state change (CORS keeps the answer from it).
    await s.http.put(SETTING).set('Origin', s.origin).send({ value: 90 }).expect(200);
    await s.http.get(SETTING).set('Origin', 'http://evil.example').expect(200);
  });

  it('refuses state changes a browser marks as cross-site or same-site (another port on localhost)', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const res = await s.http.put(SETTING).set('Sec-Fetch-Site', site).send({ value: 5 }).expect(403);
      expect(res.body.error).toBe('CROSS_SITE_REQUEST');
      expect(res.body.message).toContain(`Sec-Fetch-Site: ${site}`);
    }
    await s.http.put(SETTING).set('Sec-Fetch-Site', 'same-origin').send({ value: 90 }).expect(200);
    await s.http.put(SETTING).set('Sec-Fetch-Site', 'none').send({ value: 90 }).expect(200);
    expect(await retention(s)).toBe(90);
  });

  it('answers no request for a foreign Host (DNS rebinding) with 421, the page and Swagger UI included', async () => {
    for (const path of ['/api/settings', '/', '/api/docs/', '/api/health', '/api/backups/local']) {
      const res = await s.http.get(path).set('Host', `rebind.example:${s.port}`).expect(421);
      expect(res.body).toMatchObject({ statusCode: 421, error: 'HOST_NOT_ALLOWED' });
      expect(res.body.message).toMatch(/does not answer for Host "rebind.example:\d+".*SENTINEL_ALLOWED_HOSTS/);
    }
    for (const host of [`localhost:${s.port}`, `[::1]:${s.port}`, `127.0.0.2:${s.port}`, `LOCALHOST.:${s.port}`]) {
      await s.http.get('/api/settings').set('Host', host).expect(200);
    }
    await s.http.get('/api/settings').set('Host', `user@127.0.0.1:${s.port}`).expect(421);
  });

  it('refuses JSON nested deeper than 64 levels with 400, not 500, and bodies over 100 KB', async () => {
    const deep = `${'['.repeat(45_000)}${']'.repeat(45_000)}`;
    const res = await s.http.put(SETTING).set('Content-Type', 'application/json').send(`{"value": ${deep}}`).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'INVALID_INPUT' });
    expect(res.body.message).toMatch(/nested more than 64 levels deep/);
    const filename = `{"filename": ${'{"a":'.repeat(70)}1${'}'.repeat(70)}}`;
    expect((await s.http.post('/api/backups/local/restore').set('Content-Type', 'application/json').send(filename).expect(400)).body.message).toMatch(
      /64 levels/,
    );
    const large = await s.http
      .put(SETTING)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ value: 'x'.repeat(200_000) }))
      .expect(413);
    expect(large.body.message).toMatch(/larger than 100 KB/);
    expect(await retention(s)).toBe(90);
  });

  it('sends security headers: no X-Powered-By, nosniff and no-store on the API, Swagger UI with its own CSP and never framed', async () => {
    const api = await s.http.get('/api/settings').expect(200);
    expect(api.headers['x-powered-by']).toBeUndefined();
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['cache-control']).toBe('no-store');
    expect(api.headers['content-security-policy']).toContain("default-src 'none'");
    expect(api.headers['x-frame-options']).toBe('DENY');

    const refused = await s.http.put(SETTING).type('form').send('value=1').expect(415);
    expect(refused.headers['x-powered-by']).toBeUndefined();
    expect(refused.headers['x-content-type-options']).toBe('nosniff');

    const docs = await s.http.get('/api/docs/').expect(200);
    expect(docs.headers['x-powered-by']).toBeUndefined();
    expect(docs.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    expect(docs.headers['x-frame-options']).toBe('DENY');

    // The page itself (or the 503 that says how to build it): its headers are checked in test/web.e2e-spec.ts.
    const page = await s.http.get('/');
    expect(page.headers['x-powered-by']).toBeUndefined();
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });
});

describe('HTTP edge: SENTINEL_ALLOWED_HOSTS', () => {
  let s: Listening;
  beforeAll(async () => {
    s = await listen({ SENTINEL_ALLOWED_HOSTS: 'backup.lan,proxy.lan:443' });
  });
  afterAll(() => s.t.close());

  it('serves an allowed name and takes its origin as our own; other names stay refused', async () => {
    await s.http.get('/api/settings').set('Host', `backup.lan:${s.port}`).expect(200);
    await s.http.put(SETTING).set('Host', `backup.lan:${s.port}`).set('Origin', `http://backup.lan:${s.port}`).send({ value: 12 }).expect(200);
    // A TLS proxy in front: the browser's origin is https on 443, the Host forwarded as it was.
    await s.http.put(SETTING).set('Host', 'proxy.lan:443').set('Origin', 'https://proxy.lan').send({ value: 13 }).expect(200);
    await s.http.get('/api/settings').set('Host', 'proxy.lan:8443').expect(421);
    await s.http.get('/api/settings').set('Host', 'other.lan').expect(421);
    await s.http.put(SETTING).set('Origin', 'http://other.lan').send({ value: 14 }).expect(403);
    expect(await retention(s)).toBe(13);
  });
});

describe('HTTP edge: wrong API tokens', () => {
  let s: Listening;
  beforeAll(async () => {
    s = await listen({ SENTINEL_API_TOKEN: TOKEN }, { keep: true });
  });
  afterAll(async () => {
    await s.t.close();
    fs.rmSync(s.t.root, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After after 10 wrong tokens from one address, even to the right one, and logs each without the token', async () => {
    // Requests without a token are not guesses: the page sends one before it asks for the token.
    for (let i = 0; i < 15; i++) await s.http.get('/api/settings').expect(401);
    const auth = (token: string) => s.http.get('/api/settings').set('Authorization', `Bearer ${token}`).set('User-Agent', 'guesser/1.0');
    await auth(TOKEN).expect(200);
    const guesses = Array.from({ length: 10 }, (_, i) => `wrong-guess-${i}-${'x'.repeat(30)}`);
    for (const guess of guesses) await auth(guess).expect(401);

    const limited = await auth('wrong-guess-final-xxxxxxxxxxxxxxxxxxxxxx').expect(429);
    expect(limited.body).toMatchObject({ statusCode: 429, error: 'TOO_MANY_ATTEMPTS' });
    expect(limited.body.message).toMatch(/Too many wrong API tokens.*try again in \d+ s/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The right token too: answering it differently would confirm a guess.
    expect((await auth(TOKEN).expect(429)).headers['retry-after']).toBeDefined();
    await s.http.put(SETTING).set('Authorization', `Bearer ${TOKEN}`).send({ value: 5 }).expect(429);
    await s.http.get('/api/health').expect(200);

    const log = fs.readFileSync(s.t.logFile, 'utf8');
    const lines = log.split('\n').filter((line) => line.includes('Wrong API token'));
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/WARN \[Auth\] Wrong API token from (::ffff:)?127\.0\.0\.1 \(user agent "guesser\/1\.0"\), 1 of 10/);
    for (const secret of [TOKEN, ...guesses, 'wrong-guess-final']) expect(log).not.toContain(secret);
  });
});
