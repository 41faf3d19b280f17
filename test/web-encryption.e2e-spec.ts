/**
 * The admin page's encryption (issue 14) in a real browser (Debian's Chromium driven by playwright-core)
 * against the whole service on a loopback port: turning encryption on with its recovery key, the
 * backup list's marks, and restores that need the recovery key or the user's trust. The recovery key
 * is checked with the real `age-keygen` (its public key) and used as the downloaded recovery-key.txt.
 * Only the local folder target: no S3 server needed (SENTINEL_TEST_S3=off is fine).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, ConsoleMessage, Locator, Page } from 'playwright-core';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import type { TestApp } from './support/test-app.js';
import { accessibilityProblems } from './web/a11y.js';
import { collectPageErrors, eventually, focused, launchBrowser, storedValues } from './web/browser.js';
import { ensureWebBuilt } from './web/build.js';
import { rowAction } from './web/row-menu.js';
import { type Served, serve, text } from './web/serve.js';

const BROWSER_TEST_MS = 180_000;
/** A list asked of an unconfigured target answers 409, and the refused restores answer 409/422: not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/];
const IDENTITY = /AGE-SECRET-KEY-1[0-9A-Z]+/;

/** The local folder's encryption card (beside its settings card). */
function encryptionSection(page: Page): Locator {
  return page.getByRole('region', { name: 'Local folder: encryption', exact: true });
}

function backupRow(page: Page, filename: string): Locator {
  return page.getByRole('region', { name: 'Local folder backups', exact: true }).locator(`tr[data-filename="${filename}"]`);
}

async function backupVia(t: TestApp): Promise<string> {
  const started = await t.http.post('/api/backups/local').expect(202);
  const job = await waitForJob(t.http, started.body.id);
  expect(job).toMatchObject({ status: 'succeeded' });
  return job.filename;
}

/** A fresh identity from the real age-keygen (a key that opens nothing of this service's). */
function otherIdentity(): string {
  return (IDENTITY.exec(execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as RegExpExecArray)[0];
}

/** Starts a restore of `filename` from its row, staged without a restart. */
async function startRestore(page: Page, filename: string): Promise<void> {
  await rowAction(page, backupRow(page, filename), 'Restore');
  const confirm = page.getByRole('dialog', { name: 'Restore this backup?' });
  await confirm.waitFor();
  await confirm.getByLabel('Restart the service now to apply it').uncheck();
  await confirm.getByRole('button', { name: 'Restore backup' }).click();
}

let browser: Browser;

beforeAll(async () => {
  ensureWebBuilt();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('Admin page in a browser: encryption in write-only mode (local folder)', () => {
  let served: Served;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  /** Everything the page wrote to the console, of every kind: the recovery key must never be in it. */
  let consoleText: string[];
  /** The recovery-key.txt the page downloaded, and the key in it. */
  let recoveryFile: string;
  let recoveryKey: string;
  let recipient: string;
  let encryptedBackup: string;

  beforeAll(async () => {
    served = await serve();
    await seedDatabases(served.t.app, { rows: 50 });
  });
  afterAll(() => served.t.close());

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    errors = collectPageErrors(page, EXPECTED_CONSOLE);
    consoleText = [];
    page.on('console', (message: ConsoleMessage) => consoleText.push(message.text()));
  });
  afterEach(async () => {
    await context.close();
    await served.t.http.delete('/api/backups/local/restore/staged');
    expect(errors).toEqual([]);
    if (recoveryKey) expect(consoleText.some((line) => line.includes(recoveryKey))).toBe(false);
  });

  it(
    'turns encryption on: the recovery key is shown once, Confirm waits for the checkbox, then encryption is active and the key is gone from the page',
    async () => {
      await page.goto(served.url);
      const section = encryptionSection(page);
      await eventually(async () => expect(await text(section.locator('.encryption-state'))).toMatch(/^Off: new backups are stored unencrypted/));

      await section.getByLabel('Write-only: the server keeps no key').check();
      expect(await text(section)).toContain('Only the public key stays here');
      await section.getByRole('button', { name: 'Turn on encryption' }).click();

      const panel = section.getByRole('region', { name: 'Your recovery key' });
      await panel.waitFor();
      // The keyboard follows the panel.
      expect((await focused(page))?.text).toBe('Your recovery key');
      const keyField = panel.getByLabel('Recovery key', { exact: true });
      recoveryKey = await keyField.inputValue();
      expect(recoveryKey).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/);
      expect(await keyField.getAttribute('readonly')).not.toBeNull();
      expect(await text(section.locator('.encryption-state'))).toMatch(/^Not active yet/);
      const answer = (await served.t.http.get('/api/encryption/local').expect(200)).body;
      expect(answer).toMatchObject({ state: 'awaiting_confirmation', write_only: true });
      recipient = answer.key_recipient ?? answer.pending_recipient;
      expect(recipient).toMatch(/^age1/);

      // recovery-key.txt: age-keygen's layout, and the real age-keygen derives the same public key from it.
      const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Download recovery-key.txt' }).click()]);
      expect(download.suggestedFilename()).toBe('recovery-key.txt');
      recoveryFile = path.join(served.t.root, 'recovery-key.txt');
      await download.saveAs(recoveryFile);
      const file = fs.readFileSync(recoveryFile, 'utf8');
      // Compared without printing: a failure must not put the key in the test output.
      expect(new RegExp(`^# created: \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z\\n# public key: ${recipient}\\n${recoveryKey}\\n$`).test(file)).toBe(true);
      expect(execFileSync('age-keygen', ['-y', recoveryFile], { encoding: 'utf8' }).trim()).toBe(recipient);

      expect(await accessibilityProblems(page, section)).toEqual([]);

      const confirmButton = panel.getByRole('button', { name: 'Confirm' });
      expect(await confirmButton.isDisabled()).toBe(true);
      await panel.getByLabel('I have stored this recovery key somewhere other than this server').check();
      expect(await confirmButton.isDisabled()).toBe(false);
      await confirmButton.click();

      await panel.waitFor({ state: 'detached' });
      await eventually(async () => expect(await text(section.locator('.encryption-state'))).toMatch(/^On: .*Write-only: the server keeps no key/));
      expect((await served.t.http.get('/api/encryption/local').expect(200)).body).toMatchObject({ state: 'active', write_only: true });
      expect(await accessibilityProblems(page, section)).toEqual([]);

      // Gone from the page once confirmed: not in storage, the address, or the document.
      const stored = await storedValues(page);
      expect([...stored.session, ...stored.local].some((v) => v.includes(recoveryKey))).toBe(false);
      expect(page.url().includes(recoveryKey)).toBe(false);
      expect((await page.content()).includes(recoveryKey)).toBe(false);
    },
    BROWSER_TEST_MS,
  );

  it(
    'lists an encrypted backup with its lock and the key it needs',
    async () => {
      encryptedBackup = await backupVia(served.t);
      expect(encryptedBackup).toMatch(/\.tar\.gz\.age$/);
      await page.goto(served.url);
      const row = backupRow(page, encryptedBackup);
      await row.waitFor();
      const lock = row.locator('.lock-tag');
      expect(await text(lock)).toMatch(new RegExp(`^Encrypted · key ${recipient.slice(0, 8)}…${recipient.slice(-4)}`));
      // The full key for a pointer (title) and for screen readers.
      expect(await lock.locator('code').getAttribute('title')).toBe(recipient);
      expect(await lock.locator('code .visually-hidden').textContent()).toBe(recipient);
      expect(await text(row)).not.toContain('Not made by this installation');
    },
    BROWSER_TEST_MS,
  );

  it(
    'Verify of the write-only backup is limited to the stored archive, and its recovery key makes it a full verification',
    async () => {
      await page.goto(served.url);
      const row = backupRow(page, encryptedBackup);
      await rowAction(page, row, 'Verify');
      const report = page.getByRole('status', { name: `Verification of ${encryptedBackup}` });
      await report.waitFor({ timeout: 60_000 });
      expect(await text(report)).toContain('Limited verification: this backup is encrypted and the server keeps no key for it');
      expect(await report.locator('tbody tr').count()).toBe(0);

      await report.getByRole('button', { name: `Verify with the recovery key ${encryptedBackup}` }).click();
      const dialog = page.getByRole('dialog', { name: 'This backup needs its recovery key' });
      await dialog.waitFor();
      expect(await text(dialog.locator('#access-reason'))).toMatch(/^Only the stored archive was checked/);
      await dialog.getByLabel('Or load recovery-key.txt').setInputFiles(recoveryFile);
      await eventually(async () => expect((await dialog.getByLabel('Recovery key', { exact: true }).inputValue()).includes(recoveryKey)).toBe(true));
      await dialog.getByRole('button', { name: 'Verify with this key' }).click();
      await dialog.waitFor({ state: 'hidden', timeout: 60_000 });

      await eventually(async () => expect(await report.locator('tbody tr').count()).toBe(7), 60_000);
      expect(await text(report)).not.toContain('Limited verification');
      expect(await text(report)).toMatch(/^✓ /);
      expect((await page.content()).includes(recoveryKey)).toBe(false);
    },
    BROWSER_TEST_MS,
  );

  it(
    'a restore of the write-only backup asks for the recovery key: a wrong key is refused in the dialog, the downloaded recovery-key.txt works',
    async () => {
      await page.goto(served.url);
      await backupRow(page, encryptedBackup).waitFor();
      await startRestore(page, encryptedBackup);

      const dialog = page.getByRole('dialog', { name: 'This backup needs its recovery key' });
      await dialog.waitFor({ timeout: 60_000 });
      expect(await text(dialog)).toContain(encryptedBackup);
      const reason = dialog.locator('#access-reason');
      expect(await text(reason)).toMatch(/key/i);
      expect(await accessibilityProblems(page, dialog)).toEqual([]);
      expect((await focused(page))?.id).toBe('access-key');

      const keyField = dialog.getByLabel('Recovery key', { exact: true });
      // Not a key at all: said before anything is sent.
      await keyField.fill('age1notasecret');
      await dialog.getByRole('button', { name: 'Restore with this key' }).click();
      expect(await text(dialog.locator('#access-problem'))).toMatch(/That is not a recovery key/);

      // Another key: the service refuses it, the dialog says why, and the key typed is dropped.
      const wrongKey = otherIdentity();
      await keyField.fill(wrongKey);
      const firstReason = await text(reason);
      const refusals = await dialog.locator('form').getAttribute('data-refusals');
      await dialog.getByRole('button', { name: 'Restore with this key' }).click();
      await eventually(async () => expect(await dialog.locator('form').getAttribute('data-refusals')).not.toBe(refusals), 60_000);
      expect((await keyField.inputValue()).length).toBe(0);
      expect(await dialog.isVisible()).toBe(true);
      expect(await text(reason)).toMatch(/key/i);
      expect(firstReason.length).toBeGreaterThan(0);
      expect((await served.t.http.get('/api/restore/status').expect(200)).body.staged).toBeNull();

      // The recovery-key.txt the page gave: the restore is staged.
      await dialog.getByLabel('Or load recovery-key.txt').setInputFiles(recoveryFile);
      await eventually(async () => expect((await keyField.inputValue()).includes(recoveryKey)).toBe(true));
      await dialog.getByRole('button', { name: 'Restore with this key' }).click();
      await dialog.waitFor({ state: 'hidden', timeout: 120_000 });
      const banner = page.getByRole('region', { name: 'Staged restore' });
      await banner.waitFor({ timeout: 120_000 });
      expect((await served.t.http.get('/api/restore/status').expect(200)).body.staged).toMatchObject({ archive: encryptedBackup, target: 'local' });
      // The key went with the request: not on the page any more.
      expect((await page.content()).includes(recoveryKey)).toBe(false);
      const stored = await storedValues(page);
      expect([...stored.session, ...stored.local].some((v) => v.includes(recoveryKey))).toBe(false);
    },
    BROWSER_TEST_MS,
  );

  it(
    'marks a backup this installation did not make, and restores it only after "I trust this archive" (and its recovery key)',
    async () => {
      // The same bytes under another name: a valid age file, but not one this installation wrote there.
      const foreign = `${backupFilename(new Date(Date.now() - 3600_000))}.age`;
      const folder = path.join(served.t.dataDir, 'backups');
      fs.copyFileSync(path.join(folder, encryptedBackup), path.join(folder, foreign));

      await page.goto(served.url);
      const row = backupRow(page, foreign);
      await row.waitFor();
      expect(await text(row)).toContain('Not made by this installation');
      expect(await text(row.locator('.lock-tag'))).toMatch(/^Encrypted/);

      await startRestore(page, foreign);
      // The service may ask for trust first or for the key first: the dialog answers each refusal in turn.
      const dialog = page.locator('dialog.dialog[open]').filter({ has: page.locator('#access-reason') });
      let trusted = false;
      await eventually(async () => expect(await dialog.count()).toBe(1), 60_000);
      let rounds = 0;
      for (; rounds < 4 && (await dialog.count()) > 0; rounds++) {
        const refusals = await dialog.locator('form').getAttribute('data-refusals');
        const title = await text(dialog.locator('h2'));
        if (title === 'This backup was not made by this installation') {
          expect(await text(dialog.locator('#access-reason'))).toMatch(/made|record|installation/i);
          expect(await accessibilityProblems(page, dialog)).toEqual([]);
          const submit = dialog.getByRole('button', { name: 'Restore this archive' });
          await submit.click();
          expect(await text(dialog.locator('#access-problem'))).toMatch(/Tick “I trust this archive”/);
          await dialog.getByLabel('I trust this archive').check();
          // Asked right after a key was sent (and dropped): the same form asks for the key again.
          if ((await dialog.locator('#access-key').count()) > 0) {
            expect(await text(dialog)).toContain('The recovery key you gave was used for that one request and then dropped');
            await dialog.getByLabel('Or load recovery-key.txt').setInputFiles(recoveryFile);
            await eventually(async () => expect((await dialog.getByLabel('Recovery key', { exact: true }).inputValue()).includes(recoveryKey)).toBe(true));
          }
          await submit.click();
          trusted = true;
        } else {
          expect(title).toBe('This backup needs its recovery key');
          await dialog.getByLabel('Or load recovery-key.txt').setInputFiles(recoveryFile);
          await eventually(async () => expect((await dialog.getByLabel('Recovery key', { exact: true }).inputValue()).includes(recoveryKey)).toBe(true));
          await dialog.getByRole('button', { name: 'Restore with this key' }).click();
        }
        // The answer: the dialog closes, or shows the next refusal.
        await eventually(async () => {
          if ((await dialog.count()) > 0) expect(await dialog.locator('form').getAttribute('data-refusals')).not.toBe(refusals);
        }, 120_000);
      }
      expect(trusted).toBe(true);
      // Each refusal was answered once: trust and the key, in whichever order the service asks.
      expect(rounds).toBeLessThanOrEqual(2);
      await dialog.waitFor({ state: 'detached', timeout: 120_000 });
      await page.getByRole('region', { name: 'Staged restore' }).waitFor({ timeout: 120_000 });
      expect((await served.t.http.get('/api/restore/status').expect(200)).body.staged).toMatchObject({ archive: foreign, target: 'local' });
    },
    BROWSER_TEST_MS,
  );
});

describe('Admin page in a browser: a key the server keeps (local folder)', () => {
  let served: Served;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    served = await serve();
  });
  afterAll(() => served.t.close());

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
    'Export asks first and says it is audited; Rotate shows a new recovery key to confirm; Turn off says older backups stay restorable',
    async () => {
      await page.goto(served.url);
      const section = encryptionSection(page);
      await section.getByRole('button', { name: 'Turn on encryption' }).click();
      const panel = section.getByRole('region', { name: 'Your recovery key' });
      const first = await panel.getByLabel('Recovery key', { exact: true }).inputValue();
      await panel.getByLabel('I have stored this recovery key somewhere other than this server').check();
      await panel.getByRole('button', { name: 'Confirm' }).click();
      await eventually(async () => expect(await text(section.locator('.encryption-state'))).toBe('On: every new backup is encrypted with age.'));

      // Export: behind a confirmation that says it is recorded; the key shown is the one created.
      await section.getByRole('button', { name: 'Export key' }).click();
      const ask = page.getByRole('dialog', { name: 'Show the recovery key?' });
      await ask.waitFor();
      expect(await text(ask)).toContain('recorded in the activity log');
      await ask.getByRole('button', { name: 'Export key' }).click();
      const exported = section.getByRole('region', { name: 'Recovery key (exported)' });
      await exported.waitFor();
      expect((await exported.getByLabel('Recovery key', { exact: true }).inputValue()) === first).toBe(true);
      await exported.getByRole('button', { name: 'Close the recovery key' }).click();
      await exported.waitFor({ state: 'detached' });
      expect((await page.content()).includes(first)).toBe(false);
      const audit = (await served.t.http.get('/api/audit').expect(200)).body as Array<Record<string, unknown>>;
      expect(JSON.stringify(audit)).toMatch(/export/i);
      expect(JSON.stringify(audit).includes(first)).toBe(false);

      // Rotate: a new key, shown once, to confirm like the first.
      await section.getByRole('button', { name: 'Rotate key' }).click();
      await page.getByRole('dialog', { name: 'Rotate the encryption key?' }).getByRole('button', { name: 'Rotate key' }).click();
      const rotated = section.getByRole('region', { name: 'Your recovery key' });
      await rotated.waitFor();
      const second = await rotated.getByLabel('Recovery key', { exact: true }).inputValue();
      expect(second).toMatch(/^AGE-SECRET-KEY-1/);
      expect(second === first).toBe(false);
      await rotated.getByLabel('I have stored this recovery key somewhere other than this server').check();
      await rotated.getByRole('button', { name: 'Confirm' }).click();
      await rotated.waitFor({ state: 'detached' });

      // Turn off: confirmed, and the dialog says what happens to older backups.
      await section.getByRole('button', { name: 'Turn off encryption' }).click();
      const off = page.getByRole('dialog', { name: 'Turn off encryption?' });
      await off.waitFor();
      expect(await text(off)).toMatch(/Older encrypted backups stay restorable/);
      await off.getByRole('button', { name: 'Turn off encryption' }).click();
      await eventually(async () => expect(await text(section.locator('.encryption-state'))).toMatch(/^Off: /));
      expect((await served.t.http.get('/api/encryption/local').expect(200)).body).toMatchObject({ state: 'off' });
      expect(await accessibilityProblems(page)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );
});
