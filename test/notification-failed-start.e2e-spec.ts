/**
 * restore.failed from a start that fails on the restore: the built service in a child process cannot read
 * the restore flag, so it refuses to start (exit code 1). The notification is written to the outbox during
 * that start, before the databases open, and is delivered, once, by the next start of the service.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Notification } from '../src/notifications/notification.js';
import { assertServiceBuilt, startService } from './fixtures/restore-service.js';
import { startHttpReceiver, type HttpReceiver } from './support/http-receiver.js';
import { makeScratchDir, startTestApp } from './support/test-app.js';
import { until } from './support/until.js';

describe('restore.failed from a start that fails', () => {
  let root: string;
  let receiver: HttpReceiver;

  beforeAll(async () => {
    assertServiceBuilt();
    root = makeScratchDir('sentinel-notify-start-');
    receiver = await startHttpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('is in the outbox when the service exits, and the next start delivers it exactly once', async () => {
    let app = await startTestApp({}, { root, keep: true });
    await app.http
      .post('/api/notifications/channels')
      .send({ name: 'hook', type: 'webhook', url: `${receiver.origin}/hook`, events: ['restore.failed'] })
      .expect(201);
    await app.close();

    // A flag cut off mid-write: the start cannot tell what to apply, so it stops (docs/restore.md).
    fs.writeFileSync(path.join(root, 'data', '.pending-restore'), '{"format": 1,');
    // The receiver refuses while the service is failing to start: the delivery must wait for the next start.
    receiver.answer = { status: 503, body: 'not now' };
    const failing = await startService(root, { SENTINEL_NOTIFY_RETRY_BASE_MS: '50' });
    expect((await failing.exited).code).toBe(1);
    expect(failing.output()).toMatch(/Sentinel Backup failed to start: The restore flag .* cannot be read/);

    // What the user does after reading docs/restore.md; then the service starts and sends what it owes.
    fs.rmSync(path.join(root, 'data', '.pending-restore'));
    receiver.answer = { status: 200, body: 'ok' };
    app = await startTestApp({ SENTINEL_NOTIFY_RETRY_BASE_MS: '50' }, { root, keep: true });
    try {
      const delivered = await until('the delivery recorded as delivered', async () => {
        const log = (await app.http.get('/api/notifications/deliveries').expect(200)).body as Array<{ event: string; state: string; notification_id: string }>;
        const entries = log.filter((d) => d.event === 'restore.failed');
        return entries.length > 0 && entries.every((d) => d.state === 'delivered') ? entries : undefined;
      });
      expect(delivered).toHaveLength(1);
      const bodies = receiver.requests
        .filter((r) => r.url === '/hook' && r.headers['x-sentinel-event'] === 'restore.failed')
        .map((r) => JSON.parse(r.body.toString('utf8')) as Notification);
      // Every try (a 503 during the failed start included) carried the same notification.
      const body = bodies.at(-1)!;
      expect(new Set(bodies.map((b) => b.id))).toEqual(new Set([delivered[0].notification_id]));
      expect(body).toMatchObject({
        event: 'restore.failed',
        severity: 'critical',
        target: null,
        title: 'The service cannot start: the restore failed',
        error_code: 'RESTORE_APPLY_FAILED',
        hint: expect.stringContaining('docs/restore.md'),
        details: { archive: null, outcome: 'not_started' },
      });
      expect(body.message).toMatch(/^Applying the restore of a staged backup failed and the service did not start: The restore flag/);
      expect(body.log_lines.some((line) => line.includes('the service cannot start'))).toBe(true);
    } finally {
      await app.close();
    }
  });
});
