import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DiskSpaceWatch } from '../src/backup/disk-space-watch.js';
import { Clock } from '../src/common/clock.js';
import { DiskSpace } from '../src/common/fs/disk-space.service.js';
import { ScheduledJobRunner } from '../src/scheduling/scheduled-job-runner.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

const API_TOKEN = 'monitoring-test-api-token-0123456789abcdef';
const METRICS_TOKEN = 'monitoring-test-metrics-token-0123456789ab';
const WRONG_SECRET = 'not-the-secret-key-of-this-access-key';
const HOUR = 60 * 60 * 1000;

const auth = { Authorization: `Bearer ${API_TOKEN}` };

async function status(t: TestApp): Promise<any> {
  return (await t.http.get('/api/status').set(auth).expect(200)).body;
}

function byTarget(body: any, target: string): any {
  return body.targets.find((entry: { target: string }) => entry.target === target);
}

async function backUp(t: TestApp, target: 'local' | 'r2'): Promise<any> {
  return waitForJob({ get: (url) => t.http.get(url).set(auth) }, (await t.http.post(`/api/backups/${target}`).set(auth).expect(202)).body.id);
}

async function scrape(t: TestApp, token = METRICS_TOKEN): Promise<string> {
  const res = await t.http.get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
}

/** A sample's value: `name{target="r2"} 3` gives 3; undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter(Boolean).sort();
    if (JSON.stringify(have) === JSON.stringify(wanted)) return Number(match[3]);
  }
  return undefined;
}

/** `promtool check metrics`: what it finds wrong (nothing, for a clean exposition). */
function promtoolCheckMetrics(text: string): string {
  try {
    return execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; status?: number };
    return `exit ${failed.status}: ${failed.stdout ?? ''}${failed.stderr ?? ''}`;
  }
}

describe('GET /api/status without S3', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('never backed up, then a scheduled R2 run refused before a job (not configured) makes R2 failing; disabled targets are disabled', async () => {
    t = await startTestApp({ SENTINEL_API_TOKEN: API_TOKEN });
    await t.http.get('/api/status').expect(401);
    let body = await status(t);
    expect(body.state).toBe('warning');
    expect(byTarget(body, 'local')).toMatchObject({ state: 'never', enabled: true, last_success: null, last_attempt: null, last_error: null });
    expect(byTarget(body, 'local').next_run).toBeNull(); // schedules are off in tests
    expect(byTarget(body, 'r2')).toMatchObject({ state: 'disabled', enabled: false, next_run: null, overdue_at: null });
    expect(body.reasons).toEqual([expect.stringMatching(/^Local backups have not run yet/)]);

    // R2 on, with no credentials: the scheduled run stops before any job exists.
    await t.http.put('/api/settings/r2_backup_enabled').set(auth).send({ value: 1 }).expect(200);
    const result = await t.app.get(ScheduledJobRunner).runScheduled('r2');
    expect(result.outcome).toBe('failed');
    body = await status(t);
    expect(byTarget(body, 'r2')).toMatchObject({
      state: 'failing',
      last_result: 'failed',
      consecutive_failures: 1,
      last_error: { code: 'TARGET_NOT_CONFIGURED' },
    });
    expect(byTarget(body, 'r2').last_attempt).toBe(byTarget(body, 'r2').last_error.time);
    expect(body.state).toBe('failing');

    // It survives a restart: the failure was written to DATA_DIR.
    const root = t.root;
    await t.app.close();
    t = await startTestApp({ SENTINEL_API_TOKEN: API_TOKEN }, { root });
    expect(byTarget(await status(t), 'r2')).toMatchObject({ state: 'failing', last_error: { code: 'TARGET_NOT_CONFIGURED' } });

    await t.http.put('/api/settings/r2_backup_enabled').set(auth).send({ value: 0 }).expect(200);
    await t.http.put('/api/settings/local_backup_enabled').set(auth).send({ value: 0 }).expect(200);
    body = await status(t);
    expect(body.targets.map((entry: { state: string }) => entry.state)).toEqual(['disabled', 'disabled']);
    expect(body).toMatchObject({ state: 'warning', reasons: ['No backup target is enabled: nothing is backed up'] });
  });

  it('/metrics: the metrics token opens /metrics and nothing else, the API token opens both, and the doors of the API stay shut', async () => {
    t = await startTestApp({ SENTINEL_API_TOKEN: API_TOKEN, SENTINEL_METRICS_TOKEN: METRICS_TOKEN });
    const anonymous = await t.http.get('/metrics').expect(401);
    expect(anonymous.body.message).toMatch(/SENTINEL_METRICS_TOKEN or SENTINEL_API_TOKEN/);
    const wrong = await t.http.get('/metrics').set('Authorization', 'Bearer wrong-token-wrong-token-wrong-token-00').expect(401);
    expect(JSON.stringify(wrong.body)).not.toContain(METRICS_TOKEN);
    await scrape(t, METRICS_TOKEN);
    await scrape(t, API_TOKEN);
    await t.http.get('/api/status').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(401);
    const cached = await t.http.get('/metrics').set(auth).expect(200);
    expect(cached.headers['cache-control']).toBe('no-store');
    expect(cached.headers['x-content-type-options']).toBe('nosniff');
    // DNS rebinding: a page whose name resolves to 127.0.0.1 is refused like on /api.
    await t.http.get('/metrics').set(auth).set('Host', 'attacker.example').expect(421);
  });

  it('/metrics without any token set answers on loopback (as the API does)', async () => {
    t = await startTestApp();
    const text = await scrape(t, 'whatever-is-sent-is-not-checked-here');
    expect(sample(text, 'sentinel_backup_target_state', { target: 'local', state: 'never' })).toBe(1);
    expect(sample(text, 'sentinel_backup_target_enabled', { target: 'r2' })).toBe(0);
    expect(promtoolCheckMetrics(text)).toBe('');
  });

  it('refuses a short SENTINEL_METRICS_TOKEN at start, naming it', async () => {
    await expect(startTestApp({ SENTINEL_METRICS_TOKEN: 'short' })).rejects.toThrow(/SENTINEL_METRICS_TOKEN: must be at least 32 characters/);
    t = await startTestApp();
  });
});

describe('Monitoring under damaged files, guessed tokens and a short disk', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('a .target-health.json of the wrong field types: status and metrics answer 200, and the next change replaces the damaged values', async () => {
    const root = makeScratchDir('sentinel-monitoring-');
    const file = path.join(root, 'data', '.target-health.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ local: { preJobFailures: null, preJobFailuresTotal: '3', enabled: 'yes' }, r2: { restoresApplied: { n: 1 } } }));
    t = await startTestApp({ SENTINEL_API_TOKEN: API_TOKEN }, { root });
    expect(byTarget(await status(t), 'local')).toMatchObject({ state: 'never', consecutive_failures: 0 });
    const text = await scrape(t, API_TOKEN);
    expect(sample(text, 'sentinel_backup_failures_total', { target: 'local' })).toBe(0);
    expect(sample(text, 'sentinel_restores_applied_total', { target: 'r2' })).toBe(0);
    expect(promtoolCheckMetrics(text)).toBe('');
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain(
      `Ignoring damaged values in ${file}: local.enabled, local.preJobFailures, local.preJobFailuresTotal, r2.restoresApplied`,
    );
    // The listener that writes the file works: a scheduled run refused before a job is recorded.
    await t.http.put('/api/settings/r2_backup_enabled').set(auth).send({ value: 1 }).expect(200);
    await t.app.get(ScheduledJobRunner).runScheduled('r2');
    expect(byTarget(await status(t), 'r2')).toMatchObject({ state: 'failing', last_error: { code: 'TARGET_NOT_CONFIGURED' } });
    await until('the refused run in the file', () => (JSON.parse(fs.readFileSync(file, 'utf8')).r2?.preJobFailuresTotal === 1 ? true : undefined));
  });

  it('a .target-health.json that cannot be read (a folder in its place) stops the start, naming it and what to do', async () => {
    const root = makeScratchDir('sentinel-monitoring-');
    fs.mkdirSync(path.join(root, 'data', '.target-health.json'), { recursive: true });
    try {
      await expect(startTestApp({}, { root })).rejects.toThrow(
        /\.target-health\.json \(the health records\) cannot be read: it is a folder, not a file\. Move that folder out of DATA_DIR/,
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('wrong tokens at the API do not lock the metrics token out of /metrics; wrong tokens at /metrics are limited there', async () => {
    t = await startTestApp({ SENTINEL_API_TOKEN: API_TOKEN, SENTINEL_METRICS_TOKEN: METRICS_TOKEN });
    for (let i = 0; i < 10; i++) await t.http.get('/api/status').set('Authorization', `Bearer wrong-api-token-${i}-0123456789abcdef`).expect(401);
    await t.http.get('/api/status').set(auth).expect(429);
    await scrape(t, METRICS_TOKEN);
    for (let i = 0; i < 10; i++) await t.http.get('/metrics').set('Authorization', `Bearer wrong-scrape-token-${i}-0123456789abcd`).expect(401);
    await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(429);
  });

  it('a short disk (the DiskSpace port) makes the overall state warning with a reason and sentinel_backup_disk_low 1; room again clears both', async () => {
    t = await startTestApp();
    await seedDatabases(t.app, { rows: 10 });
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job.status).toBe('succeeded');
    const watch = t.app.get(DiskSpaceWatch);
    await watch.check();
    expect((await t.http.get('/api/status').expect(200)).body).toMatchObject({ state: 'ok', reasons: [] });
    expect(sample(await scrape(t), 'sentinel_backup_disk_low', { target: 'local' })).toBe(0);

    const space = jest.spyOn(t.app.get(DiskSpace), 'available').mockResolvedValue(2 * 1024 * 1024);
    await watch.check();
    const body = (await t.http.get('/api/status').expect(200)).body;
    expect(body.state).toBe('warning');
    expect(body.reasons).toEqual([
      expect.stringMatching(new RegExp(`^Low disk space in ${t.dataDir}: 2\\.00 MiB free, the next Local backup needs .*: free up space there$`)),
    ]);
    expect(byTarget(body, 'local').state).toBe('ok');
    expect(sample(await scrape(t), 'sentinel_backup_disk_low', { target: 'local' })).toBe(1);

    space.mockRestore();
    await watch.check();
    expect((await t.http.get('/api/status').expect(200)).body).toMatchObject({ state: 'ok', reasons: [] });
    expect(sample(await scrape(t), 'sentinel_backup_disk_low', { target: 'local' })).toBe(0);
  });

  it('sentinel_restores_applied_total goes up when a staged restore is applied at the next start', async () => {
    t = await startTestApp();
    await seedDatabases(t.app, { rows: 10 });
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(sample(await scrape(t), 'sentinel_restores_applied_total', { target: 'local' })).toBe(0);
    await t.http.post('/api/backups/local/restore').send({ filename: job.filename, restart: false }).expect(202);
    const root = t.root;
    await t.app.close();
    t = await startTestApp({}, { root });
    expect((await t.http.get('/api/restore/status').expect(200)).body.last_apply.outcome).toBe('applied');
    const text = await scrape(t);
    expect(sample(text, 'sentinel_restores_applied_total', { target: 'local' })).toBe(1);
    expect(sample(text, 'sentinel_restores_applied_total', { target: 'r2' })).toBe(0);
  });
});

describeS3('Monitoring after real backups (S3)', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('status and metrics after a local success and R2 failures: ok, failing, overdue (test clock), and promtool finds the metrics clean', async () => {
    t = await startTestApp({ SENTINEL_API_TOKEN: API_TOKEN, SENTINEL_METRICS_TOKEN: METRICS_TOKEN, SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
    await seedDatabases(t.app, { rows: 50 });

    const local = await backUp(t, 'local');
    expect(local.status).toBe('succeeded');
    let body = await status(t);
    expect(byTarget(body, 'local')).toMatchObject({
      state: 'ok',
      last_success: local.finished_at,
      last_attempt: local.finished_at,
      last_result: 'succeeded',
      last_error: null,
      last_backup: { filename: local.filename, size_bytes: local.size_bytes, duration_ms: local.duration_ms },
    });
    expect(body).toMatchObject({ state: 'ok', reasons: [] });

    const bucket = await createTestBucket('monitoring');
    await configureR2({ ...t, http: { put: (url: string) => t.http.put(url).set(auth) } } as unknown as TestApp, bucket, {
      r2_secret_access_key: WRONG_SECRET,
    });
    const failed = await backUp(t, 'r2');
    expect(failed).toMatchObject({ status: 'failed', error_code: 'STORAGE_ACCESS_DENIED' });
    const response = await t.http.get('/api/status').set(auth).expect(200);
    expect(response.text).not.toContain(WRONG_SECRET);
    body = response.body;
    expect(byTarget(body, 'r2')).toMatchObject({
      state: 'failing',
      last_success: null,
      last_attempt: failed.finished_at,
      last_result: 'failed',
      last_error: { code: 'STORAGE_ACCESS_DENIED', message: failed.error, time: failed.finished_at },
      consecutive_failures: 1,
    });
    expect(body.state).toBe('failing');
    expect(body.reasons).toEqual([expect.stringMatching(/^R2 backups are failing: .*access denied/)]);

    let text = await scrape(t);
    expect(promtoolCheckMetrics(text)).toBe('');
    expect(sample(text, 'sentinel_backup_last_success_timestamp_seconds', { target: 'local' })).toBe(Date.parse(local.finished_at) / 1000);
    expect(sample(text, 'sentinel_backup_last_success_timestamp_seconds', { target: 'r2' })).toBeUndefined();
    expect(sample(text, 'sentinel_backup_last_attempt_timestamp_seconds', { target: 'r2' })).toBe(Date.parse(failed.finished_at) / 1000);
    expect(sample(text, 'sentinel_backup_last_attempt_success', { target: 'local' })).toBe(1);
    expect(sample(text, 'sentinel_backup_last_attempt_success', { target: 'r2' })).toBe(0);
    expect(sample(text, 'sentinel_backup_failures_total', { target: 'r2' })).toBe(1);
    expect(sample(text, 'sentinel_backup_failures_total', { target: 'local' })).toBe(0);
    expect(sample(text, 'sentinel_backup_job_failures_total', { target: 'r2' })).toBe(1);
    expect(sample(text, 'sentinel_backup_prejob_failures_total', { target: 'r2' })).toBe(0);
    expect(sample(text, 'sentinel_backup_uploaded_bytes_total', { target: 'local' })).toBe(local.size_bytes);
    expect(sample(text, 'sentinel_backup_last_archive_size_bytes', { target: 'local' })).toBe(local.size_bytes);
    expect(sample(text, 'sentinel_backup_last_duration_seconds', { target: 'local' })).toBe(local.duration_ms / 1000);
    expect(sample(text, 'sentinel_backup_target_state', { target: 'r2', state: 'failing' })).toBe(1);
    expect(sample(text, 'sentinel_backup_overdue', { target: 'local' })).toBe(0);
    expect(sample(text, 'sentinel_restores_applied_total', { target: 'local' })).toBe(0);
    expect(sample(text, 'process_resident_memory_bytes', {})).toBeGreaterThan(0);
    expect(text).not.toContain(WRONG_SECRET);
    // The listing made after the backup: one archive, its size.
    text = await until('the local listing in the metrics', async () => {
      const current = await scrape(t);
      return sample(current, 'sentinel_backup_stored_backups', { target: 'local' }) === 1 ? current : undefined;
    });
    expect(sample(text, 'sentinel_backup_stored_bytes', { target: 'local' })).toBe(local.size_bytes);

    // A second failure counts; a restart keeps the counts (they come from the history, not from memory).
    await backUp(t, 'r2');
    expect(sample(await scrape(t), 'sentinel_backup_failures_total', { target: 'r2' })).toBe(2);
    const root = t.root;
    await t.app.close();
    t = await startTestApp({ SENTINEL_API_TOKEN: API_TOKEN, SENTINEL_METRICS_TOKEN: METRICS_TOKEN }, { root });
    text = await scrape(t);
    expect(sample(text, 'sentinel_backup_failures_total', { target: 'r2' })).toBe(2);
    expect(sample(text, 'sentinel_backup_uploaded_bytes_total', { target: 'local' })).toBe(local.size_bytes);

    // Overdue, by the test clock: a day and six hours after the last success (daily schedule, 25 % grace).
    const clock = t.app.get(Clock);
    const deadline = Date.parse(local.finished_at) + 30 * HOUR;
    clock.now = () => new Date(deadline - 1000);
    expect(byTarget(await status(t), 'local')).toMatchObject({ state: 'ok', overdue_at: new Date(deadline).toISOString() });
    clock.now = () => new Date(deadline + 1000);
    body = await status(t);
    expect(byTarget(body, 'local')).toMatchObject({ state: 'overdue', overdue_since: new Date(deadline).toISOString() });
    expect(body.reasons).toContainEqual(expect.stringMatching(/^Local backups are overdue: no successful backup since /));
    text = await scrape(t);
    expect(sample(text, 'sentinel_backup_overdue', { target: 'local' })).toBe(1);
    expect(sample(text, 'sentinel_backup_target_state', { target: 'local', state: 'overdue' })).toBe(1);
    expect(promtoolCheckMetrics(text)).toBe('');
  });

  it('each app has its own registry: a second app in the same process exports only its own backups', async () => {
    t = await startTestApp();
    const other = await startTestApp();
    try {
      await seedDatabases(t.app, { rows: 10 });
      const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
      expect(sample(await scrape(t), 'sentinel_backup_last_success_timestamp_seconds', { target: 'local' })).toBe(Date.parse(job.finished_at) / 1000);
      expect(sample(await scrape(other), 'sentinel_backup_last_success_timestamp_seconds', { target: 'local' })).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
