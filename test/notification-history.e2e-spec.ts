/**
 * A notification quotes the target's own history: an added target deleted and added again under the same id
 * starts afresh, so a failure of the new one never says "last success" with the deleted one's backup.
 * Real service, real folders, a real webhook receiver on loopback.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Notification } from '../src/notifications/notification.js';
import { startHttpReceiver, type HttpReceiver } from './support/http-receiver.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

describe('notifications and the history of a target id used again', () => {
  let receiver: HttpReceiver;
  let t: TestApp;

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    t = await startTestApp({ SENTINEL_NOTIFY_RETRY_BASE_MS: '50', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    await seedDatabases(t.app, { rows: 3 });
    await t.http
      .post('/api/notifications/channels')
      .send({ name: 'all', type: 'webhook', url: `${receiver.origin}/hook`, events: ['backup.succeeded', 'backup.failed'] })
      .expect(201);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const webhooks = (): Notification[] => receiver.requests.filter((r) => r.url === '/hook').map((r) => JSON.parse(r.body.toString('utf8')) as Notification);
  const backup = async (target: string) => waitForJob(t.http, (await t.http.post(`/api/backups/${target}`).expect(202)).body.id);

  it("a re-created target's failure is news of its own: not a repeat of the deleted target's failure, nor quoting its last success", async () => {
    const first = path.join(t.root, 'nas-first');
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: first, retention_days: 0 }).expect(201);
    const good = await backup('nas');
    expect(good.status).toBe('succeeded');
    const succeeded = await until('the success message', () => webhooks().find((n) => n.event === 'backup.succeeded' && n.target === 'nas'));
    expect(succeeded.last_success).toBe(good.finished_at);

    // The first target then fails: its failure is counted (one message, the next ones within a day are not news).
    fs.rmSync(first, { recursive: true, force: true });
    fs.writeFileSync(first, 'not a folder\n');
    expect((await backup('nas')).status).toBe('failed');
    await until("the first target's failure message", () => webhooks().find((n) => n.event === 'backup.failed' && n.target === 'nas'));
    const before = webhooks().length;

    await t.http.delete('/api/targets/nas?confirm=true').expect(200);
    // Wait a millisecond-resolution tick so the new target's creation is after the old success.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = path.join(t.root, 'nas-second');
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: second, retention_days: 0 }).expect(201);
    // The new folder becomes a file: the backup fails there.
    fs.rmSync(second, { recursive: true, force: true });
    fs.writeFileSync(second, 'not a folder\n');
    const bad = await backup('nas');
    expect(bad.status).toBe('failed');
    // News again (not swallowed as a repeat of the deleted target's failure), counting only its own.
    const failed = await until('the failure message', () =>
      webhooks()
        .slice(before)
        .find((n) => n.event === 'backup.failed' && n.target === 'nas'),
    );
    expect(failed.severity).toBe('critical');
    expect(failed.details).toMatchObject({ failures: 1 });
    expect(failed.last_success).toBeNull();
    expect(failed.message).not.toContain(good.filename);
  }, 60_000);
});
