/**
 * The admin page (web/) in a real browser — Debian's Chromium driven by playwright-core — against the
 * whole service listening on a loopback port, with the real S3 server for R2 (test/support/s3-server.ts).
 * The page is built with Vite first when web/dist is missing or older than its sources.
 *
 * The test app has no main.ts restart loop: a restore that asks for a restart only fires RestartSignal.
 * The restart test plays main.ts's part (close the app, boot it again on the same port and data), so the
 * page's wait for /api/health and its return are real.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import request from 'supertest';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { RestartSignal } from '../src/common/lifecycle/restart-signal.js';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { WebModule } from '../src/web/web.module.js';
import { configureR2 as configureTestR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, testS3 } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import type { TestApp } from './support/test-app.js';
import { accessibilityProblems } from './web/a11y.js';
import { blurFocused, collectPageErrors, eventually, focused, launchBrowser, scrollWidth, storedValues } from './web/browser.js';
import { ensureWebBuilt } from './web/build.js';
import { restartServed, type Served, serve, text } from './web/serve.js';
import { rowAction, rowMenuButton } from './web/row-menu.js';
import { openSettings } from './web/target-card.js';

/**
 * The README's pictures of the Backup tab, light and dark: written by every test run with the S3 server (and by
 * `npm run docs:screenshot` alone), so the README cannot show a page that no longer exists.
 */
const SCREENSHOTS = { light: path.resolve('docs/admin-backup-tab.png'), dark: path.resolve('docs/admin-backup-tab-dark.png') };
const BROWSER_TEST_MS = 180_000;
/** Expected while the service restarts, or when a list is asked of an unconfigured target (409): not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/, /net::ERR_CONNECTION_REFUSED/];

/** The settings card of a target (a region named by its heading). */
function card(page: Page, name: 'Cloudflare R2' | 'Local folder'): Locator {
  return page.getByRole('region', { name, exact: true });
}

/** The list of backups of a target. */
function backupList(page: Page, name: 'Cloudflare R2' | 'Local folder'): Locator {
  return page.getByRole('region', { name: `${name} backups`, exact: true });
}

function backupRow(page: Page, name: 'Cloudflare R2' | 'Local folder', filename: string): Locator {
  return backupList(page, name).locator(`tr[data-filename="${filename}"]`);
}

/** Random, incompressible data in one database, so that a backup runs long enough to watch its progress. */
async function seedLargeDatabase(app: NestExpressApplication, megabytes: number): Promise<void> {
  const source = await app.get(DatabaseRegistry).dataSource('history');
  await source.query('CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
  await source.query(
    `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${megabytes}) INSERT INTO blobs (data) SELECT randomblob(1048576) FROM n`,
  );
}

async function setMarker(app: NestExpressApplication, value: string): Promise<void> {
  const source = await app.get(DatabaseRegistry).dataSource('ledger');
  await source.query('CREATE TABLE IF NOT EXISTS marker (id INTEGER PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL)');
  await source.query('INSERT INTO marker (id, value) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET value = excluded.value', [value]);
}

async function readMarker(app: NestExpressApplication): Promise<string> {
  const source = await app.get(DatabaseRegistry).dataSource('ledger');
  const [row] = await source.query('SELECT value FROM marker WHERE id = 1');
  return row.value;
}

async function backupVia(t: TestApp, target: 'local' | 'r2'): Promise<string> {
  const started = await t.http.post(`/api/backups/${target}`).expect(202);
  const job = await waitForJob(t.http, started.body.id);
  expect(job).toMatchObject({ status: 'succeeded' });
  return job.filename;
}

async function putSetting(t: TestApp, key: string, value: string | number): Promise<void> {
  await t.http.put(`/api/settings/${key}`).send({ value }).expect(200);
}

/** R2 pointed at the test S3 server, through the API (for tests that are not about the form). */
async function configureR2(t: TestApp, bucket: string): Promise<void> {
  await configureTestR2(t, bucket, { r2_account_id: '0123456789abcdef0123456789abcdef' });
}

let browser: Browser;

beforeAll(async () => {
  ensureWebBuilt();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('Admin page: serving', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve();
  });
  afterAll(() => served.t.close());

  it('serves the built page at / with security headers, and leaves /api and Swagger UI to the API', async () => {
    const http = served.t.http;
    const page = await http.get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<div id="app">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-cache');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    const asset = await http.get(script as string).expect(200);
    expect(asset.headers['cache-control']).toContain('immutable');

    expect((await http.get('/api/health').expect(200)).body).toMatchObject({ status: 'ok' });
    expect((await http.get('/api/docs/').expect(200)).text).toMatch(/swagger/i);
    const unknownApi = await http.get('/api/no-such-endpoint').expect(404);
    expect(unknownApi.body).toMatchObject({ statusCode: 404 });
    expect(unknownApi.text).not.toContain('<div id="app">');
    await http.get('/no-such-page').expect(404);
  });

  it('says how to build the page when web/dist is missing, instead of failing', async () => {
    const app = await NestFactory.create<NestExpressApplication>(WebModule.forRoot(path.join(served.t.root, 'no-web-build')), { logger: false });
    await app.init();
    try {
      const res = await request(app.getHttpServer()).get('/').expect(503);
      expect(res.text).toContain('npm run build:web');
    } finally {
      await app.close();
    }
  });
});

describe('Admin page in a browser: local folder', () => {
  let served: Served;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    served = await serve();
    await seedDatabases(served.t.app, { rows: 100 });
  });
  afterAll(() => served.t.close());

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = collectPageErrors(page, EXPECTED_CONSOLE);
  });
  afterEach(async () => {
    await context.close();
    await served.t.http.delete('/api/backups/local/restore/staged');
    expect(errors).toEqual([]);
  });

  it('shows an API validation error next to the field it concerns, and saves nothing of the form until all are valid', async () => {
    await page.goto(served.url);
    const local = card(page, 'Local folder');
    await openSettings(local);
    const retention = local.getByLabel('Retention Days', { exact: true });
    const folder = path.join(served.t.root, 'elsewhere');
    await local.getByLabel('Backup folder', { exact: true }).fill(folder);
    await retention.fill('-5');
    await local.getByRole('button', { name: 'Save', exact: true }).click();
    // A new folder hides the old one's backups: asked first.
    await page.getByRole('dialog', { name: 'Change the backup folder?' }).getByRole('button', { name: 'Change folder' }).click();

    await eventually(async () => expect(await retention.getAttribute('aria-invalid')).toBe('true'));
    const errorId = (await retention.getAttribute('aria-describedby'))?.split(' ').find((id) => id.endsWith('-error'));
    expect(errorId).toBeDefined();
    expect(await text(page.locator(`#${errorId}`))).toMatch(/^Retention Days must be a whole number of days from 0 to 36500.*got -5/);
    expect((await focused(page))?.id).toBe(await retention.getAttribute('id'));
    expect(await text(local.locator('.form-status'))).toMatch(/^Nothing was saved: one setting is not valid/);
    expect(await accessibilityProblems(page, local)).toEqual([]);

    const settings = (await served.t.http.get('/api/settings').expect(200)).body as Array<{ key: string; value: unknown }>;
    expect(settings.find((s) => s.key === 'local_backup_dir')?.value).toBe(path.join(served.t.dataDir, 'backups'));
    expect(settings.find((s) => s.key === 'local_backup_retention_days')?.value).toBe(90);

    await retention.fill('14');
    await local.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('dialog', { name: 'Change the backup folder?' }).getByRole('button', { name: 'Change folder' }).click();
    await eventually(async () => expect(await text(local.locator('.form-status'))).toBe('2 settings saved.'));
    const saved = (await served.t.http.get('/api/settings').expect(200)).body as Array<{ key: string; value: unknown }>;
    expect(saved.find((s) => s.key === 'local_backup_dir')?.value).toBe(folder);
    expect(await retention.getAttribute('aria-invalid')).toBeNull();
    await putSetting(served.t, 'local_backup_dir', path.join(served.t.dataDir, 'backups'));
    await putSetting(served.t, 'local_backup_retention_days', 90);
  });

  it('keeps secrets write-only: shows that one is set, never its value, and Remove clears it', async () => {
    const secret = 'write-only-secret-value-0123456789';
    await page.goto(served.url);
    const r2 = card(page, 'Cloudflare R2');
    await openSettings(r2);
    const field = r2.getByLabel('Secret Access Key', { exact: true });
    expect(await field.getAttribute('type')).toBe('password');
    expect(await field.getAttribute('autocomplete')).toBe('new-password');
    await field.fill(secret);
    await r2.getByRole('button', { name: 'Save', exact: true }).click();
    await eventually(async () => expect(await text(r2.locator('.form-status'))).toBe('Setting saved.'));
    expect(await field.inputValue()).toBe('');
    expect(await field.getAttribute('placeholder')).toBe('Stored – type a new value to replace it');
    expect(await page.content()).not.toContain(secret);
    const stored = async () => (await served.t.http.get('/api/settings/r2_secret_access_key').expect(200)).body as { value: unknown; is_set: boolean };
    expect(await stored()).toMatchObject({ value: null, is_set: true });

    await r2.getByRole('button', { name: 'Remove Secret Access Key' }).click();
    expect(await field.isDisabled()).toBe(true);
    await r2.getByRole('button', { name: 'Save', exact: true }).click();
    await eventually(async () => expect(await stored()).toMatchObject({ value: null, is_set: false }));
    await eventually(async () => expect(await field.getAttribute('placeholder')).toBe('Not set'));
  });

  it('Download saves the archive as it is stored', async () => {
    const filename = await backupVia(served.t, 'local');
    await page.goto(served.url);
    const row = backupRow(page, 'Local folder', filename);
    const [download] = await Promise.all([page.waitForEvent('download'), rowAction(page, row, 'Download')]);
    expect(download.suggestedFilename()).toBe(filename);
    const saved = path.join(served.t.root, `downloaded-${filename}`);
    await download.saveAs(saved);
    expect(fs.readFileSync(saved).equals(fs.readFileSync(path.join(served.t.dataDir, 'backups', filename)))).toBe(true);
  });

  it('shows why a backup failed', async () => {
    const notAFolder = path.join(served.t.root, 'a-file');
    fs.writeFileSync(notAFolder, 'not a folder');
    await putSetting(served.t, 'local_backup_dir', path.join(notAFolder, 'backups'));
    try {
      await page.goto(served.url);
      const local = card(page, 'Local folder');
      await local.getByRole('button', { name: 'Backup Now' }).click();
      const failure = local.locator('.job-failed');
      await failure.waitFor({ timeout: 30_000 });
      expect(await failure.getAttribute('role')).toBe('alert');
      // Headed by what went wrong, as the connection test and the status strip say it.
      expect(await text(failure)).toMatch(/^Folder not found: last backup failed .+a-file/);
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await putSetting(served.t, 'local_backup_dir', path.join(served.t.dataDir, 'backups'));
    }
  });

  it('the Activity list shows a backup started with Backup Now: when, what, its outcome and from where', async () => {
    await page.goto(served.url);
    const activity = page.getByRole('region', { name: 'Activity', exact: true });
    // Earlier tests started backups too: this one's entry is the one newer than the newest before the click.
    const [previous] = (await served.t.http.get('/api/audit?limit=1').expect(200)).body;
    await card(page, 'Local folder').getByRole('button', { name: 'Backup Now' }).click();
    const newest = await eventually(async () => {
      const [entry] = (await served.t.http.get('/api/audit?limit=1').expect(200)).body;
      if (!entry || entry.at === previous?.at) throw new Error('the click is not in the audit log yet');
      return entry;
    });
    expect(newest).toMatchObject({ action: 'backup.start', target: 'local', outcome: 'ok', status_code: 202 });
    // What the API records, the page shows: a row of this backup, at the time the API gives.
    const row = activity.locator(`tr[data-action="backup.start"]:has(time[datetime="${newest.at}"])`);
    await row.waitFor({ timeout: 15_000 });
    expect(await text(row)).toMatch(/Backup started Local folder Done 202 (::ffff:)?127\.0\.0\.1 .*Chrom/);
    expect(await accessibilityProblems(page, activity)).toEqual([]);
    await waitForJob(served.t.http, (await served.t.http.get('/api/backup-jobs?limit=1').expect(200)).body[0].id);
  });

  it('Delete asks for confirmation naming the backup, with the keyboard; Escape keeps it, confirming removes it', async () => {
    const filename = await backupVia(served.t, 'local');
    await page.goto(served.url);
    const row = backupRow(page, 'Local folder', filename);
    await row.waitFor();

    // The row's Actions menu, by keyboard: Enter opens it on its first item, End goes to Delete (the last).
    await rowMenuButton(row).focus();
    await page.keyboard.press('Enter');
    await eventually(async () => expect((await focused(page))?.text).toBe('Restore'));
    await page.keyboard.press('End');
    expect((await focused(page))?.text).toBe('Delete');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete this backup?' });
    await dialog.waitFor();
    expect(await text(dialog)).toContain(filename);
    // Focus starts on the safe choice; Escape closes and gives focus back.
    expect((await focused(page))?.text).toBe('Cancel');
    expect(await accessibilityProblems(page, dialog)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect((await focused(page))?.text).toBe(`Actions ${filename}`);
    expect(fs.existsSync(path.join(served.t.dataDir, 'backups', filename))).toBe(true);

    await page.keyboard.press('Enter');
    await eventually(async () => expect((await focused(page))?.text).toBe('Restore'));
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Tab');
    expect((await focused(page))?.text).toBe('Delete backup');
    await page.keyboard.press('Enter');
    await row.waitFor({ state: 'detached' });
    expect(await text(backupList(page, 'Local folder').locator('.list-status'))).toBe(`Deleted ${filename}.`);
    expect(fs.existsSync(path.join(served.t.dataDir, 'backups', filename))).toBe(false);
  });

  it("marks another installation's backup, adopts it on confirmation, and deletes one only after saying whose it is", async () => {
    const dir = path.join(served.t.dataDir, 'backups');
    const other = '00000000-0000-4000-8000-0000000000aa';
    const [toAdopt, toDelete] = [Date.UTC(2026, 0, 2, 3, 4, 5), Date.UTC(2026, 0, 3, 3, 4, 5)].map((ms) => backupFilename(new Date(ms)));
    fs.mkdirSync(dir, { recursive: true });
    for (const name of [toAdopt, toDelete]) {
      fs.writeFileSync(path.join(dir, name), 'from another installation');
      fs.writeFileSync(path.join(dir, `.${name}.owner`), `${other}\n`);
    }
    await page.goto(served.url);
    const row = backupRow(page, 'Local folder', toAdopt);
    await row.waitFor();
    expect(await text(row.locator('.owner-tag'))).toBe('made by installation 00000000…');
    expect(await accessibilityProblems(page, backupList(page, 'Local folder'))).toEqual([]);

    await rowAction(page, row, 'Adopt');
    const adoptDialog = page.getByRole('dialog', { name: 'Adopt this backup?' });
    await adoptDialog.getByRole('button', { name: 'Adopt backup' }).click();
    await row.locator('.owner-tag').waitFor({ state: 'detached' });
    expect(await text(backupList(page, 'Local folder').locator('.list-status'))).toBe(`${toAdopt} is now this installation’s backup.`);
    const self = (await served.t.http.get('/api/health').expect(200)).body.installation_id as string;
    expect(fs.readFileSync(path.join(dir, `.${toAdopt}.owner`), 'utf8').trim()).toBe(self);
    expect(await row.getByRole('menuitem', { name: 'Adopt', includeHidden: true }).count()).toBe(0);

    const foreign = backupRow(page, 'Local folder', toDelete);
    await rowAction(page, foreign, 'Delete');
    const deleteDialog = page.getByRole('dialog', { name: 'Delete this backup?' });
    expect(await text(deleteDialog)).toContain('It is not this installation’s backup (made by installation 00000000…)');
    await deleteDialog.getByRole('button', { name: 'Delete backup' }).click();
    await foreign.waitFor({ state: 'detached' });
    expect(await text(backupList(page, 'Local folder').locator('.list-status'))).toBe(`Deleted ${toDelete}.`);
    expect(fs.readdirSync(dir).filter((n) => n.includes(toDelete))).toEqual([]);
    await served.t.http.delete(`/api/backups/local/${toAdopt}`).expect(200);
  });

  it('Verify shows the per-database report', async () => {
    const filename = await backupVia(served.t, 'local');
    await page.goto(served.url);
    const row = backupRow(page, 'Local folder', filename);
    await rowAction(page, row, 'Verify');
    const report = page.getByRole('status', { name: `Verification of ${filename}` });
    await report.waitFor({ timeout: 30_000 });
    expect(await text(report)).toMatch(/^✓ All 7 databases are intact/);
    const rows = await report.locator('tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t')[0])).toEqual(['universe', 'config', 'ledger', 'portfolio', 'agents', 'history', 'cache']);
    for (const r of rows) expect(r).toMatch(/matches\s+ok/);
    expect(await accessibilityProblems(page, report)).toEqual([]);
  });

  it('at phone width the page fits the screen and the backup actions stay reachable', async () => {
    const filename = await backupVia(served.t, 'local');
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const small = await phone.newPage();
      await small.goto(served.url);
      const row = backupRow(small, 'Local folder', filename);
      await row.waitFor();
      expect(await scrollWidth(small)).toBeLessThanOrEqual(375);
      expect(await accessibilityProblems(small, undefined, { widths: [375] })).toEqual([]);
      await openSettings(card(small, 'Cloudflare R2'));
      const expectTappable = async (control: Locator): Promise<void> => {
        await control.scrollIntoViewIfNeeded();
        const box = await control.boundingBox();
        expect(box).not.toBeNull();
        expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= 375).toBe(true);
        expect(box?.height).toBeGreaterThanOrEqual(32); // big enough to tap
      };
      for (const control of [
        card(small, 'Cloudflare R2').getByLabel('Secret Access Key', { exact: true }),
        card(small, 'Cloudflare R2').getByRole('button', { name: 'Test Connection' }),
        rowMenuButton(row),
      ])
        await expectTappable(control);
      // The row's actions are in its menu: open, each item is on the screen and big enough to tap.
      await rowMenuButton(row).click();
      for (const name of ['Restore', 'Delete']) await expectTappable(row.getByRole('menuitem', { name }));
    } finally {
      await phone.close();
    }
  });
});

describe('Admin page in a browser: restore with restart', () => {
  it(
    'Restore (restart now) waits for the service to come back by itself and shows the restore applied',
    async () => {
      let served = await serve({}, { keep: true });
      const root = served.t.root;
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        await seedDatabases(served.t.app, { rows: 50 });
        await setMarker(served.t.app, 'as backed up');
        const filename = await backupVia(served.t, 'local');
        await setMarker(served.t.app, 'changed later');

        const page = await context.newPage();
        const errors = collectPageErrors(page, EXPECTED_CONSOLE);
        await page.goto(served.url);
        await rowAction(page, backupRow(page, 'Local folder', filename), 'Restore');
        const dialog = page.getByRole('dialog', { name: 'Restore this backup?' });
        await dialog.waitFor();
        expect(await text(dialog)).toContain(filename);
        expect(await dialog.getByLabel('Restart the service now to apply it').isChecked()).toBe(true);
        const restartRequested = served.t.app.get(RestartSignal).requested;
        await dialog.getByRole('button', { name: 'Restore backup' }).click();

        // What main.ts does on the signal: close the app, boot it again on the same data and port.
        await restartRequested;
        await page.locator('[data-state="restarting"]').waitFor();
        // The page sees the service gone (one of its health polls fails), then back on the same port.
        served = await restartServed(served, page);
        expect(await readMarker(served.t.app)).toBe('as backed up');

        const outcome = page.locator('[data-state="outcome-applied"]');
        await outcome.waitFor({ timeout: 30_000 });
        expect(await text(outcome)).toMatch(new RegExp(`^Restore applied just now Restored 7 databases from ${filename.replace(/\./g, '\\.')}`));
        expect(await text(outcome)).toMatch(/pre-restore-backup-\d{4}-\d{2}-\d{2}-\d{6}/);
        expect(await accessibilityProblems(page)).toEqual([]);
        // Back to normal by itself: the list is loaded again from the new process.
        await backupRow(page, 'Local folder', filename).waitFor();
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await served.t.close();
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
    BROWSER_TEST_MS,
  );
});

describe('Admin page in a browser: schedules', () => {
  it('shows when each scheduled job runs next, or why it does not, and follows a schedule change', async () => {
    // Schedules on, the start-up catch-up far away: nothing runs during the test.
    const served = await serve({ SENTINEL_SCHEDULES: 'on', SENTINEL_CATCH_UP_DELAY_SECONDS: '3600' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page, EXPECTED_CONSOLE);
      const schedules = (await served.t.http.get('/api/schedules').expect(200)).body as Array<{ job: string; next_run: string; schedule: string }>;
      await page.goto(served.url);
      const local = card(page, 'Local folder');
      for (const job of ['local-backup', 'local-rotation', 'local-verify']) {
        const expected = schedules.find((s) => s.job === job);
        const line = local.locator(`[data-job="${job}"]`);
        await line.waitFor();
        expect(await line.locator('time').getAttribute('datetime')).toBe(expected?.next_run);
        expect(await text(line)).toContain(`· ${expected?.schedule}`);
      }
      expect(await text(local.locator('[data-job="local-backup"]'))).toMatch(/^Next backup: .+ 01:00( AM)? UTC( \(.+ your time\))?, in .+ · daily at 01:00$/);

      const r2 = card(page, 'Cloudflare R2');
      expect(await text(r2.locator('.schedule'))).toBe('Not scheduled: R2 backups are turned off (“Enable R2 backups” is not ticked).');
      await openSettings(r2);
      await r2.getByLabel('Backup Schedule').selectOption('monthly');
      await r2.getByLabel('Enable R2 backups').check();
      await r2.getByRole('button', { name: 'Save', exact: true }).click();
      await eventually(async () => expect(await text(r2.locator('[data-job="r2-backup"]'))).toMatch(/^Next backup: .+ · on the 1st of each month at 03:00/));
      expect(await accessibilityProblems(page, r2)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await served.t.close();
    }
  });
});

describe('Admin page in a browser: API token', () => {
  const TOKEN = 'web-test-token-0123456789abcdef0123';
  let served: Served;
  beforeAll(async () => {
    served = await serve({ SENTINEL_API_TOKEN: TOKEN });
  });
  afterAll(() => served.t.close());

  it('asks for the token on the first 401, once, again after a wrong one, and keeps it for the browser session only', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page, EXPECTED_CONSOLE);
      const sentAuthorization: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/api/') && !r.url().endsWith('/api/health')) sentAuthorization.push(r.headers().authorization ?? 'none');
      });
      await page.goto(served.url);
      const dialog = page.getByRole('dialog', { name: 'Access token needed' });
      await dialog.waitFor();
      expect(await page.getByRole('dialog').count()).toBe(1);

      await dialog.getByLabel('Access token').fill('not-the-token');
      await page.keyboard.press('Enter');
      const again = page.getByRole('dialog', { name: 'That token was not accepted' });
      await again.waitFor();
      expect(await text(again)).toContain('The API token is wrong');
      expect(await accessibilityProblems(page, again, { widths: [1280] })).toEqual([]);
      // Every first request of the page met the 401 and retried with what was typed: one wrong token still counts once
      // against the limit of wrong tokens (10 a minute; it counted once per request, 9 here, so a second typo locked the user out).
      const wrongCounts = () =>
        fs
          .readFileSync(served.t.logFile, 'utf8')
          .split('\n')
          .flatMap((line) => /Wrong API token .*?(\d+) of 10 allowed/.exec(line)?.[1] ?? []);
      await eventually(async () => expect(wrongCounts().length).toBeGreaterThan(1));
      expect(new Set(wrongCounts())).toEqual(new Set(['1']));
      await again.getByLabel('Access token').fill('still-not-the-token');
      await page.keyboard.press('Enter');
      await eventually(async () => expect(new Set(wrongCounts())).toEqual(new Set(['1', '2'])));
      await again.waitFor();
      await again.getByLabel('Access token').fill(TOKEN);
      await again.getByRole('button', { name: 'Continue' }).click();
      await again.waitFor({ state: 'hidden' });

      // The settings load with the token typed: the local folder's card can be opened and shows its folder.
      await openSettings(card(page, 'Local folder'));
      const folder = card(page, 'Local folder').getByLabel('Backup folder', { exact: true });
      await eventually(async () => expect(await folder.inputValue()).toBe(path.join(served.t.dataDir, 'backups')));
      expect(await storedValues(page)).toEqual({ session: [TOKEN], local: [] });

      // Same tab, reloaded: no question.
      await page.reload();
      await openSettings(card(page, 'Local folder'));
      await eventually(async () => expect(await folder.inputValue()).toBe(path.join(served.t.dataDir, 'backups')));
      expect(await page.getByRole('dialog').count()).toBe(0);
      expect(sentAuthorization.at(-1)).toBe(`Bearer ${TOKEN}`);

      // A download needs the token too: the page asks for a single-use link with it (streamed to disk: test/web-download.e2e-spec.ts).
      const filename = await (async () => {
        const started = await served.t.http.post('/api/backups/local').set('Authorization', `Bearer ${TOKEN}`).expect(202);
        const until = Date.now() + 60_000;
        for (;;) {
          const job = (await served.t.http.get(`/api/backup-jobs/${started.body.id}`).set('Authorization', `Bearer ${TOKEN}`).expect(200)).body;
          if (job.status === 'succeeded') return job.filename as string;
          if (job.status === 'failed' || Date.now() > until) throw new Error(`backup ${job.status}: ${job.error}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      await backupList(page, 'Local folder').getByRole('button', { name: 'Refresh Local folder backups' }).click();
      const [download] = await Promise.all([page.waitForEvent('download'), rowAction(page, backupRow(page, 'Local folder', filename), 'Download')]);
      const saved = path.join(served.t.root, `downloaded-${filename}`);
      await download.saveAs(saved);
      expect(fs.readFileSync(saved).equals(fs.readFileSync(path.join(served.t.dataDir, 'backups', filename)))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }

    // A new browser session is asked again.
    const fresh = await browser.newContext();
    try {
      const page = await fresh.newPage();
      await page.goto(served.url);
      await page.getByRole('dialog', { name: 'Access token needed' }).waitFor();
    } finally {
      await fresh.close();
    }
  });
});

describeS3('Admin page in a browser: Cloudflare R2 (real S3 server)', () => {
  let served: Served;
  let bucket: string;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    served = await serve();
    bucket = await createTestBucket('web');
    await seedDatabases(served.t.app, { rows: 200 });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = collectPageErrors(page, EXPECTED_CONSOLE);
    await page.goto(served.url);
  });
  afterAll(async () => {
    await context?.close();
    await served.t.close();
  });
  afterEach(() => expect(errors).toEqual([]));

  it(
    "Backup tab: the spec's steps in order; Save stores them (secrets write-only); Test Connection passes, then fails with a wrong secret",
    async () => {
      const s3 = testS3();
      const r2 = card(page, 'Cloudflare R2');
      await openSettings(r2);
      const labels = (await r2.locator('label').allInnerTexts()).map((l) => l.trim());
      expect(labels).toEqual([
        'Enable R2 backups',
        'Account ID',
        'Access Key ID',
        'Secret Access Key',
        'Bucket Name',
        'Endpoint (optional)',
        'Folder in the bucket (optional)',
        'Backup Schedule',
        'Retention Days',
        // Then issue 16's settings: calendar retention, locked backups, replication.
        'Keep hourly',
        'Keep daily',
        'Keep weekly',
        'Keep monthly',
        'Keep yearly',
        'Object Lock mode',
        'Locked for (days)',
        'Copy the backups of',
        // Then issue 19's incremental policy (its other fields show once it is on).
        'Incremental backups between full ones',
      ]);
      const buttons = await r2.locator('.actions button').allInnerTexts();
      expect(buttons).toEqual(['Save', 'Test Connection', 'Backup Now']);

      await r2.getByLabel('Enable R2 backups').check();
      await r2.getByLabel('Account ID', { exact: true }).fill('0123456789abcdef0123456789abcdef');
      await r2.getByLabel('Access Key ID', { exact: true }).fill(s3.accessKeyId);
      await r2.getByLabel('Secret Access Key', { exact: true }).fill(s3.secretAccessKey);
      await r2.getByLabel('Bucket Name', { exact: true }).fill(bucket);
      await r2.getByLabel('Endpoint (optional)', { exact: true }).fill(s3.endpoint);
      await r2.getByLabel('Backup Schedule').selectOption('weekly');
      await r2.getByLabel('Retention Days', { exact: true }).fill('30');
      await r2.getByRole('button', { name: 'Save', exact: true }).click();
      await eventually(async () => expect(await text(r2.locator('.form-status'))).toBe('8 settings saved.'));

      const stored = Object.fromEntries(
        ((await served.t.http.get('/api/settings').expect(200)).body as Array<{ key: string; value: unknown; is_set: boolean }>).map((s) => [s.key, s]),
      );
      expect(stored.r2_backup_enabled).toMatchObject({ value: 1 });
      expect(stored.r2_bucket_name).toMatchObject({ value: bucket });
      expect(stored.r2_endpoint).toMatchObject({ value: s3.endpoint });
      expect(stored.r2_backup_schedule).toMatchObject({ value: 'weekly' });
      expect(stored.r2_backup_retention_days).toMatchObject({ value: 30 });
      expect(stored.r2_secret_access_key).toMatchObject({ value: null, is_set: true });
      expect(stored.r2_access_key_id).toMatchObject({ value: s3.accessKeyId, is_set: true, is_secret: false });
      // Write-only: the page shows that the secret is set, never its value; the access key ID names the key and is shown.
      expect(await r2.getByLabel('Secret Access Key', { exact: true }).inputValue()).toBe('');
      expect(await r2.getByLabel('Access Key ID', { exact: true }).inputValue()).toBe(s3.accessKeyId);
      expect(await page.content()).not.toContain(s3.secretAccessKey);
      expect(await r2.locator('.badge-ok').allInnerTexts()).toEqual(['Set']);

      await r2.getByRole('button', { name: 'Test Connection' }).click();
      const result = r2.locator('.test-result');
      await eventually(async () => expect(await text(result.locator('.test-summary'))).toMatch(/^Connection works/), 30_000);
      expect(await text(result)).toContain(`${s3.endpoint}/${bucket}`);
      const checks = (await result.locator('.check-name').allTextContents()).map((c) => c.replace(/: (passed|failed)$/, ''));
      expect(checks).toEqual(['Settings complete', 'Endpoint reachable', 'Credentials accepted', 'Bucket exists', 'Can write', 'Can read back', 'Can delete']);

      // A wrong secret: Test Connection saves it first, then says which check failed and why.
      await r2.getByLabel('Secret Access Key', { exact: true }).fill('wrong-secret-wrong-secret-wrong-secret00');
      await r2.getByRole('button', { name: 'Test Connection' }).click();
      // Headed by what went wrong, never by the name the check has when it passes.
      await eventually(async () => expect(await text(result.locator('.test-summary'))).toMatch(/^Credentials rejected .*· Checked \d{1,2}:\d{2}/), 30_000);
      expect(await result.getAttribute('role')).toBe('alert');
      const failed = result.locator('.check-failed');
      expect(await failed.count()).toBe(1);
      expect(await text(failed)).toMatch(/Credentials rejected\s*: failed .*secret access key/i);
      expect(await text(result)).not.toMatch(/Credentials accepted/);
      expect(await accessibilityProblems(page, r2)).toEqual([]);

      await r2.getByLabel('Secret Access Key', { exact: true }).fill(s3.secretAccessKey);
      await r2.getByRole('button', { name: 'Test Connection' }).click();
      await eventually(async () => expect(await text(result.locator('.test-summary'))).toMatch(/^Connection works/), 30_000);
    },
    BROWSER_TEST_MS,
  );

  it(
    'Backup Now shows the running backup with its phase and bytes, then the new backup in the list and the chart',
    async () => {
      await configureR2(served.t, bucket);
      await seedLargeDatabase(served.t.app, 120);
      await page.reload();
      const r2 = card(page, 'Cloudflare R2');
      await r2.getByRole('button', { name: 'Backup Now' }).click();
      const running = r2.locator('.job-running');
      await running.waitFor();
      // A poll while it runs shows the phase and the bytes of that phase.
      await eventually(async () => expect(await text(running.locator('.job-bytes'))).toMatch(/^.+ of [\d.,]+ MB · \d+%$/), 60_000, 50);
      expect(await text(running.locator('.job-phase'))).toMatch(
        /^(Snapshotting the databases|Compressing and writing the archive|Checking disk space and the target)$/,
      );
      const progress = running.locator('progress');
      expect(Number(await progress.getAttribute('max'))).toBeGreaterThan(100_000_000);
      expect(await accessibilityProblems(page, r2)).toEqual([]);

      await r2.locator('.job-ok').waitFor({ timeout: 120_000 });
      expect(await text(r2.locator('.job-ok'))).toMatch(/^Last backup just now: [\d.]+ MB in /);
      const jobs = (await served.t.http.get('/api/backup-jobs?target=r2&limit=1').expect(200)).body;
      const row = backupRow(page, 'Cloudflare R2', jobs[0].filename);
      await row.waitFor();
      // Its age: just now, or a minute on a busy machine (the list is read once the job has ended).
      expect(await text(row)).toMatch(/(just now|1 minute)\s+1[23]\d(\.\d)? MB/);

      const trend = page.getByRole('region', { name: 'Backup trends', exact: true }).getByRole('group', { name: 'Cloudflare R2', exact: true });
      await eventually(async () => expect(await trend.locator('.trend-plot .trend-size-dot').count()).toBeGreaterThanOrEqual(1));
      expect(await text(trend.locator('[data-fact="latest"]'))).toMatch(/^Latest archive 1[23]\d(\.\d)? MB in/);
    },
    BROWSER_TEST_MS,
  );

  it(
    'Restore asks for confirmation naming the backup, shows the staged banner, and Cancel removes it',
    async () => {
      await configureR2(served.t, bucket);
      const filename = (await served.t.http.get('/api/backups/r2').expect(200)).body[0]?.filename ?? (await backupVia(served.t, 'r2'));
      await page.reload();
      const row = backupRow(page, 'Cloudflare R2', filename);
      await rowAction(page, row, 'Restore');
      const dialog = page.getByRole('dialog', { name: 'Restore this backup?' });
      await dialog.waitFor();
      expect(await text(dialog)).toContain(`${filename} (Cloudflare R2`);
      await dialog.getByLabel('Restart the service now to apply it').uncheck();
      await dialog.getByRole('button', { name: 'Restore backup' }).click();

      const banner = page.getByRole('region', { name: 'Staged restore' });
      await banner.waitFor({ timeout: 120_000 });
      expect(await text(banner)).toMatch(new RegExp(`^A restore is staged ${filename.replace(/\./g, '\\.')} from Cloudflare R2 .*7 databases`));
      expect((await served.t.http.get('/api/restore/status').expect(200)).body.staged).toMatchObject({ archive: filename, target: 'r2' });
      expect(await accessibilityProblems(page)).toEqual([]);

      await banner.getByRole('button', { name: 'Cancel restore' }).click();
      await banner.waitFor({ state: 'detached' });
      expect(await text(page.locator('.page-notice'))).toContain(`The staged restore of ${filename} was cancelled`);
      expect((await served.t.http.get('/api/restore/status').expect(200)).body.staged).toBeNull();
    },
    BROWSER_TEST_MS,
  );
});

describe('Admin page: damaged files', () => {
  it(
    'shows a secret and an access key ID stored under another master key as set but unreadable, and a damaged database as an alert',
    async () => {
      const first = await serve({}, { keep: true });
      await putSetting(first.t, 'r2_secret_access_key', 'secret-under-the-old-key-0123456789');
      await putSetting(first.t, 'r2_access_key_id', 'AKIAUNDERTHEOLDKEY');
      await first.t.close();
      fs.writeFileSync(path.join(first.t.dataDir, 'portfolio.db'), Buffer.alloc(8192, 'garbage!'));
      const served = await serve({ SENTINEL_MASTER_KEY: 'a-different-master-passphrase-42' }, { root: first.t.root });
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const page = await context.newPage();
        const errors = collectPageErrors(page, EXPECTED_CONSOLE);
        await page.goto(served.url);
        const r2 = card(page, 'Cloudflare R2');
        await openSettings(r2);
        const field = r2.getByLabel('Secret Access Key', { exact: true });
        await eventually(async () => expect(await field.getAttribute('placeholder')).toBe('Cannot be read – type it again'));
        const row = r2.locator('.field', { has: page.getByLabel('Secret Access Key', { exact: true }) });
        expect(await text(row.locator('.badge'))).toBe('Set, but unreadable');
        expect(await text(row.locator('.hint'))).toMatch(/Set, but it cannot be read with the current master key: enter it again\. .*different master key/);
        // The access key ID is shown when it can be read: unreadable, its empty field says why, until it is typed again.
        const keyId = r2.getByLabel('Access Key ID', { exact: true });
        const keyIdRow = r2.locator('.field', { has: page.getByLabel('Access Key ID', { exact: true }) });
        expect(await keyId.inputValue()).toBe('');
        expect(await keyId.getAttribute('placeholder')).toBe('Cannot be read – type it again');
        expect(await text(keyIdRow.locator('.badge'))).toBe('Set, but unreadable');
        expect(await text(keyIdRow.locator('.hint'))).toMatch(
          /^Set, but it cannot be read with the current master key: enter it again\. .*different master key/,
        );
        expect(await keyId.getAttribute('aria-describedby')).toBe(await keyIdRow.locator('.hint').getAttribute('id'));
        await keyId.fill('AKIANEWKEY');
        expect(await keyIdRow.locator('.badge').count()).toBe(0);
        await keyId.fill('');
        const alert = page.getByRole('alert').filter({ hasText: 'portfolio.db is damaged' });
        expect(await text(alert)).toMatch(/portfolio\.db in DATA_DIR is damaged \(file is not a database\)\. Restore a backup/);
        expect(await text(page.locator('.service-state'))).toMatch(/^Service running with a damaged database/);
        expect(await accessibilityProblems(page)).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await served.t.close();
      }
    },
    BROWSER_TEST_MS,
  );
});

/** The pictures of docs/ that the READMEs show (`![alt](path)`, or an HTML `src`/`srcset`), as absolute paths. */
function readmeImages(): string[] {
  const docs = path.resolve('docs') + path.sep;
  const found = ['README.md', 'web/README.md'].flatMap((readme) => {
    const source = fs.readFileSync(path.resolve(readme), 'utf8');
    const links = [...source.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)|(?:src|srcset)="([^"\s]+)"/g)].map((m) => (m[1] ?? m[2]) as string);
    return links.map((link) => path.resolve(path.dirname(readme), link));
  });
  return [...new Set(found.filter((image) => image.startsWith(docs)))];
}

describeS3('Admin page: screenshots of the Backup tab, light and dark (for the README)', () => {
  it(
    'shows both targets set up, their backups and the trends, without an accessibility problem, and writes every image the README shows',
    async () => {
      const testStart = Date.now();
      const served = await serve({ SENTINEL_SCHEDULES: 'on', SENTINEL_CATCH_UP_DELAY_SECONDS: '3600' });
      try {
        await configureR2(served.t, await createTestBucket('web-shot'));
        await putSetting(served.t, 'r2_backup_schedule', 'daily');
        // A few runs, the databases growing between them, for a trend worth a picture.
        for (let i = 0; i < 4; i++) {
          await seedDatabases(served.t.app, { rows: 3000, payloadBytes: 300 });
          await backupVia(served.t, 'local');
          await backupVia(served.t, 'r2');
        }
        for (const [scheme, file] of Object.entries(SCREENSHOTS) as ['light' | 'dark', string][]) {
          const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: scheme });
          try {
            const page = await context.newPage();
            const errors = collectPageErrors(page, EXPECTED_CONSOLE);
            await page.goto(served.url);
            const r2 = card(page, 'Cloudflare R2');
            await r2.getByRole('button', { name: 'Test Connection' }).click();
            await eventually(async () => expect(await text(r2.locator('.test-summary'))).toMatch(/^Connection works/), 30_000);
            await eventually(async () => expect(await backupList(page, 'Local folder').locator('tbody tr').count()).toBe(4));
            await eventually(async () => expect(await backupList(page, 'Cloudflare R2').locator('tbody tr').count()).toBe(4));
            await eventually(async () => expect(await page.locator('.trend-plot .trend-size-dot').count()).toBe(8));
            expect({ scheme, problems: await accessibilityProblems(page) }).toEqual({ scheme, problems: [] });
            await blurFocused(page);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            await page.screenshot({ path: file, fullPage: true });
            expect(fs.statSync(file).size).toBeGreaterThan(50_000);
            expect(errors).toEqual([]);
          } finally {
            await context.close();
          }
        }
        // Every picture the README shows is one this run wrote: a page change shows there with the next run.
        const images = readmeImages();
        expect(images).toEqual(expect.arrayContaining(Object.values(SCREENSHOTS)));
        for (const image of images) {
          const written = fs.statSync(image, { throwIfNoEntry: false })?.mtimeMs ?? 0;
          expect({ image, writtenByThisRun: written >= testStart }).toEqual({ image, writtenByThisRun: true });
        }
      } finally {
        await served.t.close();
      }
    },
    BROWSER_TEST_MS,
  );
});
