/**
 * Feedback that stays true (issue 18), in Chromium against the whole service: a Test Connection result carries
 * its time and goes when a field changes; a failed check, the failed backup and the status strip give one cause
 * one heading; a connection test against an endpoint that accepts and never answers offers "Still waiting… Cancel"
 * and Cancel stops the wait; a form is saved all or nothing, with every invalid field marked; a folder change warns
 * first; unsaved changes are guarded; the service stopping shows a banner and turns the actions off until it is
 * back; with an API token, a neutral placeholder stands where the settings go until the token is given.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { silentServer, type SilentServer } from './support/silent-server.js';
import { waitForJob } from './support/seed.js';
import { makeScratchDir } from './support/test-app.js';
import { accessibilityProblems } from './web/a11y.js';
import { eventually } from './web/browser.js';
import { browserPerFile, pagePerTest } from './web/page-per-test.js';
import { rowMenuItem } from './web/row-menu.js';
import { type Served, serve, text } from './web/serve.js';
import { openSettings } from './web/target-card.js';

const BROWSER_TEST_MS = 120_000;
/** Refused saves (400) and the stopped service: expected failed requests, not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/, /ERR_CONNECTION_REFUSED/];

const browser = browserPerFile();

function localCard(page: Page): Locator {
  return page.locator('section.target-local');
}

describe('Admin page in a browser: feedback that stays true', () => {
  let served: Served;
  let silent: SilentServer;
  let scratch: string;
  const p = pagePerTest(browser, { viewport: { width: 1280, height: 900 } }, EXPECTED_CONSOLE);

  beforeAll(async () => {
    served = await serve({ SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' }, { keep: true });
    silent = await silentServer();
    scratch = makeScratchDir('sentinel-web-feedback-');
  });
  afterAll(async () => {
    await served?.t.close();
    await silent?.close();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    if (served) fs.rmSync(served.t.root, { recursive: true, force: true });
  });

  const open = async (): Promise<Page> => {
    await p.page.goto(served.url);
    await openSettings(localCard(p.page));
    return p.page;
  };

  it(
    'shows when the connection was checked, and clears the result when a field changes',
    async () => {
      const page = await open();
      const card = localCard(page);
      await card.getByRole('button', { name: 'Test Connection' }).click();
      const result = card.locator('.test-result');
      await eventually(async () => expect(await text(result)).toMatch(/^Connection works .*· Checked \d{1,2}:\d{2}/));
      await card.getByLabel('Retention Days').fill('12');
      await eventually(async () => expect(await result.count()).toBe(0));
    },
    BROWSER_TEST_MS,
  );

  it(
    'saves a form all or nothing: every invalid field is marked, and the valid change is not stored',
    async () => {
      const page = await open();
      const card = localCard(page);
      await card.getByLabel('Retention Days').fill('-5');
      await card.getByLabel('Keep daily').fill('lots');
      await card.getByLabel('Keep weekly').fill('4');
      await card.getByRole('button', { name: 'Save' }).click();
      await eventually(async () => expect(await text(card.locator('.form-status'))).toMatch(/^Nothing was saved: 2 settings are not valid/));
      for (const label of ['Retention Days', 'Keep daily']) expect(await card.getByLabel(label).getAttribute('aria-invalid')).toBe('true');
      const stored = (await served.t.http.get('/api/settings/local_backup_keep_weekly').expect(200)).body;
      expect(stored.value).toBe('');
      // Corrected, all three are saved at once.
      await card.getByLabel('Retention Days').fill('20');
      await card.getByLabel('Keep daily').fill('7');
      await card.getByRole('button', { name: 'Save' }).click();
      await eventually(async () => expect(await text(card.locator('.form-status'))).toBe('3 settings saved.'));
      expect((await served.t.http.get('/api/settings/local_backup_keep_weekly').expect(200)).body.value).toBe(4);
    },
    BROWSER_TEST_MS,
  );

  it(
    'guards unsaved changes: folding the form asks to discard them, and leaving the page asks the browser question',
    async () => {
      const page = await open();
      const card = localCard(page);
      await card.getByLabel('Retention Days').fill('33');
      await card.getByRole('button', { name: /^Edit .* settings$/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Discard the unsaved changes?' });
      await dialog.waitFor();
      expect(await text(dialog)).toMatch(/Retention Days was changed but not saved/);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect(await card.getByLabel('Retention Days').inputValue()).toBe('33');
      const asked = new Promise<string>((resolve) => page.once('dialog', (d) => (resolve(d.type()), void d.dismiss())));
      await page.close({ runBeforeUnload: true });
      expect(await asked).toBe('beforeunload');
    },
    BROWSER_TEST_MS,
  );

  it(
    'warns before the folder changes, then gives a failed check, the failed backup and the status strip one diagnosis',
    async () => {
      const page = await open();
      const card = localCard(page);
      const file = path.join(scratch, 'a-file');
      fs.writeFileSync(file, 'not a folder');
      await card.getByLabel('Backup folder').fill(path.join(file, 'backups'));
      await card.getByRole('button', { name: 'Save' }).click();
      const warning = page.getByRole('dialog', { name: 'Change the backup folder?' });
      await warning.waitFor();
      expect(await text(warning)).toMatch(/Backups in the old folder .* will no longer be listed here/);
      await warning.getByRole('button', { name: 'Change folder' }).click();
      await eventually(async () => expect(await text(card.locator('.form-status'))).toBe('Setting saved.'));

      await card.getByRole('button', { name: 'Test Connection' }).click();
      const heading = card.locator('.test-result .test-heading');
      await eventually(async () => expect(await text(heading)).toBe('Folder not found'));
      expect(await text(card.locator('.test-result'))).not.toMatch(/Folder exists/);

      await card.getByRole('button', { name: 'Backup Now' }).click();
      await eventually(async () => expect(await text(card.locator('.job-failed .job-diagnosis'))).toBe('Folder not found'), 30_000);
      const strip = page.locator('.status-line[data-target="local"] .status-diagnosis');
      await eventually(async () => expect(await text(strip)).toBe('Folder not found'), 30_000);

      // Back to a real folder, for the tests that follow.
      await openSettings(card);
      await card.getByLabel('Backup folder').fill(path.join(scratch, 'backups'));
      await card.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('dialog', { name: 'Change the backup folder?' }).getByRole('button', { name: 'Change folder' }).click();
      await eventually(async () => expect(await text(card.locator('.form-status'))).toBe('Setting saved.'));
    },
    BROWSER_TEST_MS,
  );

  it(
    'says "Still waiting… Cancel" after 8 s on a test of an endpoint that never answers, and Cancel stops the wait',
    async () => {
      await served.t.http
        .post('/api/targets')
        .send({
          id: 'silent',
          kind: 's3',
          label: 'Silent',
          endpoint: silent.url,
          bucket: 'silent-bucket',
          access_key_id: 'AKIAEXAMPLE',
          secret_access_key: 'secret-example-1',
        })
        .expect(201);
      const page = p.page;
      await page.goto(served.url);
      const row = page.locator('li.target-row[data-target="silent"]');
      await row.getByRole('button', { name: /^Test Connection/ }).click();
      const waiting = row.locator('.slow-notice');
      await waiting.waitFor({ timeout: 12_000 });
      expect(await text(waiting)).toBe('Still waiting for the connection test… Cancel');
      await waiting.getByRole('button', { name: 'Cancel' }).click();
      await eventually(async () => expect(await row.locator('.slow-notice').count()).toBe(0));
      expect(await text(row.getByRole('button', { name: /^Test Connection/ }))).toMatch(/^Test Connection/);
      await eventually(async () => expect(await text(page.getByRole('region', { name: 'Targets', exact: true }))).toMatch(/did not run: Cancelled/));
      await served.t.http.delete('/api/targets/silent?confirm=true').expect(200);
    },
    BROWSER_TEST_MS,
  );

  it(
    'shows a banner while the service does not answer, with every action off, links too, and both go when it is back',
    async () => {
      const made = await waitForJob(served.t.http, (await served.t.http.post('/api/backups/local').expect(202)).body.id);
      expect(made.status).toBe('succeeded');
      const page = await open();
      const testButton = localCard(page).getByRole('button', { name: 'Test Connection' });
      expect(await testButton.isDisabled()).toBe(false);
      // A row's menu open on its Download link when the service goes.
      const row = page.locator(`section.backup-list[data-target="local"] tr[data-filename="${made.filename}"]`);
      const download = await rowMenuItem(row, 'Download');
      expect(await download.getAttribute('aria-disabled')).toBeNull();
      const asked: string[] = [];
      page.on('request', (request) => request.url().includes(made.filename) && asked.push(request.url()));
      await served.t.close();
      const banner = page.locator('[data-state="service-down"]');
      await banner.waitFor({ timeout: 25_000 });
      expect(await text(banner)).toMatch(/^The service is not answering/);
      expect(await testButton.isDisabled()).toBe(true);
      expect(await localCard(page).getByRole('button', { name: 'Backup Now' }).isDisabled()).toBe(true);
      // The link says it is unavailable and does nothing, from the keyboard or a click.
      expect(await download.getAttribute('aria-disabled')).toBe('true');
      await download.focus();
      await page.keyboard.press('Enter');
      await download.dispatchEvent('click');
      expect(await page.evaluate(() => new Promise((resolve) => setTimeout(() => resolve(true), 500)))).toBe(true);
      expect(asked).toEqual([]);
      // The banner and the menu with its unavailable link. (The whole page is not audited in this state: axe takes the
      // dimmed buttons of the disabled fieldset for enabled ones with too little contrast; WCAG exempts inactive controls.)
      for (const part of [banner, row.getByRole('menu')]) expect(await accessibilityProblems(page, part)).toEqual([]);
      served = await serve({}, { root: served.t.root, keep: true, port: served.port });
      await banner.waitFor({ state: 'detached', timeout: 15_000 });
      expect(await testButton.isDisabled()).toBe(false);
    },
    BROWSER_TEST_MS,
  );
});

describe('Admin page in a browser: behind the token question', () => {
  let served: Served;
  const p = pagePerTest(browser, { viewport: { width: 1280, height: 900 } }, [/Failed to load resource/]);
  beforeAll(async () => {
    served = await serve({ SENTINEL_API_TOKEN: 'feedback-token-0123456789abcdef-0123' });
  });
  afterAll(async () => {
    await served?.t.close();
  });

  it(
    'shows a neutral placeholder, not forms with default values, until the token is given',
    async () => {
      const page = p.page;
      await page.goto(served.url);
      const question = page.getByRole('dialog');
      await question.waitFor();
      expect(await page.locator('[data-state="waiting-for-settings"]').count()).toBe(1);
      expect(await page.locator('section.target-local').count()).toBe(0);
      await page.locator('#api-token').fill('feedback-token-0123456789abcdef-0123');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.locator('section.target-local').waitFor();
      expect(await page.locator('[data-state="waiting-for-settings"]').count()).toBe(0);
    },
    BROWSER_TEST_MS,
  );
});
