/**
 * The admin page's status strip (issue 18) in a real browser (Debian's Chromium driven by playwright-core)
 * against the whole service on a loopback port and the real S3 server: one row per target from GET
 * /api/status (the local folder, R2 on the S3 server, and a folder target added through the API), with its
 * state in words and colour; the header and the browser tab name the worst state. States reached for real:
 * never backed up; an R2 backup that fails (a wrong secret) after one that succeeded, the last success still
 * in sight and the failure's cause beside it, shown in a browser whose time zone is not the service's; and
 * a local folder overdue by the service's test clock (the browser's clock moved to match). Each state is
 * checked for accessibility problems and overflow at 1280 and 390 pixels. The page's order is status,
 * backups, then the settings, whose configured cards fold behind "Edit".
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { Clock } from '../src/common/clock.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, type TestApp } from './support/test-app.js';
import { accessibilityProblems } from './web/a11y.js';
import { eventually, scrollWidth } from './web/browser.js';
import { browserPerFile, pagePerTest } from './web/page-per-test.js';
import { type Served, serve, text } from './web/serve.js';

const BROWSER_TEST_MS = 240_000;
/** A failed backup's job answers and an unconfigured target's list (409) show as failed loads: not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/];
/** --danger in styles.css. */
const RED = 'rgb(180, 35, 24)';
/** The browser's zone and language: not the service's (UTC in the tests), so a time in the service's zone would show. */
const BROWSER_ZONE = 'America/New_York';
const BROWSER_LOCALE = 'en-GB';
const WIDTHS = [1280, 390];

// The browser's globals used inside the page (the test project is compiled without the DOM library).
declare function getComputedStyle(element: unknown): { borderLeftColor: string; backgroundColor: string; color: string };
interface PageElement {
  tagName: string;
  className: string;
  parentElement: PageElement | null;
  getBoundingClientRect(): { right: number };
}
declare const document: { querySelectorAll(selector: string): ArrayLike<PageElement> };

interface TargetStatusBody {
  target: string;
  state: string;
  last_success: string | null;
  last_error: { code: string; message: string; time: string } | null;
  next_run: string | null;
  overdue_at: string | null;
  overdue_since: string | null;
  last_verification: { time: string; verdict: string } | null;
}

function strip(page: Page): Locator {
  return page.getByRole('region', { name: 'Backup status', exact: true });
}

function row(page: Page, target: string): Locator {
  return strip(page).locator(`li[data-target="${target}"]`);
}

function fact(line: Locator, name: string): Locator {
  return line.locator(`[data-fact="${name}"]`);
}

function card(page: Page, name: string): Locator {
  return page.getByRole('region', { name, exact: true });
}

async function statusOf(t: TestApp, target: string): Promise<TargetStatusBody> {
  const body = (await t.http.get('/api/status').expect(200)).body as { targets: TargetStatusBody[] };
  const found = body.targets.find((s) => s.target === target);
  if (!found) throw new Error(`GET /api/status has no row for ${target}`);
  return found;
}

async function backup(t: TestApp, target: string): Promise<{ status: string; filename: string }> {
  const started = await t.http.post(`/api/backups/${target}`).expect(202);
  return waitForJob(t.http, started.body.id);
}

/** The clock time as the browser shows it: in its zone and language, not the service's. */
function browserClock(iso: string): string {
  return new Intl.DateTimeFormat(BROWSER_LOCALE, { hour: '2-digit', minute: '2-digit', timeZone: BROWSER_ZONE }).format(new Date(iso));
}

/**
 * No accessibility problem and nothing wider than the screen, with the page loaded at each width (as a phone
 * opens it: the size trend's chart keeps the width it was drawn at when a window shrinks), the state the same.
 */
async function checkAtWidths(page: Page, state: string): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.reload();
    await eventually(async () => expect(await page.locator('header .backup-state').getAttribute('data-state')).toBe(state));
    await eventually(async () => expect(await strip(page).locator('li').count()).toBeGreaterThan(0));
    expect({ width, problems: await accessibilityProblems(page, undefined, { widths: [width] }) }).toEqual({ width, problems: [] });
    const wide = await page.evaluate((limit) => {
      const all = Array.from(document.querySelectorAll('body *'));
      return all
        .filter((el) => el.getBoundingClientRect().right > limit + 1)
        .filter((el) => !(el.parentElement && el.parentElement.getBoundingClientRect().right > limit + 1))
        .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`);
    }, width);
    expect({ width, wide }).toEqual({ width, wide: [] });
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.reload();
}

const browser = browserPerFile();
/** The browser in another zone and language than the service. */
const CONTEXT = { viewport: { width: 1280, height: 900 }, timezoneId: BROWSER_ZONE, locale: BROWSER_LOCALE };

describeS3('Admin page in a browser: the status strip, the header and the page title', () => {
  let served: Served;
  let folder: string;
  const tab = pagePerTest(browser, CONTEXT, EXPECTED_CONSOLE);

  beforeAll(async () => {
    // Schedules on, so each row has a next run; the catch-up waits an hour, so nothing runs by itself.
    served = await serve({ SENTINEL_SCHEDULES: 'on', SENTINEL_CATCH_UP_DELAY_SECONDS: '3600', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    await seedDatabases(served.t.app, { rows: 50 });
    await configureR2(served.t, await createTestBucket('web-status'));
    folder = makeScratchDir('sentinel-web-status-nas-');
    await served.t.http.post('/api/targets').send({ id: 'nas', label: 'NAS copy', kind: 'folder', path: folder }).expect(201);
  });
  afterAll(async () => {
    await served?.t.close();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it(
    'never backed up: a row for every target with its next run, "Never backed up" in the header and the title; status first, then backups, then the settings folded behind Edit',
    async () => {
      const { page } = tab;
      await page.goto(served.url);
      await eventually(async () => expect(await strip(page).locator('li').count()).toBe(3));
      expect(
        await strip(page)
          .locator('li')
          .evaluateAll((items) => items.map((li) => (li as unknown as { dataset: { target: string } }).dataset.target)),
      ).toEqual(['local', 'r2', 'nas']);
      for (const [target, name] of [
        ['local', 'Local folder'],
        ['r2', 'Cloudflare R2'],
        ['nas', 'NAS copy'],
      ] as const) {
        const line = row(page, target);
        expect(await line.getAttribute('data-state')).toBe('never');
        expect(await text(line)).toMatch(new RegExp(`^– ?${name}: Never backed up Last success: none yet Next run: `));
        // The next run as the API has it, in the browser's zone.
        const nextRun = (await statusOf(served.t, target)).next_run;
        expect(nextRun).not.toBeNull();
        expect(await fact(line, 'next-run').locator('time').getAttribute('datetime')).toBe(nextRun);
        expect(await text(fact(line, 'next-run'))).toContain(browserClock(nextRun as string));
        expect(await text(fact(line, 'last-verification'))).toBe('Last verification: none yet');
        expect(await line.evaluate((el) => getComputedStyle(el).borderLeftColor)).not.toBe(RED);
      }
      await eventually(async () => expect(await text(page.locator('header .backup-state'))).toBe('Never backed up'));
      expect(await page.title()).toBe('Never backed up · Sentinel');

      // The order: status, then backups, then the settings.
      const headings = (await page.locator('main h2').allInnerTexts()).map((h) => h.trim());
      const at = (heading: string) => headings.indexOf(heading);
      expect(at('Backup status')).toBe(0);
      expect(at('Backups')).toBe(1);
      for (const settings of ['Cloudflare R2', 'Local folder', 'Targets', 'Notifications']) expect(at(settings)).toBeGreaterThan(at('Backups'));

      // Both built-ins are configured: their settings are folded behind Edit, their actions in reach.
      const local = card(page, 'Local folder');
      const edit = local.getByRole('button', { name: 'Edit Local folder settings', exact: true });
      await eventually(async () => expect(await edit.getAttribute('aria-expanded')).toBe('false'));
      expect(await local.getByLabel('Backup folder', { exact: true }).isVisible()).toBe(false);
      expect(await local.getByRole('button', { name: 'Backup Now' }).isVisible()).toBe(true);
      expect(await card(page, 'Cloudflare R2').getByRole('button', { name: 'Edit Cloudflare R2 settings', exact: true }).getAttribute('aria-expanded')).toBe(
        'false',
      );
      await checkAtWidths(page, 'never');

      await edit.click();
      expect(await edit.getAttribute('aria-expanded')).toBe('true');
      expect(await local.getByLabel('Backup folder', { exact: true }).inputValue()).toBe(path.join(served.t.dataDir, 'backups'));
      expect(await accessibilityProblems(page, local)).toEqual([]);
      await edit.click();
      expect(await local.getByLabel('Backup folder', { exact: true }).isVisible()).toBe(false);
      // The Targets card's "Edit in its card" leads to the card and opens it.
      await card(page, 'Targets')
        .locator('li.target-row[data-target="r2"]')
        .getByRole('link', { name: /^Edit in its card/ })
        .click();
      await eventually(async () => expect(await card(page, 'Cloudflare R2').getByLabel('Bucket Name', { exact: true }).isVisible()).toBe(true));
    },
    BROWSER_TEST_MS,
  );

  it(
    'a failed backup after a success: the row turns red with the error code and message, the last success stays shown in the browser’s zone, the header and the title say "Backup failing"',
    async () => {
      const { page } = tab;
      const succeeded = await backup(served.t, 'r2');
      expect(succeeded.status).toBe('succeeded');
      const lastSuccess = (await statusOf(served.t, 'r2')).last_success as string;
      // A wrong secret: the store refuses the next backup for real.
      await served.t.http.put('/api/settings/r2_secret_access_key').send({ value: 'wrong-secret-wrong-secret-wrong-secret00' }).expect(200);

      await page.goto(served.url);
      const line = row(page, 'r2');
      await eventually(async () => expect(await line.getAttribute('data-state')).toBe('ok'));
      expect(await text(page.locator('header .backup-state'))).toBe('Never backed up');
      // The backup is started from the page, on the folded card.
      await card(page, 'Cloudflare R2').getByRole('button', { name: 'Backup Now' }).click();
      await eventually(async () => expect(await line.getAttribute('data-state')).toBe('failing'), 60_000);

      const status = await statusOf(served.t, 'r2');
      const error = status.last_error;
      expect(error).not.toBeNull();
      expect(status.last_success).toBe(lastSuccess);
      // In words and in red.
      expect(await text(line)).toMatch(/^✗ ?Cloudflare R2: Failing /);
      expect(await line.evaluate((el) => getComputedStyle(el).borderLeftColor)).toBe(RED);
      expect(await line.locator('.status-state').evaluate((el) => getComputedStyle(el).color)).toBe(RED);
      // The last success is still there, as a person reads it, in the browser's zone (New York, not the service's UTC).
      const success = fact(line, 'last-success');
      expect(await success.locator('time').getAttribute('datetime')).toBe(lastSuccess);
      expect(await text(success)).toMatch(new RegExp(`^Last success: today ${browserClock(lastSuccess)} ${BROWSER_ZONE}, (just now|\\d+ minutes? ago)$`));
      // The failure is newer: its time, code and message.
      const failure = fact(line, 'last-failure');
      expect(await failure.locator('time').getAttribute('datetime')).toBe(error?.time);
      // Headed by what went wrong (diagnosis.ts), then when, the service's message and its code, and what to do.
      const said = await text(failure);
      expect(said).toContain(
        `: last failure today ${browserClock(error?.time as string)} ${BROWSER_ZONE}, just now: ${error?.message.replace('r2_access_key_id, r2_secret_access_key', '“Access Key ID”, “Secret Access Key”')} ${error?.code} `,
      );
      expect(said).toMatch(/^[A-Z][a-z]+( [a-z]+)+: last failure/);
      // The API's message names the setting keys; the page names the fields as its forms label them (web/src/words.ts).
      expect(error?.message).toContain('Check r2_access_key_id, r2_secret_access_key');
      expect(error?.code).toMatch(/^[A-Z_]+$/);

      // The header and the tab: the worst state, in red, though the service itself runs.
      const headline = page.locator('header .backup-state');
      await eventually(async () => expect(await text(headline)).toBe('Backup failing'));
      expect(await headline.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(RED);
      expect(await page.title()).toBe('Backup failing · Sentinel');
      expect(await text(page.locator('header .service-state'))).toMatch(/^Service running/);
      // The other targets keep their own rows.
      expect(await row(page, 'local').getAttribute('data-state')).toBe('never');
      expect(await row(page, 'nas').getAttribute('data-state')).toBe('never');
      await checkAtWidths(page, 'failing');
    },
    BROWSER_TEST_MS,
  );
});

describe('Admin page in a browser: an overdue target (test clock)', () => {
  let served: Served;
  const tab = pagePerTest(browser, CONTEXT, EXPECTED_CONSOLE);

  beforeAll(async () => {
    served = await serve();
    await seedDatabases(served.t.app, { rows: 50 });
  });
  afterAll(async () => {
    await served?.t.close();
  });

  it(
    'a backup and its verification show OK; a day and six hours later by the test clock the row says Overdue since when, in red, and the header and the title say "Backup overdue"',
    async () => {
      const { page } = tab;
      const made = await backup(served.t, 'local');
      expect(made.status).toBe('succeeded');
      await served.t.http.post(`/api/backups/local/${made.filename}/verify`).expect(200);
      const fresh = await statusOf(served.t, 'local');
      expect(fresh).toMatchObject({ state: 'ok', last_verification: { verdict: 'passed' } });

      await page.goto(served.url);
      const line = row(page, 'local');
      await eventually(async () => expect(await line.getAttribute('data-state')).toBe('ok'));
      expect(await text(line)).toMatch(/^✓ ?Local folder: OK Last success: today .+, just now/);
      expect(await text(fact(line, 'last-verification'))).toMatch(/^Last verification: passed, today .+, just now$/);
      // R2 is off: its row says so and does not count.
      expect(await text(row(page, 'r2'))).toMatch(/^– ?Cloudflare R2: Off/);
      await eventually(async () => expect(await text(page.locator('header .backup-state'))).toBe('Backups OK'));
      expect(await page.title()).toBe('Backups OK · Sentinel');
      // R2 is not configured: its settings are open, the local folder's folded.
      await eventually(async () => expect(await card(page, 'Cloudflare R2').getAttribute('data-settings')).toBe('open'));
      expect(await card(page, 'Local folder').getAttribute('data-settings')).toBe('folded');
      await checkAtWidths(page, 'ok');

      // A minute past the deadline (daily schedule, 25 % grace) on the service's clock, and on the browser's.
      const deadline = new Date(fresh.overdue_at as string).getTime();
      const later = new Date(deadline + 60_000);
      served.t.app.get(Clock).now = () => new Date(later);
      await page.clock.setFixedTime(later);
      await page.reload();
      await eventually(async () => expect(await line.getAttribute('data-state')).toBe('overdue'));
      const overdue = await statusOf(served.t, 'local');
      expect(overdue.overdue_since).toBe(new Date(deadline).toISOString());

      expect(await text(line)).toMatch(/^! ?Local folder: Overdue /);
      expect(await line.evaluate((el) => getComputedStyle(el).borderLeftColor)).toBe(RED);
      expect(await text(fact(line, 'last-success'))).toMatch(/^Last success: .+, 30 hours ago$/);
      expect(await fact(line, 'last-success').locator('time').getAttribute('datetime')).toBe(fresh.last_success);
      const since = fact(line, 'overdue');
      expect(await since.locator('time').getAttribute('datetime')).toBe(overdue.overdue_since);
      expect(await text(since)).toMatch(
        new RegExp(
          `^Overdue since .+ ${browserClock(overdue.overdue_since as string)} ${BROWSER_ZONE.replace('/', '\\/')}, 1 minute ago: no successful backup within its schedule\\.$`,
        ),
      );
      expect(await fact(line, 'last-failure').count()).toBe(0);

      const headline = page.locator('header .backup-state');
      await eventually(async () => expect(await text(headline)).toBe('Backup overdue'));
      expect(await headline.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(RED);
      expect(await page.title()).toBe('Backup overdue · Sentinel');
      await checkAtWidths(page, 'overdue');
    },
    BROWSER_TEST_MS,
  );
});
