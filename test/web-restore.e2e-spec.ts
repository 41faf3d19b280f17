/**
 * The admin page's restore in a real browser (Debian's Chromium through playwright-core) against the whole
 * service on a loopback port, with real backups of real SQLite files in the local folder: the dialog that
 * says what comes back and what is lost, the staging's progress bar, and the staged banner's Apply now.
 *
 * The test app has no main.ts restart loop: Apply now only fires RestartSignal, and the test plays main.ts's
 * part (close the app, boot it again on the same port and data), so the page's wait and its return are real.
 * To watch the progress bar, the staging's download is held halfway (the archive's own bytes, the first half
 * passed on, the rest once the test has looked): a backup small enough for a test otherwise stages in an instant.
 */
import fs from 'node:fs';
import { Transform } from 'node:stream';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Page } from 'playwright-core';
import { RestartSignal } from '../src/common/lifecycle/restart-signal.js';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { BackupArchiveOpener } from '../src/restore/archive-reader/backup-archive-opener.js';
import { ALL_DATABASES } from './fixtures/restore-archives.js';
import { archiveMetadataByHand, expectedMarkers, liveDatabaseSize, markers, setMarkers } from './fixtures/restore-app.js';
import { ageKeygen } from './support/age-archives.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { accessibilityProblems } from './web/a11y.js';
import { collectPageErrors, eventually } from './web/browser.js';
import { browserPerFile } from './web/page-per-test.js';
import { rowAction } from './web/row-menu.js';
import { restartServed, serve, text } from './web/serve.js';

const BROWSER_TEST_MS = 180_000;
/** Expected while the service restarts: not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/, /net::ERR_CONNECTION_REFUSED/];

/** Sizes as a person reads them on the page: SI units, two decimals below 10, one below 100 (en-US, the test browser's locale). */
function readableSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 2 : value < 100 ? 1 : 0 })} ${units[unit]}`;
}

async function itemCounts(app: NestExpressApplication): Promise<Record<string, number>> {
  const registry = app.get(DatabaseRegistry);
  const out: Record<string, number> = {};
  for (const name of ALL_DATABASES) out[name] = (await (await registry.dataSource(name)).query('SELECT count(*) AS n FROM items'))[0].n;
  return out;
}

/**
 * Holds the next download of a backup halfway, once armed: the first half of the archive's bytes pass, the
 * rest waits for `release()`. Downloads before `arm()` (the dialog's read of what the backup holds) pass as they are.
 */
class HalfwayHold {
  private armed = false;
  private open!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  private reachedHalf!: () => void;
  /** Resolves once the held download has passed its first half. */
  readonly halfway = new Promise<void>((resolve) => (this.reachedHalf = resolve));

  constructor(app: NestExpressApplication) {
    const opener = app.get(BackupArchiveOpener);
    const open = opener.open.bind(opener);
    opener.open = async (...args) => {
      const download = await open(...args);
      if (!this.armed) return download;
      this.armed = false;
      return { ...download, body: download.body.pipe(this.holder(Math.floor(download.size / 2))) };
    };
  }

  arm(): void {
    this.armed = true;
  }

  release(): void {
    this.open();
  }

  private holder(half: number): Transform {
    let passed = 0;
    const { gate, reachedHalf } = this;
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        if (passed >= half || passed + chunk.length < half) {
          passed += chunk.length;
          return callback(null, chunk);
        }
        const cut = half - passed;
        passed += chunk.length;
        this.push(chunk.subarray(0, cut));
        reachedHalf();
        void gate.then(() => callback(null, chunk.subarray(cut)));
      },
    });
  }
}

const browser = browserPerFile();

/** Opens the restore dialog of `filename` from its row's actions menu. */
async function startRestore(page: Page, filename: string): Promise<void> {
  await rowAction(page, page.getByRole('region', { name: 'Local folder backups', exact: true }).locator(`tr[data-filename="${filename}"]`), 'Restore');
}

describe('Admin page in a browser: a restore the user understands before it happens', () => {
  it(
    'the dialog lists the databases with their size in the backup and now, the time and what is lost; staging shows a bar; Apply now applies it',
    async () => {
      let served = await serve({}, { keep: true });
      const root = served.t.root;
      const context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
      try {
        await seedDatabases(served.t.app, { rows: 50 });
        await setMarkers(served.t.app, 'as backed up');
        const started = await served.t.http.post('/api/backups/local').expect(202);
        const job = await waitForJob(served.t.http, started.body.id);
        expect(job).toMatchObject({ status: 'succeeded' });
        const filename: string = job.filename;
        // Changes after the backup: more rows (the databases grow) and other markers.
        await seedDatabases(served.t.app, { rows: 300, payloadBytes: 400 });
        await setMarkers(served.t.app, 'changed later');
        const metadata = await archiveMetadataByHand(served.t, 'local', filename);

        const page = await context.newPage();
        const errors = collectPageErrors(page, EXPECTED_CONSOLE);
        await page.goto(served.url);
        await startRestore(page, filename);
        const dialog = page.getByRole('dialog', { name: 'Restore this backup?' });
        await dialog.waitFor();
        const table = dialog.getByRole('table', { name: 'Databases in the backup and now' });
        await table.waitFor();
        const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as unknown as { innerText: string }).innerText));
        expect(rows.map((row) => row.split('\t').map((cell) => cell.trim()))).toEqual(
          metadata.databases.map((db) => [
            `${db.name}.db${db.name === 'config' ? ' (settings)' : ''}`,
            readableSize(db.size_bytes),
            readableSize(liveDatabaseSize(served.t.dataDir, db.name)),
          ]),
        );
        expect(metadata.databases.map((db) => db.name)).toEqual(ALL_DATABASES);
        expect(metadata.databases.some((db) => liveDatabaseSize(served.t.dataDir, db.name) > db.size_bytes)).toBe(true);
        const words = await text(dialog);
        expect(words).toContain(filename);
        expect(words).toContain('Changes since then will be lost.');
        expect(words).toMatch(/Settings and credentials go back to that time too: they live in config\.db/);
        // The backup's time, from its metadata, shown in the browser's zone.
        expect(await dialog.locator(`time[datetime="${metadata.timestamp}"]`).count()).toBe(1);
        // At 1280 and 390 px (accessibilityProblems audits both widths).
        expect(await accessibilityProblems(page)).toEqual([]);
        // At phone width the list stays whole: every size readable without scrolling sideways.
        await page.setViewportSize({ width: 390, height: 844 });
        const box = await table.boundingBox();
        const dialogBox = await dialog.boundingBox();
        expect(box && dialogBox && box.x + box.width <= dialogBox.x + dialogBox.width).toBe(true);
        await page.setViewportSize({ width: 1280, height: 900 });

        // Staged without a restart, its download held halfway: the banner shows how far it is.
        const hold = new HalfwayHold(served.t.app);
        hold.arm();
        await dialog.getByLabel('Restart the service now to apply it').uncheck();
        await dialog.getByRole('button', { name: 'Restore backup' }).click();
        await hold.halfway;
        const staging = page.locator('[data-state="staging"]');
        const bar = staging.getByRole('progressbar', { name: /^Staging progress/ });
        const archiveBytes = (await served.t.http.get('/api/backups/local').expect(200)).body.find((b: { filename: string }) => b.filename === filename)
          .size_bytes as number;
        await eventually(async () => expect(Number(await bar.getAttribute('value'))).toBeGreaterThan(0), 15_000);
        expect(Number(await bar.getAttribute('max'))).toBe(archiveBytes);
        const read = Number(await bar.getAttribute('value'));
        expect(read).toBeLessThan(archiveBytes);
        const percent = Math.floor((read / archiveBytes) * 100);
        expect(await text(staging.locator('.job-bytes'))).toBe(`${readableSize(read)} of ${readableSize(archiveBytes)} · ${percent}%`);
        expect(await accessibilityProblems(page)).toEqual([]);
        hold.release();

        const banner = page.getByRole('region', { name: 'Staged restore' });
        await banner.waitFor({ timeout: 30_000 });
        expect(await text(banner)).toContain(filename);
        expect(await banner.getByRole('button', { name: 'Cancel restore' }).isVisible()).toBe(true);
        expect(await accessibilityProblems(page)).toEqual([]);
        // Staged, not applied: the live databases are still the changed ones.
        expect(await markers(served.t.app)).toEqual(expectedMarkers('changed later', ALL_DATABASES));

        // Apply now asks first, naming the backup and its time; Escape, then Cancel, leave the staged restore as it is.
        const applyNow = banner.getByRole('button', { name: 'Apply now (restart)' });
        const confirmApply = page.getByRole('dialog', { name: 'Apply the restore now?' });
        const auditedApplies = async () =>
          ((await served.t.http.get('/api/audit?limit=20').expect(200)).body as Array<{ action: string }>).filter((e) => e.action === 'restore.apply-now')
            .length;
        for (const dismiss of ['Escape', 'Cancel'] as const) {
          await applyNow.click();
          await confirmApply.waitFor();
          const said = await text(confirmApply);
          expect(said).toContain(filename);
          expect(said).toContain('every change made since then is lost');
          expect(said).toContain('The service restarts');
          expect(await confirmApply.locator(`time[datetime="${metadata.timestamp}"]`).count()).toBe(1);
          // The same dialog both rounds: audited once.
          if (dismiss === 'Escape') expect(await accessibilityProblems(page)).toEqual([]);
          if (dismiss === 'Escape') await page.keyboard.press('Escape');
          else await confirmApply.getByRole('button', { name: 'Cancel' }).click();
          await confirmApply.waitFor({ state: 'hidden' });
          expect(await banner.isVisible()).toBe(true);
        }
        expect((await served.t.http.get('/api/restore/status').expect(200)).body.staged.archive).toBe(filename);
        expect(await auditedApplies()).toBe(0);
        expect(await markers(served.t.app)).toEqual(expectedMarkers('changed later', ALL_DATABASES));

        const restartRequested = served.t.app.get(RestartSignal).requested;
        await applyNow.click();
        await confirmApply.getByRole('button', { name: 'Apply and restart' }).click();
        await restartRequested;
        await page.locator('[data-state="restarting"]').waitFor();
        // What main.ts does on the signal: close the app, boot it again on the same data and port.
        served = await restartServed(served, page);

        const outcome = page.locator('[data-state="outcome-applied"]');
        await outcome.waitFor({ timeout: 30_000 });
        expect(await text(outcome)).toMatch(new RegExp(`^Restore applied just now Restored 7 databases from ${filename.replace(/\./g, '\\.')}`));
        // The databases are the backup's: its markers and its rows, none of the later ones.
        expect(await markers(served.t.app)).toEqual(expectedMarkers('as backed up', ALL_DATABASES));
        expect(await itemCounts(served.t.app)).toEqual(Object.fromEntries(ALL_DATABASES.map((name) => [name, 50])));
        const audit = (await served.t.http.get('/api/audit?limit=5').expect(200)).body as Array<{ action: string }>;
        expect(audit.map((entry) => entry.action)).toContain('restore.apply-now');
        expect(await accessibilityProblems(page)).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await served.t.close();
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
    BROWSER_TEST_MS,
  );

  it(
    'for an encrypted backup whose key the server does not hold, the dialog says its contents cannot be shown without the recovery key, and lists the current sizes',
    async () => {
      const served = await serve();
      const context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
      try {
        await seedDatabases(served.t.app, { rows: 20 });
        const mine = ageKeygen(served.t.root, 'mine');
        await served.t.http
          .put('/api/encryption/local')
          .send({ enabled: true, write_only: true, recipients: [mine.recipient] })
          .expect(200);
        await served.t.http.post('/api/encryption/local/confirm').expect(200);
        const started = await served.t.http.post('/api/backups/local').expect(202);
        const job = await waitForJob(served.t.http, started.body.id);
        expect(job.filename).toMatch(/\.tar\.gz\.age$/);

        const page = await context.newPage();
        const errors = collectPageErrors(page, EXPECTED_CONSOLE);
        await page.goto(served.url);
        await startRestore(page, job.filename);
        const dialog = page.getByRole('dialog', { name: 'Restore this backup?' });
        const table = dialog.getByRole('table', { name: 'Databases in the backup and now' });
        await table.waitFor();
        expect(await text(dialog)).toMatch(/is encrypted .* and the server holds no key for it: what it holds cannot be shown without the recovery key/);
        expect(await text(dialog)).toContain('Changes since then will be lost.');
        const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as unknown as { innerText: string }).innerText));
        expect(rows.map((row) => row.split('\t').map((cell) => cell.trim()))).toEqual(
          ALL_DATABASES.map((name) => [
            `${name}.db${name === 'config' ? ' (settings)' : ''}`,
            'unknown',
            readableSize(liveDatabaseSize(served.t.dataDir, name)),
          ]),
        );
        expect(await accessibilityProblems(page)).toEqual([]);
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        expect((await served.t.http.get('/api/restore/status').expect(200)).body.staged).toBeNull();
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await served.t.close();
      }
    },
    BROWSER_TEST_MS,
  );
});
