import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { type BackupMetadata, type DatabaseEntry, MAX_METADATA_BYTES, METADATA_FILENAME, metadataProblems } from '../../archive-format/backup-metadata.js';
import { fsyncPath } from '../../common/fs/durable-fs.js';
import { archiveInvalid } from './archive-problem.js';
import { type IncrementalDatabaseEntry, incrementalMetadataProblems } from '../../archive-format/incremental-metadata.js';
import { type ExpectedPages, expectedPagesFiles, isIncrementMetadata } from './increment-entries.js';

/** How much data may follow the tar end-of-archive marker (tar pads to 10 KiB records). */
const MAX_TRAILING_BYTES = 1024 * 1024;
/** Pax and GNU long-name headers are tiny for the names an archive may hold. */
const MAX_META_ENTRY_BYTES = 64 * 1024;
/**
 * The tar bytes allowed between one entry's data and the next entry's header: room for several pax or long-name
 * headers. The parser consumes those headers without announcing anything, so without a bound a crafted archive of
 * nothing but small pax headers (gzip shrinks them a few hundred times) would be parsed to its end: minutes of CPU
 * and its whole download where a look at the metadata costs the first bytes.
 */
const MAX_HEADER_BYTES = 1024 * 1024;
const WRITE_BUFFER_BYTES = 1024 * 1024;

export interface ExtractOptions {
  /** An existing, empty folder; only `backup-metadata.json`'s databases are written into it. */
  dir: string;
  /** The archive's name, for messages and `details.file` of archive-level problems. */
  archive: string;
  /** The databases this service manages (DataFolderLayout's names). */
  managed: readonly string[];
  /**
   * `fail-fast` (staging): the first problem of any kind stops the download at once and is thrown.
   * `collect` (verification): a wrong checksum or a database set that differs from the managed one is
   * recorded and reading goes on, so every database gets its verdict; structural problems still stop.
   */
  mode: 'fail-fast' | 'collect';
  /**
   * fsync each database as it is written (staging: the files must survive a crash until the flag
   * is written and applied). Verification removes its files right after the checks, so it skips a
   * sync of the whole archive's worth of data.
   */
  durable: boolean;
  /**
   * Which kind of archive is expected (default `full`): a full backup's `<name>.db` files, or an increment's pages
   * (docs/incremental-backups.md), which only a chain's rebuild may read. `any`: the metadata alone is read.
   */
  kind?: 'full' | 'incremental' | 'any';
  /** Runs once the metadata has been read and checked, before any database byte is written (the disk space check). */
  onMetadata?: (metadata: BackupMetadata) => Promise<void> | void;
  /** The archive's stored bytes read so far (counted before any read step and gunzip). */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

export interface ExtractedDatabase {
  name: string;
  filename: string;
  /** Where it was written. */
  path: string;
  sizeBytes: number;
  /** `sha256:<hex>` from the metadata. */
  expectedChecksum: string;
  /** Lower-case hex of what was written. */
  sha256: string;
  checksumOk: boolean;
}

/** An increment's pages file, written as `<name>.db.pages` and checked (length and SHA-256) against the metadata. */
export interface ExtractedPages {
  /** The database's entry in the increment's metadata. */
  db: IncrementalDatabaseEntry;
  /** Where it was written. */
  path: string;
}

export interface ExtractedArchive {
  metadata: BackupMetadata;
  /** In metadata order; empty for an increment (its databases are rebuilt from its chain, see `pages`). */
  databases: ExtractedDatabase[];
  /** An increment's pages files, in metadata order (only the databases that changed); undefined for a full archive. */
  pages?: ExtractedPages[];
  /** Collect mode only: why the archive's databases are not exactly the managed ones. */
  databaseSetProblem?: string;
}

/**
 * Why the archive's databases are not exactly the managed set, or undefined when they are.
 *
 * A restore replaces every database at once, so the sets must match: an archive without one of the
 * managed databases would leave that one at its current state next to restored ones (a mixed set),
 * and a database the service does not manage would be restored nowhere, its data silently dropped.
 * Both point at an archive from another installation or configuration (SENTINEL_DATABASES).
 */
export function databaseSetProblem(archived: readonly string[], managed: readonly string[]): string | undefined {
  const missing = managed.filter((name) => !archived.includes(name));
  const extra = archived.filter((name) => !managed.includes(name));
  if (missing.length === 0 && extra.length === 0) return undefined;
  const parts: string[] = [];
  if (missing.length) parts.push(`it lacks ${missing.map((n) => `${n}.db`).join(', ')}`);
  if (extra.length) parts.push(`it holds ${extra.map((n) => `${n}.db`).join(', ')}, which this service does not manage`);
  return (
    `The archive's databases differ from the ones this service manages (${managed.join(', ')}): ${parts.join('; ')}. ` +
    'A restore replaces all databases together, so the sets must match (see SENTINEL_DATABASES)'
  );
}

/**
 * The strict extractor, the reader pipeline's last step: it takes the archive's tar bytes (after
 * gunzip, see archive-read-pipeline.ts) on `sink` and writes its databases into `options.dir`,
 * checking everything while the bytes go by, never trusting the archive:
 *
 * - tar through the `tar` package's Parser: nothing is ever extracted by tar itself, each entry's
 *   bytes are written here, by this code, to a path built from a name that passed the checks;
 * - only regular files are accepted: `backup-metadata.json` first, then `<name>.db` for the names the
 *   metadata lists, each once; links, directories, devices, absolute names, `..`, names in folders,
 *   unlisted and duplicate entries are refused when their header is read, before any of their data;
 * - an entry whose header size differs from the metadata's `size_bytes` is refused at its header;
 * - SHA-256 is computed while writing and compared with the metadata's checksum at the entry's end;
 * - an increment's archive (metadata `"kind": "incremental"`, docs/incremental-backups.md) holds `<name>.db.pages`
 *   entries instead, only those its metadata names in `pages_file`, each of exactly its pages' length and
 *   checked against `pages_checksum`; a damaged pages file is refused in every mode (no page of it can be trusted);
 * - a cut-off tar stream, a missing end-of-archive marker, or more than a little data after it, are
 *   refused; so is an archive that ends before every listed database was seen.
 *
 * A refusal destroys the sink with ArchiveInvalid (details: check, file), which tears down the whole
 * pipeline and so stops the download at once. The caller owns `dir` and removes it on failure.
 */
export class ArchiveExtractor {
  /** Where the tar bytes go. */
  readonly sink: Writable;
  private readonly parser: Parser;
  private stoppedWith: Error | undefined;
  /** Rejects when the extraction stops on a failure: every wait below races it, so nothing hangs. */
  private readonly stopped: Promise<never>;
  private rejectStopped!: (error: Error) => void;
  private finished = false;
  private metadata: BackupMetadata | undefined;
  private setProblem: string | undefined;
  private metadataChecked: Promise<void> = Promise.resolve();
  private readonly expected = new Map<string, DatabaseEntry>();
  /** An increment's pages files by entry name; undefined while the archive is not known to be an increment. */
  private expectedPages: Map<string, ExpectedPages> | undefined;
  private readonly pages = new Map<string, ExtractedPages>();
  private readonly seen = new Set<string>();
  private readonly databases = new Map<string, ExtractedDatabase>();
  private readonly work: Promise<void>[] = [];
  private readonly openFiles = new Set<fs.WriteStream>();
  private entries = 0;
  private sawEnd = false;
  private trailing = 0;
  /** Tar bytes fed to the parser so far. */
  private fed = 0;
  /**
   * Where the headers after the last announced entry's data begin, counted from the end of the chunk that held its
   * header (the parser announces an entry inside the write of that chunk): never before the true position, so the
   * bound on headers errs towards the archive by at most one chunk.
   */
  private headersFrom = 0;

  constructor(private readonly options: ExtractOptions) {
    this.stopped = new Promise<never>((_resolve, reject) => (this.rejectStopped = reject));
    this.stopped.catch(() => undefined);
    this.parser = new Parser({
      // Every tar warning is a refusal here (see onWarning); strict mode would throw them as errors instead.
      strict: false,
      brotli: false,
      zstd: false,
      maxMetaEntrySize: MAX_META_ENTRY_BYTES,
    });
    this.parser.on('entry', (entry: ReadEntry) => this.onEntry(entry));
    this.parser.on('ignoredEntry', (entry: ReadEntry) => this.onIgnoredEntry(entry));
    this.parser.on('warn', (code: string, message: string) => this.onWarning(code, message));
    this.parser.on('error', (error: Error) => this.onWarning('TAR_ERROR', error.message));
    this.parser.on('eof', () => (this.sawEnd = true));
    this.sink = new Writable({
      highWaterMark: 256 * 1024,
      write: (chunk: Buffer, _encoding, callback) => this.feed(chunk, callback),
      final: (callback) =>
        void this.finish().then(
          () => {
            this.finished = true;
            callback();
          },
          (error: Error) => {
            this.stop(error);
            callback(error);
          },
        ),
      destroy: (error, callback) => {
        if (error) this.stop(error);
        else if (!this.finished) this.stop(new Error('the archive stream was closed before its end'));
        callback(error);
      },
    });
  }

  /** The refusal (or other error) that stopped the extraction, if one did. */
  get failure(): Error | undefined {
    return this.stoppedWith;
  }

  /** Waits for file writes in flight, so the caller can remove the folder without racing them. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.work);
  }

  /** What was extracted; only once the sink has finished. */
  result(): ExtractedArchive {
    const metadata = this.metadata as BackupMetadata;
    if (this.expectedPages) {
      return {
        metadata,
        databases: [],
        pages: [...this.expectedPages.keys()].map((file) => this.pages.get(file) as ExtractedPages),
        databaseSetProblem: this.setProblem,
      };
    }
    return {
      metadata,
      databases: metadata.databases.map((db) => this.databases.get(db.name) as ExtractedDatabase),
      databaseSetProblem: this.setProblem,
    };
  }

  /** Stops everything with `error` (the first one wins): destroying the sink tears down the pipeline and the download. */
  private stop(error: Error): void {
    if (this.stoppedWith) return;
    this.stoppedWith = error;
    this.rejectStopped(error);
    for (const file of this.openFiles) file.destroy();
    this.sink.destroy(error);
  }

  private feed(chunk: Buffer, callback: (error?: Error | null) => void): void {
    if (this.failure) return callback(this.failure);
    if (this.sawEnd) {
      // After the end-of-archive marker only padding may follow; the parser would buffer anything else.
      this.trailing += chunk.length;
      if (this.trailing > MAX_TRAILING_BYTES) {
        this.stop(
          archiveInvalid(
            'tar',
            this.options.archive,
            `${this.options.archive} has more than ${MAX_TRAILING_BYTES} bytes of data after the end of the tar archive`,
          ),
        );
        return callback(this.failure);
      }
      return callback();
    }
    if (this.fed - this.headersFrom > MAX_HEADER_BYTES) {
      this.stop(
        archiveInvalid(
          'tar',
          this.options.archive,
          `${this.options.archive} has more than ${MAX_HEADER_BYTES} bytes of tar headers (pax or long-name) with no file: it is not a backup archive`,
        ),
      );
      return callback(this.failure);
    }
    this.fed += chunk.length;
    if (this.parser.write(chunk) || this.failure) return callback(this.failure);
    this.parser.once('drain', () => callback(this.failure));
  }

  private async finish(): Promise<void> {
    const ended = new Promise<void>((resolve) => this.parser.once('end', () => resolve()));
    this.parser.end();
    await Promise.race([ended, this.stopped]);
    await Promise.all(this.work);
    if (this.failure) throw this.failure;
    const { archive } = this.options;
    if (!this.metadata) {
      throw archiveInvalid('metadata-missing', METADATA_FILENAME, `${archive} holds no ${METADATA_FILENAME}: it is empty or not a Sentinel backup`);
    }
    if (!this.sawEnd) {
      throw archiveInvalid('tar', archive, `${archive} ends without the tar end-of-archive marker: it is cut short (an interrupted upload or download?)`);
    }
    for (const file of this.expectedPages?.keys() ?? []) {
      if (!this.seen.has(file)) {
        throw archiveInvalid('missing-database', file, `${file} is listed in ${METADATA_FILENAME} of the increment ${archive} but is not in it`);
      }
    }
    for (const db of this.expectedPages ? [] : this.metadata.databases) {
      if (!this.seen.has(db.filename)) {
        throw archiveInvalid('missing-database', db.filename, `${db.filename} is listed in ${METADATA_FILENAME} but is not in the archive`);
      }
    }
  }

  private onWarning(code: string, message: string): void {
    // A well-formed but empty tar: reported as the missing metadata it is, when the stream ends.
    if (code === 'TAR_BAD_ARCHIVE' && this.sawEnd && this.entries === 0) return;
    const { archive } = this.options;
    if (/Truncated input/.test(message)) {
      return this.stop(archiveInvalid('tar', archive, `${archive} is cut short: its tar data ends inside an entry (an interrupted upload or download?)`));
    }
    this.stop(archiveInvalid('tar', archive, `${archive} is not a readable tar archive inside its gzip: ${message.replace(/^TAR_[A-Z_]+: /, '')} (${code})`));
  }

  private onIgnoredEntry(entry: ReadEntry): void {
    if (entry.meta) return this.onWarning('TAR_META_TOO_LARGE', `an extended header of ${entry.size} bytes is larger than ${MAX_META_ENTRY_BYTES}`);
    this.stop(archiveInvalid('entry-type', entry.path, `${entry.path} is a ${entry.type} entry; a backup archive holds regular files only`));
  }

  /**
   * Called synchronously by the parser for each entry, in order: the next entry is announced only
   * after this one's 'end'. Refusals happen here, at the header, before any data of the entry is read.
   */
  private onEntry(entry: ReadEntry): void {
    if (this.failure) return;
    this.headersFrom = this.fed + Math.ceil(entry.size / 512) * 512;
    try {
      const name = this.checkEntry(entry);
      const work = name === METADATA_FILENAME ? this.readMetadata(entry) : this.expectedPages ? this.writePages(entry, name) : this.writeDatabase(entry, name);
      this.work.push(work.catch((error: Error) => this.stop(error)));
    } catch (error) {
      this.stop(error as Error);
    }
  }

  /** The checks made on an entry's header, before any of its data is read; returns its file name. */
  private checkEntry(entry: ReadEntry): string {
    const raw = entry.path;
    const first = this.entries++ === 0;
    if (raw.startsWith('/') || raw.startsWith('\\') || /^[a-zA-Z]:/.test(raw)) {
      throw archiveInvalid('absolute-path', raw, `The archive entry ${raw} has an absolute path; entries must be plain file names`);
    }
    if (raw.split(/[\\/]/).includes('..')) {
      throw archiveInvalid('path-traversal', raw, `The archive entry ${raw} points outside the archive ('..'); it is refused`);
    }
    if (entry.type === 'SymbolicLink') {
      throw archiveInvalid(
        'symlink',
        raw,
        `The archive entry ${raw} is a symbolic link (to ${entry.linkpath ?? '?'}); a backup archive holds regular files only`,
      );
    }
    if (entry.type === 'Link') {
      throw archiveInvalid('hardlink', raw, `The archive entry ${raw} is a hard link (to ${entry.linkpath ?? '?'}); a backup archive holds regular files only`);
    }
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
      throw archiveInvalid('entry-type', raw, `The archive entry ${raw} is a ${entry.type}; a backup archive holds regular files only`);
    }
    // `tar czf x.tar.gz ./backup-metadata.json ...` stores "./" prefixes: harmless, so accepted.
    const name = raw.replace(/^(\.\/)+/, '');
    if (name.includes('/') || name.includes('\\') || name === '' || name === '.') {
      throw archiveInvalid('unexpected-entry', raw, `The archive entry ${raw} is inside a folder; backup archives hold their files at the top level`);
    }
    if (first && name !== METADATA_FILENAME) {
      if (/\.db$/.test(name)) {
        throw archiveInvalid(
          'metadata-order',
          name,
          `${METADATA_FILENAME} must be the first entry of the archive, but ${name} comes first ` +
            `(build it as: tar czf NAME.tar.gz ${METADATA_FILENAME} universe.db config.db ...)`,
        );
      }
      throw archiveInvalid('unexpected-entry', name, `The archive starts with ${name}; a backup archive starts with ${METADATA_FILENAME}`);
    }
    if (this.seen.has(name)) {
      throw archiveInvalid('duplicate-entry', name, `${name} appears twice in the archive`);
    }
    this.seen.add(name);
    if (name === METADATA_FILENAME) {
      if (entry.size > MAX_METADATA_BYTES) {
        throw archiveInvalid('metadata-invalid', name, `${name} is ${entry.size} bytes, more than the ${MAX_METADATA_BYTES} a metadata file may have`);
      }
      return name;
    }
    if (this.expectedPages) return this.checkPagesEntry(entry, name);
    const expected = this.expectedByFilename(name);
    if (!expected) {
      throw archiveInvalid(
        'unexpected-entry',
        name,
        `The archive holds ${name}, which ${METADATA_FILENAME} does not list; only the listed databases may be in it`,
      );
    }
    if (entry.size !== expected.size_bytes) {
      throw archiveInvalid(
        'size',
        name,
        `${name} is ${entry.size} bytes in the archive but ${METADATA_FILENAME} says ${expected.size_bytes}; the archive is damaged or was assembled wrongly`,
      );
    }
    return name;
  }

  /** An increment's entry: a pages file its metadata names, of exactly its pages' length. */
  private checkPagesEntry(entry: ReadEntry, name: string): string {
    const expected = this.expectedPages?.get(name);
    const { archive } = this.options;
    if (!expected) {
      throw archiveInvalid(
        'unexpected-entry',
        name,
        `The increment ${archive} holds ${name}, which its ${METADATA_FILENAME} does not name as a pages file; only those may be in it`,
      );
    }
    if (entry.size !== expected.bytes) {
      throw archiveInvalid(
        'size',
        name,
        `${name} is ${entry.size} bytes in the increment ${archive} but its ${METADATA_FILENAME} lists ${expected.bytes} bytes of pages; the increment is damaged or was assembled wrongly`,
      );
    }
    return name;
  }

  private expectedByFilename(filename: string): DatabaseEntry | undefined {
    for (const db of this.expected.values()) if (db.filename === filename) return db;
    return undefined;
  }

  /**
   * The metadata is parsed and checked in the entry's 'end' handler, synchronously, so the next
   * entry's header is checked against it. The disk space check (async) runs before any database byte is written.
   */
  private readMetadata(entry: ReadEntry): Promise<void> {
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('error', reject);
      entry.on('end', () => {
        try {
          this.acceptMetadata(Buffer.concat(chunks).toString('utf8'));
        } catch (error) {
          this.stop(error as Error);
          return reject(error);
        }
        const metadata = this.metadata as BackupMetadata;
        this.metadataChecked = Promise.resolve().then(() => this.options.onMetadata?.(metadata));
        this.metadataChecked.then(resolve, reject);
      });
    });
    return Promise.race([done, this.stopped]);
  }

  private acceptMetadata(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw archiveInvalid('metadata-invalid', METADATA_FILENAME, `${METADATA_FILENAME} is not valid JSON: ${(error as Error).message}`);
    }
    const increment = isIncrementMetadata(parsed);
    const expect = this.options.kind ?? 'full';
    if (expect !== 'any' && increment !== (expect === 'incremental')) {
      throw archiveInvalid(
        'metadata-invalid',
        METADATA_FILENAME,
        increment
          ? `${this.options.archive} is an increment ("kind": "incremental" in its ${METADATA_FILENAME}), not a full backup: it is restored from its chain, by its sentinel-incremental-… name`
          : `${this.options.archive} is named as an increment but its ${METADATA_FILENAME} is a full backup's: the archive was renamed or assembled wrongly`,
      );
    }
    const problems = increment ? incrementalMetadataProblems(parsed) : metadataProblems(parsed);
    if (problems.length) throw archiveInvalid('metadata-invalid', METADATA_FILENAME, `${METADATA_FILENAME} is not valid: ${problems.join('; ')}`);
    const metadata = parsed as BackupMetadata;
    const setProblem = databaseSetProblem(
      metadata.databases.map((db) => db.name),
      this.options.managed,
    );
    if (setProblem && this.options.mode === 'fail-fast') throw archiveInvalid('database-set', METADATA_FILENAME, setProblem);
    this.setProblem = setProblem;
    for (const db of metadata.databases) this.expected.set(db.name, db);
    if (increment) this.expectedPages = expectedPagesFiles(metadata.databases as IncrementalDatabaseEntry[]);
    this.metadata = metadata;
  }

  private async writeDatabase(entry: ReadEntry, filename: string): Promise<void> {
    await Promise.race([this.metadataChecked, this.stopped]);
    const db = this.expectedByFilename(filename) as DatabaseEntry;
    const { target, bytes, sha256 } = await this.writeEntry(entry, filename);
    const checksumOk = `sha256:${sha256}` === db.checksum && bytes === db.size_bytes;
    if (!checksumOk && this.options.mode === 'fail-fast') {
      throw archiveInvalid(
        'checksum',
        filename,
        `${filename} does not match its checksum in ${METADATA_FILENAME} (expected ${db.checksum}, got sha256:${sha256}): the archive is damaged`,
      );
    }
    this.databases.set(db.name, { name: db.name, filename, path: target, sizeBytes: bytes, expectedChecksum: db.checksum, sha256, checksumOk });
  }

  /** An increment's pages file: written, then refused unless its SHA-256 and length are the metadata's (in every mode). */
  private async writePages(entry: ReadEntry, filename: string): Promise<void> {
    await Promise.race([this.metadataChecked, this.stopped]);
    const expected = this.expectedPages?.get(filename) as ExpectedPages;
    const { target, bytes, sha256 } = await this.writeEntry(entry, filename);
    if (`sha256:${sha256}` !== expected.checksum || bytes !== expected.bytes) {
      throw archiveInvalid(
        'checksum',
        filename,
        `${filename} in the increment ${this.options.archive} does not match its pages_checksum (expected ${expected.checksum}, got sha256:${sha256}): the increment is damaged`,
      );
    }
    this.pages.set(filename, { db: expected.db, path: target });
  }

  /** Writes an entry's bytes to `filename` in the folder (fsynced when durable), hashing them on the way. */
  private async writeEntry(entry: ReadEntry, filename: string): Promise<{ target: string; bytes: number; sha256: string }> {
    const target = path.join(this.options.dir, filename);
    const hash = createHash('sha256');
    let bytes = 0;
    const out = fs.createWriteStream(target, { flags: 'wx', mode: 0o600, highWaterMark: WRITE_BUFFER_BYTES });
    this.openFiles.add(out);
    try {
      const written = new Promise<void>((resolve, reject) => {
        out.on('error', reject);
        out.on('close', () => reject(new Error(`writing ${filename} was interrupted`)));
        out.on('finish', resolve);
        entry.on('error', reject);
        entry.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          hash.update(chunk);
          if (!out.write(chunk)) {
            entry.pause();
            out.once('drain', () => entry.resume());
          }
        });
        entry.on('end', () => out.end());
      });
      await Promise.race([written, this.stopped]);
    } finally {
      this.openFiles.delete(out);
      if (!out.closed) await new Promise<void>((resolve) => out.close(() => resolve()));
    }
    if (this.options.durable) await fsyncPath(target);
    return { target, bytes, sha256: hash.digest('hex') };
  }
}
