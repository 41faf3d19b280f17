import { startTestApp, type TestApp } from './support/test-app.js';

const TOKEN = 'test-token-0123456789abcdef0123456789';

describe('API token', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('is not needed when SENTINEL_API_TOKEN is unset (loopback only)', async () => {
    t = await startTestApp();
    await t.http.get('/api/settings').expect(200);
  });

  it('guards every API route but the health check when set', async () => {
    t = await startTestApp({ SENTINEL_API_TOKEN: TOKEN });
    const missing = await t.http.get('/api/settings').expect(401);
    expect(missing.body).toMatchObject({ error: 'UNAUTHORIZED' });
    expect(missing.body.message).toMatch(/Authorization: Bearer/);
    const wrong = await t.http.get('/api/settings').set('Authorization', 'Bearer wrong-token-wrong-token').expect(401);
    expect(wrong.body.message).toMatch(/token is wrong/);
    expect(JSON.stringify(wrong.body)).not.toContain(TOKEN);
    await t.http.put('/api/settings/r2_backup_enabled').send({ value: 1 }).expect(401);
    await t.http.post('/api/backups/local').expect(401);
    expect((await t.http.get('/api/settings/r2_backup_enabled').set('Authorization', `Bearer ${TOKEN}`).expect(200)).body.value).toBe(0);
    await t.http.get('/api/settings').set('Authorization', `bearer ${TOKEN}`).expect(200);
    await t.http.get('/api/health').expect(200);
  });
});
