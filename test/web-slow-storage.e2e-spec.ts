/**
 * The admin page against a slow store (issue 18), in Chromium against the whole service and the real S3 server
 * behind a relay that makes archive transfers slow (support/slow-s3-relay.ts): a Verify or a restore staging that
 * waits longer than 8 s offers "Still waiting… Cancel", and Cancel stops the wait and the work (the service
 * cancels a verification or a staging whose request was closed: nothing is staged); a staging and a
 * replication that take a while show "elapsed 0:42 · 12.3 MB/s · about 1 min left" as they go. Each of these
 * states passes the accessibility checks at 1280 and 390 px.
 */
import type { Locator, Page } from 'playwright-core';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, testS3 } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startSlowS3Relay, type SlowS3Relay } from './support/slow-s3-relay.js';
import { accessibilityProblems } from './web/a11y.js';
import { eventually } from './web/browser.js';
import { browserPerFile, pagePerTest } from './web/page-per-test.js';
import { rowAction } from './web/row-menu.js';
import { type Served, serve, text } from './web/serve.js';

const BROWSER_TEST_MS = 120_000;
/** A cancelled request, and the R2 list's look while a transfer is held: expected, not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/];
/** The progress line once a rate is known: "elapsed 0:42 · 12.3 MB/s · about 1 min left". */
const PROGRESS_LINE = /^elapsed \d+:\d\d · [\d.,]+ (bytes|kB|KB|MB)\/s · (about \d+ min|less than a minute) left$/;
/** Slow enough that a few-megabyte archive takes several seconds, fast enough that the test does not wait long. */
const SLOW_BYTES_PER_SECOND = 400_000;

const browser = browserPerFile();

function r2Row(page: Page, filename: string): Locator {
  return page.getByRole('region', { name: 'Cloudflare R2 backups', exact: true }).locator(`tr[data-filename="${filename}"]`);
}

/** The progress line in `scope` once it shows a rate (the first seconds show only the elapsed time). */
async function progressLine(scope: Locator): Promise<string> {
  return eventually(async () => {
    const shown = await text(scope.locator('.job-timing'));
    if (!PROGRESS_LINE.test(shown)) throw new Error(`No rate yet: '${shown}'`);
    return shown;
  }, 60_000);
}

describeS3('Admin page in a browser: a slow store (real S3 server behind a slow relay)', () => {
  let served: Served;
  let relay: SlowS3Relay;
  let filename: string;
  const p = pagePerTest(browser, { viewport: { width: 1280, height: 900 } }, EXPECTED_CONSOLE);

  beforeAll(async () => {
    relay = await startSlowS3Relay();
    served = await serve();
    // A few megabytes of archive: seconds at SLOW_BYTES_PER_SECOND.
    await seedDatabases(served.t.app, { rows: 2500, payloadBytes: 1500 });
    await configureR2(served.t, await createTestBucket('web-slow'), { r2_endpoint: relay.endpoint });
    const job = await waitForJob(served.t.http, (await served.t.http.post('/api/backups/r2').expect(202)).body.id);
    expect(job.status).toBe('succeeded');
    filename = job.filename;
  }, 180_000);
  afterAll(async () => {
    await served?.t.close();
    await relay?.close();
  });
  afterEach(() => {
    relay.pace({ kind: 'free' });
    relay.release();
  });

  /** The restore dialog of the R2 backup, its contents read, set to stage without a restart. */
  async function openRestore(page: Page): Promise<Locator> {
    await rowAction(page, r2Row(page, filename), 'Restore');
    const dialog = page.getByRole('dialog', { name: 'Restore this backup?' });
    await dialog.getByRole('table', { name: 'Databases in the backup and now' }).waitFor();
    await dialog.getByLabel('Restart the service now to apply it').uncheck();
    return dialog;
  }

  it(
    'says "Still waiting… Cancel" on a Verify that waits over 8 s; Cancel stops the wait and the verification',
    async () => {
      const page = p.page;
      await page.goto(served.url);
      relay.pace({ kind: 'hold' });
      await rowAction(page, r2Row(page, filename), 'Verify');
      const list = page.getByRole('region', { name: 'Cloudflare R2 backups', exact: true });
      const waiting = list.locator('.slow-notice');
      await waiting.waitFor({ timeout: 15_000 });
      expect(await text(waiting)).toBe('Still waiting for the verification… Cancel');
      expect(await accessibilityProblems(page)).toEqual([]);

      await waiting.getByRole('button', { name: 'Cancel' }).click();
      await eventually(async () => expect(await list.locator('.slow-notice').count()).toBe(0));
      expect(await text(list.locator('.row-result'))).toBe(`${filename} could not be verified: Cancelled: the page stopped waiting for the answer.`);
      // The service stopped it too: nothing is verifying, and a new Verify is accepted.
      await eventually(async () => expect((await served.t.http.get('/api/verifications/running').expect(200)).body).toEqual([]));
      expect(await accessibilityProblems(page)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  it(
    'says "Still waiting… Cancel" on a restore staging that waits over 8 s; Cancel stops the staging and nothing is staged',
    async () => {
      const page = p.page;
      await page.goto(served.url);
      const dialog = await openRestore(page);
      relay.pace({ kind: 'hold' });
      await dialog.getByRole('button', { name: 'Restore backup' }).click();
      const waiting = page.locator('.slow-notice');
      await waiting.waitFor({ timeout: 15_000 });
      expect(await text(waiting)).toBe('Still waiting for the restore to be staged… Cancel');
      expect(await text(page.locator('[data-state="staging"]'))).toContain(filename);
      expect(await accessibilityProblems(page)).toEqual([]);

      await waiting.getByRole('button', { name: 'Cancel' }).click();
      await eventually(async () =>
        expect(await text(page.locator('.page-notice'))).toMatch(
          new RegExp(`^The restore of ${filename.replace(/\./g, '\\.')} was cancelled: nothing was staged and nothing changed\\.`),
        ),
      );
      expect(await page.locator('.slow-notice').count()).toBe(0);
      // The service stopped staging: no staging, nothing staged, and the banner is gone.
      await eventually(async () => expect((await served.t.http.get('/api/restore/status').expect(200)).body).toMatchObject({ staging: null, staged: null }));
      await eventually(async () => expect(await page.locator('[data-state="staging"]').count()).toBe(0));
      expect(await accessibilityProblems(page)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  it(
    'shows the staging banner\'s "elapsed · rate · time left" while a restore is staged from a slow store',
    async () => {
      const page = p.page;
      await page.goto(served.url);
      const dialog = await openRestore(page);
      relay.pace({ kind: 'rate', bytesPerSecond: SLOW_BYTES_PER_SECOND });
      await dialog.getByRole('button', { name: 'Restore backup' }).click();
      const banner = page.locator('[data-state="staging"]');
      expect(await progressLine(banner)).toMatch(PROGRESS_LINE);
      expect(await text(banner.locator('.job-bytes'))).toMatch(/^[\d.,]+ (bytes|kB|KB|MB) of [\d.,]+ (kB|KB|MB) · \d+%$/);
      expect(await accessibilityProblems(page)).toEqual([]);
      relay.pace({ kind: 'free' });
      await page.getByRole('region', { name: 'Staged restore' }).waitFor({ timeout: 60_000 });
      await served.t.http.delete('/api/backups/r2/restore/staged').expect(200);
    },
    BROWSER_TEST_MS,
  );

  it(
    'shows the replica\'s "elapsed · rate · time left" while a replication copies from a slow store',
    async () => {
      const s3 = testS3();
      await served.t.http
        .post('/api/targets')
        .send({
          id: 'replica',
          kind: 's3',
          label: 'Replica',
          endpoint: relay.endpoint,
          bucket: await createTestBucket('web-slow-replica'),
          access_key_id: s3.accessKeyId,
          secret_access_key: s3.secretAccessKey,
          replicate_from: 'r2',
        })
        .expect(201);
      const page = p.page;
      await page.goto(served.url);
      const row = page.locator('li.target-row[data-target="replica"]');
      relay.pace({ kind: 'rate', bytesPerSecond: SLOW_BYTES_PER_SECOND });
      await row.getByRole('button', { name: 'Sync Now Replica' }).click();
      const running = row.locator('.job-running');
      const confirm = page.getByRole('dialog', { name: 'Copy 1 backup to Replica?' });
      await confirm.getByRole('button', { name: 'Copy now' }).click();
      await running.waitFor({ timeout: 30_000 });
      expect(await text(running)).toMatch(/^Replication from .+ running/);
      expect(await progressLine(row)).toMatch(PROGRESS_LINE);
      expect(await accessibilityProblems(page)).toEqual([]);
      relay.pace({ kind: 'free' });
      await eventually(async () => expect(await row.locator('.job-running').count()).toBe(0), 60_000);
    },
    BROWSER_TEST_MS,
  );
});
