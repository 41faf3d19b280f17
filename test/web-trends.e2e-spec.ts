/**
 * The admin page's backup trends (issue 18) in a real browser (Debian's Chromium driven by playwright-core)
 * against the whole service and the real S3 server: three real R2 backups (the databases growing between
 * them, from empty, so the archives are far apart in size) and one that fails for real (a wrong secret).
 * The browser reads German in Berlin, the service runs in UTC: the chart's labels follow the browser. The
 * failed run is a red cross named for a screen reader; the legend's buttons work from the keyboard; the
 * log scale is offered for the spread sizes; nothing is wider than a 390 pixel screen.
 */
import type { Locator, Page } from 'playwright-core';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { accessibilityProblems } from './web/a11y.js';
import { eventually, focused, scrollWidth } from './web/browser.js';
import { browserPerFile, pagePerTest } from './web/page-per-test.js';
import { type Served, serve, text } from './web/serve.js';

const BROWSER_TEST_MS = 240_000;
/** The failed backup's job answers show as failed loads: not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/];
/** --danger in styles.css. */
const RED = 'rgb(180, 35, 24)';
const LOCALE = 'de-DE';
const ZONE = 'Europe/Berlin';

// The browser's globals used inside the page (the test project is compiled without the DOM library).
declare function getComputedStyle(element: unknown): { stroke: string };

interface JobBody {
  status: string;
  finished_at: string;
  size_bytes: number | null;
  error: string | null;
  error_code: string | null;
}

function trends(page: Page): Locator {
  return page.getByRole('region', { name: 'Backup trends', exact: true });
}

function r2Trend(page: Page): Locator {
  return trends(page).getByRole('group', { name: 'Cloudflare R2', exact: true });
}

function legend(section: Locator, name: string): Locator {
  return section.getByRole('button', { name, exact: true });
}

async function backup(served: Served): Promise<JobBody> {
  const started = await served.t.http.post('/api/backups/r2').expect(202);
  return waitForJob(served.t.http, started.body.id);
}

async function tickLabels(section: Locator, axis: 'size' | 'duration' | 'time'): Promise<string[]> {
  return section.locator(`.trend-tick-${axis}`).allTextContents();
}

const browser = browserPerFile();

describeS3('Admin page in a browser: backup trends per target', () => {
  let served: Served;
  let runs: JobBody[];
  const tab = pagePerTest(browser, { viewport: { width: 1280, height: 900 }, locale: LOCALE, timezoneId: ZONE }, EXPECTED_CONSOLE);

  beforeAll(async () => {
    served = await serve({ SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    await configureR2(served.t, await createTestBucket('web-trends'));
    runs = [];
    // Empty databases first, then growing ones: archives more than 20 times apart.
    runs.push(await backup(served));
    await seedDatabases(served.t.app, { rows: 3000, payloadBytes: 400 });
    runs.push(await backup(served));
    await seedDatabases(served.t.app, { rows: 3000, payloadBytes: 400 });
    runs.push(await backup(served));
    // A wrong secret: the store refuses the next backup for real.
    await served.t.http.put('/api/settings/r2_secret_access_key').send({ value: 'wrong-secret-wrong-secret-wrong-secret00' }).expect(200);
    runs.push(await backup(served));
  }, BROWSER_TEST_MS);
  afterAll(async () => {
    await served?.t.close();
  });

  it(
    'three backups and a failed one: size and duration on German axes, the failure a red cross with its time, code and message, bytes added and the failure share',
    async () => {
      const { page } = tab;
      expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed']);
      const [first, second, third, failed] = runs as [JobBody, JobBody, JobBody, JobBody];
      await page.goto(served.url);
      const section = r2Trend(page);
      await eventually(async () => expect(await text(section.locator('[data-fact="failures"]'))).toMatch(/^1 of 4 runs failed \(25\s%\)$/));
      expect(await trends(page).getByRole('heading', { level: 2 }).innerText()).toBe('Backup trends');

      // Bytes added: the latest archive minus the one before, and the mean of the two differences.
      const latestAdded = (third.size_bytes as number) - (second.size_bytes as number);
      const averageAdded = ((third.size_bytes as number) - (first.size_bytes as number)) / 2;
      expect(latestAdded).toBeGreaterThan(0);
      expect(await text(section.locator('[data-fact="added"]'))).toMatch(
        /^Bytes added per backup: latest \+\d[\d.,]* (bytes|KB|MB), average \+\d[\d.,]* (bytes|KB|MB)$/,
      );
      expect(averageAdded).toBeGreaterThan(0);

      // One dot per archive, one square per run with a duration, one red cross for the failure.
      const chart = section.locator('.trend-plot svg');
      expect(await chart.locator('.trend-size-dot').count()).toBe(3);
      expect(await chart.locator('.trend-duration-dot').count()).toBe(3);
      const date = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short', timeZone: ZONE }).format(new Date(failed.finished_at));
      expect(date).toMatch(/^\d\d\.\d\d\.\d{4}, \d\d:\d\d$/);
      const mark = section.getByRole('img', { name: `Failed backup, ${date}: ${failed.error_code}, ${failed.error}`, exact: true });
      expect(await mark.count()).toBe(1);
      expect(failed.error_code).toMatch(/^[A-Z_]+$/);
      expect(await mark.locator('path').evaluate((el) => getComputedStyle(el).stroke)).toBe(RED);

      // Axis labels in German, times on Berlin's clock: the caption is the day's date as Germans write it.
      const day = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeZone: ZONE }).format(new Date(third.finished_at));
      expect(await section.locator('.trend-caption').textContent()).toBe(day);
      const times = await tickLabels(section, 'time');
      expect(times.length).toBeGreaterThanOrEqual(2);
      for (const label of times) expect(label).toMatch(/^\d\d:\d\d(:\d\d)?$/);
      // The hours of Berlin's clock, not the service's UTC.
      const berlinHours = runs.map((r) =>
        new Intl.DateTimeFormat(LOCALE, { hour: '2-digit', minute: '2-digit', timeZone: ZONE }).format(new Date(r.finished_at)).slice(0, 2),
      );
      for (const label of times) expect(berlinHours).toContain(label.slice(0, 2));
      const sizes = await tickLabels(section, 'size');
      for (const label of sizes) expect(label).toMatch(/^\d+(,\d+)? (bytes|KB|MB)$/);
      const durations = await tickLabels(section, 'duration');
      for (const label of durations) expect(label).toMatch(/^\d+(,\d+)? (ms|s|min)$/);
      expect([...sizes, ...durations].join(' ')).not.toMatch(/\d\.\d/);
    },
    BROWSER_TEST_MS,
  );

  it(
    'the legend from the keyboard: Space and Enter hide and show size and duration, the failed runs and the log scale; the pressed state is announced',
    async () => {
      const { page } = tab;
      await page.goto(served.url);
      const section = r2Trend(page);
      const chart = section.locator('.trend-plot svg');
      await eventually(async () => expect(await chart.locator('.trend-size-dot').count()).toBe(3));

      const size = legend(section, 'Archive size');
      expect(await size.getAttribute('aria-pressed')).toBe('true');
      await size.focus();
      await page.keyboard.press('Space');
      await eventually(async () => expect(await size.getAttribute('aria-pressed')).toBe('false'));
      expect(await chart.locator('.trend-size-dot').count()).toBe(0);
      expect(await chart.locator('.trend-duration-dot').count()).toBe(3);

      // Tab moves on to Duration; Enter hides it.
      await page.keyboard.press('Tab');
      expect((await focused(page))?.text).toBe('Duration');
      await page.keyboard.press('Enter');
      await eventually(async () => expect(await legend(section, 'Duration').getAttribute('aria-pressed')).toBe('false'));
      expect(await chart.locator('.trend-duration-dot').count()).toBe(0);

      await page.keyboard.press('Tab');
      expect((await focused(page))?.text).toBe('Failed runs');
      await page.keyboard.press('Space');
      await eventually(async () => expect(await section.getByRole('img', { name: /^Failed backup, / }).count()).toBe(0));
      await page.keyboard.press('Space');
      await eventually(async () => expect(await section.getByRole('img', { name: /^Failed backup, / }).count()).toBe(1));

      // Size back on, then the log scale the spread sizes offer: its ticks are powers of ten.
      await size.focus();
      await page.keyboard.press('Enter');
      await eventually(async () => expect(await chart.locator('.trend-size-dot').count()).toBe(3));
      const [first, , third] = runs as [JobBody, JobBody, JobBody];
      expect((third.size_bytes as number) / (first.size_bytes as number)).toBeGreaterThan(20);
      expect(await text(section.locator('.trend-hint'))).toMatch(/more than 20 times apart: a log scale shows the small ones too\.$/);
      const log = legend(section, 'Log scale');
      expect(await log.getAttribute('aria-pressed')).toBe('false');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      expect((await focused(page))?.text).toBe('Log scale');
      await page.keyboard.press('Enter');
      await eventually(async () => expect(await log.getAttribute('aria-pressed')).toBe('true'));
      const logTicks = await tickLabels(section, 'size');
      for (const label of logTicks) expect(label).toMatch(/^(1|2|5|10|20|50|100|200|500) (bytes|KB|MB)$/);
      expect(await text(section.locator('.trend-hint'))).toMatch(/the size axis is logarithmic, so the small ones show too\.$/);
      expect(await chart.getAttribute('aria-label')).toMatch(/left axis, logarithmic\)/);
    },
    BROWSER_TEST_MS,
  );

  it(
    'at 390 and 1280 pixels: nothing wider than the screen, the chart and its data table within the card, no accessibility problem in the trends',
    async () => {
      const { page } = tab;
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(served.url);
        const section = r2Trend(page);
        await eventually(async () => expect(await section.locator('.trend-plot .trend-size-dot').count()).toBe(3));
        const box = await section.locator('.trend-plot svg').boundingBox();
        expect(box).not.toBeNull();
        expect({ width, right: Math.round((box?.x ?? 0) + (box?.width ?? 0)) <= width }).toEqual({ width, right: true });
        // The data table, opened, with the failure's long code and message, fits too.
        await section.getByText('Show the data as a table').click();
        const table = await section.locator('.trend-table table').boundingBox();
        expect({ width, right: Math.round((table?.x ?? 0) + (table?.width ?? 0)) <= width }).toEqual({ width, right: true });
        expect({ width, scroll: await scrollWidth(page) }).toEqual({ width, scroll: width });
        expect({ width, problems: await accessibilityProblems(page, trends(page), { widths: [width] }) }).toEqual({ width, problems: [] });
      }
    },
    BROWSER_TEST_MS,
  );
});
