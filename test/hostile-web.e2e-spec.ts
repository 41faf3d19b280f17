/**
 * Issue 12, finding 1, in a real browser: web pages the user happens to open try every state-changing
 * endpoint of the service on loopback, and a DNS-rebinding page tries to read it. Debian's Chromium
 * (test/web/browser.ts) with `--host-resolver-rules` giving 127.0.0.1 two more names:
 *
 * - `evil.example:<port>`: a hostile site (cross-site), served by a second HTTP server of this test;
 * - `127.0.0.1:<port>` of that server: another program on this machine (same-site, another origin);
 * - the same pages marked `Content-Security-Policy: treat-as-public-address` (a public site);
 * - `rebind.example:<port>`: a DNS-rebinding page. Its server hands out the attack page, then forwards
 *   every other request unchanged to the service: what the service sees once the attacker's name points at
 *   127.0.0.1 (`Host: rebind.example:<port>`). The page is on loopback itself, so Chromium's own
 *   local-network checks (which other browsers lack) do not stop it before the service can.
 *
 * The service side records every request with the status it was answered, so the test sees what reached
 * it; a request the browser itself blocked (a preflight that failed) never changes anything either.
 * Afterwards: the live databases byte-identical, no job, no backup touched, no setting changed, nothing
 * staged; and the admin page and curl-style requests (no Origin) still work.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { RestartSignal } from '../src/common/lifecycle/restart-signal.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { collectPageErrors, eventually, launchBrowser } from './web/browser.js';
import { ensureWebBuilt } from './web/build.js';

const BROWSER_TEST_MS = 240_000;
const RETENTION = '/api/settings/local_backup_retention_days';

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  origin: string | undefined;
  contentType: string | undefined;
  status: number;
}

interface Attack {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** The fields a form or a body would carry. */
  fields: Record<string, string>;
}

/** Every state-changing endpoint, with what an attacker would send it. */
function attacks(filename: string): Attack[] {
  return [
    { method: 'POST', path: '/api/backups/local', fields: {} },
    { method: 'POST', path: '/api/backups/local/rotate', fields: {} },
    { method: 'POST', path: '/api/backups/local/restore', fields: { filename, restart: 'true' } },
    { method: 'POST', path: `/api/backups/local/${filename}/verify`, fields: {} },
    { method: 'POST', path: '/api/backups/local/test', fields: {} },
    { method: 'DELETE', path: `/api/backups/local/${filename}`, fields: {} },
    { method: 'DELETE', path: `/api/backups/local/${filename}?confirm_foreign=true`, fields: {} },
    { method: 'POST', path: `/api/backups/local/${filename}/adopt`, fields: {} },
    { method: 'DELETE', path: '/api/backups/local/restore/staged', fields: {} },
    { method: 'PUT', path: RETENTION, fields: { value: '1' } },
    { method: 'POST', path: '/api/targets', fields: { id: 'evil', kind: 'folder', path: '/tmp/evil-target' } },
    { method: 'POST', path: '/api/targets/local/test', fields: {} },
    { method: 'PATCH', path: '/api/targets/local', fields: { enabled: 'false' } },
    // A place change would point the target's rotation at the attacker's choice of folder.
    { method: 'PATCH', path: '/api/targets/nas', fields: { path: '/tmp/evil-target' } },
    { method: 'POST', path: '/api/targets/nas/sync', fields: {} },
    { method: 'POST', path: '/api/targets/nas/sync?dry_run=true', fields: {} },
    { method: 'DELETE', path: '/api/targets/nas?confirm=true', fields: {} },
    { method: 'DELETE', path: '/api/targets/nas', fields: {} },
    { method: 'PUT', path: '/api/settings/local_backup_dir', fields: { value: '/tmp/evil-target' } },
  ];
}

const ENCTYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * A hostile page. `fetches`: no-cors fetches of every POST endpoint with the three bodies a page may send
 * without a preflight (a text/plain body shaped as JSON included), and cors fetches of PUT and DELETE.
 * `forms`: every POST endpoint as an auto-submitted form in each encoding, into hidden frames.
 * `top-form`: the page itself navigates by an auto-submitted form to the restore endpoint.
 * The page sets its title to "done" when every attempt has settled.
 */
function hostilePage(kind: string, service: string, list: Attack[]): string {
  const script = `
const service = ${JSON.stringify(service)};
const attacks = ${JSON.stringify(list)};
const enctypes = ${JSON.stringify(ENCTYPES)};
async function fetches() {
  const tries = [];
  for (const a of attacks) {
    if (a.method === 'POST') {
      tries.push(fetch(service + a.path, { method: 'POST', mode: 'no-cors', credentials: 'include', body: new URLSearchParams(a.fields) }));
      const form = new FormData();
      for (const [k, v] of Object.entries(a.fields)) form.append(k, v);
      tries.push(fetch(service + a.path, { method: 'POST', mode: 'no-cors', credentials: 'include', body: form }));
      tries.push(fetch(service + a.path, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(a.fields) }));
      tries.push(fetch(service + a.path, { method: 'POST', mode: 'no-cors', credentials: 'include' }));
    } else {
      tries.push(fetch(service + a.path, { method: a.method, mode: 'cors', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ value: 1 }) }));
    }
  }
  await Promise.allSettled(tries);
}
async function forms() {
  const loads = [];
  let n = 0;
  for (const a of attacks.filter((x) => x.method === 'POST')) {
    for (const enctype of enctypes) {
      const name = 'frame' + n++;
      const frame = document.createElement('iframe');
      frame.name = name;
      document.body.appendChild(frame);
      loads.push(new Promise((resolve) => { frame.onload = resolve; setTimeout(resolve, 10000); }));
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = service + a.path;
      form.enctype = enctype;
      form.target = name;
      for (const [k, v] of Object.entries(a.fields)) {
        const input = document.createElement('input');
        input.name = enctype === 'text/plain' ? '{"' + k + '":"' + v + '","x":"' : k;
        input.value = enctype === 'text/plain' ? '"}' : v;
        form.appendChild(input);
      }
      document.body.appendChild(form);
      form.submit();
    }
  }
  await Promise.all(loads);
}
function topForm() {
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = service + '/api/backups/local/restore';
  const input = document.createElement('input');
  input.name = 'filename';
  input.value = attacks[2].fields.filename;
  form.appendChild(input);
  document.body.appendChild(form);
  form.submit();
}
const kind = ${JSON.stringify(kind)};
if (kind === 'top-form') topForm();
else (kind === 'fetches' ? fetches() : forms()).finally(() => { document.title = 'done'; });
`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>hostile</title></head><body><h1>Cute cats</h1><script>${script}</script></body></html>`;
}

/** The DNS-rebinding page: same-origin with the service once its name points at 127.0.0.1; reads what it can. */
function rebindPage(filename: string): string {
  const script = `
(async () => {
  const result = {};
  const attempt = async (name, url, init) => {
    try {
      const response = await fetch(url, init);
      const body = await response.text();
      result[name] = { status: response.status, body: body.slice(0, 2000) };
    } catch (error) {
      result[name] = { status: 0, body: String(error) };
    }
  };
  await attempt('settings', '/api/settings');
  await attempt('download', '/api/backups/local/${filename}/download');
  await attempt('backup', '/api/backups/local', { method: 'POST' });
  await attempt('setting', '${RETENTION}', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"value": 1}' });
  await attempt('docs', '/api/docs/');
  window.rebindResult = result;
  document.title = 'done';
})();
`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>rebind</title></head><body><script>${script}</script></body></html>`;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Every file of the live databases (with their WAL and shared-memory files) and of the backup folder, by hash. */
function filesByHash(dirs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dir of dirs) {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (fs.statSync(full).isFile()) out[full] = sha256(full);
    }
  }
  return out;
}

interface ObservableState {
  files: Record<string, string>;
  jobs: unknown;
  backups: unknown;
  settings: unknown;
  targets: unknown;
  staged: number;
}

async function observe(t: TestApp, api: TestAgent): Promise<ObservableState> {
  // The audit log is left out: recording the refused attempts is its job (checked on its own below).
  // So are `-shm` files: SQLite's shared-memory index of a WAL, which readers update by design (the
  // encryption database is read by every listing); the data is in the database and its `-wal`.
  const dbFiles = Object.fromEntries(
    Object.entries(filesByHash([t.dataDir])).filter(([file]) => /\.db(-wal)?$/.test(file) && !path.basename(file).startsWith('.audit.db')),
  );
  return {
    files: { ...dbFiles, ...filesByHash([path.join(t.dataDir, 'backups')]) },
    jobs: (await api.get('/api/backup-jobs').expect(200)).body,
    // Without the ages, which move with the clock.
    backups: ((await api.get('/api/backups/local').expect(200)).body as Array<Record<string, unknown>>).map(({ filename, size_bytes, created_at }) => ({
      filename,
      size_bytes,
      created_at,
    })),
    settings: (await api.get('/api/settings').expect(200)).body,
    targets: (await api.get('/api/targets').expect(200)).body,
    staged: (await api.get('/api/backups/local/restore/staged')).status,
  };
}

async function openAndSettle(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === 'done', undefined, { timeout: 60_000 });
}

describe('Hostile web pages against the service on loopback', () => {
  let browser: Browser;
  let t: TestApp;
  let api: TestAgent;
  let servicePort: number;
  let hostile: http.Server;
  let hostilePort: number;
  let rebindServer: http.Server;
  let rebindPort: number;
  let filename: string;
  let restartRequested = false;
  const seen: Seen[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launchBrowser(['--host-resolver-rules=MAP rebind.example 127.0.0.1, MAP evil.example 127.0.0.1']);
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    servicePort = (t.app.getHttpServer().address() as AddressInfo).port;
    api = request(`http://127.0.0.1:${servicePort}`);
    t.app.get(RestartSignal).requested.then(() => (restartRequested = true));
    // What reached the service, and what it answered.
    t.app.getHttpServer().on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.on('finish', () =>
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          host: req.headers.host,
          origin: req.headers.origin,
          contentType: req.headers['content-type'],
          status: res.statusCode,
        }),
      );
    });
    await seedDatabases(t.app, { rows: 50 });
    // An added target the attacks try to delete (issue 16).
    await api
      .post('/api/targets')
      .send({ id: 'nas', kind: 'folder', path: `${t.dataDir}-nas` })
      .expect(201);
    const started = await api.post('/api/backups/local').expect(202);
    filename = (await waitForJob(api, started.body.id)).filename;

    const service = `http://127.0.0.1:${servicePort}`;
    hostile = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const [, zone, kind] = url.pathname.split('/');
      if (!kind?.endsWith('.html')) return void res.writeHead(404).end();
      const headers: Record<string, string> = { 'Content-Type': 'text/html; charset=utf-8' };
      if (zone === 'public') headers['Content-Security-Policy'] = 'treat-as-public-address';
      res.writeHead(200, headers).end(hostilePage(kind.replace(/\.html$/, ''), service, attacks(filename)));
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    hostilePort = (hostile.address() as AddressInfo).port;

    rebindServer = http.createServer((req, res) => {
      if (req.url === '/attack.html') return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(rebindPage(filename));
      const forward = http.request({ host: '127.0.0.1', port: servicePort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.writeHead(502).end());
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => rebindServer.listen(0, '127.0.0.1', resolve));
    rebindPort = (rebindServer.address() as AddressInfo).port;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => hostile?.close(resolve));
    await new Promise((resolve) => rebindServer?.close(resolve));
    await t?.close();
  });

  it(
    'refuses every attempt of pages on other origins, of a public site and of a rebinding page: nothing changes',
    async () => {
      const before = await observe(t, api);
      expect(before.staged).toBe(404);
      const context = await browser.newContext();
      const page = await context.newPage();
      const from = seen.length;

      for (const origin of [`http://evil.example:${hostilePort}`, `http://127.0.0.1:${hostilePort}`]) {
        await openAndSettle(page, `${origin}/site/fetches.html`);
        await openAndSettle(page, `${origin}/site/forms.html`);
      }
      await openAndSettle(page, `http://evil.example:${hostilePort}/public/fetches.html`);
      await openAndSettle(page, `http://evil.example:${hostilePort}/public/forms.html`);
      for (const zone of ['site', 'public']) {
        await page.goto(`http://evil.example:${hostilePort}/${zone}/top-form.html`);
        await page.waitForURL(`http://127.0.0.1:${servicePort}/api/backups/local/restore`, { timeout: 30_000 }).catch(() => undefined);
        // The user, sent to the service by the form, sees why it was refused (or the browser blocked the navigation).
        if (page.url().startsWith(`http://127.0.0.1:${servicePort}/`)) expect(await page.textContent('body')).toContain('CROSS_SITE_REQUEST');
      }

      // DNS rebinding: the attacker's page, then its name pointing at the service.
      await openAndSettle(page, `http://rebind.example:${rebindPort}/attack.html`);
      const result =
        (await page.evaluate(() => (globalThis as unknown as { rebindResult: Record<string, { status: number; body: string }> }).rebindResult)) ?? {};
      for (const name of ['settings', 'download', 'backup', 'setting', 'docs']) {
        expect([name, result[name]?.status]).toEqual([name, 421]);
        expect(result[name]?.body).toContain('HOST_NOT_ALLOWED');
      }
      expect(JSON.stringify(result)).not.toContain('local_backup_dir');
      await context.close();

      // Let frames and late requests finish before looking: until every form post has reached the service.
      const hostile = () => seen.slice(from).filter((r) => r.method !== 'GET' && r.method !== 'OPTIONS');
      await eventually(async () => expectEveryFormPostReached(hostile()));
      const hostileRequests = hostile();
      // Every state-changing request that reached the service was refused, for the reason that applies.
      for (const r of hostileRequests) {
        const expected = r.host?.startsWith('rebind.example') ? 421 : 403;
        expect(r).toEqual({ ...r, status: expected });
      }
      // And they did reach it: each POST endpoint by form in every encoding, from both hostile origins.
      function expectEveryFormPostReached(requests: Seen[]): void {
        for (const attack of attacks(filename).filter((a) => a.method === 'POST')) {
          for (const origin of [`http://evil.example:${hostilePort}`, `http://127.0.0.1:${hostilePort}`]) {
            for (const type of ENCTYPES) {
              const hits = requests.filter((r) => r.url === attack.path && r.origin === origin && (r.contentType ?? '').startsWith(type));
              expect([attack.path, origin, type, hits.length > 0]).toEqual([attack.path, origin, type, true]);
            }
          }
        }
      }
      expectEveryFormPostReached(hostileRequests);
      // Chromium sends a request answered 421 once more on a new connection (refused again): count each once.
      const rebound = new Set(hostileRequests.filter((r) => r.host?.startsWith('rebind.example')).map((r) => `${r.method} ${r.url}`));
      expect([...rebound]).toEqual(['POST /api/backups/local', `PUT ${RETENTION}`]);

      const after = await observe(t, api);
      expect(after).toEqual(before);
      // Every refused attempt is in the audit log, as refused.
      const audit = (await api.get('/api/audit?limit=1000').expect(200)).body as { outcome: string; method: string }[];
      expect(audit.filter((e) => e.outcome === 'refused' && e.method !== 'GET').length).toBeGreaterThanOrEqual(hostileRequests.length);
      expect(restartRequested).toBe(false);
    },
    BROWSER_TEST_MS,
  );

  it(
    'still lets the admin page itself run a backup, Swagger UI render under its CSP, and curl-style requests work',
    async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const page = await context.newPage();
        // The R2 list answers 409 while R2 is not configured: expected, not a page error.
        const errors = collectPageErrors(page, [/Failed to load resource: the server responded with a status of 409/]);
        const jobsBefore = ((await api.get('/api/backup-jobs').expect(200)).body as unknown[]).length;
        await page.goto(`http://127.0.0.1:${servicePort}/`);
        const local = page.getByRole('region', { name: 'Local folder', exact: true });
        await local.getByRole('button', { name: 'Backup Now' }).click();
        await eventually(async () => {
          const jobs = (await api.get('/api/backup-jobs').expect(200)).body as Array<{ status: string }>;
          expect(jobs.length).toBe(jobsBefore + 1);
          expect(jobs.every((job) => job.status === 'succeeded')).toBe(true);
        }, 60_000);
        await local.locator('.job-ok').waitFor({ timeout: 30_000 });
        expect(errors).toEqual([]);

        // Swagger UI under its own CSP: a violation would show as a console error.
        const docs = await context.newPage();
        const docErrors = collectPageErrors(docs);
        await docs.goto(`http://127.0.0.1:${servicePort}/api/docs/`);
        await docs.locator('.swagger-ui .opblock').first().waitFor({ timeout: 30_000 });
        expect(await docs.locator('.swagger-ui .opblock').count()).toBeGreaterThan(10);
        expect(docErrors).toEqual([]);
      } finally {
        await context.close();
      }
      // The spec's curl lines: no Origin, no fetch metadata.
      await api.put(RETENTION).set('Content-Type', 'application/json').send('{"value": 30}').expect(200);
      await api.put(RETENTION).set('Content-Type', 'application/json').send('{"value": 90}').expect(200);
      const started = await api.post('/api/backups/local').expect(202);
      expect(await waitForJob(api, started.body.id)).toMatchObject({ status: 'succeeded' });
    },
    BROWSER_TEST_MS,
  );
});
