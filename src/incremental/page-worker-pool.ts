import { Worker } from 'node:worker_threads';
import { SqliteWorkerError, sqliteDriver } from '../database/sqlite-worker.js';
import { PAGE_WORKER_SOURCE, type PageWorkerOperation, type PageWorkerRunner } from './page-worker.js';

/** How long an idle thread waits for the next operation before it ends. */
const IDLE_MS = 2000;

/**
 * Worker threads for page operations that are kept between operations: a backup snapshots its databases one
 * after another in two lanes, and a new thread per database (loading the SQLite driver and the worker's source)
 * cost ~60 ms of CPU and 0.15-0.25 s under load each (issue 19's creation time). A thread runs one operation at
 * a time; run() takes an idle one or starts another, so operations run as concurrently as their callers ask.
 * An idle thread ends after IDLE_MS and never keeps the process alive. `signal` stops an operation by
 * terminating its thread (SQLite cannot be interrupted otherwise), and the promise rejects only once that thread
 * has exited, as runWorkerSource's does: a caller may then remove the operation's files.
 */
export class PageWorkerPool implements PageWorkerRunner {
  private readonly idle: Array<{ worker: Worker; timer: NodeJS.Timeout }> = [];
  private closed = false;

  constructor(private readonly idleMs = IDLE_MS) {}

  run<T>(op: PageWorkerOperation, args: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (this.closed) return reject(new SqliteWorkerError('The page workers were shut down'));
      const worker = this.take();
      let settled = false;
      const cleanUp = () => {
        settled = true;
        signal?.removeEventListener('abort', stop);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const stop = () => {
        if (settled) return;
        cleanUp();
        void worker.terminate().finally(() => reject(signal?.reason));
      };
      const onMessage = (message: { ok: boolean; result?: T; message?: string; code?: string }) => {
        cleanUp();
        this.release(worker);
        if (message.ok) resolve(message.result as T);
        else reject(new SqliteWorkerError(message.message ?? 'SQLite worker failed', message.code));
      };
      const onError = (error: Error) => {
        cleanUp();
        void worker.terminate().finally(() => reject(error));
      };
      const onExit = (code: number) => {
        cleanUp();
        reject(new SqliteWorkerError(`SQLite worker exited with code ${code}`));
      };
      signal?.addEventListener('abort', stop, { once: true });
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ op, args });
    });
  }

  /** Ends the idle threads, and every thread as it becomes idle. */
  async close(): Promise<void> {
    this.closed = true;
    await this.endIdle();
  }

  /**
   * Ends the idle threads now rather than after their idle time; the pool stays open (a later run() starts a
   * thread). For a caller whose batch of operations is done: a thread holds ~10 MB of its own heap and its SQLite
   * caches, which would otherwise overlap the next phase of a backup (the archive's own worker).
   */
  async endIdle(): Promise<void> {
    const idle = this.idle.splice(0);
    await Promise.all(
      idle.map(({ worker, timer }) => {
        clearTimeout(timer);
        return worker.terminate();
      }),
    );
  }

  private take(): Worker {
    const kept = this.idle.pop();
    if (kept) {
      clearTimeout(kept.timer);
      kept.worker.ref();
      return kept.worker;
    }
    const worker = new Worker(PAGE_WORKER_SOURCE, { eval: true, workerData: { driver: sqliteDriver, serve: true } });
    // A thread that fails or ends while idle leaves the pool (and its error is not an uncaught one).
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      const at = this.idle.findIndex((kept) => kept.worker === worker);
      if (at >= 0) clearTimeout(this.idle.splice(at, 1)[0].timer);
    });
    return worker;
  }

  private release(worker: Worker): void {
    if (this.closed) {
      void worker.terminate();
      return;
    }
    worker.unref();
    // Out of the idle list before it is terminated: its exit comes later, and a run() asked in between must not take a
    // thread that is ending (it would fail as "exited with code 1"). An exit while idle takes it out too.
    const timer = setTimeout(() => {
      const at = this.idle.findIndex((kept) => kept.worker === worker);
      if (at >= 0) this.idle.splice(at, 1);
      void worker.terminate();
    }, this.idleMs);
    timer.unref();
    this.idle.push({ worker, timer });
  }
}
