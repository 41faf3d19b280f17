/**
 * Delivery across a restart of the real process: the receiver is down when a notification is published, the
 * service is stopped with the delivery pending, the receiver comes back, the service starts again: the
 * notification arrives, exactly once, and the log says delivered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { assertServiceBuilt, freePort, getJson, post, startService, waitHealthy } from './fixtures/restore-service.js';
import { startHttpReceiver } from './support/http-receiver.js';
import { makeScratchDir } from './support/test-app.js';
import { until } from './support/until.js';

const FIXTURE = path.resolve('test/fixtures/service-publishing-at-start.mjs');

describe('notification delivery across a restart', () => {
  let root: string;
  beforeAll(() => {
    assertServiceBuilt();
    root = makeScratchDir();
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  async function run<T>(env: Record<string, string>, fn: (url: string) => Promise<T>): Promise<T> {
    const service = await startService(root, env, FIXTURE);
    try {
      await waitHealthy(service);
      return await fn(service.url);
    } finally {
      const { code } = await service.stop();
      expect(code).toBe(0);
    }
  }

  it('a receiver down, the service restarted, the receiver up: the notification arrives exactly once', async () => {
    const port = await freePort();
    const channelId = await run({}, async (url) => {
      const res = await post(`${url}/api/notifications/channels`, {
        name: 'hook',
        type: 'webhook',
        url: `http://127.0.0.1:${port}/hook`,
        secret: 's3cret-value',
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    });

    const published = { event: 'backup.failed', target: 'r2', title: 'R2 backup failed', message: 'The R2 secret key is wrong' };
    await run({ SENTINEL_TEST_PUBLISH: JSON.stringify(published) }, async (url) => {
      const pending = await until('a failed try (connection refused), left pending', async () => {
        const res = await getJson(`${url}/api/notifications/deliveries?channel=${channelId}`);
        return res?.body?.find((d: { attempts: number }) => d.attempts >= 1);
      });
      expect(pending).toMatchObject({ state: 'pending', last_error: expect.stringMatching(/refused the connection/) });
    });

    const receiver = await startHttpReceiver({ status: 200, body: 'received' }, port);
    try {
      await run({}, async (url) => {
        const delivered = await until('delivered after the restart', async () => {
          const res = await getJson(`${url}/api/notifications/deliveries?channel=${channelId}`);
          return res?.body?.find((d: { state: string }) => d.state === 'delivered');
        });
        expect(delivered.answer).toBe('HTTP 200: received');
        const all = await getJson(`${url}/api/notifications/deliveries`);
        expect(all?.body).toHaveLength(1);
      });
      // The service has stopped: whatever it was going to send, it has sent.
      expect(receiver.requests).toHaveLength(1);
      const body = JSON.parse(receiver.requests[0].body.toString('utf8'));
      expect(body).toMatchObject(published);
      expect(receiver.requests[0].headers['x-sentinel-delivery']).toBe(body.id);
    } finally {
      await receiver.close();
    }
  });
});
