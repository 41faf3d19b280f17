/**
 * Admin page in Chromium (issue 18): times that say their zone, long lists and small screens, words for people.
 * The service runs in America/New_York (TZ), the browser in Europe/Berlin: a schedule says both, list times name the
 * browser's zone, and no raw ISO time reaches the page. Twelve backups: the newest 10 show, "Show all 12" shows the rest;
 * each row's actions are one menu, Delete last, operable by keyboard; at 390 px nothing scrolls sideways.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { waitForJob } from './support/seed.js';
import { eventually, focused, scrollWidth, storedValues } from './web/browser.js';
import { browserPerFile, pagePerTest } from './web/page-per-test.js';
import { rowMenuButton } from './web/row-menu.js';
import { type Served, serve, text } from './web/serve.js';
import { openSettings } from './web/target-card.js';

const BROWSER_TEST_MS = 120_000;
const SERVICE_ZONE = 'America/New_York';
const BROWSER_ZONE = 'Europe/Berlin';
const TOKEN = 'web-words-token-0123456789abcdef01234';
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d/;
/** The page's first requests meet the token's 401 before it asks (and the browser logs each): expected, not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/];

/** A clock time as the page writes it (en-US, the context's locale) in `timeZone`. */
function clockIn(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));
}

const browser = browserPerFile();
let served: Served;
let backups: string[];

beforeAll(async () => {
  // Schedules on (the catch-up far away: nothing runs during the test), in New York's zone, behind a token.
  served = await serve({ SENTINEL_SCHEDULES: 'on', SENTINEL_CATCH_UP_DELAY_SECONDS: '3600', TZ: SERVICE_ZONE, SENTINEL_API_TOKEN: TOKEN });
  const auth = { Authorization: `Bearer ${TOKEN}` };
  // One real backup (its Verify report is a real one), and eleven older ones of this installation, a day apart.
  const started = await served.t.http.post('/api/backups/local').set(auth).expect(202);
  const job = await waitForJob({ get: (url: string) => served.t.http.get(url).set(auth) }, started.body.id);
  expect(job.status).toBe('succeeded');
  const dir = path.join(served.t.dataDir, 'backups');
  const self = (await served.t.http.get('/api/health').expect(200)).body.installation_id as string;
  for (let day = 1; day <= 11; day++) {
    const name = backupFilename(new Date(Date.UTC(2026, 0, day, 8, 0, 0)));
    fs.writeFileSync(path.join(dir, name), `an older backup ${day}`);
    fs.writeFileSync(path.join(dir, `.${name}.owner`), `${self}\n`);
  }
  backups = ((await served.t.http.get('/api/backups/local').set(auth).expect(200)).body as Array<{ filename: string; created_at: string }>)
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
    .map((b) => b.filename);
  expect(backups).toHaveLength(12);
}, 120_000);
afterAll(() => served.t.close());

/** Opens the page and gives the token, as a person does when asked. */
async function openPage(page: Page): Promise<void> {
  await page.goto(served.url);
  const dialog = page.getByRole('dialog', { name: 'Access token needed' });
  await dialog.waitFor();
  await dialog.getByLabel('Access token').fill(TOKEN);
  await dialog.getByRole('button', { name: 'Continue' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

function localList(page: Page): Locator {
  return page.getByRole('region', { name: 'Local folder backups', exact: true });
}

describe('Admin page in a browser: times, long lists and words (service in New York, browser in Berlin)', () => {
  const wide = pagePerTest(browser, { viewport: { width: 1280, height: 900 }, timezoneId: BROWSER_ZONE, locale: 'en-US' }, EXPECTED_CONSOLE);

  it(
    'says a schedule in both zones, names the zone of list times, and shows no raw ISO time',
    async () => {
      const { page } = wide;
      await openPage(page);
      const schedules = (await served.t.http.get('/api/schedules').set('Authorization', `Bearer ${TOKEN}`).expect(200)).body as Array<{
        job: string;
        next_run: string;
      }>;
      const next = schedules.find((s) => s.job === 'local-backup')?.next_run as string;
      const line = page.locator('[data-job="local-backup"]');
      await line.waitFor();
      // "Next backup: Fri, Dec 4, 2026, 01:00 AM America/New_York (07:00 AM your time), in 19 hours · …"
      expect(await text(line)).toContain(`${clockIn(next, SERVICE_ZONE)} ${SERVICE_ZONE} (${clockIn(next, BROWSER_ZONE)} your time)`);

      // The schedule choices say their time in both zones too.
      const local = page.locator('section.target-local');
      await openSettings(local);
      const daily = await local.getByLabel('Backup Schedule').locator('option[value="daily"]').innerText();
      expect(daily).toMatch(new RegExp(`^Daily, at 01:00 AM ${SERVICE_ZONE} \\(\\d\\d:00 [AP]M your time\\)$`));

      // List times are in the browser's zone, named.
      const newest = localList(page).locator(`tr[data-filename="${backups[0]}"] time`);
      expect(await text(newest)).toMatch(new RegExp(`${BROWSER_ZONE}$`));
      expect(await page.locator('body').innerText()).not.toMatch(ISO_TIME);
    },
    BROWSER_TEST_MS,
  );

  it(
    'shows the newest 10 of 12 backups first, and all 12 after "Show all 12"',
    async () => {
      const { page } = wide;
      await openPage(page);
      const rows = localList(page).locator('tbody tr[data-filename]');
      await eventually(async () => expect(await rows.count()).toBe(10));
      expect(await rows.evaluateAll((all) => all.map((r) => r.getAttribute('data-filename')))).toEqual(backups.slice(0, 10));
      await localList(page)
        .getByRole('button', { name: /^Show all 12\b/ })
        .click();
      await eventually(async () => expect(await rows.count()).toBe(12));
      expect(
        await localList(page)
          .getByRole('button', { name: /^Show all/ })
          .count(),
      ).toBe(0);
    },
    BROWSER_TEST_MS,
  );

  it(
    "opens a row's Actions menu by keyboard, Delete last and set apart; Escape closes it and gives the focus back",
    async () => {
      const { page } = wide;
      await openPage(page);
      const row = localList(page).locator(`tr[data-filename="${backups[0]}"]`);
      const button = rowMenuButton(row);
      expect(await button.getAttribute('aria-haspopup')).toBe('menu');
      expect(await button.getAttribute('aria-expanded')).toBe('false');
      await button.focus();
      await page.keyboard.press('Enter');
      await eventually(async () => expect((await focused(page))?.text).toBe('Restore'));
      expect(await button.getAttribute('aria-expanded')).toBe('true');
      const menu = row.getByRole('menu');
      expect(await menu.getByRole('menuitem').allInnerTexts()).toEqual(['Restore', 'Verify', 'Download', 'Delete']);
      // Delete is apart from the others: a separator before it.
      expect(await menu.locator('[role="separator"] + li [role="menuitem"]').innerText()).toBe('Delete');
      await page.keyboard.press('ArrowDown');
      expect((await focused(page))?.text).toBe('Verify');
      await page.keyboard.press('End');
      expect((await focused(page))?.text).toBe('Delete');
      await page.keyboard.press('ArrowDown');
      expect((await focused(page))?.text).toBe('Restore');
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'hidden' });
      expect((await focused(page))?.text).toBe(`Actions ${backups[0]}`);
      expect(await button.getAttribute('aria-expanded')).toBe('false');
    },
    BROWSER_TEST_MS,
  );

  it(
    'a token typed and submitted in one moment (before the page re-renders) is the one it keeps and sends',
    async () => {
      const { page } = wide;
      await page.goto(served.url);
      const dialog = page.getByRole('dialog', { name: 'Access token needed' });
      await dialog.waitFor();
      // Input and submit in one task: no re-render between them, as with a paste and Enter on a busy machine.
      await dialog.getByLabel('Access token').evaluate((element, token) => {
        const input = element as unknown as { value: string; form: { requestSubmit(): void } | null; dispatchEvent(event: Event): boolean };
        input.value = token;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        input.form?.requestSubmit();
      }, TOKEN);
      await dialog.waitFor({ state: 'hidden' });
      await eventually(async () => expect((await storedValues(page)).session).toEqual([TOKEN]));
      await localList(page).locator(`tr[data-filename="${backups[0]}"]`).waitFor();
      expect(await page.getByRole('dialog').count()).toBe(0);
    },
    BROWSER_TEST_MS,
  );

  it(
    'Forget token clears the stored token, and the page asks for it again',
    async () => {
      const { page } = wide;
      await openPage(page);
      await eventually(async () => expect((await storedValues(page)).session).toEqual([TOKEN]));
      await page.getByRole('button', { name: 'Forget token' }).click();
      await page.getByRole('dialog', { name: 'Access token needed' }).waitFor();
      expect(await storedValues(page)).toEqual({ session: [], local: [] });
      // The question is written for a person: what the token is and where to find it.
      expect(await text(page.getByRole('dialog', { name: 'Access token needed' }))).toContain('SENTINEL_API_TOKEN');
    },
    BROWSER_TEST_MS,
  );
});

describe('Admin page in a browser: at 390 px', () => {
  const phone = pagePerTest(
    browser,
    { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true, timezoneId: BROWSER_ZONE, locale: 'en-US' },
    EXPECTED_CONSOLE,
  );

  it(
    'nothing scrolls sideways: the list, an open Actions menu, and the verification report stacked',
    async () => {
      const { page } = phone;
      await openPage(page);
      const row = localList(page).locator(`tr[data-filename="${backups[0]}"]`);
      await row.waitFor();
      expect(await scrollWidth(page)).toBeLessThanOrEqual(390);
      await rowMenuButton(row).click();
      for (const item of await row.getByRole('menuitem').all()) {
        const box = await item.boundingBox();
        expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
      }
      await row.getByRole('menuitem', { name: 'Verify' }).click();
      const report = page.getByRole('status', { name: `Verification of ${backups[0]}` });
      await report.waitFor({ timeout: 60_000 });
      expect(await scrollWidth(page)).toBeLessThanOrEqual(390);
      // Each database's checks read as labelled lines, not as columns cut off at the screen's edge.
      const first = report.locator('tbody tr').first();
      expect(await text(first)).toMatch(/^universe .+ matches ok/);
      const [size, checksum] = await Promise.all([
        first.locator('td[data-label="Size"]').boundingBox(),
        first.locator('td[data-label="Checksum"]').boundingBox(),
      ]);
      expect((checksum?.y ?? 0) > (size?.y ?? 0)).toBe(true);
      expect((checksum?.x ?? -1) + (checksum?.width ?? 999)).toBeLessThanOrEqual(390);
    },
    BROWSER_TEST_MS,
  );
});
