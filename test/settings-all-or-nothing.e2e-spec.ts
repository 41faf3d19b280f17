import { startTestApp, type TestApp } from './support/test-app.js';

type Setting = { key: string; value: unknown; source: string; is_set: boolean };

/** PUT /api/settings: a form's fields saved together, all or nothing. */
describe('PUT /api/settings (all or nothing)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({});
  });
  afterEach(() => t.close());

  const values = async (): Promise<Record<string, Setting>> =>
    Object.fromEntries(((await t.http.get('/api/settings').expect(200)).body as Setting[]).map((s) => [s.key, s]));

  it('stores every value when all are valid, and answers every setting', async () => {
    const res = await t.http
      .put('/api/settings')
      .send({
        values: { r2_bucket_name: 'team-backups', r2_backup_retention_days: 30, r2_backup_schedule: 'weekly', r2_secret_access_key: 'a-secret-value-123' },
      })
      .expect(200);
    const answered = Object.fromEntries((res.body as Setting[]).map((s) => [s.key, s]));
    expect(answered.r2_bucket_name).toMatchObject({ value: 'team-backups', source: 'database' });
    const stored = await values();
    expect(stored.r2_bucket_name).toMatchObject({ value: 'team-backups', source: 'database' });
    expect(stored.r2_backup_retention_days).toMatchObject({ value: 30, source: 'database' });
    expect(stored.r2_backup_schedule).toMatchObject({ value: 'weekly', source: 'database' });
    expect(stored.r2_secret_access_key).toMatchObject({ value: null, is_set: true });
    expect(JSON.stringify(res.body)).not.toContain('a-secret-value-123');
  });

  it('refuses the whole write when one value is invalid: 400 names it, nothing changes', async () => {
    const before = await values();
    const res = await t.http
      .put('/api/settings')
      .send({ values: { r2_bucket_name: 'would-be-saved', r2_backup_retention_days: -3 } })
      .expect(400);
    expect(res.body.error).toBe('SETTING_INVALID');
    expect(res.body.details.invalid).toEqual([expect.objectContaining({ key: 'r2_backup_retention_days' })]);
    expect(res.body.message).toMatch(/r2_backup_retention_days/);
    expect(await values()).toEqual(before);
  });

  it('lists every invalid value with its reason, not only the first, and stores none of the valid ones', async () => {
    const before = await values();
    const res = await t.http
      .put('/api/settings')
      .send({ values: { r2_backup_schedule: 'sometimes', r2_bucket_name: 'fine-bucket', local_backup_retention_days: 'many', no_such_setting: 1 } })
      .expect(400);
    const invalid = res.body.details.invalid as Array<{ key: string; message: string }>;
    expect(invalid.map((i) => i.key).sort()).toEqual(['local_backup_retention_days', 'no_such_setting', 'r2_backup_schedule']);
    for (const item of invalid) expect(item.message).toContain(item.key);
    expect(res.body.message).toMatch(/^3 values are invalid and nothing was saved/);
    expect(await values()).toEqual(before);
  });

  it('refuses a body without values, naming the shape it wants', async () => {
    const res = await t.http.put('/api/settings').send({ value: 1 }).expect(400);
    expect(res.body.message).toMatch(/values/);
    await t.http.put('/api/settings').send({ values: {} }).expect(400);
  });
});
