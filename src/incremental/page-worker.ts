import { FILE_SHA256_SOURCE, runWorkerSource, sqliteDriver } from '../database/sqlite-worker.js';

/**
 * The page work of incremental backups (a page-stable copy and its page hashes, the pages that changed, writing
 * an increment's pages into a database file) runs in a worker thread, as the other SQLite work does
 * (sqlite-worker.ts): it reads and writes whole databases, which can be gigabytes, so it must neither hold the
 * event loop nor a database in memory. Every file is streamed in chunks of at most CHUNK_BYTES; the only
 * things kept whole are the lists of changed page ranges.
 */
export const PAGE_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
// Loaded only by the operation that opens a database (pageSnapshot): applying a chain touches files alone, and loading
// the driver into a fresh thread costs ~0.1-0.3 s on a loaded machine (issue 19: a chain's staging against a full one's).
let Database;
function openDatabase(file, options) {
  Database = Database || require(workerData.driver);
  return new Database(file, options);
}

// 1 MiB: a whole number of pages for every SQLite page size (512 to 65536 bytes).
const CHUNK_BYTES = 1 << 20;
const HASH_BYTES = 32;
// backup.transfer() clamps the pages of one step to this: all the rest of the database in one step.
const ALL_PAGES = 0x7fffffff;

// A PageWorkerPool's thread runs one operation after another: the snapshot's buffers are allocated once per
// thread and reused, as buffers of each operation would stay resident until a collection freed them.
const MAX_PAGE_HASHES_BYTES = (CHUNK_BYTES / 512) * HASH_BYTES;
const threadBuffers = {};
function threadBuffer(name, bytes) {
  return (threadBuffers[name] ??= Buffer.allocUnsafe(bytes));
}

/** Reads exactly buffer.length bytes at position, or fewer only at the end of the file. */
function readFully(fd, buffer, length, position) {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

function writeFully(fd, buffer, length, position) {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, buffer, done, length - done, position === null ? null : position + done);
}

async function pageSnapshot({ source, dest, hashesFile, compare }) {
  if (fs.existsSync(dest)) throw new Error(dest + ' already exists: a snapshot never writes over a file');
  // A second connection: in WAL mode it reads one point in time while writers go on.
  const db = openDatabase(source, { fileMustExist: true, timeout: 10000 });
  try {
    db.pragma('cache_size = -1000');
    // The read transaction is opened first and held through the copy, and the copy is one backup step (the
    // first transfer only sets the backup up): every page comes from the same point in time, and a commit by
    // another connection cannot make the backup API restart. Unlike VACUUM INTO, the backup API copies pages
    // as they are, so page n of the copy is page n of the database (issue 19: page hashes compare across backups).
    db.exec('BEGIN');
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    await db.backup(dest, { progress: () => ALL_PAGES });
    db.exec('COMMIT');
  } finally {
    db.close();
  }
  // The copy stands alone, as snapshotDatabase's: rollback-journal mode (only page 1's header changes).
  const copy = openDatabase(dest, { fileMustExist: true });
  let pageSize;
  try {
    copy.pragma('journal_mode = DELETE');
    pageSize = copy.pragma('page_size', { simple: true });
  } finally {
    copy.close();
  }
  // A page size that changed is the caller's to report (pageDiff is not run): the copy is only hashed.
  const diff = compare && compare.previousPageSize === pageSize ? compare : null;
  return Object.assign({ pageSize }, hashPages(dest, pageSize, hashesFile, diff));
}

// crypto.hash (Node 20.12+) skips the Hash object: a third less time for 4 KiB pages (51 476 pages of a 200 MB
// database: 1.35 s instead of 2.0 s), and there is one call per page.
const pageHash = crypto.hash
  ? (page) => crypto.hash('sha256', page, 'buffer')
  : (page) => crypto.createHash('sha256').update(page).digest();

/**
 * The SHA-256 of each page (32 bytes each, in page order, into hashesFile) and of the whole file, in one read
 * of the file. With diff ({ previousHashes, previousPageCount, pagesFile, maxShare }), each page's hash is
 * compared with the previous point's as it is made, and the changed pages are written to pagesFile from the
 * same buffer (pageDiff's answer, as changes): the copy is read once, not once to hash and again to diff.
 */
function hashPages(file, pageSize, hashesFile, diff) {
  const whole = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  let out;
  let changes = null;
  const buffer = threadBuffer('chunk', CHUNK_BYTES);
  const hashes = threadBuffer('hashes', MAX_PAGE_HASHES_BYTES);
  let bytes = 0;
  try {
    out = fs.openSync(hashesFile, 'wx', 0o600);
    const size = fs.fstatSync(fd).size;
    if (size % pageSize !== 0) throw new Error(file + ' is not a whole number of ' + pageSize + '-byte pages (' + size + ' bytes)');
    if (diff) changes = new PageChangeCollector(Object.assign({ pageCount: size / pageSize, pageSize }, diff));
    for (;;) {
      const n = readFully(fd, buffer, buffer.length, bytes);
      if (n === 0) break;
      if (n % pageSize !== 0) throw new Error(file + ' is not a whole number of ' + pageSize + '-byte pages (' + (bytes + n) + ' bytes)');
      whole.update(buffer.subarray(0, n));
      const pages = n / pageSize;
      for (let i = 0; i < pages; i++) {
        pageHash(buffer.subarray(i * pageSize, (i + 1) * pageSize)).copy(hashes, i * HASH_BYTES);
      }
      if (changes) changes.compare(bytes / pageSize, pages, hashes, buffer);
      writeFully(out, hashes, pages * HASH_BYTES, null);
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
    if (out !== undefined) fs.closeSync(out);
    if (changes) changes.close();
  }
  const pageCount = bytes / pageSize;
  return { bytes, sha256: whole.digest('hex'), pageCount, changes: changes && changes.result() };
}

/**
 * pageDiff while the copy is hashed: compare(first, pages, hashes, buffer) takes the hashes of pages first+1 …
 * first+pages (0-based first) and their bytes; pages past the previous point's end count as changed. The changed
 * pages are appended to pagesFile (created at the first one) until more than maxShare of pageCount changed; then
 * it stops writing, and result() answers no ranges (a full backup is made) and removes the partial pagesFile.
 */
class PageChangeCollector {
  constructor({ previousHashes, previousPageCount, pageCount, pageSize, pagesFile, maxShare }) {
    this.previousFd = fs.openSync(previousHashes, 'r');
    this.previousHashes = previousHashes;
    this.previousPageCount = previousPageCount;
    this.pageCount = pageCount;
    this.pageSize = pageSize;
    this.pagesFile = pagesFile;
    this.budget = maxShare * pageCount;
    this.before = threadBuffer('previousHashes', MAX_PAGE_HASHES_BYTES);
    this.ranges = [];
    this.changed = 0;
    this.out = undefined;
    this.pagesHash = crypto.createHash('sha256');
    this.pagesBytes = 0;
  }

  compare(first, pages, hashes, buffer) {
    const known = Math.max(0, Math.min(pages, this.previousPageCount - first));
    if (readFully(this.previousFd, this.before, known * HASH_BYTES, first * HASH_BYTES) !== known * HASH_BYTES)
      throw new Error(this.previousHashes + ' ends before page ' + this.previousPageCount);
    // Runs of changed pages of this chunk are written with one call each.
    let runStart = -1;
    for (let i = 0; i <= pages; i++) {
      const o = i * HASH_BYTES;
      const changed = i < pages && (i >= known || hashes.compare(this.before, o, o + HASH_BYTES, o, o + HASH_BYTES) !== 0);
      if (changed) {
        this.add(first + i + 1);
        if (runStart < 0) runStart = i;
      } else if (runStart >= 0) {
        this.write(buffer, runStart, i);
        runStart = -1;
      }
    }
  }

  add(page) {
    const last = this.ranges[this.ranges.length - 1];
    if (last && last[1] === page - 1) last[1] = page;
    else this.ranges.push([page, page]);
    this.changed++;
  }

  /** Pages from..to (exclusive) of the buffer, while the changed pages are within the budget. */
  write(buffer, from, to) {
    if (this.changed > this.budget) return;
    if (this.out === undefined) this.out = fs.openSync(this.pagesFile, 'wx', 0o600);
    const run = buffer.subarray(from * this.pageSize, to * this.pageSize);
    this.pagesHash.update(run);
    writeFully(this.out, run, run.length, null);
    this.pagesBytes += run.length;
  }

  close() {
    fs.closeSync(this.previousFd);
    if (this.out !== undefined) fs.closeSync(this.out);
    this.out = undefined;
  }

  result() {
    const share = this.pageCount === 0 ? 0 : this.changed / this.pageCount;
    if (this.changed === 0 || this.changed > this.budget) {
      if (this.pagesBytes > 0 || fs.existsSync(this.pagesFile)) fs.rmSync(this.pagesFile, { force: true });
      return { ranges: this.changed === 0 ? [] : null, changed: this.changed, share, pages: null };
    }
    return { ranges: this.ranges, changed: this.changed, share, pages: { bytes: this.pagesBytes, sha256: this.pagesHash.digest('hex') } };
  }
}

/**
 * The pages whose hashes differ from the previous point's (and every page past its end), as inclusive
 * 1-based ranges; then, unless more than maxShare of the pages changed, those pages copied in order into
 * pagesFile (not created when none changed).
 */
function pageDiff({ previousHashes, previousPageCount, hashes, pageCount, copy, pageSize, pagesFile, maxShare }) {
  const ranges = [];
  let changed = 0;
  const chunkPages = CHUNK_BYTES / HASH_BYTES;
  const before = Buffer.allocUnsafe(CHUNK_BYTES);
  const now = Buffer.allocUnsafe(CHUNK_BYTES);
  const beforeFd = fs.openSync(previousHashes, 'r');
  const nowFd = fs.openSync(hashes, 'r');
  try {
    for (let start = 0; start < pageCount; start += chunkPages) {
      const n = Math.min(chunkPages, pageCount - start);
      if (readFully(nowFd, now, n * HASH_BYTES, start * HASH_BYTES) !== n * HASH_BYTES) throw new Error(hashes + ' ends before page ' + pageCount);
      const known = Math.max(0, Math.min(n, previousPageCount - start));
      if (readFully(beforeFd, before, known * HASH_BYTES, start * HASH_BYTES) !== known * HASH_BYTES)
        throw new Error(previousHashes + ' ends before page ' + previousPageCount);
      for (let i = 0; i < n; i++) {
        const o = i * HASH_BYTES;
        if (i < known && now.compare(before, o, o + HASH_BYTES, o, o + HASH_BYTES) === 0) continue;
        const page = start + i + 1;
        const last = ranges[ranges.length - 1];
        if (last && last[1] === page - 1) last[1] = page;
        else ranges.push([page, page]);
        changed++;
      }
    }
  } finally {
    fs.closeSync(beforeFd);
    fs.closeSync(nowFd);
  }
  const share = pageCount === 0 ? 0 : changed / pageCount;
  if (changed === 0 || share > maxShare) return { ranges: changed === 0 ? [] : null, changed, share, pages: null };
  return { ranges, changed, share, pages: copyPages(copy, pageSize, ranges, pagesFile) };
}

/**
 * Calls move(position, length, last) for the bytes of the ranges' pages in the database file, in order, in
 * chunks of at most CHUNK_BYTES; position is where the chunk is in the database, and the pages file holds
 * the chunks one after another.
 */
function forEachChunk(ranges, pageSize, move) {
  for (const [first, last] of ranges) {
    let position = (first - 1) * pageSize;
    let remaining = (last - first + 1) * pageSize;
    while (remaining > 0) {
      const length = Math.min(remaining, CHUNK_BYTES);
      move(position, length, last);
      position += length;
      remaining -= length;
    }
  }
}

function copyPages(copy, pageSize, ranges, pagesFile) {
  const hash = crypto.createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  const fd = fs.openSync(copy, 'r');
  const out = fs.openSync(pagesFile, 'wx', 0o600);
  let bytes = 0;
  try {
    forEachChunk(ranges, pageSize, (position, length, last) => {
      if (readFully(fd, buffer, length, position) !== length) throw new Error(copy + ' ends before page ' + last);
      hash.update(buffer.subarray(0, length));
      writeFully(out, buffer, length, null);
      bytes += length;
    });
  } finally {
    fs.closeSync(fd);
    fs.closeSync(out);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Writes an increment's pages into a database file: the pages file's pages, in order, each at
 * (n - 1) x pageSize for the page numbers of the ranges; then the file is cut (or grown) to pageCount pages.
 */
function applyPages({ file, pagesFile, ranges, pageSize, pageCount, durable }) {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  const fd = fs.openSync(file, 'r+');
  try {
    if (pagesFile !== null) {
      const src = fs.openSync(pagesFile, 'r');
      let from = 0;
      try {
        forEachChunk(ranges, pageSize, (position, length, last) => {
          if (readFully(src, buffer, length, from) !== length) throw new Error(pagesFile + ' ends before page ' + last);
          writeFully(fd, buffer, length, position);
          from += length;
        });
      } finally {
        fs.closeSync(src);
      }
    }
    fs.ftruncateSync(fd, pageCount * pageSize);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { bytes: pageCount * pageSize };
}

${FILE_SHA256_SOURCE}

/**
 * A whole chain's pages in this one thread (a thread per increment and database cost ~0.3 s each under load: issue
 * 19's chain staging at 3-5 x a full one). steps are the chain's (increment, database) pairs in order. First every
 * pages file is checked (there, its length, its SHA-256) and the first bad one answered as refused, so no page is
 * written from a damaged chain; then each step's pages are written and its file cut to its page count. A step that
 * cannot be written is answered as failed; the caller turns both into errors naming the increment and database,
 * and then has each rebuilt file made durable and hashed (finalDigest), in as many threads as it likes.
 */
function applyChain({ steps }) {
  for (let i = 0; i < steps.length; i++) {
    const { pagesFile, missing, expectedBytes, pagesChecksum } = steps[i];
    if (missing) return { refused: { step: i, kind: 'missing' } };
    if (pagesFile === null) continue;
    let digest;
    try {
      digest = sha256(pagesFile);
    } catch (error) {
      return { refused: { step: i, kind: 'unreadable', message: error.message } };
    }
    if (digest.bytes !== expectedBytes) return { refused: { step: i, kind: 'length', bytes: digest.bytes } };
    if ('sha256:' + digest.sha256 !== pagesChecksum) return { refused: { step: i, kind: 'checksum', sha256: digest.sha256 } };
  }
  for (let i = 0; i < steps.length; i++) {
    try {
      applyPages(Object.assign({}, steps[i], { durable: false }));
    } catch (error) {
      return { failed: { step: i, message: error.message } };
    }
  }
  return { applied: steps.length };
}

/** A rebuilt database, fsynced first when durable, then its whole-file SHA-256 and length. */
function finalDigest({ file, durable }) {
  if (durable) {
    const fd = fs.openSync(file, 'r+');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  }
  return sha256(file);
}

async function run(op, args) {
  return op === 'pageSnapshot' ? await pageSnapshot(args)
    : op === 'pageDiff' ? pageDiff(args)
    : op === 'applyChain' ? applyChain(args)
    : op === 'finalDigest' ? finalDigest(args)
    : null;
}

const failure = (error) => ({ ok: false, message: error && error.message ? error.message : String(error), code: error && error.code });

// serve: a PageWorkerPool's thread, one operation per message, one answer each, until it is terminated.
if (workerData.serve) {
  parentPort.on('message', ({ op, args }) => {
    run(op, args).then((result) => parentPort.postMessage({ ok: true, result }), (error) => parentPort.postMessage(failure(error)));
  });
} else {
  run(workerData.op, workerData.args).then((result) => parentPort.postMessage({ ok: true, result }), (error) => parentPort.postMessage(failure(error)));
}
`;

export type PageWorkerOperation = 'pageSnapshot' | 'pageDiff' | 'applyChain' | 'finalDigest';

/** Runs page operations in worker threads (a PageWorkerPool, or one thread per operation). */
export interface PageWorkerRunner {
  run<T>(op: PageWorkerOperation, args: Record<string, unknown>, signal?: AbortSignal): Promise<T>;
}

/** One page operation in its own worker thread, or in a thread of `runner`; `signal` stops it (the thread is terminated). */
export function runPageWorker<T>(op: PageWorkerOperation, args: Record<string, unknown>, signal?: AbortSignal, runner?: PageWorkerRunner): Promise<T> {
  if (runner) return runner.run<T>(op, args, signal);
  return runWorkerSource<T>(PAGE_WORKER_SOURCE, { driver: sqliteDriver, op, args }, signal);
}
