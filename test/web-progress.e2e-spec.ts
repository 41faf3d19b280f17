/**
 * Progress that tells time, and Cancel (issue 18), in a real browser (Chromium through playwright-core) against
 * the whole service on a loopback port: a running backup's card shows "elapsed 0:42 · 12.3 MB/s · about 1 min
 * left" from the job's live bytes, and its Cancel button (after a confirm dialog) stops it: the card says it was
 * cancelled, the API has the job as cancelled, and the backup folder holds nothing of it. The backup is slow
 * the real way: databases big enough (~260 MB) that it runs for seconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { seedDatabases, waitForJob } from './support/seed.js';
import { eventually } from './web/browser.js';
import { rowAction } from './web/row-menu.js';
import { browserPerFile, pagePerTest } from './web/page-per-test.js';
import { type Served, serve, text } from './web/serve.js';

const browser = browserPerFile();

function localCard(page: Page): Locator {
  return page.locator('section[data-target="local"]');
}

describe('Admin page in a browser: progress of a running backup, and cancelling it', () => {
  let served: Served;
  // R2 is not configured here: the page's look at its backups answers 409, a failed load in the console.
  const tab = pagePerTest(browser, { viewport: { width: 1280, height: 900 } }, [/Failed to load resource/]);

  beforeAll(async () => {
    served = await serve();
    await seedDatabases(served.t.app, { rows: 24_000, payloadBytes: 1500 });
  }, 240_000);
  afterAll(() => served.t.close());

  it('shows elapsed time, rate and time left on the running backup, and Cancel (confirmed) stops it leaving nothing', async () => {
    const { page } = tab;
    const refused: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) refused.push(`${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`);
    });
    await page.goto(served.url);
    const card = localCard(page);
    await card.getByRole('button', { name: 'Backup Now', exact: true }).click();

    // The line under the progress bar, once the job has run long enough to measure a rate.
    const timing = card.locator('.job-timing');
    const line = await eventually(async () => {
      const shown = await text(timing);
      if (!/ · [\d.,]+ (kB|MB|GB)\/s · /.test(shown)) throw new Error(`No rate yet: '${shown}'`);
      return shown;
    }, 60_000);
    expect(line).toMatch(/^elapsed \d+:\d\d · [\d.,]+ (kB|MB|GB)\/s · (about \d+ min|less than a minute) left$/);
    const jobId = await card.locator('.job-running').getAttribute('data-job-id');

    await card.getByRole('button', { name: 'Cancel backup', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this backup?' });
    await dialog.waitFor();
    expect(await dialog.getByRole('button', { name: 'Keep running', exact: true }).count()).toBe(1);
    await dialog.getByRole('button', { name: 'Cancel backup', exact: true }).click();

    await eventually(async () => {
      const shown = await text(card.locator('.job'));
      if (!/^Last backup cancelled .*: nothing of it was kept\.$/.test(shown)) throw new Error(`Card says: '${shown}'`);
    }, 60_000);
    const job = (await served.t.http.get(`/api/backup-jobs/${jobId}`).expect(200)).body;
    expect(job).toMatchObject({ status: 'cancelled', error_code: 'BACKUP_CANCELLED', filename: null });
    const folder = path.join(served.t.dataDir, 'backups');
    expect(fs.existsSync(folder) ? fs.readdirSync(folder) : []).toEqual([]);
    // Every answer about the job (its progress, the cancel) was a success.
    expect(refused.filter((request) => request.includes('/api/backup-jobs'))).toEqual([]);
  }, 300_000);

  it('shows bytes read, elapsed time and rate while a backup is being verified', async () => {
    const { page } = tab;
    const job = await waitForJob(served.t.http, (await served.t.http.post('/api/backups/local').expect(202)).body.id, 240_000);
    expect(job.status).toBe('succeeded');
    await page.goto(served.url);
    const row = page.locator(`section.backup-list[data-target="local"] tr[data-filename="${job.filename}"]`);
    await rowAction(page, row, 'Verify');

    const shown = await eventually(async () => {
      const line = await text(page.locator('[data-verification-progress]'));
      if (!/^Verifying: .+ of .+ read · elapsed \d+:\d\d/.test(line)) throw new Error(`No verification progress yet: '${line}'`);
      return line;
    }, 60_000);
    expect(shown).toMatch(/^Verifying: [\d.,]+ (bytes|kB|MB|GB) of [\d.,]+ (kB|MB|GB) read · elapsed \d+:\d\d( · [\d.,]+ (kB|MB|GB)\/s( · .+ left)?)?$/);
    // It ends with the report, and the progress line goes.
    await eventually(async () => {
      if ((await page.locator('[data-verification-progress]').count()) > 0) throw new Error('Still verifying');
    }, 120_000);
  }, 360_000);
});
