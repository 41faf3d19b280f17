/**
 * Issue 19 on the admin page, in a real browser (Chromium through playwright-core) against the whole service:
 * a real chain made by the service (the local target's incremental policy on: a full backup, then increments of
 * the pages a writer changed) is listed with each point's kind in words ("Full", "Incremental") and, for an
 * increment, what it is restored from ("after <parent time>, from full <base time>", times as the list writes
 * them, the zone named); Delete of the full backup the increments need shows the 409's message naming them,
 * headed by its one diagnosis, and the backup stays. Audited with axe at 1280 and 390 px.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { LONG_CHAINS, setIncrementalPolicy } from './support/incremental-policy.js';
import { IncrementalWriter } from './support/incremental-writer.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { accessibilityProblems } from './web/a11y.js';
import { eventually } from './web/browser.js';
import { browserPerFile, pagePerTest } from './web/page-per-test.js';
import { pageDateTime } from './web/page-time.js';
import { rowAction } from './web/row-menu.js';
import { type Served, serve, text } from './web/serve.js';
import type { Locator, Page } from 'playwright-core';

const BROWSER_TEST_MS = 240_000;
/** The refused DELETE (409) shows in the console as a failed load: not a page error. */
const EXPECTED_CONSOLE = [/Failed to load resource/];
const CONTEXT = { viewport: { width: 1280, height: 900 }, timezoneId: 'Asia/Kolkata', locale: 'en-GB' };

const browser = browserPerFile();

/** The service for a describe, with a writer changing the ledger's pages (1500 rows before the first backup), and a page per test. */
function servedWithWriter(ready: (served: Served) => Promise<void> | void = () => undefined): { served: Served; writer: IncrementalWriter; page: Page } {
  let served: Served | undefined;
  let writer: IncrementalWriter | undefined;
  const tab = pagePerTest(browser, CONTEXT, EXPECTED_CONSOLE);
  beforeAll(async () => {
    served = await serve({ SENTINEL_DATABASES: 'config,ledger', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' }, { keep: true });
    await seedDatabases(served.t.app, { rows: 50 });
    const ledger = served.t.app
      .get(DatabaseRegistry)
      .list()
      .find((db) => db.name === 'ledger')!.path;
    writer = new IncrementalWriter(ledger);
    writer.write(1500);
    await ready(served);
  });
  afterAll(async () => {
    writer?.close();
    await served?.t.close();
    if (served) fs.rmSync(served.t.root, { recursive: true, force: true });
  });
  return {
    get served() {
      return served!;
    },
    get writer() {
      return writer!;
    },
    get page() {
      return tab.page;
    },
  };
}

/** Turns the policy on in the form or card: a full backup after `increments` increments or at 30 % of the full; the count's input. */
async function enterPolicy(scope: Locator, increments: string): Promise<Locator> {
  await scope.getByLabel('Incremental backups between full ones').check();
  await scope.getByLabel('Full backup every').selectOption({ label: 'After a number of increments' });
  const count = scope.getByLabel('Increments before a full backup');
  await count.fill(increments);
  await scope.getByLabel('Full backup when increments exceed % of the full').fill('30');
  return count;
}

describe('Admin page in a browser: incremental chains in the backup list', () => {
  // The local target's incremental policy, set as a user sets it (no full backup in between).
  const env = servedWithWriter((served) => setIncrementalPolicy(served.t.http, 'local', LONG_CHAINS));

  it(
    "shows each point with its kind in words and what an increment is restored from, the run history each backup's kind; Delete of the full backup names the increments that need it",
    async () => {
      const { page, served, writer } = env;
      const http = served.t.http;
      const made: Array<{ filename: string; created_at: string }> = [];
      const jobs: string[] = [];
      for (let i = 0; i < 3; i++) {
        const job = await waitForJob(http, (await http.post('/api/backups/local').expect(202)).body.id);
        expect({ status: job.status, error: job.error }).toEqual({ status: 'succeeded', error: null });
        writer.write(30);
        const listed = (await http.get('/api/backups/local').expect(200)).body as Array<{ filename: string; created_at: string }>;
        made.push(listed.find((b) => b.filename === job.filename)!);
        jobs.push(job.id);
      }
      const [full, inc1, inc2] = made;
      expect(made.map((b) => b.filename.replace(/-\d{4}-.*/, ''))).toEqual(['sentinel-backup', 'sentinel-incremental', 'sentinel-incremental']);

      await page.goto(served.url);
      const list = page.locator('section.backup-list[data-target="local"]');
      const row = (filename: string) => list.locator(`tr[data-filename="${filename}"]`);
      await eventually(async () => expect(await row(inc2.filename).count()).toBe(1));
      const [fullAt, inc1At] = [await pageDateTime(page, full.created_at), await pageDateTime(page, inc1.created_at)];

      // Kind in words (not by colour alone), and what each increment depends on, times as the list writes them.
      expect(await text(row(full.filename).locator('.chain-mark'))).toBe('Full');
      expect(await text(row(inc1.filename).locator('.chain-mark'))).toBe(`Incremental after the full backup of ${fullAt}`);
      expect(await text(row(inc2.filename).locator('.chain-mark'))).toBe(`Incremental after ${inc1At}, from full ${fullAt}`);
      expect(await text(row(full.filename).locator('th time'))).toBe(fullAt);
      expect(await accessibilityProblems(page, list)).toEqual([]);

      // The run history says what each backup made, in words.
      const history = page.getByRole('region', { name: 'Run history', exact: true });
      const runOf = (job: string) => history.locator(`tr[data-run="${job}"] td[data-label="Run"]`);
      await eventually(async () => expect(await runOf(jobs[2]).count()).toBe(1));
      expect([await text(runOf(jobs[0])), await text(runOf(jobs[1])), await text(runOf(jobs[2]))]).toEqual([
        `Backup · Local folder · Full ${full.filename}`,
        `Backup · Local folder · Incremental ${inc1.filename}`,
        `Backup · Local folder · Incremental ${inc2.filename}`,
      ]);
      expect(await accessibilityProblems(page, history)).toEqual([]);

      // Delete of the full backup: refused (409), the message names the increments, headed by its diagnosis; nothing deleted.
      await rowAction(page, row(full.filename), 'Delete');
      const dialog = page.getByRole('dialog', { name: 'Delete this backup?' });
      await dialog.getByRole('button', { name: 'Delete backup' }).click();
      const status = list.locator('.list-status .status-error');
      await eventually(async () => expect(await status.count()).toBe(1));
      const said = await text(status);
      expect(said).toMatch(new RegExp(`^Other backups depend on it: ${full.filename} was not deleted: `));
      expect(said).toContain(`${inc2.filename}, ${inc1.filename}`);
      expect(said).toMatch(/Delete the increments that need it first, newest first, or let rotation delete the whole chain once no kept backup needs it\.$/);
      expect(await list.locator('.list-diagnosis').innerText()).toBe('Other backups depend on it');
      expect(await row(full.filename).count()).toBe(1);
      expect((await http.get('/api/backups/local').expect(200)).body.map((b: { filename: string }) => b.filename)).toContain(full.filename);
      expect(await accessibilityProblems(page, list)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  it(
    'the target form edits the incremental policy, saved through PATCH /api/targets/{id}; a refused value shows at its field and nothing changes',
    async () => {
      const { page, served } = env;
      const http = served.t.http;
      const folder = path.join(served.t.root, 'nas-backups');
      await http.post('/api/targets').send({ id: 'nas', label: 'NAS', kind: 'folder', path: folder }).expect(201);
      await page.goto(served.url);
      const row = page.getByRole('region', { name: 'Targets', exact: true }).locator('li.target-row[data-target="nas"]');
      await row.getByRole('button', { name: 'Edit NAS' }).click();
      const form = row.getByRole('form', { name: 'Edit NAS' });
      await form.waitFor();
      const toggle = form.getByLabel('Incremental backups between full ones');
      expect(await toggle.isChecked()).toBe(false);
      expect(await form.getByLabel('Full backup every').count()).toBe(0);
      const count = await enterPolicy(form, '0');
      expect(await accessibilityProblems(page, form)).toEqual([]);
      await form.getByRole('button', { name: 'Save target' }).click();
      // Refused at the field it names; nothing stored.
      await eventually(async () => expect(await count.getAttribute('aria-invalid')).toBe('true'));
      const errorId = (await count.getAttribute('aria-describedby'))!.split(' ').find((id) => id.endsWith('-error'))!;
      expect(await text(page.locator(`#${errorId}`))).toMatch(/full_every/);
      expect((await http.get('/api/targets/nas').expect(200)).body.incremental).toEqual({ enabled: false, full_every: 'daily', max_chain_ratio: 0.5 });
      expect(await accessibilityProblems(page, form)).toEqual([]);

      await count.fill('24');
      await form.getByRole('button', { name: 'Save target' }).click();
      await form.waitFor({ state: 'detached' });
      expect((await http.get('/api/targets/nas').expect(200)).body.incremental).toEqual({ enabled: true, full_every: 24, max_chain_ratio: 0.3 });
      // Opened again, the form shows what is stored.
      await row.getByRole('button', { name: 'Edit NAS' }).click();
      await form.waitFor();
      expect(await form.getByLabel('Incremental backups between full ones').isChecked()).toBe(true);
      expect(await form.getByLabel('Increments before a full backup').inputValue()).toBe('24');
      expect(await form.getByLabel('Full backup when increments exceed % of the full').inputValue()).toBe('30');
      await form.getByRole('button', { name: 'Cancel' }).click();
      await form.waitFor({ state: 'detached' });

      // With the policy on, "Back up now" offers full and incremental, each sent as the body's kind.
      expect(await row.getByRole('button', { name: 'Backup Now NAS', exact: true }).count()).toBe(0);
      const jobs = async () => (await http.get('/api/backup-jobs?target=nas').expect(200)).body as Array<{ status: string; requested_kind: string | null }>;
      for (const [button, kind] of [
        ['Full Backup Now NAS', 'full'],
        ['Incremental Backup Now NAS', 'incremental'],
      ] as const) {
        await eventually(
          async () => expect(await row.getByRole('button', { name: button, exact: true }).getAttribute('aria-disabled')).not.toBe('true'),
          60_000,
        );
        await row.getByRole('button', { name: button, exact: true }).click();
        await eventually(async () => expect((await jobs())[0]).toMatchObject({ status: 'succeeded', requested_kind: kind }), 60_000);
      }
      expect(await accessibilityProblems(page, row)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});

describe('Admin page in a browser: the built-in Local folder card edits its incremental policy and backs up full or incremental', () => {
  const env = servedWithWriter();

  it(
    'saves the policy through PATCH /api/targets/local (a refused value at its field, nothing stored), keeps it on reload, and offers Full and Incremental Backup Now',
    async () => {
      const { page, served, writer } = env;
      const http = served.t.http;
      const stored = async () => (await http.get('/api/targets/local').expect(200)).body.incremental;
      await page.goto(served.url);
      const card = page.locator('section.target-local');
      const open = async () => {
        await card.getByRole('button', { name: 'Edit Local folder settings', exact: true }).click();
        await card.getByLabel('Incremental backups between full ones').waitFor();
      };
      await open();
      const toggle = card.getByLabel('Incremental backups between full ones');
      expect(await toggle.isChecked()).toBe(false);
      expect(await card.getByRole('button', { name: 'Backup Now', exact: true }).count()).toBe(1);
      const count = await enterPolicy(card, '0');
      expect(await accessibilityProblems(page, card)).toEqual([]);
      await card.getByRole('button', { name: 'Save', exact: true }).click();
      // Refused at the field it names; nothing stored.
      await eventually(async () => expect(await count.getAttribute('aria-invalid')).toBe('true'));
      const errorId = (await count.getAttribute('aria-describedby'))!.split(' ').find((id) => id.endsWith('-error'))!;
      expect(await text(page.locator(`#${errorId}`))).toMatch(/full_every/);
      expect(await stored()).toEqual({ enabled: false, full_every: 'daily', max_chain_ratio: 0.5 });
      expect(await accessibilityProblems(page, card)).toEqual([]);

      await count.fill('24');
      await card.getByRole('button', { name: 'Save', exact: true }).click();
      await eventually(async () => expect(await text(card.locator('.form-status'))).toBe('Setting saved.'));
      expect(await stored()).toEqual({ enabled: true, full_every: 24, max_chain_ratio: 0.3 });

      // Kept: after a reload the card shows what is stored, and Back up now offers full and incremental.
      await page.reload();
      await open();
      expect(await card.getByLabel('Incremental backups between full ones').isChecked()).toBe(true);
      expect(await card.getByLabel('Full backup every').inputValue()).toBe('count');
      expect(await card.getByLabel('Increments before a full backup').inputValue()).toBe('24');
      expect(await card.getByLabel('Full backup when increments exceed % of the full').inputValue()).toBe('30');
      expect(await card.getByRole('button', { name: 'Backup Now', exact: true }).count()).toBe(0);
      expect(await accessibilityProblems(page, card)).toEqual([]);

      type Job = { status: string; requested_kind: string | null; backup_kind: string | null; filename: string | null };
      const latest = async () => ((await http.get('/api/backup-jobs?target=local').expect(200)).body as Job[])[0];
      for (const [button, kind] of [
        ['Full Backup Now', 'full'],
        ['Incremental Backup Now', 'incremental'],
      ] as const) {
        const backup = card.getByRole('button', { name: button, exact: true });
        await eventually(async () => expect(await backup.getAttribute('aria-disabled')).not.toBe('true'), 60_000);
        await backup.click();
        await eventually(async () => expect(await latest()).toMatchObject({ status: 'succeeded', requested_kind: kind, backup_kind: kind }), 60_000);
        writer.write(30);
      }
      // The increment made from the page is listed as one.
      const increment = (await latest()).filename!;
      const row = page.locator(`section.backup-list[data-target="local"] tr[data-filename="${increment}"]`);
      await eventually(async () => expect(await row.count()).toBe(1), 30_000);
      expect(await text(row.locator('.chain-mark'))).toMatch(/^Incremental after the full backup of /);

      await page.setViewportSize({ width: 390, height: 844 });
      expect(await accessibilityProblems(page, card)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
