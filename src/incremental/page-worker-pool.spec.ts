import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { PageWorkerPool } from './page-worker-pool.js';

describe('PageWorkerPool', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'page-worker-pool-'));
    const db = new Database(path.join(dir, 'source.db'));
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    db.close();
  });
  afterEach(() => {
    jest.useRealTimers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const snapshot = (pool: PageWorkerPool, n: number) =>
    pool.run<{ pageSize: number }>('pageSnapshot', {
      source: path.join(dir, 'source.db'),
      dest: path.join(dir, `copy-${n}.db`),
      hashesFile: path.join(dir, `copy-${n}.hashes`),
      compare: null,
    });

  it("runs an operation asked the moment an idle thread's time is up on another thread, not on the one ending", async () => {
    // Only the pool's idle timer is faked: the threads' messages and exits come as they do.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const pool = new PageWorkerPool(1000);
    try {
      await expect(snapshot(pool, 1)).resolves.toMatchObject({ pageSize: 4096 });
      // The idle thread's time is up: it is being terminated, and its exit has not come yet.
      jest.advanceTimersByTime(1000);
      await expect(snapshot(pool, 2)).resolves.toMatchObject({ pageSize: 4096 });
    } finally {
      await pool.close();
    }
  });

  it('ends its idle threads when asked, and starts another for a later operation', async () => {
    const pool = new PageWorkerPool(60_000);
    try {
      await snapshot(pool, 1);
      const [kept] = (pool as unknown as { idle: Array<{ worker: Worker }> }).idle;
      const exited = new Promise<number>((resolve) => kept.worker.once('exit', resolve));
      await pool.endIdle();
      await expect(exited).resolves.toBe(1);
      expect((pool as unknown as { idle: unknown[] }).idle).toEqual([]);
      await expect(snapshot(pool, 2)).resolves.toMatchObject({ pageSize: 4096 });
    } finally {
      await pool.close();
    }
  });

  it('reuses an idle thread within its time', async () => {
    const pool = new PageWorkerPool(60_000);
    try {
      await snapshot(pool, 1);
      const threads = (pool as unknown as { idle: unknown[] }).idle.length;
      await snapshot(pool, 2);
      expect([threads, (pool as unknown as { idle: unknown[] }).idle.length]).toEqual([1, 1]);
    } finally {
      await pool.close();
    }
  });
});
