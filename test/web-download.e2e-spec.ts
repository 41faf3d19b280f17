/**
 * Issue 18, downloads that stream, in a real browser (Debian's Chromium driven by playwright-core) against the
 * whole service on a loopback port with SENTINEL_API_TOKEN set. The page used to fetch the archive with the token
 * and save it from a Blob, all of it in the page's memory; now it asks for a single-use link with the token and
 * lets the browser's download manager stream GET …/download-link?ticket=… to disk. Only the local folder target:
 * no S3 server needed (SENTINEL_TEST_S3=off is fine).
 */
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { accessibilityProblems } from './web/a11y.js';
import { collectPageErrors, eventually, launchBrowser } from './web/browser.js';
import { ensureWebBuilt } from './web/build.js';
import { rowAction } from './web/row-menu.js';
import { type Served, serve, text } from './web/serve.js';

const TOKEN = 'web-download-token-0123456789abcdef0123';
const BROWSER_TEST_MS = 180_000;
/** Megabytes of random (incompressible) data in one database, so the archive is large enough to matter. */
const ARCHIVE_MB = 24;

/**
 * A request as the page sent it (`kind`: its resource type) or as the service received it (`kind`: Sec-Fetch-Mode,
 * `navigate` for a download by the browser itself, `cors` for a page's fetch).
 */
type SeenRequest = Record<'method' | 'url' | 'kind', string> & { authorization?: string };

describe('Admin page in a browser: a download with an API token streams to disk', () => {
  let browser: Browser;
  let served: Served;
  let filename: string;

  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launchBrowser();
    served = await serve({ SENTINEL_API_TOKEN: TOKEN });
    await seedDatabases(served.t.app, { rows: 50 });
    const source = await served.t.app.get(DatabaseRegistry).dataSource('history');
    await source.query('CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    await source.query(
      `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${ARCHIVE_MB}) INSERT INTO blobs (data) SELECT randomblob(1048576) FROM n`,
    );
    const authed = request.agent(served.t.app.getHttpServer()).set('Authorization', `Bearer ${TOKEN}`);
    const job = await waitForJob(authed, (await authed.post('/api/backups/local').expect(202)).body.id);
    expect(job).toMatchObject({ status: 'succeeded' });
    filename = job.filename;
  }, BROWSER_TEST_MS);
  afterAll(async () => {
    // The browser first: its download manager keeps its connection to the service open, which the service's close would wait for.
    await browser?.close();
    await served?.t.close();
  });

  it(
    'Download saves the archive byte for byte through a single-use link, with no Blob in the page and no token in any URL',
    async () => {
      const stored = fs.readFileSync(path.join(served.t.dataDir, 'backups', filename));
      expect(stored.length).toBeGreaterThan(ARCHIVE_MB * 1024 * 1024);
      const context = await browser.newContext({ acceptDownloads: true });
      try {
        // What the old page did with a download (Response.blob, then an object URL) is counted from the first script on.
        await context.addInitScript(() => {
          const reads: string[] = [];
          (globalThis as unknown as { archiveReads: string[] }).archiveReads = reads;
          const count = <T extends object>(owner: T, name: keyof T & string, label: string) => {
            const original = owner[name] as unknown as (...args: unknown[]) => unknown;
            (owner as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
              reads.push(`${label} ${(this as { url?: string } | undefined)?.url ?? ''}`);
              return original.apply(this, args);
            };
          };
          count(Response.prototype, 'blob', 'Response.blob');
          count(Response.prototype, 'arrayBuffer', 'Response.arrayBuffer');
          count(URL, 'createObjectURL', 'URL.createObjectURL');
        });
        const page = await context.newPage();
        const errors = collectPageErrors(page, [/Failed to load resource/]);
        const seen: SeenRequest[] = [];
        const received: SeenRequest[] = [];
        served.t.app
          .getHttpServer()
          .prependListener('request', (r: IncomingMessage) =>
            received.push({ method: r.method ?? '', url: r.url ?? '', kind: String(r.headers['sec-fetch-mode']), authorization: r.headers.authorization }),
          );
        page.on('request', (r) => seen.push({ method: r.method(), url: r.url(), kind: r.resourceType(), authorization: r.headers().authorization }));

        await page.goto(served.url);
        const dialog = page.getByRole('dialog', { name: 'Access token needed' });
        await dialog.getByLabel('Access token').fill(TOKEN);
        await dialog.getByRole('button', { name: 'Continue' }).click();
        await dialog.waitFor({ state: 'hidden' });

        const list = page.getByRole('region', { name: 'Local folder backups', exact: true });
        const row = list.locator(`tr[data-filename="${filename}"]`);
        const [download] = await Promise.all([page.waitForEvent('download'), rowAction(page, row, 'Download')]);
        expect(download.suggestedFilename()).toBe(filename);
        const saved = path.join(served.t.root, `downloaded-${filename}`);
        await download.saveAs(saved);
        expect(await download.failure()).toBeNull();
        expect(fs.readFileSync(saved).equals(stored)).toBe(true);
        // Nothing of the archive was read into the page.
        expect(await page.evaluate(() => (globalThis as unknown as { archiveReads: string[] }).archiveReads)).toEqual([]);

        // The page asked for the link with the token (a fetch); the browser itself downloaded the link, without the token.
        const made = seen.filter((r) => r.url.endsWith(`/api/backups/local/${filename}/download-link`));
        expect(made).toEqual([{ method: 'POST', url: expect.any(String), kind: 'fetch', authorization: `Bearer ${TOKEN}` }]);
        // The browser's download manager does not show its request to the page: the service saw it.
        expect(download.url()).toMatch(
          new RegExp(`^${served.url}api/backups/local/${filename.replace(/\./g, '\\.')}/download-link\\?ticket=[A-Za-z0-9_-]{43}$`),
        );
        const fetched = received.filter((r) => r.url.includes(`/api/backups/local/${filename}/download`) && r.method === 'GET');
        expect(fetched).toEqual([
          { method: 'GET', url: new URL(download.url()).pathname + new URL(download.url()).search, kind: 'navigate', authorization: undefined },
        ]);
        // The token is in no URL the browser requested (history, logs); the link is used up.
        expect(seen.filter((r) => r.url.includes(TOKEN))).toEqual([]);
        expect(received.filter((r) => r.url.includes(TOKEN))).toEqual([]);
        const used = await served.t.http.get(fetched[0].url).expect(403);
        expect(used.body.message).toMatch(/already used/);
        // Neither the token nor the ticket is in the service's log.
        const ticket = new URL(download.url()).searchParams.get('ticket') as string;
        await eventually(async () => expect(fs.readFileSync(served.t.logFile, 'utf8')).toContain('backup completed'));
        const log = fs.readFileSync(served.t.logFile, 'utf8');
        expect(log).not.toContain(TOKEN);
        expect(log).not.toContain(ticket);
        expect(await text(list.locator('.list-status'))).toBe(
          `Download of ${filename} started: your browser saves it as it arrives. If its downloads list shows it failed, click Download again (each link works once).`,
        );
        expect(await accessibilityProblems(page, list)).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    BROWSER_TEST_MS,
  );
});
