/**
 * The admin page's monitoring (issue 15) in a real browser (Debian's Chromium driven by playwright-core)
 * against the whole service on a loopback port: a webhook channel added, tested and deleted through the
 * page, with a real HTTP receiver on loopback; the delivery log; and the status line of a target after a
 * real failure and a real success. Only the local folder target: no S3 server needed.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { type HttpReceiver, startHttpReceiver } from './support/http-receiver.js';
import { seedDatabases } from './support/seed.js';
import { accessibilityProblems } from './web/a11y.js';
import { collectPageErrors, eventually, focused, launchBrowser, scrollWidth } from './web/browser.js';
import { ensureWebBuilt } from './web/build.js';
import { type Served, serve, text } from './web/serve.js';

const BROWSER_TEST_MS = 180_000;
/** A list asked of an unconfigured target (R2) answers 409, a refused channel 400: not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/];
/** The webhook's URL token and signing secret: never on the page, in an API answer, or in the log. */
const URL_TOKEN = 'url-token-5f1d0c7a9b2e';
const SIGNING_SECRET = 'signing-secret-8c3e1a6f4d';
const HEADER_SECRET = 'header-secret-2b7d9e0c1a';
/** --danger in styles.css. */
const RED = 'rgb(180, 35, 24)';

// The browser's globals used inside the page (the test project is compiled without the DOM library).
declare function getComputedStyle(element: unknown): { borderLeftColor: string; color: string };

function notifications(page: Page): Locator {
  return page.getByRole('region', { name: 'Notifications', exact: true });
}

function statusLine(page: Page, target: 'local' | 'r2'): Locator {
  return page.getByRole('region', { name: 'Backup status', exact: true }).locator(`li[data-target="${target}"]`);
}

let browser: Browser;

beforeAll(async () => {
  ensureWebBuilt();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('Admin page in a browser: notifications and status', () => {
  let served: Served;
  let receiver: HttpReceiver;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    served = await serve();
    await seedDatabases(served.t.app, { rows: 50 });
    receiver = await startHttpReceiver({ status: 202, body: 'accepted by the test receiver' });
  });
  afterAll(async () => {
    await receiver?.close();
    await served?.t.close();
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = collectPageErrors(page, EXPECTED_CONSOLE);
  });
  afterEach(async () => {
    await context.close();
    expect(errors).toEqual([]);
  });

  it(
    'adds a webhook channel through the page, Test shows the receiver’s answer and the receiver gets a signed, well-formed body, the delivery log lists it, and Delete removes it',
    async () => {
      await page.goto(served.url);
      const card = notifications(page);
      await eventually(async () => expect(await text(card)).toContain('No channels yet'));
      await card.getByRole('button', { name: 'Add channel' }).click();

      const form = card.getByRole('form', { name: 'Add a channel' });
      await form.waitFor();
      expect((await focused(page))?.text).toBe('Add a channel');
      // A new channel's events: failures on, successes off.
      expect(await form.getByLabel('Backup failed').isChecked()).toBe(true);
      expect(await form.getByLabel('Backup overdue').isChecked()).toBe(true);
      expect(await form.getByLabel('Backup succeeded').isChecked()).toBe(false);
      // The fields follow the type.
      await form.getByLabel('Type').selectOption('email');
      expect(await form.getByLabel('SMTP server').isVisible()).toBe(true);
      expect(await form.getByLabel('URL').count()).toBe(0);
      expect(await accessibilityProblems(page, form)).toEqual([]);
      await form.getByLabel('Type').selectOption('webhook');
      expect(await form.getByLabel('SMTP server').count()).toBe(0);

      // A URL that is not http(s): the API's 400 shows next to the field, and nothing is created.
      await form.getByLabel('Name').fill('Ops webhook');
      await form.getByLabel('URL').fill('ftp://127.0.0.1/hook');
      await form.getByRole('button', { name: 'Add channel' }).click();
      const url = form.getByLabel('URL');
      await eventually(async () => expect(await url.getAttribute('aria-invalid')).toBe('true'));
      const errorId = (await url.getAttribute('aria-describedby'))?.split(' ').find((id) => id.endsWith('-error'));
      expect(await text(page.locator(`#${errorId}`))).toMatch(/url/i);
      expect((await focused(page))?.id).toBe(await url.getAttribute('id'));
      expect((await served.t.http.get('/api/notifications/channels').expect(200)).body).toEqual([]);
      expect(await accessibilityProblems(page, form)).toEqual([]);

      await url.fill(`${receiver.origin}/hook/${URL_TOKEN}`);
      await form.getByLabel('Signing secret (optional)').fill(SIGNING_SECRET);
      await form.getByLabel('Extra headers (optional)').fill(`X-Team-Token: ${HEADER_SECRET}`);
      await form.getByLabel('Backup succeeded').check();
      await form.getByRole('button', { name: 'Add channel' }).click();
      await form.waitFor({ state: 'detached' });

      const channel = card.locator('li.channel');
      await channel.waitFor();
      expect(await text(card.locator('.form-status'))).toBe('Channel Ops webhook added.');
      // Where it sends: the scheme and host only (the rest of the URL carries the token).
      expect(await text(channel)).toContain(`Ops webhook Webhook Enabled Sends to ${receiver.origin} Events:`);
      expect(await text(channel)).toContain(
        'Events: Backup failed, Backup overdue, Verification failed, Rotation failed, Restore failed, Local disk low, Backup succeeded',
      );
      // Write-only: the URL's token, the secret and the header's value are not on the page, nor in the API's answer.
      const listed = (await served.t.http.get('/api/notifications/channels').expect(200)).text;
      for (const secret of [URL_TOKEN, SIGNING_SECRET, HEADER_SECRET]) {
        expect((await page.content()).includes(secret)).toBe(false);
        expect(listed.includes(secret)).toBe(false);
      }
      const [stored] = JSON.parse(listed) as Array<{ id: string; events: string[] }>;
      expect(stored?.events).toContain('backup.succeeded');

      // Test: the receiver's answer on the page; the body the receiver got, and its signature.
      const before = receiver.requests.length;
      await channel.getByRole('button', { name: 'Test Ops webhook' }).click();
      const outcome = channel.locator('.test-result');
      await outcome.waitFor({ timeout: 30_000 });
      expect(await outcome.getAttribute('role')).toBe('status');
      expect(await text(outcome)).toMatch(/^Test message delivered .*HTTP 202.*accepted by the test receiver/);
      expect(receiver.requests.length).toBe(before + 1);
      const received = receiver.requests[before]!;
      expect(received.method).toBe('POST');
      expect(received.url).toBe(`/hook/${URL_TOKEN}`);
      expect(received.headers['content-type']).toMatch(/^application\/json/);
      expect(received.headers['x-team-token']).toBe(HEADER_SECRET);
      const expected = createHmac('sha256', SIGNING_SECRET).update(received.body).digest('hex');
      expect(received.headers['x-sentinel-signature']).toBe(`sha256=${expected}`);
      const body = JSON.parse(received.body.toString('utf8'));
      expect(body).toMatchObject({ event: 'test', message: expect.any(String) });
      expect(body).toHaveProperty('target');
      expect(new Date(body.time).toISOString()).toBe(body.time);
      expect(received.body.toString('utf8')).not.toContain(SIGNING_SECRET);

      // The delivery log: the test message, delivered, with the receiver's answer.
      const log = card.locator('.delivery-log');
      const row = log.locator('tbody tr').first();
      await eventually(async () => expect(await row.getAttribute('data-state')).toBe('delivered'));
      expect(await text(row)).toMatch(/Ops webhook Test message .*Delivered HTTP 202/);
      expect(await accessibilityProblems(page, card)).toEqual([]);

      // Edit keeps the secrets when left empty: the next test is still signed with the stored secret.
      await channel.getByRole('button', { name: 'Edit Ops webhook' }).click();
      const edit = card.getByRole('form', { name: 'Edit Ops webhook' });
      await edit.waitFor();
      expect(await edit.getByLabel('URL').inputValue()).toBe('');
      expect(await edit.getByLabel('URL').getAttribute('placeholder')).toBe('Stored – leave empty to keep it');
      expect(await edit.getByLabel('Signing secret (optional)').inputValue()).toBe('');
      expect(await accessibilityProblems(page, edit)).toEqual([]);
      await edit.getByLabel('Name').fill('Ops hook');
      await edit.getByRole('button', { name: 'Save channel' }).click();
      await edit.waitFor({ state: 'detached' });
      await channel.getByRole('button', { name: 'Test Ops hook' }).click();
      await receiver.received(before + 2);
      const again = receiver.requests[before + 1]!;
      expect(again.url).toBe(`/hook/${URL_TOKEN}`);
      expect(again.headers['x-sentinel-signature']).toBe(`sha256=${createHmac('sha256', SIGNING_SECRET).update(again.body).digest('hex')}`);

      // Delete asks first; Cancel keeps the channel, confirming removes it.
      await channel.getByRole('button', { name: 'Delete Ops hook' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete this channel?' });
      await dialog.waitFor();
      expect(await text(dialog)).toContain('Ops hook (Webhook) stops receiving notifications');
      expect(await accessibilityProblems(page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect(await channel.count()).toBe(1);
      await channel.getByRole('button', { name: 'Delete Ops hook' }).click();
      await dialog.getByRole('button', { name: 'Delete channel' }).click();
      await channel.waitFor({ state: 'detached' });
      expect(await text(card.locator('.form-status'))).toBe('Channel Ops hook deleted.');
      expect((await served.t.http.get('/api/notifications/channels').expect(200)).body).toEqual([]);

      const serviceLog = fs.readFileSync(served.t.logFile, 'utf8');
      for (const secret of [URL_TOKEN, SIGNING_SECRET, HEADER_SECRET]) expect(serviceLog.includes(secret)).toBe(false);
    },
    BROWSER_TEST_MS,
  );

  it(
    'Test shows why a channel could not be reached, in words, and the page stays usable',
    async () => {
      const down = await startHttpReceiver({ status: 404, body: 'no such hook' });
      const created = await served.t.http
        .post('/api/notifications/channels')
        .send({ name: 'Deleted hook', type: 'webhook', url: `${down.origin}/gone`, events: ['backup.failed'] })
        .expect(201);
      try {
        await page.goto(served.url);
        const channel = notifications(page).locator(`li[data-channel="${created.body.id}"]`);
        await channel.getByRole('button', { name: 'Test Deleted hook' }).click();
        const outcome = channel.locator('.test-result');
        await outcome.waitFor({ timeout: 30_000 });
        expect(await outcome.getAttribute('role')).toBe('alert');
        expect(await text(outcome)).toMatch(/^Test message not delivered .*404/);
        expect(await accessibilityProblems(page, notifications(page))).toEqual([]);

        // At phone width the channel, its test result and the form fit the screen.
        await page.setViewportSize({ width: 320, height: 800 });
        await notifications(page).getByRole('button', { name: 'Add channel' }).click();
        await notifications(page).getByRole('form', { name: 'Add a channel' }).waitFor();
        expect(await scrollWidth(page)).toBeLessThanOrEqual(320);
      } finally {
        await down.close();
        await served.t.http.delete(`/api/notifications/channels/${created.body.id}`).expect((r) => expect([200, 204]).toContain(r.status));
      }
    },
    BROWSER_TEST_MS,
  );

  it(
    'the status line of a target turns red and says why after a real failure, and OK after a success',
    async () => {
      await page.goto(served.url);
      const line = statusLine(page, 'local');
      await line.waitFor();
      const localCard = page.getByRole('region', { name: 'Local folder', exact: true });

      // A backup folder below a file cannot be made: the backup fails for real.
      const notAFolder = path.join(served.t.root, 'a-file');
      fs.writeFileSync(notAFolder, 'not a folder');
      await served.t.http
        .put('/api/settings/local_backup_dir')
        .send({ value: path.join(notAFolder, 'backups') })
        .expect(200);
      try {
        await localCard.getByRole('button', { name: 'Backup Now' }).click();
        await eventually(async () => expect(await line.getAttribute('data-state')).toBe('failing'), 30_000);
        // In words, not colour alone; and in red.
        expect(await text(line)).toMatch(/^✗ ?Local folder: Failing .*: last failure today .+, just now: .*a-file.* [A-Z_]+ /);
        expect(await line.evaluate((el) => getComputedStyle(el).borderLeftColor)).toBe(RED);
        expect(await line.locator('.status-state').evaluate((el) => getComputedStyle(el).color)).toBe(RED);
        expect(await accessibilityProblems(page, page.getByRole('region', { name: 'Backup status', exact: true }))).toEqual([]);
        expect((await served.t.http.get('/api/status').expect(200)).body).toMatchObject({ state: 'failing' });
        // Screen readers hear the change (the page's polite live region).
        await eventually(async () => expect(await text(page.locator('[aria-live="polite"]').last())).toMatch(/^Local folder backups are failing: .*a-file/));
      } finally {
        await served.t.http
          .put('/api/settings/local_backup_dir')
          .send({ value: path.join(served.t.dataDir, 'backups') })
          .expect(200);
      }

      await page.reload();
      await localCard.getByRole('button', { name: 'Backup Now' }).click();
      await eventually(async () => expect(await line.getAttribute('data-state')).toBe('ok'), 60_000);
      expect(await text(line)).toMatch(/^✓ ?Local folder: OK Last success: today .+, just now/);
      expect(await line.evaluate((el) => getComputedStyle(el).borderLeftColor)).not.toBe(RED);
    },
    BROWSER_TEST_MS,
  );
});
