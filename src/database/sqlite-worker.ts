import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** A file's length and SHA-256, read in 1 MiB chunks: inline source shared by the worker sources (page-worker.ts too). */
export const FILE_SHA256_SOURCE = String.raw`
function sha256(file) {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}
`;

/**
 * SQLite work that takes long (copying, hashing, integrity checks of large files) runs in a worker
 * thread with its own connection, so the event loop keeps serving the API. The worker's source is
 * inline CommonJS: it runs the same from the compiled build and from the TypeScript tests.
 */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const Database = require(workerData.driver);

${FILE_SHA256_SOURCE}

function fsyncFile(file) {
  const fd = fs.openSync(file, 'r');
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}

// better-sqlite3 builds SQLite with a 16 MB page cache per connection (DEFAULT_CACHE_SIZE=-16000).
// These connections read each page about once, so a large cache buys nothing and costs resident
// memory (bench/results.md, "Snapshots": the default cost more RSS at the same speed).
const CACHE_SIZE = 'cache_size = -1000';

function snapshot({ source, dest, durable }) {
  // A second connection: in WAL mode it reads one point in time while writers go on.
  const db = new Database(source, { fileMustExist: true, timeout: 10000 });
  try {
    db.pragma(CACHE_SIZE);
    // VACUUM INTO copies the database in one read transaction, so the copy is a single point in
    // time (commits still in the -wal file included) and writers are not blocked. Unlike the backup
    // API (db.backup()), whose destination connection gets better-sqlite3's default 16 MB cache, its
    // output takes this connection's small cache; the backup API was measured no cheaper in CPU
    // (bench/results.md, "Snapshots"). The copy is compacted (no free pages).
    db.prepare('VACUUM INTO ?').run(dest);
  } finally {
    db.close();
  }
  // The copy stands alone: rollback-journal mode, so opening it needs no -wal file.
  const copy = new Database(dest, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  if (durable) fsyncFile(dest);
  return sha256(dest);
}

function integrity({ file }) {
  const db = new Database(file, { fileMustExist: true, readonly: false });
  try {
    db.pragma(CACHE_SIZE);
    const rows = db.pragma('integrity_check');
    return { problems: rows.map((r) => r.integrity_check).filter((m) => m !== 'ok') };
  } finally {
    db.close();
  }
}

(async () => {
  const { op, args } = workerData;
  const result = op === 'snapshot' ? snapshot(args) : op === 'integrity' ? integrity(args) : op === 'sha256' ? sha256(args.file) : null;
  parentPort.postMessage({ ok: true, result });
})().catch((error) => parentPort.postMessage({ ok: false, message: error && error.message ? error.message : String(error), code: error && error.code }));
`;

/** Where better-sqlite3 is, for a worker's `require` (inline sources have no module path of their own). */
export const sqliteDriver = createRequire(import.meta.url).resolve('better-sqlite3');

export class SqliteWorkerError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** One of the operations above in a worker thread; `signal` stops it (see runWorkerSource). */
export function runSqliteWorker<T>(op: 'snapshot' | 'integrity' | 'sha256', args: Record<string, string | boolean>, signal?: AbortSignal): Promise<T> {
  return runWorkerSource<T>(WORKER_SOURCE, { driver: sqliteDriver, op, args }, signal);
}

/**
 * Runs inline CommonJS `source` in a worker thread with `workerData`; the source answers with one message
 * `{ ok: true, result }` or `{ ok: false, message, code }`. `signal` stops the worker thread (a long integrity
 * check of a cancelled verification must not go on using a core). The promise rejects only once the thread has
 * exited: terminate() cannot interrupt a statement inside SQLite (a VACUUM INTO goes on writing its copy until
 * it returns), and a caller that removes the copy's folder as soon as the promise settles would pull the files
 * from under it, which ends the whole process with a fatal V8 error.
 */
export function runWorkerSource<T>(source: string, workerData: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const worker = new Worker(source, { eval: true, workerData });
    let settled = false;
    const stop = () => {
      if (settled) return;
      settled = true;
      void worker.terminate().finally(() => reject(signal?.reason));
    };
    signal?.addEventListener('abort', stop, { once: true });
    worker.once('exit', () => signal?.removeEventListener('abort', stop));
    worker.once('message', (message: { ok: boolean; result?: T; message?: string; code?: string }) => {
      settled = true;
      if (message.ok) resolve(message.result as T);
      else reject(new SqliteWorkerError(message.message ?? 'SQLite worker failed', message.code));
    });
    worker.once('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new SqliteWorkerError(`SQLite worker exited with code ${code}`));
    });
  });
}
