import { jest } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../../common/clock.js';
import type { AppConfig } from '../../config/app-config.js';
import type { TargetHealth } from '../../monitoring/target-health.js';
import type { TargetHealthService } from '../../monitoring/target-health.service.js';
import type { NotificationInput } from '../notification.js';
import type { NotificationPublisher } from '../notification-publisher.js';
import { NotificationsDatabase } from '../store/notifications-database.js';
import { AlertStateStore } from './alert-state.store.js';
import { OVERDUE_CHECK_MAX_WAIT_MS, OverdueWatch } from './overdue-watch.js';
import { RepeatRule } from './repeat-rule.js';

const HOUR = 60 * 60 * 1000;

/** The health TargetHealthService would report; the watch only reads it. */
function health(fields: Partial<TargetHealth>): TargetHealth {
  return {
    target: 'local',
    state: 'ok',
    enabled: true,
    last_success: '2026-12-01T01:05:00.000Z',
    last_attempt: '2026-12-01T01:05:00.000Z',
    last_result: 'succeeded',
    last_error: null,
    last_backup: { filename: 'sentinel-backup-2026-12-01-010000.tar.gz', size_bytes: 1, duration_ms: 1 },
    last_duration_ms: 1,
    next_run: '2026-12-02T01:00:00.000Z',
    last_verification: null,
    overdue_at: '2026-12-02T07:05:00.000Z',
    overdue_since: null,
    consecutive_failures: 0,
    ...fields,
  };
}

describe('OverdueWatch', () => {
  let dir: string;
  let database: NotificationsDatabase;
  let now: Date;
  let current: TargetHealth[];
  let published: NotificationInput[];
  let watch: OverdueWatch;

  beforeEach(async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'overdue-watch-'));
    database = new NotificationsDatabase({ env: { dataDir: dir } } as AppConfig);
    await database.onModuleInit();
    now = new Date('2026-12-02T08:00:00.000Z');
    const clock = { now: () => new Date(now) } as Clock;
    current = [health({})];
    published = [];
    const healthService = { all: async () => current } as unknown as TargetHealthService;
    const publisher = {
      publish: async (input: NotificationInput) => (published.push(input), { id: String(published.length) }),
    } as unknown as NotificationPublisher;
    watch = new OverdueWatch(healthService, new RepeatRule(new AlertStateStore(database), clock), publisher, clock);
  });
  afterEach(async () => {
    watch.onModuleDestroy();
    jest.useRealTimers();
    await database.onApplicationShutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const overdue = () => health({ state: 'overdue', overdue_since: '2026-12-02T07:05:00.000Z', next_run: '2026-12-03T01:00:00.000Z' });

  it('tells once when a target becomes overdue, not at every check, again a day later, and once when a backup succeeded', async () => {
    await watch.check();
    expect(published).toEqual([]);
    current = [overdue()];
    await watch.check();
    await watch.check();
    now = new Date(now.getTime() + 23 * HOUR);
    await watch.check();
    expect(published.map((p) => [p.event, p.title, p.resolves ?? null])).toEqual([['backup.overdue', 'Local backup overdue', null]]);
    expect(published[0].message).toBe(
      "No Local backup has succeeded within its schedule's period plus the grace: overdue since 2026-12-02 07:05 UTC; the last successful Local backup finished 2026-12-01 01:05 UTC. Next scheduled run: 2026-12-03 01:00 UTC.",
    );
    now = new Date(now.getTime() + HOUR);
    await watch.check();
    expect(published[1].title).toBe('Local backup still overdue (since 2026-12-02 07:05 UTC)');
    current = [health({ last_success: '2026-12-03T09:30:00.000Z', overdue_at: '2026-12-04T07:30:00.000Z' })];
    await watch.onBackupCompleted();
    expect(published[2]).toMatchObject({
      event: 'backup.overdue',
      title: 'Local backups are up to date again',
      resolves: { event: 'backup.overdue', failures: 1, since: '2026-12-02T07:05:00.000Z' },
    });
    await watch.check();
    expect(published).toHaveLength(3);
  });

  it('a target turned off while overdue is forgotten without a message; turned on and overdue again, it is news', async () => {
    current = [overdue()];
    await watch.check();
    current = [health({ enabled: false, state: 'disabled', overdue_at: null })];
    await watch.check();
    expect(published).toHaveLength(1);
    current = [overdue()];
    await watch.check();
    expect(published.map((p) => p.title)).toEqual(['Local backup overdue', 'Local backup overdue']);
  });

  it('arms the next check at the nearest deadline, at most an hour away, and checks then', async () => {
    current = [health({ overdue_at: new Date(now.getTime() + 10 * 60 * 1000).toISOString() })];
    await watch.check();
    expect(jest.getTimerCount()).toBe(1);
    current = [overdue()];
    jest.advanceTimersByTime(10 * 60 * 1000 - 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(published).toHaveLength(0);
    jest.advanceTimersByTime(1);
    await until(() => published.length === 1);
    // Nothing ahead: an hour later, in case the clock jumps.
    current = [health({ overdue_at: new Date(now.getTime() + 5 * 24 * HOUR).toISOString() })];
    await watch.check();
    jest.advanceTimersByTime(OVERDUE_CHECK_MAX_WAIT_MS - 1);
    expect(jest.getTimerCount()).toBe(1);
  });

  it('a health that cannot be read is logged and retried, never thrown', async () => {
    const failing = new OverdueWatch(
      { all: () => Promise.reject(new Error('config.db is not open')) } as unknown as TargetHealthService,
      new RepeatRule(new AlertStateStore(database), { now: () => now } as Clock),
      {} as NotificationPublisher,
      { now: () => now } as Clock,
    );
    await expect(failing.check()).resolves.toEqual([]);
    expect(jest.getTimerCount()).toBe(1);
    failing.onModuleDestroy();
  });
});

/** Lets the check the timer started run to its end (its work is promises on a real SQLite file). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
}
