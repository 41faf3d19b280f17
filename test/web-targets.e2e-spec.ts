/**
 * The admin page's targets (issue 16) in a real browser (Debian's Chromium driven by playwright-core) against
 * the whole service on a loopback port, with two real folder targets: one added through the page (a wrong folder
 * first: the API's 400 at the field, nothing stored), a second one edited (a wrong cron expression: the error at
 * the field, and nothing of that save stored), set to replicate from the first; a backup run from the page shows
 * its copy at the replica on its row; a copy removed from the replica shows as missing, Sync Now lists it from
 * the dry run and copies it back; the replica is deleted through both confirmations, its backup left on disk.
 * With the S3 server: an S3 target added through the page passes Test Connection, and its secret is never shown
 * back (not on the page, not in the API's answers) and is kept when the target is edited without it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { createTestBucket, describeS3, testS3 } from './support/s3-server.js';
import { seedDatabases } from './support/seed.js';
import { makeScratchDir } from './support/test-app.js';
import { accessibilityProblems } from './web/a11y.js';
import { collectPageErrors, eventually, focused, launchBrowser } from './web/browser.js';
import { ensureWebBuilt } from './web/build.js';
import { type Served, serve, text } from './web/serve.js';
import { openSettings } from './web/target-card.js';

const BROWSER_TEST_MS = 240_000;
/** The unconfigured R2's list answers 409 and a refused save 400: not page errors. */
const EXPECTED_CONSOLE = [/Failed to load resource/];

function targetsCard(page: Page): Locator {
  return page.getByRole('region', { name: 'Targets', exact: true });
}

function targetRow(page: Page, id: string): Locator {
  return targetsCard(page).locator(`li.target-row[data-target="${id}"]`);
}

function backupsOf(page: Page, name: string): Locator {
  return page.getByRole('region', { name: `${name} backups`, exact: true });
}

/** The error shown next to an input, found through its aria-describedby as a screen reader would. */
async function fieldError(page: Page, input: Locator): Promise<string> {
  expect(await input.getAttribute('aria-invalid')).toBe('true');
  const id = (await input.getAttribute('aria-describedby'))?.split(' ').find((d) => d.endsWith('-error'));
  expect(id).toBeDefined();
  return text(page.locator(`#${id}`));
}

let browser: Browser;

beforeAll(async () => {
  ensureWebBuilt();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('Admin page in a browser: targets and replication', () => {
  let served: Served;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let folderA: string;
  let folderB: string;

  beforeAll(async () => {
    served = await serve({ SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    await seedDatabases(served.t.app, { rows: 50 });
    folderA = makeScratchDir('sentinel-web-target-a-');
    folderB = makeScratchDir('sentinel-web-target-b-');
  });
  afterAll(async () => {
    await served?.t.close();
    for (const dir of [folderA, folderB]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
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
    'adds two folder targets, edits one (a wrong cron expression refused at its field, nothing saved), replicates a backup to it, shows its copy held, missing, unknown and synced back, and deletes it through both confirmations',
    async () => {
      await page.goto(served.url);
      const card = targetsCard(page);
      // The built-ins are listed from the API, with their schedules in words.
      await eventually(async () => expect(await targetRow(page, 'local').count()).toBe(1));
      expect(await text(targetRow(page, 'local'))).toMatch(/^Local local Enabled Kind Folder .*Schedule every day at 01:00/);
      expect(await text(targetRow(page, 'r2'))).toContain('S3-compatible store');
      expect(await accessibilityProblems(page, card)).toEqual([]);

      // Add: a relative folder is refused at the field, and nothing is stored.
      await card.getByRole('button', { name: 'Add target' }).click();
      const form = card.getByRole('form', { name: 'Add a target' });
      await form.waitFor();
      expect((await focused(page))?.text).toBe('Add a target');
      expect(await accessibilityProblems(page, form)).toEqual([]);
      await form.getByLabel('Id', { exact: true }).fill('nas-a');
      await form.getByLabel('Label', { exact: true }).fill('NAS A');
      await form.getByLabel('Kind').selectOption('folder');
      const folder = form.getByLabel('Folder', { exact: true });
      await folder.fill('relative/backups');
      await form.getByRole('button', { name: 'Add target' }).click();
      await eventually(async () => expect(await fieldError(page, folder)).toMatch(/path/i));
      expect((await focused(page))?.id).toBe(await folder.getAttribute('id'));
      expect((await served.t.http.get('/api/targets').expect(200)).body.map((t: { id: string }) => t.id)).toEqual(['local', 'r2']);
      expect(await accessibilityProblems(page, form)).toEqual([]);

      await folder.fill(folderA);
      await form.getByRole('button', { name: 'Add target' }).click();
      await form.waitFor({ state: 'detached' });
      await eventually(async () => expect(await text(targetRow(page, 'nas-a'))).toContain(folderA));
      expect(await text(card.getByRole('status').last())).toContain('Target NAS A added.');

      await card.getByRole('button', { name: 'Add target' }).click();
      await form.getByLabel('Id', { exact: true }).fill('nas-b');
      await form.getByLabel('Label', { exact: true }).fill('NAS B');
      await form.getByLabel('Folder', { exact: true }).fill(folderB);
      await form.getByRole('button', { name: 'Add target' }).click();
      await form.waitFor({ state: 'detached' });
      await eventually(async () => expect(await targetRow(page, 'nas-b').count()).toBe(1));
      // Every target gets its backup list.
      await eventually(async () => expect(await text(backupsOf(page, 'NAS B'))).toContain('No backups yet'));

      // Edit: a wrong cron expression with a new label; the error shows at the cron field and neither is saved.
      const rowB = targetRow(page, 'nas-b');
      await rowB.getByRole('button', { name: 'Edit NAS B' }).click();
      const edit = rowB.getByRole('form', { name: 'Edit NAS B' });
      await edit.waitFor();
      expect(await edit.getByLabel('Kind').isDisabled()).toBe(true);
      await edit.getByLabel('Label', { exact: true }).fill('NAS B renamed');
      await edit.getByLabel('Schedule', { exact: true }).selectOption('cron');
      const cron = edit.getByLabel('Cron expression');
      await cron.fill('61 * * * *');
      await edit.getByRole('button', { name: 'Save target' }).click();
      await eventually(async () => expect(await fieldError(page, cron)).toMatch(/schedule/i));
      expect(await text(edit.getByRole('status'))).toContain('Nothing was changed');
      expect((await focused(page))?.id).toBe(await cron.getAttribute('id'));
      expect(await accessibilityProblems(page, edit)).toEqual([]);
      const stored = (await served.t.http.get('/api/targets/nas-b').expect(200)).body;
      expect({ label: stored.label, schedule: stored.schedule }).toEqual({ label: 'NAS B', schedule: 'daily' });

      // A schedule the API takes, and replication from NAS A.
      await edit.getByLabel('Schedule', { exact: true }).selectOption('weekly');
      await edit.getByLabel('Replicate from').selectOption('nas-a');
      await edit.getByRole('button', { name: 'Save target' }).click();
      await edit.waitFor({ state: 'detached' });
      await eventually(async () => expect(await text(rowB)).toMatch(/NAS B renamed .*Schedule .*Sunday.*Replicates from NAS A/));
      expect((await served.t.http.get('/api/targets/nas-b').expect(200)).body).toMatchObject({
        label: 'NAS B renamed',
        schedule: 'weekly',
        replicate_from: 'nas-a',
      });

      // A backup to NAS A from the page: its row shows the copy at NAS B once the replication has run.
      await targetRow(page, 'nas-a').getByRole('button', { name: 'Backup Now NAS A' }).click();
      const listA = backupsOf(page, 'NAS A');
      const replica = listA.locator('tr[data-filename] .replica[data-replica="nas-b"]');
      await eventually(async () => expect(await replica.getAttribute('data-state')).toBe('held'), 90_000, 250);
      expect(await text(replica)).toBe('✓ NAS B renamed: copied');
      const filename = (await listA.locator('tr[data-filename]').getAttribute('data-filename')) as string;
      expect(fs.existsSync(path.join(folderB, filename))).toBe(true);
      expect(await accessibilityProblems(page, listA)).toEqual([]);

      // The copy lost at the replica: missing on the row; Sync Now lists it from the dry run, then copies it.
      fs.rmSync(path.join(folderB, filename));
      await listA.getByRole('button', { name: 'Refresh NAS A backups' }).click();
      await eventually(async () => expect(await replica.getAttribute('data-state')).toBe('missing'));
      expect(await text(replica)).toBe('✗ NAS B renamed: missing');
      await rowB.getByRole('button', { name: 'Sync Now NAS B renamed' }).click();
      const dialog = page.getByRole('dialog', { name: 'Copy 1 backup to NAS B renamed?' });
      await dialog.waitFor();
      expect(await text(dialog)).toContain(filename);
      expect(await accessibilityProblems(page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Copy now' }).click();
      await eventually(async () => expect(await replica.getAttribute('data-state')).toBe('held'), 90_000, 250);
      expect(fs.existsSync(path.join(folderB, filename))).toBe(true);

      // The replica cannot be listed (its folder is a file now, as when a disk is not mounted): unknown, neither held nor missing.
      fs.renameSync(folderB, `${folderB}-away`);
      fs.writeFileSync(folderB, 'not a folder');
      await listA.getByRole('button', { name: 'Refresh NAS A backups' }).click();
      await eventually(async () => expect(await replica.getAttribute('data-state')).toBe('unknown'));
      expect(await text(replica)).toBe('? NAS B renamed: unknown (unreachable)');
      fs.rmSync(folderB);
      fs.renameSync(`${folderB}-away`, folderB);
      await listA.getByRole('button', { name: 'Refresh NAS A backups' }).click();
      await eventually(async () => expect(await replica.getAttribute('data-state')).toBe('held'));

      // Delete NAS B: the first confirmation, then the API's own (it still holds a backup), which is kept on disk.
      await rowB.getByRole('button', { name: 'Delete NAS B renamed' }).click();
      const first = page.getByRole('dialog', { name: 'Delete target NAS B renamed?' });
      await first.waitFor();
      await first.getByRole('button', { name: 'Delete target' }).click();
      const second = page.getByRole('dialog', { name: 'NAS B renamed still holds backups' });
      await second.waitFor();
      expect(await text(second)).toMatch(/still holds 1 backup in folder .*they are not deleted/);
      expect(await accessibilityProblems(page)).toEqual([]);
      await second.getByRole('button', { name: 'Delete target, keep its backups' }).click();
      await eventually(async () => expect(await rowB.count()).toBe(0));
      expect(await text(card.getByRole('status').last())).toContain(`Its backup stays in ${folderB}`);
      await served.t.http.get('/api/targets/nas-b').expect(404);
      expect(fs.existsSync(path.join(folderB, filename))).toBe(true);
      // NAS A's rows no longer have a replica to show.
      await eventually(async () => expect(await listA.locator('.replica').count()).toBe(0));
      expect(await accessibilityProblems(page, card)).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  it(
    'cancelling the delete keeps the target',
    async () => {
      await served.t.http
        .post('/api/targets')
        .send({ id: 'nas-c', label: 'NAS C', kind: 'folder', path: makeScratchDir('sentinel-web-target-c-') })
        .expect(201);
      await page.goto(served.url);
      const row = targetRow(page, 'nas-c');
      await eventually(async () => expect(await row.count()).toBe(1));
      await row.getByRole('button', { name: 'Delete NAS C' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete target NAS C?' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await served.t.http.get('/api/targets/nas-c').expect(200);
      expect(await row.count()).toBe(1);
    },
    BROWSER_TEST_MS,
  );

  it(
    "sets the built-ins' calendar retention and replication in their settings cards: stored under the spec keys, a wrong value shown at its field and not stored",
    async () => {
      const http = served.t.http;
      const setting = async (key: string) => (await http.get(`/api/settings/${key}`).expect(200)).body.value as unknown;
      await page.goto(served.url);
      const local = page.getByRole('region', { name: 'Local folder', exact: true });
      const r2 = page.getByRole('region', { name: 'Cloudflare R2', exact: true });
      // The local folder is configured: its settings are folded behind Edit.
      await openSettings(local);
      await openSettings(r2);
      await local.getByLabel('Keep daily').waitFor();
      // The replication choice lists the other targets once the list is loaded.
      await eventually(async () => expect(await local.getByLabel('Copy the backups of').locator('option[value="r2"]').count()).toBe(1));
      expect(await accessibilityProblems(page, local)).toEqual([]);

      await local.getByLabel('Keep daily').fill('7');
      await local.getByLabel('Copy the backups of').selectOption('r2');
      await local.getByRole('button', { name: 'Save', exact: true }).click();
      await eventually(async () => expect(await text(local.getByRole('status'))).toBe('2 settings saved.'));
      expect([await setting('local_backup_keep_daily'), await setting('local_replicate_from')]).toEqual([7, 'r2']);
      expect((await http.get('/api/targets/local').expect(200)).body).toMatchObject({ keep_daily: 7, replicate_from: 'r2' });

      // R2 copying from local would be a cycle (local copies from R2), and "a week" is no number: each error at its field, neither stored.
      const keepDaily = r2.getByLabel('Keep daily');
      const copyFrom = r2.getByLabel('Copy the backups of');
      await keepDaily.fill('a week');
      await copyFrom.selectOption('local');
      await r2.getByRole('button', { name: 'Save', exact: true }).click();
      await eventually(async () => expect(await fieldError(page, keepDaily)).toMatch(/^Keep daily must be a whole number from 0 to 10000/));
      expect(await fieldError(page, copyFrom)).toMatch(/^Copy the backups of 'local' would make a replication cycle \(r2 ← local ← r2\)/);
      expect(await text(r2.getByRole('status'))).toMatch(/^Nothing was saved: 2 settings are not valid/);
      expect([await setting('r2_backup_keep_daily'), await setting('r2_replicate_from')]).toEqual(['', '']);
      expect(await accessibilityProblems(page, r2)).toEqual([]);

      await keepDaily.fill('5');
      await copyFrom.selectOption('');
      await r2.getByRole('button', { name: 'Save', exact: true }).click();
      await eventually(async () => expect(await text(r2.getByRole('status'))).toBe('Setting saved.'));
      expect(await keepDaily.getAttribute('aria-invalid')).toBeNull();
      expect((await http.get('/api/targets/r2').expect(200)).body).toMatchObject({ keep_daily: 5, replicate_from: null });

      await http.patch('/api/targets/local').send({ keep_daily: null, replicate_from: null }).expect(200);
      await http.patch('/api/targets/r2').send({ keep_daily: null }).expect(200);
    },
    BROWSER_TEST_MS,
  );
});

describeS3('Admin page in a browser: an S3 target (real S3 server)', () => {
  let served: Served;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let bucket: string;

  beforeAll(async () => {
    served = await serve();
    bucket = await createTestBucket('web-targets');
  });
  afterAll(async () => {
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
    'adds an S3 target through the page, Test Connection passes, and the secret is never shown back and is kept by an edit without it',
    async () => {
      const s3 = testS3();
      await page.goto(served.url);
      const card = targetsCard(page);
      await eventually(async () => expect(await targetRow(page, 'r2').count()).toBe(1));
      await card.getByRole('button', { name: 'Add target' }).click();
      const form = card.getByRole('form', { name: 'Add a target' });
      await form.getByLabel('Id', { exact: true }).fill('ceph');
      await form.getByLabel('Label', { exact: true }).fill('Ceph');
      await form.getByLabel('Kind').selectOption('s3');
      await form.getByLabel('Endpoint', { exact: true }).fill(s3.endpoint);
      await form.getByLabel('Region', { exact: true }).fill(s3.region);
      await form.getByLabel('Bucket', { exact: true }).fill(bucket);
      await form.getByLabel('Access Key ID').fill(s3.accessKeyId);
      const secret = form.getByLabel('Secret Access Key');
      expect(await secret.getAttribute('type')).toBe('password');
      await secret.fill(s3.secretAccessKey);
      expect(await accessibilityProblems(page, form)).toEqual([]);
      await form.getByRole('button', { name: 'Add target' }).click();
      await form.waitFor({ state: 'detached' });

      const row = targetRow(page, 'ceph');
      await eventually(async () => expect(await text(row)).toContain(`${bucket}`));
      await row.getByRole('button', { name: 'Test Connection Ceph' }).click();
      await eventually(async () => expect(await text(row)).toContain('Connection works'), 30_000);

      // Edit without touching the secret: its input is empty, and the target keeps working after a save.
      await row.getByRole('button', { name: 'Edit Ceph' }).click();
      const edit = row.getByRole('form', { name: 'Edit Ceph' });
      expect(await edit.getByLabel('Secret Access Key').inputValue()).toBe('');
      // The access key ID names the key and is shown; the secret stays write-only.
      expect(await edit.getByLabel('Access Key ID').inputValue()).toBe(s3.accessKeyId);
      expect(await text(edit)).toContain('Stored – leave empty to keep it.');
      await edit.getByLabel('Label', { exact: true }).fill('Ceph on loopback');
      await edit.getByRole('button', { name: 'Save target' }).click();
      await edit.waitFor({ state: 'detached' });
      await row.getByRole('button', { name: 'Test Connection Ceph on loopback' }).click();
      await eventually(async () => expect(await text(row)).toMatch(/Connection works/), 30_000);

      const html = await page.content();
      const answers = JSON.stringify((await served.t.http.get('/api/targets').expect(200)).body);
      for (const shown of [html, answers]) expect(shown).not.toContain(s3.secretAccessKey);
      expect(JSON.parse(answers).find((x: { id: string; label: string }) => x.label === 'Ceph on loopback')).toMatchObject({ access_key_id: s3.accessKeyId });
    },
    BROWSER_TEST_MS,
  );
});

describe('Admin page in a browser: a target whose credentials the master key cannot read', () => {
  it(
    "marks the access key ID and the secret 'Set, but unreadable' in the target's form, until they are typed again",
    async () => {
      const first = await serve({}, { keep: true });
      await first.t.http
        .post('/api/targets')
        .send({
          id: 'old-key',
          kind: 's3',
          label: 'Old key',
          endpoint: 'http://127.0.0.1:9',
          bucket: 'old-key-bucket',
          access_key_id: 'AKIAUNDERTHEOLDKEY',
          secret_access_key: 'secret-under-the-old-key-0123456789',
        })
        .expect(201);
      await first.t.close();
      const served = await serve({ SENTINEL_MASTER_KEY: 'a-different-master-passphrase-42' }, { root: first.t.root });
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const target = (await served.t.http.get('/api/targets').expect(200)).body.find((t: { id: string }) => t.id === 'old-key');
        expect(target).toMatchObject({ access_key_id: '', credentials_unreadable: ['access_key_id', 'secret_access_key'] });
        const page = await context.newPage();
        const errors = collectPageErrors(page, EXPECTED_CONSOLE);
        await page.goto(served.url);
        const row = targetRow(page, 'old-key');
        await row.getByRole('button', { name: 'Edit Old key' }).click();
        const form = row.getByRole('form', { name: 'Edit Old key' });
        await form.waitFor();
        for (const label of ['Access Key ID', 'Secret Access Key']) {
          const field = form.getByLabel(label, { exact: true });
          const box = form.locator('.field', { has: page.getByLabel(label, { exact: true }) });
          expect(await field.inputValue()).toBe('');
          expect(await field.getAttribute('placeholder')).toBe('Cannot be read – type it again');
          expect(await text(box.locator('.badge'))).toBe('Set, but unreadable');
          expect(await text(box.locator('.hint'))).toMatch(/Set, but it cannot be read with the current master key: enter it again\.$/);
        }
        expect(await accessibilityProblems(page, form)).toEqual([]);
        // Typed again, the field no longer says it.
        await form.getByLabel('Access Key ID', { exact: true }).fill('AKIANEWKEY');
        expect(
          await form
            .locator('.field', { has: page.getByLabel('Access Key ID', { exact: true }) })
            .locator('.badge')
            .count(),
        ).toBe(0);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await served.t.close();
        fs.rmSync(first.t.root, { recursive: true, force: true });
      }
    },
    BROWSER_TEST_MS,
  );
});
