import { describe, expect, it } from '@jest/globals';
import type { Health, RestoreStatus } from '../api/client';
import { backAnnouncement, isServiceUp, RESTART_GIVE_UP_MS, restartStep, type RestartWatch } from './restart-watch';

const SINCE = Date.parse('2026-03-01T10:00:00Z');
const BEFORE = '2026-02-20T08:00:00.000Z';
const AFTER = '2026-03-01T10:00:04.000Z';

function health(status: Health['status'], databasesOpen = status !== 'starting'): Health {
  return { status, version: '0.1.0', databases_open: databasesOpen, problems: [], installation_id: '6f1c2a9e-4b7d-4e21-9a53-0c8d2f7b1e44', time_zone: 'UTC' };
}

const STAGED: NonNullable<RestoreStatus['staged']> = {
  archive: 'sentinel-backup-2026-02-28-010000.tar.gz',
  target: 'local',
  state: 'staged',
  staged_at: '2026-03-01T09:59:58.000Z',
  backup_timestamp: '2026-02-28T01:00:00Z',
  backup_sentinel_version: '0.1.0',
  restart_requested: true,
  databases: [],
};

function restoreStatus(staged: boolean, lastApplyAt: string | null, outcome: 'applied' | 'rolled_back' = 'applied'): RestoreStatus {
  return {
    staged: staged ? STAGED : null,
    staging: null,
    last_apply:
      lastApplyAt === null
        ? null
        : { outcome, at: lastApplyAt, archive: STAGED.archive, target: 'local', message: `Restored 7 databases from ${STAGED.archive}.`, safety_copy: null },
  };
}

const watching: RestartWatch = { since: SINCE, previousApply: BEFORE, wentDown: false };
const down: RestartWatch = { ...watching, wentDown: true };

describe('restartStep (the wait for the service to restart and apply a staged restore)', () => {
  it('keeps waiting while the service does not answer, and remembers that it went away', () => {
    expect(restartStep(watching, null, null, SINCE + 2000)).toEqual({ kind: 'waiting', watch: down });
  });

  it('counts a service still starting (databases closed: the restore is being applied) as away, and a degraded one with its databases open as up', () => {
    expect(restartStep(watching, health('starting'), null, SINCE + 2000)).toEqual({ kind: 'waiting', watch: down });
    expect(restartStep(watching, health('ok', false), null, SINCE + 2000)).toEqual({ kind: 'waiting', watch: down });
    expect(isServiceUp(health('degraded'))).toBe(true);
    const applied = restoreStatus(false, AFTER, 'rolled_back');
    expect(restartStep(down, health('degraded'), applied, SINCE + 9000)).toEqual({ kind: 'back', status: applied });
  });

  it('is back when the service returns without the staged restore, whatever it reports', () => {
    const status = restoreStatus(false, AFTER);
    expect(restartStep(down, health('ok'), status, SINCE + 6000)).toEqual({ kind: 'back', status });
    // Back with no apply recorded (the staged restore was withdrawn meanwhile): still back.
    const none = restoreStatus(false, null);
    expect(restartStep({ ...down, previousApply: null }, health('ok'), none, SINCE + 6000)).toEqual({ kind: 'back', status: none });
  });

  it('is back when the service restarted between two polls (never seen away) and reports a new apply', () => {
    const status = restoreStatus(false, AFTER);
    expect(restartStep(watching, health('ok'), status, SINCE + 1300)).toEqual({ kind: 'back', status });
  });

  it('keeps waiting while the service has not gone yet: restore still staged, or no staged restore but the apply known before', () => {
    expect(restartStep(watching, health('ok'), restoreStatus(true, BEFORE), SINCE + 300)).toEqual({ kind: 'waiting', watch: watching });
    expect(restartStep(watching, health('ok'), restoreStatus(false, BEFORE), SINCE + 300)).toEqual({ kind: 'waiting', watch: watching });
  });

  it('keeps waiting when the service answers but its restore status could not be read, without counting it as away', () => {
    expect(restartStep(watching, health('ok'), null, SINCE + 1000)).toEqual({ kind: 'waiting', watch: watching });
  });

  it(`gives up after ${RESTART_GIVE_UP_MS / 1000} s when the service never went away and still has the restore staged: nothing restarted it`, () => {
    const staged = restoreStatus(true, BEFORE);
    expect(restartStep(watching, health('ok'), staged, SINCE + RESTART_GIVE_UP_MS)).toEqual({ kind: 'waiting', watch: watching });
    expect(restartStep(watching, health('ok'), staged, SINCE + RESTART_GIVE_UP_MS + 1)).toEqual({ kind: 'not-restarted' });
  });

  it('never gives up once the service went away: a slow start (a large restore being applied) is waited for', () => {
    expect(restartStep(down, health('ok'), restoreStatus(true, BEFORE), SINCE + 10 * RESTART_GIVE_UP_MS)).toEqual({ kind: 'waiting', watch: down });
    expect(restartStep(down, health('starting'), null, SINCE + 10 * RESTART_GIVE_UP_MS)).toEqual({ kind: 'waiting', watch: down });
  });

  it('follows a whole restart poll by poll: up and staged, gone, starting, back with the outcome', () => {
    const polls: Array<[Health | null, RestoreStatus | null]> = [
      [health('ok'), restoreStatus(true, BEFORE)],
      [null, null],
      [health('starting'), null],
      [health('ok'), restoreStatus(false, AFTER)],
    ];
    let watch = watching;
    const kinds = polls.map(([h, s], i) => {
      const step = restartStep(watch, h, s, SINCE + 300 + i * 1000);
      if (step.kind === 'waiting') watch = step.watch;
      return step.kind;
    });
    expect(kinds).toEqual(['waiting', 'waiting', 'waiting', 'back']);
  });
});

describe('backAnnouncement', () => {
  it('says how the restore ended, or only that the service is back', () => {
    expect(backAnnouncement(restoreStatus(false, AFTER))).toBe(`Restore applied: Restored 7 databases from ${STAGED.archive}.`);
    expect(backAnnouncement(restoreStatus(false, null))).toBe('The service is back.');
  });
});
