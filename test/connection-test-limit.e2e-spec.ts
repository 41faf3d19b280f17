/**
 * Test Connection against an endpoint that accepts connections and never answers (a firewall that swallows
 * requests, a hung proxy): the service gives up by itself within its probe time limit and says the endpoint is
 * unreachable, the target can be deleted meanwhile (its backups counted within a time limit), and closing the service does not wait for the probe.
 */
import { silentServer, type SilentServer } from './support/silent-server.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('Test Connection against a never-answering endpoint', () => {
  let t: TestApp | undefined;
  let silent: SilentServer;
  beforeEach(async () => {
    silent = await silentServer();
    t = await startTestApp({});
    await t.http
      .post('/api/targets')
      .send({
        id: 'silent',
        kind: 's3',
        label: 'Silent',
        endpoint: silent.url,
        bucket: 'silent-bucket',
        access_key_id: 'AKIAEXAMPLE',
        secret_access_key: 'secret-example-1',
      })
      .expect((r) => {
        if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      });
  });
  afterEach(async () => {
    await t?.close();
    await silent.close();
  });

  it('gives up within its time limit and says the endpoint does not answer', async () => {
    const started = Date.now();
    const res = await t!.http.post('/api/targets/silent/test').expect(200);
    const took = Date.now() - started;
    expect(res.body.ok).toBe(false);
    expect(res.body.checks.find((c: { ok: boolean }) => !c.ok)).toMatchObject({ name: 'endpoint' });
    expect(took).toBeLessThan(35_000);
  }, 60_000);

  it('lets the target be deleted while its test waits, and closing the service does not wait for the test', async () => {
    const pending = t!.http.post('/api/targets/silent/test').then(
      (r) => r.status,
      () => 0,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const deleteStarted = Date.now();
    // The delete asks the store how many backups it holds: a store that never answers is given 15 s, then the count is unknown.
    const deleted = t!.http.delete('/api/targets/silent?confirm=true');
    await new Promise((r) => setTimeout(r, 500));
    await t!.http
      .put('/api/settings')
      .send({ values: { local_backup_retention_days: 10 } })
      .expect(200);
    expect((await deleted).body).toMatchObject({ deleted: true, backups_left: null });
    expect(Date.now() - deleteStarted).toBeLessThan(25_000);
    const closeStarted = Date.now();
    const app = t!;
    t = undefined;
    await app.close();
    expect(Date.now() - closeStarted).toBeLessThan(10_000);
    await pending;
  }, 90_000);
});
