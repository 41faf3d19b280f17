/**
 * Finding 8 of issue 12: settings and requests validated at the edge. Each refusal says what was
 * wrong and what is allowed, and changes nothing.
 */
import fs from 'node:fs';
import { waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('Validation at the edge', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const storedRows = async () => (await t.http.get('/api/settings').expect(200)).body;

  it.each([
    [
      'a path with a newline (it forged a line of LOG_FILE)',
      'local_backup_dir',
      () => `/tmp/b\n${new Date().toISOString()} LOG [Backup] Local backup completed`,
      /must not contain control characters.*U\+000A/,
    ],
    ['a 90 KB path', 'local_backup_dir', () => `/tmp/${'a'.repeat(90 * 1024)}`, /too long: 92165 characters, at most 4096/],
    ['HTML as the account ID', 'r2_account_id', () => '<img src=x onerror=alert(1)>', /letters, digits, '-' or '_'/],
    ['an endpoint with a path', 'r2_endpoint', () => 'https://s3.example.com/my-bucket', /origin only.*drop the path "\/my-bucket".*r2_bucket_name/],
    ['a control character in a text setting', 'r2_access_key_id', () => 'AKIA\u0007EXAMPLE', /must not contain control characters.*U\+0007/],
  ])('refuses %s with 400 and stores nothing', async (_label, key, value, message) => {
    const before = await storedRows();
    const res = await t.http.put(`/api/settings/${key}`).send({ value: value() }).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'SETTING_INVALID', details: { key } });
    expect(res.body.message).toMatch(message);
    expect(res.body.message.length).toBeLessThan(400);
    expect(await storedRows()).toEqual(before);
    // Nothing of the value reached the log either.
    expect(fs.readFileSync(t.logFile, 'utf8')).not.toMatch(/Local backup completed|aaaaaaaaaa|onerror|my-bucket|AKIA/);
  });

  it('still accepts the spec example account ID and an endpoint origin', async () => {
    await t.http.put('/api/settings/r2_account_id').send({ value: 'your_account_id' }).expect(200);
    await t.http
      .put('/api/settings/r2_endpoint')
      .send({ value: 'https://s3.example.com/' })
      .expect(200, /"value":"https:\/\/s3.example.com"/);
  });

  it('names a wrong type as a wrong type: {"filename": 123}', async () => {
    const res = await t.http.post('/api/backups/local/restore').send({ filename: 123 }).expect(400);
    expect(res.body.message).toBe('filename must be a string such as "sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz" (got a number)');
    expect(res.body.message).not.toMatch(/not valid JSON/);
    const missing = await t.http.post('/api/backups/local/restore').send({}).expect(400);
    expect(missing.body.message).toMatch(/filename is missing/);
  });

  it('does not quote a malformed body back: it may hold a recovery key', async () => {
    const secret = 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ';
    for (const body of [`{"filename": "x", "identity": ${secret}}`, `${secret}`, `{"identity": "${secret}" x}`]) {
      const res = await t.http.post('/api/backups/local/restore').set('Content-Type', 'application/json').send(body).expect(400);
      expect(res.body.message).toMatch(/not valid JSON/);
      expect(JSON.stringify(res.body)).not.toMatch(/SECRET/i);
    }
  });

  it('gives the JSON hint of the endpoint for a malformed body', async () => {
    const restore = await t.http.post('/api/backups/local/restore').set('Content-Type', 'application/json').send('{"filename": ').expect(400);
    expect(restore.body.message).toMatch(/not valid JSON.*Send JSON such as \{"filename": "sentinel-backup-YYYY-MM-DD-HHMMSS\.tar\.gz", "restart": true\}/);
    expect(restore.body.message).not.toMatch(/"value"/);
    const setting = await t.http.put('/api/settings/r2_backup_schedule').set('Content-Type', 'application/json').send('{"value": ').expect(400);
    expect(setting.body.message).toMatch(/Send JSON such as \{"value": 1\}/);
    const backup = await t.http.post('/api/backups/local').set('Content-Type', 'application/json').send('{').expect(400);
    expect(backup.body.message).toMatch(/POST \/api\/backups\/local takes no body/);
    expect((await t.http.get('/api/backup-jobs').expect(200)).body).toEqual([]);
  });

  describe('a body field the endpoint does not take (the DTO is the one list of what it takes)', () => {
    /** What each refusal must leave alone: the settings, the backups, no staged restore, the encryption state, no verification. */
    const observable = async () => ({
      settings: await storedRows(),
      backups: (await t.http.get('/api/backups/local').expect(200)).body.map((b: { filename: string; size_bytes: number }) => [b.filename, b.size_bytes]),
      staged: (await t.http.get('/api/backups/local/restore/staged')).status,
      encryption: (await t.http.get('/api/encryption/local').expect(200)).body,
      verifications: fs
        .readFileSync(t.logFile, 'utf8')
        .split('\n')
        .filter((line) => /verif/i.test(line)).length,
    });

    it.each([
      ['PUT /api/settings/{key}', 'put', () => '/api/settings/local_retention_days', { value: 3, valeu: 4 }, 'valeu', 'value'],
      [
        'POST .../restore',
        'post',
        () => '/api/backups/local/restore',
        { filename: '', 'confirm-unknown': true },
        'confirm-unknown',
        'filename, restart, identity, confirm_unknown',
      ],
      ['POST .../{filename}/verify', 'post', (f: string) => `/api/backups/local/${f}/verify`, { key: 'x' }, 'key', 'identity'],
      [
        'PUT /api/encryption/{target}',
        'put',
        () => '/api/encryption/local',
        { enabled: true, writeOnly: true },
        'writeOnly',
        'enabled, write_only, recipients, forget_identities',
      ],
      ['POST .../confirm', 'post', () => '/api/encryption/local/confirm', { recovery_key: 'kept' }, 'recovery_key', 'recipient'],
      ['POST .../export', 'post', () => '/api/encryption/local/export', { recipients: [] }, 'recipients', 'recipient'],
    ] as const)('%s: 400 naming it and what the body takes; nothing changes', async (_label, method, url, rawBody, field, accepted) => {
      const backup = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
      const body = 'filename' in rawBody ? { ...rawBody, filename: backup.filename } : rawBody;
      const before = await observable();
      const res = await t.http[method](url(backup.filename)).send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'INVALID_INPUT', details: { unknown: [field], allowed: accepted.split(', ') } });
      expect(res.body.message).toBe(`Unknown field "${field}": the body takes ${accepted}. Remove it or correct the spelling`);
      expect(await observable()).toEqual(before);
    });

    it('names both an unknown field and a wrong type in one answer', async () => {
      const res = await t.http.put('/api/encryption/local').send({ enabled: 'yes', 'write-only': true }).expect(400);
      expect(res.body.message).toBe(
        'Unknown field "write-only": the body takes enabled, write_only, recipients, forget_identities. Remove it or correct the spelling; ' +
          'enabled must be true or false (got a string)',
      );
      expect((await t.http.get('/api/encryption/local').expect(200)).body.state).toBe('off');
    });

    it('keeps the answer short for a body of many made-up fields, and never repeats a field named with a recovery key', async () => {
      const before = await storedRows();
      const many = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`field-${i}-xx`, i]));
      const res = await t.http
        .put('/api/settings/local_retention_days')
        .send({ value: 3, ...many })
        .expect(400);
      expect(res.body.message).toMatch(
        /^Unknown fields "field-0-xx", "field-1-xx", "field-2-xx", "field-3-xx", "field-4-xx" and 2995 more: the body takes value\. Remove them/,
      );
      expect(res.body.details.unknown).toHaveLength(5);
      expect(res.text.length).toBeLessThan(1000);
      const secret = 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ';
      const pasted = await t.http
        .post('/api/backups/local/restore')
        .send({ filename: 'sentinel-backup-2026-01-08-143022.tar.gz', [secret]: true })
        .expect(400);
      expect(pasted.body.message).toMatch(/^Unknown field "\(a field named with a recovery key, not repeated\)": the body takes filename/);
      expect(pasted.text).not.toMatch(/SECRET-KEY-1Q/i);
      expect(await storedRows()).toEqual(before);
    });

    it('still accepts every body the page and the spec send', async () => {
      await t.http.put('/api/settings/r2_backup_enabled').send({ value: 1 }).expect(200);
      await t.http.put('/api/settings/r2_account_id').send({ value: 'your_account_id' }).expect(200);
      const backup = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
      await t.http.post(`/api/backups/local/${backup.filename}/verify`).send({}).expect(200);
      await t.http.post(`/api/backups/local/${backup.filename}/verify`).expect(200);
      await t.http.put('/api/encryption/local').send({ enabled: true, write_only: false, recipients: [] }).expect(200);
      await t.http.post('/api/encryption/local/confirm').send({}).expect(200);
      await t.http.post('/api/encryption/local/export').send({}).expect(200);
      await t.http.post('/api/backups/local/restore').send({ filename: backup.filename, restart: false, confirm_unknown: false }).expect(202);
    });
  });

  it('refuses unknown and repeated query parameters, naming them and the allowed ones', async () => {
    const unknown = await t.http.get('/api/backup-jobs?limt=5').expect(400);
    expect(unknown.body).toMatchObject({ error: 'INVALID_INPUT', details: { unknown: ['limt'], allowed: ['target', 'kind', 'limit'] } });
    expect(unknown.body.message).toMatch(/Unknown query parameter 'limt' for GET \/api\/backup-jobs: it takes target, kind, limit/);
    const repeated = await t.http.get('/api/backup-jobs?limit=1&limit=2').expect(400);
    expect(repeated.body.message).toMatch(/'limit' of GET \/api\/backup-jobs must be given once/);
    const none = await t.http.get('/api/settings?value=1').expect(400);
    expect(none.body.message).toMatch(/it takes no query parameters/);
    await t.http.post('/api/backups/local?now=1').expect(400);
    expect((await t.http.get('/api/backup-jobs').expect(200)).body).toEqual([]);
    await t.http.get('/api/audit?limit=1&before=2').expect(200);
    await t.http.get('/api/audit?since=1').expect(400, /it takes limit, before/);
    // Not Nest API routes: Swagger UI (and its query strings) and the health probe's callers keep working.
    await t.http.get('/api/docs?x=1').expect((res) => expect(res.status).toBeLessThan(400));
    await t.http.get('/api/backup-jobs?target=local&limit=5').expect(200);
  });

  it('refuses a backup to an R2 target that is not configured, before any work', async () => {
    const res = await t.http.post('/api/backups/r2').expect(400);
    expect(res.body).toMatchObject({ error: 'TARGET_NOT_CONFIGURED', details: { target: 'r2' } });
    expect(res.body.message).toMatch(
      /Cannot back up to R2: R2 is not configured: set r2_account_id.*r2_endpoint.*r2_access_key_id, r2_secret_access_key, r2_bucket_name/,
    );
    expect((await t.http.get('/api/backup-jobs').expect(200)).body).toEqual([]);
    expect(fs.readdirSync(t.dataDir).filter((name) => name.startsWith('.backup-tmp-'))).toEqual([]);
    expect(fs.readFileSync(t.logFile, 'utf8')).not.toMatch(/R2 backup started/);
    // The local target needs no setting: it still starts.
    await t.http.post('/api/backups/local').expect(202);
  });
});
