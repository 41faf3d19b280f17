import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../../common/clock.js';
import type { AppConfig } from '../../config/app-config.js';
import { AlertStateStore } from './alert-state.store.js';
import { type AlertKey, type FailureDecision, REMINDER_INTERVAL_MS, RepeatRule } from './repeat-rule.js';

const HOUR = 60 * 60 * 1000;
const R2_FAILING: AlertKey = { event: 'backup.failed', subject: 'r2' };

describe('RepeatRule', () => {
  let dir: string;
  let store: AlertStateStore;
  let now: Date;
  const clock = { now: () => new Date(now) } as Clock;
  let sent: string[];

  const open = async () => {
    store = new AlertStateStore({ env: { dataDir: dir } } as AppConfig);
    await store.onModuleInit();
    return new RepeatRule(store, clock);
  };
  const fail = (rule: RepeatRule, key = R2_FAILING, counted = true) =>
    rule.failed(key, async (d) => void sent.push(`${key.event}:${key.subject} ${d.send} ${d.failures} since ${d.since}`), counted);
  const recover = (rule: RepeatRule, key = R2_FAILING) =>
    rule.recovered(key, async (r) => void sent.push(`${key.event}:${key.subject} works again after ${r.failures} since ${r.since}`));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repeat-rule-'));
    now = new Date('2026-12-01T03:00:00.000Z');
    sent = [];
  });
  afterEach(async () => {
    await store.onModuleDestroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hourly failures: the first is sent, the next 23 are not, the 25th (a day after the first message) is a reminder with the count', async () => {
    const rule = await open();
    const decisions: FailureDecision[] = [];
    for (let i = 0; i < 25; i++) {
      decisions.push(await fail(rule));
      now = new Date(now.getTime() + HOUR);
    }
    expect(decisions.filter((d) => d.send !== null).map((d) => [d.send, d.failures])).toEqual([
      ['first', 1],
      ['reminder', 25],
    ]);
    expect(sent).toEqual(['backup.failed:r2 first 1 since 2026-12-01T03:00:00.000Z', 'backup.failed:r2 reminder 25 since 2026-12-01T03:00:00.000Z']);
  });

  it('three failures then a success: one message, then one "works again" with the count and the start; a second success says nothing', async () => {
    const rule = await open();
    for (let i = 0; i < 3; i++) {
      await fail(rule);
      now = new Date(now.getTime() + HOUR);
    }
    expect(await recover(rule)).toEqual({ failures: 3, since: '2026-12-01T03:00:00.000Z' });
    expect(await recover(rule)).toBeNull();
    expect(sent).toEqual(['backup.failed:r2 first 1 since 2026-12-01T03:00:00.000Z', 'backup.failed:r2 works again after 3 since 2026-12-01T03:00:00.000Z']);
    // After the recovery a new failure is news again.
    await fail(rule);
    expect(sent.at(-1)).toBe(`backup.failed:r2 first 1 since ${now.toISOString()}`);
  });

  it('survives a restart: after it, neither the first message again nor a forgotten failure', async () => {
    let rule = await open();
    await fail(rule);
    await fail(rule);
    await store.onModuleDestroy();
    rule = await open();
    now = new Date(now.getTime() + HOUR);
    expect((await fail(rule)).send).toBeNull();
    expect(await recover(rule)).toEqual({ failures: 3, since: '2026-12-01T03:00:00.000Z' });
    expect(sent).toHaveLength(2);
  });

  it('keeps each target and kind apart', async () => {
    const rule = await open();
    await fail(rule, R2_FAILING);
    await fail(rule, { event: 'backup.failed', subject: 'local' });
    await fail(rule, { event: 'backup.overdue', subject: 'r2' });
    await fail(rule, R2_FAILING);
    expect(sent.map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['backup.failed:r2 first', 'backup.failed:local first', 'backup.overdue:r2 first']);
    await recover(rule, { event: 'backup.failed', subject: 'local' });
    expect(await rule.active(R2_FAILING)).toBe(true);
    expect(await rule.active({ event: 'backup.failed', subject: 'local' })).toBe(false);
  });

  it('a failure seen going on (not counted) keeps the count and still reminds once a day', async () => {
    const rule = await open();
    const key: AlertKey = { event: 'backup.overdue', subject: 'local' };
    await fail(rule, key, false);
    now = new Date(now.getTime() + REMINDER_INTERVAL_MS - 1);
    expect(await fail(rule, key, false)).toMatchObject({ send: null, failures: 1 });
    now = new Date(now.getTime() + 1);
    expect(await fail(rule, key, false)).toMatchObject({ send: 'reminder', failures: 1 });
  });

  it('a send that throws leaves the state as it was, so the next failure is sent as the first again (never swallowed)', async () => {
    const rule = await open();
    await expect(rule.failed(R2_FAILING, () => Promise.reject(new Error('outbox full')))).rejects.toThrow('outbox full');
    expect(await rule.active(R2_FAILING)).toBe(false);
    expect((await fail(rule)).send).toBe('first');
  });

  it('a clock set back does not send a reminder early', async () => {
    const rule = await open();
    await fail(rule);
    now = new Date(now.getTime() - 3 * HOUR);
    expect((await fail(rule)).send).toBeNull();
  });
});
