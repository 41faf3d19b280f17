/**
 * The admin page's colours follow the system's light or dark preference (prefers-color-scheme), in a real
 * browser (Debian's Chromium through playwright-core, its `colorScheme` emulating the preference) against the
 * whole service on a loopback port. The page is shown in the states with the most colours at once: a backup
 * that failed after one that succeeded (the status strip and the header red), a staged restore (the amber
 * banner), the backup list, and the Delete dialog. In the dark theme the page's background and cards are dark
 * and its text light; in the light theme the reverse; and axe-core finds no contrast (or other serious)
 * problem in either, at 1280 and 390 pixels.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { seedDatabases, waitForJob } from './support/seed.js';
import { accessibilityProblems } from './web/a11y.js';
import { eventually } from './web/browser.js';
import { browserPerFile, pagePerTest } from './web/page-per-test.js';
import { rowAction } from './web/row-menu.js';
import { type Served, serve, text } from './web/serve.js';

const BROWSER_TEST_MS = 180_000;
/** The failed backup's job answers as a failed load: not a page error. */
const EXPECTED_CONSOLE = [/Failed to load resource/];

// The browser's globals used inside the page (the test project is compiled without the DOM library).
declare function getComputedStyle(element: unknown): { backgroundColor: string; color: string };
declare const document: { querySelector(selector: string): unknown };

/** Relative luminance (WCAG 2) of a computed colour such as `rgb(24, 34, 44)`: 0 is black, 1 is white. */
function luminance(color: string): number {
  const channels = /rgba?\((\d+), (\d+), (\d+)/.exec(color);
  if (!channels) throw new Error(`Not a computed rgb() colour: ${color}`);
  const [r, g, b] = channels.slice(1, 4).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The computed background and text colours of the first element matching each selector, as luminances. */
async function shades(page: Page, selectors: string[]): Promise<Record<string, { background: number; text: number }>> {
  const computed = await page.evaluate(
    (list) =>
      list.map((selector) => {
        const element = document.querySelector(selector);
        if (!element) return { selector, background: '', color: '' };
        const style = getComputedStyle(element);
        return { selector, background: style.backgroundColor, color: style.color };
      }),
    selectors,
  );
  return Object.fromEntries(
    computed.map(({ selector, background, color }) => {
      if (!background) throw new Error(`Nothing on the page matches ${selector}`);
      return [selector, { background: luminance(background), text: luminance(color) }];
    }),
  );
}

const browser = browserPerFile();

describe('Admin page in a browser: the theme follows prefers-color-scheme', () => {
  let served: Served;
  let kept: string;

  beforeAll(async () => {
    served = await serve();
    await seedDatabases(served.t.app, { rows: 100 });
    const started = await served.t.http.post('/api/backups/local').expect(202);
    kept = (await waitForJob(served.t.http, started.body.id)).filename;
    // A backup that fails after the one that succeeded: the folder is a file.
    const notAFolder = path.join(served.t.root, 'a-file');
    fs.writeFileSync(notAFolder, 'not a folder');
    await served.t.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(notAFolder, 'backups') })
      .expect(200);
    const failing = await served.t.http.post('/api/backups/local').expect(202);
    expect(await waitForJob(served.t.http, failing.body.id)).toMatchObject({ status: 'failed' });
    await served.t.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(served.t.dataDir, 'backups') })
      .expect(200);
    // A staged restore shows its banner above everything (the service is not restarted: it waits for the next start).
    await served.t.http.post('/api/backups/local/restore').send({ filename: kept, restart: false }).expect(202);
    await eventually(async () => expect((await served.t.http.get('/api/restore/status').expect(200)).body.staged).toBeTruthy(), 30_000);
  }, BROWSER_TEST_MS);
  afterAll(() => served.t.close());

  /** The page in its failing, staged state, loaded; returns the status strip. */
  async function open(page: Page): Promise<Locator> {
    await page.goto(served.url);
    const strip = page.getByRole('region', { name: 'Backup status', exact: true });
    await eventually(async () => expect(await strip.locator('li[data-target="local"]').getAttribute('class')).toMatch(/status-alarm/));
    await page.getByRole('region', { name: 'Staged restore' }).waitFor();
    await page.locator(`tr[data-filename="${kept}"]`).waitFor();
    return strip;
  }

  /** The Delete dialog of the kept backup, open. */
  async function deleteDialog(page: Page): Promise<Locator> {
    await rowAction(page, page.locator(`tr[data-filename="${kept}"]`), 'Delete');
    const dialog = page.getByRole('dialog', { name: 'Delete this backup?' });
    await dialog.waitFor();
    return dialog;
  }

  const PARTS = ['html', 'body', 'main h1', '.card', '.status-alarm', '.banner', '.button-primary, .button-danger'];

  describe('dark', () => {
    const test = pagePerTest(browser, { viewport: { width: 1280, height: 900 }, colorScheme: 'dark' }, EXPECTED_CONSOLE);

    it(
      'a dark background and cards with light text, readable (axe contrast) in every part shown, the dialog too',
      async () => {
        const { page } = test;
        const strip = await open(page);
        expect(await text(strip)).toMatch(/Failing/);
        const dark = await shades(page, PARTS);
        expect(dark.html?.background).toBeLessThan(0.05);
        expect(dark['.card']?.background).toBeLessThan(0.05);
        for (const part of ['body', 'main h1', '.card']) expect({ part, light: (dark[part]?.text ?? 0) > 0.6 }).toEqual({ part, light: true });
        expect(await accessibilityProblems(page)).toEqual([]);

        const dialog = await deleteDialog(page);
        const inDialog = await shades(page, ['dialog[open]']);
        expect(inDialog['dialog[open]']?.background).toBeLessThan(0.05);
        expect(inDialog['dialog[open]']?.text).toBeGreaterThan(0.6);
        expect(await accessibilityProblems(page, dialog)).toEqual([]);
      },
      BROWSER_TEST_MS,
    );
  });

  describe('light', () => {
    const test = pagePerTest(browser, { viewport: { width: 1280, height: 900 }, colorScheme: 'light' }, EXPECTED_CONSOLE);

    it(
      'stays light: a light background and cards with dark text',
      async () => {
        const { page } = test;
        await open(page);
        const light = await shades(page, PARTS);
        expect(light.html?.background).toBeGreaterThan(0.8);
        expect(light['.card']?.background).toBeGreaterThan(0.9);
        for (const part of ['body', 'main h1', '.card']) expect({ part, dark: (light[part]?.text ?? 1) < 0.05 }).toEqual({ part, dark: true });
        expect(await accessibilityProblems(page)).toEqual([]);
      },
      BROWSER_TEST_MS,
    );
  });
});
