/**
 * The audit log (issue 12): who changed what, kept in DATA_DIR/.audit.db outside the managed
 * databases, so that a restore cannot erase the record of who restored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ALL_DATABASES } from './fixtures/restore-archives.js';
import { archiveName, expectedMarkers, handMadeBackup, markers, setMarkers } from './fixtures/restore-app.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const SECRET = 'Audit-Secret-Value-9c1e4b7d2a';
const BUCKET = 'audit-bucket-value-5e8f';

interface Entry {
  id: number;
  at: string;
  action: string;
  target: string | null;
  subject: string | null;
  outcome: string;
  status_code: number | null;
  error: string | null;
  client: string;
  user_agent: string | null;
}

describe('Audit log', () => {
  let root: string;
  const apps: TestApp[] = [];
  const boot = async (env: Record<string, string | undefined> = {}) => {
    const app = await startTestApp(env, { root, keep: true });
    apps.push(app);
    return app;
  };
  const entries = async (t: TestApp, query = ''): Promise<Entry[]> => (await t.http.get(`/api/audit${query}`).expect(200)).body;
  const auditFiles = (dataDir: string) =>
    fs
      .readdirSync(dataDir)
      .filter((name) => name.startsWith('.audit.db'))
      .map((name) => path.join(dataDir, name));

  beforeEach(() => {
    root = makeScratchDir('sentinel-audit-');
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('records a restore staged, cancelled, staged again and applied after the restart, and keeps the record through the restore', async () => {
    let t = await boot();
    await setMarkers(t.app, 'v1');
    await t.http.get('/api/settings').expect(200);
    const filename = archiveName(1);
    handMadeBackup(t.dataDir, ALL_DATABASES, path.join(t.dataDir, 'backups'), filename);
    await setMarkers(t.app, 'v2');

    await t.http.post('/api/backups/local/restore').set('User-Agent', 'Stager/1.0').send({ filename, restart: false }).expect(202);
    await t.http.delete('/api/backups/local/restore/staged').set('User-Agent', 'Canceller/2.0').expect(200);
    await t.http.delete('/api/backups/local/restore/staged').set('User-Agent', 'Canceller/2.0').expect(404);
    await t.http
      .post('/api/backups/local/restore')
      .set('User-Agent', `Restarter/3.0\tX\u0085${'A'.repeat(1000)}`)
      .send({ filename, restart: true })
      .expect(202);

    // What main.ts does after a restore with restart true: close the app and boot it again, which applies the restore.
    await t.close();
    t = await boot();
    expect(await markers(t.app)).toEqual(expectedMarkers('v1', ALL_DATABASES));

    const log = await entries(t);
    expect(log.map((e) => [e.action, e.outcome, e.status_code])).toEqual([
      ['restore.apply', 'ok', null],
      ['restore.stage', 'ok', 202],
      ['restore.cancel', 'error', 404],
      ['restore.cancel', 'ok', 200],
      ['restore.stage', 'ok', 202],
    ]);
    const [apply, stagedWithRestart, cancelMissing, cancel, stagedOnly] = log;
    for (const entry of log) {
      expect(entry).toMatchObject({ target: 'local' });
      expect(entry.client).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
      expect(Date.parse(entry.at)).not.toBeNaN();
    }
    expect(stagedOnly).toMatchObject({ subject: filename, user_agent: 'Stager/1.0' });
    expect(cancel).toMatchObject({ user_agent: 'Canceller/2.0', error: null });
    expect(cancelMissing).toMatchObject({ error: 'RESTORE_NOT_STAGED' });
    // A request-controlled string is kept short and on one line, its control characters escaped.
    expect(stagedWithRestart.user_agent).toMatch(/^Restarter\/3\.0\\tX.?\\u0085A+\.\.\.$/);
    expect(stagedWithRestart.user_agent).toHaveLength(256);
    // The apply happened during the boot, with no request: it carries the client of the request that staged it.
    expect(apply).toMatchObject({ subject: filename, client: stagedWithRestart.client, user_agent: stagedWithRestart.user_agent, error: null });
    // Paging back.
    expect((await entries(t, `?limit=2&before=${cancel.id}`)).map((e) => e.id)).toEqual([stagedOnly.id]);
    expect((await entries(t, '?limit=1')).map((e) => e.action)).toEqual(['restore.apply']);
  });

  it('records a setting change with its key and never its value, a backup started and deleted, and refused requests', async () => {
    const t = await boot({ SENTINEL_API_TOKEN: 'audit-test-token-0123456789abcdef0123456789' });
    const auth = { Authorization: 'Bearer audit-test-token-0123456789abcdef0123456789' };
    await t.http.put('/api/settings/r2_secret_access_key').set(auth).send({ value: SECRET }).expect(200);
    await t.http.put('/api/settings/r2_bucket_name').set(auth).send({ value: BUCKET }).expect(200);
    await t.http.put('/api/settings/r2_bucket_name').set(auth).send({ value: 'Bad_Bucket' }).expect(400);
    const job = (await t.http.post('/api/backups/local').set(auth).expect(202)).body;
    let filename: string | null = null;
    for (const until = Date.now() + 30_000; !filename && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 100));
      filename = (await t.http.get(`/api/backup-jobs/${job.id}`).set(auth)).body.filename;
    }
    await t.http.delete(`/api/backups/local/${filename}`).set(auth).expect(200);
    await t.http.post('/api/backups/r2').set(auth).expect(400);
    await t.http.post('/api/backups/local').set('User-Agent', 'NoToken/1.0').expect(401);
    await t.http.get('/api/settings').set('Authorization', 'Bearer wrong-token-wrong-token-wrong-token').expect(401);

    const log: Entry[] = (await t.http.get('/api/audit').set(auth).expect(200)).body;
    expect(log.map((e) => [e.action, e.target, e.subject, e.outcome, e.status_code, e.error])).toEqual([
      ['GET /api/settings', null, null, 'refused', 401, 'UNAUTHORIZED'],
      ['backup.start', 'local', null, 'refused', 401, 'UNAUTHORIZED'],
      ['backup.start', 'r2', null, 'error', 400, 'TARGET_NOT_CONFIGURED'],
      ['backup.delete', 'local', filename, 'ok', 200, null],
      ['backup.start', 'local', null, 'ok', 202, null],
      ['setting.change', null, 'r2_bucket_name', 'error', 400, 'SETTING_INVALID'],
      ['setting.change', null, 'r2_bucket_name', 'ok', 200, null],
      ['setting.change', null, 'r2_secret_access_key', 'ok', 200, null],
    ]);
    expect(log[1].user_agent).toBe('NoToken/1.0');
    await t.close();
    // Neither value is anywhere in the audit store (the database, its WAL), nor the token.
    const files = auditFiles(t.dataDir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const needle of [SECRET, BUCKET, 'Bad_Bucket', 'audit-test-token', 'wrong-token']) expect(bytes.includes(Buffer.from(needle))).toBe(false);
    }
    expect(fs.statSync(path.join(t.dataDir, '.audit.db')).mode & 0o777).toBe(0o600);
  });

  it('records several settings saved at once as settings.change naming their keys, never a value', async () => {
    const t = await boot();
    await t.http
      .put('/api/settings')
      .send({ values: { r2_bucket_name: BUCKET, r2_secret_access_key: SECRET } })
      .expect(200);
    // Refused as a whole (one value invalid): recorded too, by the keys it named.
    await t.http
      .put('/api/settings')
      .send({ values: { r2_secret_access_key: SECRET, r2_backup_retention_days: -3 } })
      .expect(400);

    const answer = await t.http.get('/api/audit').expect(200);
    expect((answer.body as Entry[]).map((e) => [e.action, e.target, e.subject, e.outcome, e.status_code, e.error])).toEqual([
      ['settings.change', null, 'r2_secret_access_key, r2_backup_retention_days', 'error', 400, 'SETTING_INVALID'],
      ['settings.change', null, 'r2_bucket_name, r2_secret_access_key', 'ok', 200, null],
    ]);
    expect(answer.text).not.toContain(SECRET);
    expect(answer.text).not.toContain(BUCKET);
    await t.close();
    for (const file of auditFiles(t.dataDir)) expect(fs.readFileSync(file).includes(Buffer.from(SECRET))).toBe(false);
  });
});
