/**
 * Issue 18, run history on the admin page, in a real browser (Chromium through playwright-core) against the whole
 * service: the "Run history" card lists a backup that failed (the local folder replaced by a file) with ✗, its
 * error code and message, beside one that succeeded; its target and kind filters ask the API again; and a backup
 * row shows "✓ Verified <date>" after Verify, kept by the service: after a page reload and after a restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { seedDatabases, waitForJob } from './support/seed.js';
import { accessibilityProblems } from './web/a11y.js';
import { eventually } from './web/browser.js';
import { browserPerFile, pagePerTest } from './web/page-per-test.js';
import { pageDateTime } from './web/page-time.js';
import { rowAction } from './web/row-menu.js';
import { restartServed, type Served, serve, text } from './web/serve.js';

const BROWSER_TEST_MS = 240_000;
/** The failed backup's job answer and the health poll during the restart show as failed loads: not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/];
const CONTEXT = { viewport: { width: 1280, height: 900 }, timezoneId: 'America/New_York', locale: 'en-GB' };

interface RunBody {
  kind: string;
  result: string;
  finished_at: string;
  error_code: string | null;
  message: string | null;
  file: string | null;
}

function historyCard(page: Page): Locator {
  return page.getByRole('region', { name: 'Run history', exact: true });
}

const browser = browserPerFile();

describe('Admin page in a browser: the run history and the kept verification results', () => {
  let served: Served;
  const tab = pagePerTest(browser, CONTEXT, EXPECTED_CONSOLE);

  beforeAll(async () => {
    served = await serve({}, { keep: true });
    await seedDatabases(served.t.app, { rows: 50 });
  });
  afterAll(async () => {
    await served?.t.close();
    if (served) fs.rmSync(served.t.root, { recursive: true, force: true });
  });

  it(
    'lists a failed backup with ✗, its code and message, and a succeeded one; filters by target and kind; a backup shows "✓ Verified <date>" after Verify, a reload and a restart',
    async () => {
      const { page } = tab;
      const http = () => served.t.http;
      const good = await waitForJob(http(), (await http().post('/api/backups/local').expect(202)).body.id);
      expect(good.status).toBe('succeeded');
      const notAFolder = path.join(served.t.root, 'not-a-folder');
      fs.writeFileSync(notAFolder, 'a file where the backups folder should be');
      await http().put('/api/settings/local_backup_dir').send({ value: notAFolder }).expect(200);
      const bad = await waitForJob(http(), (await http().post('/api/backups/local').expect(202)).body.id);
      expect(bad.status).toBe('failed');
      await http()
        .put('/api/settings/local_backup_dir')
        .send({ value: path.join(served.t.dataDir, 'backups') })
        .expect(200);

      await page.goto(served.url);
      const card = historyCard(page);
      const failed = card.locator('tr[data-kind="backup"][data-result="failed"]');
      const succeeded = card.locator('tr[data-kind="backup"][data-result="succeeded"]');
      await eventually(async () => expect(await failed.count()).toBe(1));
      expect(await succeeded.count()).toBe(1);
      // The failure in words (✗ Failed), with its code and its message; not by colour alone.
      const failedText = await text(failed);
      expect(failedText).toContain('✗ Failed');
      expect(failedText).toContain(bad.error_code);
      expect(failedText).toContain(bad.error);
      expect(failedText).toContain('Backup · Local folder');
      expect(failedText).toContain('Manual');
      // Headed by the one diagnosis the status strip gives the same failure.
      const strip = page.locator('.status-line[data-target="local"] .status-diagnosis');
      await eventually(async () => expect(await text(strip)).not.toBe(''));
      expect(await text(failed.locator('.run-diagnosis strong'))).toBe(await text(strip));
      expect(await text(failed.locator('.run-diagnosis'))).toMatch(/^Folder not (found|writable) /);
      const succeededText = await text(succeeded);
      expect(succeededText).toContain('✓ Succeeded');
      expect(succeededText).toContain(good.filename);
      // Newest first: the failure above the success.
      expect(await card.locator('tbody tr').first().getAttribute('data-result')).toBe('failed');
      expect(await accessibilityProblems(page, card)).toEqual([]);

      // The filters: R2 has no runs; verifications none yet; back to all.
      await card.getByLabel('Target').selectOption('r2');
      await eventually(async () => expect(await text(card)).toContain('No runs match these filters yet.'));
      await card.getByLabel('Target').selectOption('local');
      await eventually(async () => expect(await card.locator('tbody tr').count()).toBe(2));
      await card.getByLabel('Kind').selectOption('verification');
      await eventually(async () => expect(await text(card)).toContain('No runs match these filters yet.'));

      // Verify from the backup row: the row keeps the result as "✓ Verified <date>".
      const backupRow = page.locator(`section.backup-list[data-target="local"] tr[data-filename="${good.filename}"]`);
      const mark = backupRow.locator('.verification-mark');
      expect(await mark.count()).toBe(0);
      await rowAction(page, backupRow, 'Verify');
      await eventually(async () => expect(await mark.count()).toBe(1), 60_000);
      const [verification] = (await http().get('/api/runs?kind=verification').expect(200)).body as RunBody[];
      expect(verification).toMatchObject({ result: 'succeeded', file: good.filename });
      const verified = `✓ Verified ${await pageDateTime(page, verification.finished_at)}`;
      expect(await text(mark)).toBe(verified);
      expect(await mark.getAttribute('data-verification')).toBe('passed');
      // The card, filtered to verifications, lists it.
      await eventually(async () => expect(await card.locator('tr[data-kind="verification"][data-result="succeeded"]').count()).toBe(1));

      // After a reload, and after a restart of the service, the mark is still there: the service kept the result.
      await page.reload();
      await eventually(async () => expect(await text(mark)).toBe(verified));
      served = await restartServed(served, page);
      await page.reload();
      await eventually(async () => expect(await text(mark)).toBe(verified));
      await eventually(async () => expect(await historyCard(page).locator('tr[data-kind="backup"][data-result="failed"]').count()).toBe(1));
    },
    BROWSER_TEST_MS,
  );

  it(
    'a verification that cannot run (the backup file gone) marks the row "✗ Verification failed <date>: reason"',
    async () => {
      const { page } = tab;
      const http = () => served.t.http;
      const made = await waitForJob(http(), (await http().post('/api/backups/local').expect(202)).body.id);
      await page.goto(served.url);
      const backupRow = page.locator(`section.backup-list[data-target="local"] tr[data-filename="${made.filename}"]`);
      await eventually(async () => expect(await backupRow.count()).toBe(1));
      fs.rmSync(path.join(served.t.dataDir, 'backups', made.filename));
      await rowAction(page, backupRow, 'Verify');
      const mark = backupRow.locator('.verification-mark');
      await eventually(async () => expect(await mark.count()).toBe(1), 60_000);
      const [verification] = (await http().get(`/api/runs?kind=verification&limit=1`).expect(200)).body as RunBody[];
      expect(verification).toMatchObject({ result: 'failed', error_code: 'BACKUP_NOT_FOUND', file: made.filename });
      // The API's message names its request ("GET /api/backups/local lists the backups"); the page says where to look instead.
      expect(verification.message).toMatch(/; GET \/api\/backups\/local lists the backups$/);
      expect(await text(mark)).toBe(
        `✗ Verification failed ${await pageDateTime(page, verification.finished_at)}: ${(verification.message ?? '').replace('; GET /api/backups/local lists the backups', '; the Backups list shows them')}`,
      );
      expect(await mark.getAttribute('data-verification')).toBe('failed');
    },
    BROWSER_TEST_MS,
  );
});
