import { describe, expect, it } from '@jest/globals';
import type { BackupJob } from './api/client';
import { endedSince, type SeenEnded } from './backup-jobs';

type Job = Pick<BackupJob, 'id' | 'target' | 'status'>;
const TARGETS = ['r2', 'local'] as const;

function job(id: string, target: Job['target'], status: Job['status']): Job {
  return { id, target, status };
}

/** The page's polls, in order, as the API answers them (newest first): what each one announces. */
function announced(polls: Job[][], seen: SeenEnded | null = null): string[][] {
  return polls.map((recent) => {
    const look = endedSince(seen, recent, TARGETS);
    seen = look.seen;
    return look.ended.map((j) => `${j.id}:${j.status}`);
  });
}

describe('endedSince (which backup jobs the page announces as ended)', () => {
  it('announces nothing on the first poll: the jobs listed then ended before the page was watching', () => {
    expect(announced([[job('b', 'local', 'failed'), job('a', 'r2', 'succeeded')]])).toEqual([[]]);
  });

  it('announces a job that ends while the page watches once, on the poll that sees it ended', () => {
    const old = job('a', 'local', 'succeeded');
    expect(announced([[old], [job('b', 'local', 'running'), old], [job('b', 'local', 'succeeded'), old], [job('b', 'local', 'succeeded'), old]])).toEqual([
      [],
      [],
      ['b:succeeded'],
      [],
    ]);
  });

  it('announces a job that started and ended between two polls (the browser slowed the timers of a page in the background)', () => {
    const old = job('a', 'r2', 'succeeded');
    expect(announced([[old], [job('c', 'r2', 'failed'), job('b', 'r2', 'succeeded'), old]])).toEqual([[], ['c:failed']]);
  });

  it('tells the targets apart: one target ending does not announce the other, and both may end between two polls', () => {
    const local = job('l1', 'local', 'succeeded');
    const r2 = job('r1', 'r2', 'succeeded');
    expect(
      announced([
        [r2, local],
        [job('l2', 'local', 'succeeded'), job('r2', 'r2', 'running'), r2, local],
        [job('r2', 'r2', 'failed'), job('l3', 'local', 'succeeded'), job('l2', 'local', 'succeeded'), r2, local],
      ]),
    ).toEqual([[], ['l2:succeeded'], ['r2:failed', 'l3:succeeded']]);
  });

  it('starts afresh after a restart (seen reset to null): jobs that ended while the service was away are not news', () => {
    const before = endedSince(null, [job('a', 'local', 'succeeded')], TARGETS).seen;
    expect(before).toEqual({ local: 'a:succeeded' });
    expect(endedSince(null, [job('b', 'local', 'failed'), job('a', 'local', 'succeeded')], TARGETS).ended).toEqual([]);
  });

  it('announces the first job of a target that had none', () => {
    expect(announced([[], [job('a', 'r2', 'running')], [job('a', 'r2', 'succeeded')]])).toEqual([[], [], ['a:succeeded']]);
  });
});
