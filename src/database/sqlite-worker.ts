import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

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

function fsyncFile(file) {
  const fd = fs.openSync(file, 'r');
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}

async function snapshot({ source, dest }) {
  // A second connection: in WAL mode it reads one point in time while writers go on.
  const db = new Database(source, { fileMustExist: true, timeout: 10000 });
  try {
    // After the first small step, copy every remaining page in one step: one read transaction, so
    // the copy is a single point in time and a concurrent writer cannot make the backup restart.
    await db.backup(dest, { progress: () => 0x7fffffff });
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
  fsyncFile(dest);
  return sha256(dest);
}

function integrity({ file }) {
  const db = new Database(file, { fileMustExist: true, readonly: false });
  try {
    const rows = db.pragma('integrity_check');
    return { problems: rows.map((r) => r.integrity_check).filter((m) => m !== 'ok') };
  } finally {
    db.close();
  }
}

(async () => {
  const { op, args } = workerData;
  const result = op === 'snapshot' ? await snapshot(args) : op === 'integrity' ? integrity(args) : op === 'sha256' ? sha256(args.file) : null;
  parentPort.postMessage({ ok: true, result });
})().catch((error) => parentPort.postMessage({ ok: false, message: error && error.message ? error.message : String(error), code: error && error.code }));
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

export class SqliteWorkerError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

export function runSqliteWorker<T>(op: 'snapshot' | 'integrity' | 'sha256', args: Record<string, string>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, op, args } });
    let settled = false;
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
